//! Appends one FIX message to the caller's outbound buffer through the
//! codec's [`Encoder`]: `8`, `9` (patched at the end), `35`, fields, `10`.
//! No allocation once the buffer's capacity has grown.

use std::ops::Range;

use std::cell::RefCell;

use ringfix_codec::{Encoder, TimestampFormatter, UtcTimestamp};

use super::incoming::Tag;
use super::time::precision;

/// Writes fields of one message into the outbound buffer.
pub struct FieldWriter<'a> {
    enc: Encoder<'a>,
}

impl<'a> FieldWriter<'a> {
    /// Starts a message: writes BeginString, the BodyLength tag and MsgType.
    pub fn begin(buf: &'a mut Vec<u8>, begin_string: &[u8], msg_type: &[u8]) -> Self {
        Self {
            enc: Encoder::new(buf, begin_string, msg_type),
        }
    }

    /// Fields only, appended to `buf`: no header and no CheckSum (a body
    /// sent later behind a header the session writes, e.g. from another
    /// thread).
    pub fn body(buf: &'a mut Vec<u8>) -> Self {
        Self {
            enc: Encoder::body(buf),
        }
    }

    /// What this writer wrote so far (the whole message once finished).
    pub fn written(&self) -> &[u8] {
        self.enc.written()
    }

    /// [`finish`](Self::finish) through `&mut` (the writer stays, e.g. to
    /// read what it wrote); nothing may be written after it.
    pub(crate) fn finish_in_place(&mut self) -> Range<usize> {
        self.enc.finish_in_place()
    }

    /// Removes what this writer wrote from the buffer.
    pub(crate) fn rollback(&mut self) {
        self.enc.rollback();
    }

    /// The codec encoder, for its typed writers (decimals, data fields...).
    pub fn encoder(&mut self) -> &mut Encoder<'a> {
        &mut self.enc
    }

    /// Appends `tag=value`.
    pub fn field(&mut self, tag: Tag, value: &[u8]) -> &mut Self {
        self.enc.bytes(tag, value);
        self
    }

    /// Appends an unsigned integer field.
    pub fn field_u64(&mut self, tag: Tag, value: u64) -> &mut Self {
        self.enc.uint(tag, value);
        self
    }

    /// Appends a signed integer field.
    pub fn field_i64(&mut self, tag: Tag, value: i64) -> &mut Self {
        self.enc.int(tag, value);
        self
    }

    /// Appends a UTCTimestamp field (`nanos` since the epoch) with
    /// `digits` fractional digits.
    pub fn field_time(&mut self, tag: Tag, nanos: i64, digits: u8) -> &mut Self {
        // The date part is formatted once per day per thread (every
        // outbound header has a SendingTime).
        thread_local! {
            static FORMATTER: RefCell<TimestampFormatter> = const { RefCell::new(TimestampFormatter::new()) };
        }
        let ts = UtcTimestamp::from_nanos(nanos);
        let p = precision(digits);
        FORMATTER.with(|f| match f.try_borrow_mut() {
            Ok(mut f) => {
                self.enc.timestamp_cached(tag, ts, p, &mut f);
            }
            Err(_) => {
                self.enc.timestamp(tag, ts, p);
            }
        });
        self
    }

    /// Appends a boolean (`Y`/`N`) field.
    pub fn field_bool(&mut self, tag: Tag, value: bool) -> &mut Self {
        self.enc.bool(tag, value);
        self
    }

    /// Patches BodyLength, appends CheckSum; returns the message's range in
    /// the buffer.
    pub fn finish(self) -> Range<usize> {
        self.enc.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_length_and_checksum() {
        let mut buf = b"junk".to_vec();
        let mut w = FieldWriter::begin(&mut buf, b"FIX.4.4", b"0");
        w.field_u64(34, 2).field(49, b"ISLD");
        let r = w.finish();
        let msg = &buf[r];
        assert_eq!(
            msg,
            b"8=FIX.4.4\x019=18\x0135=0\x0134=2\x0149=ISLD\x0110=133\x01".as_slice()
        );
    }

    #[test]
    fn field_time_across_days_and_precisions() {
        let day = 86_400 * 1_000_000_000i64;
        let t = 1_767_225_599_123_456_789i64; // 2025-12-31 23:59:59.123456789
        let mut buf = Vec::new();
        let mut w = FieldWriter::begin(&mut buf, b"FIX.4.4", b"0");
        w.field_time(52, t, 3)
            .field_time(60, t + 1_000_000_000, 0)
            .field_time(122, t + day, 6)
            .field_time(52, t, 9);
        w.finish();
        let text = String::from_utf8_lossy(&buf).replace('\x01', "|");
        assert!(text.contains("|52=20251231-23:59:59.123|"), "{text}");
        assert!(text.contains("|60=20260101-00:00:00|"), "{text}");
        assert!(text.contains("|122=20260101-23:59:59.123456|"), "{text}");
        assert!(text.contains("|52=20251231-23:59:59.123456789|"), "{text}");
    }
}
