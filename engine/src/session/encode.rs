//! Appends one FIX message to the caller's outbound buffer through the
//! codec's [`Encoder`]: `8`, `9` (patched at the end), `35`, fields, `10`.
//! No allocation once the buffer's capacity has grown.

use std::ops::Range;

use ringfix_codec::{Encoder, UtcTimestamp};

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
        self.enc
            .timestamp(tag, UtcTimestamp::from_nanos(nanos), precision(digits));
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
}
