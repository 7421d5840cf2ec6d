//! Typed FIX names generated at build time from the shipped dictionaries
//! (`spec/*.xml`, union over FIX.4.0 - FIX.5.0SP2 and FIXT.1.1; where
//! versions disagree the newest name wins).
//!
//! - a constant per field: `fields::MSG_SEQ_NUM: Tag = 34`;
//! - [`msg_type`]: `fields::msg_type::NEW_ORDER_SINGLE == b"D"`;
//! - [`values`]: `fields::values::side::BUY == b"1"`;
//! - lookups for decoders: [`name`], [`tag`], [`value_name`], [`msg_type_name`].

use crate::Tag;

include!(concat!(env!("OUT_DIR"), "/fields.rs"));

/// Field name of a tag (e.g. 34 -> `MsgSeqNum`).
pub fn name(tag: Tag) -> Option<&'static str> {
    let i = NAMES.binary_search_by_key(&tag, |e| e.0).ok()?;
    NAMES.get(i).map(|e| e.1)
}

/// Tag of a field name (linear search; for tools, not the hot path).
pub fn tag(name: &str) -> Option<Tag> {
    NAMES.iter().find(|e| e.1 == name).map(|e| e.0)
}

/// Description of an enumerated value (e.g. (54, `1`) -> `BUY`).
pub fn value_name(tag: Tag, value: &[u8]) -> Option<&'static str> {
    let i = VALUES
        .binary_search_by(|e| (e.0, e.1).cmp(&(tag, value)))
        .ok()?;
    VALUES.get(i).map(|e| e.2)
}

/// Message name of a MsgType (e.g. `D` -> `NewOrderSingle`).
pub fn msg_type_name(msg_type: &[u8]) -> Option<&'static str> {
    let i = MESSAGES.binary_search_by(|e| e.0.cmp(msg_type)).ok()?;
    MESSAGES.get(i).map(|e| e.1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constants_and_lookups() {
        assert_eq!(MSG_SEQ_NUM, 34);
        assert_eq!(SECURITY_ID_SOURCE, 22);
        assert_eq!(CL_ORD_ID, 11);
        assert_eq!(APPL_VER_ID, 1128);
        assert_eq!(msg_type::NEW_ORDER_SINGLE, b"D");
        assert_eq!(msg_type::HEARTBEAT, b"0");
        assert_eq!(values::side::BUY, b"1");
        assert_eq!(values::ord_type::LIMIT, b"2");
        assert_eq!(name(35), Some("MsgType"));
        assert_eq!(name(4_000_000), None);
        assert_eq!(tag("TargetCompID"), Some(56));
        assert_eq!(value_name(54, b"2"), Some("SELL"));
        assert_eq!(value_name(54, b"Z"), None);
        assert_eq!(msg_type_name(b"8"), Some("ExecutionReport"));
        assert_eq!(msg_type_name(b"**"), None);
    }
}
