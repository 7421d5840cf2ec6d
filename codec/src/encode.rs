//! `Encoder`: writes one message straight into the caller's outbound buffer.
//!
//! Layout: `8=<begin>|9=<3-digit placeholder>|35=<type>|...`; `finish`
//! patches BodyLength without leading zeros (moving the body when the length
//! does not have three digits) and appends `10=nnn|`.

use crate::decimal::Decimal;
use crate::frame::checksum;
use crate::itoa::{digits_word, format_i64, format_u64, int_word, MAX_INT_LEN};
use crate::out::{tag_word, Out, TAG_ROOM};
use crate::time::{TimePrecision, TimestampFormatter, UtcTimestamp, MAX_TIMESTAMP_LEN};
use crate::view::Field;
use crate::{Tag, SOH};
use std::fmt;
use std::ops::Range;

/// Digits reserved for BodyLength (bodies of 100..=999 bytes need no move).
const RESERVED_DIGITS: usize = 3;

/// Room a field needs besides its value: `tag=` and SOH.
const FIELD_ROOM: usize = TAG_ROOM + 1;

/// `digits_at` of a body-only encoder: it has no BodyLength to patch.
const BODY_ONLY: usize = usize::MAX;

/// Where a repeating group's NumInGroup value goes ([`Encoder::group_count_start`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupCount {
    at: usize,
}

/// Appends one message to a `Vec<u8>`; call [`Encoder::finish`] to complete
/// it, or [`Encoder::abandon`] to remove the partial message (dropping the
/// encoder leaves the partial bytes in the buffer).
///
/// [`Encoder::body`] makes a body-only encoder: the same field writers, no
/// header and no trailer (a body carried to another thread and sent there
/// behind a header written by the session: [`Encoder::raw`]).
pub struct Encoder<'b> {
    out: Out<'b>,
    start: usize,
    digits_at: usize,
    body_start: usize,
}

impl fmt::Debug for Encoder<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Encoder")
            .field("start", &self.start)
            .field("len", &self.out.len())
            .finish()
    }
}

impl<'b> Encoder<'b> {
    /// Start a message: writes `8=`, the BodyLength placeholder and `35=`.
    #[inline(always)]
    pub fn new(buf: &'b mut Vec<u8>, begin_string: &[u8], msg_type: &[u8]) -> Self {
        let mut out = Out::new(buf);
        let start = out.len();
        // The header, and room for the usual message after it.
        out.reserve(begin_string.len() + msg_type.len() + 256);
        let digits_at = start + 2 + begin_string.len() + 3;
        // SAFETY: these end at most `begin + msg_type + 18` bytes on (the
        // last word stores 8 bytes at `begin + 10`), inside the room reserved.
        unsafe {
            out.put_word(u64::from_le_bytes(*b"8=\0\0\0\0\0\0"), 2);
            out.put_bytes(begin_string);
            out.put_word(u64::from_le_bytes(*b"\x019=000\x013"), 8);
            out.put_word(u64::from_le_bytes(*b"5=\0\0\0\0\0\0"), 2);
            out.put_bytes(msg_type);
            out.put_byte(SOH);
        }
        Encoder {
            out,
            start,
            digits_at,
            body_start: digits_at + RESERVED_DIGITS + 1,
        }
    }

    /// A body-only encoder appending fields to `buf`: no BeginString,
    /// BodyLength or MsgType before them and no CheckSum after them;
    /// [`Encoder::finish`] returns the range of the fields written.
    #[inline(always)]
    pub fn body(buf: &'b mut Vec<u8>) -> Self {
        let out = Out::new(buf);
        let start = out.len();
        Encoder {
            out,
            start,
            digits_at: BODY_ONLY,
            body_start: start,
        }
    }

    /// Whether this encoder writes a body only ([`Encoder::body`]).
    #[inline(always)]
    pub fn is_body_only(&self) -> bool {
        self.digits_at == BODY_ONLY
    }

    /// `tag=value|` from raw bytes (the caller guarantees no SOH in `value`).
    #[inline(always)]
    pub fn bytes(&mut self, tag: Tag, value: &[u8]) -> &mut Self {
        self.out.reserve(value.len() + FIELD_ROOM);
        // SAFETY: reserved the tag's room, the value and SOH just above.
        unsafe {
            self.out.put_tag(tag);
            self.out.put_bytes(value);
            self.out.put_byte(SOH);
        }
        self
    }
    /// `tag=value|` from text.
    #[inline]
    pub fn str(&mut self, tag: Tag, value: &str) -> &mut Self {
        self.bytes(tag, value.as_bytes())
    }
    /// `tag=`, a value of `n` (at most 8) bytes held in the word `w`, SOH.
    #[inline(always)]
    fn word_field(&mut self, tag: Tag, w: u64, n: usize) -> &mut Self {
        self.out.reserve_small(TAG_ROOM as u32 + 9);
        // SAFETY: reserved the tag's room, a word store and a byte above.
        unsafe {
            self.out.put_tag(tag);
            self.out.put_word(w, n);
            self.out.put_byte(SOH);
        }
        self
    }
    /// Signed integer field.
    #[inline(always)]
    pub fn int(&mut self, tag: Tag, value: i64) -> &mut Self {
        if let Some((w, n)) = int_word(value) {
            return self.word_field(tag, w, n);
        }
        let mut buf = [0u8; MAX_INT_LEN];
        let start = format_i64(value, &mut buf);
        self.bytes(tag, buf.get(start..).unwrap_or_default())
    }
    /// Unsigned integer field (SeqNum, NumInGroup, Length...).
    #[inline(always)]
    pub fn uint(&mut self, tag: Tag, value: u64) -> &mut Self {
        if let Some((w, n)) = digits_word(value) {
            return self.word_field(tag, w, n);
        }
        let mut buf = [0u8; MAX_INT_LEN];
        let start = format_u64(value, &mut buf);
        self.bytes(tag, buf.get(start..).unwrap_or_default())
    }
    /// Single-character field.
    #[inline(always)]
    pub fn char(&mut self, tag: Tag, value: u8) -> &mut Self {
        self.out.reserve_small(FIELD_ROOM as u32 + 1);
        match tag_word(tag) {
            // `tag=`, the value and SOH in one word store.
            Some((w, n)) if n <= 6 => {
                let w = w | u64::from(value) << (8 * n) | u64::from(SOH) << (8 * n + 8);
                // SAFETY: reserved FIELD_ROOM + 1 >= 8 bytes just above.
                unsafe { self.out.put_word(w, n + 2) };
            }
            // SAFETY: reserved the tag's room, the value and SOH above.
            _ => unsafe {
                self.out.put_tag(tag);
                self.out.put_byte(value);
                self.out.put_byte(SOH);
            },
        }
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
        if let Some((w, n)) = value.word() {
            return self.word_field(tag, w, n);
        }
        self.out
            .reserve_small((value.max_len() + FIELD_ROOM) as u32);
        // SAFETY: reserved the tag's room, the value's longest form and SOH.
        unsafe {
            self.out.put_tag(tag);
            value.put(&mut self.out);
            self.out.put_byte(SOH);
        }
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
        self.out
            .reserve_small((MAX_TIMESTAMP_LEN + FIELD_ROOM) as u32);
        // SAFETY: reserved the tag's room, the longest timestamp and SOH.
        unsafe {
            self.out.put_tag(tag);
            formatter.put(value, precision, &mut self.out);
            self.out.put_byte(SOH);
        }
        self
    }
    /// A length-prefixed data pair: `len_tag=<len>|data_tag=<data>|` (`data` may hold SOH).
    pub fn data(&mut self, len_tag: Tag, data_tag: Tag, data: &[u8]) -> &mut Self {
        self.uint(len_tag, data.len() as u64);
        self.bytes(data_tag, data)
    }
    /// A field of space-separated values (MultipleValueString and kin).
    #[inline]
    pub fn values<'v>(
        &mut self,
        tag: Tag,
        values: impl IntoIterator<Item = &'v [u8]>,
    ) -> &mut Self {
        self.out.reserve(TAG_ROOM);
        // SAFETY: reserved the tag's room just above.
        unsafe { self.out.put_tag(tag) };
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                self.out.bytes(b" ");
            }
            self.out.bytes(v);
        }
        self.out.bytes(&[SOH]);
        self
    }

    /// Starts a repeating group: writes `count_tag=` and a one-digit
    /// placeholder that [`Encoder::group_count_finish`] replaces with the
    /// number of entries written after it.
    #[inline(always)]
    pub fn group_count_start(&mut self, count_tag: Tag) -> GroupCount {
        self.char(count_tag, b'0');
        GroupCount {
            at: self.out.len() - 2,
        }
    }

    /// Writes the number of entries of a group started with
    /// [`Encoder::group_count_start`] (ten or more move the entries by the
    /// extra digits).
    #[inline(always)]
    pub fn group_count_finish(&mut self, slot: GroupCount, entries: u32) {
        if entries < 10 {
            self.out.patch(slot.at, [b'0' + entries as u8]);
        } else {
            self.widen_count(slot.at, entries);
        }
    }

    #[cold]
    #[inline(never)]
    fn widen_count(&mut self, at: usize, entries: u32) {
        let mut d = [0u8; MAX_INT_LEN];
        let s = format_u64(u64::from(entries), &mut d);
        let digits = d.get(s..).unwrap_or_default();
        self.out.with_vec(|v| {
            if at < v.len() {
                v.splice(at..at + 1, digits.iter().copied());
            }
        });
    }

    /// Copy a field from a parsed message.
    #[inline]
    pub fn field(&mut self, field: &Field<'_>) -> &mut Self {
        self.bytes(field.tag, field.value)
    }
    /// Append already-encoded `tag=value|...` bytes verbatim.
    #[inline]
    pub fn raw(&mut self, encoded: &[u8]) -> &mut Self {
        self.out.bytes(encoded);
        self
    }

    /// Remove the partial message from the buffer.
    pub fn abandon(mut self) {
        self.rollback();
    }

    /// [`Encoder::abandon`] through `&mut` (for a draft that owns its
    /// encoder and rolls back when dropped unsent); nothing may be written
    /// after it.
    pub fn rollback(&mut self) {
        let start = self.start;
        self.out.with_vec(|v| v.truncate(start));
    }

    /// What this encoder wrote so far, from its first byte (the message,
    /// or a body-only encoder's fields: a body copied to another thread).
    pub fn written(&self) -> &[u8] {
        self.out.written_from(self.start)
    }

    /// Bytes of body written so far (BodyLength if finished now).
    pub fn body_len(&self) -> usize {
        self.out.len() - self.body_start
    }

    /// Write a BodyLength of other than two or three digits (below 10 or
    /// from 1000 on), moving the body so it has no leading zeros; returns the
    /// digits' byte sum.
    #[cold]
    #[inline(never)]
    fn move_body(&mut self, body_len: usize) -> u64 {
        let mut d = [0u8; MAX_INT_LEN];
        let s = format_u64(body_len as u64, &mut d);
        let digits = d.get(s..).unwrap_or_default();
        let n = digits.len();
        let old_body = self.body_start - 1;
        let new_body = self.digits_at + n;
        let digits_at = self.digits_at;
        self.out.with_vec(|buf| {
            if n > RESERVED_DIGITS {
                buf.resize(buf.len() + n - RESERVED_DIGITS, 0);
            }
            let end = old_body + body_len + 1;
            buf.copy_within(old_body..end, new_body);
            buf.truncate(new_body + body_len + 1);
            if let Some(dst) = buf.get_mut(digits_at..digits_at + n) {
                dst.copy_from_slice(digits);
            }
        });
        digits.iter().map(|&b| u64::from(b)).sum()
    }

    /// Patch BodyLength, append CheckSum; returns the message's range in the buffer.
    /// Inlined so a message of fixed-length fields gets its BodyLength as a
    /// constant, and the cursor stays in registers.
    ///
    /// A body-only encoder ([`Encoder::body`]) appends nothing and returns
    /// the range of the fields written.
    #[inline(always)]
    pub fn finish(mut self) -> Range<usize> {
        self.finish_in_place()
    }

    /// [`Encoder::finish`] through `&mut` (for drafts that own their
    /// encoder and roll back when dropped unsent); nothing may be written
    /// after it.
    #[inline(always)]
    pub fn finish_in_place(&mut self) -> Range<usize> {
        if self.digits_at == BODY_ONLY {
            return self.start..self.out.len();
        }
        let body_len = self.body_len();
        // One SIMD pass over the message, placeholder '000' and all, before
        // BodyLength is patched or the body moved, so these loads do not wait
        // on those stores. Cheaper than a running sum of every value written.
        let placeholder_sum = checksum(self.out.written_from(self.start));
        let digits_sum = if (100..1000).contains(&body_len) {
            // The usual case: three digits fill the placeholder (fixed-size
            // stores rather than a general formatter and a `memcpy` call).
            let d = three_digits(body_len as u16);
            self.out.patch(self.digits_at, d);
            d.iter().map(|&b| u64::from(b)).sum()
        } else if (10..100).contains(&body_len) {
            // Two digits (a heartbeat, a logon): drop one placeholder byte,
            // moving the body back by one, inline.
            let [_, a, b] = three_digits(body_len as u16);
            self.out.remove_byte(self.digits_at + 2);
            self.out.patch(self.digits_at, [a, b]);
            u64::from(a) + u64::from(b)
        } else {
            self.move_body(body_len)
        };
        // The pass counted the placeholder's three '0's.
        let sum = u64::from(placeholder_sum)
            .wrapping_sub(3 * u64::from(b'0'))
            .wrapping_add(digits_sum) as u8;
        debug_assert_eq!(sum, checksum(self.out.written_from(self.start)));
        let sum = three_digits(u16::from(sum));
        let trailer = u64::from_le_bytes([b'1', b'0', b'=', sum[0], sum[1], sum[2], SOH, 0]);
        self.out.reserve_small(8);
        // SAFETY: reserved 8 bytes just above.
        unsafe { self.out.put_word(trailer, 7) };
        self.start..self.out.len()
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
