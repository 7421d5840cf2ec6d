//! Replaying captured FIX traffic: reproduce an incident through ringfix's
//! session layer (offline, on the captured clock) or play one side of a
//! capture against a live counterparty and diff its answers.
//!
//! Offline replay is deterministic: the captured inbound messages go
//! through a [`Session`](ringfix_engine::session::Session) over a
//! [`MemoryStore`](ringfix_engine::store::MemoryStore), the captured
//! timestamps are the clock, and every deadline that the captured clock
//! passes before the next message fires `on_timer` at the deadline itself.
//! The result is a list of [`Event`]s: what ringfix would have sent,
//! delivered, rejected and closed.

pub mod capture;
pub mod cli;
pub mod diff;
pub mod event;
pub mod live;
mod live_cli;
mod names;
pub mod offline;
pub mod pacing;
mod plan;
pub mod settings;
mod wire;

pub use capture::{CapMsg, Capture, Profile, Side};
pub use event::{Event, EventKind, MsgInfo, Origin};
pub use offline::{replay_offline, OfflineOptions, OfflineSummary};

/// Why a replay could not run.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The capture could not be decoded at all.
    #[error("cannot read the capture: {0}")]
    Decode(#[from] crate::decode::DecodeError),
    /// The capture holds no FIX session to replay.
    #[error("{0}")]
    NoSession(String),
    /// The dictionary for the captured BeginString could not be loaded.
    #[error("dictionary: {0}")]
    Dictionary(String),
    /// The configuration could not be used.
    #[error("config: {0}")]
    Config(String),
    /// Socket or file I/O failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The live session ended before the replay was done.
    #[error("session: {0}")]
    Session(String),
}
