//! Segment size: a journal grows by the size in its header, whatever the
//! configured one; a header whose size cannot be right is damage; the
//! error for a journal without room says how much it needs.

use super::contract::{collect, msg, ts};
use super::file::files;
use crate::store::file::format::JournalHeader;
use crate::store::{FileStore, FileStoreOptions, MessageStore, StoreError, StoreReader};

fn with_segment(bytes: usize) -> FileStoreOptions {
    FileStoreOptions {
        segment_bytes: bytes,
        max_journal_bytes: 64 << 20,
        ..FileStoreOptions::default()
    }
}

fn journal_len(dir: &tempfile::TempDir) -> u64 {
    std::fs::metadata(files(dir).journal()).unwrap().len()
}

/// 1 KiB messages: 64 of them fill a 64 KiB segment.
fn body(seq: u64) -> Vec<u8> {
    let mut b = msg(seq);
    b.resize(1024, b'x');
    b
}

#[test]
fn a_journal_keeps_the_segment_size_it_was_written_with() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = FileStore::open(files(&dir), with_segment(64 << 10), ts(1)).unwrap();
    for seq in 1..=200 {
        store.append(seq, &body(seq)).unwrap();
    }
    drop(store);
    assert_eq!(journal_len(&dir) % (64 << 10), 0);
    let small = journal_len(&dir);
    assert!((4 * (64 << 10)..1 << 20).contains(&small), "{small}");

    // Opened with a larger configured size: read as written, grown by
    // the header's 64 KiB, never padded to the configured 1 MiB.
    let mut store = FileStore::open(files(&dir), with_segment(1 << 20), ts(2)).unwrap();
    assert_eq!(journal_len(&dir), small);
    let got = collect(&store, 1, 0);
    assert_eq!(got.len(), 200);
    assert!(got.iter().all(|(s, b)| *b == body(*s)));
    for seq in 201..=300 {
        store.append(seq, &body(seq)).unwrap();
    }
    assert_eq!(store.journal_allocated() % (64 << 10), 0);
    assert!(store.journal_allocated() < 1 << 20);
    let reader = StoreReader::open(files(&dir)).unwrap();
    assert_eq!(reader.segment_size(), Some(64 << 10));
    assert_eq!(reader.message_count(), 300);

    // A reset starts a journal of the configured size.
    store.reset(ts(3)).unwrap();
    store.append(1, &body(1)).unwrap();
    assert_eq!(store.journal_allocated(), 1 << 20);
    drop(store);
    let reader = StoreReader::open(files(&dir)).unwrap();
    assert_eq!(reader.segment_size(), Some(1 << 20));

    // And the other way round: a 1 MiB journal opened with 64 KiB set.
    let store = FileStore::open(files(&dir), with_segment(64 << 10), ts(4)).unwrap();
    assert_eq!(store.journal_allocated(), 1 << 20);
    assert_eq!(collect(&store, 1, 0), vec![(1, body(1))]);
}

#[test]
fn configured_sizes_round_up_to_a_page() {
    let dir = tempfile::tempdir().unwrap();
    let store = FileStore::open(files(&dir), with_segment(100_000), ts(1)).unwrap();
    let page = 4096; // x86-64
    assert_eq!(store.journal_allocated(), 100_000u64.next_multiple_of(page));
    drop(store);
    let reader = StoreReader::open(files(&dir)).unwrap();
    assert_eq!(
        reader.segment_size(),
        Some(100_000u64.next_multiple_of(page))
    );
}

/// A header (its crc right) naming a size no writer uses is damage, not
/// something to grow the file by.
#[test]
fn a_header_segment_size_that_cannot_be_right_is_corrupt() {
    for segment in [0, 100, 4097, 3 << 40] {
        let dir = tempfile::tempdir().unwrap();
        let mut store = FileStore::open(files(&dir), with_segment(64 << 10), ts(1)).unwrap();
        store.append(1, &msg(1)).unwrap();
        drop(store);
        let path = files(&dir).journal();
        let mut bytes = std::fs::read(&path).unwrap();
        let mut header = JournalHeader::decode(&bytes).unwrap();
        header.segment = segment;
        bytes[..64].copy_from_slice(&header.encode());
        std::fs::write(&path, &bytes).unwrap();
        let len = bytes.len() as u64;
        match FileStore::open(files(&dir), with_segment(64 << 10), ts(2)) {
            Err(StoreError::Corrupt { offset, reason, .. }) => {
                assert_eq!(offset, 32, "{segment}");
                assert!(reason.contains(&segment.to_string()), "{reason}");
            }
            other => panic!("segment {segment}: expected Corrupt, got {other:?}"),
        }
        assert_eq!(journal_len(&dir), len, "nothing allocated");
        // The inspection tools still read what is there.
        let reader = StoreReader::open(files(&dir)).unwrap();
        assert_eq!(reader.segment_size(), Some(segment));
        assert_eq!(reader.message_count(), 1);
    }
}

#[test]
fn no_space_errors_say_how_much_is_needed() {
    let path = std::path::Path::new("/var/fix/FIX.4.4-A-B.journal");
    let e = StoreError::allocating(path, 16 << 20, std::io::Error::from_raw_os_error(27));
    assert!(e.is_disk_full());
    let text = e.to_string();
    assert!(
        text.starts_with(
            "/var/fix/FIX.4.4-A-B.journal: cannot allocate 16777216 more bytes (16.0 MiB) \
             for the journal, which grows by StoreSegmentSize: File too large"
        ),
        "{text}"
    );
    let e = StoreError::allocating(path, 1, std::io::Error::from_raw_os_error(libc::EIO));
    assert!(matches!(
        e,
        StoreError::Io {
            op: "fallocate",
            ..
        }
    ));
    assert!(!e.is_disk_full());
}

/// A journal that is only a header (its first segment never allocated,
/// as after a start without room) takes the configured size at the next
/// open: lowering StoreSegmentSize is what the error advises.
#[test]
fn a_journal_without_its_first_segment_takes_the_configured_size() {
    let dir = tempfile::tempdir().unwrap();
    drop(FileStore::open(files(&dir), with_segment(16 << 20), ts(1)).unwrap());
    let path = files(&dir).journal();
    let f = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    f.set_len(64).unwrap();
    drop(f);
    let mut store = FileStore::open(files(&dir), with_segment(64 << 10), ts(2)).unwrap();
    assert_eq!(store.journal_allocated(), 64 << 10);
    assert_eq!(
        store.creation_time(),
        ts(1),
        "the same journal, not a new one"
    );
    store.append(1, &msg(1)).unwrap();
    drop(store);
    let reader = StoreReader::open(files(&dir)).unwrap();
    assert_eq!(reader.segment_size(), Some(64 << 10));
    assert_eq!(reader.message_count(), 1);
}
