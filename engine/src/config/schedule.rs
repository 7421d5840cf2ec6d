//! Session schedules with QuickFIX semantics.
//!
//! A schedule is a sequence of periods `[start, end)` — the session window:
//! daily (StartTime to EndTime, crossing midnight when EndTime <= StartTime;
//! StartTime = EndTime is a 24-hour period that restarts at that time),
//! daily on some weekdays only (QuickFIX/J's `Weekdays`: a period starts
//! only on those days), weekly (StartDay StartTime to EndDay EndTime) or
//! non-stop. A store created in an earlier period is reset.
//!
//! QuickFIX C++'s logon window (`LogonTime`/`LogoutTime`/`LogonDay`/
//! `LogoutDay`) narrows when the session is up without changing the
//! periods: the session is up only inside both windows, and the store is
//! not reset at the end of a logon window.
//!
//! Times are wall-clock times in the schedule's time zone; a wall time that
//! does not exist (DST gap) is taken as the instant just after the gap, an
//! ambiguous one (DST fold) as the first of the two, like QuickFIX/J's
//! calendar arithmetic. Everything here is a pure function of the wall time
//! passed in.

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

use ringfix_codec::UtcTimestamp;

/// When a session is active.
#[derive(Clone, Debug, PartialEq)]
pub struct Schedule {
    session: Window,
    logon: Option<Window>,
    tz: TimeZone,
    local: bool,
}

/// One window's rule; `Weekdays` keeps a bit per day (Monday = bit 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Window {
    NonStop,
    Daily {
        start: Time,
        end: Time,
    },
    Weekdays {
        days: u8,
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

/// Transitions examined before `next_open`/`next_close` give up: two
/// windows change at most four times a day, so this covers two weeks.
const SEARCH_STEPS: usize = 64;

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

fn day_bit(day: Weekday) -> u8 {
    1 << day.to_monday_zero_offset()
}

impl Window {
    /// Start time and whether a period may start on `date`.
    fn start_on(&self, date: Date) -> Option<Time> {
        match *self {
            Window::NonStop => None,
            Window::Daily { start, .. } => Some(start),
            Window::Weekdays { days, start, .. } => {
                (days & day_bit(date.weekday()) != 0).then_some(start)
            }
            Window::Weekly {
                start_day, start, ..
            } => (date.weekday() == start_day).then_some(start),
        }
    }

    /// The end of the period that starts at `start` on `date`.
    fn end_of(&self, tz: &TimeZone, date: Date, start: Timestamp) -> Option<Timestamp> {
        let (end_time, forward, cycle) = match *self {
            Window::NonStop => return None,
            Window::Daily { end, .. } | Window::Weekdays { end, .. } => (end, 0, 1),
            Window::Weekly {
                start_day,
                end_day,
                end,
                ..
            } => {
                let fwd =
                    i64::from(end_day.to_monday_zero_offset() - start_day.to_monday_zero_offset())
                        .rem_euclid(7);
                (end, fwd, 7)
            }
        };
        let end = resolve(tz, add_days(date, forward)?, end_time)?;
        if end > start {
            return Some(end);
        }
        resolve(tz, add_days(date, forward + cycle)?, end_time)
    }

    /// The period that started most recently at or before `t`.
    fn latest(&self, tz: &TimeZone, t: Timestamp) -> Option<(Timestamp, Timestamp)> {
        let today = tz.to_datetime(t).date();
        // A weekly period started at most 7 days ago (8 when its start
        // time today is still ahead).
        for back in 0..=8 {
            let date = add_days(today, -back)?;
            let Some(start_time) = self.start_on(date) else {
                continue;
            };
            let start = resolve(tz, date, start_time)?;
            if start <= t {
                return Some((start, self.end_of(tz, date, start)?));
            }
        }
        None
    }

    /// The first period start after `t`.
    fn next_start(&self, tz: &TimeZone, t: Timestamp) -> Option<Timestamp> {
        let today = tz.to_datetime(t).date();
        for fwd in 0..=8 {
            let date = add_days(today, fwd)?;
            if let Some(start_time) = self.start_on(date) {
                let start = resolve(tz, date, start_time)?;
                if start > t {
                    return Some(start);
                }
            }
        }
        None
    }

    fn current(&self, tz: &TimeZone, t: Timestamp) -> Option<(Timestamp, Timestamp)> {
        self.latest(tz, t).filter(|(_, end)| t < *end)
    }

    fn contains(&self, tz: &TimeZone, t: Timestamp) -> bool {
        *self == Window::NonStop || self.current(tz, t).is_some()
    }

    /// When the current period ends (in a period), else when the next
    /// begins. `None` for non-stop.
    fn next_boundary(&self, tz: &TimeZone, t: Timestamp) -> Option<Timestamp> {
        if *self == Window::NonStop {
            return None;
        }
        match self.current(tz, t) {
            Some((_, end)) => Some(end),
            None => self.next_start(tz, t),
        }
    }
}

fn resolve(tz: &TimeZone, date: Date, time: Time) -> Option<Timestamp> {
    tz.to_ambiguous_timestamp(date.to_datetime(time))
        .compatible()
        .ok()
}

impl Schedule {
    fn new(session: Window, tz: TimeZone) -> Self {
        Self {
            session,
            logon: None,
            tz,
            local: false,
        }
    }

    /// Always in session (`NonStopSession=Y`).
    pub fn non_stop() -> Self {
        Self::new(Window::NonStop, TimeZone::UTC)
    }

    /// Every day from `start` to `end` wall-clock time in `tz`.
    pub fn daily(start: Time, end: Time, tz: TimeZone) -> Self {
        Self::new(Window::Daily { start, end }, tz)
    }

    /// Like [`daily`](Self::daily), but a period starts only on `days`
    /// (QuickFIX/J's `Weekdays`; a period crossing midnight belongs to the
    /// day it starts).
    pub fn weekdays(days: &[Weekday], start: Time, end: Time, tz: TimeZone) -> Self {
        let days = days.iter().fold(0, |bits, d| bits | day_bit(*d));
        Self::new(Window::Weekdays { days, start, end }, tz)
    }

    /// Every week from `start_day` `start` to `end_day` `end` in `tz`.
    pub fn weekly(
        start_day: Weekday,
        start: Time,
        end_day: Weekday,
        end: Time,
        tz: TimeZone,
    ) -> Self {
        let window = Window::Weekly {
            start_day,
            start,
            end_day,
            end,
        };
        Self::new(window, tz)
    }

    /// The same periods in another time zone (a non-stop schedule's zone
    /// places its logon window).
    pub fn in_zone(mut self, tz: TimeZone) -> Self {
        self.tz = tz;
        self
    }

    /// Adds QuickFIX C++'s logon window: logged on only from `logon` to
    /// `logout` (daily, or from the first day of `days` to the second
    /// weekly) inside the session window.
    pub fn with_logon_window(
        mut self,
        logon: Time,
        logout: Time,
        days: Option<(Weekday, Weekday)>,
    ) -> Self {
        self.logon = Some(match days {
            None => Window::Daily {
                start: logon,
                end: logout,
            },
            Some((start_day, end_day)) => Window::Weekly {
                start_day,
                start: logon,
                end_day,
                end: logout,
            },
        });
        self
    }

    /// Marks the zone as the host's local zone (`UseLocalTime=Y`).
    pub(crate) fn marked_local(mut self) -> Self {
        self.local = true;
        self
    }

    /// Whether the periods are non-stop (there may still be a logon
    /// window).
    pub fn is_non_stop(&self) -> bool {
        self.session == Window::NonStop
    }

    /// Whether the session is up at all times: non-stop, no logon window.
    pub fn is_always_open(&self) -> bool {
        self.is_non_stop() && self.logon.is_none()
    }

    /// Whether the zone is the host's local zone (`UseLocalTime=Y`).
    pub fn uses_local_time(&self) -> bool {
        self.local
    }

    /// The schedule's time zone.
    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    /// The period of the session window containing `now`, if any. `None`
    /// for a non-stop schedule too (it has no periods).
    pub fn current_period(&self, now: UtcTimestamp) -> Option<Period> {
        self.session
            .current(&self.tz, to_jiff(now))
            .map(|(start, end)| Period {
                start: from_jiff(start),
                end: from_jiff(end),
            })
    }

    /// Whether `now` is inside the session window (ignoring the logon
    /// window).
    pub fn in_session_window(&self, now: UtcTimestamp) -> bool {
        self.session.contains(&self.tz, to_jiff(now))
    }

    /// Whether `now` is inside the logon window (always, without one).
    pub fn is_logon_time(&self, now: UtcTimestamp) -> bool {
        self.logon
            .is_none_or(|w| w.contains(&self.tz, to_jiff(now)))
    }

    /// Whether the session may be up at `now`: inside the session window
    /// and the logon window.
    pub fn is_in_session(&self, now: UtcTimestamp) -> bool {
        self.in_session_window(now) && self.is_logon_time(now)
    }

    /// The next instant after `t` where either window starts or ends a
    /// period.
    fn next_boundary(&self, t: Timestamp) -> Option<Timestamp> {
        let a = self.session.next_boundary(&self.tz, t);
        let b = self.logon.and_then(|w| w.next_boundary(&self.tz, t));
        match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether `now` lies in a period that began after `created`: the
    /// store (created then) belongs to an earlier period and is reset. A
    /// wall clock stepped back to before `created` never answers yes, so a
    /// reset already done in this period is not done again. Always false
    /// for a non-stop schedule and out of session.
    pub fn began_after(&self, created: UtcTimestamp, now: UtcTimestamp) -> bool {
        self.current_period(now).is_some_and(|p| p.start > created)
    }

    /// Up at `now`: when it must log out (out of either window, or a new
    /// session period begins). Down: when it may come up. `None` when
    /// nothing will change (non-stop) or the windows never meet.
    pub fn next_transition(&self, now: UtcTimestamp) -> Option<UtcTimestamp> {
        if self.is_in_session(now) {
            self.close_after(now)
        } else {
            self.open_after(now)
        }
    }

    /// While up at `now`: the instant it goes down or a new period begins.
    fn close_after(&self, now: UtcTimestamp) -> Option<UtcTimestamp> {
        let period = self.current_period(now);
        let mut t = to_jiff(now);
        for _ in 0..SEARCH_STEPS {
            t = self.next_boundary(t)?;
            let at = from_jiff(t);
            if !self.is_in_session(at) || self.current_period(at) != period {
                return Some(at);
            }
        }
        None
    }

    /// While down at `now`: the first instant it is up.
    fn open_after(&self, now: UtcTimestamp) -> Option<UtcTimestamp> {
        let mut t = to_jiff(now);
        for _ in 0..SEARCH_STEPS {
            t = self.next_boundary(t)?;
            if self.is_in_session(from_jiff(t)) {
                return Some(from_jiff(t));
            }
        }
        None
    }

    /// The next time the session comes up after `now` (after the current
    /// period when up now; for back-to-back periods the instant the current
    /// one ends). `None` for an always-open schedule or windows that never
    /// meet.
    pub fn next_open(&self, now: UtcTimestamp) -> Option<UtcTimestamp> {
        if !self.is_in_session(now) {
            return self.open_after(now);
        }
        let close = self.close_after(now)?;
        if self.is_in_session(close) {
            return Some(close);
        }
        self.open_after(close)
    }

    /// The next time the session goes down (or a new period begins): the
    /// end of the current period when up now, else of the next one.
    pub fn next_close(&self, now: UtcTimestamp) -> Option<UtcTimestamp> {
        if self.is_in_session(now) {
            return self.close_after(now);
        }
        let open = self.open_after(now)?;
        self.close_after(open)
    }

    /// QuickFIX's `isSameSession`: both instants are in the session window
    /// and in the same period. Used at logon to reset a store created in an
    /// earlier period. Always true for a non-stop schedule.
    pub fn same_period(&self, t1: UtcTimestamp, t2: UtcTimestamp) -> bool {
        if self.is_non_stop() {
            return true;
        }
        match (self.current_period(t1), self.current_period(t2)) {
            (Some(a), Some(b)) => a == b,
            _ => false,
        }
    }

    /// QuickFIX C++'s check that a logon window time (with its day, for a
    /// weekly session) lies within the session window: `TimeRange::isInRange`,
    /// ends included.
    pub(crate) fn session_window_has(&self, time: Time, day: Option<Weekday>) -> bool {
        let in_day = |start: Time, end: Time| {
            if start < end {
                start <= time && time <= end
            } else {
                time >= start || time <= end
            }
        };
        match self.session {
            Window::NonStop => true,
            Window::Daily { start, end } | Window::Weekdays { start, end, .. } => {
                in_day(start, end)
            }
            Window::Weekly {
                start_day,
                start,
                end_day,
                end,
            } => {
                let n = |d: Weekday| d.to_sunday_one_offset();
                let (sd, ed) = (n(start_day), n(end_day));
                let d = n(day.unwrap_or(start_day));
                if sd == ed {
                    d != sd || in_day(start, end)
                } else if sd < ed {
                    !(d < sd || d > ed || (d == sd && time < start) || (d == ed && time > end))
                } else {
                    !((d < sd && d > ed) || (d == sd && time < start) || (d == ed && time > end))
                }
            }
        }
    }

    /// The schedule as configuration keys (for `config check` and the
    /// settings table).
    pub fn keys(&self) -> Vec<(&'static str, String)> {
        let mut out = Vec::new();
        let window =
            |out: &mut Vec<(&'static str, String)>, w: &Window, keys: [&'static str; 4]| {
                let [time_a, time_b, day_a, day_b] = keys;
                match *w {
                    Window::NonStop => {}
                    Window::Daily { start, end } | Window::Weekdays { start, end, .. } => {
                        out.push((time_a, start.to_string()));
                        out.push((time_b, end.to_string()));
                    }
                    Window::Weekly {
                        start_day,
                        start,
                        end_day,
                        end,
                    } => {
                        out.push((time_a, start.to_string()));
                        out.push((time_b, end.to_string()));
                        out.push((day_a, format!("{start_day:?}")));
                        out.push((day_b, format!("{end_day:?}")));
                    }
                }
            };
        let yn = |b: bool| if b { "Y" } else { "N" }.to_owned();
        out.push(("NonStopSession", yn(self.is_non_stop())));
        window(
            &mut out,
            &self.session,
            ["StartTime", "EndTime", "StartDay", "EndDay"],
        );
        if let Window::Weekdays { days, .. } = self.session {
            let names: Vec<String> = (0..7)
                .filter(|i| days & (1 << i) != 0)
                .filter_map(|i| Weekday::from_monday_zero_offset(i).ok())
                .map(|d| format!("{d:?}"))
                .collect();
            out.push(("Weekdays", names.join(",")));
        }
        if let Some(logon) = &self.logon {
            window(
                &mut out,
                logon,
                ["LogonTime", "LogoutTime", "LogonDay", "LogoutDay"],
            );
        }
        out.push(("UseLocalTime", yn(self.local)));
        out.push(("TimeZone", self.tz.iana_name().unwrap_or("UTC").to_owned()));
        out
    }
}
