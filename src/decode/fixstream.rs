//! Frames FIX messages out of a byte stream that may hold junk and holes:
//! resynchronises on the next `8=FIX` after garbage or a gap.

use std::collections::VecDeque;
use std::net::SocketAddr;

use ringfix_codec::{frame, Frame};

use super::framing::{find_begin, BEGIN};
use super::tcp::{Ctx, GapKind, Sink};
use super::{Item, Message, Position, Problem};

/// Largest message accepted (a bigger BodyLength is garbage).
pub const MAX_MESSAGE: usize = 4 << 20;
/// A stream with this many bytes and no `8=FIX` is declared not FIX and ignored.
pub const NOT_FIX_AFTER: u64 = 64 << 10;

/// How positions are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Where {
    /// Packet number of the `Ctx` (captures).
    Packet,
    /// Byte offset in the stream (raw files).
    Byte,
    /// A line of a text log.
    Line(u64),
}

/// A run of skipped non-FIX bytes, reported when it ends.
struct Junk {
    start: u64,
    len: u64,
    blank: bool,
    ctx: Ctx,
}

/// One byte stream (a TCP direction, a file, a log line) being framed.
pub(crate) struct FixStream {
    buf: Vec<u8>,
    /// Stream offset of `buf[0]`.
    base: u64,
    /// `buf` starts at a message start.
    synced: bool,
    junk: Option<Junk>,
    messages: u64,
    /// The stream began mid-connection (no SYN): leading bytes are a message's tail.
    pub mid_stream: bool,
    ignored: bool,
    src: Option<SocketAddr>,
    dst: Option<SocketAddr>,
    place: Where,
}

impl FixStream {
    pub(crate) fn new(src: Option<SocketAddr>, dst: Option<SocketAddr>, place: Where) -> Self {
        FixStream {
            buf: Vec::new(),
            base: 0,
            synced: false,
            junk: None,
            messages: 0,
            mid_stream: false,
            ignored: false,
            src,
            dst,
            place,
        }
    }

    /// Starts over (next log line).
    pub(crate) fn reset(&mut self, place: Where) {
        self.buf.clear();
        self.base = 0;
        self.synced = false;
        self.junk = None;
        self.place = place;
    }

    /// Whether a message has begun and not ended.
    pub(crate) fn has_partial(&self) -> bool {
        self.synced && !self.buf.is_empty()
    }

    fn at(&self, ctx: Ctx, offset: u64) -> Position {
        match self.place {
            Where::Packet => Position::Packet(ctx.packet),
            Where::Byte => Position::Byte(offset),
            Where::Line(n) => Position::Line(n),
        }
    }

    fn problem(&self, ctx: Ctx, offset: u64, what: String) -> Item {
        let mut p = Problem::new(self.at(ctx, offset), what);
        if let (Some(s), Some(d)) = (self.src, self.dst) {
            p.flow = Some((s, d));
        }
        Item::Problem(p)
    }

    /// Next bytes of the stream.
    pub(crate) fn push(&mut self, bytes: &[u8], ctx: Ctx, out: &mut VecDeque<Item>) {
        if self.ignored {
            self.base += bytes.len() as u64;
            return;
        }
        self.buf.extend_from_slice(bytes);
        self.frame_all(ctx, out);
    }

    fn frame_all(&mut self, ctx: Ctx, out: &mut VecDeque<Item>) {
        let mut used = 0;
        loop {
            let rest = self.buf.get(used..).unwrap_or(&[]);
            if !self.synced {
                let found = find_begin(rest, 0);
                // Keep a possible partial `8=FIX` at the end for the next push.
                let skip = found.unwrap_or(rest.len().saturating_sub(BEGIN.len() - 1));
                if skip > 0 {
                    let chunk = rest.get(..skip).unwrap_or(&[]);
                    note_junk(&mut self.junk, chunk, self.base + used as u64, ctx);
                    used += skip;
                }
                if found.is_none() {
                    self.check_not_fix(out);
                    break;
                }
                self.end_junk(out);
                self.synced = true;
                continue;
            }
            let start = self.base + used as u64;
            match frame(rest, MAX_MESSAGE) {
                Frame::Complete(len) => {
                    out.push_back(Item::Message(Message {
                        ts: ctx.ts,
                        src: self.src,
                        dst: self.dst,
                        bytes: rest.get(..len).unwrap_or(&[]).to_vec(),
                        at: self.at(ctx, start),
                    }));
                    self.messages += 1;
                    self.mid_stream = false;
                    used += len;
                    self.synced = false;
                }
                Frame::Incomplete => break,
                Frame::Garbled { skip, error } => {
                    let skip = skip.max(1);
                    out.push_back(self.problem(
                        ctx,
                        start,
                        format!(
                            "garbled message ({error}), {skip} bytes skipped: {}",
                            preview(rest)
                        ),
                    ));
                    used += skip;
                    self.synced = false;
                }
            }
        }
        self.buf.drain(..used.min(self.buf.len()));
        self.base += used as u64;
    }

    fn end_junk(&mut self, out: &mut VecDeque<Item>) {
        let Some(j) = self.junk.take() else {
            return;
        };
        if j.blank {
            return;
        }
        let what = if self.mid_stream && self.messages == 0 {
            format!(
                "capture starts mid-stream: {} bytes before the first message skipped",
                j.len
            )
        } else {
            format!("{} bytes of non-FIX data skipped", j.len)
        };
        out.push_back(self.problem(j.ctx, j.start, what));
    }

    /// A long stream without any `8=FIX` is not FIX: say so once and ignore it.
    fn check_not_fix(&mut self, out: &mut VecDeque<Item>) {
        if self.messages > 0 || self.place != Where::Packet {
            return;
        }
        if let Some(j) = &self.junk {
            if j.len >= NOT_FIX_AFTER && !j.blank {
                let item = self.problem(
                    j.ctx,
                    j.start,
                    format!(
                        "not a FIX stream (no 8=FIX in its first {} bytes): ignored",
                        j.len
                    ),
                );
                out.push_back(item);
                self.junk = None;
                self.ignored = true;
                self.base += self.buf.len() as u64;
                self.buf.clear();
            }
        }
    }

    /// `missing` bytes of the stream are unknown: drop any partial message and resync.
    pub(crate) fn gap(&mut self, missing: u64, kind: GapKind, ctx: Ctx, out: &mut VecDeque<Item>) {
        if self.ignored {
            self.base += missing;
            return;
        }
        let why = match kind {
            GapKind::Snaplen => "cut by the capture's snaplen",
            GapKind::Lost => "missing from the capture",
        };
        let partial = if self.synced && !self.buf.is_empty() {
            format!(
                "; partial message of {} bytes dropped: {}",
                self.buf.len(),
                preview(&self.buf)
            )
        } else {
            String::new()
        };
        self.end_junk(out);
        let start = self.base + self.buf.len() as u64;
        out.push_back(self.problem(
            ctx,
            start,
            format!("{missing} bytes {why} at stream offset {start}{partial}"),
        ));
        self.base = start + missing;
        self.buf.clear();
        self.synced = false;
    }

    /// End of the stream: report what is left over.
    pub(crate) fn finish(&mut self, ctx: Ctx, out: &mut VecDeque<Item>) {
        if self.ignored {
            return;
        }
        let pending = std::mem::take(&mut self.buf);
        if self.synced && !pending.is_empty() {
            out.push_back(self.problem(
                ctx,
                self.base,
                format!(
                    "incomplete message at end of {} ({} bytes): {}",
                    match self.place {
                        Where::Packet => "capture",
                        Where::Byte => "input",
                        Where::Line(_) => "line",
                    },
                    pending.len(),
                    preview(&pending)
                ),
            ));
        } else if !pending.is_empty() {
            note_junk(&mut self.junk, &pending, self.base, ctx);
        }
        self.base += pending.len() as u64;
        self.synced = false;
        if self.messages == 0 && self.place == Where::Packet {
            if let Some(j) = self.junk.take() {
                if !j.blank {
                    let what = format!("not a FIX stream ({} bytes, no FIX message)", j.len);
                    out.push_back(self.problem(j.ctx, j.start, what));
                }
            }
        }
        self.end_junk(out);
    }
}

/// Adds skipped bytes to the current run of junk.
fn note_junk(junk: &mut Option<Junk>, chunk: &[u8], start: u64, ctx: Ctx) {
    let blank = chunk.iter().all(u8::is_ascii_whitespace);
    match junk.as_mut() {
        Some(j) => {
            j.len += chunk.len() as u64;
            j.blank &= blank;
        }
        None => {
            *junk = Some(Junk {
                start,
                len: chunk.len() as u64,
                blank,
                ctx,
            })
        }
    }
}

/// The first bytes of a message for an error text, SOH shown as `|`.
pub(crate) fn preview(bytes: &[u8]) -> String {
    const MAX: usize = 60;
    let mut s: String = bytes
        .iter()
        .take(MAX)
        .map(|&b| match b {
            0x01 => '|',
            0x20..=0x7e => b as char,
            _ => '.',
        })
        .collect();
    if bytes.len() > MAX {
        s.push('…');
    }
    s
}

/// Feeds reassembled TCP bytes into a stream.
pub(crate) struct StreamSink<'a> {
    pub stream: &'a mut FixStream,
    pub out: &'a mut VecDeque<Item>,
}

impl Sink for StreamSink<'_> {
    fn data(&mut self, bytes: &[u8], ctx: Ctx) {
        self.stream.push(bytes, ctx, self.out);
    }
    fn gap(&mut self, missing: u64, kind: GapKind, ctx: Ctx) {
        self.stream.gap(missing, kind, ctx, self.out);
    }
}
