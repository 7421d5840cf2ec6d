//! Parses Prometheus text exposition with the reference client's parser
//! (Python `prometheus_client.parser`; `.ci/run` installs it), and checks
//! what that parser lets through: every family declared once with HELP
//! and TYPE before its samples, histograms cumulative with `+Inf` equal
//! to `_count`.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

/// One sample: family name and type, sample name, labels, value.
#[derive(Debug, Clone)]
pub struct Sample {
    pub family: String,
    pub kind: String,
    pub name: String,
    pub labels: BTreeMap<String, String>,
    pub value: f64,
}

const PARSE: &str = r#"
import json, sys
from prometheus_client.parser import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    for s in f.samples:
        out.append({"family": f.name, "type": f.type, "name": s.name,
                    "labels": s.labels, "value": s.value})
print(json.dumps(out))
"#;

/// Every sample of `text`; panics (the test fails) if the text does not
/// parse or breaks the format's rules.
pub fn parse(text: &str) -> Vec<Sample> {
    let mut child = Command::new("python3")
        .args(["-c", PARSE])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 (with prometheus_client: pip install prometheus_client)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert!(
        o.status.success(),
        "the Prometheus parser refused the text (or is missing: pip install prometheus_client): {}\n{text}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    let samples: Vec<Sample> = v
        .as_array()
        .unwrap()
        .iter()
        .map(|s| Sample {
            family: s["family"].as_str().unwrap().to_owned(),
            kind: s["type"].as_str().unwrap().to_owned(),
            name: s["name"].as_str().unwrap().to_owned(),
            labels: s["labels"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                .collect(),
            value: s["value"].as_f64().unwrap(),
        })
        .collect();
    check_structure(text);
    check_histograms(&samples);
    samples
}

/// HELP then TYPE once per family, before any of its samples, and every
/// sample belongs to the family declared last.
fn check_structure(text: &str) {
    let mut declared = HashSet::new();
    let mut current: Option<(String, String)> = None;
    let mut help: Option<String> = None;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            help = Some(rest.split(' ').next().unwrap().to_owned());
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut it = rest.split(' ');
            let (name, kind) = (it.next().unwrap(), it.next().unwrap());
            assert_eq!(help.as_deref(), Some(name), "HELP before TYPE of {name}");
            assert!(declared.insert(name.to_owned()), "{name} declared twice");
            current = Some((name.to_owned(), kind.to_owned()));
        } else {
            let (family, kind) = current.as_ref().expect("a sample before any TYPE");
            let name = line.split(['{', ' ']).next().unwrap();
            let ok = match kind.as_str() {
                "histogram" => [
                    format!("{family}_bucket"),
                    format!("{family}_sum"),
                    format!("{family}_count"),
                ]
                .contains(&name.to_owned()),
                _ => name == family,
            };
            assert!(ok, "{name} is not of family {family} ({kind})");
            if kind == "counter" {
                assert!(
                    family.ends_with("_total"),
                    "counter {family} without _total"
                );
            }
        }
    }
}

/// A histogram's series: family and labels without `le`.
type Series = (String, BTreeMap<String, String>);

fn check_histograms(samples: &[Sample]) {
    let mut buckets: BTreeMap<Series, Vec<(f64, f64)>> = BTreeMap::new();
    let mut counts = BTreeMap::new();
    for s in samples.iter().filter(|s| s.kind == "histogram") {
        let mut labels = s.labels.clone();
        if s.name.ends_with("_bucket") {
            let le = labels.remove("le").expect("a bucket without le");
            let bound = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap()
            };
            buckets
                .entry((s.family.clone(), labels))
                .or_default()
                .push((bound, s.value));
        } else if s.name.ends_with("_count") {
            counts.insert((s.family.clone(), labels), s.value);
        }
    }
    for (key, b) in &buckets {
        assert!(
            b.windows(2).all(|w| w[0].0 < w[1].0),
            "le ascending: {key:?}"
        );
        assert!(
            b.windows(2).all(|w| w[0].1 <= w[1].1),
            "cumulative: {key:?}"
        );
        let last = b.last().unwrap();
        assert!(last.0.is_infinite(), "+Inf last: {key:?}");
        assert_eq!(Some(&last.1), counts.get(key), "+Inf == _count: {key:?}");
    }
}

/// The value of the sample `name` whose labels include `labels`.
pub fn value(samples: &[Sample], name: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.name == name
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
}
