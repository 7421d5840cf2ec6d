//! FIX UTCTimestamp text <-> nanoseconds since the Unix epoch, through the
//! codec's `UtcTimestamp` (allocation-free, no clock reads).

use ringfix_codec::{TimePrecision, UtcTimestamp};

/// Fractional digits (0, 3, 6, 9; others round down to those) as the
/// codec's precision.
pub fn precision(digits: u8) -> TimePrecision {
    match digits {
        0 => TimePrecision::Seconds,
        1..=3 => TimePrecision::Millis,
        4..=6 => TimePrecision::Micros,
        _ => TimePrecision::Nanos,
    }
}

/// Appends `nanos` as `YYYYMMDD-HH:MM:SS[.fff...]` with `digits`
/// fractional digits.
pub fn write_timestamp(out: &mut Vec<u8>, nanos: i64, digits: u8) {
    UtcTimestamp::from_nanos(nanos).push(precision(digits), out);
}

/// Parses `YYYYMMDD-HH:MM:SS[.fff|.ffffff|.fffffffff]` into nanoseconds
/// since the epoch; `None` when malformed or out of the i64 range.
pub fn parse_timestamp(b: &[u8]) -> Option<i64> {
    UtcTimestamp::parse(b).ok().map(UtcTimestamp::as_nanos)
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
