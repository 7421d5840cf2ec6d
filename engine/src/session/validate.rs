//! The seam to dictionary validation: the session asks a [`Validator`]
//! before processing a message and turns its verdict into a Reject.

use super::incoming::Incoming;

/// SessionRejectReason (373) values the session uses.
pub mod reason {
    /// Invalid tag number.
    pub const INVALID_TAG_NUMBER: u32 = 0;
    /// Required tag missing.
    pub const REQUIRED_TAG_MISSING: u32 = 1;
    /// Tag not defined for this message type.
    pub const TAG_NOT_DEFINED_FOR_MSG_TYPE: u32 = 2;
    /// Undefined tag.
    pub const UNDEFINED_TAG: u32 = 3;
    /// Tag specified without a value.
    pub const TAG_WITHOUT_VALUE: u32 = 4;
    /// Value is incorrect (out of range) for this tag.
    pub const VALUE_INCORRECT: u32 = 5;
    /// Incorrect data format for value.
    pub const INCORRECT_DATA_FORMAT: u32 = 6;
    /// CompID problem.
    pub const COMPID_PROBLEM: u32 = 9;
    /// SendingTime accuracy problem.
    pub const SENDING_TIME_ACCURACY: u32 = 10;
    /// Invalid MsgType.
    pub const INVALID_MSG_TYPE: u32 = 11;
    /// Tag appears more than once.
    pub const TAG_APPEARS_MORE_THAN_ONCE: u32 = 13;
    /// Tag specified out of required order.
    pub const TAG_OUT_OF_ORDER: u32 = 14;
    /// Repeating group fields out of order.
    pub const GROUP_FIELDS_OUT_OF_ORDER: u32 = 15;
    /// Incorrect NumInGroup count for repeating group.
    pub const INCORRECT_NUM_IN_GROUP: u32 = 16;
}

/// A failed validation: which reject answers it (35=3 with a
/// SessionRejectReason or 35=j with a BusinessRejectReason), the offending
/// tag (371, signed: `-1=x` is reported as -1) and the text. The codec's
/// dictionary type, shared so the layers speak one language.
pub use ringfix_codec::dict::{Reject as ValidationError, RejectKind};

/// Dictionary validation of inbound messages (plugged in by the runtime;
/// the session works without one). `&mut self`: validators keep scratch.
pub trait Validator {
    /// `Ok` when `msg` is valid for this session's dictionaries.
    fn validate(&mut self, msg: &Incoming<'_>) -> Result<(), ValidationError>;
}

impl Validator for ringfix_codec::dict::Validator {
    fn validate(&mut self, msg: &Incoming<'_>) -> Result<(), ValidationError> {
        // The reactor's parse already indexed the message: walk that index.
        match msg.view() {
            Some(view) => ringfix_codec::dict::Validator::validate(self, view),
            None => self.validate_bytes(msg.raw()),
        }
    }
}

/// QuickFIX's Text (58) for a SessionRejectReason.
pub fn reason_text(reason: u32) -> Option<&'static str> {
    Some(match reason {
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
