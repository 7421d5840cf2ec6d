//! Messages in dictionary order (QuickFIX C++ `PreserveMessageFieldsOrder`):
//! QuickFIX then builds the messages its session composes, and the ones
//! it resends, with the header and body fields in the order the data
//! dictionary lists them; fields the dictionary does not list follow, by
//! tag. Without it a message is 8, 9, 35, then ascending tags.

use std::sync::Arc;

use super::Dictionary;
use crate::data_fields::data_tag_for;
use crate::{Tag, SOH};

/// Most fields a message may have to be reordered (larger ones are left
/// as written: the session's own messages are far smaller).
const MAX_FIELDS: usize = 128;

/// The header and body orders of a session's dictionaries.
#[derive(Debug, Clone)]
pub struct FieldOrder {
    session: Arc<Dictionary>,
    /// FIXT.1.1: the dictionary of application messages (DefaultApplVerID).
    app: Option<Arc<Dictionary>>,
}

/// One field (a data field rides with its length field): where it is and
/// where it goes.
#[derive(Clone, Copy, Default)]
struct Span {
    key: (u8, usize, Tag),
    start: usize,
    end: usize,
}

impl FieldOrder {
    /// The orders of `session` (a FIX.4.x dictionary, or FIXT.1.1 with
    /// `app` for application message bodies).
    pub fn new(session: Arc<Dictionary>, app: Option<Arc<Dictionary>>) -> FieldOrder {
        FieldOrder { session, app }
    }

    /// Rewrites one complete message (`8=` through `10=nnn<SOH>`) in place
    /// with its fields in dictionary order. BodyLength and CheckSum stay
    /// right: the same bytes, in another order. A message whose body holds
    /// a repeating group, or that does not split into fields, is left as is.
    pub fn apply(&self, msg: &mut [u8]) {
        let mut spans = [Span::default(); MAX_FIELDS];
        let Some(n) = self.plan(msg, &mut spans) else {
            return;
        };
        let spans = &mut spans[..n];
        spans.sort_by_key(|s| s.key);
        let mut out = Vec::with_capacity(msg.len());
        for s in spans.iter() {
            out.extend_from_slice(msg.get(s.start..s.end).unwrap_or_default());
        }
        if out.len() == msg.len() {
            msg.copy_from_slice(&out);
        }
    }

    /// Splits `msg` into spans keyed by (section, rank, tag); `None` when
    /// it must stay as written.
    fn plan(&self, msg: &[u8], spans: &mut [Span; MAX_FIELDS]) -> Option<usize> {
        let msg_type = field_value(msg, 35)?;
        let body_dict = match &self.app {
            Some(app) if !super::validate::is_transport_msg_type(&self.session, msg_type) => app,
            _ => &self.session,
        };
        let def = body_dict.message(msg_type);
        let body_order: &[Tag] = def.map_or(&[], |d| d.field_order());
        let header_order = self.session.header_order();
        let mut n = 0usize;
        let mut p = 0usize;
        let mut pending: Option<(Tag, usize)> = None;
        while p < msg.len() {
            let rest = msg.get(p..)?;
            let eq = rest.iter().position(|&b| b == b'=')?;
            let tag = parse_tag(rest.get(..eq)?)?;
            let value = p + eq + 1;
            let end = match pending.take() {
                Some((data, len)) if data == tag => value + len,
                _ => value + msg.get(value..)?.iter().position(|&b| b == SOH)?,
            };
            if msg.get(end) != Some(&SOH) {
                return None;
            }
            if let Some(data) = data_tag_for(tag) {
                let len = std::str::from_utf8(msg.get(value..end)?)
                    .ok()?
                    .parse()
                    .ok()?;
                pending = Some((data, len));
            }
            if let Some(last) = n.checked_sub(1).and_then(|i| spans.get_mut(i)) {
                if last.end == p && matches!(data_tag_for(last.key.2), Some(d) if d == tag) {
                    // The data field stays behind its length field.
                    last.end = end + 1;
                    p = end + 1;
                    continue;
                }
            }
            if def.is_some_and(|d| body_dict.group(&d.msg_type, tag).is_some()) {
                return None;
            }
            let key = if tag == 10 {
                (3, 0, tag)
            } else if self.session.is_trailer_field(tag) {
                (2, 0, tag)
            } else if self.session.is_header_field(tag) {
                (0, rank(header_order, tag), tag)
            } else {
                (1, rank(body_order, tag), tag)
            };
            let slot = spans.get_mut(n)?;
            *slot = Span {
                key,
                start: p,
                end: end + 1,
            };
            n += 1;
            p = end + 1;
        }
        Some(n)
    }
}

/// Position in `order`; fields not listed come after, by tag.
fn rank(order: &[Tag], tag: Tag) -> usize {
    order.iter().position(|&t| t == tag).unwrap_or(usize::MAX)
}

fn parse_tag(b: &[u8]) -> Option<Tag> {
    if b.is_empty() || b.len() > 9 || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// The first value of `tag` in a raw message.
fn field_value(msg: &[u8], tag: Tag) -> Option<&[u8]> {
    let prefix = format!("\x01{tag}=");
    let at = msg
        .windows(prefix.len())
        .position(|w| w == prefix.as_bytes())?
        + prefix.len();
    let rest = msg.get(at..)?;
    rest.get(..rest.iter().position(|&b| b == SOH)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dict::builtin_for_begin_string;

    fn wire(fields: &str) -> Vec<u8> {
        let fields = fields.replace('|', "\x01");
        let (begin, body) = fields.split_once('\x01').unwrap();
        let body = format!("{body}\x01");
        let mut out = format!("{begin}\x019={}\x01{body}", body.len()).into_bytes();
        let sum = crate::checksum(&out);
        out.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
        out
    }

    fn order(begin: &str) -> FieldOrder {
        FieldOrder::new(builtin_for_begin_string(begin.as_bytes()).unwrap(), None)
    }

    #[test]
    fn header_and_body_in_dictionary_order() {
        let mut m = wire("8=FIX.4.4|35=3|34=2|49=ISLD|52=20260101-00:00:00.000|56=TW|45=2|58=Invalid tag number|371=999|372=0|373=0");
        let before = m.clone();
        order("FIX.4.4").apply(&mut m);
        let want = wire("8=FIX.4.4|35=3|49=ISLD|56=TW|34=2|52=20260101-00:00:00.000|45=2|371=999|372=0|373=0|58=Invalid tag number");
        assert_eq!(String::from_utf8_lossy(&m), String::from_utf8_lossy(&want));
        // The same bytes: BodyLength and CheckSum still hold.
        assert_eq!(m.len(), before.len());
        assert!(crate::Parser::new().parse(&m).is_ok());
        // SequenceReset: GapFillFlag before NewSeqNo.
        let mut gap = wire("8=FIX.4.2|35=4|34=2|43=Y|49=ISLD|52=20260101-00:00:00.000|56=TW|122=20260101-00:00:00.000|36=5|123=Y");
        order("FIX.4.2").apply(&mut gap);
        let want = wire("8=FIX.4.2|35=4|49=ISLD|56=TW|34=2|43=Y|52=20260101-00:00:00.000|122=20260101-00:00:00.000|123=Y|36=5");
        assert_eq!(
            String::from_utf8_lossy(&gap),
            String::from_utf8_lossy(&want)
        );
    }

    #[test]
    fn data_fields_stay_paired_and_groups_stay_put() {
        let mut m =
            wire("8=FIX.4.4|35=A|34=1|49=A|52=20260101-00:00:00|56=B|95=3|96=a\x01b|98=0|108=30");
        order("FIX.4.4").apply(&mut m);
        let want =
            wire("8=FIX.4.4|35=A|49=A|56=B|34=1|52=20260101-00:00:00|98=0|108=30|95=3|96=a\x01b");
        assert_eq!(String::from_utf8_lossy(&m), String::from_utf8_lossy(&want));
        let with_group = wire("8=FIX.4.4|35=A|34=1|49=A|52=x|56=B|98=0|108=30|384=1|372=D");
        let mut g = with_group.clone();
        order("FIX.4.4").apply(&mut g);
        assert_eq!(g, with_group);
    }
}
