//! Fast integer formatting (two digits per step, written from the back).

const PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Longest decimal form of a `u64` (20 digits) plus a sign.
pub const MAX_INT_LEN: usize = 21;

/// Write `v` right-aligned into `buf`; returns the index of the first digit.
#[inline(always)]
pub fn format_u64(mut v: u64, buf: &mut [u8; MAX_INT_LEN]) -> usize {
    let mut i = MAX_INT_LEN;
    while v >= 100 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        buf[i] = PAIRS[pair];
        buf[i + 1] = PAIRS[pair + 1];
    }
    if v >= 10 {
        let pair = v as usize * 2;
        i -= 2;
        buf[i] = PAIRS[pair];
        buf[i + 1] = PAIRS[pair + 1];
    } else {
        i -= 1;
        buf[i] = b'0' + v as u8;
    }
    i
}

/// Write `v` right-aligned into `buf`, with `-` when negative; returns the
/// index of the first byte (a `u64`'s 20 digits leave room for the sign).
#[inline(always)]
pub fn format_i64(v: i64, buf: &mut [u8; MAX_INT_LEN]) -> usize {
    let start = format_u64(v.unsigned_abs(), buf);
    if v < 0 {
        // `unsigned_abs` has at most 19 digits, so `start >= 2`.
        buf[start - 1] = b'-';
        return start - 1;
    }
    start
}

/// `PAIRS` as little-endian `u16`s: entry `i` is the two digits of `i`.
const PAIR_WORDS: [u16; 100] = {
    let mut t = [0u16; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = PAIRS[2 * i] as u16 | (PAIRS[2 * i + 1] as u16) << 8;
        i += 1;
    }
    t
};

/// The two digits of `v % 100` as the low 16 bits of a word.
#[inline(always)]
fn pair(v: u32) -> u64 {
    u64::from(PAIR_WORDS[(v % 100) as usize])
}

/// The decimal digits of `v` (below 10^8) in a little-endian word, first
/// digit in the low byte, and how many there are; `None` from 10^8 on.
/// Built in registers, so a field's value is one store rather than digits
/// staged on the stack and copied. The count comes from comparisons of `v`
/// alone, not from the digits: every later store's address waits on it.
#[inline(always)]
pub(crate) fn digits_word(v: u64) -> Option<(u64, usize)> {
    if v < 100 {
        let v = v as u32;
        Some(if v < 10 {
            (u64::from(b'0') + u64::from(v), 1)
        } else {
            (pair(v), 2)
        })
    } else if v < 10_000 {
        let v = v as u32;
        let w = pair(v / 100) | pair(v) << 16;
        Some(if v < 1_000 { (w >> 8, 3) } else { (w, 4) })
    } else if v < 1_000_000 {
        let v = v as u32;
        let (hi, lo) = (v / 10_000, v % 10_000);
        let w = pair(hi) | pair(lo / 100) << 16 | pair(lo) << 32;
        Some(if v < 100_000 { (w >> 8, 5) } else { (w, 6) })
    } else if v < 100_000_000 {
        let v = v as u32;
        let (hi, lo) = (v / 10_000, v % 10_000);
        let w = pair(hi / 100) | pair(hi) << 16 | pair(lo / 100) << 32 | pair(lo) << 48;
        Some(if v < 10_000_000 { (w >> 8, 7) } else { (w, 8) })
    } else {
        None
    }
}

/// [`digits_word`] for a signed value, `-` first when negative; `None`
/// when the form is longer than 8 bytes.
#[inline(always)]
pub(crate) fn int_word(v: i64) -> Option<(u64, usize)> {
    let (w, n) = digits_word(v.unsigned_abs())?;
    if v >= 0 {
        Some((w, n))
    } else if n < 8 {
        Some((w << 8 | u64::from(b'-'), n + 1))
    } else {
        None
    }
}

/// Write `v` as exactly `N` digits (zero padded, `v` < 10^N) into `out`.
#[inline]
pub fn write_fixed<const N: usize>(out: &mut [u8], mut v: u32) {
    let mut i = N;
    while i >= 2 {
        let pair = (v % 100) as usize * 2;
        v /= 100;
        i -= 2;
        if let (Some(&a), Some(&b)) = (PAIRS.get(pair), PAIRS.get(pair + 1)) {
            if let Some(dst) = out.get_mut(i..i + 2) {
                dst[0] = a;
                dst[1] = b;
            }
        }
    }
    if i == 1 {
        if let Some(d) = out.get_mut(0) {
            *d = b'0' + (v % 10) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: i64) -> String {
        let mut buf = [0u8; MAX_INT_LEN];
        let start = format_i64(v, &mut buf);
        String::from_utf8(buf[start..].to_vec()).unwrap()
    }

    fn u(v: u64) -> String {
        let mut buf = [0u8; MAX_INT_LEN];
        let start = format_u64(v, &mut buf);
        String::from_utf8(buf[start..].to_vec()).unwrap()
    }

    #[test]
    fn formats_like_std() {
        for v in [
            0i64,
            7,
            10,
            99,
            100,
            101,
            12345,
            -1,
            -100,
            i64::MAX,
            i64::MIN,
        ] {
            assert_eq!(s(v), v.to_string());
        }
        assert_eq!(u(u64::MAX), u64::MAX.to_string());
        // Each power of ten and its neighbours, and a spread, both signs.
        for v in (0..19u32)
            .flat_map(|e| {
                let p = 10i64.pow(e);
                [p - 1, p, p + 1]
            })
            .chain((0..3000i64).map(|i| i * 7_919_993 - 9_000_000_000))
        {
            assert_eq!(s(v), v.to_string());
            assert_eq!(s(-v), (-v).to_string());
            assert_eq!(u(v.unsigned_abs()), v.unsigned_abs().to_string());
        }
    }

    #[test]
    fn digit_words_match_std() {
        let form = |w: u64, n: usize| String::from_utf8(w.to_le_bytes()[..n].to_vec()).unwrap();
        for v in (0..10u32)
            .flat_map(|e| {
                let p = 10i64.pow(e);
                [p - 1, p, p + 1]
            })
            .chain((0..3000i64).map(|i| i * 33_331))
        {
            for v in [v, -v] {
                let want = v.to_string();
                match int_word(v) {
                    Some((w, n)) => assert_eq!(form(w, n), want),
                    None => assert!(want.len() > 8, "{v}"),
                }
                if v >= 0 {
                    match digits_word(v as u64) {
                        Some((w, n)) => assert_eq!(form(w, n), want),
                        None => assert!(v >= 100_000_000, "{v}"),
                    }
                }
            }
        }
        assert_eq!(digits_word(u64::MAX), None);
        assert_eq!(int_word(i64::MIN), None);
    }

    #[test]
    fn fixed_width_pads() {
        let mut b = [0u8; 9];
        write_fixed::<9>(&mut b, 1234);
        assert_eq!(&b, b"000001234");
        let mut b = [0u8; 3];
        write_fixed::<3>(&mut b, 7);
        assert_eq!(&b, b"007");
        let mut b = [0u8; 4];
        write_fixed::<4>(&mut b, 2026);
        assert_eq!(&b, b"2026");
    }
}
