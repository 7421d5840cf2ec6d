//! Value syntax checks of the fast path, a word at a time; each gives
//! what its counterpart in `types` gives (tests compare them exhaustively
//! around valid values).

/// Eight ASCII digits.
#[inline(always)]
pub(crate) fn digits8(w: u64) -> bool {
    let x = w ^ 0x3030_3030_3030_3030;
    (x.wrapping_add(0x7676_7676_7676_7676) | x) & 0x8080_8080_8080_8080 == 0
}

/// [`super::types::is_utc_timestamp`], a word at a time:
/// `YYYYMMDD-HH:MM:SS[.f{0,9}]`, month 1-12, day 1-31, hour <= 23,
/// minute <= 59, second <= 60.
#[inline]
pub(crate) fn is_utc_timestamp(v: &[u8]) -> bool {
    const LOW: u64 = 0x00FF_00FF_00FF_00FF;
    // `-HH:MM:S`: the separators where they belong, digits elsewhere.
    const SEPS: u64 = u64::from_le_bytes([0xFF, 0, 0, 0xFF, 0, 0, 0xFF, 0]);
    const SHAPE: u64 = u64::from_le_bytes([b'-', 0, 0, b':', 0, 0, b':', 0]);
    let (Some(date), Some(time), Some(&s1)) = (v.get(..8), v.get(8..16), v.get(16)) else {
        return false;
    };
    let d = u64::from_le_bytes(date.try_into().unwrap_or([0; 8]));
    let t = u64::from_le_bytes(time.try_into().unwrap_or([0; 8]));
    let hms = (t >> 8) & 0xFFFF | ((t >> 32) & 0xFFFF) << 16 | (t >> 56 | u64::from(s1) << 8) << 32;
    let hms = hms | 0x3030 << 48;
    if v.len() > 27 || t & SEPS != SHAPE || !digits8(d) || !digits8(hms) {
        return false;
    }
    // Two digits per 16-bit lane, as numbers: YY YY MM DD and HH MM SS 00.
    let pairs = |w: u64| {
        let x = w & 0x0F0F_0F0F_0F0F_0F0F;
        (x & LOW) * 10 + ((x >> 8) & LOW)
    };
    let (date, time) = (pairs(d), pairs(hms));
    // A lane above its limit carries into its top bit.
    const DATE_LIMIT: u64 = (0x8000 - 1 - 31) << 48 | (0x8000 - 1 - 12) << 32;
    const TIME_LIMIT: u64 = (0x8000 - 1 - 60) << 32 | (0x8000 - 1 - 59) << 16 | (0x8000 - 1 - 23);
    const TOPS: u64 = 0x8000_8000_8000_8000;
    let month_day = date >> 32;
    let ranges = (date + DATE_LIMIT) & TOPS & !0xFFFF_FFFF == 0
        && (time + TIME_LIMIT) & TOPS == 0
        && month_day & 0xFFFF != 0
        && month_day >> 16 != 0;
    ranges
        && match v.get(17..) {
            Some([]) | None => true,
            Some([b'.', rest @ ..]) => all_digits(rest),
            Some(_) => false,
        }
}

/// The `len` (at most 8) bytes at `buf[start..]` in a word, `pad` bytes
/// after them: one load from the message, whose trailer follows every
/// body value (`None` near the end of the buffer or for a longer value).
#[inline(always)]
pub(crate) fn load(buf: &[u8], start: usize, len: usize, pad: u8) -> Option<u64> {
    let bytes: [u8; 8] = buf.get(start..start.checked_add(8)?)?.try_into().ok()?;
    let w = u64::from_le_bytes(bytes);
    match len {
        8 => Some(w),
        0..=7 => {
            let keep = (1u64 << (8 * len)) - 1;
            Some(w & keep | u64::from_le_bytes([pad; 8]) & !keep)
        }
        _ => None,
    }
}

/// `[0-9]*`.
#[inline(always)]
pub(crate) fn all_digits(v: &[u8]) -> bool {
    v.iter().all(u8::is_ascii_digit)
}

/// [`super::types::is_decimal`] of a value without sign held in `w`
/// (padded with '0'): digits and at most one '.', not only a '.'.
#[inline(always)]
pub(crate) fn is_decimal_word(w: u64, value: &[u8]) -> bool {
    // Exact per-byte test for '.': the top bit of each byte that is one.
    let m = w ^ 0x2E2E_2E2E_2E2E_2E2E;
    let low = 0x7F7F_7F7F_7F7F_7F7F;
    let dots = !(((m & low) + low) | m | low) & 0x8080_8080_8080_8080;
    // A '.' made a '0' (0x2E + 2); the rest must be digits already.
    let digits = w + (dots >> 7) * 2;
    value != b"." && dots.count_ones() <= 1 && digits8(digits)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_as_the_exact_check() {
        let mut cases: Vec<Vec<u8>> = [
            "20261124-10:00:00",
            "20261124-10:00:00.000",
            "20261124-23:59:60.123456789",
            "20261124-23:59:60.1234567890",
            "20261124-10:00:00.",
            "20261124-10:00:00.5x",
            "20040415",
            "20261324-10:00:00",
            "20261100-10:00:00",
            "20261132-10:00:00",
            "20261124-24:00:00",
            "20261124-10:60:00",
            "20261124-10:00:61",
            "20261124 10:00:00",
            "2026112a-10:00:00",
            "20261124-10:0a:00",
            "20261124-10-00:00",
            "\u{ff}0261124-10:00:00",
        ]
        .iter()
        .map(|c| c.as_bytes().to_vec())
        .collect();
        // Every byte value at every position of a good stamp.
        let good = b"20261124-10:00:00.123".to_vec();
        for i in 0..good.len() {
            for b in 0..=255u8 {
                let mut c = good.clone();
                c[i] = b;
                cases.push(c);
            }
        }
        for c in &cases {
            assert_eq!(
                is_utc_timestamp(c),
                super::super::types::is_utc_timestamp(c),
                "{:?}",
                String::from_utf8_lossy(c)
            );
        }
    }

    #[test]
    fn decimals_as_the_exact_check() {
        let mut cases: Vec<Vec<u8>> = [
            "0",
            "-12",
            "",
            "-",
            ".",
            "-.",
            "1.",
            ".5",
            "-1.",
            "002000.00",
            "+200.00",
            "1e5",
            "1.2.3",
            "12345678",
            "123456789",
            "1234567.",
            "-1234567",
            "-12345678",
            "1.234567",
        ]
        .iter()
        .map(|c| c.as_bytes().to_vec())
        .collect();
        let good = b"-123.45".to_vec();
        for i in 0..good.len() {
            for b in 0..=255u8 {
                let mut c = good.clone();
                c[i] = b;
                cases.push(c);
            }
        }
        for c in &cases {
            // As the fast path reads it: inside a message, padded.
            let mut buf = c.clone();
            buf.extend_from_slice(b"\x0110=000\x01");
            let fast = match load(&buf, 0, c.len(), b'0') {
                Some(w) if !c.is_empty() && c[0] != b'-' => is_decimal_word(w, c),
                _ => super::super::types::is_decimal(c),
            };
            assert_eq!(
                fast,
                super::super::types::is_decimal(c),
                "{:?}",
                String::from_utf8_lossy(c)
            );
        }
    }

    #[test]
    fn digits_word() {
        assert!(digits8(u64::from_le_bytes(*b"01234567")));
        for i in 0..8 {
            for b in (0..=255u8).filter(|b| !b.is_ascii_digit()) {
                let mut w = *b"01234567";
                w[i] = b;
                assert!(!digits8(u64::from_le_bytes(w)), "{w:?}");
            }
        }
    }
}
