//! Issue 24's soak: `scripts/soak.sh [--minutes N]` runs this (ignored by
//! default: it takes minutes). One `ringfix acceptor --app exec` with a
//! file store (the release build when `SOAK_ENGINE` names it; the script
//! does), sessions trading, idling at HeartBtInt=1, reconnecting and
//! rolling over 24-hour schedules for `SOAK_MINUTES` (default 3), sampled
//! every 10 s; `soak_support::check` says what passes.

use crate::fault_support::status_kb;
use crate::soak_support;

use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use ringfix_engine::store::StoreReader;
use soak_support::check::{self, FdCheck, Run, Sample, StoreEnd};
use soak_support::{driver, fd_count, files_len, tree_len, Engine, Shared, SEGMENT};

const SAMPLE_EVERY: Duration = Duration::from_secs(10);
/// Every session logged on for this long: a steady moment, where the
/// acceptor's fd count must be its start value.
const STEADY: Duration = Duration::from_secs(2);

#[test]
#[ignore = "minutes long: scripts/soak.sh"]
fn soak() {
    let minutes: f64 = std::env::var("SOAK_MINUTES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3.0);
    assert!(minutes >= 2.0, "SOAK_MINUTES must be at least 2");
    let secs = (minutes * 60.0) as u64;
    let bin = std::env::var_os("SOAK_ENGINE").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_ringfix")),
        PathBuf::from,
    );
    let dir = tempfile::tempdir().unwrap();
    let plans = soak_support::plan(secs, SystemTime::now());
    let mut engine = Engine::spawn(&bin, dir.path(), &plans);
    let pid = engine.pid();
    println!(
        "[soak] {minutes} min, engine {} (pid {pid}), {} sessions: {}",
        bin.display(),
        plans.len(),
        plans
            .iter()
            .map(|p| match p.kind {
                soak_support::Kind::Rollover { at } => {
                    format!(
                        "{} (StartTime=EndTime={} UTC)",
                        p.name,
                        soak_support::hms(at)
                    )
                }
                k => format!("{} ({k:?}, {}/s)", p.name, p.rate),
            })
            .collect::<Vec<_>>()
            .join(", ")
    );
    let shared = Shared::new(plans.len());
    let start = Instant::now();
    let mut run = Run {
        secs: secs as f64,
        samples: Vec::new(),
        fd_start: None,
        fd_checks: Vec::new(),
        relogons_unchecked: 0,
        fd_after_logout: None,
        outcomes: Vec::new(),
        stores: Vec::new(),
        exit: None,
        engine_warnings: Vec::new(),
    };
    std::thread::scope(|s| {
        let handles: Vec<_> = plans
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let (p, shared, port) = (p.clone(), &shared, engine.port);
                s.spawn(move || driver::run(p, i, port, shared))
            })
            .collect();
        let mut next_sample = start;
        let mut all_up_since: Option<Instant> = None;
        let mut checked_relogons = 0;
        while handles.iter().any(|h| !h.is_finished()) {
            let now = Instant::now();
            if now - start >= Duration::from_secs(secs) {
                shared.stop.store(true, Ordering::Relaxed);
            }
            if now >= next_sample {
                next_sample += SAMPLE_EVERY;
                let smp = sample(&engine, &shared, start);
                println!(
                    "[soak] t {:5.0} s  RssAnon {} kB  VmRSS {} kB  fds {}  stored {}  journal {} B",
                    smp.t, smp.rss_anon, smp.vm_rss, smp.fds, smp.stored, smp.journal
                );
                run.samples.push(smp);
            }
            // fds: at the first steady moment, and at the first one after
            // every reconnect or rollover.
            let all_up = shared.live.iter().all(|l| l.up.load(Ordering::Relaxed));
            let relogons: u64 = shared
                .live
                .iter()
                .map(|l| l.relogons.load(Ordering::Relaxed))
                .sum();
            all_up_since = if all_up {
                all_up_since.or(Some(now))
            } else {
                None
            };
            if all_up_since.is_some_and(|t| now - t >= STEADY)
                && (run.fd_start.is_none() || relogons > checked_relogons)
                && !shared.stop.load(Ordering::Relaxed)
            {
                let c = FdCheck {
                    t: (now - start).as_secs_f64(),
                    relogons,
                    fds: fd_count(pid),
                };
                // Read again: a relogon during the read would not count.
                let again: u64 = shared
                    .live
                    .iter()
                    .map(|l| l.relogons.load(Ordering::Relaxed))
                    .sum();
                if again == relogons {
                    if run.fd_start.is_none() {
                        run.fd_start = Some(c);
                    } else {
                        run.fd_checks.push(c);
                    }
                    checked_relogons = relogons;
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let relogons: u64 = shared
            .live
            .iter()
            .map(|l| l.relogons.load(Ordering::Relaxed))
            .sum();
        run.relogons_unchecked = relogons - checked_relogons;
        // Every session logged out: one connection fd each is gone.
        let want = run.fd_start.as_ref().map(|c| c.fds - plans.len() as u64);
        let bound = Instant::now() + Duration::from_secs(5);
        let mut fds = fd_count(pid);
        while Some(fds) != want && Instant::now() < bound {
            std::thread::sleep(Duration::from_millis(20));
            fds = fd_count(pid);
        }
        run.fd_after_logout = Some(fds);
        run.samples.push(sample(&engine, &shared, start));
        run.outcomes = handles.into_iter().map(|h| h.join().unwrap()).collect();
    });
    run.exit = engine.stop().and_then(|s| s.code());
    run.engine_warnings = engine
        .log()
        .lines()
        .filter(|l| l.contains(" WARN") || l.contains(" ERROR"))
        .map(str::to_owned)
        .collect();
    run.stores = run
        .outcomes
        .iter()
        .map(|o| {
            StoreReader::open(engine.files(&o.plan.name))
                .map(|r| StoreEnd {
                    next_sender: r.next_sender_seq(),
                    next_target: r.next_target_seq(),
                    messages: r.message_count() as u64,
                    journal_used: r.journal_used(),
                    generation: r.generation(),
                })
                .map_err(|e| e.to_string())
        })
        .collect();
    let verdict = check::judge(&run);
    for line in &verdict.lines {
        println!("[soak] {line}");
    }
    if !verdict.failures.is_empty() {
        let kept = dir.keep();
        println!("[soak] store, logs and config kept in {}", kept.display());
    }
    assert!(
        verdict.failures.is_empty(),
        "soak failed: {} checks, first: {}",
        verdict.failures.len(),
        verdict.failures[0]
    );
    println!("[soak] PASS: {} minutes", minutes);
}

fn sample(engine: &Engine, shared: &Shared, start: Instant) -> Sample {
    let pid = engine.pid();
    let (journal, journal_files) = files_len(&engine.store, ".journal");
    let journal_bound = shared
        .live
        .iter()
        .map(|l| {
            l.journal_bound
                .load(Ordering::Relaxed)
                .next_multiple_of(SEGMENT)
                + SEGMENT
        })
        .sum();
    Sample {
        t: start.elapsed().as_secs_f64(),
        vm_rss: status_kb(pid, "VmRSS"),
        rss_anon: status_kb(pid, "RssAnon"),
        rss_file: status_kb(pid, "RssFile"),
        fds: fd_count(pid),
        journal,
        journal_files,
        journal_bound,
        logs: tree_len(&engine.logs),
        stored: shared
            .live
            .iter()
            .map(|l| l.stored.load(Ordering::Relaxed))
            .sum(),
        up: shared
            .live
            .iter()
            .filter(|l| l.up.load(Ordering::Relaxed))
            .count(),
    }
}
