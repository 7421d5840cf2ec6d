//! [`FixedMessage`]: an application message body encoded by the caller into
//! a fixed-capacity inline buffer, so a cross-thread send moves bytes through
//! a bounded queue without touching the heap. The session writes the header
//! (and CheckSum) when the reactor sends it.

use ringfix_codec::itoa::{format_u64, MAX_INT_LEN};
use ringfix_codec::{Decimal, TimePrecision, UtcTimestamp, MAX_TIMESTAMP_LEN};

use crate::session::Tag;

/// Body bytes a [`FixedMessage`] holds (`tag=value<SOH>` pairs).
pub const MAX_BODY_LEN: usize = 448;

/// Longest MsgType a [`FixedMessage`] holds.
pub const MAX_MSG_TYPE_LEN: usize = 8;

/// An application message (MsgType + body fields, no header), encoded in
/// place. Writers never fail: a message that outgrows [`MAX_BODY_LEN`] is
/// marked [`overflowed`](Self::overflowed) and refused when sent.
#[derive(Clone)]
pub struct FixedMessage {
    body: [u8; MAX_BODY_LEN],
    len: u16,
    msg_type: [u8; MAX_MSG_TYPE_LEN],
    type_len: u8,
    overflow: bool,
    /// Tag stamped with the send time on the reactor thread, if any.
    stamp: Option<Tag>,
}

impl FixedMessage {
    /// An empty message of `msg_type` (e.g. `fields::msg_type::NEW_ORDER_SINGLE`).
    pub fn new(msg_type: &[u8]) -> Self {
        let mut m = Self {
            body: [0; MAX_BODY_LEN],
            len: 0,
            msg_type: [0; MAX_MSG_TYPE_LEN],
            type_len: 0,
            overflow: false,
            stamp: None,
        };
        m.set_msg_type(msg_type);
        m
    }

    /// Empties the body and sets a new MsgType (reuse one message value).
    pub fn reset(&mut self, msg_type: &[u8]) {
        self.len = 0;
        self.overflow = false;
        self.stamp = None;
        self.set_msg_type(msg_type);
    }

    fn set_msg_type(&mut self, msg_type: &[u8]) {
        match self.msg_type.get_mut(..msg_type.len()) {
            Some(dst) if !msg_type.is_empty() => {
                dst.copy_from_slice(msg_type);
                self.type_len = msg_type.len() as u8;
            }
            _ => {
                self.type_len = 0;
                self.overflow = true;
            }
        }
    }

    /// The MsgType.
    pub fn msg_type(&self) -> &[u8] {
        self.msg_type
            .get(..usize::from(self.type_len))
            .unwrap_or_default()
    }

    /// The encoded body fields (`tag=value<SOH>...`).
    pub fn body(&self) -> &[u8] {
        self.body.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// Whether a writer ran out of room (or the MsgType was empty or too
    /// long): such a message is refused by the sender.
    pub fn overflowed(&self) -> bool {
        self.overflow
    }

    /// The tag the reactor stamps with the send time (see
    /// [`stamp_send_time`](Self::stamp_send_time)).
    pub fn stamp(&self) -> Option<Tag> {
        self.stamp
    }

    /// Has the session append `tag` (e.g. TransactTime 60) with the time
    /// the reactor sends the message, at the session's timestamp precision.
    pub fn stamp_send_time(&mut self, tag: Tag) -> &mut Self {
        self.stamp = Some(tag);
        self
    }

    fn push(&mut self, parts: &[&[u8]]) {
        let start = usize::from(self.len);
        let total: usize = parts.iter().map(|p| p.len()).sum();
        let Some(dst) = self.body.get_mut(start..start + total) else {
            self.overflow = true;
            return;
        };
        let mut at = 0;
        for p in parts {
            if let Some(d) = dst.get_mut(at..at + p.len()) {
                d.copy_from_slice(p);
            }
            at += p.len();
        }
        // start + total <= MAX_BODY_LEN < u16::MAX
        self.len = (start + total) as u16;
    }

    fn push_field(&mut self, tag: Tag, value: &[u8]) {
        let mut t = [0u8; MAX_INT_LEN];
        let i = format_u64(u64::from(tag), &mut t);
        let tag = t.get(i..).unwrap_or_default();
        self.push(&[tag, b"=", value, b"\x01"]);
    }

    /// Appends `tag=value`.
    pub fn field(&mut self, tag: Tag, value: &[u8]) -> &mut Self {
        self.push_field(tag, value);
        self
    }

    /// Appends an unsigned integer field.
    pub fn field_u64(&mut self, tag: Tag, value: u64) -> &mut Self {
        let mut b = [0u8; MAX_INT_LEN];
        let i = format_u64(value, &mut b);
        self.push_field(tag, b.get(i..).unwrap_or_default());
        self
    }

    /// Appends a signed integer field.
    pub fn field_i64(&mut self, tag: Tag, value: i64) -> &mut Self {
        let mut b = [0u8; MAX_INT_LEN];
        let mut i = format_u64(value.unsigned_abs(), &mut b);
        if value < 0 && i > 0 {
            i -= 1;
            if let Some(c) = b.get_mut(i) {
                *c = b'-';
            }
        }
        self.push_field(tag, b.get(i..).unwrap_or_default());
        self
    }

    /// Appends a one-character field (e.g. Side, OrdType).
    pub fn field_char(&mut self, tag: Tag, value: u8) -> &mut Self {
        self.push_field(tag, &[value]);
        self
    }

    /// Appends a decimal field in FIX form (`100`, `-0.05`, `123.45`).
    pub fn field_decimal(&mut self, tag: Tag, value: Decimal) -> &mut Self {
        let mut digits = [0u8; MAX_INT_LEN];
        let i = format_u64(value.mantissa.unsigned_abs(), &mut digits);
        let digits = digits.get(i..).unwrap_or_default();
        let scale = usize::from(value.scale);
        let sign: &[u8] = if value.mantissa < 0 { b"-" } else { b"" };
        let mut out = [0u8; 2 * MAX_INT_LEN + 2];
        let mut n = 0;
        let mut put = |s: &[u8]| {
            if let Some(d) = out.get_mut(n..n + s.len()) {
                d.copy_from_slice(s);
            }
            n += s.len();
        };
        put(sign);
        if scale == 0 {
            put(digits);
        } else if digits.len() > scale {
            let (int, frac) = digits.split_at(digits.len() - scale);
            put(int);
            put(b".");
            put(frac);
        } else {
            put(b"0.");
            for _ in digits.len()..scale {
                put(b"0");
            }
            put(digits);
        }
        if n > out.len() {
            self.overflow = true;
            return self;
        }
        self.push_field(tag, out.get(..n).unwrap_or_default());
        self
    }

    /// Appends a UTCTimestamp field.
    pub fn field_time(
        &mut self,
        tag: Tag,
        ts: UtcTimestamp,
        precision: TimePrecision,
    ) -> &mut Self {
        let mut b = [0u8; MAX_TIMESTAMP_LEN];
        let n = ts.write(precision, &mut b);
        self.push_field(tag, b.get(..n).unwrap_or_default());
        self
    }
}

impl std::fmt::Debug for FixedMessage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixedMessage")
            .field("msg_type", &String::from_utf8_lossy(self.msg_type()))
            .field(
                "body",
                &String::from_utf8_lossy(self.body()).replace('\x01', "|"),
            )
            .field("overflow", &self.overflow)
            .field("stamp", &self.stamp)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_fields() {
        let mut m = FixedMessage::new(b"D");
        m.field(11, b"A1")
            .field_u64(38, 100)
            .field_i64(99, -42)
            .field_char(54, b'1')
            .field_decimal(
                44,
                Decimal {
                    mantissa: 10025,
                    scale: 2,
                },
            )
            .field_decimal(
                45,
                Decimal {
                    mantissa: -5,
                    scale: 2,
                },
            )
            .field_decimal(
                46,
                Decimal {
                    mantissa: 7,
                    scale: 0,
                },
            )
            .field_time(60, UtcTimestamp::from_millis(1_000), TimePrecision::Millis);
        assert_eq!(m.msg_type(), b"D");
        assert_eq!(
            m.body(),
            b"11=A1\x0138=100\x0199=-42\x0154=1\x0144=100.25\x0145=-0.05\x0146=7\x0160=19700101-00:00:01.000\x01"
                .as_slice()
        );
        assert!(!m.overflowed());
    }

    #[test]
    fn overflow_is_sticky_and_reset_clears_it() {
        let mut m = FixedMessage::new(b"D");
        let big = [b'x'; MAX_BODY_LEN];
        m.field(58, &big);
        assert!(m.overflowed());
        assert!(m.body().is_empty());
        m.reset(b"F");
        assert!(!m.overflowed());
        assert!(FixedMessage::new(b"").overflowed());
        assert!(FixedMessage::new(b"TOOLONGTYPE").overflowed());
        // Exactly full still fits.
        let mut m = FixedMessage::new(b"D");
        m.field(58, &big[..MAX_BODY_LEN - 4]);
        assert!(!m.overflowed());
        assert_eq!(m.body().len(), MAX_BODY_LEN);
    }
}
