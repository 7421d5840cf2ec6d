//! Typed errors of the codec: framing, parsing, value conversion, groups.

use crate::Tag;

/// Why a byte sequence is not a well-formed FIX frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// The first field is not `8=` (BeginString).
    #[error("message does not start with BeginString (8=)")]
    BeginStringMissing,
    /// BeginString is empty or longer than the bound.
    #[error("BeginString (8) is empty or too long")]
    BeginStringInvalid,
    /// The second field is not `9=` (BodyLength).
    #[error("second field is not BodyLength (9)")]
    BodyLengthMissing,
    /// BodyLength is empty, has a non-digit or too many digits.
    #[error("BodyLength (9) is not a bounded decimal number")]
    BodyLengthInvalid,
    /// The frame would exceed the configured maximum message size.
    #[error("message of {len} bytes exceeds the maximum of {max}")]
    TooLarge {
        /// Claimed total length of the frame.
        len: usize,
        /// Configured maximum.
        max: usize,
    },
    /// The third field is not `35=` (MsgType).
    #[error("third field is not MsgType (35)")]
    MsgTypeNotThird,
    /// `10=nnn<SOH>` is not at the offset given by BodyLength.
    #[error("CheckSum (10) not found where BodyLength (9) says")]
    BodyLengthMismatch,
    /// A complete valid message starts inside the body BodyLength claims.
    #[error("a complete message starts inside the claimed body")]
    Superseded,
    /// The CheckSum value does not match the sum of the bytes.
    #[error("CheckSum {found} does not match computed {computed}")]
    ChecksumMismatch {
        /// Sum of the bytes modulo 256.
        computed: u8,
        /// Value on the wire (three digits, may exceed 255).
        found: u16,
    },
    /// Bytes that can never become a message (garbage, partial candidate at capacity).
    #[error("no message found in the buffered bytes")]
    NoMessage,
}

/// Why a framed message could not be indexed into fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The bytes are not one well-formed frame.
    #[error("bad frame: {0}")]
    Frame(#[from] FrameError),
    /// The bytes end before the message does.
    #[error("message is truncated")]
    Truncated,
    /// The bytes hold more than one frame or trailing bytes.
    #[error("{0} bytes after the end of the message")]
    TrailingBytes(usize),
    /// A field has no tag (`=value`).
    #[error("empty tag at byte {0}")]
    EmptyTag(usize),
    /// A tag has a non-digit character.
    #[error("tag is not a number at byte {0}")]
    TagNotNumeric(usize),
    /// A tag does not fit in a `u32`.
    #[error("tag too large at byte {0}")]
    TagTooLarge(usize),
    /// A field has no `=`.
    #[error("field without '=' at byte {0}")]
    MissingEquals(usize),
    /// A field is not terminated by SOH before the end of the body.
    #[error("field not terminated by SOH at byte {0}")]
    MissingSoh(usize),
    /// A length-prefixed data field is shorter/longer than its length field says.
    #[error("data field {tag} does not match its length field")]
    DataLength {
        /// The data field's tag.
        tag: Tag,
    },
}

/// Why a field value could not be converted to a typed value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    /// The value is empty.
    #[error("empty value")]
    Empty,
    /// The value has an unexpected character or shape.
    #[error("value has an invalid format")]
    Format,
    /// The value does not fit the target type.
    #[error("value out of range")]
    Overflow,
}

/// Why a field could not be read through a typed getter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    /// The tag is not in the message.
    #[error("tag {0} missing")]
    Missing(Tag),
    /// The tag is present but its value is invalid.
    #[error("tag {tag}: {error}")]
    Invalid {
        /// The tag whose value failed.
        tag: Tag,
        /// What was wrong with the value.
        error: ValueError,
    },
}

/// Why a repeating group could not be walked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum GroupError {
    /// The NumInGroup value is not a non-negative integer.
    #[error("NumInGroup {tag} is not a valid count")]
    BadCount {
        /// The count tag.
        tag: Tag,
    },
    /// The number of entries found differs from NumInGroup.
    #[error("NumInGroup {tag} says {declared} entries, found {found}")]
    CountMismatch {
        /// The count tag.
        tag: Tag,
        /// Value of the count field.
        declared: usize,
        /// Entries present on the wire.
        found: usize,
    },
    /// An entry does not start with the delimiter field.
    #[error("group {tag}: entry does not start with delimiter {delimiter}")]
    MissingDelimiter {
        /// The count tag.
        tag: Tag,
        /// The expected first tag of every entry.
        delimiter: Tag,
    },
}
