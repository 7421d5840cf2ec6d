//! ringfix store journals, written here following the documented layout.
use ringfix_testkit::pcap as decode_support;

use std::io::Cursor;

use crate::decode::{Decoder, Format, Item, Position};
use decode_support::fix;

fn header() -> Vec<u8> {
    let mut h = vec![0u8; 64];
    h[0..8].copy_from_slice(b"RFXJRNL1");
    h[8..12].copy_from_slice(&1u32.to_le_bytes());
    h[16..24].copy_from_slice(&3u64.to_le_bytes());
    h[24..32].copy_from_slice(&1_700_000_000_000_000_000i64.to_le_bytes());
    h[32..40].copy_from_slice(&(1u64 << 20).to_le_bytes());
    let crc = crc32c::crc32c(&h[0..40]);
    h[40..44].copy_from_slice(&crc.to_le_bytes());
    h
}

fn record(seq: u64, body: &[u8]) -> Vec<u8> {
    let mut r = Vec::new();
    r.extend_from_slice(&seq.to_le_bytes());
    r.extend_from_slice(&(body.len() as u32).to_le_bytes());
    let crc = crc32c::crc32c_append(crc32c::crc32c(&r), body);
    r.extend_from_slice(&crc.to_le_bytes());
    r.extend_from_slice(body);
    while r.len() % 8 != 0 {
        r.push(0);
    }
    r
}

fn msg(seq: u64) -> Vec<u8> {
    fix(&format!("35=D|49=ME|56=YOU|34={seq}|11=O{seq}"))
}

fn run(bytes: Vec<u8>) -> (Vec<Vec<u8>>, Vec<String>, Vec<Position>) {
    let d = Decoder::from_reader(Cursor::new(bytes)).unwrap();
    assert_eq!(d.format(), Format::Journal);
    let (mut m, mut p, mut at) = (Vec::new(), Vec::new(), Vec::new());
    for item in d {
        match item {
            Item::Message(x) => {
                at.push(x.at);
                m.push(x.bytes);
            }
            Item::Problem(x) => p.push(x.to_string()),
        }
    }
    (m, p, at)
}

#[test]
fn records_up_to_the_preallocated_zeros() {
    let mut j = header();
    for seq in 1..=3 {
        j.extend_from_slice(&record(seq, &msg(seq)));
    }
    j.extend_from_slice(&vec![0u8; 4096]);
    let (msgs, probs, at) = run(j);
    assert!(probs.is_empty(), "{probs:?}");
    assert_eq!(msgs, vec![msg(1), msg(2), msg(3)]);
    assert_eq!(at[0], Position::Byte(64));
}

#[test]
fn damaged_record_is_reported_and_the_next_valid_one_found() {
    let mut j = header();
    j.extend_from_slice(&record(1, &msg(1)));
    let bad_at = j.len();
    let mut bad = record(2, &msg(2));
    bad[30] ^= 0xff;
    j.extend_from_slice(&bad);
    j.extend_from_slice(&record(3, &msg(3)));
    j.extend_from_slice(&vec![0u8; 256]);
    let (msgs, probs, _) = run(j);
    assert_eq!(msgs, vec![msg(1), msg(3)]);
    assert_eq!(probs.len(), 2, "{probs:?}");
    assert_eq!(
        probs[0],
        format!("byte {bad_at}: damaged journal record: record crc mismatch")
    );
    assert!(probs[1].contains("records resume at byte"), "{probs:?}");
}

#[test]
fn truncated_journal() {
    let mut j = header();
    j.extend_from_slice(&record(1, &msg(1)));
    let r = record(2, &msg(2));
    j.extend_from_slice(&r[..r.len() - 20]);
    let (msgs, probs, _) = run(j);
    assert_eq!(msgs, vec![msg(1)]);
    assert_eq!(probs.len(), 1, "{probs:?}");
    assert!(probs[0].contains("journal truncated"), "{probs:?}");
}

#[test]
fn bad_header_is_an_error() {
    let mut j = header();
    j[20] ^= 1;
    assert!(Decoder::from_reader(Cursor::new(j)).is_err());
}

#[test]
fn journal_written_by_the_file_store() {
    use ringfix::engine::store::{FileStore, FileStoreOptions, MessageStore, StoreFiles, StoreId};
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("decode_journal_store");
    let files = StoreFiles::new(&dir, &StoreId::new("FIX.4.4", "ME", "YOU"));
    let journal = files.journal();
    let options = FileStoreOptions {
        segment_bytes: 64 << 10,
        ..FileStoreOptions::default()
    };
    {
        let now = ringfix::codec::UtcTimestamp::from_secs(1_700_000_000);
        let mut store = FileStore::open(files, options, now).unwrap();
        for seq in 1..=3 {
            store.append(seq, &msg(seq)).unwrap();
        }
        store.append(2, &msg(2)).unwrap(); // a resend stored again
    }
    let d = Decoder::open(&journal).unwrap();
    assert_eq!(d.format(), Format::Journal);
    let items: Vec<Item> = d.collect();
    let msgs: Vec<_> = items
        .iter()
        .map(|i| match i {
            Item::Message(m) => m.bytes.clone(),
            Item::Problem(p) => panic!("{p}"),
        })
        .collect();
    assert_eq!(msgs, vec![msg(1), msg(2), msg(3), msg(2)]);
}
