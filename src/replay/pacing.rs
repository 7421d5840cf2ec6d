//! Replay speed and pacing fidelity: how late each send went out against
//! its schedule (captured offset divided by the speed).

use std::fmt;
use std::str::FromStr;

use hdrhistogram::Histogram;

/// How fast to replay.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Speed {
    /// Captured gaps divided by this factor (`1x`, `10x`, `0.5x`).
    Factor(f64),
    /// As fast as the session allows.
    Max,
}

impl FromStr for Speed {
    type Err = String;

    fn from_str(s: &str) -> Result<Speed, String> {
        if s.eq_ignore_ascii_case("max") {
            return Ok(Speed::Max);
        }
        let n = s.strip_suffix(['x', 'X']).unwrap_or(s);
        match n.parse::<f64>() {
            Ok(f) if f.is_finite() && f > 0.0 => Ok(Speed::Factor(f)),
            _ => Err(format!("speed must be like 1x, 10x or max, not {s:?}")),
        }
    }
}

impl fmt::Display for Speed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Speed::Factor(x) => write!(f, "{x}x"),
            Speed::Max => f.write_str("max"),
        }
    }
}

impl Speed {
    /// When the message captured `offset` ns after the first one is due,
    /// relative to the replay's start; `None` at max speed (always due).
    pub fn scheduled(self, offset: i64) -> Option<i64> {
        match self {
            Speed::Factor(x) => Some((offset.max(0) as f64 / x) as i64),
            Speed::Max => None,
        }
    }
}

/// Lateness of sends (ns), as a histogram.
pub struct Pacing {
    hist: Option<Histogram<u64>>,
}

/// Pacing percentiles, in nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PacingReport {
    /// Sends measured.
    pub sends: u64,
    /// Median lateness.
    pub p50: u64,
    /// 99th percentile.
    pub p99: u64,
    /// Worst.
    pub max: u64,
}

impl Pacing {
    /// An empty record.
    pub fn new() -> Self {
        Self {
            // 1 ns to one hour, 3 significant digits; later is "an hour".
            hist: Histogram::new_with_bounds(1, 3_600_000_000_000, 3).ok(),
        }
    }

    /// A send scheduled at `scheduled` went out at `actual`.
    pub fn record(&mut self, scheduled: i64, actual: i64) {
        let late = u64::try_from(actual.saturating_sub(scheduled)).unwrap_or(0);
        if let Some(h) = self.hist.as_mut() {
            h.saturating_record(late);
        }
    }

    /// The percentiles.
    pub fn report(&self) -> PacingReport {
        match &self.hist {
            Some(h) if !h.is_empty() => PacingReport {
                sends: h.len(),
                p50: h.value_at_quantile(0.5),
                p99: h.value_at_quantile(0.99),
                max: h.max(),
            },
            _ => PacingReport::default(),
        }
    }
}

impl Default for Pacing {
    fn default() -> Self {
        Self::new()
    }
}

/// Nanoseconds for people: `850ns`, `12.3us`, `4.1ms`, `2.0s`.
pub fn human(ns: u64) -> String {
    let n = ns as f64;
    if ns < 1_000 {
        format!("{ns}ns")
    } else if ns < 1_000_000 {
        format!("{:.1}us", n / 1e3)
    } else if ns < 1_000_000_000 {
        format!("{:.1}ms", n / 1e6)
    } else {
        format!("{:.1}s", n / 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn speeds_parse_and_scale() {
        assert_eq!("10x".parse::<Speed>(), Ok(Speed::Factor(10.0)));
        assert_eq!("max".parse::<Speed>(), Ok(Speed::Max));
        assert!("0x".parse::<Speed>().is_err());
        assert!("fast".parse::<Speed>().is_err());
        assert_eq!(
            Speed::Factor(10.0).scheduled(1_000_000_000),
            Some(100_000_000)
        );
        assert_eq!(Speed::Max.scheduled(5), None);
    }

    #[test]
    fn percentiles_of_lateness() {
        let mut p = Pacing::new();
        for late in 1..=100 {
            p.record(0, late * 1000);
        }
        p.record(10, 5); // early counts as on time
        let r = p.report();
        assert_eq!(r.sends, 101);
        assert!((49_000..=51_000).contains(&r.p50), "{r:?}");
        assert!((98_000..=100_100).contains(&r.p99), "{r:?}");
        assert!((100_000..=100_100).contains(&r.max), "{r:?}");
    }
}
