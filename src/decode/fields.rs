//! Splitting a framed message into its fields, in wire order: the codec's
//! parser, and a lenient splitter that still shows a malformed message.

use ringfix_codec::data_fields::LEN_DATA_PAIRS;
use ringfix_codec::{Parser, INVALID_TAG};

use super::output::Field;

/// Why a message's fields could not all be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Byte offset in the message.
    pub offset: usize,
    /// What is wrong.
    pub what: String,
}

/// The fields of a framed message. When the codec rejects it, the error and
/// whatever fields the lenient splitter finds.
pub fn message_fields<'a>(
    parser: &'a mut Parser,
    bytes: &'a [u8],
) -> (Vec<Field<'a>>, Option<String>) {
    match parser.parse_framed(bytes) {
        Ok(view) if view.fields().all(|f| f.tag != INVALID_TAG) => {
            (view.fields().map(|f| (f.tag, f.value)).collect(), None)
        }
        Ok(_) => {
            let (fields, _) = split_fields(bytes);
            (fields, Some("negative tag number".into()))
        }
        Err(e) => {
            let (fields, _) = split_fields(bytes);
            (fields, Some(e.to_string()))
        }
    }
}

/// Splits `tag=value<SOH>…`. On a malformed field, returns the fields before it and the error.
pub fn split_fields(bytes: &[u8]) -> (Vec<Field<'_>>, Option<FieldError>) {
    let mut fields = Vec::with_capacity(32);
    let mut pos = 0;
    let mut data_len: Option<(u32, usize)> = None;
    while pos < bytes.len() {
        let rest = &bytes[pos..];
        let Some(eq) = memchr::memchr(b'=', rest) else {
            return (fields, Some(err(pos, "field without `=`")));
        };
        let tag_text = &rest[..eq];
        let tag = match std::str::from_utf8(tag_text)
            .ok()
            .and_then(|t| t.parse::<u32>().ok())
        {
            Some(t) if t > 0 && !tag_text.starts_with(b"+") => t,
            _ => {
                let what = format!("bad tag `{}`", String::from_utf8_lossy(tag_text));
                return (fields, Some(err(pos, &what)));
            }
        };
        let value_at = pos + eq + 1;
        let end = match data_len.take() {
            Some((data_tag, len)) if data_tag == tag => value_at + len,
            _ => match memchr::memchr(0x01, &bytes[value_at..]) {
                Some(i) => value_at + i,
                None => return (fields, Some(err(pos, "field not terminated by SOH"))),
            },
        };
        if bytes.get(end) != Some(&0x01) {
            return (fields, Some(err(pos, "data field length does not match")));
        }
        let value = &bytes[value_at..end];
        if let Some(&(_, data_tag)) = LEN_DATA_PAIRS.iter().find(|(l, _)| *l == tag) {
            if let Some(len) = std::str::from_utf8(value).ok().and_then(|v| v.parse().ok()) {
                data_len = Some((data_tag, len));
            }
        }
        fields.push((tag, value));
        pos = end + 1;
    }
    (fields, None)
}

fn err(offset: usize, what: &str) -> FieldError {
    FieldError {
        offset,
        what: what.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_in_wire_order_with_repeated_tags() {
        let (f, e) = split_fields(b"8=FIX.4.4\x0135=D\x01448=A\x01448=B\x01");
        assert!(e.is_none());
        assert_eq!(
            f,
            vec![(8, &b"FIX.4.4"[..]), (35, b"D"), (448, b"A"), (448, b"B")]
        );
    }

    #[test]
    fn data_fields_may_hold_soh() {
        let (f, e) = split_fields(b"95=3\x0196=a\x01b\x0110=000\x01");
        assert!(e.is_none());
        assert_eq!(f, vec![(95, &b"3"[..]), (96, b"a\x01b"), (10, b"000")]);
    }

    #[test]
    fn malformed_fields_are_reported_with_offset() {
        let (f, e) = split_fields(b"8=FIX.4.4\x01x=1\x01");
        assert_eq!(f.len(), 1);
        assert_eq!(e.unwrap().offset, 10);
        let (_, e) = split_fields(b"8=FIX.4.4\x0135=D");
        assert!(e.is_some());
    }
}
