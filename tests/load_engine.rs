//! Load: many sessions on one acceptor reactor, each sending orders at a
//! fixed rate; every order must be answered exactly once, in order, with
//! contiguous sequence numbers, and the acceptor's memory must stay flat.
//! The CI variant is small; `scripts/load.sh` runs the full one (200
//! sessions x 1 000 orders/s x 60 s) in release.

mod fault_support;
mod load_support;
mod runtime_support;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fault_support::{status_kb, Acceptor, AcceptorSpec};
use load_support::{cpu_ticks, LoadSpec};

/// One RSS sample: seconds since start, VmRSS, RssAnon, RssFile (kB).
type Sample = (f64, u64, u64, u64);

/// Anonymous memory the acceptor may gain per message stored after the
/// warm-up: the file store's sequence index (8 bytes per message, in a
/// vector that doubles).
const INDEX_BYTES_PER_MESSAGE: u64 = 16;
/// And per session, once: the index touches 32 Ki entries (256 KiB) ahead
/// of its end at the first store upkeep, so appends never page-fault.
const INDEX_AHEAD_KB_PER_SESSION: u64 = 256;

fn load(spec: LoadSpec, anon_growth_bound_kb: u64) {
    let dir = tempfile::tempdir().unwrap();
    // LOAD_PERSIST=N: sequence numbers only (no journal, no index), to
    // tell the store's growth from anything else.
    let persist = std::env::var("LOAD_PERSIST").unwrap_or_else(|_| "Y".into());
    let defaults = format!(
        "FileStorePath={}\nPersistMessages={persist}",
        dir.path().display()
    );
    let names: Vec<String> = (0..spec.sessions).map(|i| format!("L{i}")).collect();
    let sessions: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "")).collect();
    let acc = Acceptor::spawn(&AcceptorSpec {
        defaults: &defaults,
        sessions: &sessions,
        fsize_limit: None,
    });
    let pid = acc.pid();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let start = Instant::now();
    let sampler = std::thread::spawn(move || {
        let mut v: Vec<Sample> = Vec::new();
        while !flag.load(Ordering::Relaxed) {
            v.push((
                start.elapsed().as_secs_f64(),
                status_kb(pid, "VmRSS"),
                status_kb(pid, "RssAnon"),
                status_kb(pid, "RssFile"),
            ));
            std::thread::sleep(Duration::from_millis(250));
        }
        v
    });
    let cpu0 = cpu_ticks(pid);
    let me = std::process::id();
    let gen0 = cpu_ticks(me);
    let result = load_support::run(acc.port, spec);
    let wall = start.elapsed().as_secs_f64();
    let cpu = (cpu_ticks(pid) - cpu0) as f64 / 100.0;
    let gen_cpu = (cpu_ticks(me) - gen0) as f64 / 100.0;
    stop.store(true, Ordering::Relaxed);
    let samples = sampler.join().unwrap();
    // Warm-up: a fifth of the run (logons and the first segments done).
    let warm_at = wall / 5.0;
    let warm = samples
        .iter()
        .find(|s| s.0 >= warm_at)
        .copied()
        .unwrap_or(samples[0]);
    let end = *samples.last().unwrap();
    let expected = spec.per_session() * spec.sessions as u64;
    let lost = expected.saturating_sub(result.answered);
    let h = &result.rtt_us;
    eprintln!(
        "FIGURE load {} sessions x {}/s x {} s: sent {} answered {} lost {lost} duplicated {} errors {}",
        spec.sessions,
        spec.rate,
        spec.secs,
        result.sent,
        result.answered,
        result.duplicated,
        result.errors.len()
    );
    eprintln!(
        "FIGURE load RSS kB (VmRSS/RssAnon/RssFile): after warm-up ({:.1} s) {}/{}/{}, end ({:.1} s) {}/{}/{}",
        warm.0, warm.1, warm.2, warm.3, end.0, end.1, end.2, end.3
    );
    eprintln!(
        "FIGURE load CPU (% of one core) acceptor {:.0}%, generator {:.0}%, over {wall:.1} s; RTT us p50 {} p99 {} p99.9 {} max {}; max send lag {:?}",
        cpu / wall * 100.0,
        gen_cpu / wall * 100.0,
        h.value_at_quantile(0.5),
        h.value_at_quantile(0.99),
        h.value_at_quantile(0.999),
        h.max(),
        result.max_send_lag
    );
    assert!(
        result.errors.is_empty(),
        "{:?}",
        &result.errors[..result.errors.len().min(10)]
    );
    assert_eq!(result.sent, expected);
    assert_eq!((lost, result.duplicated), (0, 0));
    // Messages stored after the warm-up sample (reports, one per order).
    let stored_after = (expected as f64 * (1.0 - warm.0 / end.0.max(warm.0 + 1e-9))) as u64;
    let allowance = stored_after * INDEX_BYTES_PER_MESSAGE / 1024
        + spec.sessions as u64 * INDEX_AHEAD_KB_PER_SESSION
        + anon_growth_bound_kb;
    let max_anon = samples.iter().map(|s| s.2).max().unwrap_or(0);
    let series: Vec<String> = (0..=10)
        .filter_map(|k| samples.get((samples.len() - 1) * k / 10))
        .map(|s| format!("{:.0}s:{}", s.0, s.2))
        .collect();
    eprintln!("FIGURE load RssAnon kB over time: {}", series.join(" "));
    eprintln!(
        "FIGURE load RssAnon growth {} kB (max {max_anon} kB); allowed {allowance} kB = index for ~{stored_after} messages and {} sessions + {anon_growth_bound_kb} kB",
        end.2.saturating_sub(warm.2),
        spec.sessions
    );
    assert!(
        end.2 <= warm.2 + allowance,
        "RssAnon grew from {} to {} kB",
        warm.2,
        end.2
    );
}

#[test]
fn load_ci_50_sessions_200_per_second_5_seconds() {
    load(
        LoadSpec {
            sessions: 50,
            rate: 200,
            secs: 5,
            threads: 1,
            tick: Duration::from_millis(5),
        },
        2 * 1024,
    );
}

/// The full run (`scripts/load.sh`): LOAD_SESSIONS, LOAD_RATE, LOAD_SECS,
/// LOAD_THREADS, LOAD_TICK_MS override 200, 1000, 60, 2, 5.
#[test]
#[ignore = "heavy: run by scripts/load.sh in release"]
fn load_full() {
    let env = |k: &str, d: u64| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    load(
        LoadSpec {
            sessions: env("LOAD_SESSIONS", 200) as usize,
            rate: env("LOAD_RATE", 1000),
            secs: env("LOAD_SECS", 60),
            threads: env("LOAD_THREADS", 2) as usize,
            tick: Duration::from_millis(env("LOAD_TICK_MS", 5)),
        },
        env("LOAD_RSS_GROWTH_KB", 16 * 1024),
    );
}
