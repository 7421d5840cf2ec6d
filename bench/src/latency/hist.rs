//! Histograms: percentiles in microseconds, HdrHistogram's percentile
//! text format (`.hgrm`), and the engine's probe buckets as a histogram.

use hdrhistogram::Histogram;
use std::fmt::Write as _;
use std::io;

/// The reported percentiles: (JSON key, quantile); `max` is the largest value.
pub const PERCENTILES: &[(&str, f64)] = &[
    ("p50", 0.5),
    ("p90", 0.9),
    ("p99", 0.99),
    ("p99.9", 0.999),
    ("p99.99", 0.9999),
    ("max", 1.0),
];

/// A histogram of nanoseconds from 1 ns to 60 s, 3 significant digits.
pub fn new_histogram() -> io::Result<Histogram<u64>> {
    Histogram::new_with_bounds(1, 60_000_000_000, 3).map_err(io::Error::other)
}

/// Records `ns` with coordinated-omission correction for a sender that
/// meant to start one round trip every `interval_ns`.
pub fn record_corrected(h: &mut Histogram<u64>, ns: u64, interval_ns: u64) {
    let ns = ns.clamp(1, h.high());
    if h.record_correct(ns, interval_ns).is_err() {
        h.saturating_record(ns);
    }
}

/// The values of [`PERCENTILES`] in microseconds.
pub fn percentiles_us(h: &Histogram<u64>) -> Vec<(&'static str, f64)> {
    PERCENTILES
        .iter()
        .map(|&(k, q)| {
            let ns = if q >= 1.0 {
                h.max()
            } else {
                h.value_at_quantile(q)
            };
            (k, ns as f64 / 1000.0)
        })
        .collect()
}

/// The probe's buckets (floor in ticks, count) as a nanosecond histogram.
pub fn from_probe(buckets: &[(u64, u64)], ticks_per_ns: f64) -> io::Result<Histogram<u64>> {
    let mut h = new_histogram()?;
    for &(ticks, n) in buckets {
        let ns = (ticks as f64 / ticks_per_ns).round() as u64;
        h.saturating_record_n(ns.max(1), n);
    }
    Ok(h)
}

/// HdrHistogram's percentile distribution text (as `HistogramLogProcessor`
/// and wrk2 print it), values in microseconds, 5 ticks per half distance.
pub fn hgrm(h: &Histogram<u64>) -> String {
    const SCALE: f64 = 1000.0;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{:>12} {:>14} {:>10} {:>14}\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    );
    if h.is_empty() {
        return s;
    }
    let mut total = 0u64;
    for v in h.iter_quantiles(5) {
        let q = v.quantile_iterated_to();
        let value = h.highest_equivalent(v.value_iterated_to()) as f64 / SCALE;
        total += v.count_since_last_iteration();
        if q < 1.0 {
            let _ = writeln!(
                s,
                "{value:12.3} {q:2.12} {total:10} {:14.2}",
                1.0 / (1.0 - q)
            );
        } else {
            let _ = writeln!(s, "{value:12.3} {q:2.12} {total:10}");
        }
    }
    let _ = writeln!(
        s,
        "#[Mean    = {:12.3}, StdDeviation   = {:12.3}]",
        h.mean() / SCALE,
        h.stdev() / SCALE
    );
    let _ = writeln!(
        s,
        "#[Max     = {:12.3}, Total count    = {:12}]",
        h.max() as f64 / SCALE,
        h.len()
    );
    let _ = writeln!(
        s,
        "#[Buckets = {:12}, SubBuckets     = {:12}]",
        h.buckets(),
        (2 * 10u64.pow(u32::from(h.sigfig()))).next_power_of_two()
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hgrm_lists_quantiles_and_totals() {
        let mut h = new_histogram().unwrap();
        for v in 1..=1000u64 {
            h.record(v * 1000).unwrap();
        }
        let text = hgrm(&h);
        let lines: Vec<_> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert!(lines[0].contains("Percentile"));
        let last = lines.iter().rev().find(|l| !l.trim().is_empty()).unwrap();
        let cols: Vec<_> = last.split_whitespace().collect();
        assert_eq!(cols[1], "1.000000000000");
        assert_eq!(cols[2], "1000");
        assert!((cols[0].parse::<f64>().unwrap() - 1000.0).abs() < 1.0);
        assert!(text.contains("Total count    =         1000"));
    }

    #[test]
    fn corrected_recording_backfills_stalls() {
        let mut h = new_histogram().unwrap();
        record_corrected(&mut h, 10_000, 1_000);
        assert_eq!(h.len(), 10);
        let p = percentiles_us(&h);
        assert_eq!(p[5].0, "max");
        assert!((p[5].1 - 10.0).abs() < 0.1);
    }

    #[test]
    fn probe_buckets_convert_with_the_clock_rate() {
        let h = from_probe(&[(3000, 5), (6000, 1)], 3.0).unwrap();
        assert_eq!(h.len(), 6);
        assert!((h.value_at_quantile(0.5) as f64 - 1000.0).abs() < 2.0);
    }
}
