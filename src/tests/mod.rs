//! Tests of the command line's internals (decoding, offline replay): they
//! call the modules directly, so they live with the binary. Tests of the
//! commands as a user runs them are in `tests/it`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unreachable,
    reason = "tests"
)]

mod decode_capture;
mod decode_journal;
mod decode_robust;
mod decode_stream;
mod replay_offline;
