//! `UtcTimestamp`: nanoseconds since the Unix epoch (UTC), the one clock of
//! the engine, with FIX `UTCTimestamp` formatting and parsing.

use crate::error::ValueError;
use crate::itoa::write_fixed;
use crate::out::Out;
use std::fmt;

const NANOS_PER_SEC: i64 = 1_000_000_000;
const SECS_PER_DAY: i64 = 86_400;

/// Nanoseconds since 1970-01-01T00:00:00Z.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcTimestamp(i64);

/// Sub-second digits written by the formatter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum TimePrecision {
    /// `YYYYMMDD-HH:MM:SS`
    Seconds,
    /// `YYYYMMDD-HH:MM:SS.sss`
    #[default]
    Millis,
    /// `YYYYMMDD-HH:MM:SS.ssssss`
    Micros,
    /// `YYYYMMDD-HH:MM:SS.sssssssss`
    Nanos,
}

impl TimePrecision {
    /// Length of the formatted timestamp.
    pub const fn len(self) -> usize {
        match self {
            TimePrecision::Seconds => 17,
            TimePrecision::Millis => 21,
            TimePrecision::Micros => 24,
            TimePrecision::Nanos => 27,
        }
    }
    /// Always false: a formatted timestamp is never empty.
    pub const fn is_empty(self) -> bool {
        false
    }
}

/// Longest formatted timestamp (nanosecond precision).
pub const MAX_TIMESTAMP_LEN: usize = 27;

/// A calendar breakdown of a timestamp (proleptic Gregorian, UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// Year (e.g. 2026).
    pub year: i32,
    /// Month 1..=12.
    pub month: u8,
    /// Day of month 1..=31.
    pub day: u8,
    /// Hour 0..=23.
    pub hour: u8,
    /// Minute 0..=59.
    pub minute: u8,
    /// Second 0..=60 (60 only when parsed from a leap second).
    pub second: u8,
    /// Nanoseconds 0..=999_999_999.
    pub nanos: u32,
}

/// Days since the epoch of a civil date (H. Hinnant's algorithm).
const fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp as i64 + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// Civil date of a day count since the epoch.
const fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

impl UtcTimestamp {
    /// The Unix epoch.
    pub const EPOCH: UtcTimestamp = UtcTimestamp(0);

    /// From nanoseconds since the epoch.
    pub const fn from_nanos(nanos: i64) -> Self {
        UtcTimestamp(nanos)
    }
    /// From whole seconds since the epoch (saturating).
    pub const fn from_secs(secs: i64) -> Self {
        UtcTimestamp(secs.saturating_mul(NANOS_PER_SEC))
    }
    /// From milliseconds since the epoch (saturating).
    pub const fn from_millis(millis: i64) -> Self {
        UtcTimestamp(millis.saturating_mul(1_000_000))
    }
    /// From microseconds since the epoch (saturating).
    pub const fn from_micros(micros: i64) -> Self {
        UtcTimestamp(micros.saturating_mul(1_000))
    }
    /// Nanoseconds since the epoch.
    pub const fn as_nanos(self) -> i64 {
        self.0
    }
    /// Whole seconds since the epoch (rounded down).
    pub const fn as_secs(self) -> i64 {
        self.0.div_euclid(NANOS_PER_SEC)
    }
    /// Milliseconds since the epoch (rounded down).
    pub const fn as_millis(self) -> i64 {
        self.0.div_euclid(1_000_000)
    }
    /// The current wall-clock time (for runtimes and tools; the session layer
    /// never calls this, it is handed `now`).
    pub fn now() -> Self {
        match std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
            Ok(d) => UtcTimestamp(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX)),
            Err(e) => UtcTimestamp(i64::try_from(e.duration().as_nanos()).map_or(i64::MIN, |n| -n)),
        }
    }
    /// `self + nanos`, saturating.
    pub const fn plus_nanos(self, nanos: i64) -> Self {
        UtcTimestamp(self.0.saturating_add(nanos))
    }
    /// `self + secs` seconds, saturating.
    pub const fn plus_secs(self, secs: i64) -> Self {
        self.plus_nanos(secs.saturating_mul(NANOS_PER_SEC))
    }
    /// `self - earlier` in nanoseconds, saturating.
    pub const fn nanos_since(self, earlier: UtcTimestamp) -> i64 {
        self.0.saturating_sub(earlier.0)
    }
    /// Days since the epoch (rounded down).
    pub const fn day(self) -> i64 {
        self.0.div_euclid(NANOS_PER_SEC * SECS_PER_DAY)
    }

    /// Build from a calendar date and time; `None` if a part is out of range
    /// or the instant does not fit in `i64` nanoseconds (about 1678..2262).
    pub fn from_civil(c: Civil) -> Option<Self> {
        let days_in_month = match c.month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if c.year % 4 == 0 && (c.year % 100 != 0 || c.year % 400 == 0) => 29,
            2 => 28,
            _ => return None,
        };
        if c.day == 0 || c.day > days_in_month || c.hour > 23 || c.minute > 59 || c.second > 60 {
            return None;
        }
        if c.nanos >= 1_000_000_000 {
            return None;
        }
        let days = days_from_civil(i64::from(c.year), u32::from(c.month), u32::from(c.day));
        let secs = days * SECS_PER_DAY
            + i64::from(c.hour) * 3600
            + i64::from(c.minute) * 60
            + i64::from(c.second);
        secs.checked_mul(NANOS_PER_SEC)?
            .checked_add(i64::from(c.nanos))
            .map(UtcTimestamp)
    }

    /// Calendar breakdown.
    pub fn to_civil(self) -> Civil {
        let secs = self.0.div_euclid(NANOS_PER_SEC);
        let nanos = self.0.rem_euclid(NANOS_PER_SEC) as u32;
        let days = secs.div_euclid(SECS_PER_DAY);
        let sod = secs.rem_euclid(SECS_PER_DAY) as u32;
        let (y, m, d) = civil_from_days(days);
        Civil {
            year: y as i32,
            month: m as u8,
            day: d as u8,
            hour: (sod / 3600) as u8,
            minute: (sod / 60 % 60) as u8,
            second: (sod % 60) as u8,
            nanos,
        }
    }

    /// Parse `YYYYMMDD-HH:MM:SS` with an optional fraction of 3, 6, 9 or 12
    /// digits (picoseconds are truncated to nanoseconds).
    pub fn parse(v: &[u8]) -> Result<Self, ValueError> {
        if v.is_empty() {
            return Err(ValueError::Empty);
        }
        let Some(head) = v.get(..17) else {
            return Err(ValueError::Format);
        };
        if head[8] != b'-' || head[11] != b':' || head[14] != b':' {
            return Err(ValueError::Format);
        }
        let year = digits(&head[0..4])?;
        let month = digits(&head[4..6])?;
        let day = digits(&head[6..8])?;
        let hour = digits(&head[9..11])?;
        let minute = digits(&head[12..14])?;
        let second = digits(&head[15..17])?;
        let nanos = match v.get(17..) {
            Some([]) | None => 0,
            Some([b'.', frac @ ..]) => match frac.len() {
                3 => digits(frac)? * 1_000_000,
                6 => digits(frac)? * 1_000,
                9 => digits(frac)?,
                12 => {
                    let (ns, ps) = frac.split_at(9);
                    digits(ps)?;
                    digits(ns)?
                }
                _ => return Err(ValueError::Format),
            },
            Some(_) => return Err(ValueError::Format),
        };
        UtcTimestamp::from_civil(Civil {
            year: year as i32,
            month: month as u8,
            day: day as u8,
            hour: hour as u8,
            minute: minute as u8,
            second: second as u8,
            nanos,
        })
        .ok_or(ValueError::Overflow)
    }

    /// Write the FIX form into `out` (at least [`MAX_TIMESTAMP_LEN`] bytes);
    /// returns the length written.
    pub fn write(self, precision: TimePrecision, out: &mut [u8; MAX_TIMESTAMP_LEN]) -> usize {
        let c = self.to_civil();
        write_date(out, c.year, c.month, c.day);
        write_time(out, self, precision)
    }

    /// Append the FIX form to `out`.
    pub fn push(self, precision: TimePrecision, out: &mut Vec<u8>) {
        let mut buf = [0u8; MAX_TIMESTAMP_LEN];
        let n = self.write(precision, &mut buf);
        out.extend_from_slice(&buf[..n]);
    }
}

/// Value of 1..=9 ASCII digits.
#[inline]
fn digits(d: &[u8]) -> Result<u32, ValueError> {
    d.iter().try_fold(0u32, |acc, &b| {
        let x = b.wrapping_sub(b'0');
        if x > 9 {
            Err(ValueError::Format)
        } else {
            Ok(acc * 10 + u32::from(x))
        }
    })
}

/// `YYYYMMDD-` into `out[..9]` (years outside 0..=9999 are clamped).
fn write_date(out: &mut [u8; MAX_TIMESTAMP_LEN], year: i32, month: u8, day: u8) {
    write_fixed::<4>(&mut out[0..4], year.clamp(0, 9999) as u32);
    write_fixed::<2>(&mut out[4..6], u32::from(month));
    write_fixed::<2>(&mut out[6..8], u32::from(day));
    out[8] = b'-';
}

/// `HH:MM:SS[.fff]` into `out[9..]`; returns the total length.
#[inline]
fn write_time(
    out: &mut [u8; MAX_TIMESTAMP_LEN],
    ts: UtcTimestamp,
    precision: TimePrecision,
) -> usize {
    let secs = ts.0.div_euclid(NANOS_PER_SEC);
    let nanos = ts.0.rem_euclid(NANOS_PER_SEC) as u32;
    let sod = secs.rem_euclid(SECS_PER_DAY) as u32;
    write_fixed::<2>(&mut out[9..11], sod / 3600);
    out[11] = b':';
    write_fixed::<2>(&mut out[12..14], sod / 60 % 60);
    out[14] = b':';
    write_fixed::<2>(&mut out[15..17], sod % 60);
    match precision {
        TimePrecision::Seconds => {}
        TimePrecision::Millis => {
            out[17] = b'.';
            write_fixed::<3>(&mut out[18..21], nanos / 1_000_000);
        }
        TimePrecision::Micros => {
            out[17] = b'.';
            write_fixed::<6>(&mut out[18..24], nanos / 1_000);
        }
        TimePrecision::Nanos => {
            out[17] = b'.';
            write_fixed::<9>(&mut out[18..27], nanos);
        }
    }
    precision.len()
}

/// Formats timestamps, reusing the `YYYYMMDD-` prefix while the day does not
/// change, and in an encoder `YYYYMMDD-HH:MM:SS` while the second does not
/// (the caller keeps one per thread/session).
#[derive(Debug, Clone)]
pub struct TimestampFormatter {
    day: i64,
    buf: [u8; MAX_TIMESTAMP_LEN],
    /// The second (since the epoch) the next three hold, for [`Self::put`].
    second: i64,
    /// `YYYYMMDD` of `second`, little-endian.
    date_word: u64,
    /// `-HH:MM:S` of `second`, little-endian.
    time_word: u64,
    /// The last digit of `second`.
    last_digit: u8,
}

impl Default for TimestampFormatter {
    fn default() -> Self {
        Self::new()
    }
}

impl TimestampFormatter {
    /// A formatter with an empty cache.
    pub const fn new() -> Self {
        TimestampFormatter {
            day: i64::MIN,
            buf: [0; MAX_TIMESTAMP_LEN],
            // No timestamp's second: they are within +-2^63 ns of the epoch.
            second: i64::MIN,
            date_word: 0,
            time_word: 0,
            last_digit: 0,
        }
    }

    /// The FIX form of `ts`, valid until the next call.
    #[inline]
    pub fn format(&mut self, ts: UtcTimestamp, precision: TimePrecision) -> &[u8] {
        self.cache_date(ts);
        let n = write_time(&mut self.buf, ts, precision);
        &self.buf[..n]
    }

    /// Puts `ts`'s date (`YYYYMMDD-`) at the start of `buf` unless it is
    /// already there.
    #[inline(always)]
    fn cache_date(&mut self, ts: UtcTimestamp) {
        let day = ts.day();
        if day != self.day {
            let c = ts.to_civil();
            write_date(&mut self.buf, c.year, c.month, c.day);
            self.day = day;
        }
    }

    /// [`Self::format`] appended through an encoder's cursor: at second and
    /// millisecond precision from words cached for `ts`'s second and the
    /// milliseconds built in a register (word stores, not a copy that loads
    /// bytes stored just before: a wide load over narrow in-flight stores
    /// waits for them to retire).
    ///
    /// # Safety
    /// [`MAX_TIMESTAMP_LEN`] bytes of room in `o`.
    #[inline(always)]
    pub(crate) unsafe fn put(
        &mut self,
        ts: UtcTimestamp,
        precision: TimePrecision,
        o: &mut Out<'_>,
    ) {
        let millis = match precision {
            TimePrecision::Seconds => false,
            TimePrecision::Millis => true,
            _ => {
                // SAFETY: a formatted timestamp is at most MAX_TIMESTAMP_LEN.
                unsafe { o.put_bytes(self.format(ts, precision)) };
                return;
            }
        };
        let second = ts.0.div_euclid(NANOS_PER_SEC);
        if second != self.second {
            self.cache_second(ts, second);
        }
        let ms = (ts.0 - second * NANOS_PER_SEC) as u32 / 1_000_000;
        let frac =
            u64::from(b'.') | u64::from(u32::from(b'0') + ms / 100) << 8 | two(ms % 100) << 16;
        // SAFETY: 8 + 8 + 8 bytes, below MAX_TIMESTAMP_LEN.
        unsafe {
            o.put_word(self.date_word, 8);
            o.put_word(self.time_word, 8);
            if millis {
                o.put_word(u64::from(self.last_digit) | frac << 8, 5);
            } else {
                o.put_byte(self.last_digit);
            }
        }
    }

    /// Fill the words of `second` (that of `ts`); the date from the day's
    /// cache, so a miss costs about what formatting the time in place did.
    #[cold]
    #[inline(never)]
    fn cache_second(&mut self, ts: UtcTimestamp, second: i64) {
        self.cache_date(ts);
        let sod = second.rem_euclid(SECS_PER_DAY) as u32;
        let (h, m, s) = (sod / 3600, sod / 60 % 60, sod % 60);
        self.date_word = self.buf.first_chunk().map_or(0, |d| u64::from_le_bytes(*d));
        self.time_word = u64::from(b'-')
            | two(h) << 8
            | u64::from(b':') << 24
            | two(m) << 32
            | u64::from(b':') << 48
            | u64::from(b'0' + (s / 10) as u8) << 56;
        self.last_digit = b'0' + (s % 10) as u8;
        self.second = second;
    }
}

/// Two digits of `v` (below 100) as the low 16 bits of a little-endian word.
#[inline(always)]
fn two(v: u32) -> u64 {
    u64::from((u32::from(b'0') + v / 10) | ((u32::from(b'0') + v % 10) << 8))
}

impl fmt::Display for UtcTimestamp {
    /// `YYYYMMDD-HH:MM:SS.sss` (the FIX form, millisecond precision).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; MAX_TIMESTAMP_LEN];
        let n = self.write(TimePrecision::Millis, &mut buf);
        f.write_str(std::str::from_utf8(&buf[..n]).map_err(|_| fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(ts: UtcTimestamp, p: TimePrecision) -> String {
        let mut v = Vec::new();
        ts.push(p, &mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn formats_every_precision() {
        let ts = UtcTimestamp::parse(b"20261124-10:00:01.123456789").unwrap();
        assert_eq!(fmt(ts, TimePrecision::Seconds), "20261124-10:00:01");
        assert_eq!(fmt(ts, TimePrecision::Millis), "20261124-10:00:01.123");
        assert_eq!(fmt(ts, TimePrecision::Micros), "20261124-10:00:01.123456");
        assert_eq!(fmt(ts, TimePrecision::Nanos), "20261124-10:00:01.123456789");
        assert_eq!(ts.to_string(), "20261124-10:00:01.123");
    }

    #[test]
    fn parses_every_precision() {
        let base = UtcTimestamp::parse(b"20231103-09:30:00").unwrap();
        assert_eq!(base.as_secs(), 1_699_003_800);
        let ms = UtcTimestamp::parse(b"20231103-09:30:00.250").unwrap();
        assert_eq!(ms.nanos_since(base), 250_000_000);
        let us = UtcTimestamp::parse(b"20231103-09:30:00.000250").unwrap();
        assert_eq!(us.nanos_since(base), 250_000);
        let ns = UtcTimestamp::parse(b"20231103-09:30:00.000000250").unwrap();
        assert_eq!(ns.nanos_since(base), 250);
        let ps = UtcTimestamp::parse(b"20231103-09:30:00.000000250999").unwrap();
        assert_eq!(ps, ns);
    }

    #[test]
    fn rejects_bad_timestamps() {
        for bad in [
            &b""[..],
            b"2023110-09:30:00",
            b"20231103 09:30:00",
            b"20231303-09:30:00",
            b"20230230-09:30:00",
            b"20231103-24:00:00",
            b"20231103-09:60:00",
            b"20231103-09:30:00.",
            b"20231103-09:30:00.12",
            b"20231103-09:30:00.12a",
            b"20231103-09:30:00x",
            b"9999x103-09:30:00",
            b"99991231-23:59:59",
        ] {
            assert!(
                UtcTimestamp::parse(bad).is_err(),
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
        assert_eq!(UtcTimestamp::parse(b""), Err(ValueError::Empty));
    }

    #[test]
    fn civil_round_trip_across_eras() {
        for nanos in [
            0i64,
            -1,
            951_782_400_000_000_000, // 2000-02-29
            4_102_444_799_999_999_999,
            -2_208_988_800_000_000_000,
        ] {
            let ts = UtcTimestamp::from_nanos(nanos);
            assert_eq!(UtcTimestamp::from_civil(ts.to_civil()), Some(ts));
            let mut buf = [0u8; MAX_TIMESTAMP_LEN];
            let n = ts.write(TimePrecision::Nanos, &mut buf);
            assert_eq!(UtcTimestamp::parse(&buf[..n]), Ok(ts));
        }
        assert_eq!(
            fmt(UtcTimestamp::from_nanos(-1), TimePrecision::Nanos),
            "19691231-23:59:59.999999999"
        );
    }

    #[test]
    fn encoder_put_follows_second_and_day_changes() {
        let mut f = TimestampFormatter::new();
        let put = |f: &mut TimestampFormatter, ts: UtcTimestamp, p: TimePrecision| {
            let mut v = Vec::new();
            let mut o = Out::new(&mut v);
            o.reserve(MAX_TIMESTAMP_LEN);
            // SAFETY: reserved just above.
            unsafe { f.put(ts, p, &mut o) };
            drop(o);
            String::from_utf8(v).unwrap()
        };
        let a = UtcTimestamp::parse(b"20261124-23:59:58.999").unwrap();
        for step_ms in [0, 1, 2, 999, 1000, 1001, 2000, 86_400_000, -1, -86_400_001] {
            for p in [TimePrecision::Seconds, TimePrecision::Millis] {
                let ts = a.plus_nanos(step_ms * 1_000_000);
                assert_eq!(put(&mut f, ts, p), fmt(ts, p), "{step_ms} {p:?}");
                // `format` moving the date cache elsewhere does not leak in.
                f.format(ts.plus_secs(3 * 86_400), p);
                assert_eq!(put(&mut f, ts, p), fmt(ts, p), "{step_ms} {p:?}");
            }
        }
        let before_epoch = UtcTimestamp::from_nanos(-1);
        let want = fmt(before_epoch, TimePrecision::Millis);
        assert_eq!(put(&mut f, before_epoch, TimePrecision::Millis), want);
    }

    #[test]
    fn formatter_cache_follows_day_changes() {
        let mut f = TimestampFormatter::new();
        let a = UtcTimestamp::parse(b"20261124-23:59:59.999").unwrap();
        assert_eq!(f.format(a, TimePrecision::Millis), b"20261124-23:59:59.999");
        let b = a.plus_nanos(1_000_000);
        assert_eq!(f.format(b, TimePrecision::Millis), b"20261125-00:00:00.000");
        assert_eq!(f.format(a, TimePrecision::Seconds), b"20261124-23:59:59");
    }
}
