//! Link layer -> IP -> TCP: one captured frame to a TCP segment.

use std::net::{IpAddr, SocketAddr};

use etherparse::{EtherType, LaxNetSlice, LaxSlicedPacket, LenSource, TransportSlice};

/// LINKTYPE_* values (pcap-linktype(7)) we understand.
mod linktype {
    pub const NULL: i32 = 0;
    pub const ETHERNET: i32 = 1;
    pub const RAW_OLD: i32 = 12;
    pub const RAW_OPENBSD: i32 = 14;
    pub const RAW: i32 = 101;
    pub const LOOP: i32 = 108;
    pub const LINUX_SLL: i32 = 113;
    pub const IPV4: i32 = 228;
    pub const IPV6: i32 = 229;
    pub const LINUX_SLL2: i32 = 276;
}

/// A TCP segment, its payload borrowed from the frame.
#[derive(Debug)]
pub(crate) struct Segment<'a> {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub seq: u32,
    pub syn: bool,
    /// Acknowledgment number, when the ACK flag is set.
    pub ack: Option<u32>,
    /// Captured payload bytes.
    pub payload: &'a [u8],
    /// Payload length on the wire: more than `payload.len()` when snaplen cut the frame.
    pub wire_len: usize,
}

/// What a frame turned out to be.
#[derive(Debug)]
pub(crate) enum Parsed<'a> {
    Tcp(Segment<'a>),
    /// Not TCP over IP (ARP, UDP, ...): silently ignored.
    Other,
    /// TCP we cannot use, or a frame we cannot read: why.
    Unusable(String),
}

/// Splits a frame of the given link type down to its TCP segment.
pub(crate) fn parse(linktype: i32, data: &[u8], orig_len: u32) -> Parsed<'_> {
    let sliced = match linktype {
        linktype::ETHERNET => match LaxSlicedPacket::from_ethernet(data) {
            Ok(p) => p,
            Err(e) => return Parsed::Unusable(format!("bad Ethernet frame: {e}")),
        },
        // Linux cooked v1: 16-byte header, protocol (an EtherType) at 14.
        linktype::LINUX_SLL => match (data.get(14..16), data.get(16..)) {
            (Some(p), Some(rest)) => {
                LaxSlicedPacket::from_ether_type(EtherType(u16::from_be_bytes([p[0], p[1]])), rest)
            }
            _ => return Parsed::Unusable("truncated Linux cooked (SLL) header".into()),
        },
        // Linux cooked v2 (`tcpdump -i any` since libpcap 1.10): 20 bytes, protocol first.
        linktype::LINUX_SLL2 => match (data.get(0..2), data.get(20..)) {
            (Some(p), Some(rest)) => {
                LaxSlicedPacket::from_ether_type(EtherType(u16::from_be_bytes([p[0], p[1]])), rest)
            }
            _ => return Parsed::Unusable("truncated Linux cooked (SLL2) header".into()),
        },
        // BSD loopback: a 4-byte address family; the IP version nibble says the same.
        linktype::NULL | linktype::LOOP => match data.get(4..) {
            Some(rest) => match LaxSlicedPacket::from_ip(rest) {
                Ok(p) => p,
                Err(_) => return Parsed::Other,
            },
            None => return Parsed::Unusable("truncated loopback header".into()),
        },
        linktype::RAW
        | linktype::RAW_OLD
        | linktype::RAW_OPENBSD
        | linktype::IPV4
        | linktype::IPV6 => match LaxSlicedPacket::from_ip(data) {
            Ok(p) => p,
            Err(e) => return Parsed::Unusable(format!("bad IP header: {e}")),
        },
        other => return Parsed::Unusable(format!("unsupported link type {other}")),
    };
    // Bytes the capture cut off the end of the frame (snaplen).
    let cut = (orig_len as usize).saturating_sub(data.len());
    tcp_of(sliced, cut)
}

fn tcp_of(sliced: LaxSlicedPacket<'_>, cut: usize) -> Parsed<'_> {
    let (src_ip, dst_ip, ip_start, wire_ip_len, ip_payload): (IpAddr, IpAddr, _, _, _) =
        match &sliced.net {
            Some(LaxNetSlice::Ipv4(v4)) => {
                let h = v4.header();
                (
                    h.source_addr().into(),
                    h.destination_addr().into(),
                    h.slice().as_ptr() as usize,
                    usize::from(h.total_len()),
                    v4.payload().clone(),
                )
            }
            Some(LaxNetSlice::Ipv6(v6)) => {
                let h = v6.header();
                (
                    h.source_addr().into(),
                    h.destination_addr().into(),
                    h.slice().as_ptr() as usize,
                    40 + usize::from(h.payload_length()),
                    v6.payload().clone(),
                )
            }
            _ => return Parsed::Other,
        };
    if ip_payload.ip_number != etherparse::IpNumber::TCP {
        return Parsed::Other;
    }
    if ip_payload.fragmented {
        return Parsed::Unusable("fragmented IP packet carrying TCP (not reassembled)".into());
    }
    let tcp = match &sliced.transport {
        Some(TransportSlice::Tcp(tcp)) => tcp,
        _ => {
            let why = match &sliced.stop_err {
                Some((e, _)) => e.to_string(),
                None => "missing TCP header".into(),
            };
            return Parsed::Unusable(format!("unreadable TCP header (snaplen too small?): {why}"));
        }
    };
    let payload = tcp.payload();
    let captured = payload.len();
    let header_len = tcp.header_slice().len();
    let wire_len = if ip_payload.incomplete && ip_payload.len_source != LenSource::Slice {
        // The IP header knows the real length; the capture holds less.
        let payload_at = ip_payload.payload.as_ptr() as usize - ip_start;
        wire_ip_len.saturating_sub(payload_at + header_len)
    } else if ip_payload.len_source == LenSource::Slice {
        // No usable IP length (e.g. 0 from segmentation offload): trust the frame length.
        captured + cut
    } else {
        captured
    };
    Parsed::Tcp(Segment {
        src: SocketAddr::new(src_ip, tcp.source_port()),
        dst: SocketAddr::new(dst_ip, tcp.destination_port()),
        seq: tcp.sequence_number(),
        syn: tcp.syn(),
        ack: tcp.ack().then(|| tcp.acknowledgment_number()),
        payload,
        wire_len: wire_len.max(captured),
    })
}
