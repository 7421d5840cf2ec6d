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

/// Append the decimal form of `v` to `out`.
#[inline(always)]
pub fn push_u64(out: &mut Vec<u8>, v: u64) {
    let mut buf = [0u8; MAX_INT_LEN];
    let start = format_u64(v, &mut buf);
    push_small(out, &buf[start..]);
}

/// Append the decimal form of `v` (with `-` when negative) to `out`.
#[inline(always)]
pub fn push_i64(out: &mut Vec<u8>, v: i64) {
    let mut buf = [0u8; MAX_INT_LEN];
    let mut start = format_u64(v.unsigned_abs(), &mut buf);
    if v < 0 {
        start -= 1;
        buf[start] = b'-';
    }
    push_small(out, &buf[start..]);
}

/// Append `tag=` to `out`.
#[inline(always)]
pub fn push_tag(out: &mut Vec<u8>, tag: u32) {
    let mut buf = [0u8; 11];
    buf[10] = b'=';
    let mut i = 10;
    let mut v = tag;
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
    push_small(out, &buf[i..]);
}

/// Append `src` to `out` with fixed-size copies for short slices (the
/// common field value), avoiding a `memcpy` call per field.
#[inline(always)]
pub fn push_small(out: &mut Vec<u8>, src: &[u8]) {
    let n = src.len();
    let at = out.len();
    match (src.get(..8), src.get(n.saturating_sub(8)..)) {
        (Some(head), Some(tail)) if n <= 16 => {
            // Two overlapping 8-byte copies cover 8..=16 bytes.
            out.extend_from_slice(head);
            out.truncate(at + n - 8);
            out.extend_from_slice(tail);
        }
        _ if n > 16 => match (src.get(..16), src.get(n.saturating_sub(16)..)) {
            // Two overlapping 16-byte copies cover 17..=32 bytes (timestamps).
            (Some(head), Some(tail)) if n <= 32 => {
                out.extend_from_slice(head);
                out.truncate(at + n - 16);
                out.extend_from_slice(tail);
            }
            _ => out.extend_from_slice(src),
        },
        _ => match (src.get(..4), src.get(n.saturating_sub(4)..)) {
            (Some(head), Some(tail)) => {
                out.extend_from_slice(head);
                out.truncate(at + n - 4);
                out.extend_from_slice(tail);
            }
            _ => {
                for &b in src {
                    out.push(b);
                }
            }
        },
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
        let mut out = Vec::new();
        push_i64(&mut out, v);
        String::from_utf8(out).unwrap()
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
        let mut out = Vec::new();
        push_u64(&mut out, u64::MAX);
        assert_eq!(out, u64::MAX.to_string().as_bytes());
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
            let mut out = b"x".to_vec();
            push_u64(&mut out, v.unsigned_abs());
            assert_eq!(&out[1..], v.unsigned_abs().to_string().as_bytes());
        }
    }

    #[test]
    fn tags_of_every_length() {
        for tag in (0..10u32)
            .flat_map(|e| {
                let p = 10u32.pow(e);
                [p - 1, p, p + 1]
            })
            .chain([u32::MAX])
        {
            let mut out = b"x".to_vec();
            push_tag(&mut out, tag);
            assert_eq!(&out[1..], format!("{tag}=").as_bytes());
        }
    }

    #[test]
    fn push_small_copies_every_length() {
        let src: Vec<u8> = (0..40u8).collect();
        for n in 0..=40 {
            let mut out = b"ab".to_vec();
            push_small(&mut out, &src[..n]);
            assert_eq!(&out[..2], b"ab");
            assert_eq!(&out[2..], &src[..n], "n={n}");
        }
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
