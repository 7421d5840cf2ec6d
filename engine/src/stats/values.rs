//! The values of one session slot and how they map to page words.

use ringfix_codec::UtcTimestamp;

use super::page::VALUE_WORDS;
use crate::session::SessionState;

/// Upper bounds (nanoseconds, inclusive) of the engine's internal-time
/// histogram buckets; one more bucket holds what is above the last. Fixed
/// in seconds (not in probe ticks) so that every host exposes the same
/// Prometheus `le` labels.
pub const INTERNAL_BOUNDS_NS: [u64; 17] = [
    250,
    500,
    1_000,
    2_000,
    5_000,
    10_000,
    20_000,
    50_000,
    100_000,
    200_000,
    500_000,
    1_000_000,
    2_000_000,
    5_000_000,
    10_000_000,
    50_000_000,
    100_000_000,
];

/// Buckets of [`InternalTime`]: one per bound plus the overflow bucket.
pub const INTERNAL_BUCKETS: usize = INTERNAL_BOUNDS_NS.len() + 1;

/// The engine's own time per answered message (from the reactor reaping
/// the message to the answer queued for sending: the runtime's latency
/// probe), as a histogram.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct InternalTime {
    /// Samples per bucket (not cumulative): bucket `i` holds the samples
    /// above bound `i - 1` and at most [`INTERNAL_BOUNDS_NS`]`[i]`; the
    /// last holds those above every bound.
    pub buckets: [u64; INTERNAL_BUCKETS],
    /// Sum of every sample, nanoseconds.
    pub sum_ns: u64,
}

impl InternalTime {
    /// Number of samples.
    pub fn count(&self) -> u64 {
        self.buckets.iter().sum()
    }
}

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
    /// ResendRequests (35=2) received.
    pub resend_requests_received: u64,
    /// ResendRequests sent (the session asked for a resend).
    pub resend_requests: u64,
    /// Messages sent again with PossDupFlag=Y (resends and gap fills).
    pub messages_resent: u64,
    /// Rejects (35=3) and BusinessMessageRejects (35=j) received (the
    /// session's events, as the runtime's `Counters`).
    pub rejects_received: u64,
    /// Rejects and BusinessMessageRejects sent.
    pub rejects_sent: u64,
    /// Inbound MsgSeqNum gaps the session detected (MsgSeqNum too high;
    /// the session's events).
    pub sequence_gaps: u64,
    /// Inbound messages the data dictionary refused.
    pub validation_failures: u64,
    /// Reads that reached their deadline (the read's linked timeout
    /// fired): heartbeat and TestRequest timers, logon/logout timeouts.
    pub recv_timeouts: u64,
    /// Bytes queued for the connection and not yet written to the socket,
    /// as of the session's last event.
    pub outbound_queue_bytes: u64,
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
    /// The engine's own time per answered message.
    pub internal: InternalTime,
}

/// Words of the page a slot's values use (the rest stay 0).
pub(crate) const USED_WORDS: usize = 23 + INTERNAL_BUCKETS + 1;
const _: () = assert!(USED_WORDS <= VALUE_WORDS);

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
            resend_requests_received: 0,
            resend_requests: 0,
            messages_resent: 0,
            rejects_received: 0,
            rejects_sent: 0,
            sequence_gaps: 0,
            validation_failures: 0,
            recv_timeouts: 0,
            outbound_queue_bytes: 0,
            last_inbound: None,
            last_outbound: None,
            next_sender_seq: 0,
            next_target_seq: 0,
            reads_in_flight: 0,
            read_deadline: None,
            connections: 0,
            updated_at: now,
            internal: InternalTime::default(),
        }
    }

    /// Logged on: Active, or awaiting a resend after a logon.
    pub fn logged_on(&self) -> bool {
        matches!(
            self.state,
            SessionState::Active | SessionState::AwaitingResend
        )
    }

    pub(crate) fn to_words(self) -> [u64; USED_WORDS] {
        let mut w = [0u64; USED_WORDS];
        let fields = [
            state_code(self.state),
            ts(self.state_since),
            self.messages_in,
            self.messages_out,
            self.bytes_in,
            self.bytes_out,
            self.resend_requests_received,
            self.resend_requests,
            self.messages_resent,
            self.rejects_received,
            self.rejects_sent,
            opt_ts(self.last_inbound),
            opt_ts(self.last_outbound),
            self.next_sender_seq,
            self.next_target_seq,
            self.reads_in_flight,
            opt_ts(self.read_deadline),
            self.connections,
            ts(self.updated_at),
            self.sequence_gaps,
            self.recv_timeouts,
            self.outbound_queue_bytes,
            self.validation_failures,
        ];
        let hist = self
            .internal
            .buckets
            .into_iter()
            .chain([self.internal.sum_ns]);
        for (d, s) in w.iter_mut().zip(fields.into_iter().chain(hist)) {
            *d = s;
        }
        w
    }

    pub(crate) fn from_words(w: &[u64]) -> Self {
        let mut it = w.iter().copied();
        let mut next = || it.next().unwrap_or(0);
        let mut c = Self {
            state: state_from(next()),
            state_since: from_ts(next()),
            messages_in: next(),
            messages_out: next(),
            bytes_in: next(),
            bytes_out: next(),
            resend_requests_received: next(),
            resend_requests: next(),
            messages_resent: next(),
            rejects_received: next(),
            rejects_sent: next(),
            last_inbound: from_opt_ts(next()),
            last_outbound: from_opt_ts(next()),
            next_sender_seq: next(),
            next_target_seq: next(),
            reads_in_flight: next(),
            read_deadline: from_opt_ts(next()),
            connections: next(),
            updated_at: from_ts(next()),
            sequence_gaps: next(),
            recv_timeouts: next(),
            outbound_queue_bytes: next(),
            validation_failures: next(),
            internal: InternalTime::default(),
        };
        for b in &mut c.internal.buckets {
            *b = next();
        }
        c.internal.sum_ns = next();
        c
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

/// Counters of one reactor thread, as published (copied from the
/// reactor's own counters by the runtime's supervisor, at most 200 ms old).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReactorCounters {
    /// The core the reactor is pinned to (`ReactorCore`), if any.
    pub core: Option<u64>,
    /// Loop turns.
    pub loop_turns: u64,
    /// Submission queue entries handed to io_uring.
    pub uring_submissions: u64,
    /// Read linked timeouts that fired, over every connection.
    pub recv_timeouts: u64,
}

impl ReactorCounters {
    pub(crate) fn to_words(self) -> [u64; 4] {
        [
            self.core.map_or(0, |c| c.saturating_add(1)),
            self.loop_turns,
            self.uring_submissions,
            self.recv_timeouts,
        ]
    }

    pub(crate) fn from_words(w: &[u64]) -> Self {
        let at = |i: usize| w.get(i).copied().unwrap_or(0);
        Self {
            core: at(0).checked_sub(1),
            loop_turns: at(1),
            uring_submissions: at(2),
            recv_timeouts: at(3),
        }
    }
}
