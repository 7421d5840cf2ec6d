//! Timestamps of decoded messages: capture times and log prefixes, printed as RFC 3339.

use std::fmt;

const NANOS_PER_SEC: i64 = 1_000_000_000;

/// A point in time (nanoseconds since the Unix epoch, UTC) and how many
/// fractional digits to show: what its source recorded (6 or 9 for a
/// capture), at least 3 (milliseconds, as FIX logs write).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    nanos: i64,
    digits: u8,
}

impl Timestamp {
    /// A timestamp from nanoseconds since the epoch, shown with `digits`
    /// fractional digits (kept within 3..=9).
    pub fn from_nanos(nanos: i64, digits: u8) -> Self {
        Timestamp {
            nanos,
            digits: digits.clamp(3, 9),
        }
    }

    /// Nanoseconds since the Unix epoch (UTC): the clock of `ringfix_codec::UtcTimestamp`.
    pub fn nanos(&self) -> i64 {
        self.nanos
    }

    /// The same instant in the engine's clock.
    #[cfg(test)]
    pub fn utc(&self) -> ringfix_codec::UtcTimestamp {
        ringfix_codec::UtcTimestamp::from_nanos(self.nanos)
    }

    /// Fractional digits shown.
    #[cfg(test)]
    pub fn digits(&self) -> u8 {
        self.digits
    }
}

/// RFC 3339 in UTC: `2024-01-02T03:04:05.123456Z`.
impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.nanos.div_euclid(NANOS_PER_SEC);
        let frac = self.nanos.rem_euclid(NANOS_PER_SEC);
        let days = secs.div_euclid(86_400);
        let tod = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        write!(
            f,
            "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
            tod / 3600,
            tod / 60 % 60,
            tod % 60
        )?;
        let scaled = frac / 10i64.pow(9 - u32::from(self.digits));
        write!(f, ".{scaled:0width$}Z", width = usize::from(self.digits))
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm).
pub(crate) fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day number since 1970-01-01.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// A small cursor over ASCII digits and separators.
struct Scan<'a> {
    s: &'a [u8],
    i: usize,
}

impl Scan<'_> {
    fn num(&mut self, width: usize) -> Option<u32> {
        let digits = self.s.get(self.i..self.i + width)?;
        let mut v = 0u32;
        for &b in digits {
            if !b.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(b - b'0');
        }
        self.i += width;
        Some(v)
    }

    fn eat(&mut self, options: &[u8]) -> Option<u8> {
        let b = *self.s.get(self.i)?;
        if options.contains(&b) {
            self.i += 1;
            Some(b)
        } else {
            None
        }
    }

    /// `.ddd…` (any number of digits, kept to nanoseconds): (nanos, digits).
    fn fraction(&mut self) -> (i64, u8) {
        if self.eat(b".,").is_none() {
            return (0, 0);
        }
        let (mut nanos, mut digits) = (0i64, 0u8);
        while let Some(&b) = self.s.get(self.i) {
            if !b.is_ascii_digit() {
                break;
            }
            if digits < 9 {
                nanos = nanos * 10 + i64::from(b - b'0');
                digits += 1;
            }
            self.i += 1;
        }
        (nanos * 10i64.pow(9 - u32::from(digits)), digits)
    }
}

/// Parses the timestamp that starts a log line: QuickFIX's `YYYYMMDD-HH:MM:SS[.sss]`
/// or ISO 8601 `YYYY-MM-DD[T ]HH:MM:SS[.fff][Z|+00:00]` (offsets applied).
/// Returns `None` when the text does not start with one.
pub fn parse_log_timestamp(text: &[u8]) -> Option<Timestamp> {
    let start = text.iter().position(|b| !b.is_ascii_whitespace())?;
    let mut s = Scan {
        s: text.get(start..)?,
        i: 0,
    };
    let year = s.num(4)?;
    let iso = s.eat(b"-").is_some();
    let month = s.num(2)?;
    if iso {
        s.eat(b"-")?;
    }
    let day = s.num(2)?;
    if iso {
        s.eat(b"T ")?;
    } else {
        s.eat(b"-")?;
    }
    let hour = s.num(2)?;
    s.eat(b":")?;
    let minute = s.num(2)?;
    s.eat(b":")?;
    let second = s.num(2)?;
    let (frac, digits) = s.fraction();
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    // 60: a leap second as FIX allows it.
    if second > 60 {
        return None;
    }
    let mut offset = 0i64;
    if let Some(sign) = s.eat(b"+-") {
        let oh = s.num(2)?;
        s.eat(b":");
        let om = s.num(2)?;
        let o = i64::from(oh * 3600 + om * 60);
        offset = if sign == b'+' { o } else { -o };
    } else {
        s.eat(b"Z");
    }
    let days = days_from_civil(i64::from(year), month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset;
    Some(Timestamp::from_nanos(secs * NANOS_PER_SEC + frac, digits))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339_with_recorded_precision() {
        let t = Timestamp::from_nanos(1_700_000_000_123_456_789, 6);
        assert_eq!(t.to_string(), "2023-11-14T22:13:20.123456Z");
        let t = Timestamp::from_nanos(1_700_000_000_123_456_789, 9);
        assert_eq!(t.to_string(), "2023-11-14T22:13:20.123456789Z");
        assert_eq!(
            Timestamp::from_nanos(0, 0).to_string(),
            "1970-01-01T00:00:00.000Z"
        );
        // Before the epoch: the fraction stays positive.
        assert_eq!(
            Timestamp::from_nanos(-1, 9).to_string(),
            "1969-12-31T23:59:59.999999999Z"
        );
    }

    #[test]
    fn civil_round_trip() {
        for days in [-800_000, -1, 0, 1, 59, 60, 11_016, 19_000, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
    }

    #[test]
    fn parses_quickfix_and_iso_prefixes() {
        let t = parse_log_timestamp(b"20231114-22:13:20.123 : ").unwrap();
        assert_eq!(t.to_string(), "2023-11-14T22:13:20.123Z");
        let t = parse_log_timestamp(b"20231114-22:13:20").unwrap();
        assert_eq!(t.to_string(), "2023-11-14T22:13:20.000Z");
        let t = parse_log_timestamp(b"2023-11-14T22:13:20.123456789Z ").unwrap();
        assert_eq!(t.nanos(), 1_700_000_000_123_456_789);
        let t = parse_log_timestamp(b"2023-11-14 23:13:20.5+01:00").unwrap();
        assert_eq!(t.to_string(), "2023-11-14T22:13:20.500Z");
        assert!(parse_log_timestamp(b"hello").is_none());
        assert!(parse_log_timestamp(b"20231314-22:13:20").is_none());
        assert!(parse_log_timestamp(b"2023").is_none());
    }
}
