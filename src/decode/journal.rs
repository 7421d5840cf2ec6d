//! ringfix's file-store journal (`<session>.journal`, written by
//! `ringfix_engine::store::FileStore`): outbound messages by sequence number.
//!
//! Layout (little-endian): a 64-byte header (magic `RFXJRNL1`, version 1,
//! generation, creation time, segment size, crc32c of bytes 0..40), then
//! 8-aligned records `seq u64 | length u32 | crc32c u32 | body | zero pad`,
//! the crc covering seq, length and body. An all-zero record header marks
//! the end (the rest is preallocated space).

use std::collections::VecDeque;
use std::io::Read;

use super::fixstream::MAX_MESSAGE;
use super::{DecodeError, Item, Message, Position, Problem};

/// Journal magic.
pub(crate) const MAGIC: &[u8; 8] = b"RFXJRNL1";
const HEADER: usize = 64;
const RECORD_HEADER: usize = 16;
const READ: usize = 64 << 10;

/// A journal being read record by record.
pub(crate) struct JournalSource {
    input: Box<dyn Read + Send>,
    /// Read bytes; `buf[pos]` is at file offset `base`.
    buf: Vec<u8>,
    pos: usize,
    base: u64,
    eof: bool,
    /// After damage: looking for the next valid record; (where the damage began).
    searching: Option<u64>,
    done: bool,
}

fn le32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u32::from_le_bytes)
}

fn le64(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

impl JournalSource {
    /// Checks the header; records are read as the iterator asks.
    pub(crate) fn new<R: Read + Send + 'static>(input: R) -> Result<Self, DecodeError> {
        let mut j = JournalSource {
            input: Box::new(input),
            buf: Vec::new(),
            pos: 0,
            base: 0,
            eof: false,
            searching: None,
            done: false,
        };
        j.fill(HEADER)?;
        let h = j.buf.get(..HEADER).ok_or_else(|| {
            DecodeError::Unreadable("journal truncated inside its 64-byte header".into())
        })?;
        if h.get(..8) != Some(&MAGIC[..]) {
            return Err(DecodeError::Unreadable("not a ringfix journal".into()));
        }
        if le32(h, 8) != 1 {
            return Err(DecodeError::Unreadable(format!(
                "unsupported journal version {}",
                le32(h, 8)
            )));
        }
        if crc32c::crc32c(h.get(..40).unwrap_or(&[])) != le32(h, 40) {
            return Err(DecodeError::Unreadable(
                "journal header crc mismatch".into(),
            ));
        }
        j.consume(HEADER);
        Ok(j)
    }

    /// Unread bytes.
    fn rest(&self) -> &[u8] {
        self.buf.get(self.pos..).unwrap_or(&[])
    }

    /// Reads until `n` unread bytes are buffered or the input ends.
    fn fill(&mut self, n: usize) -> std::io::Result<()> {
        if self.rest().len() >= n {
            return Ok(());
        }
        self.buf.drain(..self.pos);
        self.pos = 0;
        while self.buf.len() < n && !self.eof {
            let have = self.buf.len();
            let want = (n - have).max(READ);
            self.buf.resize(have + want, 0);
            let got = loop {
                match self.input.read(&mut self.buf[have..]) {
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                    other => break other,
                }
            };
            let got = match got {
                Ok(g) => g,
                Err(e) => {
                    self.buf.truncate(have);
                    return Err(e);
                }
            };
            self.buf.truncate(have + got);
            self.eof = got == 0;
        }
        Ok(())
    }

    fn consume(&mut self, n: usize) {
        let n = n.min(self.rest().len());
        self.pos += n;
        self.base += n as u64;
    }

    /// Reads one record (or skips damage); `false` at the end.
    pub(crate) fn fill_items(&mut self, out: &mut VecDeque<Item>) -> bool {
        if self.done {
            return false;
        }
        if let Err(e) = self.fill(RECORD_HEADER) {
            out.push_back(self.problem(format!("read error: {e}")));
            self.done = true;
            return false;
        }
        let rest = self.rest();
        if rest.len() < RECORD_HEADER {
            self.end(out);
            return false;
        }
        let seq = le64(rest, 0);
        let len = le32(rest, 8) as usize;
        let crc = le32(rest, 12);
        if seq == 0 && len == 0 && crc == 0 && self.searching.is_none() {
            // The end of the records; what follows is preallocated space.
            self.done = true;
            return false;
        }
        let size = (RECORD_HEADER + len + 7) & !7;
        if seq == 0 || len > MAX_MESSAGE {
            return self.damaged("invalid record header", out);
        }
        if let Err(e) = self.fill(RECORD_HEADER + len) {
            out.push_back(self.problem(format!("read error: {e}")));
            self.done = true;
            return false;
        }
        let rest = self.rest();
        let Some(body) = rest.get(RECORD_HEADER..RECORD_HEADER + len) else {
            if self.searching.is_none() {
                let left = rest.len() - RECORD_HEADER;
                out.push_back(self.problem(format!(
                    "journal truncated: record seq {seq} needs {len} bytes, {left} left"
                )));
                self.done = true;
                return false;
            }
            return self.damaged("", out);
        };
        let mut h = [0u8; 12];
        h[..8].copy_from_slice(&seq.to_le_bytes());
        h[8..].copy_from_slice(&(len as u32).to_le_bytes());
        if crc32c::crc32c_append(crc32c::crc32c(&h), body) != crc {
            return self.damaged("record crc mismatch", out);
        }
        let bytes = body.to_vec();
        if let Some(from) = self.searching.take() {
            out.push_back(Item::Problem(Problem::new(
                Position::Byte(from),
                format!(
                    "damaged journal: {} bytes skipped, records resume at byte {}",
                    self.base - from,
                    self.base
                ),
            )));
        }
        out.push_back(Item::Message(Message {
            ts: None,
            src: None,
            dst: None,
            bytes,
            at: Position::Byte(self.base),
        }));
        self.fill(size).ok();
        self.consume(size);
        true
    }

    fn problem(&self, what: String) -> Item {
        Item::Problem(Problem::new(Position::Byte(self.base), what))
    }

    /// An invalid record: report it once, then look for the next valid one 8 bytes on.
    fn damaged(&mut self, why: &str, out: &mut VecDeque<Item>) -> bool {
        if self.searching.is_none() {
            out.push_back(self.problem(format!("damaged journal record: {why}")));
            self.searching = Some(self.base);
        }
        self.consume(8);
        true
    }

    fn end(&mut self, out: &mut VecDeque<Item>) {
        // While searching, the damage was reported already (it runs to the end).
        let left = self.rest().len();
        if self.searching.is_none() && left > 0 {
            out.push_back(self.problem(format!(
                "journal truncated inside a record header ({left} bytes)"
            )));
        }
        self.done = true;
    }
}
