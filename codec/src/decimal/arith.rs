//! Checked arithmetic, rescaling with an explicit rounding mode, and
//! comparison by value. Intermediate results are `i128`, so every
//! operation of two `Decimal`s is exact before its final fit check.

use super::{Decimal, MAX_SCALE};
use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

/// Why a `Decimal` operation has no result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    /// The result's mantissa does not fit an `i64`, or it needs more than
    /// [`MAX_SCALE`] digits after the point.
    #[error("decimal result out of range")]
    Overflow,
    /// Division by zero.
    #[error("decimal division by zero")]
    DivisionByZero,
}

/// How to drop digits when a result has more than the scale asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rounding {
    /// Toward zero (truncate).
    Down,
    /// Away from zero.
    Up,
    /// Toward negative infinity.
    Floor,
    /// Toward positive infinity.
    Ceiling,
    /// To the nearest; a tie goes away from zero.
    HalfUp,
    /// To the nearest; a tie goes toward zero.
    HalfDown,
    /// To the nearest; a tie goes to the even neighbour (banker's rounding).
    HalfEven,
}

/// `10^n` for `n` up to 38 (the largest power of ten in an `i128`).
fn pow10(n: u32) -> Option<i128> {
    10i128.checked_pow(n)
}

/// `num / den` rounded as told (`den != 0`).
fn div_round(num: i128, den: i128, mode: Rounding) -> i128 {
    let q = num / den;
    let r = num % den;
    if r == 0 {
        return q;
    }
    let negative = (num < 0) != (den < 0);
    let (r, d) = (r.unsigned_abs(), den.unsigned_abs());
    let away = match mode {
        Rounding::Down => false,
        Rounding::Up => true,
        Rounding::Floor => negative,
        Rounding::Ceiling => !negative,
        Rounding::HalfUp | Rounding::HalfDown | Rounding::HalfEven => match r.cmp(&(d - r)) {
            Ordering::Greater => true,
            Ordering::Less => false,
            Ordering::Equal => match mode {
                Rounding::HalfUp => true,
                Rounding::HalfDown => false,
                _ => q % 2 != 0,
            },
        },
    };
    match (away, negative) {
        (false, _) => q,
        (true, false) => q + 1,
        (true, true) => q - 1,
    }
}

/// `mantissa / 10^scale` as a `Decimal`: trailing zeros dropped while the
/// scale is above [`MAX_SCALE`] or the mantissa does not fit.
fn fit(mut mantissa: i128, mut scale: u32) -> Result<Decimal, DecimalError> {
    while scale > 0
        && mantissa % 10 == 0
        && (scale > u32::from(MAX_SCALE) || i64::try_from(mantissa).is_err())
    {
        mantissa /= 10;
        scale -= 1;
    }
    let mantissa = i64::try_from(mantissa).map_err(|_| DecimalError::Overflow)?;
    let scale = u8::try_from(scale)
        .ok()
        .filter(|&s| s <= MAX_SCALE)
        .ok_or(DecimalError::Overflow)?;
    Ok(Decimal { mantissa, scale })
}

/// Both mantissas at the larger scale (`None` when one does not fit an `i128`).
fn aligned(a: Decimal, b: Decimal) -> Option<(i128, i128, u32)> {
    let s = a.scale.max(b.scale);
    let am = i128::from(a.mantissa).checked_mul(pow10(u32::from(s - a.scale))?)?;
    let bm = i128::from(b.mantissa).checked_mul(pow10(u32::from(s - b.scale))?)?;
    Some((am, bm, u32::from(s)))
}

impl Decimal {
    /// `self + rhs`, exact, at the larger of the two scales.
    pub fn try_add(self, rhs: Decimal) -> Result<Decimal, DecimalError> {
        let (a, b, s) = aligned(self, rhs).ok_or(DecimalError::Overflow)?;
        fit(a.checked_add(b).ok_or(DecimalError::Overflow)?, s)
    }

    /// `self - rhs`, exact, at the larger of the two scales.
    pub fn try_sub(self, rhs: Decimal) -> Result<Decimal, DecimalError> {
        let (a, b, s) = aligned(self, rhs).ok_or(DecimalError::Overflow)?;
        fit(a.checked_sub(b).ok_or(DecimalError::Overflow)?, s)
    }

    /// `self * rhs`, exact, at the sum of the scales (trailing zeros dropped
    /// when that is needed to fit).
    pub fn try_mul(self, rhs: Decimal) -> Result<Decimal, DecimalError> {
        // Two i64 mantissas: the product fits an i128.
        let m = i128::from(self.mantissa) * i128::from(rhs.mantissa);
        fit(m, u32::from(self.scale) + u32::from(rhs.scale))
    }

    /// `self / rhs` at `scale` digits after the point, rounded as told.
    pub fn try_div(
        self,
        rhs: Decimal,
        scale: u8,
        rounding: Rounding,
    ) -> Result<Decimal, DecimalError> {
        if rhs.mantissa == 0 {
            return Err(DecimalError::DivisionByZero);
        }
        if scale > MAX_SCALE {
            return Err(DecimalError::Overflow);
        }
        // self / rhs = (a / 10^sa) / (b / 10^sb); the mantissa at `scale` is
        // a * 10^(sb + scale - sa) / b.
        let e = i32::from(rhs.scale) + i32::from(scale) - i32::from(self.scale);
        let (num, den) = if e >= 0 {
            // A numerator beyond i128 divided by at most |i64::MIN| cannot
            // fit an i64 either.
            let p = pow10(e.unsigned_abs()).ok_or(DecimalError::Overflow)?;
            let num = i128::from(self.mantissa)
                .checked_mul(p)
                .ok_or(DecimalError::Overflow)?;
            (num, i128::from(rhs.mantissa))
        } else {
            // At most 10^18 * |i64::MIN|: fits.
            let p = pow10(e.unsigned_abs()).ok_or(DecimalError::Overflow)?;
            (i128::from(self.mantissa), i128::from(rhs.mantissa) * p)
        };
        let m = div_round(num, den, rounding);
        let mantissa = i64::try_from(m).map_err(|_| DecimalError::Overflow)?;
        Ok(Decimal { mantissa, scale })
    }

    /// The same value at `scale` digits after the point: exact when the
    /// scale grows (or an error when the mantissa would not fit), rounded as
    /// told when it shrinks.
    pub fn rescale(self, scale: u8, rounding: Rounding) -> Result<Decimal, DecimalError> {
        if scale > MAX_SCALE {
            return Err(DecimalError::Overflow);
        }
        let m = i128::from(self.mantissa);
        let m = match scale.cmp(&self.scale) {
            Ordering::Equal => return Ok(self),
            Ordering::Greater => {
                let p = pow10(u32::from(scale - self.scale)).ok_or(DecimalError::Overflow)?;
                m.checked_mul(p).ok_or(DecimalError::Overflow)?
            }
            Ordering::Less => match pow10(u32::from(self.scale - scale)) {
                Some(p) => div_round(m, p, rounding),
                // More than 38 digits dropped: the value is below half a unit.
                None => div_round(m.signum(), 3, rounding),
            },
        };
        let mantissa = i64::try_from(m).map_err(|_| DecimalError::Overflow)?;
        Ok(Decimal { mantissa, scale })
    }

    /// `-self` (only `i64::MIN` has no negation).
    pub fn try_neg(self) -> Result<Decimal, DecimalError> {
        let mantissa = self.mantissa.checked_neg().ok_or(DecimalError::Overflow)?;
        Ok(Decimal {
            mantissa,
            scale: self.scale,
        })
    }

    /// `|self|` (only `i64::MIN` has no absolute value).
    pub fn try_abs(self) -> Result<Decimal, DecimalError> {
        let mantissa = self.mantissa.checked_abs().ok_or(DecimalError::Overflow)?;
        Ok(Decimal {
            mantissa,
            scale: self.scale,
        })
    }

    /// Whether the value is zero (at any scale).
    pub fn is_zero(self) -> bool {
        self.mantissa == 0
    }

    /// Whether the value is below zero.
    pub fn is_negative(self) -> bool {
        self.mantissa < 0
    }
}

impl From<i64> for Decimal {
    fn from(v: i64) -> Self {
        Decimal::new(v, 0)
    }
}

impl PartialEq for Decimal {
    #[inline]
    fn eq(&self, other: &Self) -> bool {
        if self.scale == other.scale {
            return self.mantissa == other.mantissa;
        }
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Decimal {}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        if self.scale == other.scale {
            return self.mantissa.cmp(&other.mantissa);
        }
        let signs = self.mantissa.signum().cmp(&other.mantissa.signum());
        if signs != Ordering::Equal || self.mantissa == 0 {
            return signs;
        }
        match aligned(*self, *other) {
            Some((a, b, _)) => a.cmp(&b),
            // Same sign, both nonzero, and the one with the smaller scale
            // does not fit an i128 at the common scale: its magnitude is the
            // larger (the other's mantissa fits an i64).
            None => {
                let self_bigger = self.scale < other.scale;
                match (self_bigger, self.mantissa > 0) {
                    (true, true) | (false, false) => Ordering::Greater,
                    _ => Ordering::Less,
                }
            }
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Hash for Decimal {
    fn hash<H: Hasher>(&self, state: &mut H) {
        // Equal values have the same normalized form.
        let n = self.normalized();
        n.mantissa.hash(state);
        n.scale.hash(state);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn d(s: &str) -> Decimal {
        Decimal::parse(s.as_bytes()).unwrap()
    }

    #[test]
    fn equality_ordering_and_hash_by_value() {
        assert_eq!(d("1.50"), d("1.5"));
        assert_eq!(d("0"), d("0.000"));
        assert_eq!(d("-2.10"), d("-2.1"));
        assert_ne!(d("1.51"), d("1.5"));
        assert!(d("1.5") < d("1.51") && d("-1.5") > d("-1.51"));
        assert!(d("100") > d("99.9999999999999999"));
        let huge = Decimal::new(i64::MAX, 0);
        let tiny = Decimal::new(1, 18);
        assert!(huge > tiny);
        assert_eq!(tiny.cmp(&huge), Ordering::Less);
        assert!(Decimal::new(i64::MIN, 0) < Decimal::new(-1, 18));
        assert!(Decimal::new(-5, 200) < Decimal::new(0, 0));
        let set: HashSet<Decimal> = [d("1.50"), d("1.5"), d("1.500"), d("2")].into();
        assert_eq!(set.len(), 2);
        let mut v = vec![d("3"), d("-1.5"), d("2.25"), d("2.2500"), d("0")];
        v.sort();
        assert_eq!(v, [d("-1.5"), d("0"), d("2.25"), d("2.25"), d("3")]);
    }

    #[test]
    fn checked_arithmetic() {
        assert_eq!(d("1.25").try_add(d("2.5")).unwrap().to_string(), "3.75");
        assert_eq!(d("1.25").try_sub(d("2.5")).unwrap().to_string(), "-1.25");
        assert_eq!(d("1.25").try_mul(d("-2.5")).unwrap().to_string(), "-3.125");
        let max = Decimal::new(i64::MAX, 0);
        assert_eq!(max.try_add(d("1")), Err(DecimalError::Overflow));
        assert_eq!(max.try_add(d("0.1")), Err(DecimalError::Overflow));
        assert_eq!(
            Decimal::new(i64::MIN, 0).try_sub(d("1")),
            Err(DecimalError::Overflow)
        );
        assert_eq!(max.try_mul(d("2")), Err(DecimalError::Overflow));
        // 19 digits after the point: beyond MAX_SCALE.
        assert_eq!(
            d("0.000000001").try_mul(d("0.0000000001")),
            Err(DecimalError::Overflow)
        );
        // Trailing zeros make room: 10^10 at scale 18 times itself.
        let big = Decimal::new(10_000_000_000_000_000, 18);
        assert_eq!(big.try_mul(big).unwrap(), d("0.0001"));
        assert_eq!(d("0.10").try_mul(d("0.10")).unwrap(), d("0.01"));
        assert_eq!(d("1.5").try_neg().unwrap(), d("-1.5"));
        assert_eq!(
            Decimal::new(i64::MIN, 2).try_abs(),
            Err(DecimalError::Overflow)
        );
        assert_eq!(Decimal::from(7), d("7.0"));
    }

    #[test]
    fn division_and_rescaling_round_as_told() {
        let cases: [(Rounding, [&str; 6]); 7] = [
            // 2.5  -2.5  2.45  1.35  -1.35  2.51  (to one digit less)
            (Rounding::Down, ["2", "-2", "2.4", "1.3", "-1.3", "2.5"]),
            (Rounding::Up, ["3", "-3", "2.5", "1.4", "-1.4", "2.6"]),
            (Rounding::Floor, ["2", "-3", "2.4", "1.3", "-1.4", "2.5"]),
            (Rounding::Ceiling, ["3", "-2", "2.5", "1.4", "-1.3", "2.6"]),
            (Rounding::HalfUp, ["3", "-3", "2.5", "1.4", "-1.4", "2.5"]),
            (Rounding::HalfDown, ["2", "-2", "2.4", "1.3", "-1.3", "2.5"]),
            (Rounding::HalfEven, ["2", "-2", "2.4", "1.4", "-1.4", "2.5"]),
        ];
        let inputs = ["2.5", "-2.5", "2.45", "1.35", "-1.35", "2.51"];
        for (mode, want) in cases {
            for (x, w) in inputs.iter().zip(want) {
                let x = d(x);
                let got = x.rescale(x.scale - 1, mode).unwrap();
                assert_eq!(got.to_string(), w, "{x} {mode:?}");
            }
        }
        assert_eq!(
            d("1")
                .try_div(d("3"), 4, Rounding::HalfUp)
                .unwrap()
                .to_string(),
            "0.3333"
        );
        assert_eq!(
            d("2")
                .try_div(d("3"), 4, Rounding::HalfUp)
                .unwrap()
                .to_string(),
            "0.6667"
        );
        assert_eq!(
            d("-2")
                .try_div(d("3"), 0, Rounding::Floor)
                .unwrap()
                .to_string(),
            "-1"
        );
        assert_eq!(
            d("10.5").try_div(d("0.25"), 0, Rounding::Down).unwrap(),
            d("42")
        );
        assert_eq!(
            d("1").try_div(d("0.00"), 2, Rounding::Down),
            Err(DecimalError::DivisionByZero)
        );
        assert_eq!(
            Decimal::new(i64::MAX, 0).try_div(d("0.1"), 0, Rounding::Down),
            Err(DecimalError::Overflow)
        );
        assert_eq!(
            d("1.5").rescale(4, Rounding::Down).unwrap().to_string(),
            "1.5000"
        );
        assert_eq!(
            Decimal::new(i64::MAX, 0).rescale(1, Rounding::Down),
            Err(DecimalError::Overflow)
        );
        assert_eq!(
            d("1").rescale(19, Rounding::Down),
            Err(DecimalError::Overflow)
        );
        assert_eq!(
            Decimal::new(5, 60).rescale(0, Rounding::Ceiling),
            Ok(d("1"))
        );
        assert_eq!(
            Decimal::new(-5, 60).rescale(0, Rounding::HalfUp),
            Ok(d("0"))
        );
    }

    proptest::proptest! {
        #[test]
        fn agrees_with_exact_integer_arithmetic(
            am in proptest::prelude::any::<i64>(), as_ in 0u8..=18,
            bm in proptest::prelude::any::<i64>(), bs in 0u8..=18,
        ) {
            let (a, b) = (Decimal::new(am, as_), Decimal::new(bm, bs));
            // Both at scale 18: exact in an i128.
            let wide = |x: Decimal| i128::from(x.mantissa) * 10i128.pow(18 - u32::from(x.scale));
            proptest::prop_assert_eq!(a.cmp(&b), wide(a).cmp(&wide(b)));
            proptest::prop_assert_eq!(a == b, wide(a) == wide(b));
            if let Ok(sum) = a.try_add(b) {
                proptest::prop_assert_eq!(wide(sum), wide(a) + wide(b));
            } else {
                // Only when the exact sum at the larger scale leaves an i64.
                let s = u32::from(as_.max(bs));
                let exact = (wide(a) + wide(b)) / 10i128.pow(18 - s);
                proptest::prop_assert!(i64::try_from(exact).is_err());
            }
            if let Ok(p) = a.try_mul(b) {
                let exact = i128::from(am) * i128::from(bm);
                let scale = u32::from(as_) + u32::from(bs);
                let back = i128::from(p.mantissa) * 10i128.pow(scale - u32::from(p.scale));
                proptest::prop_assert_eq!(back, exact);
            }
        }
    }
}
