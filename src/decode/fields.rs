//! Splitting a framed message into its fields, in wire order.

use super::output::Field;

/// (Length tag, data tag) pairs of the standard `data` fields, whose values may hold SOH.
const DATA_FIELDS: &[(u32, u32)] = &[
    (90, 91),   // SecureData
    (93, 89),   // Signature
    (95, 96),   // RawData
    (212, 213), // XmlData
    (348, 349), // EncodedIssuer
    (350, 351), // EncodedSecurityDesc
    (352, 353), // EncodedListExecInst
    (354, 355), // EncodedText
    (356, 357), // EncodedSubject
    (358, 359), // EncodedHeadline
    (360, 361), // EncodedAllocText
    (362, 363), // EncodedUnderlyingIssuer
    (364, 365), // EncodedUnderlyingSecurityDesc
    (445, 446), // EncodedListStatusText
    (618, 619), // EncodedLegIssuer
    (621, 622), // EncodedLegSecurityDesc
];

/// Why a message's fields could not all be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// Byte offset in the message.
    pub offset: usize,
    /// What is wrong.
    pub what: String,
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
        if let Some(&(_, data_tag)) = DATA_FIELDS.iter().find(|(l, _)| *l == tag) {
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
