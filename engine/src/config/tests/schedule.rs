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

/// The schedule of an acceptor configured with `keys` (one per line).
fn configured(keys: &str) -> Result<Schedule, String> {
    let text = format!(
        "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=S\nTargetCompID=T\n\
         ConnectionType=acceptor\nSocketAcceptPort=1\n{keys}\n"
    );
    crate::config::EngineConfig::parse(&text, "s.cfg")
        .map(|c| c.sessions[0].schedule.clone())
        .map_err(|e| e.to_string())
}

#[test]
fn weekdays_open_only_on_the_days_listed() {
    let s = configured("StartTime=08:00:00\nEndTime=17:00:00\nWeekdays=Mon,wed,FRIDAY").unwrap();
    // 2026-06-15 is a Monday.
    assert!(s.is_in_session(at("2026-06-15T08:00:00Z")), "Monday");
    assert!(!s.is_in_session(at("2026-06-16T12:00:00Z")), "Tuesday");
    assert!(s.is_in_session(at("2026-06-17T12:00:00Z")), "Wednesday");
    assert!(!s.is_in_session(at("2026-06-20T12:00:00Z")), "Saturday");
    assert_eq!(
        s.next_open(at("2026-06-19T18:00:00Z")),
        Some(at("2026-06-22T08:00:00Z")),
        "Friday evening opens next on Monday"
    );
    assert_eq!(
        s.next_close(at("2026-06-16T12:00:00Z")),
        Some(at("2026-06-17T17:00:00Z"))
    );
    // A period crossing midnight belongs to the day it starts.
    let night = configured("StartTime=22:00:00\nEndTime=06:00:00\nWeekdays=Fri").unwrap();
    assert!(
        night.is_in_session(at("2026-06-20T05:59:59Z")),
        "Saturday early"
    );
    assert!(
        !night.is_in_session(at("2026-06-20T22:30:00Z")),
        "Saturday night"
    );
    assert!(
        !night.is_in_session(at("2026-06-19T05:00:00Z")),
        "Friday early"
    );
    assert_eq!(
        night.current_period(at("2026-06-20T01:00:00Z")),
        period("2026-06-19T22:00:00Z", "2026-06-20T06:00:00Z")
    );
    assert_eq!(
        configured("StartTime=08:00:00\nEndTime=17:00:00\nWeekdays=Mon\nStartDay=Mon\nEndDay=Fri")
            .unwrap_err(),
        "s.cfg:9: Weekdays: expected no StartDay or EndDay with Weekdays (set one or the other), got \"Mon\""
    );
    assert_eq!(
        configured("StartTime=08:00:00\nEndTime=17:00:00\nWeekdays=Mon,Mon").unwrap_err(),
        "s.cfg:9: Weekdays: expected day names separated by commas, each day once, got \"Mon,Mon\""
    );
    assert_eq!(
        configured("StartTime=08:00:00\nEndTime=17:00:00\nWeekdays=Mon,x").unwrap_err(),
        "s.cfg:9: Weekdays: expected day names separated by commas (Mon,Tue,Wed), got \"Mon,x\""
    );
}

#[test]
fn logon_window_narrows_when_the_session_is_up_not_its_period() {
    // One 24-hour period a day; logged on only from 08:00 to 17:00.
    let s =
        configured("StartTime=00:00:00\nEndTime=00:00:00\nLogonTime=08:00:00\nLogoutTime=17:00:00")
            .unwrap();
    assert!(!s.is_in_session(at("2026-06-10T07:59:59Z")));
    assert!(s.in_session_window(at("2026-06-10T07:59:59Z")));
    assert!(s.is_in_session(at("2026-06-10T08:00:00Z")));
    assert!(
        !s.is_in_session(at("2026-06-10T17:00:00Z")),
        "LogoutTime is the end"
    );
    assert_eq!(
        s.next_transition(at("2026-06-10T12:00:00Z")),
        Some(at("2026-06-10T17:00:00Z"))
    );
    assert_eq!(
        s.next_transition(at("2026-06-10T18:00:00Z")),
        Some(at("2026-06-11T08:00:00Z"))
    );
    assert_eq!(
        s.next_open(at("2026-06-10T12:00:00Z")),
        Some(at("2026-06-11T08:00:00Z"))
    );
    // The store is kept from logout to the next logon of the same period.
    assert!(s.same_period(at("2026-06-10T09:00:00Z"), at("2026-06-10T18:00:00Z")));
    assert!(!s.same_period(at("2026-06-10T09:00:00Z"), at("2026-06-11T09:00:00Z")));
}

#[test]
fn logon_days_default_to_the_session_days() {
    // Sunday 17:00 to Friday 17:00 New York; logons from Monday 07:00 to
    // Friday 16:00 (EDT = UTC-4). 2026-06-14 is a Sunday.
    let base = "StartTime=17:00:00\nEndTime=17:00:00\nStartDay=Sunday\nEndDay=Friday\n\
                TimeZone=America/New_York";
    let s = configured(&format!(
        "{base}\nLogonTime=07:00:00\nLogoutTime=16:00:00\nLogonDay=mo\nLogoutDay=fr"
    ))
    .unwrap();
    assert!(s.in_session_window(at("2026-06-14T22:00:00Z")));
    assert!(!s.is_in_session(at("2026-06-14T22:00:00Z")), "Sunday 18:00");
    assert!(s.is_in_session(at("2026-06-15T11:00:00Z")), "Monday 07:00");
    assert!(s.is_in_session(at("2026-06-17T03:00:00Z")), "Tuesday 23:00");
    assert!(!s.is_in_session(at("2026-06-19T20:30:00Z")), "Friday 16:30");
    assert_eq!(
        s.next_close(at("2026-06-17T12:00:00Z")),
        Some(at("2026-06-19T20:00:00Z"))
    );
    assert_eq!(
        s.next_open(at("2026-06-19T21:00:00Z")),
        Some(at("2026-06-22T11:00:00Z"))
    );
    // Without LogonDay/LogoutDay the logon window is weekly too: from
    // StartDay LogonTime to EndDay LogoutTime.
    let s = configured(&format!("{base}\nLogonTime=18:00:00")).unwrap();
    assert!(!s.is_in_session(at("2026-06-14T21:30:00Z")), "Sunday 17:30");
    assert!(s.is_in_session(at("2026-06-14T22:00:00Z")), "Sunday 18:00");
    assert!(s.is_in_session(at("2026-06-16T21:30:00Z")), "Tuesday 17:30");
    assert!(!s.is_in_session(at("2026-06-19T21:00:00Z")), "Friday 17:00");
}

#[test]
fn logon_window_outside_the_session_window_is_an_error() {
    let day = "StartTime=08:00:00\nEndTime=17:00:00";
    assert_eq!(
        configured(&format!("{day}\nLogonTime=07:00:00")).unwrap_err(),
        "s.cfg:9: LogonTime: expected a time within the session window \
         (StartTime to EndTime, StartDay to EndDay), got \"07:00:00\""
    );
    assert_eq!(
        configured(&format!("{day}\nLogoutTime=18:00:00")).unwrap_err(),
        "s.cfg:9: LogoutTime: expected a time within the session window \
         (StartTime to EndTime, StartDay to EndDay), got \"18:00:00\""
    );
    let week = "StartTime=08:00:00\nEndTime=17:00:00\nStartDay=Mon\nEndDay=Fri";
    assert_eq!(
        configured(&format!("{week}\nLogonDay=Sat\nLogoutDay=Fri")).unwrap_err(),
        "s.cfg:11: LogonDay: expected a time within the session window \
         (StartTime to EndTime, StartDay to EndDay), got \"Sat\""
    );
    assert_eq!(
        configured(&format!("{day}\nLogonDay=Mon")).unwrap_err(),
        "s.cfg:1: LogoutDay is required when LogonDay is set"
    );
    // Ends included, as QuickFIX C++'s check.
    assert!(configured(&format!("{day}\nLogonTime=08:00:00\nLogoutTime=17:00:00")).is_ok());
}

#[test]
fn non_stop_session_with_a_logon_window_never_resets() {
    let s = configured(
        "NonStopSession=Y\nLogonTime=08:00:00\nLogoutTime=17:00:00\nTimeZone=Europe/London",
    )
    .unwrap();
    assert!(s.is_non_stop() && !s.is_always_open());
    // BST = UTC+1.
    assert!(!s.is_in_session(at("2026-06-10T06:30:00Z")));
    assert!(s.is_in_session(at("2026-06-10T07:00:00Z")));
    assert_eq!(
        s.next_close(at("2026-06-10T12:00:00Z")),
        Some(at("2026-06-10T16:00:00Z"))
    );
    assert!(s.same_period(at("2026-01-01T00:00:00Z"), at("2026-06-10T12:00:00Z")));
    let always = configured("NonStopSession=Y").unwrap();
    assert!(always.is_always_open());
    assert_eq!(always.next_open(at("2026-06-10T12:00:00Z")), None);
    assert_eq!(always.next_close(at("2026-06-10T12:00:00Z")), None);
}

#[test]
fn use_local_time_conflicts_with_a_named_zone() {
    assert_eq!(
        configured("StartTime=08:00:00\nEndTime=17:00:00\nUseLocalTime=Y\nTimeZone=Asia/Tokyo")
            .unwrap_err(),
        "s.cfg:9: UseLocalTime: expected N when TimeZone (or a zone after a time) names the zone, got \"Y\""
    );
    let s = configured("StartTime=08:00:00\nEndTime=17:00:00\nUseLocalTime=Y").unwrap();
    assert!(s.uses_local_time());
    let utc = configured("StartTime=08:00:00\nEndTime=17:00:00\nUseLocalTime=N").unwrap();
    assert!(!utc.uses_local_time());
    assert_eq!(utc.time_zone(), &TimeZone::UTC);
}

/// With a logon window, `next_transition` is where the answer changes or a
/// new period begins, and `next_open`/`next_close` agree with it.
#[test]
fn transitions_of_two_windows() {
    let schedules = [
        configured("StartTime=00:00:00\nEndTime=00:00:00\nLogonTime=08:00:00\nLogoutTime=17:00:00")
            .unwrap(),
        configured(
            "StartTime=17:00:00\nEndTime=17:00:00\nStartDay=Sun\nEndDay=Fri\n\
             TimeZone=America/New_York\nLogonTime=07:00:00\nLogoutTime=16:00:00\n\
             LogonDay=Mon\nLogoutDay=Fri",
        )
        .unwrap(),
        configured("StartTime=22:00:00\nEndTime=06:00:00\nWeekdays=Su,Tu,Th\nLogonTime=23:00:00")
            .unwrap(),
        configured(
            "NonStopSession=Y\nLogonTime=08:00:00\nLogoutTime=17:00:00\nTimeZone=Europe/Paris",
        )
        .unwrap(),
    ];
    let mut rng = SplitMix64::new(11);
    let base = at("2026-01-01T00:00:00Z").as_nanos();
    let year = 366 * 86_400 * 1_000_000_000_i64;
    for s in &schedules {
        for _ in 0..300 {
            let offset = i64::try_from(rng.next_u64() % year.unsigned_abs()).unwrap();
            let now = UtcTimestamp::from_nanos(base + offset);
            let next = s.next_transition(now).unwrap();
            assert!(next > now, "{s:?} {now:?}");
            let before = UtcTimestamp::from_nanos(next.as_nanos() - 1);
            let up = s.is_in_session(now);
            assert_eq!(s.is_in_session(before), up, "{s:?} {now:?}");
            if up {
                assert_eq!(s.next_close(now), Some(next));
                assert!(
                    !s.is_in_session(next) || s.current_period(next) != s.current_period(now),
                    "{s:?} {now:?}"
                );
                assert!(s.next_open(now).unwrap() >= next);
            } else {
                assert!(s.is_in_session(next), "{s:?} {now:?}");
                assert_eq!(s.next_open(now), Some(next));
                assert!(s.next_close(now).unwrap() > next);
            }
        }
    }
}
