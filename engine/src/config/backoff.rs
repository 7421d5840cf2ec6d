//! Reconnect backoff and the stop-or-reconnect decision.
//!
//! Delays double from `ReconnectInterval` up to a cap, minus a random
//! jitter of up to `jitter_percent` % (so many initiators that lost the
//! same acceptor do not reconnect in lockstep), and restart from
//! `ReconnectInterval` after a successful logon. The randomness comes from
//! a [`JitterSource`] the caller passes in, so tests are deterministic.

use std::time::Duration;

use super::settings::TimingSettings;

/// A source of random 64-bit numbers for jitter.
pub trait JitterSource {
    /// The next random number, uniform over `u64`.
    fn next_u64(&mut self) -> u64;
}

/// SplitMix64: small, fast, seedable; good enough for jitter.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        Self { state: seed }
    }
}

impl JitterSource for SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Exponential reconnect backoff with jitter.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    jitter_percent: u8,
    failures: u32,
}

impl Backoff {
    /// Default jitter: delays are 80-100 % of the nominal delay.
    pub const DEFAULT_JITTER_PERCENT: u8 = 20;

    /// Backoff from `base`, doubling up to `cap` (raised to `base` if
    /// lower), with the default jitter.
    pub fn new(base: Duration, cap: Duration) -> Self {
        Self {
            base,
            cap: cap.max(base),
            jitter_percent: Self::DEFAULT_JITTER_PERCENT,
            failures: 0,
        }
    }

    /// Backoff from `ReconnectInterval` capped at `ReconnectMaxInterval`
    /// (default 30 × `ReconnectInterval`).
    pub fn from_timing(timing: &TimingSettings) -> Self {
        Self::new(timing.reconnect_interval, timing.reconnect_cap())
    }

    /// Sets the jitter: each delay is reduced by a random amount of up to
    /// this percentage (at most 100) of the nominal delay.
    pub fn with_jitter_percent(mut self, percent: u8) -> Self {
        self.jitter_percent = percent.min(100);
        self
    }

    /// Delays handed out since the last logon (or creation).
    pub fn failures(&self) -> u32 {
        self.failures
    }

    /// The next delay before jitter: `base × 2^failures`, at most the cap.
    pub fn nominal(&self) -> Duration {
        let factor = 1u32 << self.failures.min(31);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The delay before the next connection attempt; each call counts one
    /// more failure. The result lies in
    /// `[nominal × (100 - jitter_percent) / 100, nominal]`.
    pub fn next_delay(&mut self, rng: &mut impl JitterSource) -> Duration {
        let nominal = self.nominal();
        self.failures = self.failures.saturating_add(1);
        let nominal_ns = u64::try_from(nominal.as_nanos()).unwrap_or(u64::MAX);
        let span = u128::from(nominal_ns) * u128::from(self.jitter_percent) / 100;
        // Multiply-shift maps the random number onto [0, span] without a
        // modulo bias worth mentioning.
        let cut = (u128::from(rng.next_u64()) * (span + 1)) >> 64;
        let cut = u64::try_from(cut).unwrap_or(0);
        Duration::from_nanos(nominal_ns.saturating_sub(cut))
    }

    /// A logon succeeded: the next delay starts from `base` again.
    pub fn on_logon(&mut self) {
        self.failures = 0;
    }
}

/// Why a connection (or logon attempt) ended, as the runtime sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SessionEnd {
    /// The application or operator asked the session to stop.
    Requested,
    /// Logout exchanged (either side), or the schedule ended the session.
    Logout,
    /// Transport closed or failed, or a heartbeat/logon timeout.
    Disconnect,
    /// A fatal error: a sequence number too low without PossDupFlag, a
    /// store that failed, a rejected logon and the like.
    Fatal,
}

/// What to do after a session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AfterEnd {
    /// Initiator: reconnect after the backoff delay (and when in schedule);
    /// acceptor: accept the next logon.
    Reconnect,
    /// Stop the session for good.
    Stop,
}

/// The stop-or-reconnect decision: stop if asked to, or after a fatal
/// error when `StopOnFatalError=Y`; otherwise reconnect.
pub fn after_end(end: SessionEnd, stop_on_fatal_error: bool) -> AfterEnd {
    match end {
        SessionEnd::Requested => AfterEnd::Stop,
        SessionEnd::Fatal if stop_on_fatal_error => AfterEnd::Stop,
        SessionEnd::Fatal | SessionEnd::Logout | SessionEnd::Disconnect => AfterEnd::Reconnect,
    }
}
