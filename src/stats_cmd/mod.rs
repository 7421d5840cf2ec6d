//! `ringfix stats [--config F | --pid P | --page FILE] [--json | --prometheus] [--prune]`:
//! live statistics of running engines, read from their shared stats pages
//! (`ringfix_engine::stats`) without disturbing them.
//!
//! Pages whose engine is gone (killed: its lock went with it, whatever
//! process has its pid now) are skipped with a note on stderr; `--prune`
//! removes them. `--pid P` still shows a dead engine's last values.
//!
//! Exit codes: 0 printed (or, with `--prune`, pruned), 1 no engine found
//! or a page unreadable, 2 usage.

mod format;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::SystemTime;

use ringfix_engine::config::EngineConfig;
use ringfix_engine::stats::{find_pages, prune, stats_dir, EngineSnapshot, StatsReader};

/// Arguments of `ringfix stats`.
#[derive(Debug, Clone, clap::Args)]
pub struct StatsArgs {
    /// The engine running this configuration (its sessions only).
    #[arg(long, value_name = "F", conflicts_with_all = ["pid", "page"])]
    pub config: Option<PathBuf>,
    /// The engine with this process id.
    #[arg(long, value_name = "P", conflicts_with = "page")]
    pub pid: Option<u32>,
    /// A stats page file.
    #[arg(long, value_name = "FILE")]
    pub page: Option<PathBuf>,
    /// Where engines publish (default: $RINGFIX_STATS_DIR, else /dev/shm).
    #[arg(long, value_name = "D")]
    pub dir: Option<PathBuf>,
    /// One JSON object: {"engines": [{"pid", ..., "sessions": [...]}]}.
    #[arg(long, conflicts_with = "prometheus")]
    pub json: bool,
    /// The Prometheus text exposition format (what `MetricsListen` serves
    /// at /metrics).
    #[arg(long)]
    pub prometheus: bool,
    /// Remove the pages of engines that are not running (left by kill -9).
    #[arg(long)]
    pub prune: bool,
}

/// Runs `ringfix stats`.
pub fn run(args: &StatsArgs) -> ExitCode {
    match collect(args) {
        Ok(engines) => {
            let now = now_nanos();
            let text = if args.json {
                format!("{}\n", format::json(&engines, now))
            } else if args.prometheus {
                let mut s = String::new();
                ringfix_engine::stats::prometheus::encode(&engines, &mut s);
                s
            } else {
                format::text(&engines, now)
            };
            print!("{text}");
            ExitCode::SUCCESS
        }
        Err((code, msg)) => {
            eprintln!("ringfix stats: {msg}");
            ExitCode::from(code)
        }
    }
}

fn now_nanos() -> i64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

type Failure = (u8, String);

fn read(path: &std::path::Path) -> Result<EngineSnapshot, Failure> {
    StatsReader::open(path)
        .and_then(|r| r.snapshot())
        .map_err(|e| (1, e.to_string()))
}

/// Reports the dead pages among `snaps` on stderr, removing them with
/// `--prune` (a page found live again at removal is left alone).
fn dead_pages(snaps: &[EngineSnapshot], remove: bool) {
    for s in snaps.iter().filter(|s| !s.live) {
        let page = s.path.display();
        if !remove {
            eprintln!(
                "ringfix stats: skipped {page}: engine pid {} is not running (left by a crash; --prune removes it)",
                s.pid
            );
            continue;
        }
        match prune(&s.path) {
            Ok(true) => eprintln!(
                "ringfix stats: removed {page} (engine pid {}, not running)",
                s.pid
            ),
            Ok(false) => {}
            Err(e) => eprintln!("ringfix stats: cannot remove {page}: {e}"),
        }
    }
}

/// The snapshots `args` asks for.
fn collect(args: &StatsArgs) -> Result<Vec<EngineSnapshot>, Failure> {
    if let Some(page) = &args.page {
        return Ok(vec![read(page)?]);
    }
    let dir = args.dir.clone().unwrap_or_else(stats_dir);
    let pages = find_pages(&dir).map_err(|e| (1, e.to_string()))?;
    // Pages vanish when their engine stops: skip those gone meanwhile.
    let snaps: Vec<EngineSnapshot> = pages.iter().filter_map(|p| read(p).ok()).collect();
    // --pid shows a dead engine's last values rather than hiding them.
    let reported: Vec<EngineSnapshot> = snaps
        .iter()
        .filter(|s| args.pid.is_none_or(|p| p != s.pid) || args.prune)
        .cloned()
        .collect();
    dead_pages(&reported, args.prune);
    let snaps: Vec<EngineSnapshot> = if args.prune {
        snaps.into_iter().filter(|s| s.live).collect()
    } else {
        snaps
    };
    if let Some(pid) = args.pid {
        let mine: Vec<EngineSnapshot> = snaps.into_iter().filter(|s| s.pid == pid).collect();
        let live: Vec<EngineSnapshot> = mine.iter().filter(|s| s.live).cloned().collect();
        return match (live.is_empty(), mine.is_empty()) {
            (false, _) => Ok(live),
            // A crashed engine's last values are still worth seeing.
            (true, false) => Ok(mine),
            (true, true) => Err((
                1,
                format!(
                    "no stats page of pid {pid} in {} (not a running ringfix engine?)",
                    dir.display()
                ),
            )),
        };
    }
    let live: Vec<EngineSnapshot> = snaps.into_iter().filter(|s| s.live).collect();
    let Some(cfg_path) = &args.config else {
        if live.is_empty() && !args.prune {
            return Err((
                1,
                format!("no running ringfix engine publishes in {}", dir.display()),
            ));
        }
        return Ok(live);
    };
    let cfg = EngineConfig::load(cfg_path).map_err(|e| (1, format!("config: {e}")))?;
    let ids: Vec<String> = cfg.sessions.iter().map(|s| s.id.to_string()).collect();
    let matching: Vec<EngineSnapshot> = live
        .into_iter()
        .filter_map(|mut e| {
            e.sessions.retain(|s| ids.contains(&s.id));
            (!e.sessions.is_empty()).then_some(e)
        })
        .collect();
    if matching.is_empty() {
        return Err((
            1,
            format!(
                "no running engine in {} has a session of {} ({})",
                dir.display(),
                cfg_path.display(),
                ids.join(", ")
            ),
        ));
    }
    Ok(matching)
}
