//! Appends one FIX message to the caller's outbound buffer: `8`, `9`
//! (patched at the end), `35`, fields, `10`. No allocation once the
//! buffer's capacity has grown.

use std::ops::Range;

use super::incoming::{Tag, SOH};
use super::time::write_timestamp;

fn push_u64(buf: &mut Vec<u8>, v: u64) {
    let mut tmp = [0u8; 20];
    let mut i = tmp.len();
    let mut n = v;
    loop {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 || i == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[i..]);
}

/// Writes fields of one message into the outbound buffer.
pub struct FieldWriter<'a> {
    buf: &'a mut Vec<u8>,
    start: usize,
    body_start: usize,
}

impl<'a> FieldWriter<'a> {
    /// Starts a message: writes BeginString, the BodyLength tag and MsgType.
    pub fn begin(buf: &'a mut Vec<u8>, begin_string: &[u8], msg_type: &[u8]) -> Self {
        let start = buf.len();
        buf.extend_from_slice(b"8=");
        buf.extend_from_slice(begin_string);
        buf.extend_from_slice(b"\x019=");
        let body_start = buf.len();
        buf.extend_from_slice(b"35=");
        buf.extend_from_slice(msg_type);
        buf.push(SOH);
        Self {
            buf,
            start,
            body_start,
        }
    }

    /// Appends `tag=value`.
    pub fn field(&mut self, tag: Tag, value: &[u8]) -> &mut Self {
        push_u64(self.buf, u64::from(tag));
        self.buf.push(b'=');
        self.buf.extend_from_slice(value);
        self.buf.push(SOH);
        self
    }

    /// Appends an unsigned integer field.
    pub fn field_u64(&mut self, tag: Tag, value: u64) -> &mut Self {
        push_u64(self.buf, u64::from(tag));
        self.buf.push(b'=');
        push_u64(self.buf, value);
        self.buf.push(SOH);
        self
    }

    /// Appends a signed integer field.
    pub fn field_i64(&mut self, tag: Tag, value: i64) -> &mut Self {
        push_u64(self.buf, u64::from(tag));
        self.buf.push(b'=');
        if value < 0 {
            self.buf.push(b'-');
        }
        push_u64(self.buf, value.unsigned_abs());
        self.buf.push(SOH);
        self
    }

    /// Appends a UTCTimestamp field (`nanos` since the epoch).
    pub fn field_time(&mut self, tag: Tag, nanos: i64, precision: u8) -> &mut Self {
        push_u64(self.buf, u64::from(tag));
        self.buf.push(b'=');
        write_timestamp(self.buf, nanos, precision);
        self.buf.push(SOH);
        self
    }

    /// Appends a boolean (`Y`/`N`) field.
    pub fn field_bool(&mut self, tag: Tag, value: bool) -> &mut Self {
        self.field(tag, if value { b"Y" } else { b"N" })
    }

    /// Patches BodyLength, appends CheckSum; returns the message's range in
    /// the buffer.
    pub fn finish(self) -> Range<usize> {
        let body_len = self.buf.len() - self.body_start;
        let mut digits = [0u8; 21];
        let mut i = digits.len() - 1;
        digits[i] = SOH;
        let mut n = body_len;
        loop {
            i -= 1;
            digits[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 || i == 0 {
                break;
            }
        }
        let ins = &digits[i..];
        self.buf
            .splice(self.body_start..self.body_start, ins.iter().copied());
        let sum = self.buf[self.start..]
            .iter()
            .fold(0u32, |acc, &b| acc.wrapping_add(u32::from(b)))
            % 256;
        self.buf.extend_from_slice(b"10=");
        self.buf.push(b'0' + (sum / 100) as u8);
        self.buf.push(b'0' + ((sum / 10) % 10) as u8);
        self.buf.push(b'0' + (sum % 10) as u8);
        self.buf.push(SOH);
        self.start..self.buf.len()
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
