//! ringfix-codec: bytes <-> FIX fields. No I/O; no allocation on the hot path.
//!
//! - [`frame`] finds one complete message at the start of a buffer.
//! - [`Parser`] indexes it in place; [`MessageView`] reads fields, typed
//!   values and repeating groups ([`GroupLayout`]).
//! - [`Encoder`] writes a message into a caller-owned `Vec<u8>`.
#![deny(missing_docs)]

pub mod data_fields;
mod decimal;
pub mod dict;
mod encode;
mod error;
pub mod fields;
mod frame;
mod group;
pub mod itoa;
mod parse;
mod swar;
pub mod tags;
mod time;
pub mod value;
mod view;

pub use decimal::{Decimal, MAX_SCALE};
pub use encode::Encoder;
pub use error::{FieldError, FrameError, GroupError, ParseError, ValueError};
pub use frame::{
    checksum, frame, Frame, DEFAULT_MAX_MESSAGE_SIZE, MAX_BEGIN_STRING, MAX_BODY_LENGTH_DIGITS,
    TRAILER_LEN,
};
pub use group::{Entries, Group, GroupEntry, GroupLayout};
pub use parse::{Parser, INVALID_TAG};
pub use time::{Civil, TimePrecision, TimestampFormatter, UtcTimestamp, MAX_TIMESTAMP_LEN};
pub use view::{Field, Fields, MessageView};

/// A FIX tag number.
pub type Tag = u32;

/// The field separator (0x01).
pub const SOH: u8 = 0x01;
