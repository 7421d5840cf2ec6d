//! Test inputs written by the tests themselves: FIX messages, TCP/IP packets
//! in several link layers, and minimal pcap / pcapng writers.

use std::net::{IpAddr, SocketAddr};

use etherparse::PacketBuilder;

/// A FIX message from `35=D|49=A|…` (BeginString FIX.4.4): BodyLength and CheckSum computed.
pub fn fix(body: &str) -> Vec<u8> {
    fix_with("FIX.4.4", body)
}

/// A FIX message with the given BeginString.
pub fn fix_with(begin: &str, body: &str) -> Vec<u8> {
    let mut body = body.replace('|', "\x01");
    if !body.ends_with('\x01') {
        body.push('\x01');
    }
    let mut m = format!("8={begin}\x019={}\x01{body}", body.len()).into_bytes();
    let sum = m.iter().fold(0u8, |s, &b| s.wrapping_add(b));
    m.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
    m
}

/// How a frame is wrapped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Link {
    Ethernet,
    /// Ethernet with one 802.1Q tag.
    Vlan,
    /// Ethernet with 802.1ad + 802.1Q tags.
    QinQ,
    /// Linux cooked capture v1.
    Sll,
    /// Linux cooked capture v2.
    Sll2,
    /// BSD loopback: 4-byte address family in host order.
    Null,
    /// Raw IP, no link header.
    Raw,
}

impl Link {
    pub fn linktype(self) -> u32 {
        match self {
            Link::Ethernet | Link::Vlan | Link::QinQ => 1,
            Link::Sll => 113,
            Link::Sll2 => 276,
            Link::Null => 0,
            Link::Raw => 101,
        }
    }
}

/// TCP flags of a test segment.
#[derive(Debug, Clone, Copy, Default)]
pub struct Flags {
    pub syn: bool,
    /// ACK on a SYN (the server's SYN-ACK).
    pub syn_ack: bool,
    pub fin: bool,
    pub rst: bool,
}

/// One TCP segment as an IP packet (v4 or v6 after the addresses).
pub fn ip_packet(src: SocketAddr, dst: SocketAddr, seq: u32, syn: bool, payload: &[u8]) -> Vec<u8> {
    let flags = Flags {
        syn,
        ..Flags::default()
    };
    ip_packet_flags(src, dst, seq, flags, payload)
}

/// One TCP segment with the given flags (ACK set unless SYN).
pub fn ip_packet_flags(
    src: SocketAddr,
    dst: SocketAddr,
    seq: u32,
    flags: Flags,
    payload: &[u8],
) -> Vec<u8> {
    let syn = flags.syn;
    let mut out = Vec::new();
    match (src.ip(), dst.ip()) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            let b = PacketBuilder::ipv4(s.octets(), d.octets(), 64).tcp(
                src.port(),
                dst.port(),
                seq,
                65535,
            );
            let b = if syn { b.syn() } else { b.ack(1) };
            let b = if flags.syn_ack { b.ack(1) } else { b };
            let b = if flags.fin { b.fin() } else { b };
            let b = if flags.rst { b.rst() } else { b };
            b.write(&mut out, payload).unwrap();
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            let b = PacketBuilder::ipv6(s.octets(), d.octets(), 64).tcp(
                src.port(),
                dst.port(),
                seq,
                65535,
            );
            let b = if syn { b.syn() } else { b.ack(1) };
            let b = if flags.syn_ack { b.ack(1) } else { b };
            let b = if flags.fin { b.fin() } else { b };
            let b = if flags.rst { b.rst() } else { b };
            b.write(&mut out, payload).unwrap();
        }
        _ => panic!("mixed address families"),
    }
    out
}

/// Wraps an IP packet in a link-layer header.
pub fn frame(link: Link, ip: &[u8]) -> Vec<u8> {
    let ethertype: u16 = if ip[0] >> 4 == 6 { 0x86dd } else { 0x0800 };
    let mut f = Vec::new();
    match link {
        Link::Ethernet | Link::Vlan | Link::QinQ => {
            f.extend_from_slice(&[2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]);
            if link == Link::QinQ {
                f.extend_from_slice(&[0x88, 0xa8, 0x00, 0x64]);
            }
            if link != Link::Ethernet {
                f.extend_from_slice(&[0x81, 0x00, 0x00, 0x2a]);
            }
            f.extend_from_slice(&ethertype.to_be_bytes());
        }
        Link::Sll => {
            // packet type 0 (to us), ARPHRD_ETHER, address length 6, address, protocol.
            f.extend_from_slice(&[0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 1, 0, 0]);
            f.extend_from_slice(&ethertype.to_be_bytes());
        }
        Link::Sll2 => {
            f.extend_from_slice(&ethertype.to_be_bytes());
            f.extend_from_slice(&[0, 0]); // reserved
            f.extend_from_slice(&3u32.to_be_bytes()); // interface index
            f.extend_from_slice(&[0, 1, 0, 6]); // ARPHRD_ETHER, packet type, address length
            f.extend_from_slice(&[2, 0, 0, 0, 0, 1, 0, 0]);
        }
        Link::Null => {
            let family: u32 = if ethertype == 0x0800 { 2 } else { 30 };
            f.extend_from_slice(&family.to_le_bytes());
        }
        Link::Raw => {}
    }
    f.extend_from_slice(ip);
    f
}

/// A captured packet.
#[derive(Debug, Clone)]
pub struct Pkt {
    pub ts_nanos: u64,
    pub data: Vec<u8>,
    pub orig_len: u32,
}

impl Pkt {
    pub fn new(ts_nanos: u64, data: Vec<u8>) -> Self {
        let orig_len = data.len() as u32;
        Pkt {
            ts_nanos,
            data,
            orig_len,
        }
    }

    /// Cut to `snaplen` bytes, as a capture with that snaplen would.
    pub fn snap(mut self, snaplen: usize) -> Self {
        self.data.truncate(snaplen);
        self
    }
}

/// A classic little-endian pcap file (microsecond or nanosecond timestamps).
pub fn pcap(linktype: u32, nanos: bool, pkts: &[Pkt]) -> Vec<u8> {
    let mut f = Vec::new();
    let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
    f.extend_from_slice(&magic.to_le_bytes());
    f.extend_from_slice(&2u16.to_le_bytes());
    f.extend_from_slice(&4u16.to_le_bytes());
    f.extend_from_slice(&0i32.to_le_bytes());
    f.extend_from_slice(&0u32.to_le_bytes());
    f.extend_from_slice(&65535u32.to_le_bytes());
    f.extend_from_slice(&linktype.to_le_bytes());
    for p in pkts {
        let secs = (p.ts_nanos / 1_000_000_000) as u32;
        let frac = (p.ts_nanos % 1_000_000_000) as u32;
        let frac = if nanos { frac } else { frac / 1000 };
        f.extend_from_slice(&secs.to_le_bytes());
        f.extend_from_slice(&frac.to_le_bytes());
        f.extend_from_slice(&(p.data.len() as u32).to_le_bytes());
        f.extend_from_slice(&p.orig_len.to_le_bytes());
        f.extend_from_slice(&p.data);
    }
    f
}

/// A classic big-endian (microsecond) pcap file, as written on SPARC or POWER.
pub fn pcap_be(linktype: u32, pkts: &[Pkt]) -> Vec<u8> {
    let mut f = Vec::new();
    f.extend_from_slice(&0xa1b2_c3d4u32.to_be_bytes());
    f.extend_from_slice(&2u16.to_be_bytes());
    f.extend_from_slice(&4u16.to_be_bytes());
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&65535u32.to_be_bytes());
    f.extend_from_slice(&linktype.to_be_bytes());
    for p in pkts {
        f.extend_from_slice(&((p.ts_nanos / 1_000_000_000) as u32).to_be_bytes());
        f.extend_from_slice(&((p.ts_nanos % 1_000_000_000 / 1000) as u32).to_be_bytes());
        f.extend_from_slice(&(p.data.len() as u32).to_be_bytes());
        f.extend_from_slice(&p.orig_len.to_be_bytes());
        f.extend_from_slice(&p.data);
    }
    f
}

fn pad4(v: &mut Vec<u8>) {
    while v.len() % 4 != 0 {
        v.push(0);
    }
}

fn ng_block(out: &mut Vec<u8>, kind: u32, body: &[u8]) {
    let len = (12 + body.len()) as u32;
    out.extend_from_slice(&kind.to_le_bytes());
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(body);
    out.extend_from_slice(&len.to_le_bytes());
}

/// A little-endian pcapng file: one section, one interface with `if_tsresol`
/// = 10^-`tsresol` seconds, enhanced packet blocks.
pub fn pcapng(linktype: u16, tsresol: u8, pkts: &[Pkt]) -> Vec<u8> {
    let tagged: Vec<(u32, Pkt)> = pkts.iter().map(|p| (0, p.clone())).collect();
    pcapng_multi(&[(linktype, tsresol)], &tagged)
}

/// A pcapng file with several interfaces `(linktype, tsresol)`; each packet
/// names its interface.
pub fn pcapng_multi(interfaces: &[(u16, u8)], pkts: &[(u32, Pkt)]) -> Vec<u8> {
    let mut f = Vec::new();
    let mut shb = Vec::new();
    shb.extend_from_slice(&0x1a2b_3c4du32.to_le_bytes());
    shb.extend_from_slice(&1u16.to_le_bytes());
    shb.extend_from_slice(&0u16.to_le_bytes());
    shb.extend_from_slice(&(-1i64).to_le_bytes());
    ng_block(&mut f, 0x0a0d_0d0a, &shb);
    for &(linktype, tsresol) in interfaces {
        let mut idb = Vec::new();
        idb.extend_from_slice(&linktype.to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&0u32.to_le_bytes());
        // if_tsresol option, then opt_endofopt.
        idb.extend_from_slice(&9u16.to_le_bytes());
        idb.extend_from_slice(&1u16.to_le_bytes());
        idb.extend_from_slice(&[tsresol, 0, 0, 0]);
        idb.extend_from_slice(&[0, 0, 0, 0]);
        ng_block(&mut f, 1, &idb);
    }
    for (iface, p) in pkts {
        let tsresol = interfaces.get(*iface as usize).map_or(6, |i| i.1);
        let unit = 10u64.pow(9 - u32::from(tsresol));
        let ticks = p.ts_nanos / unit;
        let mut epb = Vec::new();
        epb.extend_from_slice(&iface.to_le_bytes());
        epb.extend_from_slice(&((ticks >> 32) as u32).to_le_bytes());
        epb.extend_from_slice(&(ticks as u32).to_le_bytes());
        epb.extend_from_slice(&(p.data.len() as u32).to_le_bytes());
        epb.extend_from_slice(&p.orig_len.to_le_bytes());
        epb.extend_from_slice(&p.data);
        pad4(&mut epb);
        ng_block(&mut f, 6, &epb);
    }
    f
}

/// Builds the packets of a TCP conversation on one link type.
pub struct Conv {
    pub link: Link,
    pub client: SocketAddr,
    pub server: SocketAddr,
    /// Next sequence number of each side (client, server).
    pub seq: [u32; 2],
    pub ts: u64,
    pub pkts: Vec<Pkt>,
}

/// 2023-11-14T22:13:20Z in nanoseconds.
pub const T0: u64 = 1_700_000_000_000_000_000;

impl Conv {
    pub fn new(link: Link, client: &str, server: &str) -> Self {
        Conv {
            link,
            client: client.parse().unwrap(),
            server: server.parse().unwrap(),
            seq: [1000, 5_000_000],
            ts: T0,
            pkts: Vec::new(),
        }
    }

    fn ends(&self, from_client: bool) -> (SocketAddr, SocketAddr, usize) {
        if from_client {
            (self.client, self.server, 0)
        } else {
            (self.server, self.client, 1)
        }
    }

    /// SYN from both sides.
    pub fn handshake(&mut self) -> &mut Self {
        for side in [true, false] {
            let (s, d, i) = self.ends(side);
            let flags = Flags {
                syn: true,
                syn_ack: !side,
                ..Flags::default()
            };
            let p = ip_packet_flags(s, d, self.seq[i], flags, b"");
            self.seq[i] = self.seq[i].wrapping_add(1);
            self.push(p);
        }
        self
    }

    /// The next bytes from one side, in one segment.
    pub fn send(&mut self, from_client: bool, payload: &[u8]) -> &mut Self {
        let (s, d, i) = self.ends(from_client);
        let p = ip_packet(s, d, self.seq[i], false, payload);
        self.seq[i] = self.seq[i].wrapping_add(payload.len() as u32);
        self.push(p);
        self
    }

    /// A segment at an explicit sequence number (retransmissions, reordering by hand).
    pub fn segment_at(&mut self, from_client: bool, seq: u32, payload: &[u8]) -> &mut Self {
        let (s, d, _) = self.ends(from_client);
        let p = ip_packet(s, d, seq, false, payload);
        self.push(p);
        self
    }

    /// The last bytes of one side, with FIN (or RST).
    pub fn close(&mut self, from_client: bool, payload: &[u8], rst: bool) -> &mut Self {
        let (s, d, i) = self.ends(from_client);
        let flags = Flags {
            fin: !rst,
            rst,
            ..Flags::default()
        };
        let p = ip_packet_flags(s, d, self.seq[i], flags, payload);
        self.seq[i] = self.seq[i].wrapping_add(payload.len() as u32 + u32::from(!rst));
        self.push(p);
        self
    }

    fn push(&mut self, ip: Vec<u8>) {
        self.ts += 1_000_123;
        self.pkts.push(Pkt::new(self.ts, frame(self.link, &ip)));
    }
}
