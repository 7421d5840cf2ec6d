//! In-place parsing: a `Parser` indexes one framed message into reusable
//! storage and hands out a `MessageView` borrowing the bytes and the index.

use crate::data_fields::data_tag_for;
use crate::error::{FrameError, ParseError};
use crate::frame::{checksum, header, trailer, Header, HeaderResult, DEFAULT_MAX_MESSAGE_SIZE};
use crate::swar;
use crate::tags::{
    header_slot, tag_class, BEGIN_STRING, BODY_LENGTH, CHECK_SUM, CLASS_LEN, HEADER_SLOTS,
};
use crate::view::{Entry, MessageView};
use crate::{Tag, SOH};

/// Tag recorded for a field whose tag text is negative (e.g. `-1=x`): the
/// message is still indexed so the session can reject it ("Invalid tag
/// number"); [`MessageView::tag_text`] gives the text.
pub const INVALID_TAG: Tag = u32::MAX;

/// Entries reserved up front (a typical message has far fewer).
const INITIAL_FIELDS: usize = 64;

/// Owns the reusable field index; parses one message at a time.
#[derive(Debug, Clone)]
pub struct Parser {
    /// Pre-sized slots; the view borrows the ones the last message filled.
    fields: Vec<Entry>,
    header: [u32; HEADER_SLOTS],
    max_len: usize,
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl Parser {
    /// A parser accepting messages up to [`DEFAULT_MAX_MESSAGE_SIZE`].
    pub fn new() -> Self {
        Self::with_max_len(DEFAULT_MAX_MESSAGE_SIZE)
    }

    /// A parser accepting messages up to `max_len` bytes.
    pub fn with_max_len(max_len: usize) -> Self {
        Parser {
            fields: vec![Entry::default(); INITIAL_FIELDS],
            header: [0; HEADER_SLOTS],
            max_len,
        }
    }

    /// Parse exactly one complete message, verifying framing and CheckSum.
    pub fn parse<'a>(&'a mut self, msg: &'a [u8]) -> Result<MessageView<'a>, ParseError> {
        let h = check_frame(msg, self.max_len)?;
        let found = trailer(msg, h.body_end()).ok_or(FrameError::BodyLengthMismatch)?;
        let computed = checksum(msg.get(..h.body_end()).unwrap_or_default());
        if u16::from(computed) != found {
            return Err(FrameError::ChecksumMismatch { computed, found }.into());
        }
        self.index(msg, &h)
    }

    /// Parse a message that [`crate::frame`] already returned as `Complete`:
    /// the CheckSum is not summed again (everything else is checked, and no
    /// input makes this panic).
    pub fn parse_framed<'a>(&'a mut self, msg: &'a [u8]) -> Result<MessageView<'a>, ParseError> {
        let h = check_frame(msg, self.max_len)?;
        trailer(msg, h.body_end()).ok_or(FrameError::BodyLengthMismatch)?;
        self.index(msg, &h)
    }

    /// Fields the index can hold before it must grow.
    pub fn capacity(&self) -> usize {
        self.fields.len()
    }

    fn index<'a>(&'a mut self, msg: &'a [u8], h: &Header) -> Result<MessageView<'a>, ParseError> {
        // Every field takes at least 3 bytes (`t=<SOH>`), so this many slots
        // always suffice; the storage only grows for a larger message.
        let need = h.body_len / 3 + 3;
        if self.fields.len() < need {
            self.fields.resize(need, Entry::default());
        }
        let mut fill = Fill {
            slots: &mut self.fields,
            n: 0,
            header: [0; HEADER_SLOTS],
        };
        let result = fill.body(msg, h);
        let (n, header) = (fill.n.min(fill.slots.len()), fill.header);
        result?;
        self.header = header;
        let fields = self.fields.get(..n).unwrap_or_default();
        Ok(MessageView::new(msg, fields, &self.header))
    }
}

/// The index being filled: entries go into pre-sized slots with the count
/// in a register (a `Vec::push` per field would round-trip the length
/// through memory on every field).
struct Fill<'s> {
    slots: &'s mut [Entry],
    n: usize,
    header: [u32; HEADER_SLOTS],
}

impl Fill<'_> {
    /// Index `8`, `9`, every body field and `10`.
    #[inline(always)]
    fn body(&mut self, msg: &[u8], h: &Header) -> Result<(), ParseError> {
        let body_end = h.body_end();
        self.indexed(BEGIN_STRING, 2, h.begin_string_end);
        self.indexed(BODY_LENGTH, h.body_length_start, h.body_start - 1);
        // Fields end at SOH: find the SOHs 64 bytes at a time (a bitmap per
        // block), so the next field's start never waits for the current
        // field's tag to be decoded.
        let mut field_start = h.body_start;
        let mut block = h.body_start;
        let mut mask = soh_bitmap(msg, block, body_end);
        // Data tag announced by the previous field (0: none; tag 0 is never a data tag).
        let mut pending_tag: Tag = 0;
        let mut pending_len = 0usize;
        loop {
            if mask == 0 {
                block += 64;
                if block >= body_end {
                    break;
                }
                mask = soh_bitmap(msg, block, body_end);
                continue;
            }
            let soh = block + mask.trailing_zeros() as usize;
            mask &= mask - 1;
            let (tag, v) = tag_at(msg, field_start)?;
            if pending_tag != 0 {
                let announced = pending_tag == tag;
                pending_tag = 0;
                if announced {
                    // The value may hold SOH: it ends where its length says.
                    let end = self.data_field(msg, tag, v, pending_len, body_end)?;
                    field_start = end + 1;
                    block = field_start;
                    mask = soh_bitmap(msg, block, body_end);
                    continue;
                }
            }
            if v > soh {
                return Err(ParseError::MissingEquals(field_start));
            }
            // One table lookup decides the common case: a plain body field.
            let class = tag_class(tag);
            if class == 0 {
                self.plain(tag, v, soh);
            } else {
                if class & CLASS_LEN != 0 {
                    (pending_tag, pending_len) = announce_data(msg, tag, v, soh);
                }
                self.indexed(tag, v, soh);
            }
            field_start = soh + 1;
        }
        self.indexed(CHECK_SUM, body_end + 3, body_end + 6);
        Ok(())
    }

    /// Index a data field of `len` bytes starting at `v`; returns its end.
    #[cold]
    #[inline(never)]
    fn data_field(
        &mut self,
        msg: &[u8],
        tag: Tag,
        v: usize,
        len: usize,
        body_end: usize,
    ) -> Result<usize, ParseError> {
        let end = v.saturating_add(len);
        if end >= body_end || msg.get(end) != Some(&SOH) {
            return Err(ParseError::DataLength { tag });
        }
        self.indexed(tag, v, end);
        Ok(end)
    }

    /// A field that is not in the header index.
    #[inline(always)]
    fn plain(&mut self, tag: Tag, start: usize, end: usize) {
        if let Some(slot) = self.slots.get_mut(self.n) {
            *slot = Entry {
                tag,
                start: start as u32,
                end: end as u32,
            };
        }
        self.n += 1;
    }

    /// A field that may be in the header index (first occurrence wins).
    #[inline(always)]
    fn indexed(&mut self, tag: Tag, start: usize, end: usize) {
        if let Some(s) = self.header.get_mut(header_slot(tag)) {
            if *s == 0 {
                *s = self.n as u32 + 1;
            }
        }
        self.plain(tag, start, end);
    }
}

/// Header and exact length of a buffer that must hold exactly one frame.
#[inline(always)]
fn check_frame(msg: &[u8], max_len: usize) -> Result<Header, ParseError> {
    let h = match header(msg, max_len) {
        HeaderResult::Ok(h) => h,
        HeaderResult::Incomplete => return Err(ParseError::Truncated),
        HeaderResult::Bad(e) => return Err(e.into()),
    };
    let total = h.total();
    match msg.len().cmp(&total) {
        std::cmp::Ordering::Less => Err(ParseError::Truncated),
        std::cmp::Ordering::Greater => Err(ParseError::TrailingBytes(msg.len() - total)),
        std::cmp::Ordering::Equal => Ok(h),
    }
}

/// Bitmap of the SOH bytes in `msg[block..block + 64]`, limited to `end`.
#[inline(always)]
fn soh_bitmap(msg: &[u8], block: usize, end: usize) -> u64 {
    let m = match msg.get(block..block + 64) {
        Some(chunk) => soh_mask(chunk),
        None => {
            let mut bytes = [0u8; 64];
            let tail = msg.get(block..).unwrap_or_default();
            if let Some(dst) = bytes.get_mut(..tail.len()) {
                dst.copy_from_slice(tail);
            }
            soh_mask(&bytes)
        }
    };
    let keep = end.saturating_sub(block);
    if keep >= 64 {
        m
    } else {
        m & ((1u64 << keep) - 1)
    }
}

/// Bit `i` set when `bytes[i]` (i < 64) is SOH: SSE2 (x86-64 baseline).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn soh_mask(bytes: &[u8]) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    let mut m = 0u64;
    for (i, c) in bytes.chunks_exact(16).take(4).enumerate() {
        // SAFETY: `c` is exactly 16 readable bytes (unaligned load is
        // allowed); the intrinsics need only SSE2, which this cfg guarantees.
        let bits = unsafe {
            let v = _mm_loadu_si128(c.as_ptr().cast::<__m128i>());
            _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(SOH as i8)))
        };
        m |= u64::from(bits as u16) << (16 * i);
    }
    m
}

/// Bit `i` set when `bytes[i]` (i < 64) is SOH: portable fallback.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
fn soh_mask(bytes: &[u8]) -> u64 {
    soh_mask_swar(bytes)
}

/// Bit `i` set when `bytes[i]` (i < 64) is SOH: exact SWAR compares.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
#[inline(always)]
fn soh_mask_swar(bytes: &[u8]) -> u64 {
    let mut m = 0u64;
    for i in 0..8 {
        let Some(w) = swar::load(bytes, i * 8) else {
            break;
        };
        let x = w ^ swar::ONES;
        // High bit of each byte set iff the byte is zero (no cross-byte carry).
        let zero =
            !(((x & 0x7F7F_7F7F_7F7F_7F7F) + 0x7F7F_7F7F_7F7F_7F7F) | x) & 0x8080_8080_8080_8080;
        m |= ((zero >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * i);
    }
    m
}

/// Tag at `p` and the offset of its value (one word for tags of 1..=7 digits).
#[inline(always)]
fn tag_at(msg: &[u8], p: usize) -> Result<(Tag, usize), ParseError> {
    if let Some(w) = swar::load(msg, p) {
        let eq = swar::matches(w, b'=');
        let n = (eq.trailing_zeros() / 8) as usize;
        if let Some(tag) = swar::small_number(w, n) {
            return Ok((tag, p + n + 1));
        }
    }
    let (tag, eq) = parse_tag(msg, p)?;
    Ok((tag, eq + 1))
}

/// `(data tag, length)` announced by the length field `tag` with value
/// `msg[v..soh]`; `(0, 0)` if the value is not a length (the data field is
/// then read up to its SOH and the validator reports the bad length).
#[cold]
#[inline(never)]
fn announce_data(msg: &[u8], tag: Tag, v: usize, soh: usize) -> (Tag, usize) {
    let len = crate::value::parse_u64(msg.get(v..soh).unwrap_or_default())
        .ok()
        .and_then(|n| usize::try_from(n).ok());
    match (data_tag_for(tag), len) {
        (Some(data_tag), Some(len)) => (data_tag, len),
        _ => (0, 0),
    }
}

/// Parse the tag starting at `p`; returns it and the offset of its `=`
/// (the general path: long, negative or malformed tags).
#[cold]
#[inline(never)]
fn parse_tag(msg: &[u8], p: usize) -> Result<(Tag, usize), ParseError> {
    let mut i = p;
    let negative = msg.get(i) == Some(&b'-');
    if negative {
        i += 1;
    }
    let digits_start = i;
    let mut tag: u64 = 0;
    loop {
        let Some(&b) = msg.get(i) else {
            return Err(ParseError::MissingEquals(p));
        };
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            if b != b'=' {
                return Err(if b == SOH {
                    ParseError::MissingEquals(p)
                } else {
                    ParseError::TagNotNumeric(p)
                });
            }
            break;
        }
        tag = tag * 10 + u64::from(d);
        if tag >= u64::from(INVALID_TAG) {
            return Err(ParseError::TagTooLarge(p));
        }
        i += 1;
    }
    if i == digits_start {
        return Err(if negative {
            ParseError::TagNotNumeric(p)
        } else {
            ParseError::EmptyTag(p)
        });
    }
    Ok((if negative { INVALID_TAG } else { tag as Tag }, i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn soh_bitmap_marks_every_soh_up_to_end() {
        let mut msg = vec![b'a'; 100];
        for i in [0usize, 5, 63, 64, 70, 99] {
            msg[i] = SOH;
        }
        assert_eq!(soh_bitmap(&msg, 0, 100), 1 | 1 << 5 | 1 << 63);
        assert_eq!(soh_bitmap(&msg, 64, 100), 1 | 1 << 6 | 1 << 35);
        assert_eq!(soh_bitmap(&msg, 64, 99), 1 | 1 << 6);
        assert_eq!(soh_bitmap(&msg, 5, 64), 1 | 1 << 58);
        assert_eq!(soh_bitmap(&msg, 100, 100), 0);
    }

    #[test]
    fn swar_mask_matches_the_simd_one() {
        let mut bytes = [0u8; 64];
        for seed in 0..200u32 {
            for (i, b) in bytes.iter_mut().enumerate() {
                let x = (seed.wrapping_mul(31).wrapping_add(i as u32 * 7)) % 5;
                *b = [SOH, 0, 0x81, b'=', 0x02][x as usize];
            }
            let plain = bytes
                .iter()
                .enumerate()
                .fold(0u64, |m, (i, &b)| m | u64::from(b == SOH) << i);
            assert_eq!(soh_mask(&bytes), plain);
            assert_eq!(soh_mask_swar(&bytes), plain);
        }
    }

    #[test]
    fn tags() {
        assert_eq!(parse_tag(b"35=D", 0), Ok((35, 2)));
        assert_eq!(parse_tag(b"-1=x", 0), Ok((INVALID_TAG, 2)));
        assert_eq!(parse_tag(b"0=x", 0), Ok((0, 1)));
        assert_eq!(parse_tag(b"=x", 0), Err(ParseError::EmptyTag(0)));
        assert_eq!(parse_tag(b"-=x", 0), Err(ParseError::TagNotNumeric(0)));
        assert_eq!(parse_tag(b"4a=x", 0), Err(ParseError::TagNotNumeric(0)));
        assert_eq!(parse_tag(b"49\x01", 0), Err(ParseError::MissingEquals(0)));
        assert_eq!(parse_tag(b"49", 0), Err(ParseError::MissingEquals(0)));
        assert_eq!(
            parse_tag(b"4294967295=x", 0),
            Err(ParseError::TagTooLarge(0))
        );
        assert_eq!(parse_tag(b"4294967294=x", 0), Ok((4_294_967_294, 10)));
        assert_eq!(
            parse_tag(b"99999999999999999999999=x", 0),
            Err(ParseError::TagTooLarge(0))
        );
    }
}
