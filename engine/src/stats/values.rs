//! The values of one session slot and how they map to page words.

use ringfix_codec::UtcTimestamp;

use super::page::VALUE_WORDS;
use crate::session::SessionState;

/// Live statistics of one session, as published.
///
/// Times are nanoseconds since the epoch; `None` means "never".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SessionCounters {
    /// Session state.
    pub state: SessionState,
    /// When the session entered `state`.
    pub state_since: UtcTimestamp,
    /// Complete messages received.
    pub messages_in: u64,
    /// Messages sent (resends included).
    pub messages_out: u64,
    /// Bytes of complete messages received.
    pub bytes_in: u64,
    /// Bytes sent.
    pub bytes_out: u64,
    /// ResendRequests (35=2) received (the session's events: the same
    /// counts as the runtime's `Counters`).
    pub resend_requests_in: u64,
    /// ResendRequests sent.
    pub resend_requests_out: u64,
    /// Messages sent again with PossDupFlag=Y (resends and gap fills).
    pub messages_resent: u64,
    /// Rejects (35=3) and BusinessMessageRejects (35=j) received (the
    /// session's events, as `Counters`).
    pub rejects_in: u64,
    /// Rejects and BusinessMessageRejects sent.
    pub rejects_out: u64,
    /// When the last message was received.
    pub last_inbound: Option<UtcTimestamp>,
    /// When the last message was sent.
    pub last_outbound: Option<UtcTimestamp>,
    /// Next MsgSeqNum to send.
    pub next_sender_seq: u64,
    /// Next MsgSeqNum expected.
    pub next_target_seq: u64,
    /// Receives in flight on the session's connection (each linked to a
    /// timeout; 1 while connected with the reactor, else 0).
    pub reads_in_flight: u64,
    /// Deadline of the in-flight read's linked timeout.
    pub read_deadline: Option<UtcTimestamp>,
    /// Connections made or accepted.
    pub connections: u64,
    /// When the publisher last wrote this slot.
    pub updated_at: UtcTimestamp,
    /// MsgSeqNum gaps found (a message numbered higher than expected).
    pub sequence_gaps: u64,
    /// Inbound messages the data dictionary refused.
    pub validation_failures: u64,
}

impl SessionCounters {
    /// Zeroes, disconnected since `now`.
    pub fn new(now: UtcTimestamp) -> Self {
        Self {
            state: SessionState::Disconnected,
            state_since: now,
            messages_in: 0,
            messages_out: 0,
            bytes_in: 0,
            bytes_out: 0,
            resend_requests_in: 0,
            resend_requests_out: 0,
            messages_resent: 0,
            rejects_in: 0,
            rejects_out: 0,
            last_inbound: None,
            last_outbound: None,
            next_sender_seq: 0,
            next_target_seq: 0,
            reads_in_flight: 0,
            read_deadline: None,
            connections: 0,
            updated_at: now,
            sequence_gaps: 0,
            validation_failures: 0,
        }
    }

    pub(crate) fn to_words(self) -> [u64; VALUE_WORDS] {
        let mut w = [0u64; VALUE_WORDS];
        let fields = [
            state_code(self.state),
            ts(self.state_since),
            self.messages_in,
            self.messages_out,
            self.bytes_in,
            self.bytes_out,
            self.resend_requests_in,
            self.resend_requests_out,
            self.messages_resent,
            self.rejects_in,
            self.rejects_out,
            opt_ts(self.last_inbound),
            opt_ts(self.last_outbound),
            self.next_sender_seq,
            self.next_target_seq,
            self.reads_in_flight,
            opt_ts(self.read_deadline),
            self.connections,
            ts(self.updated_at),
            // Added after the first layout: older readers ignore them.
            self.sequence_gaps,
            self.validation_failures,
        ];
        for (d, s) in w.iter_mut().zip(fields) {
            *d = s;
        }
        w
    }

    pub(crate) fn from_words(w: &[u64; VALUE_WORDS]) -> Self {
        let mut it = w.iter().copied();
        let mut next = || it.next().unwrap_or(0);
        Self {
            state: state_from(next()),
            state_since: from_ts(next()),
            messages_in: next(),
            messages_out: next(),
            bytes_in: next(),
            bytes_out: next(),
            resend_requests_in: next(),
            resend_requests_out: next(),
            messages_resent: next(),
            rejects_in: next(),
            rejects_out: next(),
            last_inbound: from_opt_ts(next()),
            last_outbound: from_opt_ts(next()),
            next_sender_seq: next(),
            next_target_seq: next(),
            reads_in_flight: next(),
            read_deadline: from_opt_ts(next()),
            connections: next(),
            updated_at: from_ts(next()),
            sequence_gaps: next(),
            validation_failures: next(),
        }
    }
}

fn ts(t: UtcTimestamp) -> u64 {
    t.as_nanos() as u64
}

fn from_ts(w: u64) -> UtcTimestamp {
    UtcTimestamp::from_nanos(w as i64)
}

// 0 (the epoch itself) stands for "never".
fn opt_ts(t: Option<UtcTimestamp>) -> u64 {
    t.map_or(0, ts)
}

fn from_opt_ts(w: u64) -> Option<UtcTimestamp> {
    (w != 0).then(|| from_ts(w))
}

fn state_code(s: SessionState) -> u64 {
    match s {
        SessionState::Disconnected => 0,
        SessionState::AwaitingLogon => 1,
        SessionState::Active => 2,
        SessionState::AwaitingResend => 3,
        SessionState::LogoutSent => 4,
    }
}

fn state_from(code: u64) -> SessionState {
    match code {
        1 => SessionState::AwaitingLogon,
        2 => SessionState::Active,
        3 => SessionState::AwaitingResend,
        4 => SessionState::LogoutSent,
        _ => SessionState::Disconnected,
    }
}
