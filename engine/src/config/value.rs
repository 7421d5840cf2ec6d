//! Value syntax of individual keys. Each parser returns what it expected
//! on failure; the caller adds file, line and key.

use std::time::Duration;

use jiff::civil::{Time, Weekday};
use jiff::tz::TimeZone;

use super::session_id::BEGIN_STRINGS;
use super::settings::{ApplVerId, HostPort, ReactorMode, Role};
use crate::store::{FileMode, FsyncPolicy};
use ringfix_codec::TimePrecision;

/// What a parser expected, for `expected ..., got ...` messages.
pub(crate) type Expected = &'static str;

/// `Y` or `N` (either case), as QuickFIX.
pub(crate) fn boolean(v: &str) -> Result<bool, Expected> {
    match v {
        "Y" | "y" => Ok(true),
        "N" | "n" => Ok(false),
        _ => Err("Y or N"),
    }
}

/// Plain decimal digits, no sign.
fn digits<T: std::str::FromStr>(v: &str) -> Option<T> {
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse().ok()
}

/// An integer >= 1.
pub(crate) fn positive(v: &str) -> Result<u64, Expected> {
    match digits::<u64>(v) {
        Some(n) if n > 0 => Ok(n),
        _ => Err("a positive integer"),
    }
}

/// An integer >= 0.
pub(crate) fn non_negative(v: &str) -> Result<u64, Expected> {
    digits(v).ok_or("a non-negative integer")
}

/// A positive integer number of seconds.
pub(crate) fn seconds(v: &str) -> Result<Duration, Expected> {
    positive(v).map(Duration::from_secs)
}

/// A positive integer number of milliseconds.
pub(crate) fn millis(v: &str) -> Result<Duration, Expected> {
    digits(v)
        .filter(|&n: &u64| n > 0)
        .map(Duration::from_millis)
        .ok_or("a positive number of milliseconds")
}

/// A TCP port, 0..=65535 (`allow_zero` for acceptors binding any port).
pub(crate) fn port(v: &str, allow_zero: bool) -> Result<u16, Expected> {
    match digits::<u16>(v) {
        Some(0) if !allow_zero => Err("a port number 1-65535"),
        Some(p) => Ok(p),
        None if allow_zero => Err("a port number 0-65535"),
        None => Err("a port number 1-65535"),
    }
}

/// `HOST:PORT` (an IPv6 host in brackets: `[::1]:9100`); port 0 binds
/// any free port.
pub(crate) fn host_port(v: &str) -> Result<HostPort, Expected> {
    const WHAT: Expected = "HOST:PORT, e.g. 127.0.0.1:9100";
    let (host, port) = v.rsplit_once(':').ok_or(WHAT)?;
    let host = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host);
    if host.is_empty() || host.contains(['[', ']']) {
        return Err(WHAT);
    }
    let port = digits::<u16>(port).ok_or(WHAT)?;
    Ok(HostPort {
        host: host.to_owned(),
        port,
    })
}

/// `HH:MM:SS`.
pub(crate) fn time_of_day(v: &str) -> Result<Time, Expected> {
    const EXPECTED: Expected = "a time HH:MM:SS";
    let mut parts = v.split(':');
    let mut next = |max: i8| -> Result<i8, Expected> {
        let p = parts.next().ok_or(EXPECTED)?;
        if p.len() != 2 {
            return Err(EXPECTED);
        }
        match digits::<i8>(p) {
            Some(n) if n <= max => Ok(n),
            _ => Err(EXPECTED),
        }
    };
    let (h, m, s) = (next(23)?, next(59)?, next(59)?);
    if parts.next().is_some() {
        return Err(EXPECTED);
    }
    Time::new(h, m, s, 0).map_err(|_| EXPECTED)
}

/// `HH:MM:SS`, optionally followed by a time zone name as QuickFIX/J
/// allows (`09:00:00 America/New_York`).
pub(crate) fn time_and_zone(v: &str) -> Result<(Time, Option<TimeZone>), Expected> {
    match v.split_once(char::is_whitespace) {
        None => time_of_day(v).map(|t| (t, None)),
        Some((t, zone)) => {
            const EXPECTED: Expected = "a time HH:MM:SS, optionally followed by a time zone";
            let t = time_of_day(t).map_err(|_| EXPECTED)?;
            let zone = time_zone(zone.trim()).map_err(|_| EXPECTED)?;
            Ok((t, Some(zone)))
        }
    }
}

const DAYS: &[(Weekday, &str)] = &[
    (Weekday::Sunday, "sunday"),
    (Weekday::Monday, "monday"),
    (Weekday::Tuesday, "tuesday"),
    (Weekday::Wednesday, "wednesday"),
    (Weekday::Thursday, "thursday"),
    (Weekday::Friday, "friday"),
    (Weekday::Saturday, "saturday"),
];

/// A day name in English or any abbreviation of at least the two letters
/// QuickFIX C++ looks at (`mo`, `mon`, `mond`, `monday`), any case.
pub(crate) fn weekday(v: &str) -> Result<Weekday, Expected> {
    let lower = v.to_ascii_lowercase();
    DAYS.iter()
        .find(|(_, name)| lower.len() >= 2 && name.starts_with(&lower))
        .map(|(d, _)| *d)
        .ok_or("a day name (Sunday, Mon, tu, ...)")
}

/// QuickFIX/J's `Weekdays`: day names separated by commas, at least one,
/// none twice.
pub(crate) fn weekdays(v: &str) -> Result<Vec<Weekday>, Expected> {
    const EXPECTED: Expected = "day names separated by commas (Mon,Tue,Wed)";
    let mut days = Vec::new();
    for part in v.split(',') {
        let day = weekday(part.trim()).map_err(|_| EXPECTED)?;
        if days.contains(&day) {
            return Err("day names separated by commas, each day once");
        }
        days.push(day);
    }
    Ok(days)
}

/// An IANA time zone name, from the bundled database.
pub(crate) fn time_zone(v: &str) -> Result<TimeZone, Expected> {
    TimeZone::get(v).map_err(|_| "an IANA time zone name such as America/New_York")
}

/// `initiator` or `acceptor`.
pub(crate) fn role(v: &str) -> Result<Role, Expected> {
    if v.eq_ignore_ascii_case("initiator") {
        Ok(Role::Initiator)
    } else if v.eq_ignore_ascii_case("acceptor") {
        Ok(Role::Acceptor)
    } else {
        Err("initiator or acceptor")
    }
}

/// One of [`BEGIN_STRINGS`].
pub(crate) fn begin_string(v: &str) -> Result<String, Expected> {
    if BEGIN_STRINGS.contains(&v) {
        Ok(v.to_owned())
    } else {
        Err("FIX.4.0, FIX.4.1, FIX.4.2, FIX.4.3, FIX.4.4 or FIXT.1.1")
    }
}

/// `FIX.5.0SP2` or `9` style.
pub(crate) fn appl_ver_id(v: &str) -> Result<ApplVerId, Expected> {
    ApplVerId::parse(v).ok_or("an ApplVerID such as FIX.5.0SP2 or 9")
}

/// 0, 3, 6 or 9.
pub(crate) fn timestamp_precision(v: &str) -> Result<TimePrecision, Expected> {
    match v {
        "0" => Ok(TimePrecision::Seconds),
        "3" => Ok(TimePrecision::Millis),
        "6" => Ok(TimePrecision::Micros),
        "9" => Ok(TimePrecision::Nanos),
        _ => Err("0, 3, 6 or 9"),
    }
}

/// `spin` or `block`.
pub(crate) fn reactor_mode(v: &str) -> Result<ReactorMode, Expected> {
    match v {
        "spin" => Ok(ReactorMode::Spin),
        "block" => Ok(ReactorMode::Block),
        _ => Err("spin or block"),
    }
}

/// `never`, `always` or `<N>ms`.
pub(crate) fn store_fsync(v: &str) -> Result<FsyncPolicy, Expected> {
    v.parse().map_err(|_| "never, always or <N>ms")
}

/// Smallest `StoreSegmentSize`: 64 KiB.
pub(crate) const MIN_SEGMENT_BYTES: u64 = 64 << 10;
/// Largest `StoreSegmentSize`: 1 GiB (a segment is fallocated whole).
pub(crate) const MAX_SEGMENT_BYTES: u64 = 1 << 30;

/// A byte count: decimal digits with an optional `K`, `M` or `G` suffix
/// (either case; binary multiples, so `16M` is 16 MiB).
pub(crate) fn byte_size(v: &str) -> Option<u64> {
    let (digits_part, shift) = match v.as_bytes().last() {
        Some(b'k' | b'K') => (&v[..v.len() - 1], 10),
        Some(b'm' | b'M') => (&v[..v.len() - 1], 20),
        Some(b'g' | b'G') => (&v[..v.len() - 1], 30),
        _ => (v, 0),
    };
    let n: u64 = digits(digits_part)?;
    n.checked_mul(1 << shift)
}

/// `StoreSegmentSize`: a byte count from 64K to 1G.
pub(crate) fn segment_size(v: &str) -> Result<u64, Expected> {
    byte_size(v)
        .filter(|n| (MIN_SEGMENT_BYTES..=MAX_SEGMENT_BYTES).contains(n))
        .ok_or("a size from 64K to 1G: bytes, or a number with a K, M or G suffix")
}

/// `FilePermissions`: an octal mode such as `0600` or `0640`, giving the
/// owner read and write, with no bits beyond `0777`.
pub(crate) fn file_permissions(v: &str) -> Result<FileMode, Expected> {
    const EXPECTED: Expected =
        "an octal mode such as 0600 or 0640 (owner read and write, nothing above 0777)";
    if v.is_empty() || v.len() > 4 || !v.bytes().all(|b| (b'0'..=b'7').contains(&b)) {
        return Err(EXPECTED);
    }
    u32::from_str_radix(v, 8)
        .ok()
        .and_then(FileMode::new)
        .ok_or(EXPECTED)
}

/// `CertificateVerifyLevel`: 0-3.
pub(crate) fn verify_level(v: &str) -> Result<u8, Expected> {
    match digits::<u8>(v) {
        Some(n) if n <= 3 => Ok(n),
        _ => Err("a verify level 0-3"),
    }
}

/// A non-empty string.
pub(crate) fn text(v: &str) -> Result<String, Expected> {
    if v.is_empty() {
        Err("a non-empty value")
    } else {
        Ok(v.to_owned())
    }
}

/// A buffer size in bytes; 0 means the system default (`None`).
pub(crate) fn buffer_size(v: &str) -> Result<Option<usize>, Expected> {
    let n = digits::<usize>(v).ok_or("a size in bytes (0: the system default)")?;
    Ok((n > 0).then_some(n))
}

/// `SocketLinger` as QuickFIX/J: whole seconds, negative for off (`None`);
/// above 65535 is 65535.
pub(crate) fn linger(v: &str) -> Result<Option<Duration>, Expected> {
    const EXPECTED: Expected = "whole seconds, or -1 for off";
    match v.strip_prefix('-') {
        Some(rest) => digits::<u64>(rest).map(|_| None).ok_or(EXPECTED),
        None => digits::<u64>(v)
            .map(|n| Some(Duration::from_secs(n.min(65_535))))
            .ok_or(EXPECTED),
    }
}

/// `SocketTrafficClass` as QuickFIX/J: 0-255 (decimal, or hex with
/// `0x`), or `IPTOS_*` names joined by `|` or `,`.
pub(crate) fn traffic_class(v: &str) -> Result<u8, Expected> {
    const EXPECTED: Expected =
        "0-255, or IPTOS_LOWCOST, IPTOS_RELIABILITY, IPTOS_THROUGHPUT, IPTOS_LOWDELAY joined by |";
    if let Some(hex) = v.strip_prefix("0x").or_else(|| v.strip_prefix("0X")) {
        return u8::from_str_radix(hex, 16).map_err(|_| EXPECTED);
    }
    if let Some(n) = digits::<u8>(v) {
        return Ok(n);
    }
    let mut bits = 0u8;
    for name in v.split(['|', ',']).map(str::trim) {
        bits |= match name {
            "IPTOS_LOWCOST" => 0x02,
            "IPTOS_RELIABILITY" => 0x04,
            "IPTOS_THROUGHPUT" => 0x08,
            "IPTOS_LOWDELAY" => 0x10,
            _ => return Err(EXPECTED),
        };
    }
    Ok(bits)
}

/// A comma-separated list of non-empty items (spaces around them dropped).
pub(crate) fn list(v: &str) -> Result<Vec<String>, Expected> {
    let items: Vec<String> = v.split(',').map(|i| i.trim().to_owned()).collect();
    if items.iter().any(String::is_empty) {
        return Err("a comma-separated list without empty items");
    }
    Ok(items)
}

/// A multiplier as QuickFIX/J writes it (`1.4`, `0.5`, `2`): at most three
/// decimals, 0 to 100; in thousandths.
pub(crate) fn multiplier(v: &str) -> Result<u32, Expected> {
    const EXPECTED: Expected = "a decimal from 0 to 100 with at most 3 decimals (e.g. 1.4)";
    let (whole, frac) = v.split_once('.').unwrap_or((v, ""));
    let whole = digits::<u32>(whole).ok_or(EXPECTED)?;
    if frac.len() > 3 || (!frac.is_empty() && digits::<u32>(frac).is_none()) {
        return Err(EXPECTED);
    }
    let frac = format!("{frac:0<3}").parse::<u32>().map_err(|_| EXPECTED)?;
    let m = whole
        .checked_mul(1000)
        .and_then(|w| w.checked_add(frac))
        .ok_or(EXPECTED)?;
    if m > 100_000 {
        return Err(EXPECTED);
    }
    Ok(m)
}

/// A `LogonTag` value as QuickFIX/J: `tag=value` (a positive tag number,
/// a value without SOH).
pub(crate) fn logon_tag(v: &str) -> Result<(u32, String), Expected> {
    const EXPECTED: Expected = "tag=value (e.g. 553=user)";
    let (tag, value) = v.split_once('=').ok_or(EXPECTED)?;
    let tag = digits::<u32>(tag.trim())
        .filter(|t| *t > 0)
        .ok_or(EXPECTED)?;
    if value.is_empty() || value.contains('\x01') {
        return Err(EXPECTED);
    }
    Ok((tag, value.to_owned()))
}
