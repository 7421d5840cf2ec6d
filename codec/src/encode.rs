//! `Encoder`: writes one message straight into the caller's outbound buffer.
//!
//! Layout: `8=<begin>|9=<3-digit placeholder>|35=<type>|...`; `finish`
//! patches BodyLength without leading zeros (moving the body when the length
//! does not have three digits) and appends `10=nnn|`.

use crate::decimal::Decimal;
use crate::frame::checksum;
use crate::itoa::{format_i64, format_u64, MAX_INT_LEN};
use crate::out::Out;
use crate::time::{TimePrecision, TimestampFormatter, UtcTimestamp, MAX_TIMESTAMP_LEN};
use crate::view::Field;
use crate::{Tag, SOH};
use std::ops::Range;

/// Digits reserved for BodyLength (bodies of 100..=999 bytes need no move).
const RESERVED_DIGITS: usize = 3;

/// Bytes a field needs besides its value: `tag=` (11 at most, and the
/// cursor stores a whole 8-byte word for it) and SOH.
const FIELD_ROOM: usize = 16;

/// Appends one message to a `Vec<u8>`; call [`Encoder::finish`] to complete
/// it, or [`Encoder::abandon`] to remove the partial message (dropping the
/// encoder leaves the partial bytes in the buffer).
#[derive(Debug)]
pub struct Encoder<'b> {
    buf: &'b mut Vec<u8>,
    start: usize,
    digits_at: usize,
    body_start: usize,
}

impl<'b> Encoder<'b> {
    /// Start a message: writes `8=`, the BodyLength placeholder and `35=`.
    #[inline]
    pub fn new(buf: &'b mut Vec<u8>, begin_string: &[u8], msg_type: &[u8]) -> Self {
        let start = buf.len();
        buf.reserve(256);
        buf.extend_from_slice(b"8=");
        buf.extend_from_slice(begin_string);
        buf.extend_from_slice(b"\x019=");
        let digits_at = buf.len();
        buf.extend_from_slice(b"000\x0135=");
        let body_start = digits_at + RESERVED_DIGITS + 1;
        buf.extend_from_slice(msg_type);
        buf.push(SOH);
        Encoder {
            buf,
            start,
            digits_at,
            body_start,
        }
    }

    /// A cursor over the buffer for one field, `need` bytes reserved
    /// (`tag=`, the value, SOH: one capacity check and one length store).
    #[inline(always)]
    fn out(&mut self, need: usize) -> Out<'_> {
        Out::new(self.buf, need)
    }

    /// `tag=value|` from raw bytes (the caller guarantees no SOH in `value`).
    #[inline(always)]
    pub fn bytes(&mut self, tag: Tag, value: &[u8]) -> &mut Self {
        let mut o = self.out(value.len() + FIELD_ROOM);
        o.tag(tag);
        o.bytes(value);
        o.byte(SOH);
        drop(o);
        self
    }
    /// `tag=value|` from text.
    #[inline]
    pub fn str(&mut self, tag: Tag, value: &str) -> &mut Self {
        self.bytes(tag, value.as_bytes())
    }
    /// Signed integer field.
    #[inline(always)]
    pub fn int(&mut self, tag: Tag, value: i64) -> &mut Self {
        let mut buf = [0u8; MAX_INT_LEN];
        let start = format_i64(value, &mut buf);
        self.bytes(tag, buf.get(start..).unwrap_or_default())
    }
    /// Unsigned integer field (SeqNum, NumInGroup, Length...).
    #[inline(always)]
    pub fn uint(&mut self, tag: Tag, value: u64) -> &mut Self {
        let mut buf = [0u8; MAX_INT_LEN];
        let start = format_u64(value, &mut buf);
        self.bytes(tag, buf.get(start..).unwrap_or_default())
    }
    /// Single-character field.
    #[inline(always)]
    pub fn char(&mut self, tag: Tag, value: u8) -> &mut Self {
        let mut o = self.out(1 + FIELD_ROOM);
        o.tag(tag);
        o.byte(value);
        o.byte(SOH);
        drop(o);
        self
    }
    /// Boolean field (`Y`/`N`).
    #[inline]
    pub fn bool(&mut self, tag: Tag, value: bool) -> &mut Self {
        self.char(tag, if value { b'Y' } else { b'N' })
    }
    /// Decimal field.
    #[inline(always)]
    pub fn decimal(&mut self, tag: Tag, value: Decimal) -> &mut Self {
        let mut o = self.out(24 + FIELD_ROOM);
        o.tag(tag);
        value.write(&mut o);
        o.byte(SOH);
        drop(o);
        self
    }
    /// UTCTimestamp field at `precision` (formats the date each time).
    #[inline]
    pub fn timestamp(
        &mut self,
        tag: Tag,
        value: UtcTimestamp,
        precision: TimePrecision,
    ) -> &mut Self {
        let mut out = [0u8; MAX_TIMESTAMP_LEN];
        let n = value.write(precision, &mut out);
        self.bytes(tag, out.get(..n).unwrap_or_default())
    }
    /// UTCTimestamp field through a caller-kept formatter (date prefix cached).
    #[inline(always)]
    pub fn timestamp_cached(
        &mut self,
        tag: Tag,
        value: UtcTimestamp,
        precision: TimePrecision,
        formatter: &mut TimestampFormatter,
    ) -> &mut Self {
        let mut o = self.out(MAX_TIMESTAMP_LEN + FIELD_ROOM);
        o.tag(tag);
        formatter.write(value, precision, &mut o);
        o.byte(SOH);
        drop(o);
        self
    }
    /// A length-prefixed data pair: `len_tag=<len>|data_tag=<data>|` (`data` may hold SOH).
    pub fn data(&mut self, len_tag: Tag, data_tag: Tag, data: &[u8]) -> &mut Self {
        self.uint(len_tag, data.len() as u64);
        self.bytes(data_tag, data)
    }
    /// Copy a field from a parsed message.
    #[inline]
    pub fn field(&mut self, field: &Field<'_>) -> &mut Self {
        self.bytes(field.tag, field.value)
    }
    /// Append already-encoded `tag=value|...` bytes verbatim.
    #[inline]
    pub fn raw(&mut self, encoded: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(encoded);
        self
    }

    /// Remove the partial message from the buffer.
    pub fn abandon(self) {
        self.buf.truncate(self.start);
    }

    /// Bytes of body written so far (BodyLength if finished now).
    pub fn body_len(&self) -> usize {
        self.buf.len() - self.body_start
    }

    /// Write a BodyLength of other than three digits (below 100 or from
    /// 1000 on), moving the body so it has no leading zeros.
    #[cold]
    #[inline(never)]
    fn move_body(&mut self, body_len: usize) {
        let mut d = [0u8; MAX_INT_LEN];
        let s = format_u64(body_len as u64, &mut d);
        let digits = d.get(s..).unwrap_or_default();
        let n = digits.len();
        let old_body = self.body_start - 1;
        let new_body = self.digits_at + n;
        if n > RESERVED_DIGITS {
            self.buf.resize(self.buf.len() + n - RESERVED_DIGITS, 0);
        }
        let end = old_body + body_len + 1;
        self.buf.copy_within(old_body..end, new_body);
        self.buf.truncate(new_body + body_len + 1);
        if let Some(dst) = self.buf.get_mut(self.digits_at..self.digits_at + n) {
            dst.copy_from_slice(digits);
        }
    }

    /// Patch BodyLength, append CheckSum; returns the message's range in the buffer.
    #[inline]
    pub fn finish(mut self) -> Range<usize> {
        let body_len = self.buf.len() - self.body_start;
        if (100..1000).contains(&body_len) {
            // The usual case: three digits fill the placeholder (fixed-size
            // stores rather than a general formatter and a `memcpy` call).
            if let Some(dst) = self
                .buf
                .get_mut(self.digits_at..self.digits_at + RESERVED_DIGITS)
            {
                dst.copy_from_slice(&three_digits(body_len as u16));
            }
        } else {
            self.move_body(body_len);
        }
        let sum = three_digits(u16::from(checksum(
            self.buf.get(self.start..).unwrap_or_default(),
        )));
        let trailer = [b'1', b'0', b'=', sum[0], sum[1], sum[2], SOH];
        self.buf.extend_from_slice(&trailer);
        self.start..self.buf.len()
    }
}

/// `v` (below 1000) as three digits, for BodyLength and CheckSum.
#[inline(always)]
fn three_digits(v: u16) -> [u8; 3] {
    debug_assert!(v < 1000);
    [
        b'0' + (v / 100 % 10) as u8,
        b'0' + (v / 10 % 10) as u8,
        b'0' + (v % 10) as u8,
    ]
}
