//! Session schedules with QuickFIX semantics.
//!
//! A schedule is a sequence of periods `[start, end)`: daily (StartTime to
//! EndTime, crossing midnight when EndTime <= StartTime; StartTime = EndTime
//! is a 24-hour period that restarts at that time), weekly (StartDay
//! StartTime to EndDay EndTime) or non-stop. Times are wall-clock times in
//! the schedule's time zone; a wall time that does not exist (DST gap) is
//! taken as the instant just after the gap, an ambiguous one (DST fold) as
//! the first of the two, like QuickFIX/J's calendar arithmetic.

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

use ringfix_codec::UtcTimestamp;

/// When a session is active.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    kind: Kind,
    tz: TimeZone,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    NonStop,
    Daily {
        start: Time,
        end: Time,
    },
    Weekly {
        start_day: Weekday,
        start: Time,
        end_day: Weekday,
        end: Time,
    },
}

/// One active period: `start <= t < end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Period {
    /// First instant of the period.
    pub start: UtcTimestamp,
    /// First instant after the period.
    pub end: UtcTimestamp,
}

/// The period that started most recently at or before some instant.
struct Found {
    start_date: Date,
    start: Timestamp,
    end: Timestamp,
}

fn to_jiff(t: UtcTimestamp) -> Timestamp {
    // Every i64 nanosecond count is inside jiff's range (years -9999..9999).
    Timestamp::from_nanosecond(i128::from(t.as_nanos())).unwrap_or(Timestamp::UNIX_EPOCH)
}

fn from_jiff(t: Timestamp) -> UtcTimestamp {
    let n = t.as_nanosecond();
    UtcTimestamp::from_nanos(i64::try_from(n).unwrap_or(if n < 0 { i64::MIN } else { i64::MAX }))
}

fn add_days(date: Date, days: i64) -> Option<Date> {
    date.checked_add(Span::new().days(days)).ok()
}

impl Schedule {
    /// Always in session (`NonStopSession=Y`).
    pub fn non_stop() -> Self {
        Self {
            kind: Kind::NonStop,
            tz: TimeZone::UTC,
        }
    }

    /// Every day from `start` to `end` wall-clock time in `tz`.
    pub fn daily(start: Time, end: Time, tz: TimeZone) -> Self {
        Self {
            kind: Kind::Daily { start, end },
            tz,
        }
    }

    /// Every week from `start_day` `start` to `end_day` `end` in `tz`.
    pub fn weekly(
        start_day: Weekday,
        start: Time,
        end_day: Weekday,
        end: Time,
        tz: TimeZone,
    ) -> Self {
        Self {
            kind: Kind::Weekly {
                start_day,
                start,
                end_day,
                end,
            },
            tz,
        }
    }

    /// Whether this is a non-stop schedule.
    pub fn is_non_stop(&self) -> bool {
        self.kind == Kind::NonStop
    }

    /// The schedule's time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    fn resolve(&self, date: Date, time: Time) -> Option<Timestamp> {
        self.tz
            .to_ambiguous_timestamp(date.to_datetime(time))
            .compatible()
            .ok()
    }

    /// The period that started most recently at or before `t`.
    fn latest_start(&self, t: Timestamp) -> Option<Found> {
        let today = self.tz.to_datetime(t).date();
        let (cycle, start_time, end_time, start_back, end_fwd) = match self.kind {
            Kind::NonStop => return None,
            Kind::Daily { start, end } => (1, start, end, 0, 0),
            Kind::Weekly {
                start_day,
                start,
                end_day,
                end,
            } => {
                let back = i64::from(
                    today.weekday().to_monday_zero_offset() - start_day.to_monday_zero_offset(),
                )
                .rem_euclid(7);
                let fwd =
                    i64::from(end_day.to_monday_zero_offset() - start_day.to_monday_zero_offset())
                        .rem_euclid(7);
                (7, start, end, back, fwd)
            }
        };
        let mut start_date = add_days(today, -start_back)?;
        let mut start = self.resolve(start_date, start_time)?;
        if start > t {
            start_date = add_days(start_date, -cycle)?;
            start = self.resolve(start_date, start_time)?;
        }
        let mut end = self.resolve(add_days(start_date, end_fwd)?, end_time)?;
        if end <= start {
            end = self.resolve(add_days(start_date, end_fwd + cycle)?, end_time)?;
        }
        Some(Found {
            start_date,
            start,
            end,
        })
    }

    /// The period containing `now`, if in session. `None` for a non-stop
    /// schedule too (it has no periods).
    pub fn current_period(&self, now: UtcTimestamp) -> Option<Period> {
        let t = to_jiff(now);
        let found = self.latest_start(t)?;
        (t < found.end).then(|| Period {
            start: from_jiff(found.start),
            end: from_jiff(found.end),
        })
    }

    /// Whether `now` is inside an active period.
    pub fn is_in_session(&self, now: UtcTimestamp) -> bool {
        self.is_non_stop() || self.current_period(now).is_some()
    }

    /// When the current period ends (in session; for back-to-back periods
    /// such as 17:00-17:00 that is also when the next begins), else when the
    /// next period begins. `None` for a non-stop schedule.
    pub fn next_transition(&self, now: UtcTimestamp) -> Option<UtcTimestamp> {
        let t = to_jiff(now);
        let found = self.latest_start(t)?;
        if t < found.end {
            return Some(from_jiff(found.end));
        }
        let cycle = match self.kind {
            Kind::Weekly { .. } => 7,
            _ => 1,
        };
        let (start_time, next_date) = match self.kind {
            Kind::Daily { start, .. } | Kind::Weekly { start, .. } => {
                (start, add_days(found.start_date, cycle)?)
            }
            Kind::NonStop => return None,
        };
        self.resolve(next_date, start_time).map(from_jiff)
    }

    /// Whether `now` lies in a period that began after `created`: the
    /// store (created then) belongs to an earlier period and is reset. A
    /// wall clock stepped back to before `created` never answers yes, so a
    /// reset already done in this period is not done again. Always false
    /// for a non-stop schedule and out of session.
    pub fn began_after(&self, created: UtcTimestamp, now: UtcTimestamp) -> bool {
        self.current_period(now).is_some_and(|p| p.start > created)
    }

    /// QuickFIX's `isSameSession`: both instants are in session and in the
    /// same period. Used at logon to reset a store created in an earlier
    /// period. Always true for a non-stop schedule.
    pub fn same_period(&self, t1: UtcTimestamp, t2: UtcTimestamp) -> bool {
        if self.is_non_stop() {
            return true;
        }
        match (self.current_period(t1), self.current_period(t2)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }
}
