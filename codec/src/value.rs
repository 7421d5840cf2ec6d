//! Typed conversion of raw field values (no allocation, no UTF-8 checks).

use crate::error::ValueError;

/// Most digits accepted in an integer value.
const MAX_DIGITS: usize = 20;

/// Parse an unsigned decimal integer (digits only).
#[inline]
pub fn parse_u64(v: &[u8]) -> Result<u64, ValueError> {
    if v.is_empty() {
        return Err(ValueError::Empty);
    }
    if v.len() > MAX_DIGITS {
        return Err(ValueError::Overflow);
    }
    let mut acc: u64 = 0;
    let mut bad = 0u8;
    // Short values (the common case) cannot overflow: accumulate freely and
    // check all digits at once.
    if v.len() < MAX_DIGITS {
        for &b in v {
            let d = b.wrapping_sub(b'0');
            bad |= (d > 9) as u8;
            acc = acc.wrapping_mul(10).wrapping_add(u64::from(d));
        }
        return if bad == 0 {
            Ok(acc)
        } else {
            Err(ValueError::Format)
        };
    }
    for &b in v {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return Err(ValueError::Format);
        }
        acc = acc
            .checked_mul(10)
            .and_then(|a| a.checked_add(u64::from(d)))
            .ok_or(ValueError::Overflow)?;
    }
    Ok(acc)
}

/// Parse a signed decimal integer (`-` allowed, no `+`).
#[inline]
pub fn parse_i64(v: &[u8]) -> Result<i64, ValueError> {
    match v {
        [b'-', rest @ ..] => {
            let m = parse_u64(rest).map_err(|e| match e {
                ValueError::Empty => ValueError::Format,
                e => e,
            })?;
            if m > i64::MAX as u64 + 1 {
                return Err(ValueError::Overflow);
            }
            Ok((m as i64).wrapping_neg())
        }
        _ => i64::try_from(parse_u64(v)?).map_err(|_| ValueError::Overflow),
    }
}

/// Parse a single-character value.
#[inline]
pub fn parse_char(v: &[u8]) -> Result<u8, ValueError> {
    match v {
        [] => Err(ValueError::Empty),
        [c] => Ok(*c),
        _ => Err(ValueError::Format),
    }
}

/// Parse a Boolean (`Y` / `N`).
#[inline]
pub fn parse_bool(v: &[u8]) -> Result<bool, ValueError> {
    match v {
        [] => Err(ValueError::Empty),
        b"Y" => Ok(true),
        b"N" => Ok(false),
        _ => Err(ValueError::Format),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers() {
        assert_eq!(parse_u64(b"0"), Ok(0));
        assert_eq!(parse_u64(b"18446744073709551615"), Ok(u64::MAX));
        assert_eq!(
            parse_u64(b"18446744073709551616"),
            Err(ValueError::Overflow)
        );
        assert_eq!(
            parse_u64(b"000000000000000000001"),
            Err(ValueError::Overflow)
        );
        assert_eq!(parse_u64(b"12a"), Err(ValueError::Format));
        assert_eq!(parse_u64(b"1844674407370955161a"), Err(ValueError::Format));
        assert_eq!(parse_u64(b"-1"), Err(ValueError::Format));
        assert_eq!(parse_u64(b""), Err(ValueError::Empty));
        assert_eq!(parse_i64(b"-42"), Ok(-42));
        assert_eq!(parse_i64(b"-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), Err(ValueError::Overflow));
        assert_eq!(
            parse_i64(b"-9223372036854775809"),
            Err(ValueError::Overflow)
        );
        assert_eq!(parse_i64(b"-"), Err(ValueError::Format));
        assert_eq!(parse_i64(b"+1"), Err(ValueError::Format));
    }

    #[test]
    fn chars_and_bools() {
        assert_eq!(parse_char(b"D"), Ok(b'D'));
        assert_eq!(parse_char(b"AB"), Err(ValueError::Format));
        assert_eq!(parse_char(b""), Err(ValueError::Empty));
        assert_eq!(parse_bool(b"Y"), Ok(true));
        assert_eq!(parse_bool(b"N"), Ok(false));
        assert_eq!(parse_bool(b"y"), Err(ValueError::Format));
    }
}
