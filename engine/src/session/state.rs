//! Where a session is: the private [`Phase`] with its explicit transitions
//! (the session's only lifecycle state, as quinn-proto's connection
//! state), the public [`SessionState`] derived from it, what the caller
//! must do with the connection, and why a session logged out.

use crate::time::MonoTime;

/// Where the session is (for stats and transition logs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SessionState {
    /// No connection.
    Disconnected,
    /// Connected; the Logon exchange is not complete.
    AwaitingLogon,
    /// Logged on, in sequence.
    Active,
    /// Logged on; a ResendRequest is outstanding and later messages are
    /// queued until the gap is filled.
    AwaitingResend,
    /// We sent a Logout and wait for the answer (bounded by LogoutTimeout).
    LogoutSent,
}

impl SessionState {
    /// Short name for logs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Disconnected => "disconnected",
            Self::AwaitingLogon => "awaiting-logon",
            Self::Active => "active",
            Self::AwaitingResend => "awaiting-resend",
            Self::LogoutSent => "logout-sent",
        }
    }
}

/// A state change (reported as [`Event::State`](super::Event::State)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Transition {
    /// State before.
    pub from: SessionState,
    /// State after.
    pub to: SessionState,
    /// When (wall clock, nanoseconds since the epoch).
    pub at: i64,
}

/// The session's lifecycle. Every change goes through a named method of
/// the session (`connect`, `logon_sent`, `logged_on`, `logout_sent`,
/// `close`, `disconnected`); nothing else writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Phase {
    /// No connection.
    Disconnected,
    /// Connected; the peer's Logon has not been accepted yet.
    AwaitingLogon {
        /// When the connection opened.
        since: MonoTime,
        /// When our Logon went out (an initiator's, first) and whether it
        /// carried ResetSeqNumFlag=Y.
        sent: Option<(MonoTime, bool)>,
    },
    /// The peer's Logon was accepted and ours sent: logged on.
    LoggedOn {
        /// When our Logout went out, if we sent one (LogoutTimeout runs).
        logout_sent: Option<MonoTime>,
    },
    /// The session ended the connection: the caller closes it (`mode`) by
    /// `at`; nothing more is processed until `disconnected`.
    Closing {
        /// How to close.
        mode: Close,
        /// When the close was decided (the deadline: at once).
        at: MonoTime,
        /// The state shown until the connection is gone.
        shown: SessionState,
    },
}

/// What the caller does with the connection after an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Close {
    /// Keep the connection open.
    Keep,
    /// Write out the outbound buffer, then close.
    AfterFlush,
    /// Close now: try to write what is already in the outbound buffer once
    /// (it may hold a Logout), never wait for the peer.
    Now,
}

/// The connection verdict returned by every session event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Disposition {
    /// Keep or close.
    pub close: Close,
    /// For initiators: whether to reconnect after the close.
    pub reconnect: bool,
}

impl Disposition {
    /// Keep the connection.
    pub const KEEP: Self = Self {
        close: Close::Keep,
        reconnect: false,
    };

    /// Whether the caller must close the connection.
    pub fn is_close(self) -> bool {
        self.close != Close::Keep
    }
}

/// Fatal protocol errors that end a session at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FatalError {
    /// MsgSeqNum lower than expected without PossDupFlag.
    SeqNumTooLow {
        /// What we expected.
        expected: u64,
        /// What arrived.
        received: u64,
    },
    /// First message was not a valid Logon, or a message arrived in a state
    /// where it is not allowed.
    BadLogonState,
    /// Logon failed validation (SendingTime, missing fields, ...).
    BadLogon,
    /// SenderCompID/TargetCompID do not match the session.
    CompIdMismatch,
    /// BeginString does not match the session.
    BeginStringMismatch,
}

/// Why the session logged out or lost its connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogoutReason {
    /// The peer sent Logout (we answered).
    PeerLogout,
    /// We sent Logout and the peer answered.
    OurLogout,
    /// A fatal protocol error.
    Fatal(FatalError),
    /// No Logon within LogonTimeout.
    LogonTimeout,
    /// No Logout answer within LogoutTimeout.
    LogoutTimeout,
    /// Nothing received for 2.4 x HeartBtInt.
    HeartbeatTimeout,
    /// The store failed to keep an outbound message; sending stopped.
    StoreFailure,
    /// The connection dropped.
    Disconnected,
    /// DisconnectOnError: an application message we would have rejected.
    ErrorPolicy,
}
