//! `latency`: NewOrderSingle -> ExecutionReport round trips through a
//! ringfix initiator and acceptor on loopback, against the floor (the same
//! sizes ping-ponged over raw TCP, same mode and pinning), runs interleaved
//! engine, floor, uring floor, bare uring floor, engine ...; plus the
//! acceptor's internal latency.

mod engine;
pub mod floor;
pub mod hist;
mod plot;
mod tls;
mod uring;

use std::path::PathBuf;

use hdrhistogram::Histogram;
use serde_json::{json, Map, Value};

use floor::{FloorRun, Mode};
use hist::{hgrm, percentiles_us, PERCENTILES};

/// Options of `ringfix-bench latency`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Spin (busy-poll, pinned) or block (sleep in the kernel).
    #[arg(long, value_enum, default_value = "spin")]
    pub mode: Mode,
    /// Round trips recorded per run.
    #[arg(long, default_value_t = 100_000)]
    pub orders: u64,
    /// Round trips before recording, per run.
    #[arg(long, default_value_t = 10_000)]
    pub warmup: u64,
    /// Runs of each (engine and floor, interleaved); medians are reported.
    #[arg(long, default_value_t = 3)]
    pub runs: usize,
    /// Round trips per second, one in flight, with coordinated-omission
    /// correction; default: back-to-back.
    #[arg(long)]
    pub rate: Option<u32>,
    /// One JSON object: {"engine","floor","ratio","internal"}.
    #[arg(long)]
    pub json: bool,
    /// Write .hgrm distributions and an SVG plot here.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also run the engine over TLS (rustls, a certificate generated for
    /// the run), interleaved with the plain runs: rows `tls` and `tls_ratio`
    /// (TLS / plain), JSON keys of the same names.
    #[arg(long)]
    pub tls: bool,
    /// Run both engines with `StoreUpkeepThread=Y` (store upkeep on a
    /// helper thread instead of the reactors' idle time).
    #[arg(long)]
    pub upkeep_thread: bool,
}

/// Cores: the acceptor (and the floor's echo side) on 0, the initiator
/// (and the floor's measuring side) on 1.
const ACCEPTOR_CORE: usize = 0;
const INITIATOR_CORE: usize = 1;

/// One run's figures.
struct Figures {
    pct: Vec<(&'static str, f64)>,
    rtt_per_s: f64,
    allocs_per_rtt: Option<f64>,
}

fn figures(h: &Histogram<u64>, wall_s: f64, allocs: Option<u64>, n: u64) -> Figures {
    Figures {
        pct: percentiles_us(h),
        rtt_per_s: if wall_s > 0.0 { n as f64 / wall_s } else { 0.0 },
        allocs_per_rtt: allocs.map(|a| a as f64 / n.max(1) as f64),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}

/// Medians over runs, keyed like the JSON.
fn summarise(runs: &[Figures]) -> Vec<(&'static str, f64)> {
    let mut out: Vec<(&'static str, f64)> = PERCENTILES
        .iter()
        .enumerate()
        .map(|(i, (k, _))| {
            let vals = runs.iter().filter_map(|f| f.pct.get(i).map(|p| p.1));
            (*k, median(vals.collect()))
        })
        .collect();
    if runs.iter().any(|f| f.rtt_per_s > 0.0) {
        out.push((
            "rtt_per_s",
            median(runs.iter().map(|f| f.rtt_per_s).collect()),
        ));
    }
    let allocs: Vec<f64> = runs.iter().filter_map(|f| f.allocs_per_rtt).collect();
    if !allocs.is_empty() {
        out.push(("allocs_per_rtt", median(allocs)));
    }
    out
}

fn to_json(rows: &[(&str, f64)], ratio: bool) -> Value {
    let mut m = Map::new();
    for (k, v) in rows {
        let digits = if *k == "rtt_per_s" && !ratio {
            1.0
        } else {
            1000.0
        };
        m.insert((*k).into(), json!((v * digits).round() / digits));
    }
    Value::Object(m)
}

/// Runs the benchmark and prints the result.
pub fn run(args: &Args) -> Result<(), String> {
    if args.orders == 0 || args.runs == 0 {
        return Err("--orders and --runs must be at least 1".into());
    }
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let tls_files = if args.tls {
        Some(tls::TlsFiles::generate(&dir.path().join("tls"))?)
    } else {
        None
    };
    let mut tls_runs = Vec::new();
    let mut engine_runs = Vec::new();
    let mut floor_runs = Vec::new();
    let mut uring_runs = Vec::new();
    let mut bare_runs = Vec::new();
    let mut internal_runs = Vec::new();
    let mut initiator_runs = Vec::new();
    let mut merged = [
        hist::new_histogram().map_err(|e| e.to_string())?,
        hist::new_histogram().map_err(|e| e.to_string())?,
        hist::new_histogram().map_err(|e| e.to_string())?,
    ];
    let mut sizes = (0, 0);
    // The largest store upkeep step of any run (issue 28: at most 20 us).
    let mut step_max_ns = 0f64;
    for i in 0..args.runs {
        let e = engine::run(
            &engine_run(args, (String::new(), String::new())),
            &dir.path().join(format!("run{i}")),
        )?;
        if let Some(t) = &tls_files {
            let keys = (t.acceptor_keys(), t.initiator_keys());
            let te = engine::run(&engine_run(args, keys), &dir.path().join(format!("tls{i}")))?;
            tls_runs.push(figures(
                &te.rtt,
                te.wall.as_secs_f64(),
                Some(te.allocs),
                args.orders,
            ));
        }
        sizes = (e.nos_bytes, e.er_bytes);
        step_max_ns = step_max_ns.max(e.store_step_max_ns);
        engine_runs.push(figures(
            &e.rtt,
            e.wall.as_secs_f64(),
            Some(e.allocs),
            args.orders,
        ));
        internal_runs.push(figures(&e.internal, 0.0, None, 0));
        initiator_runs.push(figures(&e.internal_initiator, 0.0, None, 0));
        let f_allocs = ringfix_testkit::alloc::allocs_all();
        let floor_run = FloorRun {
            mode: args.mode,
            request_bytes: e.nos_bytes.max(1),
            response_bytes: e.er_bytes.max(1),
            round_trips: args.orders as usize,
            warmup: args.warmup as usize,
            client_core: Some(INITIATOR_CORE),
            server_core: Some(ACCEPTOR_CORE),
            rate: args.rate,
        };
        let (f, wall) = floor::run(&floor_run).map_err(|e| format!("floor: {e}"))?;
        // Setup (buffers, threads) included: an upper bound.
        let f_allocs = ringfix_testkit::alloc::allocs_all().saturating_sub(f_allocs);
        floor_runs.push(figures(&f, wall.as_secs_f64(), Some(f_allocs), args.orders));
        let (u, u_wall) = uring::run(&floor_run, true).map_err(|e| format!("uring floor: {e}"))?;
        uring_runs.push(figures(&u, u_wall.as_secs_f64(), None, args.orders));
        let (b, b_wall) =
            uring::run(&floor_run, false).map_err(|e| format!("bare uring floor: {e}"))?;
        bare_runs.push(figures(&b, b_wall.as_secs_f64(), None, args.orders));
        for (m, h) in merged.iter_mut().zip([&e.rtt, &f, &e.internal]) {
            m.add(h).map_err(|e| e.to_string())?;
        }
    }
    let engine = summarise(&engine_runs);
    let floor = summarise(&floor_runs);
    let internal = summarise(&internal_runs);
    let initiator = summarise(&initiator_runs);
    let ratio = ratio_of(&engine, &floor);
    let uring = summarise(&uring_runs);
    let uring_ratio = ratio_of(&engine, &uring);
    let uring_floor_ratio = ratio_of(&uring, &floor);
    let bare = summarise(&bare_runs);
    let bare_ratio = ratio_of(&bare, &floor);
    let tls = (!tls_runs.is_empty()).then(|| summarise(&tls_runs));
    let tls_ratio = tls.as_ref().map(|t| ratio_of(t, &engine));
    if let Some(out) = &args.out {
        write_out(out, args, &merged)?;
    }
    if args.json {
        let mut v = json!({
            "engine": to_json(&engine, false),
            "floor": to_json(&floor, false),
            "ratio": to_json(&ratio, true),
            "internal": to_json(&internal, false),
            "uring": to_json(&uring, false),
            "uring_ratio": to_json(&uring_ratio, true),
            "uring_floor_ratio": to_json(&uring_floor_ratio, true),
            "uring_bare": to_json(&bare, false),
            "uring_bare_floor_ratio": to_json(&bare_ratio, true),
        });
        if let (Some(t), Some(r), Some(o)) = (&tls, &tls_ratio, v.as_object_mut()) {
            o.insert("tls".into(), to_json(t, false));
            o.insert("tls_ratio".into(), to_json(r, true));
        }
        if let Some(o) = v.as_object_mut() {
            let us = (step_max_ns / 100.0).round() / 10.0;
            o.insert("store_step_max_us".into(), json!(us));
        }
        println!("{v}");
    } else {
        let mut rows = vec![
            ("engine", &engine),
            ("floor", &floor),
            ("ratio", &ratio),
            ("internal", &internal),
            ("int.init", &initiator),
            ("uring", &uring),
            ("eng/urng", &uring_ratio),
            ("urng/flr", &uring_floor_ratio),
            ("bare", &bare),
            ("bare/flr", &bare_ratio),
        ];
        if let (Some(t), Some(r)) = (&tls, &tls_ratio) {
            rows.push(("tls", t));
            rows.push(("tls/eng", r));
        }
        print_table(args, sizes, &rows);
        println!(
            "largest store upkeep step (either reactor, any run): {:.1} us",
            step_max_ns / 1000.0
        );
        println!(
            "internal: the acceptor's own time, Recv reaped to ExecutionReport queued; \
             int.init: the initiator's, ExecutionReport reaped to the next order queued; \
             uring: the floor's ping-pong through io_uring as the reactor drives it \
             (Recv and Send linked to timeouts), no FIX work; \
             bare: the same with no timeouts at all (the least an io_uring reader pays here)"
        );
    }
    Ok(())
}

fn engine_run(args: &Args, extra_keys: (String, String)) -> engine::EngineRun {
    let (mut a, mut i) = extra_keys;
    if args.upkeep_thread {
        a.push_str("StoreUpkeepThread=Y\n");
        i.push_str("StoreUpkeepThread=Y\n");
    }
    let extra_keys = (a, i);
    engine::EngineRun {
        mode: args.mode,
        orders: args.orders,
        warmup: args.warmup,
        rate: args.rate,
        acceptor_core: ACCEPTOR_CORE,
        initiator_core: INITIATOR_CORE,
        extra_keys,
    }
}

/// `a / b` per key (percentiles and the rate), keyed like the JSON.
fn ratio_of(a: &[(&'static str, f64)], b: &[(&'static str, f64)]) -> Vec<(&'static str, f64)> {
    a.iter()
        .filter(|(k, _)| *k != "allocs_per_rtt")
        .filter_map(|(k, x)| {
            let y = b.iter().find(|(bk, _)| bk == k)?.1;
            Some((*k, if y > 0.0 { x / y } else { 0.0 }))
        })
        .collect()
}

fn mode_name(m: Mode) -> &'static str {
    match m {
        Mode::Spin => "spin",
        Mode::Block => "block",
    }
}

/// `latency-<mode>-{engine,floor,internal}.hgrm` and `latency-<mode>.svg`
/// (every run merged).
fn write_out(dir: &std::path::Path, args: &Args, h: &[Histogram<u64>; 3]) -> Result<(), String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let m = mode_name(args.mode);
    for (name, h) in ["engine", "floor", "internal"].iter().zip(h) {
        let p = dir.join(format!("latency-{m}-{name}.hgrm"));
        std::fs::write(&p, hgrm(h)).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    let title = format!(
        "ringfix {m}: NewOrderSingle -> ExecutionReport round trip vs raw TCP floor ({} x {})",
        args.runs, args.orders
    );
    plot::write_svg(
        &dir.join(format!("latency-{m}.svg")),
        &title,
        &[("engine", &h[0]), ("floor (raw TCP)", &h[1])],
    )
}

fn print_table(args: &Args, sizes: (usize, usize), rows: &[(&str, &Vec<(&str, f64)>)]) {
    let rate = args.rate.map_or("back-to-back".to_string(), |r| {
        format!("{r}/s, CO-corrected")
    });
    println!(
        "latency, {} mode, {} round trips x {} runs (warm-up {}), {rate}; NOS {} B, ER {} B; µs, medians of runs",
        mode_name(args.mode),
        args.orders,
        args.runs,
        args.warmup,
        sizes.0,
        sizes.1
    );
    print!("{:<9}", "");
    for (k, _) in PERCENTILES {
        print!("{k:>12}");
    }
    println!("{:>12}{:>12}", "rtt/s", "allocs/rtt");
    for (name, vals) in rows {
        print!("{name:<9}");
        for (k, _) in PERCENTILES {
            match vals.iter().find(|(vk, _)| vk == k) {
                Some((_, v)) => print!("{v:>12.3}"),
                None => print!("{:>12}", "-"),
            }
        }
        for k in ["rtt_per_s", "allocs_per_rtt"] {
            match vals.iter().find(|(vk, _)| *vk == k) {
                Some((_, v))
                    if k == "rtt_per_s" && !name.contains("ratio") && !name.contains('/') =>
                {
                    print!("{v:>12.0}")
                }
                Some((_, v)) => print!("{v:>12.3}"),
                None => print!("{:>12}", "-"),
            }
        }
        println!();
    }
}
