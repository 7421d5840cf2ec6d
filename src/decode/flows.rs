//! Captures: packets -> TCP directions -> FIX messages.

use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::net::SocketAddr;

use super::capture::{CaptureReader, Step};
use super::fixstream::{FixStream, StreamSink, Where};
use super::packet::{self, Parsed};
use super::tcp::{Ctx, Reassembler};
use super::{DecodeError, Item, Position, Problem};

/// The same per-packet complaint is shown this many times, then only counted.
const REPEATS: u64 = 5;

type FlowKey = (SocketAddr, SocketAddr);

/// One direction of a TCP connection.
struct Flow {
    tcp: Reassembler,
    fix: FixStream,
}

impl Flow {
    fn new(key: FlowKey) -> Self {
        Flow {
            tcp: Reassembler::default(),
            fix: FixStream::new(Some(key.0), Some(key.1), Where::Packet),
        }
    }

    fn finish(&mut self, ctx: Ctx, out: &mut VecDeque<Item>) {
        self.tcp.finish(&mut StreamSink {
            stream: &mut self.fix,
            out,
        });
        self.fix.finish(ctx, out);
    }
}

/// A capture being decoded.
pub(crate) struct CaptureSource {
    reader: CaptureReader,
    /// Index into `flows`, which keeps first-seen order for the end-of-capture report.
    index: HashMap<FlowKey, usize>,
    flows: Vec<Flow>,
    /// How often each per-packet complaint was seen.
    complaints: HashMap<String, (u64, u64)>,
    last: Ctx,
    done: bool,
}

impl CaptureSource {
    pub(crate) fn new<R: Read + Send + 'static>(input: R) -> Result<Self, DecodeError> {
        Ok(CaptureSource {
            reader: CaptureReader::new(input)?,
            index: HashMap::new(),
            flows: Vec::new(),
            complaints: HashMap::new(),
            last: Ctx {
                packet: 0,
                ts: None,
            },
            done: false,
        })
    }

    /// Reads one packet's worth; `false` once the capture is exhausted.
    pub(crate) fn fill(&mut self, out: &mut VecDeque<Item>) -> bool {
        if self.done {
            return false;
        }
        let CaptureSource {
            reader,
            index,
            flows,
            complaints,
            last,
            ..
        } = self;
        let step = reader.next_packet(&mut |p| {
            let ctx = Ctx {
                packet: p.number,
                ts: p.ts,
            };
            *last = ctx;
            match packet::parse(p.linktype, p.data, p.orig_len) {
                Parsed::Tcp(seg) => {
                    let key = (seg.src, seg.dst);
                    let i = *index.entry(key).or_insert_with(|| {
                        flows.push(Flow::new(key));
                        flows.len() - 1
                    });
                    let Some(flow) = flows.get_mut(i) else {
                        return;
                    };
                    if flow.tcp.is_new_connection(&seg) {
                        flow.finish(ctx, out);
                        *flow = Flow::new(key);
                    }
                    if flow.tcp.is_fresh() {
                        flow.fix.mid_stream = !seg.syn;
                    }
                    flow.tcp.segment(
                        &seg,
                        ctx,
                        &mut StreamSink {
                            stream: &mut flow.fix,
                            out,
                        },
                    );
                    let reverse = index.get(&(seg.dst, seg.src)).copied();
                    if let (Some(ack), Some(r)) = (seg.ack, reverse) {
                        if let Some(rev) = flows.get_mut(r) {
                            rev.tcp.acked(
                                ack,
                                ctx,
                                &mut StreamSink {
                                    stream: &mut rev.fix,
                                    out,
                                },
                            );
                        }
                    }
                }
                Parsed::Other => {}
                Parsed::Unusable(why) => {
                    let seen = complaints.entry(why.clone()).or_insert((0, p.number));
                    seen.0 += 1;
                    if seen.0 <= REPEATS {
                        out.push_back(Item::Problem(Problem::new(Position::Packet(p.number), why)));
                    }
                }
            }
        });
        match step {
            Step::Packet => true,
            Step::Problem(p) => {
                out.push_back(Item::Problem(p));
                true
            }
            Step::End => {
                self.done = true;
                let last = self.last;
                for flow in &mut self.flows {
                    flow.finish(last, out);
                }
                let mut repeated: Vec<_> = self
                    .complaints
                    .iter()
                    .filter(|(_, (n, _))| *n > REPEATS)
                    .collect();
                repeated.sort_by_key(|(_, (_, first))| *first);
                for (why, (n, first)) in repeated {
                    out.push_back(Item::Problem(Problem::new(
                        Position::Packet(*first),
                        format!("{why} (in {n} packets in all, from this one on)"),
                    )));
                }
                false
            }
        }
    }
}
