//! A validation failure as data: what QuickFIX would answer, minus the message.

use std::fmt;

/// SessionRejectReason (373) codes and the Text (58) QuickFIX sends with them.
pub mod reason {
    /// 0: Invalid tag number.
    pub const INVALID_TAG_NUMBER: u32 = 0;
    /// 1: Required tag missing.
    pub const REQUIRED_TAG_MISSING: u32 = 1;
    /// 2: Tag not defined for this message type.
    pub const TAG_NOT_DEFINED_FOR_MESSAGE: u32 = 2;
    /// 3: Undefined tag.
    pub const UNDEFINED_TAG: u32 = 3;
    /// 4: Tag specified without a value.
    pub const TAG_WITHOUT_VALUE: u32 = 4;
    /// 5: Value is incorrect (out of range) for this tag.
    pub const VALUE_OUT_OF_RANGE: u32 = 5;
    /// 6: Incorrect data format for value.
    pub const INCORRECT_DATA_FORMAT: u32 = 6;
    /// 7: Decryption problem.
    pub const DECRYPTION_PROBLEM: u32 = 7;
    /// 8: Signature problem.
    pub const SIGNATURE_PROBLEM: u32 = 8;
    /// 9: CompID problem.
    pub const COMP_ID_PROBLEM: u32 = 9;
    /// 10: SendingTime accuracy problem.
    pub const SENDING_TIME_ACCURACY: u32 = 10;
    /// 11: Invalid MsgType.
    pub const INVALID_MSG_TYPE: u32 = 11;
    /// 13: Tag appears more than once.
    pub const TAG_APPEARS_MORE_THAN_ONCE: u32 = 13;
    /// 14: Tag specified out of required order.
    pub const TAG_OUT_OF_ORDER: u32 = 14;
    /// 15: Repeating group fields out of order.
    pub const GROUP_FIELDS_OUT_OF_ORDER: u32 = 15;
    /// 16: Incorrect NumInGroup count for repeating group.
    pub const INCORRECT_NUM_IN_GROUP: u32 = 16;
    /// 17: Non-data value includes field delimiter.
    pub const SOH_IN_VALUE: u32 = 17;

    /// The Text QuickFIX sends for a SessionRejectReason.
    pub fn text(code: u32) -> Option<&'static str> {
        Some(match code {
            0 => "Invalid tag number",
            1 => "Required tag missing",
            2 => "Tag not defined for this message type",
            3 => "Undefined Tag",
            4 => "Tag specified without a value",
            5 => "Value is incorrect (out of range) for this tag",
            6 => "Incorrect data format for value",
            7 => "Decryption problem",
            8 => "Signature problem",
            9 => "CompID problem",
            10 => "SendingTime accuracy problem",
            11 => "Invalid MsgType",
            13 => "Tag appears more than once",
            14 => "Tag specified out of required order",
            15 => "Repeating group fields out of order",
            16 => "Incorrect NumInGroup count for repeating group",
            17 => "Non Data value includes field delimiter (SOH character)",
            _ => return None,
        })
    }
}

/// BusinessRejectReason (380) codes used by the validator.
pub mod business_reason {
    /// 3: Unsupported Message Type.
    pub const UNSUPPORTED_MESSAGE_TYPE: u32 = 3;
    /// 5: Conditionally Required Field Missing.
    pub const CONDITIONALLY_REQUIRED_FIELD_MISSING: u32 = 5;

    /// The Text QuickFIX sends for a BusinessRejectReason.
    pub fn text(code: u32) -> Option<&'static str> {
        Some(match code {
            0 => "Other",
            1 => "Unknown ID",
            2 => "Unknown Security",
            3 => "Unsupported Message Type",
            4 => "Application not available",
            5 => "Conditionally Required Field Missing",
            6 => "Not authorized",
            7 => "DeliverTo firm not available at this time",
            _ => return None,
        })
    }
}

/// Which message answers the failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RejectKind {
    /// Session-level Reject (35=3) with this SessionRejectReason (373).
    Session(u32),
    /// BusinessMessageReject (35=j) with this BusinessRejectReason (380).
    Business(u32),
}

/// A rejected message: the reason, the offending tag and QuickFIX's text.
/// The session layer turns it into 35=3 or 35=j.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reject {
    /// Reject message and reason code.
    pub kind: RejectKind,
    /// RefTagID (371) where QuickFIX names one (signed: `-1=x` is reported as -1).
    pub ref_tag: Option<i64>,
    /// The base Text (58), e.g. `Required tag missing`.
    pub text: &'static str,
}

/// Lexicographic BeginString comparison, as QuickFIX does it ("FIXT.1.1" > "FIX.4.2").
fn at_least_fix42(begin_string: &[u8]) -> bool {
    begin_string >= b"FIX.4.2".as_slice()
}

impl Reject {
    /// A session-level reject with QuickFIX's text for `reason`. Like
    /// QuickFIX, tag 0 is named only for "Invalid tag number".
    pub fn session(reason: u32, ref_tag: Option<i64>) -> Reject {
        Reject {
            kind: RejectKind::Session(reason),
            ref_tag: ref_tag.filter(|&t| t != 0 || reason == reason::INVALID_TAG_NUMBER),
            text: reason::text(reason).unwrap_or("Other"),
        }
    }

    /// A business reject with QuickFIX's text for `reason`.
    pub fn business(reason: u32, ref_tag: Option<i64>) -> Reject {
        Reject {
            kind: RejectKind::Business(reason),
            ref_tag,
            text: business_reason::text(reason).unwrap_or("Other"),
        }
    }

    /// The answer QuickFIX gives when the application does not handle a
    /// message type: BusinessMessageReject 380=3 from FIX.4.2 on, a session
    /// Reject with text only before.
    pub fn unsupported_message_type(begin_string: &[u8]) -> Reject {
        if at_least_fix42(begin_string) {
            Reject::business(business_reason::UNSUPPORTED_MESSAGE_TYPE, None)
        } else {
            Reject {
                kind: RejectKind::Session(reason::INVALID_MSG_TYPE),
                ref_tag: None,
                text: "Unsupported message type",
            }
        }
    }

    /// A missing header field as QuickFIX's session reports it (FieldNotFound):
    /// a BusinessMessageReject 380=5 for application messages from FIX.4.2 on,
    /// otherwise a session Reject 373=1.
    pub fn missing_header_field(begin_string: &[u8], is_app: bool, tag: u32) -> Reject {
        if is_app && at_least_fix42(begin_string) {
            Reject::business(
                business_reason::CONDITIONALLY_REQUIRED_FIELD_MISSING,
                Some(i64::from(tag)),
            )
        } else {
            Reject::session(reason::REQUIRED_TAG_MISSING, Some(i64::from(tag)))
        }
    }

    /// MsgType of the answer: `3` or `j`.
    pub fn msg_type(&self) -> &'static [u8] {
        match self.kind {
            RejectKind::Session(_) => b"3",
            RejectKind::Business(_) => b"j",
        }
    }

    /// SessionRejectReason (373) to send under `begin_string`: from FIX.4.2 on,
    /// and in FIX.4.2 only for codes up to 11 (QuickFIX).
    pub fn session_reject_reason(&self, begin_string: &[u8]) -> Option<u32> {
        match self.kind {
            RejectKind::Session(r) if begin_string == b"FIX.4.2" => {
                (r <= reason::INVALID_MSG_TYPE).then_some(r)
            }
            RejectKind::Session(r) => at_least_fix42(begin_string).then_some(r),
            RejectKind::Business(_) => None,
        }
    }

    /// BusinessRejectReason (380), for a business reject.
    pub fn business_reject_reason(&self) -> Option<u32> {
        match self.kind {
            RejectKind::Business(r) => Some(r),
            RejectKind::Session(_) => None,
        }
    }

    /// RefTagID (371) to send: only in a session Reject from FIX.4.2 on;
    /// otherwise the tag goes into the text.
    pub fn ref_tag_id(&self, begin_string: &[u8]) -> Option<i64> {
        match self.kind {
            RejectKind::Session(_) if at_least_fix42(begin_string) => self.ref_tag,
            _ => None,
        }
    }

    /// Whether RefMsgType (372) is sent: from FIX.4.2 on (always in 35=j).
    pub fn has_ref_msg_type(&self, begin_string: &[u8]) -> bool {
        matches!(self.kind, RejectKind::Business(_)) || at_least_fix42(begin_string)
    }

    /// Text (58) to send: `text`, or `text (tag)` when 371 cannot carry the tag.
    pub fn text_for(&self, begin_string: &[u8]) -> RejectText {
        let tag = match self.ref_tag_id(begin_string) {
            Some(_) => None,
            None => self.ref_tag,
        };
        RejectText {
            text: self.text,
            tag,
        }
    }
}

/// Display form of the Text (58) field for one BeginString.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RejectText {
    text: &'static str,
    tag: Option<i64>,
}

impl fmt::Display for RejectText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.tag {
            Some(t) => write!(f, "{} ({})", self.text, t),
            None => f.write_str(self.text),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_per_version() {
        let r = Reject::session(reason::TAG_OUT_OF_ORDER, Some(34));
        assert_eq!(r.session_reject_reason(b"FIX.4.2"), None);
        assert_eq!(r.session_reject_reason(b"FIX.4.4"), Some(14));
        assert_eq!(r.session_reject_reason(b"FIXT.1.1"), Some(14));
        assert_eq!(r.ref_tag_id(b"FIX.4.2"), Some(34));
        assert_eq!(r.ref_tag_id(b"FIX.4.1"), None);
        assert_eq!(
            r.text_for(b"FIX.4.1").to_string(),
            "Tag specified out of required order (34)"
        );
        assert_eq!(
            r.text_for(b"FIX.4.4").to_string(),
            "Tag specified out of required order"
        );
        assert_eq!(
            Reject::session(reason::TAG_WITHOUT_VALUE, Some(0)).ref_tag,
            None
        );
        assert_eq!(
            Reject::session(reason::INVALID_TAG_NUMBER, Some(0)).ref_tag,
            Some(0)
        );
        let m = Reject::session(reason::INVALID_MSG_TYPE, None);
        assert_eq!(m.session_reject_reason(b"FIX.4.2"), Some(11));
        assert_eq!(m.text_for(b"FIX.4.0").to_string(), "Invalid MsgType");
        assert!(!m.has_ref_msg_type(b"FIX.4.1"));
    }

    #[test]
    fn business_rejects() {
        let u = Reject::unsupported_message_type(b"FIX.4.2");
        assert_eq!(
            (u.msg_type(), u.business_reject_reason()),
            (&b"j"[..], Some(3))
        );
        assert_eq!(
            u.text_for(b"FIX.4.2").to_string(),
            "Unsupported Message Type"
        );
        let old = Reject::unsupported_message_type(b"FIX.4.1");
        assert_eq!(old.msg_type(), b"3");
        let m = Reject::missing_header_field(b"FIX.4.4", true, 52);
        assert_eq!(
            m.text_for(b"FIX.4.4").to_string(),
            "Conditionally Required Field Missing (52)"
        );
        // The session sends these texts for application rejects (380=6, 7).
        assert_eq!(business_reason::text(6), Some("Not authorized"));
        assert_eq!(
            business_reason::text(7),
            Some("DeliverTo firm not available at this time")
        );
        assert_eq!(business_reason::text(8), None);
        let a = Reject::missing_header_field(b"FIX.4.4", false, 56);
        assert_eq!(
            (a.kind, a.ref_tag_id(b"FIX.4.4")),
            (RejectKind::Session(1), Some(56))
        );
    }
}
