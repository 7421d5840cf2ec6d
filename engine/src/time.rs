//! The engine's two clocks.
//!
//! - [`MonoTime`]: CLOCK_BOOTTIME, nanoseconds since boot. Every deadline
//!   (heartbeats, TestRequests, logon/logout timeouts, the reactor's linked
//!   timeouts, reconnect backoff, store syncs, the cadence of schedule
//!   checks) is on this clock: it never steps, and it counts a suspended
//!   VM's time, so a resumed engine tests its peers at once.
//! - [`UtcTimestamp`]: the wall clock (CLOCK_REALTIME), only for what the
//!   wall means: SendingTime, OrigSendingTime, log stamps and schedule
//!   boundaries.
//!
//! [`Now`] carries both, read at the same moment, through every call that
//! needs the time. The session and store never read a clock; the runtime
//! and the reactor call [`Now::read`].

use std::fmt;

pub use ringfix_codec::UtcTimestamp;

const NANOS: i64 = 1_000_000_000;

/// An instant on the monotonic clock (CLOCK_BOOTTIME), nanoseconds since
/// boot. A distinct type from [`UtcTimestamp`] so the two cannot be mixed.
#[derive(Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MonoTime(i64);

impl MonoTime {
    /// The earliest instant (boot).
    pub const ZERO: Self = Self(0);
    /// An instant later than any real one ("never").
    pub const MAX: Self = Self(i64::MAX);

    /// The instant `nanos` nanoseconds after boot.
    pub const fn from_nanos(nanos: i64) -> Self {
        Self(nanos)
    }

    /// The instant `secs` seconds after boot.
    pub const fn from_secs(secs: i64) -> Self {
        Self(secs.saturating_mul(NANOS))
    }

    /// Nanoseconds since boot.
    pub const fn as_nanos(self) -> i64 {
        self.0
    }

    /// This instant plus `nanos` (saturating).
    pub const fn add_nanos(self, nanos: i64) -> Self {
        Self(self.0.saturating_add(nanos))
    }

    /// This instant plus `secs` seconds (saturating).
    pub const fn add_secs(self, secs: i64) -> Self {
        self.add_nanos(secs.saturating_mul(NANOS))
    }

    /// Nanoseconds from `earlier` to this instant (negative when `earlier`
    /// is later; saturating).
    pub const fn nanos_since(self, earlier: Self) -> i64 {
        self.0.saturating_sub(earlier.0)
    }

    /// The time from now to this instant, zero when it has passed.
    pub fn duration_since(self, earlier: Self) -> std::time::Duration {
        std::time::Duration::from_nanos(u64::try_from(self.nanos_since(earlier)).unwrap_or(0))
    }

    /// Reads CLOCK_BOOTTIME.
    pub fn now() -> Self {
        Self(read_clock(libc::CLOCK_BOOTTIME))
    }
}

/// This instant plus a duration (saturating).
impl std::ops::Add<std::time::Duration> for MonoTime {
    type Output = Self;

    fn add(self, d: std::time::Duration) -> Self {
        self.add_nanos(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
    }
}

impl fmt::Debug for MonoTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "MonoTime({}.{:09})",
            self.0.div_euclid(NANOS),
            self.0.rem_euclid(NANOS)
        )
    }
}

/// The time of one event on both clocks: `mono` for deadlines, `wall` for
/// stamps and schedules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Now {
    /// CLOCK_BOOTTIME: every deadline is measured on it.
    pub mono: MonoTime,
    /// CLOCK_REALTIME: SendingTime, OrigSendingTime, log stamps, schedules.
    pub wall: UtcTimestamp,
}

impl Now {
    /// Both clocks, read one after the other.
    pub fn read() -> Self {
        Self {
            mono: MonoTime::now(),
            wall: UtcTimestamp::from_nanos(read_clock(libc::CLOCK_REALTIME)),
        }
    }

    /// Both clocks at the same offset: for tests and tools that drive a
    /// session with one made-up clock (the monotonic clock then reads as
    /// the wall's nanoseconds).
    pub fn same(wall: UtcTimestamp) -> Self {
        Self {
            mono: MonoTime::from_nanos(wall.as_nanos()),
            wall,
        }
    }

    /// Both clocks `nanos` later.
    pub fn add_nanos(self, nanos: i64) -> Self {
        Self {
            mono: self.mono.add_nanos(nanos),
            wall: UtcTimestamp::from_nanos(self.wall.as_nanos().saturating_add(nanos)),
        }
    }

    /// The wall time at the monotonic instant `t`, assuming the wall clock
    /// does not step in between (for display: a deadline as a date).
    pub fn wall_at(self, t: MonoTime) -> UtcTimestamp {
        UtcTimestamp::from_nanos(
            self.wall
                .as_nanos()
                .saturating_add(t.nanos_since(self.mono)),
        )
    }
}

fn read_clock(clock: libc::clockid_t) -> i64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; both clocks exist on
    // every Linux this engine runs on (io_uring needs a newer kernel).
    unsafe { libc::clock_gettime(clock, &mut ts) };
    ts.tv_sec.saturating_mul(NANOS).saturating_add(ts.tv_nsec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boottime_moves_forward_and_both_clocks_read() {
        let a = Now::read();
        let b = Now::read();
        assert!(b.mono >= a.mono);
        assert!(a.mono > MonoTime::ZERO);
        // The wall clock is somewhere after 2020.
        assert!(a.wall.as_nanos() > 1_577_836_800 * NANOS);
    }

    #[test]
    fn arithmetic_saturates() {
        let t = MonoTime::from_secs(5);
        assert_eq!(t.add_secs(2), MonoTime::from_secs(7));
        assert_eq!(MonoTime::MAX.add_secs(1), MonoTime::MAX);
        assert_eq!(MonoTime::from_secs(7).nanos_since(t), 2 * NANOS);
        assert_eq!(t.nanos_since(MonoTime::from_secs(7)), -2 * NANOS);
        assert_eq!(
            t.duration_since(MonoTime::from_secs(7)),
            std::time::Duration::ZERO
        );
        let now = Now {
            mono: MonoTime::from_secs(100),
            wall: UtcTimestamp::from_secs(1_000),
        };
        assert_eq!(
            now.wall_at(MonoTime::from_secs(103)),
            UtcTimestamp::from_secs(1_003)
        );
        assert_eq!(
            format!("{:?}", MonoTime::from_nanos(1_500_000_000)),
            "MonoTime(1.500000000)"
        );
    }
}
