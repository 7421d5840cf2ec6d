//! The schedule keys of one session -> [`Schedule`]: the session window
//! (`StartTime`/`EndTime`, `StartDay`/`EndDay` or QuickFIX/J's `Weekdays`,
//! `NonStopSession`), the zone (`TimeZone` or a zone after a time, as
//! QuickFIX/J; `UseLocalTime`, as QuickFIX C++) and QuickFIX C++'s logon
//! window (`LogonTime`/`LogoutTime`/`LogonDay`/`LogoutDay`).

use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;

use super::build::Reader;
use super::error::{ConfigError, ErrorKind};
use super::schedule::Schedule;
use super::value::{self, Expected};

type Timed = Option<(Time, Option<TimeZone>)>;

/// An error about `key` at its line (or the section's, if unset).
fn key_error(r: &Reader<'_>, key: &str, expected: Expected) -> ConfigError {
    match r.section.get(key) {
        Some(e) => ConfigError {
            location: r.location(e.line),
            key: Some(e.spelled.clone()),
            kind: ErrorKind::BadValue {
                expected,
                got: e.value.clone(),
            },
        },
        None => ConfigError {
            location: r.location(r.section.line),
            key: Some(key.to_owned()),
            kind: ErrorKind::BadValue {
                expected,
                got: String::new(),
            },
        },
    }
}

pub(super) fn schedule(r: &Reader<'_>) -> Result<Schedule, ConfigError> {
    let non_stop = r.get("NonStopSession", value::boolean)? == Some(true);
    let local = r.get("UseLocalTime", value::boolean)? == Some(true);
    const WHY: &str = "unless NonStopSession=Y";
    let (start, end): (Timed, Timed) = if non_stop {
        (None, None)
    } else {
        (
            Some(r.require("StartTime", WHY, value::time_and_zone)?),
            Some(r.require("EndTime", WHY, value::time_and_zone)?),
        )
    };
    let logon = r.get("LogonTime", value::time_and_zone)?;
    let logout = r.get("LogoutTime", value::time_and_zone)?;
    let tz = zone(r, local, [&start, &end, &logon, &logout])?;
    let time = |t: &Timed| t.as_ref().map(|(t, _)| *t);
    let mut s = match (time(&start), time(&end)) {
        (Some(start), Some(end)) => session_window(r, start, end, tz)?,
        _ => Schedule::non_stop().in_zone(tz),
    };
    if local {
        s = s.marked_local();
    }
    logon_window(
        r,
        s,
        [time(&start), time(&end), time(&logon), time(&logout)],
    )
}

/// `TimeZone`, a zone named after a time, or the host's zone with
/// `UseLocalTime=Y`; UTC otherwise. Zones must agree.
fn zone(r: &Reader<'_>, local: bool, times: [&Timed; 4]) -> Result<TimeZone, ConfigError> {
    let given = r.get("TimeZone", value::time_zone)?;
    let inline = times
        .into_iter()
        .filter_map(|t| t.as_ref().and_then(|(_, z)| z.clone()));
    let mut named = given.into_iter().chain(inline);
    let first = named.next();
    if let Some(tz) = &first {
        if named.any(|other| &other != tz) {
            return Err(ConfigError {
                location: r.location(r.section.line),
                key: None,
                kind: ErrorKind::BadValue {
                    expected:
                        "one time zone for TimeZone, StartTime, EndTime, LogonTime and LogoutTime",
                    got: [
                        "TimeZone",
                        "StartTime",
                        "EndTime",
                        "LogonTime",
                        "LogoutTime",
                    ]
                    .iter()
                    .filter_map(|k| r.section.get(k).map(|e| format!("{k}={}", e.value)))
                    .collect::<Vec<_>>()
                    .join(", "),
                },
            });
        }
    }
    match (local, first) {
        (false, tz) => Ok(tz.unwrap_or(TimeZone::UTC)),
        (true, Some(_)) => Err(key_error(
            r,
            "UseLocalTime",
            "N when TimeZone (or a zone after a time) names the zone",
        )),
        (true, None) => host_time_zone().ok_or_else(|| {
            key_error(
                r,
                "UseLocalTime",
                "N: the host's time zone cannot be determined (set TimeZone)",
            )
        }),
    }
}

/// The host's zone: `TZ` (a zone name, looked up in the bundled
/// database, or a POSIX rule), else `/etc/localtime`. When that links into
/// a zoneinfo directory that is not installed, the link's name is looked up
/// in the bundled database.
pub fn host_time_zone() -> Option<TimeZone> {
    if let Some(tz) = std::env::var("TZ").ok().filter(|v| !v.is_empty()) {
        let name = tz.strip_prefix(':').unwrap_or(&tz);
        return TimeZone::get(name).or_else(|_| TimeZone::posix(name)).ok();
    }
    if let Ok(tz) = TimeZone::try_system() {
        return Some(tz);
    }
    let link = std::fs::read_link("/etc/localtime").ok()?;
    let link = link.to_str()?;
    let name = &link[link.find("zoneinfo/")? + "zoneinfo/".len()..];
    TimeZone::get(name).ok()
}

fn session_window(
    r: &Reader<'_>,
    start: Time,
    end: Time,
    tz: TimeZone,
) -> Result<Schedule, ConfigError> {
    let start_day = r.get("StartDay", value::weekday)?;
    let end_day = r.get("EndDay", value::weekday)?;
    if let Some(days) = r.get("Weekdays", value::weekdays)? {
        if start_day.is_some() || end_day.is_some() {
            return Err(key_error(
                r,
                "Weekdays",
                "no StartDay or EndDay with Weekdays (set one or the other)",
            ));
        }
        return Ok(Schedule::weekdays(&days, start, end, tz));
    }
    match (start_day, end_day) {
        (None, None) => Ok(Schedule::daily(start, end, tz)),
        (Some(sd), Some(ed)) => Ok(Schedule::weekly(sd, start, ed, end, tz)),
        (Some(_), None) => Err(r.missing("EndDay", "when StartDay is set")),
        (None, Some(_)) => Err(r.missing("StartDay", "when EndDay is set")),
    }
}

/// QuickFIX C++'s logon window. Unset parts default to the session
/// window's: LogonTime to StartTime, LogoutTime to EndTime, LogonDay to
/// StartDay, LogoutDay to EndDay (00:00:00 for a non-stop session). Both
/// ends must lie within the session window.
fn logon_window(
    r: &Reader<'_>,
    s: Schedule,
    [start, end, logon, logout]: [Option<Time>; 4],
) -> Result<Schedule, ConfigError> {
    let logon_day = r.get("LogonDay", value::weekday)?;
    let logout_day = r.get("LogoutDay", value::weekday)?;
    if logon.is_none() && logout.is_none() && logon_day.is_none() && logout_day.is_none() {
        return Ok(s);
    }
    let midnight = Time::midnight();
    let logon_time = logon.or(start).unwrap_or(midnight);
    let logout_time = logout.or(end).unwrap_or(midnight);
    let (start_day, end_day) = if s.is_non_stop() || r.section.get("Weekdays").is_some() {
        (None, None)
    } else {
        (
            r.get("StartDay", value::weekday)?,
            r.get("EndDay", value::weekday)?,
        )
    };
    let days: Option<(Weekday, Weekday)> = match (logon_day.or(start_day), logout_day.or(end_day)) {
        (None, None) => None,
        (Some(a), Some(b)) => Some((a, b)),
        (Some(_), None) => return Err(r.missing("LogoutDay", "when LogonDay is set")),
        (None, Some(_)) => return Err(r.missing("LogonDay", "when LogoutDay is set")),
    };
    let within = "a time within the session window (StartTime to EndTime, StartDay to EndDay)";
    if !s.session_window_has(logon_time, days.map(|d| d.0)) {
        let key = if logon.is_some() {
            "LogonTime"
        } else {
            "LogonDay"
        };
        return Err(key_error(r, key, within));
    }
    if !s.session_window_has(logout_time, days.map(|d| d.1)) {
        let key = if logout.is_some() {
            "LogoutTime"
        } else {
            "LogoutDay"
        };
        return Err(key_error(r, key, within));
    }
    Ok(s.with_logon_window(logon_time, logout_time, days))
}
