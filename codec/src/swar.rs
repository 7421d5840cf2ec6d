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

/// The tag in the first `n` bytes of `w` when they are 1..=7 digits:
/// `(tag, 0)`. Otherwise the second value is non-zero and the tag is
/// meaningless (no branch: the caller collects the flags and checks them
/// once per message).
#[inline(always)]
pub(crate) fn tag_digits(w: u64, n: usize) -> (u32, u64) {
    let k = (n as u32).wrapping_mul(8);
    let valid = k.wrapping_sub(8) < 56;
    let keep = (1u64 << (k & 63)) - 1;
    let d = (w ^ 0x3030_3030_3030_3030) & keep;
    // A byte is a digit iff (byte ^ 0x30) <= 9: +0x76 sets its high bit
    // otherwise.
    let flags = (d.wrapping_add(0x7676_7676_7676_7676) | d) & HIGHS | u64::from(!valid);
    let tag = if k <= 32 {
        // Up to four digits (almost every tag): two multiplies, not three.
        let mut v = (d as u32) << ((32 - k) & 31);
        v = (v.wrapping_mul(10 << 8 | 1) >> 8) & 0x00FF_00FF;
        v.wrapping_mul(100 << 16 | 1) >> 16
    } else {
        // Digits to the top bytes (leading zero bytes are leading zeros).
        let mut v = d << (64u32.wrapping_sub(k) & 63);
        v = (v.wrapping_mul(10 << 8 | 1) >> 8) & 0x00FF_00FF_00FF_00FF;
        v = (v.wrapping_mul(100 << 16 | 1) >> 16) & 0x0000_FFFF_0000_FFFF;
        (v.wrapping_mul(10000 << 32 | 1) >> 32) as u32
    };
    (tag, flags)
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

    /// `tag_digits` with the length taken from the first '='.
    fn tag_word(w: u64) -> (u32, usize, u64) {
        let n = (matches(w, b'=').trailing_zeros() / 8) as usize;
        let (tag, flags) = tag_digits(w, n);
        (tag, n, flags)
    }

    #[test]
    fn tag_words() {
        for n in 1..=7usize {
            for v in [0u32, 1, 9, 10, 35, 453, 1128, 9999, 10000, 99999, 1234567] {
                let text = format!("{v:0n$}=x\x01", n = n);
                if text.len() != n + 3 {
                    continue;
                }
                assert_eq!(
                    tag_word(w(&text.as_bytes()[..8.min(text.len())])),
                    (v, n, 0)
                );
            }
        }
        for bad in [
            &b"=x\x01"[..],
            b"3a=x",
            b"/=",
            b":=",
            b"\xb5=",
            b"-1=x",
            b"49\x0150=",
            b"12345678",
            b"1234567\x01",
        ] {
            assert_ne!(tag_word(w(bad)).2, 0, "{bad:?}");
        }
        for n in [0usize, 8, 9, 64, usize::MAX] {
            assert_ne!(tag_digits(w(b"1234567="), n).1, 0, "{n}");
        }
    }
}
