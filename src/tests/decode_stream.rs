//! Large inputs are decoded as a stream: the first message comes out long
//! before the input is read to its end, whatever the format.
use ringfix_testkit::pcap as decode_support;

use std::io::{Cursor, Read};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::decode::{Decoder, Format, Item};
use decode_support::*;

/// A reader that counts what was read from it.
struct Counting {
    inner: Cursor<Vec<u8>>,
    read: Arc<AtomicU64>,
}

impl Read for Counting {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn first_message_after(bytes: Vec<u8>, format: Format) -> (u64, u64) {
    let total = bytes.len() as u64;
    let read = Arc::new(AtomicU64::new(0));
    let mut d = Decoder::from_reader(Counting {
        inner: Cursor::new(bytes),
        read: read.clone(),
    })
    .unwrap();
    assert_eq!(d.format(), format);
    let first = d.find(|i| matches!(i, Item::Message(_)));
    assert!(first.is_some());
    let at_first = read.load(Ordering::Relaxed);
    let rest = d.filter(|i| matches!(i, Item::Message(_))).count() as u64;
    assert_eq!(read.load(Ordering::Relaxed), total);
    (at_first, rest + 1)
}

const N: usize = 20_000;

fn order(i: usize) -> Vec<u8> {
    fix(&format!(
        "35=D|49=C|56=S|34={i}|11=ORDER{i}|55=IBM|54=1|38=100|40=2|44=101.25"
    ))
}

#[test]
fn pcap_is_streamed() {
    let mut c = Conv::new(Link::Ethernet, "10.0.0.1:40000", "10.0.0.2:9878");
    c.handshake();
    for i in 0..N {
        c.send(true, &order(i));
    }
    let file = pcap(1, false, &c.pkts);
    let total = file.len() as u64;
    let (at_first, count) = first_message_after(file, Format::Pcap);
    assert_eq!(count, N as u64);
    assert!(
        at_first < total / 10,
        "read {at_first} of {total} before the first message"
    );
}

#[test]
fn raw_stream_and_log_are_streamed() {
    let mut raw = Vec::new();
    let mut log = Vec::new();
    for i in 0..N {
        raw.extend_from_slice(&order(i));
        log.extend_from_slice(b"20231114-22:13:20.000 : ");
        log.extend_from_slice(&order(i));
        log.push(b'\n');
    }
    for (bytes, format) in [(raw, Format::Raw), (log, Format::Log)] {
        let total = bytes.len() as u64;
        let (at_first, count) = first_message_after(bytes, format);
        assert_eq!(count, N as u64);
        assert!(
            at_first < total / 10,
            "{format:?}: read {at_first} of {total} first"
        );
    }
}

#[test]
fn a_file_log_line_and_noise() {
    use crate::decode::{Decoder, Item};
    let log = b"20231114-22:13:20.123 : 8=FIX.4.4\x019=5\x0135=0\x0110=163\x01\nnoise\n";
    let mut parser = ringfix::codec::Parser::new();
    let items: Vec<Item> = Decoder::from_reader(&log[..]).unwrap().collect();
    assert_eq!(items.len(), 2);
    match &items[0] {
        Item::Message(m) => {
            assert_eq!(m.ts.unwrap().to_string(), "2023-11-14T22:13:20.123Z");
            assert_eq!(m.view(&mut parser).unwrap().msg_type(), b"0");
        }
        Item::Problem(p) => panic!("{p}"),
    }
    match &items[1] {
        Item::Problem(p) => assert_eq!(p.to_string(), "line 2: not a FIX message: noise"),
        Item::Message(m) => panic!("{m:?}"),
    }
}
