//! An SVG plot of round-trip latency by percentile: engine vs floor, on
//! HdrHistogram's usual axis (x = log10 of 1/(1-percentile)).

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

/// Writes `path`: one line per (name, histogram).
pub fn write_svg(
    path: &Path,
    title: &str,
    series: &[(&str, &Histogram<u64>)],
) -> Result<(), String> {
    let lines: Vec<(&str, Vec<(f64, f64)>)> = series.iter().map(|(n, h)| (*n, points(h))).collect();
    let y_max = lines
        .iter()
        .flat_map(|(_, p)| p.iter().map(|&(_, y)| y))
        .fold(1.0f64, f64::max)
        * 1.1;
    let root = SVGBackend::new(path, (960, 560)).into_drawing_area();
    let err = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
    root.fill(&WHITE).map_err(|e| err(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 20))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(0f64..X_MAX, 0f64..y_max)
        .map_err(|e| err(&e))?;
    chart
        .configure_mesh()
        .x_labels(6)
        .x_label_formatter(&|x| label(*x))
        .x_desc("percentile")
        .y_desc("round trip (µs)")
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
}
