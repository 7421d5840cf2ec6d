//! `Decimal`: FIX Price/Qty/Amt values without floating point.

mod arith;

pub use arith::{DecimalError, Rounding};

use crate::error::ValueError;
use crate::itoa::{digits_word, format_u64, MAX_INT_LEN};
use crate::out::Out;
use std::fmt;

/// Most digits after the decimal point.
pub const MAX_SCALE: u8 = 18;

/// `mantissa / 10^scale`, e.g. `123.45` is `{ mantissa: 12345, scale: 2 }`.
///
/// Equality, ordering and hashing are by value (`1.50 == 1.5`, the
/// representation aside). Arithmetic is checked and exact
/// ([`Decimal::try_add`], [`Decimal::try_sub`], [`Decimal::try_mul`]) or
/// rounds as told ([`Decimal::try_div`], [`Decimal::rescale`]); a result
/// that does not fit returns [`DecimalError::Overflow`]. No floating point.
///
/// ```
/// use ringfix_codec::{Decimal, Rounding};
///
/// let px = Decimal::new(15050, 2); // 150.50
/// assert_eq!(px, Decimal::new(1505, 1));
/// assert!(px > Decimal::new(150, 0));
/// let notional = px.try_mul(Decimal::new(300, 0)).unwrap();
/// assert_eq!(notional.to_string(), "45150.00");
/// let avg = notional.try_div(Decimal::new(7, 0), 4, Rounding::HalfEven).unwrap();
/// assert_eq!(avg.to_string(), "6450.0000");
/// assert_eq!(Decimal::new(12345, 3).rescale(2, Rounding::HalfUp).unwrap().to_string(), "12.35");
/// assert!(Decimal::new(i64::MAX, 0).try_add(Decimal::new(1, 0)).is_err());
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct Decimal {
    /// The digits as an integer.
    pub mantissa: i64,
    /// Digits after the decimal point.
    pub scale: u8,
}

impl Decimal {
    /// `mantissa / 10^scale`.
    pub const fn new(mantissa: i64, scale: u8) -> Self {
        Decimal { mantissa, scale }
    }

    /// Parse `[-]digits[.digits]` (at least one digit; at most 18 significant
    /// digits after leading zeros; `scale` <= [`MAX_SCALE`]).
    pub fn parse(v: &[u8]) -> Result<Self, ValueError> {
        let (neg, body) = match v {
            [] => return Err(ValueError::Empty),
            [b'-', rest @ ..] => (true, rest),
            _ => (false, v),
        };
        let mut mantissa: u64 = 0;
        let mut scale: u32 = 0;
        let mut seen_point = false;
        let mut digits = 0u32;
        for &b in body {
            let d = b.wrapping_sub(b'0');
            if d <= 9 {
                digits += 1;
                mantissa = mantissa
                    .checked_mul(10)
                    .and_then(|m| m.checked_add(u64::from(d)))
                    .ok_or(ValueError::Overflow)?;
                if seen_point {
                    scale += 1;
                }
            } else if b == b'.' && !seen_point {
                seen_point = true;
            } else {
                return Err(ValueError::Format);
            }
        }
        if digits == 0 {
            return Err(ValueError::Format);
        }
        if scale > u32::from(MAX_SCALE) {
            return Err(ValueError::Overflow);
        }
        let mantissa = if neg {
            // i64::MIN has no positive counterpart: negate in the unsigned domain.
            if mantissa > i64::MIN.unsigned_abs() {
                return Err(ValueError::Overflow);
            }
            (mantissa as i64).wrapping_neg()
        } else {
            i64::try_from(mantissa).map_err(|_| ValueError::Overflow)?
        };
        Ok(Decimal {
            mantissa,
            scale: scale as u8,
        })
    }

    /// Same value with trailing fractional zeros removed.
    pub fn normalized(self) -> Self {
        let mut d = self;
        while d.scale > 0 && d.mantissa % 10 == 0 {
            d.mantissa /= 10;
            d.scale -= 1;
        }
        d
    }

    /// Nearest `f64` (for display and statistics, never on the wire path).
    pub fn to_f64(self) -> f64 {
        self.mantissa as f64 / 10f64.powi(i32::from(self.scale))
    }

    /// Append the FIX form (`-0.05`, `123.45`, `100`) to `out`.
    #[inline(always)]
    pub fn push(self, out: &mut Vec<u8>) {
        let mut o = Out::new(out);
        o.reserve(self.max_len());
        // SAFETY: reserved the longest form just above.
        unsafe { self.put(&mut o) };
    }

    /// Longest FIX form at this scale: a sign and either 19 digits and
    /// the point, or `0.` and `scale` digits.
    #[inline(always)]
    pub(crate) fn max_len(self) -> usize {
        3 + usize::from(self.scale).max(19)
    }

    /// The FIX form in a little-endian word (first byte low) and its
    /// length, when it fits in 8 bytes and needs no leading `0.`: most
    /// prices and quantities, built in registers.
    #[inline(always)]
    pub(crate) fn word(self) -> Option<(u64, usize)> {
        let (mut w, mut n) = digits_word(self.mantissa.unsigned_abs())?;
        let scale = usize::from(self.scale);
        if scale > 0 {
            if scale >= n || n >= 8 {
                return None;
            }
            // The point goes after the first `n - scale` digits.
            let int_bits = 8 * (n - scale);
            let int = (1u64 << int_bits) - 1;
            w = (w & int) | u64::from(b'.') << int_bits | (w & !int) << 8;
            n += 1;
        }
        if self.mantissa < 0 {
            if n >= 8 {
                return None;
            }
            w = w << 8 | u64::from(b'-');
            n += 1;
        }
        Some((w, n))
    }

    /// Append the FIX form through an encoder's cursor.
    ///
    /// # Safety
    /// [`Decimal::max_len`] bytes of room in `o`.
    #[inline(always)]
    pub(crate) unsafe fn put(self, o: &mut Out<'_>) {
        if let Some((w, n)) = self.word() {
            // SAFETY: `max_len` is at least 22, above a word store's 8.
            unsafe { o.put_word(w, n) };
            return;
        }
        let mut buf = [0u8; MAX_INT_LEN];
        let start = format_u64(self.mantissa.unsigned_abs(), &mut buf);
        let digits = buf.get(start..).unwrap_or_default();
        let scale = usize::from(self.scale);
        // SAFETY: at most `max_len` bytes in all: `digits` has at most 19
        // (an `i64`'s magnitude), so a sign, the digits and a point, or a
        // sign, `0.`, `scale - digits.len()` zeros and the digits.
        unsafe {
            if self.mantissa < 0 {
                o.put_byte(b'-');
            }
            if scale == 0 {
                o.put_bytes(digits);
            } else if digits.len() > scale {
                let (int, frac) = digits.split_at(digits.len() - scale);
                o.put_bytes(int);
                o.put_byte(b'.');
                o.put_bytes(frac);
            } else {
                o.put_bytes(b"0.");
                for _ in digits.len()..scale {
                    o.put_byte(b'0');
                }
                o.put_bytes(digits);
            }
        }
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::with_capacity(24);
        self.push(&mut out);
        f.write_str(std::str::from_utf8(&out).map_err(|_| fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_integer_arithmetic() {
        let reference = |m: i64, s: u8| {
            let (a, p) = (m.unsigned_abs(), 10u64.pow(u32::from(s)));
            let sign = if m < 0 { "-" } else { "" };
            if s == 0 {
                format!("{sign}{a}")
            } else {
                format!("{sign}{}.{:0w$}", a / p, a % p, w = usize::from(s))
            }
        };
        let mantissas = (0..12u32)
            .flat_map(|e| {
                let p = 10i64.pow(e);
                [p - 1, p, p + 1]
            })
            .chain((0..500i64).map(|i| i * 37_813 + 3));
        for m in mantissas {
            for s in 0..=9u8 {
                for m in [m, -m] {
                    let mut out = Vec::new();
                    Decimal::new(m, s).push(&mut out);
                    assert_eq!(String::from_utf8(out).unwrap(), reference(m, s), "{m} {s}");
                }
            }
        }
    }

    #[test]
    fn parses_and_formats() {
        for (text, m, s) in [
            ("123.45", 12345, 2),
            ("100", 100, 0),
            ("-0.05", -5, 2),
            ("0.5", 5, 1),
            ("150.00", 15000, 2),
            ("0", 0, 0),
        ] {
            let d = Decimal::parse(text.as_bytes()).unwrap();
            assert_eq!(d, Decimal::new(m, s), "{text}");
            assert_eq!(d.to_string(), text);
        }
        assert_eq!(Decimal::parse(b".5").unwrap(), Decimal::new(5, 1));
        assert_eq!(Decimal::parse(b"5.").unwrap(), Decimal::new(5, 0));
        assert_eq!(Decimal::parse(b"007").unwrap().to_string(), "7");
    }

    #[test]
    fn rejects_bad_decimals() {
        assert_eq!(Decimal::parse(b""), Err(ValueError::Empty));
        for bad in [&b"-"[..], b".", b"1.2.3", b"1e5", b"+1", b"12a", b" 1"] {
            assert_eq!(Decimal::parse(bad), Err(ValueError::Format), "{bad:?}");
        }
        assert_eq!(
            Decimal::parse(b"99999999999999999999"),
            Err(ValueError::Overflow)
        );
        assert_eq!(
            Decimal::parse(b"0.0000000000000000001"),
            Err(ValueError::Overflow)
        );
    }

    #[test]
    fn normalizes_and_converts() {
        assert_eq!(Decimal::new(15000, 2).normalized(), Decimal::new(150, 0));
        assert!((Decimal::new(12345, 2).to_f64() - 123.45).abs() < 1e-9);
        assert_eq!(Decimal::new(i64::MIN, 0).to_string(), i64::MIN.to_string());
        let min = Decimal::new(i64::MIN, 3);
        assert_eq!(Decimal::parse(min.to_string().as_bytes()), Ok(min));
        assert_eq!(Decimal::new(-5, 20).to_string(), "-0.00000000000000000005");
        assert_eq!(Decimal::new(7, 1).to_string(), "0.7");
    }
}
