//! pcap and pcapng captures, read as a stream of link-layer packets (constant memory).

use std::io::Read;

use pcap_parser::pcapng::Block;
use pcap_parser::traits::{PcapNGPacketBlock, PcapReaderIterator};
use pcap_parser::{create_reader, PcapBlockOwned, PcapError};

use super::time::Timestamp;
use super::{DecodeError, Position, Problem};

/// Initial read buffer; grown when a block does not fit.
const BUFFER: usize = 1 << 16;
/// Largest block we grow the buffer for (pcapng blocks are length-prefixed u32).
const MAX_BUFFER: usize = 1 << 28;

/// One captured frame, borrowed from the reader's buffer.
pub(crate) struct Packet<'a> {
    /// 1-based number, as Wireshark counts frames.
    pub number: u64,
    pub ts: Option<Timestamp>,
    /// LINKTYPE_* of the interface.
    pub linktype: i32,
    /// Captured bytes (at most snaplen).
    pub data: &'a [u8],
    /// Length of the frame on the wire.
    pub orig_len: u32,
}

/// What the reader produced.
pub(crate) enum Step {
    /// A packet went to the callback.
    Packet,
    /// A packet was skipped, or the capture is unreadable from here on (truncated,
    /// corrupt): the next call then returns `End`.
    Problem(Problem),
    /// Clean end of the capture.
    End,
}

#[derive(Clone, Copy)]
struct Interface {
    linktype: i32,
    /// Timestamp units per second.
    resolution: u64,
    offset_secs: i64,
    digits: u8,
}

/// Streaming reader over pcap (micro/nanosecond, either byte order) and pcapng.
pub(crate) struct CaptureReader {
    reader: Box<dyn PcapReaderIterator + Send>,
    state: State,
}

struct State {
    /// Legacy pcap: (linktype, nanosecond precision).
    legacy: Option<(i32, bool)>,
    /// pcapng interfaces of the current section, by interface id.
    interfaces: Vec<Interface>,
    packets: u64,
    done: bool,
}

impl CaptureReader {
    /// Reads the file header; the rest is read packet by packet.
    pub(crate) fn new<R: Read + Send + 'static>(input: R) -> Result<Self, DecodeError> {
        let reader = create_reader(BUFFER, input).map_err(|e| match e {
            PcapError::Eof | PcapError::Incomplete(_) | PcapError::UnexpectedEof => {
                DecodeError::Unreadable("capture file truncated inside its header".into())
            }
            PcapError::ReadError => DecodeError::Unreadable("read error in capture header".into()),
            other => DecodeError::Unreadable(format!("not a valid pcap/pcapng file: {other}")),
        })?;
        Ok(CaptureReader {
            reader,
            state: State {
                legacy: None,
                interfaces: Vec::new(),
                packets: 0,
                done: false,
            },
        })
    }

    /// Reads blocks until the next packet, which is passed to `on_packet`.
    pub(crate) fn next_packet(&mut self, on_packet: &mut dyn FnMut(Packet<'_>)) -> Step {
        loop {
            if self.state.done {
                return Step::End;
            }
            let offset = self.reader.consumed() as u64;
            let failure = match self.reader.next() {
                Ok((len, block)) => {
                    let got = self.state.block(block, on_packet);
                    self.reader.consume(len);
                    match got {
                        Ok(true) => return Step::Packet,
                        Ok(false) => continue,
                        Err(p) => return Step::Problem(p),
                    }
                }
                Err(PcapError::Eof) => {
                    self.state.done = true;
                    return Step::End;
                }
                Err(PcapError::Incomplete(_)) => match self.reader.refill() {
                    Ok(()) => continue,
                    Err(_) => "read error".to_string(),
                },
                Err(PcapError::BufferTooSmall) => {
                    let size = self.reader.data().len().max(BUFFER) * 4;
                    if size <= MAX_BUFFER && self.reader.grow(size) {
                        match self.reader.refill() {
                            Ok(()) => continue,
                            Err(_) => "read error".to_string(),
                        }
                    } else {
                        "block larger than 256 MiB: corrupt capture".to_string()
                    }
                }
                Err(PcapError::UnexpectedEof) => format!(
                    "capture truncated: last block incomplete ({} bytes left over)",
                    self.reader.data().len()
                ),
                Err(e) => format!("corrupt capture block: {e}"),
            };
            self.state.done = true;
            return Step::Problem(Problem::new(
                Position::CaptureByte {
                    offset,
                    after_packet: self.state.packets,
                },
                failure,
            ));
        }
    }
}

impl State {
    /// Handles one block; `Ok(true)` when it was a packet.
    fn block(
        &mut self,
        block: PcapBlockOwned<'_>,
        on_packet: &mut dyn FnMut(Packet<'_>),
    ) -> Result<bool, Problem> {
        match block {
            PcapBlockOwned::LegacyHeader(h) => {
                self.legacy = Some((h.network.0, h.is_nanosecond_precision()));
                Ok(false)
            }
            PcapBlockOwned::Legacy(b) => {
                let (linktype, nanos) = self.legacy.unwrap_or((1, false));
                self.packets += 1;
                let frac = if nanos {
                    i64::from(b.ts_usec)
                } else {
                    i64::from(b.ts_usec) * 1000
                };
                let ns = i64::from(b.ts_sec) * 1_000_000_000 + frac;
                on_packet(Packet {
                    number: self.packets,
                    ts: Some(Timestamp::from_nanos(ns, if nanos { 9 } else { 6 })),
                    linktype,
                    data: b.data,
                    orig_len: b.origlen,
                });
                Ok(true)
            }
            PcapBlockOwned::NG(Block::SectionHeader(_)) => {
                self.interfaces.clear();
                Ok(false)
            }
            PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                let resolution = idb.ts_resolution().unwrap_or(1_000_000);
                let digits = if idb.if_tsresol & 0x80 == 0 {
                    idb.if_tsresol.min(9)
                } else {
                    9
                };
                self.interfaces.push(Interface {
                    linktype: idb.linktype.0,
                    resolution: resolution.max(1),
                    offset_secs: idb.if_tsoffset,
                    digits,
                });
                Ok(false)
            }
            PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                self.packets += 1;
                let iface = self.interface(epb.if_id)?;
                let ticks = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                let secs = i64::try_from(ticks / iface.resolution).unwrap_or(i64::MAX / 2);
                let sub = u128::from(ticks % iface.resolution) * 1_000_000_000
                    / u128::from(iface.resolution);
                let ns = secs
                    .saturating_add(iface.offset_secs)
                    .saturating_mul(1_000_000_000)
                    .saturating_add(sub as i64);
                on_packet(Packet {
                    number: self.packets,
                    ts: Some(Timestamp::from_nanos(ns, iface.digits)),
                    linktype: iface.linktype,
                    data: epb.packet_data(),
                    orig_len: epb.origlen,
                });
                Ok(true)
            }
            PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                self.packets += 1;
                let iface = self.interface(0)?;
                on_packet(Packet {
                    number: self.packets,
                    ts: None,
                    linktype: iface.linktype,
                    data: spb.packet_data(),
                    orig_len: spb.origlen,
                });
                Ok(true)
            }
            PcapBlockOwned::NG(_) => Ok(false),
        }
    }

    fn interface(&self, id: u32) -> Result<Interface, Problem> {
        self.interfaces.get(id as usize).copied().ok_or_else(|| {
            Problem::new(
                Position::Packet(self.packets),
                format!("packet refers to undeclared pcapng interface {id}"),
            )
        })
    }
}
