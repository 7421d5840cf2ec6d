//! Secrets out of logs: the values of chosen tags written as `***`.
//!
//! A redacted copy of a whole message stays a valid message: BodyLength,
//! CheckSum and the length field of a redacted data field (EncryptedPassword
//! 1402 has its length in 1401) are rewritten. The check is cheap where it
//! runs for every message: the default tags (passwords) appear in the FIX
//! dictionaries only in Logon (A) and UserRequest (BE), so a message of
//! another type is passed after a look at its MsgType. A tag set with any
//! other tag is looked for in every message.

use std::borrow::Cow;

use crate::data_fields::data_tag_for;
use crate::{Tag, SOH};

/// What a redacted value is written as.
pub const MASK: &[u8] = b"***";

/// `RedactFieldsInLogs`' default: Password, NewPassword, EncryptedPassword,
/// EncryptedNewPassword.
pub const DEFAULT_TAGS: &[Tag] = &[554, 925, 1402, 1404];

/// The password tags: Password, NewPassword and the Encrypted* fields with
/// their method and lengths. The dictionaries place them only in
/// [`PASSWORD_TYPES`].
const PASSWORD_TAGS: &[Tag] = &[554, 925, 1400, 1401, 1402, 1403, 1404];

/// The message types whose definition holds a password tag (FIX 4.3 to
/// 5.0SP2, FIXT.1.1): Logon and UserRequest.
const PASSWORD_TYPES: &[&[u8]] = &[b"A", b"BE"];

/// A set of tags whose values are masked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redaction {
    /// Sorted, without duplicates.
    tags: Vec<Tag>,
    /// A tag outside [`PASSWORD_TAGS`]: every message type is searched.
    every_type: bool,
}

impl Default for Redaction {
    /// [`DEFAULT_TAGS`].
    fn default() -> Self {
        Self::new(DEFAULT_TAGS.iter().copied())
    }
}

impl Redaction {
    /// Masks these tags.
    pub fn new(tags: impl IntoIterator<Item = Tag>) -> Self {
        let mut tags: Vec<Tag> = tags.into_iter().collect();
        tags.sort_unstable();
        tags.dedup();
        let every_type = tags.iter().any(|t| !PASSWORD_TAGS.contains(t));
        Self { tags, every_type }
    }

    /// Masks nothing.
    pub fn none() -> Self {
        Self::new([])
    }

    /// The masked tags, ascending.
    pub fn tags(&self) -> &[Tag] {
        &self.tags
    }

    /// Whether nothing is masked.
    pub fn is_empty(&self) -> bool {
        self.tags.is_empty()
    }

    /// Whether `tag`'s values are masked.
    #[inline]
    pub fn masks(&self, tag: Tag) -> bool {
        !self.tags.is_empty() && self.tags.binary_search(&tag).is_ok()
    }

    /// The cheap test: whether `msg` (one whole message) may hold a masked
    /// tag. With the password tags only, a look at its MsgType.
    #[inline]
    pub fn may_apply(&self, msg: &[u8]) -> bool {
        if self.tags.is_empty() {
            return false;
        }
        if self.every_type {
            return true;
        }
        msg_type(msg).is_none_or(|t| PASSWORD_TYPES.contains(&t))
    }

    /// Whether `msg` holds a masked tag (a walk over its fields).
    pub fn applies(&self, msg: &[u8]) -> bool {
        self.may_apply(msg) && Fields::new(msg).any(|f| self.masks(f.tag))
    }

    /// `msg` with the masked values replaced, borrowed when nothing is
    /// masked.
    pub fn redact<'a>(&self, msg: &'a [u8]) -> Cow<'a, [u8]> {
        if !self.applies(msg) {
            return Cow::Borrowed(msg);
        }
        let mut out = Vec::with_capacity(msg.len());
        self.redact_into(msg, &mut out);
        Cow::Owned(out)
    }

    /// Appends `msg` to `out` with the masked values replaced by [`MASK`]
    /// (and, when a value changed, BodyLength, CheckSum and the length of a
    /// masked data field rewritten); true if a value was masked. Bytes that
    /// are not `tag=value` fields are copied as they are.
    pub fn redact_into(&self, msg: &[u8], out: &mut Vec<u8>) -> bool {
        let start = out.len();
        if !self.may_apply(msg) {
            out.extend_from_slice(msg);
            return false;
        }
        let mut changed = false;
        // Where the last length field's value was written in `out`.
        let mut last_len: Option<(Tag, std::ops::Range<usize>)> = None;
        let mut copied = 0;
        for f in Fields::new(msg) {
            out.extend_from_slice(msg.get(copied..f.value.start).unwrap_or_default());
            copied = f.value.end;
            if !self.masks(f.tag) {
                let at = out.len();
                out.extend_from_slice(msg.get(f.value.clone()).unwrap_or_default());
                if data_tag_for(f.tag).is_some() {
                    last_len = Some((f.tag, at..out.len()));
                }
                continue;
            }
            changed = true;
            out.extend_from_slice(MASK);
            let announced = last_len
                .take()
                .filter(|(len_tag, _)| data_tag_for(*len_tag) == Some(f.tag));
            if let Some((_, range)) = announced {
                out.splice(range, MASK.len().to_string().into_bytes());
            }
        }
        out.extend_from_slice(msg.get(copied..).unwrap_or_default());
        if changed {
            fix_trailer(out, start);
        }
        changed
    }
}

impl Redaction {
    /// A line of text (an event, a tracing record) with the masked tags'
    /// values replaced: wherever `TAG=` starts the text or follows SOH, `|`,
    /// a space, a quote or `(`, its value up to the next SOH, `|`, space,
    /// quote, `)` or line end becomes [`MASK`]. Borrowed when nothing is
    /// masked.
    pub fn redact_text<'a>(&self, text: &'a str) -> Cow<'a, str> {
        if self.tags.is_empty() || !text.as_bytes().contains(&b'=') {
            return Cow::Borrowed(text);
        }
        let b = text.as_bytes();
        let starts =
            |i: usize| i == 0 || matches!(b[i - 1], SOH | b'|' | b' ' | b'"' | b'(' | b'\t');
        let ends = |c: u8| matches!(c, SOH | b'|' | b' ' | b'"' | b')' | b'\n' | b'\r' | b'\t');
        let mut out: Option<String> = None;
        let mut copied = 0;
        let mut i = 0;
        while i < b.len() {
            let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            if digits == 0 || !starts(i) || b.get(i + digits) != Some(&b'=') {
                i += digits.max(1);
                continue;
            }
            let tag = text[i..i + digits].parse::<Tag>().ok();
            let value = i + digits + 1;
            let end = b[value..]
                .iter()
                .position(|&c| ends(c))
                .map_or(b.len(), |n| value + n);
            if tag.is_some_and(|t| self.masks(t)) && end > value {
                let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
                o.push_str(&text[copied..value]);
                o.push_str("***");
                copied = end;
            }
            i = end.max(i + 1);
        }
        match out {
            Some(mut o) => {
                o.push_str(&text[copied..]);
                Cow::Owned(o)
            }
            None => Cow::Borrowed(text),
        }
    }
}

/// Rewrites BodyLength and CheckSum of the message at `out[start..]`, when
/// it has both where a message has them.
fn fix_trailer(out: &mut Vec<u8>, start: usize) {
    let msg = out.get(start..).unwrap_or_default();
    let mut fields = Fields::new(msg);
    let (Some(_), Some(len)) = (fields.next(), fields.next()) else {
        return;
    };
    if len.tag != 9 {
        return;
    }
    let body_start = len.value.end + 1;
    let Some(last) = Fields::new(msg).last() else {
        return;
    };
    // `10=` starts three bytes before the value.
    let Some(trailer) = last.value.start.checked_sub(3) else {
        return;
    };
    if last.tag != 10 || trailer < body_start {
        return;
    }
    let body_len = trailer - body_start;
    let digits = body_len.to_string().into_bytes();
    let len_range = start + len.value.start..start + len.value.end;
    let grew = digits.len() as isize - len_range.len() as isize;
    out.splice(len_range, digits.iter().copied());
    let trailer = (start as isize + trailer as isize + grew) as usize;
    let sum = crate::checksum(out.get(start..trailer).unwrap_or_default());
    let value = trailer + 3;
    if let Some(v) = out.get_mut(value..value + 3) {
        v.copy_from_slice(&[b'0' + sum / 100, b'0' + sum / 10 % 10, b'0' + sum % 10]);
    }
}

/// The MsgType of a message (the third field), if it has one there.
#[inline]
pub fn msg_type(msg: &[u8]) -> Option<&[u8]> {
    let first = memchr::memchr(SOH, msg)?;
    let rest = msg.get(first + 1..)?;
    let second = memchr::memchr(SOH, rest)?;
    let rest = rest.get(second + 1..)?.strip_prefix(b"35=")?;
    let end = memchr::memchr(SOH, rest).unwrap_or(rest.len());
    rest.get(..end)
}

/// One `tag=value` field: the tag and where its value lies.
struct Field {
    tag: Tag,
    value: std::ops::Range<usize>,
}

/// The fields of raw message bytes, data fields taken by their announced
/// length. Stops at bytes that are not `digits=`.
struct Fields<'a> {
    msg: &'a [u8],
    pos: usize,
    /// The data tag announced by the last length field, and its length.
    data: Option<(Tag, usize)>,
}

impl<'a> Fields<'a> {
    fn new(msg: &'a [u8]) -> Self {
        Self {
            msg,
            pos: 0,
            data: None,
        }
    }
}

impl Iterator for Fields<'_> {
    type Item = Field;

    fn next(&mut self) -> Option<Field> {
        let rest = self.msg.get(self.pos..)?;
        let eq = rest.iter().take(10).position(|&b| b == b'=')?;
        let digits = rest.get(..eq)?;
        if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
            return None;
        }
        let tag = digits.iter().try_fold(0u32, |n, d| {
            n.checked_mul(10)?.checked_add(u32::from(d - b'0'))
        })?;
        let start = self.pos + eq + 1;
        let tail = self.msg.get(start..)?;
        let announced = self.data.take().filter(|(t, _)| *t == tag).map(|(_, n)| n);
        let len = match announced {
            Some(n) if tail.get(n) == Some(&SOH) => n,
            _ => memchr::memchr(SOH, tail).unwrap_or(tail.len()),
        };
        let value = start..start + len;
        if let Some(data_tag) = data_tag_for(tag) {
            let n = std::str::from_utf8(self.msg.get(value.clone())?)
                .ok()
                .and_then(|s| s.parse().ok());
            self.data = n.map(|n| (data_tag, n));
        }
        self.pos = value.end + 1;
        Some(Field { tag, value })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{frame, Encoder, Frame, Parser, DEFAULT_MAX_MESSAGE_SIZE};

    fn logon(password: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut e = Encoder::new(&mut out, b"FIXT.1.1", b"A");
        e.uint(34, 1).bytes(49, b"INIT").bytes(56, b"ACC");
        e.uint(98, 0)
            .uint(108, 30)
            .bytes(553, b"alice")
            .bytes(554, password);
        e.uint(1401, 7).bytes(1402, b"s\x01cret!").bytes(1137, b"9");
        e.finish();
        out
    }

    fn valid(msg: &[u8]) -> bool {
        matches!(frame(msg, DEFAULT_MAX_MESSAGE_SIZE), Frame::Complete(n) if n == msg.len())
    }

    #[test]
    fn masks_password_and_data_field_and_stays_valid() {
        let msg = logon(b"hunter22");
        assert!(valid(&msg));
        let r = Redaction::default();
        let out = r.redact(&msg);
        assert!(matches!(out, Cow::Owned(_)));
        assert!(valid(&out), "{}", String::from_utf8_lossy(&out));
        let text = String::from_utf8_lossy(&out).replace('\x01', "|");
        assert!(
            text.contains("|553=alice|554=***|1401=3|1402=***|1137=9|"),
            "{text}"
        );
        assert!(
            !text.contains("hunter22") && !text.contains("cret"),
            "{text}"
        );
        let mut p = Parser::new();
        let v = p.parse(&out).unwrap();
        assert_eq!(v.get(554), Some(&b"***"[..]));
        assert_eq!(v.get(1402), Some(&b"***"[..]));
    }

    #[test]
    fn body_length_digits_change() {
        // A password long enough that BodyLength loses a digit when masked.
        let msg = logon(&[b'x'; 60]);
        let out = Redaction::default().redact(&msg).into_owned();
        assert!(valid(&out), "{}", String::from_utf8_lossy(&out));
        assert!(out.len() < msg.len());
    }

    #[test]
    fn application_messages_pass_by_msg_type() {
        let mut out = Vec::new();
        let mut e = Encoder::new(&mut out, b"FIX.4.4", b"D");
        e.uint(34, 2).bytes(554, b"notlooked").bytes(11, b"X");
        e.finish();
        let r = Redaction::default();
        assert!(!r.may_apply(&out));
        assert!(matches!(r.redact(&out), Cow::Borrowed(_)));
        // Another tag than a password's: every message is searched.
        let r = Redaction::new([11]);
        assert!(r.may_apply(&out));
        let red = r.redact(&out);
        assert!(valid(&red));
        assert!(String::from_utf8_lossy(&red).contains("\x0111=***\x01"));
    }

    #[test]
    fn fragments_and_none() {
        assert!(Redaction::none().redact(&logon(b"pw")).contains(&b'p'));
        let r = Redaction::default();
        assert_eq!(&*r.redact(b"garbage"), b"garbage");
        let frag = b"8=FIX.4.4\x019=5\x0135=A\x01554=pw";
        assert_eq!(&*r.redact(frag), b"8=FIX.4.4\x019=5\x0135=A\x01554=***");
        assert_eq!(msg_type(frag), Some(&b"A"[..]));
        assert!(r.masks(554) && !r.masks(553));
    }

    #[test]
    fn text_lines() {
        let r = Redaction::default();
        assert!(matches!(
            r.redact_text("no secret 553=alice"),
            Cow::Borrowed(_)
        ));
        assert_eq!(
            r.redact_text("Logon refused: 8=FIX.4.4|35=A|553=a|554=pw d|58=x"),
            "Logon refused: 8=FIX.4.4|35=A|553=a|554=*** d|58=x"
        );
        assert_eq!(
            r.redact_text("msg=\"35=A\x01554=s3\x01\""),
            "msg=\"35=A\x01554=***\x01\""
        );
        assert_eq!(
            r.redact_text("554=x 925=y (1402=z)"),
            "554=*** 925=*** (1402=***)"
        );
        // Not at a field start, or another tag: kept.
        assert_eq!(r.redact_text("a554=x 5540=y 55=z"), "a554=x 5540=y 55=z");
        assert_eq!(Redaction::none().redact_text("554=x"), "554=x");
        assert_eq!(r.redact_text("é 554=ü"), "é 554=***");
    }
}
