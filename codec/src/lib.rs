//! ringfix-codec: bytes <-> FIX fields. No I/O; no allocation on the hot path.
//!
//! - [`frame`] finds one complete message at the start of a buffer and says
//!   how many bytes to drop when the input is garbled (rules and the
//!   resynchronisation policy are documented on [`frame`]: a bad
//!   header skips to the next `8=FIX`; a bad CheckSum skips the frame; a
//!   BodyLength that misses the trailer ends the message at the next
//!   `<SOH>10=...<SOH>` as QuickFIX does, unless a complete valid message
//!   lies entirely inside the claimed frame, which is then resynchronised on).
//! - [`Parser`] indexes a message in place into reusable storage
//!   ([`Parser::parse_next`] frames and indexes the start of a buffer in one
//!   call);
//!   [`MessageView`] gives header accessors, `get`, typed getters, wire-order
//!   iteration with positions (duplicates kept) and repeating groups through
//!   a plain-data [`GroupLayout`].
//! - [`Encoder`] writes a message into a caller-owned `Vec<u8>`, patching
//!   BodyLength and appending CheckSum.
//! - [`UtcTimestamp`] (i64 ns since the epoch) and [`Decimal`] (no floats).
//!
//! ```
//! use ringfix_codec::{frame, Decimal, Encoder, Frame, Parser, TimePrecision, UtcTimestamp};
//!
//! let now = UtcTimestamp::parse(b"20261124-10:00:00.000").unwrap();
//! let mut out = Vec::new();
//! let mut e = Encoder::new(&mut out, b"FIX.4.4", b"D");
//! e.uint(34, 2).bytes(49, b"INIT").timestamp(52, now, TimePrecision::Millis).bytes(56, b"ACC");
//! e.bytes(11, b"ORD1").decimal(44, Decimal::new(12345, 2));
//! let range = e.finish();
//!
//! let Frame::Complete(len) = frame(&out, ringfix_codec::DEFAULT_MAX_MESSAGE_SIZE) else { panic!() };
//! assert_eq!(len, range.len());
//! let mut parser = Parser::new();
//! let view = parser.parse_framed(&out[..len]).unwrap();
//! assert_eq!(view.msg_type(), b"D");
//! assert_eq!(view.msg_seq_num(), Ok(2));
//! assert_eq!(view.sending_time(), Ok(now));
//! assert_eq!(view.get_decimal(44), Ok(Decimal::new(12345, 2)));
//! ```
#![deny(missing_docs)]

mod checks;
pub mod data_fields;
mod decimal;
pub mod dict;
mod encode;
mod error;
mod fast;
pub mod fields;
mod frame;
mod group;
pub mod itoa;
mod out;
mod parse;
pub mod redact;
mod scan;
mod simd;
mod swar;
pub mod tags;
mod time;
pub mod typed;
pub mod value;
mod view;

pub use checks::{frame_with, FrameChecks};
pub use decimal::{Decimal, DecimalError, Rounding, MAX_SCALE};
pub use encode::{Encoder, GroupCount};
pub use error::{FieldError, FrameError, GroupError, ParseError, ValueError};
pub use frame::{
    checksum, frame, Frame, DEFAULT_MAX_MESSAGE_SIZE, MAX_BEGIN_STRING, MAX_BODY_LENGTH_DIGITS,
    TRAILER_LEN,
};
pub use group::{Entries, Group, GroupEntry, GroupLayout};
pub use parse::{Parsed, Parser, INVALID_TAG};
pub use time::{Civil, TimePrecision, TimestampFormatter, UtcTimestamp, MAX_TIMESTAMP_LEN};
pub use view::{Field, Fields, MessageView};

/// A FIX tag number.
pub type Tag = u32;

/// The field separator (0x01).
pub const SOH: u8 = 0x01;
