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
    Lines { line: u64, buf: Vec<u8> },
    Raw { chunk: Vec<u8> },
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
            Mode::Lines { line, buf } => {
                buf.clear();
                *line += 1;
                let n = *line;
                match read_line(&mut self.input, buf) {
                    Ok(0) => self.done = true,
                    Ok(_) if buf.len() > MAX_LINE => out.push_back(Item::Problem(Problem::new(
                        Position::Line(n),
                        format!("line longer than {MAX_LINE} bytes skipped"),
                    ))),
                    Ok(_) => decode_line(&mut self.stream, n, buf, out),
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

/// One log line: `[timestamp [:]] 8=FIX…` with SOH or `|` separators.
fn decode_line(stream: &mut FixStream, n: u64, line: &[u8], out: &mut VecDeque<Item>) {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    let ts = parse_log_timestamp(line);
    let Some(start) = find_begin(line, 0) else {
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
    let shown_soh;
    let body = if !body.contains(&0x01) && body.contains(&b'|') {
        shown_soh = body
            .iter()
            .map(|&b| if b == b'|' { 0x01 } else { b })
            .collect::<Vec<u8>>();
        &shown_soh[..]
    } else {
        body
    };
    // Trailing blanks after the last message are not an error.
    let body = match body.iter().rposition(|b| !b.is_ascii_whitespace()) {
        Some(end) => body.get(..=end).unwrap_or(body),
        None => body,
    };
    stream.reset(Where::Line(n));
    let ctx = Ctx { packet: 0, ts };
    stream.push(body, ctx, out);
    stream.finish(ctx, out);
}
