//! An SVG plot of round-trip latency by percentile: engine vs floor, on
//! HdrHistogram's usual axis (x = log10 of 1/(1-percentile)), with a
//! logarithmic latency axis so that the body of the distribution stays
//! visible beside a multi-millisecond maximum.

use hdrhistogram::Histogram;
use plotters::prelude::*;
use std::path::Path;

/// The deepest percentile drawn: 99.999 %.
const X_MAX: f64 = 5.0;

/// (x, µs) points of a histogram along the percentile axis.
fn points(h: &Histogram<u64>) -> Vec<(f64, f64)> {
    if h.is_empty() {
        return Vec::new();
    }
    (0..=200)
        .map(|i| {
            let x = X_MAX * f64::from(i) / 200.0;
            let q = 1.0 - 10f64.powf(-x);
            (x, h.value_at_quantile(q) as f64 / 1000.0)
        })
        .collect()
}

fn label(x: f64) -> String {
    match x.round() as i32 {
        0 => "0%".into(),
        1 => "90%".into(),
        2 => "99%".into(),
        3 => "99.9%".into(),
        4 => "99.99%".into(),
        _ => "99.999%".into(),
    }
}

/// The y axis: whole decades around the values (µs), at least one.
fn y_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| *v > 0.0)
        .fold((f64::INFINITY, 0f64), |(lo, hi), v| (lo.min(v), hi.max(v)));
    if hi <= 0.0 {
        return (0.1, 10.0);
    }
    let lo = 10f64.powf(lo.log10().floor());
    let hi = 10f64.powf(hi.log10().ceil()).max(lo * 10.0);
    (lo, hi)
}

/// An axis label: `0.5`, `20`, `1000`, `77000`.
fn micros(y: f64) -> String {
    if y < 1.0 {
        format!("{y:.2}")
    } else {
        format!("{y:.0}")
    }
}

/// Writes `path`: one line per (name, histogram).
pub fn write_svg(
    path: &Path,
    title: &str,
    series: &[(&str, &Histogram<u64>)],
) -> Result<(), String> {
    let lines: Vec<(&str, Vec<(f64, f64)>)> = series.iter().map(|(n, h)| (*n, points(h))).collect();
    let (y_min, y_max) = y_range(lines.iter().flat_map(|(_, p)| p.iter().map(|&(_, y)| y)));
    let root = SVGBackend::new(path, (960, 560)).into_drawing_area();
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..X_MAX, (y_min..y_max).log_scale())
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_labels(6)
        .x_label_formatter(&|x| label(*x))
        .y_label_formatter(&|y| micros(*y))
        .x_desc("percentile")
        .y_desc("round trip (µs, log scale)")
        .draw()
        .map_err(|e| err(&e))?;
    let colours = [RED, BLUE, GREEN, BLACK];
    for ((name, pts), colour) in lines.into_iter().zip(colours.iter().cycle()) {
        let style = colour.stroke_width(2);
        chart
            .draw_series(LineSeries::new(pts, style))
            .map_err(|e| err(&e))?
            .label(name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], style));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE)
        .border_style(BLACK)
        .draw()
        .map_err(|e| err(&e))?;
    root.present().map_err(|e| err(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_an_svg_with_both_lines() {
        let mut a = Histogram::<u64>::new_with_bounds(1, 1_000_000, 3).unwrap();
        let mut b = a.clone();
        for v in 1..1000u64 {
            a.record(v * 20).unwrap();
            b.record(v * 10).unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.svg");
        write_svg(&p, "t", &[("engine", &a), ("floor", &b)]).unwrap();
        let text = std::fs::read_to_string(&p).unwrap();
        assert!(text.starts_with("<svg"));
        assert!(text.contains("engine") && text.contains("floor"));
        assert!(text.matches("<polyline").count() >= 2);
    }

    /// The y pixel of every point of the SVG's polylines, in order.
    fn polyline_ys(svg: &str) -> Vec<Vec<f64>> {
        svg.split("<polyline")
            .skip(1)
            .map(|p| {
                let pts = p
                    .split("points=\"")
                    .nth(1)
                    .unwrap()
                    .split('"')
                    .next()
                    .unwrap();
                pts.split_whitespace()
                    .map(|xy| xy.split(',').nth(1).unwrap().parse::<f64>().unwrap())
                    .collect()
            })
            .collect()
    }

    #[test]
    fn the_body_stays_visible_beside_a_77_ms_maximum() {
        // 99.9 % between 10 and 20 us, the rest at 77 ms.
        let mut h = Histogram::<u64>::new_with_bounds(1, 1_000_000_000, 3).unwrap();
        for v in 0..99_900u64 {
            h.record(10_000 + v % 10_000).unwrap();
        }
        for _ in 0..100 {
            h.record(77_000_000).unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.svg");
        write_svg(&p, "t", &[("engine", &h)]).unwrap();
        let svg = std::fs::read_to_string(&p).unwrap();
        // The series is the polyline with a point per percentile step.
        let ys = polyline_ys(&svg);
        let line = ys
            .iter()
            .find(|l| l.len() == 201)
            .expect("the series' polyline");
        // p0 .. p99 (x 0..2): 10 to 20 us. On a linear axis up to 77 ms
        // they would sit within a pixel of each other; on the log axis
        // (1 us .. 100 ms, five decades) 10 -> 20 us is log10(2)/5 of it.
        let body = &line[..=80];
        let spread = body.iter().fold(f64::MIN, |a, &b| a.max(b))
            - body.iter().fold(f64::MAX, |a, &b| a.min(b));
        let full = line.iter().fold(f64::MIN, |a, &b| a.max(b))
            - line.iter().fold(f64::MAX, |a, &b| a.min(b));
        assert!(spread > 0.05 * full, "body spread {spread} px of {full} px");
        // Decade labels on the axis.
        for label in ["10", "100", "1000", "10000", "100000"] {
            assert!(
                svg.contains(&format!(">\n{label}\n</text>")),
                "label {label}"
            );
        }
        assert!(svg.contains("log scale"));
    }

    #[test]
    fn y_range_is_whole_decades() {
        assert_eq!(y_range([12.0, 77_000.0].into_iter()), (10.0, 100_000.0));
        assert_eq!(y_range([0.5, 3.0].into_iter()), (0.1, 10.0));
        assert_eq!(y_range([10.0].into_iter()), (10.0, 100.0));
        assert_eq!(y_range(std::iter::empty()), (0.1, 10.0));
    }
}
