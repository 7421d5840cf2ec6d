//! ringfix-codec: bytes <-> FIX fields. No I/O; no allocation on the hot path.
#![deny(missing_docs)]
pub mod dict;
pub mod fields;
