//! On-disk formats (all integers little-endian) and the journal scanner.
//!
//! Journal: a 64-byte header, then records from offset 64, each 8-aligned:
//!
//! ```text
//! header  0..8  magic "RFXJRNL1"   8..12 version (1)   12..16 zero
//!        16..24 generation        24..32 creation time (ns, i64)
//!        32..40 segment size      40..44 crc32c of 0..40   44..64 zero
//! record  0..8  seq (never 0)      8..12 body length      12..16 crc32c
//!        16..   body, zero padding to a multiple of 8
//! ```
//!
//! The record crc covers seq, length and body. The writer stores the body
//! first, then the length/crc word, then seq, so an all-zero header marks
//! the end and anything else invalid is damage (a torn tail, or corruption
//! if a valid record follows).

/// Journal file magic.
pub(crate) const JOURNAL_MAGIC: &[u8; 8] = b"RFXJRNL1";
/// Format version of journal and seqnum files.
pub(crate) const VERSION: u32 = 1;
/// Journal header length; the first record starts here.
pub(crate) const JOURNAL_HEADER: usize = 64;
/// Record header length.
pub(crate) const RECORD_HEADER: usize = 16;

/// Journal header fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct JournalHeader {
    /// Bumped by every reset; must match the seqnum file.
    pub generation: u64,
    /// Creation time of the session epoch, ns since the epoch.
    pub creation: i64,
    /// Segment size the journal was created with.
    pub segment: u64,
}

impl JournalHeader {
    /// The 64 header bytes.
    pub(crate) fn encode(&self) -> [u8; JOURNAL_HEADER] {
        let mut b = [0u8; JOURNAL_HEADER];
        b[0..8].copy_from_slice(JOURNAL_MAGIC);
        b[8..12].copy_from_slice(&VERSION.to_le_bytes());
        b[16..24].copy_from_slice(&self.generation.to_le_bytes());
        b[24..32].copy_from_slice(&self.creation.to_le_bytes());
        b[32..40].copy_from_slice(&self.segment.to_le_bytes());
        let crc = crc32c::crc32c(&b[0..40]);
        b[40..44].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// Parses and checks a header; `Err` says what is wrong.
    pub(crate) fn decode(b: &[u8]) -> Result<Self, &'static str> {
        let b = b.get(..JOURNAL_HEADER).ok_or("short journal header")?;
        if &b[0..8] != JOURNAL_MAGIC {
            return Err("bad journal magic");
        }
        if crc32c::crc32c(&b[0..40]) != le32(b, 40) {
            return Err("journal header crc mismatch");
        }
        if le32(b, 8) != VERSION {
            return Err("unsupported journal version");
        }
        Ok(Self {
            generation: le64(b, 16),
            creation: le64(b, 24) as i64,
            segment: le64(b, 32),
        })
    }
}

/// Little-endian u32 at `at` (0 if out of bounds).
pub(crate) fn le32(b: &[u8], at: usize) -> u32 {
    b.get(at..at + 4)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u32::from_le_bytes)
}

/// Little-endian u64 at `at` (0 if out of bounds).
pub(crate) fn le64(b: &[u8], at: usize) -> u64 {
    b.get(at..at + 8)
        .and_then(|s| s.try_into().ok())
        .map_or(0, u64::from_le_bytes)
}

/// Bytes a record with a `len`-byte body occupies.
#[inline]
pub(crate) fn record_size(len: usize) -> usize {
    (RECORD_HEADER + len + 7) & !7
}

/// crc32c of a record (seq, length, body).
#[inline]
pub(crate) fn record_crc(seq: u64, len: u32, body: &[u8]) -> u32 {
    let mut h = [0u8; 12];
    h[0..8].copy_from_slice(&seq.to_le_bytes());
    h[8..12].copy_from_slice(&len.to_le_bytes());
    crc32c::crc32c_append(crc32c::crc32c(&h), body)
}

/// A valid record at `off`: `(seq, body range)`, or why not.
pub(crate) fn record_at(
    buf: &[u8],
    off: usize,
) -> Result<(u64, std::ops::Range<usize>), &'static str> {
    let seq = le64(buf, off);
    let len = le32(buf, off + 8);
    let crc = le32(buf, off + 12);
    if off + RECORD_HEADER > buf.len() {
        return Err("record header past end of file");
    }
    if seq == 0 {
        return Err("record with sequence number 0");
    }
    let start = off + RECORD_HEADER;
    let end = start
        .checked_add(len as usize)
        .filter(|&e| e <= buf.len())
        .ok_or("record length past end of file")?;
    if record_crc(seq, len, &buf[start..end]) != crc {
        return Err("record crc mismatch");
    }
    Ok((seq, start..end))
}

/// How a scan of the records ended.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ScanEnd {
    /// All-zero header (or end of the mapped bytes) at this offset.
    Clean(usize),
    /// An invalid record at this offset.
    Damaged(usize, &'static str),
}

impl ScanEnd {
    /// Offset where valid records stop.
    pub(crate) fn offset(&self) -> usize {
        match *self {
            Self::Clean(o) | Self::Damaged(o, _) => o,
        }
    }
}

/// Walks valid records from [`JOURNAL_HEADER`], calling `f(seq, offset)`.
pub(crate) fn scan(buf: &[u8], mut f: impl FnMut(u64, usize)) -> ScanEnd {
    let mut off = JOURNAL_HEADER;
    loop {
        if off + RECORD_HEADER > buf.len() {
            return ScanEnd::Clean(off.min(buf.len()));
        }
        if le64(buf, off) == 0 && le64(buf, off + 8) == 0 {
            return ScanEnd::Clean(off);
        }
        match record_at(buf, off) {
            Ok((seq, body)) => {
                f(seq, off);
                off += record_size(body.len());
            }
            Err(why) => return ScanEnd::Damaged(off, why),
        }
    }
}

/// First offset after `from` (8-aligned) holding a valid record, if any:
/// proof that damage at `from` is not a torn tail.
pub(crate) fn valid_record_after(buf: &[u8], from: usize) -> Option<usize> {
    let mut off = (from + 8) & !7;
    while off + RECORD_HEADER <= buf.len() {
        if le64(buf, off) != 0 && record_at(buf, off).is_ok() {
            return Some(off);
        }
        off += 8;
    }
    None
}

/// Whether every byte of `block` (at most a page) is zero. A slice
/// comparison is a `memcmp`: a fresh journal's whole segment is scanned on
/// every open, and a byte loop made that seconds per store in debug builds.
fn is_zero(block: &[u8]) -> bool {
    static ZEROS: [u8; 4096] = [0; 4096];
    ZEROS.get(..block.len()) == Some(block)
}

/// End of the last non-zero byte at or after `from` (`from` if none).
pub(crate) fn nonzero_end(buf: &[u8], from: usize) -> usize {
    let Some(tail) = buf.get(from..) else {
        return from;
    };
    // Skip zero blocks from the back in bulk (the unused part of a
    // preallocated segment can be tens of MiB).
    const BLOCK: usize = 4096;
    let mut end = tail.len();
    while end >= BLOCK {
        let block = tail.get(end - BLOCK..end).unwrap_or_default();
        if !is_zero(block) {
            break;
        }
        end -= BLOCK;
    }
    tail.get(..end)
        .and_then(|t| t.iter().rposition(|&b| b != 0))
        .map_or(from, |i| from + i + 1)
}

/// Seqnum file magic.
pub(crate) const SEQ_MAGIC: &[u8; 8] = b"RFXSEQN1";
/// Seqnum file length (one page).
pub(crate) const SEQ_FILE_LEN: usize = 4096;
/// Offsets of the two state slots in the seqnum file.
pub(crate) const SLOTS: [usize; 2] = [64, 128];
/// Slot length.
pub(crate) const SLOT_LEN: usize = 56;

/// Durable session state, one copy per slot of the seqnum file:
///
/// ```text
/// file  0..8 magic "RFXSEQN1"  8..12 version   slots at 64 and 128
/// slot  0..8 counter  8..16 generation  16..24 creation (ns)
///      24..32 next sender  32..40 next target  40..48 floor
///      48..52 crc32c of 0..48
/// ```
///
/// Updates go to the slot not holding the newest state, with a higher
/// counter, so a write cut short leaves the other slot valid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SeqState {
    /// Matches the journal header's generation.
    pub generation: u64,
    /// Creation time, ns since the epoch.
    pub creation: i64,
    /// Next outbound MsgSeqNum.
    pub next_sender: u64,
    /// Next expected inbound MsgSeqNum.
    pub next_target: u64,
    /// Journal offset from which stored sequence numbers hold the next
    /// sender number up on recovery (moved to the journal end when the
    /// sender number is deliberately set below one already stored).
    pub floor: u64,
}

impl SeqState {
    /// A slot's bytes with `counter`.
    pub(crate) fn encode(&self, counter: u64) -> [u8; SLOT_LEN] {
        let mut b = [0u8; SLOT_LEN];
        b[0..8].copy_from_slice(&counter.to_le_bytes());
        b[8..16].copy_from_slice(&self.generation.to_le_bytes());
        b[16..24].copy_from_slice(&self.creation.to_le_bytes());
        b[24..32].copy_from_slice(&self.next_sender.to_le_bytes());
        b[32..40].copy_from_slice(&self.next_target.to_le_bytes());
        b[40..48].copy_from_slice(&self.floor.to_le_bytes());
        let crc = crc32c::crc32c(&b[0..48]);
        b[48..52].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// `(counter, state)` of a valid slot.
    pub(crate) fn decode(b: &[u8]) -> Option<(u64, Self)> {
        let b = b.get(..SLOT_LEN)?;
        if crc32c::crc32c(&b[0..48]) != le32(b, 48) || le64(b, 0) == 0 {
            return None;
        }
        let state = Self {
            generation: le64(b, 8),
            creation: le64(b, 16) as i64,
            next_sender: le64(b, 24),
            next_target: le64(b, 32),
            floor: le64(b, 40),
        };
        (state.next_sender != 0 && state.next_target != 0).then_some((le64(b, 0), state))
    }
}

/// The newest valid slot of a seqnum file: `(slot index, counter, state)`,
/// or why there is none.
pub(crate) fn newest_slot(file: &[u8]) -> Result<(usize, u64, SeqState), &'static str> {
    if file.get(0..8) != Some(&SEQ_MAGIC[..]) {
        return Err("bad seqnum file magic");
    }
    if le32(file, 8) != VERSION {
        return Err("unsupported seqnum file version");
    }
    let mut best: Option<(usize, u64, SeqState)> = None;
    for (i, &at) in SLOTS.iter().enumerate() {
        if let Some((counter, state)) = file.get(at..).and_then(SeqState::decode) {
            if best.is_none_or(|(_, c, _)| counter > c) {
                best = Some((i, counter, state));
            }
        }
    }
    best.ok_or("no valid slot in seqnum file")
}

/// A fresh seqnum file image holding `state` in slot 0.
pub(crate) fn seq_file_image(state: &SeqState) -> Vec<u8> {
    let mut b = vec![0u8; SEQ_FILE_LEN];
    b[0..8].copy_from_slice(SEQ_MAGIC);
    b[8..12].copy_from_slice(&VERSION.to_le_bytes());
    b[SLOTS[0]..SLOTS[0] + SLOT_LEN].copy_from_slice(&state.encode(1));
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonzero_end_finds_last_byte() {
        let mut buf = vec![0u8; 3 * 4096 + 100];
        assert_eq!(nonzero_end(&buf, 0), 0);
        assert_eq!(nonzero_end(&buf, 50), 50);
        assert_eq!(nonzero_end(&buf, buf.len() + 5), buf.len() + 5);
        buf[10] = 1;
        assert_eq!(nonzero_end(&buf, 0), 11);
        assert_eq!(nonzero_end(&buf, 11), 11);
        buf[4096 * 2 + 7] = 9;
        assert_eq!(nonzero_end(&buf, 0), 4096 * 2 + 8);
        let last = buf.len() - 1;
        buf[last] = 1;
        assert_eq!(nonzero_end(&buf, 0), buf.len());
    }

    #[test]
    fn headers_round_trip() {
        let h = JournalHeader {
            generation: 3,
            creation: -5,
            segment: 4096,
        };
        assert_eq!(JournalHeader::decode(&h.encode()), Ok(h));
        let s = SeqState {
            generation: 3,
            creation: 42,
            next_sender: 7,
            next_target: 9,
            floor: 1234,
        };
        let image = seq_file_image(&s);
        assert_eq!(newest_slot(&image), Ok((0, 1, s)));
    }
}
