//! In-place parsing: a `Parser` indexes one framed message into reusable
//! storage and hands out a `MessageView` borrowing the bytes and the index.

use crate::data_fields::data_tag_for;
use crate::error::{FrameError, ParseError};
use crate::frame::{checksum, header, trailer, Header, HeaderResult, DEFAULT_MAX_MESSAGE_SIZE};
use crate::tags::{header_slot, BEGIN_STRING, BODY_LENGTH, CHECK_SUM, HEADER_SLOTS};
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
            fields: Vec::with_capacity(INITIAL_FIELDS),
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
        self.fields.capacity()
    }

    fn index<'a>(&'a mut self, msg: &'a [u8], h: &Header) -> Result<MessageView<'a>, ParseError> {
        self.fields.clear();
        self.header = [0; HEADER_SLOTS];
        let body_end = h.body_end();
        self.push(BEGIN_STRING, 2, h.begin_string_end);
        self.push(BODY_LENGTH, h.body_length_start, h.body_start - 1);
        let mut p = h.body_start;
        let mut pending_data: Option<(Tag, usize)> = None;
        while p < body_end {
            let (tag, eq) = parse_tag(msg, p)?;
            let v = eq + 1;
            let end = match pending_data.take() {
                Some((data_tag, len)) if data_tag == tag => {
                    let end = v + len;
                    if end >= body_end || msg.get(end) != Some(&SOH) {
                        return Err(ParseError::DataLength { tag });
                    }
                    end
                }
                _ => {
                    v + find_soh(msg.get(v..).unwrap_or_default())
                        .ok_or(ParseError::MissingSoh(v))?
                }
            };
            if end >= body_end {
                return Err(ParseError::MissingSoh(v));
            }
            if let Some(data_tag) = data_tag_for(tag) {
                let value = msg.get(v..end).unwrap_or_default();
                pending_data = crate::value::parse_u64(value)
                    .ok()
                    .and_then(|n| usize::try_from(n).ok())
                    .map(|n| (data_tag, n));
            }
            self.push(tag, v, end);
            p = end + 1;
        }
        self.push(CHECK_SUM, body_end + 3, body_end + 6);
        Ok(MessageView::new(msg, &self.fields, &self.header))
    }

    #[inline(always)]
    fn push(&mut self, tag: Tag, start: usize, end: usize) {
        let idx = self.fields.len() as u32;
        self.fields.push(Entry {
            tag,
            start: start as u32,
            end: end as u32,
        });
        let slot = header_slot(tag);
        if let Some(s) = self.header.get_mut(slot) {
            if *s == 0 {
                *s = idx + 1;
            }
        }
    }
}

/// Header and exact length of a buffer that must hold exactly one frame.
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

/// Parse the tag starting at `p`; returns it and the offset of its `=`.
#[inline(always)]
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

/// Offset of the first SOH in `s` (eight bytes per step).
#[inline(always)]
pub(crate) fn find_soh(s: &[u8]) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while let Some(chunk) = s.get(i..i + 8) {
        let mut w = [0u8; 8];
        w.copy_from_slice(chunk);
        let x = u64::from_le_bytes(w) ^ ONES;
        let m = x.wrapping_sub(ONES) & !x & HIGHS;
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    s.get(i..)?.iter().position(|&b| b == SOH).map(|k| i + k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_soh_finds_the_first() {
        for n in 0..20 {
            let mut v = vec![b'a'; 20];
            v[n] = SOH;
            if n + 3 < 20 {
                v[n + 3] = SOH;
            }
            assert_eq!(find_soh(&v), Some(n));
        }
        assert_eq!(find_soh(b"abcdefghijklmnop"), None);
        assert_eq!(find_soh(b""), None);
        // 0x81 (high bit set) must not be mistaken for SOH.
        assert_eq!(find_soh(&[0x81, 0x80, 0x02, 0x00, 0x01]), Some(4));
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
