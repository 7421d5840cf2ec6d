//! `table DIR`: the markdown summary of a results directory written by
//! `scripts/bench.sh` (codec.json, latency-{spin,block}.json,
//! throughput.json, sessions.json, load.txt).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Options of `ringfix-bench table`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// The results directory.
    pub dir: PathBuf,
}

fn read_json(p: &Path) -> Option<Value> {
    serde_json::from_str(&std::fs::read_to_string(p).ok()?).ok()
}

/// `step: load1 load5 load15` lines of load.txt.
fn load_of(dir: &Path, step: &str) -> String {
    let text = std::fs::read_to_string(dir.join("load.txt")).unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(step)?.strip_prefix(": ").map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

fn num(v: &Value, k: &str) -> String {
    match v.get(k).and_then(Value::as_f64) {
        Some(x) if x.abs() >= 1000.0 || x.fract() == 0.0 => format!("{x:.0}"),
        Some(x) => format!("{x:.3}"),
        None => "-".into(),
    }
}

fn latency(s: &mut String, dir: &Path, mode: &str) {
    let Some(v) = read_json(&dir.join(format!("latency-{mode}.json"))) else {
        return;
    };
    let _ = writeln!(
        s,
        "\n### Round trip, {mode} mode (µs; load average before: {})\n",
        load_of(dir, &format!("latency-{mode}"))
    );
    let keys = [
        "p50",
        "p90",
        "p99",
        "p99.9",
        "p99.99",
        "max",
        "rtt_per_s",
        "allocs_per_rtt",
    ];
    let _ = writeln!(s, "| | {} |", keys.join(" | "));
    let _ = writeln!(s, "|---|{}", "---|".repeat(keys.len()));
    for row in [
        "engine",
        "floor",
        "ratio",
        "internal",
        "uring",
        "uring_ratio",
        "uring_floor_ratio",
        "uring_bare",
        "uring_bare_floor_ratio",
    ] {
        let Some(r) = v.get(row) else { continue };
        let cells: Vec<String> = keys.iter().map(|k| num(r, k)).collect();
        let _ = writeln!(s, "| {row} | {} |", cells.join(" | "));
    }
}

/// Prints the summary and writes it to `DIR/summary.md`.
pub fn run(args: &Args) -> Result<(), String> {
    let dir = &args.dir;
    let mut s = String::from("# ringfix benchmark results\n");
    let _ = writeln!(
        s,
        "\nProduced by `scripts/bench.sh` on a 2-vCPU machine shared with other jobs; the load average is noted with each figure.\n"
    );
    if let Ok(run) = std::fs::read_to_string(dir.join("run.txt")) {
        for l in run.lines() {
            let _ = writeln!(s, "- {l}");
        }
        s.push('\n');
    }
    if let Ok(text) = std::fs::read_to_string(dir.join("codec.json")) {
        let _ = writeln!(
            s,
            "### Per-message costs (thread CPU ns, median of runs; load average before: {})\n",
            load_of(dir, "codec")
        );
        let _ = writeln!(s, "| case | op | ns/msg | bytes |\n|---|---|---|---|");
        for v in text
            .lines()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} |",
                v["case"].as_str().unwrap_or("?"),
                v["op"].as_str().unwrap_or("?"),
                num(&v, "ns_per_msg"),
                num(&v, "bytes")
            );
        }
    }
    latency(&mut s, dir, "spin");
    latency(&mut s, dir, "block");
    for f in ["throughput", "throughput-fsync"] {
        if let Some(v) = read_json(&dir.join(format!("{f}.json"))) {
            let _ = writeln!(
                s,
                "\n### Throughput, one session, one direction, journal on (load average before: {})\n\n\
                 {} msgs/s ({} MB/s) of {}-byte NewOrderSingles over {} s, StoreFsync={}, receiver {} mode",
                load_of(dir, f),
                num(&v, "msgs_per_s"),
                num(&v, "mb_per_s"),
                num(&v, "bytes"),
                num(&v, "seconds"),
                v["fsync"].as_str().unwrap_or("?"),
                v["mode"].as_str().unwrap_or("?"),
            );
        }
    }
    if let Some(v) = read_json(&dir.join("sessions.json")) {
        let _ = writeln!(
            s,
            "\n### Idle sessions (load average before: {})\n\n\
             {} logged-on sessions, HeartBtInt=1, block mode: acceptor reactor thread {} % of a core \
             ({} msgs/s in); initiator reactor thread {} %",
            load_of(dir, "sessions"),
            num(&v, "sessions"),
            num(&v, "reactor_cpu_pct"),
            num(&v, "acceptor_msgs_in_per_s"),
            num(&v, "initiator_reactor_cpu_pct"),
        );
    }
    let out = dir.join("summary.md");
    std::fs::write(&out, &s).map_err(|e| format!("{}: {e}", out.display()))?;
    print!("{s}");
    Ok(())
}
