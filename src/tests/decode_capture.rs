//! Captures written by the tests, decoded through the library API.
use ringfix_testkit::pcap as decode_support;

use std::io::Cursor;

use crate::decode::{Decoder, Format, Item, Message, Position, Problem};
use decode_support::*;

fn decode(bytes: Vec<u8>) -> (Format, Vec<Message>, Vec<Problem>) {
    let d = Decoder::from_reader(Cursor::new(bytes)).unwrap();
    let format = d.format();
    let (mut msgs, mut probs) = (Vec::new(), Vec::new());
    for item in d {
        match item {
            Item::Message(m) => msgs.push(m),
            Item::Problem(p) => probs.push(p),
        }
    }
    (format, msgs, probs)
}

fn logon() -> Vec<u8> {
    fix("35=A|49=CLIENT|56=SERVER|34=1|52=20231114-22:13:20.000|98=0|108=30")
}

fn order(id: u32) -> Vec<u8> {
    fix(&format!(
        "35=D|49=CLIENT|56=SERVER|34={id}|11=ORD{id}|55=IBM|54=1|38=100|40=2|44=12.5"
    ))
}

/// Logon both ways, then two orders, the second split over two segments.
fn session(link: Link, client: &str, server: &str) -> Conv {
    let mut c = Conv::new(link, client, server);
    c.handshake();
    c.send(true, &logon());
    c.send(false, &fix("35=A|49=SERVER|56=CLIENT|34=1|98=0|108=30"));
    c.send(true, &order(2));
    let o = order(3);
    c.send(true, &o[..20]);
    c.send(true, &o[20..]);
    c
}

fn check_session(c: &Conv, msgs: &[Message], probs: &[Problem]) {
    assert!(probs.is_empty(), "{probs:?}");
    assert_eq!(msgs.len(), 4);
    assert_eq!(msgs[0].bytes, logon());
    assert_eq!(msgs[0].src, Some(c.client));
    assert_eq!(msgs[0].dst, Some(c.server));
    assert_eq!(msgs[1].src, Some(c.server));
    assert_eq!(msgs[2].bytes, order(2));
    assert_eq!(msgs[3].bytes, order(3));
    // The split message is stamped with the packet that completed it.
    assert_eq!(msgs[3].at, Position::Packet(7));
    assert_eq!(
        msgs[3].ts.unwrap().nanos() as u64 / 1000,
        c.pkts[6].ts_nanos / 1000
    );
}

#[test]
fn ethernet_pcap() {
    let c = session(Link::Ethernet, "10.0.0.1:40000", "10.0.0.2:9878");
    let (format, msgs, probs) = decode(pcap(1, false, &c.pkts));
    assert_eq!(format, Format::Pcap);
    check_session(&c, &msgs, &probs);
    let ts = msgs[0].ts.unwrap();
    assert_eq!(ts.digits(), 6);
    assert_eq!(ts.utc().as_nanos(), ts.nanos());
    let mut parser = ringfix::codec::Parser::new();
    let view = msgs[2].view(&mut parser).unwrap();
    assert_eq!(view.msg_type(), b"D");
    assert_eq!(view.get(11), Some(&b"ORD2"[..]));
    assert_eq!(ts.to_string(), "2023-11-14T22:13:20.003000Z");
}

#[test]
fn linux_cooked_v1_and_v2() {
    for link in [Link::Sll, Link::Sll2] {
        let c = session(link, "192.168.1.10:5001", "192.168.1.20:9876");
        let (_, msgs, probs) = decode(pcap(link.linktype(), false, &c.pkts));
        check_session(&c, &msgs, &probs);
    }
}

#[test]
fn bsd_loopback_and_raw_ip() {
    for link in [Link::Null, Link::Raw] {
        for (client, server) in [
            ("127.0.0.1:40000", "127.0.0.1:9878"),
            ("[::1]:40000", "[::1]:9878"),
        ] {
            let c = session(link, client, server);
            let (_, msgs, probs) = decode(pcap(link.linktype(), false, &c.pkts));
            check_session(&c, &msgs, &probs);
        }
    }
}

#[test]
fn vlan_tagged_frames() {
    for link in [Link::Vlan, Link::QinQ] {
        let c = session(link, "10.1.1.1:1234", "10.1.1.2:4321");
        let (_, msgs, probs) = decode(pcap(1, false, &c.pkts));
        check_session(&c, &msgs, &probs);
    }
}

#[test]
fn ipv6() {
    let c = session(Link::Ethernet, "[2001:db8::1]:40000", "[2001:db8::2]:9878");
    let (_, msgs, probs) = decode(pcap(1, false, &c.pkts));
    check_session(&c, &msgs, &probs);
    assert_eq!(msgs[0].src.unwrap().to_string(), "[2001:db8::1]:40000");
}

#[test]
fn nanosecond_pcap() {
    let c = session(Link::Ethernet, "10.0.0.1:40000", "10.0.0.2:9878");
    let (_, msgs, probs) = decode(pcap(1, true, &c.pkts));
    check_session(&c, &msgs, &probs);
    let ts = msgs[0].ts.unwrap();
    assert_eq!(ts.nanos() as u64, c.pkts[2].ts_nanos);
    assert_eq!(ts.to_string(), "2023-11-14T22:13:20.003000369Z");
}

#[test]
fn pcapng_with_nanosecond_and_microsecond_resolution() {
    let c = session(Link::Sll2, "10.0.0.1:40000", "10.0.0.2:9878");
    let (format, msgs, probs) = decode(pcapng(276, 9, &c.pkts));
    assert_eq!(format, Format::PcapNg);
    check_session(&c, &msgs, &probs);
    assert_eq!(msgs[0].ts.unwrap().nanos() as u64, c.pkts[2].ts_nanos);
    let (_, msgs, _) = decode(pcapng(276, 6, &c.pkts));
    assert_eq!(
        msgs[0].ts.unwrap().to_string(),
        "2023-11-14T22:13:20.003000Z"
    );
}

#[test]
fn reordered_segments() {
    let mut c = Conv::new(Link::Ethernet, "10.0.0.1:40000", "10.0.0.2:9878");
    c.handshake();
    let (a, b) = (order(1), order(2));
    let mut both = a.clone();
    both.extend_from_slice(&b);
    let seq = c.seq[0];
    // Three segments sent as 3, 1, 2.
    c.segment_at(true, seq + 60, &both[60..]);
    c.segment_at(true, seq, &both[..30]);
    c.segment_at(true, seq + 30, &both[30..60]);
    let (_, msgs, probs) = decode(pcap(1, false, &c.pkts));
    assert!(probs.is_empty(), "{probs:?}");
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].bytes, a);
    assert_eq!(msgs[1].bytes, b);
    assert_eq!(msgs[1].at, Position::Packet(5));
}

#[test]
fn retransmitted_and_overlapping_segments() {
    let mut c = Conv::new(Link::Ethernet, "10.0.0.1:40000", "10.0.0.2:9878");
    c.handshake();
    let (a, b) = (order(1), order(2));
    let seq = c.seq[0];
    c.send(true, &a);
    c.segment_at(true, seq, &a); // full retransmission
    let mut tail = a[a.len() - 10..].to_vec();
    tail.extend_from_slice(&b);
    c.segment_at(true, seq + a.len() as u32 - 10, &tail); // overlaps the end of `a`
    c.segment_at(true, seq + a.len() as u32, &b); // and again
    let (_, msgs, probs) = decode(pcap(1, false, &c.pkts));
    assert!(probs.is_empty(), "{probs:?}");
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].bytes, a);
    assert_eq!(msgs[1].bytes, b);
}

#[test]
fn snaplen_cut_is_reported_and_the_stream_resyncs() {
    let mut c = Conv::new(Link::Ethernet, "10.0.0.1:40000", "10.0.0.2:9878");
    c.handshake();
    c.send(true, &order(1));
    c.send(true, &order(2));
    c.send(true, &order(3));
    // Packet 4 (order 2) cut at 100 bytes: 54 of headers, 46 of FIX.
    c.pkts[3] = c.pkts[3].clone().snap(100);
    let (_, msgs, probs) = decode(pcap(1, false, &c.pkts));
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].bytes, order(1));
    assert_eq!(msgs[1].bytes, order(3));
    assert_eq!(probs.len(), 1, "{probs:?}");
    assert_eq!(probs[0].at, Position::Packet(4));
    assert!(probs[0].what.contains("snaplen"), "{}", probs[0]);
    assert!(
        probs[0].what.contains("partial message of 46 bytes"),
        "{}",
        probs[0]
    );
    assert_eq!(probs[0].flow, Some((c.client, c.server)));
}

#[test]
fn lost_segment_is_a_gap() {
    let mut c = Conv::new(Link::Ethernet, "10.0.0.1:40000", "10.0.0.2:9878");
    c.handshake();
    c.send(true, &order(1));
    c.send(true, &order(2));
    c.send(true, &order(3));
    c.pkts.remove(3);
    let (_, msgs, probs) = decode(pcap(1, false, &c.pkts));
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[1].bytes, order(3));
    assert_eq!(probs.len(), 1, "{probs:?}");
    assert!(
        probs[0].what.contains("missing from the capture"),
        "{}",
        probs[0]
    );
}

#[test]
fn stream_without_syn_starting_mid_message() {
    let mut c = Conv::new(Link::Ethernet, "10.0.0.1:40000", "10.0.0.2:9878");
    let a = order(1);
    c.send(true, &a[30..]);
    c.send(true, &order(2));
    c.send(false, &fix("35=8|49=SERVER|56=CLIENT|34=9|150=0"));
    let (_, msgs, probs) = decode(pcap(1, false, &c.pkts));
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[0].bytes, order(2));
    assert_eq!(msgs[1].src, Some(c.server));
    assert_eq!(probs.len(), 1, "{probs:?}");
    assert!(probs[0].what.contains("mid-stream"), "{}", probs[0]);
    assert_eq!(probs[0].at, Position::Packet(1));
}

#[test]
fn non_fix_stream_is_reported_and_ignored() {
    let mut c = Conv::new(Link::Ethernet, "10.0.0.1:40000", "10.0.0.2:9878");
    c.handshake();
    c.send(true, &order(1));
    let mut http = Conv::new(Link::Ethernet, "10.0.0.1:40001", "10.0.0.3:80");
    http.handshake();
    http.send(true, b"GET / HTTP/1.1\r\nHost: example\r\n\r\n");
    let big = vec![b'x'; 1400];
    for _ in 0..50 {
        http.send(false, &big);
    }
    let mut pkts = c.pkts.clone();
    pkts.extend(http.pkts.iter().cloned());
    let (_, msgs, probs) = decode(pcap(1, false, &pkts));
    assert_eq!(msgs.len(), 1);
    assert_eq!(probs.len(), 2, "{probs:?}");
    let flows: Vec<_> = probs.iter().map(|p| p.flow.unwrap()).collect();
    assert!(flows.contains(&(http.client, http.server)));
    assert!(flows.contains(&(http.server, http.client)));
    assert!(probs.iter().all(|p| p.what.contains("not a FIX stream")));
}

#[test]
fn truncated_capture_file() {
    let c = session(Link::Ethernet, "10.0.0.1:40000", "10.0.0.2:9878");
    let mut file = pcap(1, false, &c.pkts);
    file.truncate(file.len() - 30);
    let (_, msgs, probs) = decode(file);
    // The last packet is lost: order 3 stays incomplete.
    assert_eq!(msgs.len(), 3);
    assert!(
        probs.iter().any(|p| p.what.contains("truncated")
            && matches!(
                p.at,
                Position::CaptureByte {
                    after_packet: 6,
                    ..
                }
            )),
        "{probs:?}"
    );
    assert!(
        probs.iter().any(|p| p.what.contains("incomplete message")),
        "{probs:?}"
    );
}

#[test]
fn capture_truncated_in_its_header_is_an_error() {
    let c = session(Link::Ethernet, "10.0.0.1:40000", "10.0.0.2:9878");
    let mut file = pcap(1, false, &c.pkts);
    file.truncate(10);
    assert!(Decoder::from_reader(Cursor::new(file)).is_err());
}

#[test]
fn big_endian_pcap_and_ipv6_over_sll() {
    let c = session(Link::Sll, "[fd00::1]:40000", "[fd00::2]:9878");
    let (format, msgs, probs) = decode(pcap_be(113, &c.pkts));
    assert_eq!(format, Format::Pcap);
    check_session(&c, &msgs, &probs);
}

#[test]
fn snaplen_shorter_than_the_headers() {
    let mut c = Conv::new(Link::Ethernet, "10.0.0.1:40000", "10.0.0.2:9878");
    c.handshake();
    c.send(true, &order(1));
    c.send(true, &order(2));
    c.send(true, &order(3));
    // Ethernet 14 + IPv4 20 + 10 bytes of the TCP header.
    c.pkts[3] = c.pkts[3].clone().snap(44);
    let (_, msgs, probs) = decode(pcap(1, false, &c.pkts));
    assert_eq!(msgs.len(), 2);
    assert_eq!(msgs[1].bytes, order(3));
    assert!(probs[0].what.contains("unreadable TCP header"), "{probs:?}");
    assert_eq!(probs[0].at, Position::Packet(4));
    // The segment is never seen: a hole in the stream when the capture ends.
    assert!(
        probs[1].what.contains("missing from the capture"),
        "{probs:?}"
    );
}

#[test]
fn hole_acknowledged_by_the_peer_is_skipped_without_waiting() {
    let mut c = Conv::new(Link::Ethernet, "10.0.0.1:40000", "10.0.0.2:9878");
    c.handshake();
    c.send(true, &order(1));
    c.send(true, &order(2));
    c.send(true, &order(3));
    c.pkts.remove(3); // order 2 never captured
                      // The server acknowledges everything, then answers.
    let (client, server, acked) = (c.client, c.server, c.seq[0]);
    let mut ack = ip_packet(server, client, c.seq[1], false, b"");
    // Acknowledgment number: bytes 8..12 of the TCP header after a 20-byte IPv4 header.
    ack[28..32].copy_from_slice(&acked.to_be_bytes());
    c.pkts
        .push(Pkt::new(T0 + 99_000_000, frame(Link::Ethernet, &ack)));
    c.send(false, &fix("35=8|49=S|56=C|34=2|150=0"));
    let (_, msgs, probs) = decode(pcap(1, false, &c.pkts));
    assert_eq!(msgs.len(), 3);
    // Order 3 is released by the ACK (packet 5), before the server's answer.
    assert_eq!(msgs[1].bytes, order(3));
    assert_eq!(msgs[1].at, Position::Packet(5));
    assert_eq!(msgs[2].src, Some(server));
    assert_eq!(probs.len(), 1, "{probs:?}");
    assert_eq!(probs[0].at, Position::Packet(5));
}

#[test]
fn fin_ends_a_direction_and_later_retransmissions_are_ignored() {
    for rst in [false, true] {
        let mut c = Conv::new(Link::Ethernet, "10.0.0.1:40000", "10.0.0.2:9878");
        c.handshake();
        let seq = c.seq[0];
        c.send(true, &order(1));
        let o = order(2);
        c.close(true, &o[..40], rst); // ends mid-message
        c.segment_at(true, seq, &order(1)); // retransmitted after the FIN
        c.send(false, &fix("35=5|34=9"));
        let (_, msgs, probs) = decode(pcap(1, false, &c.pkts));
        assert_eq!(msgs.len(), 2);
        assert_eq!(msgs[0].bytes, order(1));
        assert_eq!(msgs[1].src, Some(c.server));
        assert_eq!(probs.len(), 1, "{probs:?}");
        // Reported when the stream ended, not at the end of the capture.
        assert_eq!(probs[0].at, Position::Packet(4));
        assert!(probs[0].what.contains("incomplete message"), "{probs:?}");
    }
}

#[test]
fn pcapng_with_two_interfaces_and_an_undeclared_one() {
    let a = session(Link::Ethernet, "10.0.0.1:40000", "10.0.0.2:9878");
    let b = session(Link::Sll2, "10.9.0.1:50000", "10.9.0.2:9879");
    let mut pkts = Vec::new();
    for (pa, pb) in a.pkts.iter().zip(&b.pkts) {
        pkts.push((0, pa.clone()));
        pkts.push((1, pb.clone()));
    }
    pkts.insert(3, (5, a.pkts[0].clone()));
    let (format, msgs, probs) = decode(pcapng_multi(&[(1, 6), (276, 9)], &pkts));
    assert_eq!(format, Format::PcapNg);
    assert_eq!(msgs.len(), 8);
    let from_b: Vec<_> = msgs.iter().filter(|m| m.src == Some(b.client)).collect();
    assert_eq!(from_b.len(), 3);
    assert_eq!(from_b[0].ts.unwrap().digits(), 9);
    assert_eq!(probs.len(), 1, "{probs:?}");
    assert_eq!(probs[0].at, Position::Packet(4));
    assert!(probs[0].what.contains("undeclared pcapng interface 5"));
}

#[test]
fn other_traffic_is_ignored_and_fragments_are_reported() {
    let mut c = Conv::new(Link::Ethernet, "10.0.0.1:40000", "10.0.0.2:9878");
    c.handshake();
    c.send(true, &order(1));
    let mut udp = Vec::new();
    etherparse::PacketBuilder::ipv4([10, 0, 0, 1], [10, 0, 0, 9], 64)
        .udp(5353, 5353)
        .write(&mut udp, b"8=FIX.4.4 in a datagram")
        .unwrap();
    c.pkts.push(Pkt::new(T0 + 50, frame(Link::Ethernet, &udp)));
    let mut arp = vec![2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x06];
    arp.extend_from_slice(&[0, 1, 8, 0, 6, 4, 0, 1]);
    arp.extend_from_slice(&[0; 20]);
    c.pkts.push(Pkt::new(T0 + 60, arp));
    let mut frag = ip_packet(c.client, c.server, c.seq[0], false, &order(2));
    frag[6] |= 0x20; // more fragments
    c.pkts.push(Pkt::new(T0 + 70, frame(Link::Ethernet, &frag)));
    let (_, msgs, probs) = decode(pcap(1, false, &c.pkts));
    assert_eq!(msgs.len(), 1);
    assert_eq!(probs.len(), 1, "{probs:?}");
    assert_eq!(probs[0].at, Position::Packet(6));
    assert!(probs[0].what.contains("fragmented"), "{probs:?}");
}

#[test]
fn messages_carry_their_connection() {
    let mut c = session(Link::Ethernet, "10.0.0.1:40000", "10.0.0.2:9878");
    let first = c.pkts.len();
    // Reconnection on the same addresses.
    c.seq = [777_000, 888_000];
    c.handshake();
    c.send(true, &logon());
    let other = session(Link::Ethernet, "10.0.0.3:40001", "10.0.0.2:9878");
    let mut pkts = c.pkts.clone();
    pkts.extend(other.pkts.iter().cloned());
    let (_, msgs, probs) = decode(pcap(1, false, &pkts));
    assert!(probs.is_empty(), "{probs:?}");
    let ids: Vec<u64> = msgs.iter().map(|m| m.connection.unwrap().id).collect();
    assert_eq!(ids, [1, 1, 1, 1, 2, 3, 3, 3, 3]);
    assert!(msgs.iter().all(|m| {
        let conn = m.connection.unwrap();
        conn.client == Some(if conn.id == 3 { other.client } else { c.client })
    }));
    assert!(first > 0);
    // Without the handshake the client is unknown.
    let mut mid = Conv::new(Link::Ethernet, "10.0.0.1:40000", "10.0.0.2:9878");
    mid.send(true, &order(1));
    let (_, msgs, _) = decode(pcap(1, false, &mid.pkts));
    assert_eq!(msgs[0].connection.unwrap().client, None);
}

#[test]
fn repeated_complaints_are_summarised() {
    let c = session(Link::Ethernet, "10.0.0.1:40000", "10.0.0.2:9878");
    let (_, msgs, probs) = decode(pcap(147, false, &c.pkts));
    assert!(msgs.is_empty());
    assert_eq!(probs.len(), 6, "{probs:?}");
    assert!(probs[..5]
        .iter()
        .all(|p| p.what == "unsupported link type 147"));
    assert_eq!(probs[5].at, Position::Packet(1));
    assert!(probs[5].what.contains("in 7 packets in all"), "{probs:?}");
}

#[test]
fn decoder_can_move_to_another_thread() {
    fn send<T: Send>(_: &T) {}
    let d = Decoder::from_reader(Cursor::new(fix("35=0"))).unwrap();
    send(&d);
    let n = std::thread::spawn(move || d.count()).join().unwrap();
    assert_eq!(n, 1);
}
