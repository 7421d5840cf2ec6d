//! Shared code of the ringfix fuzz targets: the checks on parsed messages,
//! the validators, the sans-IO session driver with its invariants, and the
//! builder of mostly-valid FIX messages for the structured session target.
//!
//! Every check panics on a broken invariant: that is how a fuzz target
//! reports a finding.

pub mod build;
pub mod codec_checks;
pub mod driver;
pub mod repair;
pub mod stream;
pub mod validators;

/// 2026-01-01T00:00:00Z in seconds: the fake clock starts here and the
/// seeds' SendingTimes are written for it.
pub const START_SECS: i64 = 1_767_225_600;
/// Nanoseconds per second.
pub const NANOS: i64 = 1_000_000_000;
/// Where the fake monotonic clock starts (not the wall clock's value, so a
/// deadline taken from the wrong clock shows).
pub const MONO_START: i64 = 5_000 * NANOS;

/// The session profiles the session targets choose from: BeginString,
/// the counterparty's CompID (as in the conformance scripts) and
/// DefaultApplVerID. Our CompID is always `ISLD`.
pub const PROFILES: [(&str, &str, Option<&str>); 6] = [
    ("FIX.4.2", "TW42", None),
    ("FIX.4.4", "TW44", None),
    ("FIXT.1.1", "TW50SP2", Some("9")),
    ("FIX.4.0", "TW40", None),
    ("FIX.4.3", "TW43", None),
    ("FIX.4.1", "TW41", None),
];

/// Our CompID.
pub const OUR_ID: &str = "ISLD";
