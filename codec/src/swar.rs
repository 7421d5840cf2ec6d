//! Eight-bytes-at-a-time helpers for the parse hot path (SIMD within a
//! register: no unsafe, no target features).

pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// Little-endian load of `buf[at..at + 8]`.
#[inline(always)]
pub(crate) fn load(buf: &[u8], at: usize) -> Option<u64> {
    let chunk: [u8; 8] = buf.get(at..at.checked_add(8)?)?.try_into().ok()?;
    Some(u64::from_le_bytes(chunk))
}

/// High bit set in each byte of `w` equal to `b`. Exact for the lowest
/// match; bytes above a match may be flagged falsely.
#[inline(always)]
pub(crate) fn matches(w: u64, b: u8) -> u64 {
    let x = w ^ (ONES * u64::from(b));
    x.wrapping_sub(ONES) & !x & HIGHS
}

/// Masks keeping the first `n` bytes of a word (index 8 for "no '=' found").
const FIRST_BYTES: [u64; 9] = [
    0,
    0xFF,
    0xFFFF,
    0xFF_FFFF,
    0xFFFF_FFFF,
    0xFF_FFFF_FFFF,
    0xFFFF_FFFF_FFFF,
    0xFF_FFFF_FFFF_FFFF,
    0,
];

/// Value of the first `n` bytes of `w` if `n` is 1..=7 and they are all
/// ASCII digits (the tag before '=').
#[inline(always)]
pub(crate) fn small_number(w: u64, n: usize) -> Option<u32> {
    let mask = *FIRST_BYTES.get(n)?;
    let d = (w ^ 0x3030_3030_3030_3030) & mask;
    // A byte is a digit iff (byte ^ 0x30) <= 9: +0x76 sets its high bit
    // otherwise (no carry leaves a byte below 0x80).
    if mask == 0 || (d.wrapping_add(0x7676_7676_7676_7676) | d) & 0x8080_8080_8080_8080 != 0 {
        return None;
    }
    if n <= 4 {
        let mut v = (d as u32) << (8 * (4 - n));
        v = (v.wrapping_mul(10 << 8 | 1) >> 8) & 0x00FF_00FF;
        return Some(v.wrapping_mul(100 << 16 | 1) >> 16);
    }
    let mut v = d << (8 * (8 - n));
    v = (v.wrapping_mul(10 << 8 | 1) >> 8) & 0x00FF_00FF_00FF_00FF;
    v = (v.wrapping_mul(100 << 16 | 1) >> 16) & 0x0000_FFFF_0000_FFFF;
    Some((v.wrapping_mul(10000 << 32 | 1) >> 32) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &[u8]) -> u64 {
        let mut b = [0u8; 8];
        b[..s.len()].copy_from_slice(s);
        u64::from_le_bytes(b)
    }

    #[test]
    fn small_numbers() {
        for n in 1..=7usize {
            for v in [
                0u32, 1, 7, 9, 10, 35, 99, 100, 453, 999, 1000, 1128, 9999, 10000, 99999, 1234567,
            ] {
                let text = format!("{v:0n$}=", n = n);
                if text.len() != n + 1 {
                    continue;
                }
                let mut b = text.into_bytes();
                b.resize(8, 1);
                let w = u64::from_le_bytes(b.try_into().unwrap());
                assert_eq!(small_number(w, n), Some(v), "{v} in {n} digits");
            }
        }
        assert_eq!(small_number(w(b"3a=x"), 2), None);
        assert_eq!(small_number(w(b"/="), 1), None);
        assert_eq!(small_number(w(b":="), 1), None);
        assert_eq!(small_number(w(b"\xb5="), 1), None);
        assert_eq!(small_number(w(b"=x"), 0), None);
        assert_eq!(small_number(w(b"12345678"), 8), None);
    }

    #[test]
    fn lowest_match_is_exact() {
        assert_eq!(matches(w(b"35=D\x01"), b'=').trailing_zeros() / 8, 2);
        assert_eq!(matches(w(b"35=D\x01"), 1).trailing_zeros() / 8, 4);
        assert_eq!(matches(w(b"\x02\x01\x01"), 1).trailing_zeros() / 8, 1);
        assert_eq!(matches(w(b"abcdefgh"), b'='), 0);
    }
}
