//! Schedule arithmetic across time zones, DST and week boundaries.

use jiff::civil::{time, Time, Weekday};
use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::config::{JitterSource, Period, Schedule, SplitMix64};
use ringfix_codec::UtcTimestamp;

fn at(s: &str) -> UtcTimestamp {
    let t: Timestamp = s.parse().unwrap();
    UtcTimestamp::from_nanos(i64::try_from(t.as_nanosecond()).unwrap())
}

fn tz(name: &str) -> TimeZone {
    TimeZone::get(name).unwrap()
}

fn hms(h: i8, m: i8, s: i8) -> Time {
    time(h, m, s, 0)
}

fn period(start: &str, end: &str) -> Option<Period> {
    Some(Period {
        start: at(start),
        end: at(end),
    })
}

#[test]
fn daily_utc_window() {
    let s = Schedule::daily(hms(8, 0, 0), hms(17, 0, 0), TimeZone::UTC);
    assert!(!s.is_in_session(at("2026-06-10T07:59:59Z")));
    assert!(s.is_in_session(at("2026-06-10T08:00:00Z")));
    assert!(s.is_in_session(at("2026-06-10T16:59:59.999999999Z")));
    assert!(
        !s.is_in_session(at("2026-06-10T17:00:00Z")),
        "end is exclusive"
    );
    assert_eq!(
        s.next_transition(at("2026-06-10T07:00:00Z")),
        Some(at("2026-06-10T08:00:00Z"))
    );
    assert_eq!(
        s.next_transition(at("2026-06-10T12:00:00Z")),
        Some(at("2026-06-10T17:00:00Z"))
    );
    assert_eq!(
        s.next_transition(at("2026-06-10T18:00:00Z")),
        Some(at("2026-06-11T08:00:00Z"))
    );
    assert!(s.same_period(at("2026-06-10T08:00:00Z"), at("2026-06-10T16:00:00Z")));
    assert!(!s.same_period(at("2026-06-10T09:00:00Z"), at("2026-06-11T09:00:00Z")));
    assert!(
        !s.same_period(at("2026-06-10T07:00:00Z"), at("2026-06-10T07:30:00Z")),
        "out of session"
    );
}

#[test]
fn daily_window_crossing_midnight() {
    let s = Schedule::daily(hms(22, 0, 0), hms(6, 0, 0), TimeZone::UTC);
    assert!(s.is_in_session(at("2026-06-10T23:00:00Z")));
    assert!(s.is_in_session(at("2026-06-11T05:00:00Z")));
    assert!(!s.is_in_session(at("2026-06-11T12:00:00Z")));
    assert_eq!(
        s.current_period(at("2026-06-11T01:00:00Z")),
        period("2026-06-10T22:00:00Z", "2026-06-11T06:00:00Z")
    );
    assert!(s.same_period(at("2026-06-10T22:30:00Z"), at("2026-06-11T05:30:00Z")));
    assert!(!s.same_period(at("2026-06-11T05:30:00Z"), at("2026-06-11T22:30:00Z")));
    assert_eq!(
        s.next_transition(at("2026-06-11T12:00:00Z")),
        Some(at("2026-06-11T22:00:00Z"))
    );
}

#[test]
fn equal_start_and_end_is_a_24_hour_session_reset_daily() {
    let s = Schedule::daily(hms(0, 0, 0), hms(0, 0, 0), TimeZone::UTC);
    assert!(s.is_in_session(at("2026-06-10T00:00:00Z")));
    assert!(s.is_in_session(at("2026-06-10T23:59:59Z")));
    assert!(s.same_period(at("2026-06-10T00:00:00Z"), at("2026-06-10T23:59:59Z")));
    assert!(!s.same_period(at("2026-06-10T23:59:59Z"), at("2026-06-11T00:00:01Z")));
    assert_eq!(
        s.next_transition(at("2026-06-10T13:00:00Z")),
        Some(at("2026-06-11T00:00:00Z"))
    );
}

#[test]
fn new_york_17_00_roll_across_dst_changes() {
    // FX-style day: 17:00 to 17:00 New York time.
    let s = Schedule::daily(hms(17, 0, 0), hms(17, 0, 0), tz("America/New_York"));
    // 2026-03-08: clocks go 02:00 EST -> 03:00 EDT; that day lasts 23 hours.
    assert_eq!(
        s.current_period(at("2026-03-08T12:00:00Z")),
        period("2026-03-07T22:00:00Z", "2026-03-08T21:00:00Z")
    );
    assert_eq!(
        s.next_transition(at("2026-03-08T20:59:59Z")),
        Some(at("2026-03-08T21:00:00Z"))
    );
    assert!(!s.same_period(at("2026-03-08T20:59:59Z"), at("2026-03-08T21:00:00Z")));
    assert!(s.same_period(at("2026-03-08T21:00:00Z"), at("2026-03-09T20:59:00Z")));
    // 2026-11-01: clocks go 02:00 EDT -> 01:00 EST; that day lasts 25 hours.
    assert_eq!(
        s.current_period(at("2026-11-01T12:00:00Z")),
        period("2026-10-31T21:00:00Z", "2026-11-01T22:00:00Z")
    );
    assert!(s.same_period(at("2026-11-01T21:30:00Z"), at("2026-10-31T21:00:00Z")));
}

#[test]
fn new_york_business_hours_follow_local_time() {
    let s = Schedule::daily(hms(9, 30, 0), hms(16, 0, 0), tz("America/New_York"));
    // EST (UTC-5) before the change, EDT (UTC-4) after.
    assert_eq!(
        s.current_period(at("2026-03-06T15:00:00Z")),
        period("2026-03-06T14:30:00Z", "2026-03-06T21:00:00Z")
    );
    assert_eq!(
        s.current_period(at("2026-03-09T15:00:00Z")),
        period("2026-03-09T13:30:00Z", "2026-03-09T20:00:00Z")
    );
    assert!(!s.is_in_session(at("2026-03-09T20:30:00Z")), "16:30 EDT");
    assert!(s.is_in_session(at("2026-03-06T20:30:00Z")), "15:30 EST");
}

#[test]
fn wall_times_inside_a_dst_gap_or_fold() {
    // 02:30 does not exist in New York on 2026-03-08: the period starts at
    // 03:30 EDT (07:30Z), just after the gap.
    let gap = Schedule::daily(hms(2, 30, 0), hms(12, 0, 0), tz("America/New_York"));
    assert_eq!(
        gap.current_period(at("2026-03-08T12:00:00Z")),
        period("2026-03-08T07:30:00Z", "2026-03-08T16:00:00Z")
    );
    // 01:30 happens twice on 2026-11-01: the first (EDT, 05:30Z) counts.
    let fold = Schedule::daily(hms(1, 30, 0), hms(12, 0, 0), tz("America/New_York"));
    assert_eq!(
        fold.current_period(at("2026-11-01T12:00:00Z")),
        period("2026-11-01T05:30:00Z", "2026-11-01T17:00:00Z")
    );
}

#[test]
fn other_zones() {
    // London: BST starts 2026-03-29.
    let london = Schedule::daily(hms(8, 0, 0), hms(16, 30, 0), tz("Europe/London"));
    assert_eq!(
        london.current_period(at("2026-03-27T10:00:00Z")),
        period("2026-03-27T08:00:00Z", "2026-03-27T16:30:00Z")
    );
    assert_eq!(
        london.current_period(at("2026-03-30T10:00:00Z")),
        period("2026-03-30T07:00:00Z", "2026-03-30T15:30:00Z")
    );
    // Tokyo (UTC+9, no DST): 08:00-15:00 local crosses the UTC midnight.
    let tokyo = Schedule::daily(hms(8, 0, 0), hms(15, 0, 0), tz("Asia/Tokyo"));
    assert!(tokyo.is_in_session(at("2026-06-09T23:30:00Z")));
    assert!(tokyo.same_period(at("2026-06-09T23:30:00Z"), at("2026-06-10T05:59:00Z")));
    assert!(!tokyo.is_in_session(at("2026-06-10T06:00:00Z")));
}

#[test]
fn weekly_sunday_to_friday_new_york() {
    let s = Schedule::weekly(
        Weekday::Sunday,
        hms(17, 0, 0),
        Weekday::Friday,
        hms(17, 0, 0),
        tz("America/New_York"),
    );
    // 2026-06-14 is a Sunday; EDT = UTC-4.
    assert!(!s.is_in_session(at("2026-06-13T18:00:00Z")), "Saturday");
    assert!(
        !s.is_in_session(at("2026-06-14T20:59:59Z")),
        "Sunday 16:59:59"
    );
    assert!(s.is_in_session(at("2026-06-14T21:00:00Z")), "Sunday 17:00");
    assert!(s.is_in_session(at("2026-06-17T12:00:00Z")), "Wednesday");
    assert!(!s.is_in_session(at("2026-06-19T21:00:00Z")), "Friday 17:00");
    assert_eq!(
        s.current_period(at("2026-06-17T12:00:00Z")),
        period("2026-06-14T21:00:00Z", "2026-06-19T21:00:00Z")
    );
    assert!(s.same_period(at("2026-06-15T12:00:00Z"), at("2026-06-18T23:00:00Z")));
    assert!(!s.same_period(at("2026-06-19T12:00:00Z"), at("2026-06-22T12:00:00Z")));
    assert_eq!(
        s.next_transition(at("2026-06-13T18:00:00Z")),
        Some(at("2026-06-14T21:00:00Z"))
    );
    assert_eq!(
        s.next_transition(at("2026-06-19T22:00:00Z")),
        Some(at("2026-06-21T21:00:00Z"))
    );
    // Across the March change: starts Sunday 2026-03-08 17:00 EDT.
    assert_eq!(
        s.current_period(at("2026-03-10T12:00:00Z")),
        period("2026-03-08T21:00:00Z", "2026-03-13T21:00:00Z")
    );
    // The week before is all EST (UTC-5).
    assert_eq!(
        s.current_period(at("2026-03-03T12:00:00Z")),
        period("2026-03-01T22:00:00Z", "2026-03-06T22:00:00Z")
    );
}

#[test]
fn weekly_window_crossing_the_week_boundary() {
    // Friday 20:00 to Monday 06:00 UTC: crosses Saturday/Sunday and the
    // Monday-based week start.
    let s = Schedule::weekly(
        Weekday::Friday,
        hms(20, 0, 0),
        Weekday::Monday,
        hms(6, 0, 0),
        TimeZone::UTC,
    );
    assert!(s.is_in_session(at("2026-06-13T12:00:00Z")), "Saturday");
    assert!(s.is_in_session(at("2026-06-14T12:00:00Z")), "Sunday");
    assert!(s.is_in_session(at("2026-06-15T05:59:59Z")), "Monday 05:59");
    assert!(!s.is_in_session(at("2026-06-15T06:00:00Z")), "Monday 06:00");
    assert!(!s.is_in_session(at("2026-06-17T12:00:00Z")), "Wednesday");
    assert!(!s.is_in_session(at("2026-06-12T19:59:59Z")), "Friday 19:59");
    assert_eq!(
        s.current_period(at("2026-06-14T12:00:00Z")),
        period("2026-06-12T20:00:00Z", "2026-06-15T06:00:00Z")
    );
    assert!(s.same_period(at("2026-06-12T21:00:00Z"), at("2026-06-15T01:00:00Z")));
    assert_eq!(
        s.next_transition(at("2026-06-17T12:00:00Z")),
        Some(at("2026-06-19T20:00:00Z"))
    );
}

#[test]
fn weekly_same_day_start_after_end_is_almost_a_week() {
    // Monday 08:00 to Monday 07:00: closed for one hour a week.
    let s = Schedule::weekly(
        Weekday::Monday,
        hms(8, 0, 0),
        Weekday::Monday,
        hms(7, 0, 0),
        TimeZone::UTC,
    );
    assert!(!s.is_in_session(at("2026-06-15T07:30:00Z")));
    assert!(s.is_in_session(at("2026-06-15T06:30:00Z")));
    assert!(s.is_in_session(at("2026-06-15T08:00:00Z")));
    assert_eq!(
        s.current_period(at("2026-06-18T00:00:00Z")),
        period("2026-06-15T08:00:00Z", "2026-06-22T07:00:00Z")
    );
    // Same day and time: the whole week, restarting at that instant.
    let w = Schedule::weekly(
        Weekday::Sunday,
        hms(18, 0, 0),
        Weekday::Sunday,
        hms(18, 0, 0),
        TimeZone::UTC,
    );
    assert!(w.is_in_session(at("2026-06-14T17:59:59Z")));
    assert!(!w.same_period(at("2026-06-14T17:59:59Z"), at("2026-06-14T18:00:00Z")));
}

#[test]
fn non_stop_is_always_in_session() {
    let s = Schedule::non_stop();
    assert!(s.is_in_session(at("1999-12-31T23:59:59Z")));
    assert_eq!(s.next_transition(at("2026-06-10T00:00:00Z")), None);
    assert!(s.same_period(at("2001-01-01T00:00:00Z"), at("2026-06-10T00:00:00Z")));
}

/// For random instants, `next_transition` is exactly where the current
/// period ends or the next begins (checked at the transition and 1 ns
/// before).
#[test]
fn next_transition_is_where_the_answer_changes() {
    let schedules = [
        Schedule::daily(hms(17, 0, 0), hms(17, 0, 0), tz("America/New_York")),
        Schedule::daily(hms(22, 0, 0), hms(6, 0, 0), tz("Europe/London")),
        Schedule::daily(hms(1, 30, 0), hms(2, 30, 0), tz("America/New_York")),
        Schedule::weekly(
            Weekday::Sunday,
            hms(17, 0, 0),
            Weekday::Friday,
            hms(17, 0, 0),
            tz("America/New_York"),
        ),
        Schedule::weekly(
            Weekday::Saturday,
            hms(2, 30, 0),
            Weekday::Tuesday,
            hms(1, 0, 0),
            tz("Australia/Sydney"),
        ),
    ];
    let mut rng = SplitMix64::new(7);
    let base = at("2026-01-01T00:00:00Z").as_nanos();
    let year = 366 * 86_400 * 1_000_000_000_i64;
    for s in &schedules {
        for _ in 0..300 {
            let offset = i64::try_from(rng.next_u64() % year.unsigned_abs()).unwrap();
            let now = UtcTimestamp::from_nanos(base + offset);
            let next = s.next_transition(now).unwrap();
            assert!(next > now, "{s:?} {now:?}");
            let before = UtcTimestamp::from_nanos(next.as_nanos() - 1);
            assert_eq!(
                s.is_in_session(before),
                s.is_in_session(now),
                "{s:?} {now:?}"
            );
            if s.is_in_session(now) {
                assert!(s.same_period(now, before));
                // Out of session at `next`, or in the next period already
                // (back-to-back periods such as 17:00-17:00).
                assert!(!s.same_period(now, next), "{s:?} {now:?}");
            } else {
                assert!(s.is_in_session(next), "{s:?} {now:?}");
            }
        }
    }
}

#[test]
fn began_after_resets_for_a_new_period_never_for_a_step_back() {
    let s = Schedule::daily(hms(8, 0, 0), hms(17, 0, 0), TimeZone::UTC);
    let created = at("2026-06-10T09:00:00Z");
    // Same period, later or earlier (a wall clock stepped back within it).
    assert!(!s.began_after(created, at("2026-06-10T16:00:00Z")));
    assert!(!s.began_after(created, at("2026-06-10T08:30:00Z")));
    // The next day's period: a reset is due.
    assert!(s.began_after(created, at("2026-06-11T09:00:00Z")));
    // Out of session: nothing to reset into.
    assert!(!s.began_after(created, at("2026-06-10T18:00:00Z")));
    // A store created out of session, before today's period started.
    assert!(s.began_after(at("2026-06-10T07:00:00Z"), at("2026-06-10T08:00:01Z")));
    // Stepped back into yesterday's period: the reset done today is not
    // done again (same_period would say "not the same period").
    let rolling = Schedule::daily(hms(12, 0, 0), hms(12, 0, 0), TimeZone::UTC);
    let today = at("2026-06-10T12:30:00Z");
    assert!(!rolling.same_period(today, at("2026-06-10T11:30:00Z")));
    assert!(!rolling.began_after(today, at("2026-06-10T11:30:00Z")));
    // ... and stepping a day ahead is a new period.
    assert!(rolling.began_after(today, at("2026-06-11T12:30:00Z")));
    assert!(!Schedule::non_stop().began_after(created, at("2030-01-01T00:00:00Z")));
}
