//! Replaying captured FIX traffic: reproduce an incident through ringfix's
//! session layer (offline, on the captured clock) or play one side of a
//! capture against a live counterparty and diff its answers.
//!
//! ```text
//! ringfix replay FILE --offline [--side initiator|acceptor] [--json] [--tail SECS]
//!                [--config F] [--no-validate] [--no-latency-check]
//! ringfix replay FILE --to HOST:PORT --config F --side initiator|acceptor
//!                --speed 1x|10x|max [--key TAG]... [--restamp TAG]...
//!                [--report FILE] [--json] [--wait SECS]
//! ```
//!
//! FILE is anything `ringfix decode` reads (pcap/pcapng, QuickFIX FileLog,
//! raw FIX, ringfix journal). Sides: the TCP handshake tells who connected;
//! without it the sender of the first Logon is the initiator.
//!
//! **Offline** is deterministic: the captured inbound messages go through a
//! [`Session`](ringfix_engine::session::Session) over a
//! [`MemoryStore`](ringfix_engine::store::MemoryStore) seeded with the
//! capture's first sequence numbers (a capture starting mid-session gets a
//! synthetic Logon exchange); the captured timestamps are the clock, and
//! every deadline the clock passes before the next message fires `on_timer`
//! at the deadline itself. Our side's captured application messages are
//! sent again through the session (so ResendRequests are answered from the
//! store); its admin messages are the session's own. The result is a list
//! of [`Event`]s (`connected`, `recv`, `send`, `deliver`, `timer`, `state`,
//! `logon`, `logout`, `reset`, `close`, `disconnected`, `note`), printed as
//! text lines or one JSON object each, then a summary.
//!
//! **Live** plays our side's captured application messages through a real
//! session (logon, heartbeats, resends), renumbered and re-stamped with the
//! configured CompIDs, each at its captured offset divided by the speed and
//! not before the counterparty has answered as often as it had by then in
//! the capture; the answers are aligned with the captured ones by MsgType
//! and key fields ([`diff`]). Exit 0: no differences; 1: differences; 2:
//! error or no logon.

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
