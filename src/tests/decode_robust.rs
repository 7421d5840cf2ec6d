//! Properties: any segmentation, order and duplication of a captured TCP
//! stream decodes to the same messages; damaged input never panics.
use ringfix_testkit::pcap as decode_support;

use std::io::Cursor;

use crate::decode::{Decoder, Format, Item};
use decode_support::*;
use proptest::prelude::*;

fn messages(n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| {
            fix(&format!(
                "35=D|34={i}|11=ID{i}|58={}",
                "x".repeat(i * 7 % 50)
            ))
        })
        .collect()
}

fn decode(bytes: Vec<u8>) -> (Vec<Vec<u8>>, usize) {
    let Ok(d) = Decoder::from_reader(Cursor::new(bytes)) else {
        return (Vec::new(), 0);
    };
    let (mut m, mut p) = (Vec::new(), 0);
    for item in d {
        match item {
            Item::Message(x) => m.push(x.bytes),
            Item::Problem(_) => p += 1,
        }
    }
    (m, p)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_segmentation_order_and_duplication(
        n in 1usize..8,
        cuts in prop::collection::vec(1usize..120, 1..40),
        order in prop::collection::vec(any::<u16>(), 40),
        dups in prop::collection::vec(any::<bool>(), 40),
        with_syn in any::<bool>(),
    ) {
        let msgs = messages(n);
        let stream: Vec<u8> = msgs.concat();
        let mut c = Conv::new(Link::Ethernet, "10.0.0.1:40000", "10.0.0.2:9878");
        if with_syn {
            c.handshake();
        }
        let base = c.seq[0];
        // Segments covering the stream.
        let mut segs = Vec::new();
        let (mut at, mut i) = (0usize, 0usize);
        while at < stream.len() {
            let len = cuts[i % cuts.len()].min(stream.len() - at);
            segs.push((at, len));
            at += len;
            i += 1;
        }
        // Without a SYN the stream starts at the first captured segment: keep it first.
        let fixed = usize::from(!with_syn);
        let mut rest: Vec<_> = segs[fixed..].to_vec();
        let mut shuffled = segs[..fixed].to_vec();
        let mut k = 0;
        while !rest.is_empty() {
            let j = usize::from(order[k % order.len()]) % rest.len();
            let s = rest.remove(j);
            shuffled.push(s);
            if dups[k % dups.len()] {
                shuffled.push(s);
            }
            k += 1;
        }
        for (at, len) in shuffled {
            c.segment_at(true, base.wrapping_add(at as u32), &stream[at..at + len]);
        }
        let (got, problems) = decode(pcap(1, false, &c.pkts));
        prop_assert_eq!(problems, 0);
        prop_assert_eq!(got, msgs);
    }

    #[test]
    fn damaged_captures_do_not_panic(
        flips in prop::collection::vec((any::<u16>(), any::<u8>()), 1..20),
        cut in any::<u16>(),
    ) {
        let mut c = Conv::new(Link::Sll2, "10.0.0.1:40000", "10.0.0.2:9878");
        c.handshake();
        for m in messages(6) {
            c.send(true, &m);
        }
        for (file, header) in [(pcap(276, false, &c.pkts), 24), (pcapng(276, 9, &c.pkts), 48)] {
            let mut file = file;
            for (pos, val) in &flips {
                let i = header + usize::from(*pos) % (file.len() - header);
                file[i] ^= val;
            }
            file.truncate(header + usize::from(cut) % (file.len() - header) + 1);
            decode(file);
        }
    }

    #[test]
    fn arbitrary_bytes_do_not_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        for format in [Format::Pcap, Format::PcapNg, Format::Log, Format::Raw, Format::Journal] {
            if let Ok(d) = Decoder::with_format(format, Cursor::new(bytes.clone())) {
                d.count();
            }
        }
        decode(bytes);
    }

    #[test]
    fn logs_in_any_style_decode_every_message(
        n in 1usize..10,
        prefix in prop::sample::select(vec!["", "20231114-22:13:20.123 : ", "2023-11-14T22:13:20.123456Z IN "]),
        crlf in any::<bool>(),
        bars in any::<bool>(),
        noise in any::<bool>(),
    ) {
        let msgs = messages(n);
        let mut log = Vec::new();
        for m in &msgs {
            log.extend_from_slice(prefix.as_bytes());
            if bars {
                log.extend(m.iter().map(|&b| if b == 1 { b'|' } else { b }));
            } else {
                log.extend_from_slice(m);
            }
            log.extend_from_slice(if crlf { b"\r\n" } else { b"\n" });
            if noise {
                log.extend_from_slice(b"20231114-22:13:20.200 : Session event, no FIX here\n");
            }
        }
        let (got, problems) = decode(log);
        prop_assert_eq!(problems, 0);
        prop_assert_eq!(got, msgs);
    }

    #[test]
    fn field_splitting_never_panics(bytes in prop::collection::vec(
        prop::sample::select(vec![b'1', b'9', b'5', b'=', 0x01, b'x']), 0..200)) {
        let (fields, error) = crate::decode::fields::split_fields(&bytes);
        prop_assert!(error.is_some() || fields.len() <= bytes.len());
    }

    #[test]
    fn garbage_between_messages_is_skipped(
        junk in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..50), 4),
    ) {
        let msgs = messages(4);
        let mut raw = Vec::new();
        for (m, j) in msgs.iter().zip(&junk) {
            // Junk must not itself hold a message start.
            let j: Vec<u8> = j.iter().map(|&b| if b == b'8' { b'7' } else { b }).collect();
            raw.extend_from_slice(&j);
            raw.extend_from_slice(m);
        }
        let d = Decoder::with_format(Format::Raw, Cursor::new(raw)).unwrap();
        let got: Vec<_> = d.filter_map(|i| match i { Item::Message(m) => Some(m.bytes), _ => None }).collect();
        prop_assert_eq!(got, msgs);
    }
}
