//! TCP reassembly of one direction of a connection: in-order bytes out, holes
//! reported as gaps. Copes with retransmission, overlap, reordering, snaplen
//! cuts and streams whose SYN was not captured. Memory per flow is bounded.

use std::collections::BTreeMap;

use super::packet::Segment;
use super::time::Timestamp;

/// Most out-of-order bytes held per direction before the hole is given up on.
pub const MAX_OUT_OF_ORDER: usize = 4 << 20;

/// Where the bytes being delivered come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ctx {
    /// Packet number (1-based).
    pub packet: u64,
    pub ts: Option<Timestamp>,
}

/// Why bytes are missing from a stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GapKind {
    /// The capture's snaplen cut the segment short.
    Snaplen,
    /// Segments never captured (lost, or out-of-order buffer full).
    Lost,
}

/// Receives a direction's bytes in order.
pub(crate) trait Sink {
    /// Next bytes of the stream.
    fn data(&mut self, bytes: &[u8], ctx: Ctx);
    /// `missing` bytes of the stream are unknown.
    fn gap(&mut self, missing: u64, kind: GapKind, ctx: Ctx);
}

struct Pending {
    data: Vec<u8>,
    wire_len: usize,
    ctx: Ctx,
}

/// Reassembly state of one direction.
#[derive(Default)]
pub(crate) struct Reassembler {
    /// Sequence number of the next in-order byte; `None` before the first segment.
    next_seq: Option<u32>,
    /// Initial sequence number, when the SYN was seen.
    isn: Option<u32>,
    /// Sequence number of the first byte, when the stream began without a SYN.
    first_seq: Option<u32>,
    /// Stream offset of `next_seq` (bytes delivered or skipped so far).
    offset: u64,
    /// Out-of-order segments by stream offset.
    pending: BTreeMap<u64, Pending>,
    pending_bytes: usize,
    /// Segments entirely made of bytes already delivered.
    pub retransmissions: u64,
}

impl Reassembler {
    /// Whether no byte has been seen yet.
    pub(crate) fn is_fresh(&self) -> bool {
        self.next_seq.is_none()
    }

    /// A SYN that starts a new connection on this 4-tuple (not a retransmitted one).
    pub(crate) fn is_new_connection(&self, seg: &Segment<'_>) -> bool {
        if !seg.syn || self.next_seq.is_none() || self.isn == Some(seg.seq) {
            return false;
        }
        // A SYN captured after the first data of its own connection (reordering)
        // sits just before where the stream began.
        let late = self.first_seq.is_some_and(|first| {
            let behind = first.wrapping_sub(seg.seq.wrapping_add(1));
            behind < 1 << 20
        });
        !late
    }

    /// Feeds one segment.
    pub(crate) fn segment(&mut self, seg: &Segment<'_>, ctx: Ctx, sink: &mut dyn Sink) {
        let mut seq = seg.seq;
        if seg.syn && self.first_seq.is_some() {
            // Late SYN of a stream already begun: nothing to learn from it.
            seq = seq.wrapping_add(1);
        } else if seg.syn {
            if self.isn == Some(seg.seq) {
                // Retransmitted SYN: its data (TCP Fast Open) is handled as a retransmission below.
            } else {
                self.isn = Some(seg.seq);
                self.next_seq = Some(seg.seq.wrapping_add(1));
            }
            seq = seq.wrapping_add(1);
        }
        let next = match self.next_seq {
            Some(n) => n,
            None => {
                self.first_seq = Some(seq);
                *self.next_seq.insert(seq)
            }
        };
        if seg.wire_len == 0 {
            return;
        }
        let rel = i64::from(seq.wrapping_sub(next) as i32);
        let wire = seg.wire_len as i64;
        if rel + wire <= 0 {
            self.retransmissions += 1;
            return;
        }
        if rel > 0 {
            self.hold(
                self.offset + rel as u64,
                seg.payload,
                seg.wire_len,
                ctx,
                sink,
            );
            return;
        }
        // Overlaps what we have: keep only the new part.
        let skip = (-rel) as usize;
        let data = seg.payload.get(skip..).unwrap_or(&[]);
        self.deliver(data, seg.wire_len - skip, ctx, sink);
        self.drain(Some(ctx), sink);
    }

    /// The peer acknowledged everything before `ack`: a hole it covers was
    /// received, only not captured, so waiting for it is pointless.
    pub(crate) fn acked(&mut self, ack: u32, ctx: Ctx, sink: &mut dyn Sink) {
        let Some(next) = self.next_seq else {
            return;
        };
        let rel = i64::from(ack.wrapping_sub(next) as i32);
        if rel <= 0 {
            return;
        }
        let acked_to = self.offset + rel as u64;
        while let Some(&first) = self.pending.keys().next() {
            if first > acked_to {
                break;
            }
            if first > self.offset {
                self.skip(first - self.offset, GapKind::Lost, ctx, sink);
            }
            self.drain(Some(ctx), sink);
        }
    }

    /// End of capture: gives up on every hole and delivers what is buffered.
    pub(crate) fn finish(&mut self, sink: &mut dyn Sink) {
        while let Some((&at, p)) = self.pending.first_key_value() {
            if at > self.offset {
                self.skip(at - self.offset, GapKind::Lost, p.ctx, sink);
            }
            self.drain(None, sink);
        }
    }

    fn hold(&mut self, at: u64, data: &[u8], wire_len: usize, ctx: Ctx, sink: &mut dyn Sink) {
        let longer = self
            .pending
            .get(&at)
            .is_none_or(|p| p.wire_len < wire_len || p.data.len() < data.len());
        if longer {
            let old = self.pending.insert(
                at,
                Pending {
                    data: data.to_vec(),
                    wire_len,
                    ctx,
                },
            );
            self.pending_bytes += data.len();
            self.pending_bytes -= old.map_or(0, |p| p.data.len());
        }
        // Bounded memory: give up on the oldest hole until under the cap.
        while self.pending_bytes > MAX_OUT_OF_ORDER {
            let Some(&first) = self.pending.keys().next() else {
                break;
            };
            if first > self.offset {
                self.skip(first - self.offset, GapKind::Lost, ctx, sink);
            }
            self.drain(Some(ctx), sink);
        }
    }

    /// Delivers buffered segments that are now in order. `ctx`: the packet that
    /// made them deliverable (`None`: each segment's own, at end of capture).
    fn drain(&mut self, ctx: Option<Ctx>, sink: &mut dyn Sink) {
        while let Some(entry) = self.pending.first_entry() {
            let at = *entry.key();
            if at > self.offset {
                break;
            }
            let p = entry.remove();
            self.pending_bytes -= p.data.len();
            let skip = (self.offset - at) as usize;
            if skip >= p.wire_len {
                self.retransmissions += 1;
                continue;
            }
            let data = p.data.get(skip..).unwrap_or(&[]);
            self.deliver(data, p.wire_len - skip, ctx.unwrap_or(p.ctx), sink);
        }
    }

    /// In-order bytes: `data` captured, `wire_len - data.len()` cut by snaplen.
    fn deliver(&mut self, data: &[u8], wire_len: usize, ctx: Ctx, sink: &mut dyn Sink) {
        if !data.is_empty() {
            sink.data(data, ctx);
            self.advance(data.len() as u64);
        }
        let cut = wire_len.saturating_sub(data.len()) as u64;
        if cut > 0 {
            self.skip(cut, GapKind::Snaplen, ctx, sink);
        }
    }

    fn skip(&mut self, missing: u64, kind: GapKind, ctx: Ctx, sink: &mut dyn Sink) {
        sink.gap(missing, kind, ctx);
        self.advance(missing);
    }

    fn advance(&mut self, n: u64) {
        self.offset += n;
        if let Some(next) = self.next_seq.as_mut() {
            *next = next.wrapping_add(n as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::SocketAddr;

    #[derive(Default)]
    struct Collect {
        bytes: Vec<u8>,
        gaps: Vec<(u64, GapKind, u64)>,
        packets: Vec<u64>,
    }

    impl Sink for Collect {
        fn data(&mut self, bytes: &[u8], ctx: Ctx) {
            self.bytes.extend_from_slice(bytes);
            self.packets.push(ctx.packet);
        }
        fn gap(&mut self, missing: u64, kind: GapKind, ctx: Ctx) {
            self.gaps.push((missing, kind, ctx.packet));
            self.bytes.push(b'#');
        }
    }

    fn seg(seq: u32, payload: &[u8]) -> Segment<'_> {
        let a: SocketAddr = "10.0.0.1:1".parse().unwrap();
        Segment {
            src: a,
            dst: a,
            seq,
            syn: false,
            ack: None,
            payload,
            wire_len: payload.len(),
        }
    }

    fn ctx(packet: u64) -> Ctx {
        Ctx { packet, ts: None }
    }

    fn syn(seq: u32) -> Segment<'static> {
        Segment {
            syn: true,
            ..seg(seq, b"")
        }
    }

    #[test]
    fn in_order_with_syn_and_wrapping_sequence_numbers() {
        let mut r = Reassembler::default();
        let mut c = Collect::default();
        let isn = u32::MAX - 2;
        r.segment(&syn(isn), ctx(1), &mut c);
        r.segment(&seg(isn.wrapping_add(1), b"abcd"), ctx(2), &mut c);
        r.segment(&seg(isn.wrapping_add(5), b"efg"), ctx(3), &mut c);
        assert_eq!(c.bytes, b"abcdefg");
    }

    #[test]
    fn retransmissions_and_overlaps_are_delivered_once() {
        let mut r = Reassembler::default();
        let mut c = Collect::default();
        r.segment(&syn(100), ctx(1), &mut c);
        r.segment(&seg(101, b"abcd"), ctx(2), &mut c);
        r.segment(&seg(101, b"abcd"), ctx(3), &mut c);
        r.segment(&seg(103, b"cdef"), ctx(4), &mut c);
        r.segment(&seg(100, b"x"), ctx(5), &mut c); // keep-alive probe
        assert_eq!(c.bytes, b"abcdef");
        assert_eq!(r.retransmissions, 2);
    }

    #[test]
    fn reordered_segments_wait_for_the_hole() {
        let mut r = Reassembler::default();
        let mut c = Collect::default();
        r.segment(&syn(0), ctx(1), &mut c);
        r.segment(&seg(5, b"ef"), ctx(2), &mut c);
        r.segment(&seg(3, b"cd"), ctx(3), &mut c);
        assert!(c.bytes.is_empty());
        r.segment(&seg(1, b"ab"), ctx(4), &mut c);
        assert_eq!(c.bytes, b"abcdef");
        // Delivered when packet 4 filled the hole.
        assert_eq!(c.packets, [4, 4, 4]);
    }

    #[test]
    fn stream_without_syn_starts_at_first_segment() {
        let mut r = Reassembler::default();
        let mut c = Collect::default();
        r.segment(&seg(5000, b"xyz"), ctx(1), &mut c);
        r.segment(&seg(5003, b"w"), ctx(2), &mut c);
        assert_eq!(c.bytes, b"xyzw");
        assert!(r.isn.is_none());
    }

    #[test]
    fn snaplen_cut_reports_a_gap_and_continues() {
        let mut r = Reassembler::default();
        let mut c = Collect::default();
        r.segment(&syn(0), ctx(1), &mut c);
        let mut cut = seg(1, b"abc");
        cut.wire_len = 10;
        r.segment(&cut, ctx(2), &mut c);
        r.segment(&seg(11, b"k"), ctx(3), &mut c);
        assert_eq!(c.bytes, b"abc#k");
        assert_eq!(c.gaps, [(7, GapKind::Snaplen, 2)]);
    }

    #[test]
    fn lost_segment_is_a_gap_at_the_end() {
        let mut r = Reassembler::default();
        let mut c = Collect::default();
        r.segment(&syn(0), ctx(1), &mut c);
        r.segment(&seg(1, b"ab"), ctx(2), &mut c);
        r.segment(&seg(6, b"fg"), ctx(3), &mut c);
        r.finish(&mut c);
        assert_eq!(c.bytes, b"ab#fg");
        assert_eq!(c.gaps, [(3, GapKind::Lost, 3)]);
    }

    #[test]
    fn hole_acked_by_the_peer_is_given_up_at_once() {
        let mut r = Reassembler::default();
        let mut c = Collect::default();
        r.segment(&syn(0), ctx(1), &mut c);
        r.segment(&seg(1, b"ab"), ctx(2), &mut c);
        r.segment(&seg(6, b"fg"), ctx(3), &mut c);
        r.acked(3, ctx(4), &mut c); // acks only what we have: keep waiting
        assert_eq!(c.bytes, b"ab");
        r.acked(8, ctx(5), &mut c);
        assert_eq!(c.bytes, b"ab#fg");
        assert_eq!(c.gaps, [(3, GapKind::Lost, 5)]);
    }

    #[test]
    fn out_of_order_buffer_is_bounded() {
        let mut r = Reassembler::default();
        let mut c = Collect::default();
        r.segment(&syn(0), ctx(1), &mut c);
        let chunk = vec![b'z'; 1 << 20];
        for i in 0..6u32 {
            r.segment(
                &seg(101 + i * (1 << 20), &chunk),
                ctx(2 + u64::from(i)),
                &mut c,
            );
        }
        // The hole of 100 bytes was given up on once more than the cap was held.
        assert_eq!(c.gaps, [(100, GapKind::Lost, 6)]);
        assert!(r.pending_bytes <= MAX_OUT_OF_ORDER);
        r.finish(&mut c);
        assert_eq!(c.bytes.len(), 1 + 6 * (1 << 20));
    }

    #[test]
    fn new_syn_on_same_tuple_is_a_new_connection() {
        let mut r = Reassembler::default();
        let mut c = Collect::default();
        r.segment(&syn(0), ctx(1), &mut c);
        assert!(!r.is_new_connection(&syn(0)));
        assert!(r.is_new_connection(&syn(777)));
    }

    #[test]
    fn late_syn_of_a_stream_already_begun_is_ignored() {
        let mut r = Reassembler::default();
        let mut c = Collect::default();
        r.segment(&seg(101, b"ab"), ctx(1), &mut c);
        assert!(!r.is_new_connection(&syn(100)));
        r.segment(&syn(100), ctx(2), &mut c);
        r.segment(&seg(103, b"cd"), ctx(3), &mut c);
        assert_eq!(c.bytes, b"abcd");
        assert!(r.is_new_connection(&syn(5_000_000)));
    }
}
