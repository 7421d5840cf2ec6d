//! FIX UTCTimestamp text <-> nanoseconds since the Unix epoch.
//!
//! Kept here (allocation-free, no clock reads) so the session can write
//! SendingTime/OrigSendingTime and check inbound SendingTime accuracy.

const NANOS_PER_SEC: i64 = 1_000_000_000;
const SECS_PER_DAY: i64 = 86_400;

/// Days since 1970-01-01 -> (year, month, day). Howard Hinnant's algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// (year, month, day) -> days since 1970-01-01.
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn push_digits(out: &mut Vec<u8>, v: u64, width: usize) {
    let mut tmp = [b'0'; 20];
    let mut n = v;
    let mut i = tmp.len();
    while n > 0 && i > 0 {
        i -= 1;
        tmp[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    let start = tmp.len().saturating_sub(width).min(i);
    out.extend_from_slice(&tmp[start..]);
}

/// Appends `nanos` as `YYYYMMDD-HH:MM:SS[.fff...]` with `precision`
/// fractional digits (0, 3, 6 or 9; other values round down to those).
pub fn write_timestamp(out: &mut Vec<u8>, nanos: i64, precision: u8) {
    let secs = nanos.div_euclid(NANOS_PER_SEC);
    let frac = nanos.rem_euclid(NANOS_PER_SEC) as u64;
    let days = secs.div_euclid(SECS_PER_DAY);
    let sod = secs.rem_euclid(SECS_PER_DAY) as u64;
    let (y, m, d) = civil_from_days(days);
    push_digits(out, y.clamp(0, 9999) as u64, 4);
    push_digits(out, u64::from(m), 2);
    push_digits(out, u64::from(d), 2);
    out.push(b'-');
    push_digits(out, sod / 3600, 2);
    out.push(b':');
    push_digits(out, (sod / 60) % 60, 2);
    out.push(b':');
    push_digits(out, sod % 60, 2);
    let (digits, div) = match precision {
        0 => return,
        1..=3 => (3, 1_000_000),
        4..=6 => (6, 1_000),
        _ => (9, 1),
    };
    out.push(b'.');
    push_digits(out, frac / div, digits);
}

fn num(b: &[u8]) -> Option<u32> {
    let mut v: u32 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Parses `YYYYMMDD-HH:MM:SS[.f{1,9}]` into nanoseconds since the epoch.
pub fn parse_timestamp(b: &[u8]) -> Option<i64> {
    if b.len() < 17
        || b.get(8) != Some(&b'-')
        || b.get(11) != Some(&b':')
        || b.get(14) != Some(&b':')
    {
        return None;
    }
    let y = num(b.get(0..4)?)?;
    let mo = num(b.get(4..6)?)?;
    let d = num(b.get(6..8)?)?;
    let h = num(b.get(9..11)?)?;
    let mi = num(b.get(12..14)?)?;
    let s = num(b.get(15..17)?)?;
    if !(1..=12).contains(&mo) || !(1..=31).contains(&d) || h > 23 || mi > 59 || s > 60 {
        return None;
    }
    let mut frac: i64 = 0;
    if b.len() > 17 {
        let f = b.get(18..)?;
        if b.get(17) != Some(&b'.') || f.is_empty() || f.len() > 9 {
            return None;
        }
        let v = i64::from(num(f)?);
        frac = v * 10i64.pow(9 - f.len() as u32);
    }
    let days = days_from_civil(i64::from(y), mo, d);
    let secs = days * SECS_PER_DAY + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s);
    // Years outside 1678..2262 do not fit in i64 nanoseconds.
    secs.checked_mul(NANOS_PER_SEC)?.checked_add(frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_millis() {
        let t = parse_timestamp(b"20260124-05:06:07.089").unwrap();
        let mut out = Vec::new();
        write_timestamp(&mut out, t, 3);
        assert_eq!(out, b"20260124-05:06:07.089");
        out.clear();
        write_timestamp(&mut out, t, 0);
        assert_eq!(out, b"20260124-05:06:07");
        out.clear();
        write_timestamp(&mut out, t, 9);
        assert_eq!(out, b"20260124-05:06:07.089000000");
    }

    #[test]
    fn epoch_and_leap_day() {
        assert_eq!(parse_timestamp(b"19700101-00:00:00"), Some(0));
        let t = parse_timestamp(b"20240229-23:59:59").unwrap();
        let mut out = Vec::new();
        write_timestamp(&mut out, t, 0);
        assert_eq!(out, b"20240229-23:59:59");
    }

    #[test]
    fn out_of_range_years_are_none() {
        assert_eq!(parse_timestamp(b"99990101-00:00:00"), None);
        assert_eq!(parse_timestamp(b"00000101-00:00:00"), None);
    }

    #[test]
    fn rejects_malformed() {
        assert_eq!(parse_timestamp(b"20240229-23:59"), None);
        assert_eq!(parse_timestamp(b"20241329-23:59:59"), None);
        assert_eq!(parse_timestamp(b"20240229-23:59:59."), None);
        assert_eq!(parse_timestamp(b"2024022x-23:59:59"), None);
    }
}
