//! Text logs (a message per line, optional timestamp prefix) and raw FIX streams.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};

use super::fixstream::{preview, FixStream, Where, MAX_MESSAGE};
use super::framing::find_begin;
use super::tcp::Ctx;
use super::time::parse_log_timestamp;
use super::{Item, Position, Problem};

/// Raw streams are read in chunks of this size.
const CHUNK: usize = 64 << 10;
/// Longest log line accepted: a message plus its prefix.
const MAX_LINE: usize = MAX_MESSAGE + 4096;

enum Mode {
    Lines {
        line: u64,
        buf: Vec<u8>,
        /// A message left incomplete by an earlier line (a value holding a newline).
        open: Option<Open>,
    },
    Raw {
        chunk: Vec<u8>,
    },
}

/// A log or raw stream being decoded.
pub(crate) struct TextSource {
    input: BufReader<Box<dyn Read + Send>>,
    mode: Mode,
    stream: FixStream,
    done: bool,
}

impl TextSource {
    /// One message per line, after an optional timestamp.
    pub(crate) fn lines<R: Read + Send + 'static>(input: R) -> Self {
        TextSource {
            input: BufReader::with_capacity(CHUNK, Box::new(input)),
            mode: Mode::Lines {
                line: 0,
                buf: Vec::new(),
                open: None,
            },
            stream: FixStream::new(None, None, Where::Line(0)),
            done: false,
        }
    }

    /// Messages back to back.
    pub(crate) fn raw<R: Read + Send + 'static>(input: R) -> Self {
        TextSource {
            input: BufReader::with_capacity(CHUNK, Box::new(input)),
            mode: Mode::Raw {
                chunk: vec![0; CHUNK],
            },
            stream: FixStream::new(None, None, Where::Byte),
            done: false,
        }
    }

    /// Reads a line or a chunk; `false` at the end.
    pub(crate) fn fill(&mut self, out: &mut VecDeque<Item>) -> bool {
        if self.done {
            return false;
        }
        let no_ctx = Ctx {
            packet: 0,
            ts: None,
        };
        match &mut self.mode {
            Mode::Raw { chunk } => match self.input.read(chunk) {
                Ok(0) => {
                    self.stream.finish(no_ctx, out);
                    self.done = true;
                }
                Ok(n) => self.stream.push(chunk.get(..n).unwrap_or(&[]), no_ctx, out),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    out.push_back(Item::Problem(Problem::new(
                        Position::Byte(0),
                        format!("read error: {e}"),
                    )));
                    self.stream.finish(no_ctx, out);
                    self.done = true;
                }
            },
            Mode::Lines { line, buf, open } => {
                buf.clear();
                *line += 1;
                let n = *line;
                match read_line(&mut self.input, buf) {
                    Ok(0) => {
                        if let Some(o) = open.take() {
                            self.stream.finish(o.ctx, out);
                        }
                        self.done = true;
                    }
                    Ok(_) if buf.len() > MAX_LINE => out.push_back(Item::Problem(Problem::new(
                        Position::Line(n),
                        format!("line longer than {MAX_LINE} bytes skipped"),
                    ))),
                    Ok(_) => decode_line(&mut self.stream, n, buf, open, out),
                    Err(e) => {
                        out.push_back(Item::Problem(Problem::new(
                            Position::Line(n),
                            format!("read error: {e}"),
                        )));
                        self.done = true;
                    }
                }
            }
        }
        !self.done
    }
}

/// Reads one line into `buf` (keeping at most `MAX_LINE + 1` bytes of it).
/// Returns the bytes consumed, 0 at the end.
fn read_line(input: &mut impl BufRead, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let avail = match input.fill_buf() {
            Ok(a) => a,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(total);
        }
        let (take, done) = match memchr::memchr(b'\n', avail) {
            Some(i) => (i + 1, true),
            None => (avail.len(), false),
        };
        let room = (MAX_LINE + 1).saturating_sub(buf.len());
        buf.extend_from_slice(avail.get(..take.min(room)).unwrap_or(&[]));
        input.consume(take);
        total += take;
        if done {
            return Ok(total);
        }
    }
}

/// A message continued on the next line.
#[derive(Clone, Copy)]
pub(crate) struct Open {
    ctx: Ctx,
    /// The log shows `|` for SOH.
    bars: bool,
}

/// `|` shown for SOH becomes SOH again.
fn unbar(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .map(|&b| if b == b'|' { 0x01 } else { b })
        .collect()
}

/// One log line: `[timestamp [:]] 8=FIX…` with SOH or `|` separators, or the
/// rest of a message whose value held a newline.
fn decode_line(
    stream: &mut FixStream,
    n: u64,
    line: &[u8],
    open: &mut Option<Open>,
    out: &mut VecDeque<Item>,
) {
    // The newline only: a `\r` before it may belong to a value; after a
    // complete message it is blank and ignored.
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let ts = parse_log_timestamp(line);
    let begin = find_begin(line, 0);
    if let Some(o) = open.take() {
        let new_entry =
            ts.is_some() || begin.is_some_and(|b| line[..b].iter().all(u8::is_ascii_whitespace));
        if !new_entry {
            stream.push(b"\n", o.ctx, out);
            if o.bars {
                stream.push(&unbar(line), o.ctx, out);
            } else {
                stream.push(line, o.ctx, out);
            }
            if stream.has_partial() {
                *open = Some(o);
            } else {
                stream.finish(o.ctx, out);
            }
            return;
        }
        stream.finish(o.ctx, out);
    }
    if line.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    let Some(start) = begin else {
        // A timestamped line without FIX is a log event (QuickFIX event log): not an error.
        if ts.is_none() {
            out.push_back(Item::Problem(Problem::new(
                Position::Line(n),
                format!("not a FIX message: {}", preview(line)),
            )));
        }
        return;
    };
    let body = line.get(start..).unwrap_or(&[]);
    let bars = !body.contains(&0x01) && body.contains(&b'|');
    stream.reset(Where::Line(n));
    let ctx = Ctx { packet: 0, ts };
    if bars {
        stream.push(&unbar(body), ctx, out);
    } else {
        stream.push(body, ctx, out);
    }
    if stream.has_partial() {
        *open = Some(Open { ctx, bars });
    } else {
        stream.finish(ctx, out);
    }
}
