//! `sessions`: many idle, logged-on sessions (HeartBtInt=1, so one
//! heartbeat per second each way) on one acceptor reactor in block mode;
//! the CPU its reactor thread uses, as a share of one core. The initiators
//! run in a second runtime (also block mode) in the same process; their
//! reactor's share is reported too.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use ringfix_engine::apps::echo::Echo;
use ringfix_engine::config::{EngineConfig, SessionSettings as EngineSettings};
use ringfix_engine::runtime::Runtime;
use ringfix_engine::session::Application;
use serde_json::json;

/// Options of `ringfix-bench sessions`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Sessions (each an initiator/acceptor pair over loopback).
    #[arg(long, default_value_t = 1000)]
    pub count: usize,
    /// Seconds measured once every session is logged on.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// One JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Thread ids of this process's reactor threads.
fn reactor_tids() -> HashSet<u32> {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return HashSet::new();
    };
    dir.filter_map(|e| e.ok())
        .filter_map(|e| {
            let tid: u32 = e.file_name().to_str()?.parse().ok()?;
            let comm = std::fs::read_to_string(e.path().join("comm")).ok()?;
            (comm.trim() == "ringfix-reactor").then_some(tid)
        })
        .collect()
}

/// CPU time of a thread in nanoseconds (schedstat: time on CPU).
fn thread_cpu_ns(tid: u32) -> Option<u64> {
    let s = std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat")).ok()?;
    s.split_whitespace().next()?.parse().ok()
}

fn cpu_of(tids: &HashSet<u32>) -> u64 {
    tids.iter().filter_map(|&t| thread_cpu_ns(t)).sum()
}

fn config(count: usize, acceptor: bool, port: u16) -> String {
    let mut c =
        String::from("[DEFAULT]\nNonStopSession=Y\nReactorMode=block\nBeginString=FIX.4.4\n");
    if acceptor {
        c.push_str("ConnectionType=acceptor\nSocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\nSenderCompID=EXEC\n");
    } else {
        let _ = write!(
            c,
            "ConnectionType=initiator\nHeartBtInt=1\nReconnectInterval=1\nSocketConnectHost=127.0.0.1\n\
             SocketConnectPort={port}\nTargetCompID=EXEC\n"
        );
    }
    for i in 0..count {
        let key = if acceptor {
            "TargetCompID"
        } else {
            "SenderCompID"
        };
        let _ = write!(c, "[SESSION]\n{key}=C{i:05}\n");
    }
    c
}

/// Runs the benchmark and prints the result.
pub fn run(args: &Args) -> Result<(), String> {
    if args.count == 0 {
        return Err("--count must be at least 1".into());
    }
    let echo =
        || Box::new(|_s: &EngineSettings| -> Box<dyn Application + Send> { Box::new(Echo::new()) });
    let acc = EngineConfig::parse(&config(args.count, true, 0), "sessions-acceptor")
        .map_err(|e| e.to_string())?;
    let server = Runtime::start(&acc, echo()).map_err(|e| e.to_string())?;
    let acceptor_tids = reactor_tids();
    let port = server
        .listen_addrs()
        .first()
        .map(|a| a.port())
        .ok_or("the acceptor did not listen")?;
    let ini = EngineConfig::parse(&config(args.count, false, port), "sessions-initiator")
        .map_err(|e| e.to_string())?;
    let client = Runtime::start(&ini, echo()).map_err(|e| e.to_string())?;
    let initiator_tids: HashSet<u32> = reactor_tids().difference(&acceptor_tids).copied().collect();
    let started = Instant::now();
    let logged_on = || server.sessions().iter().filter(|s| s.logons > 0).count();
    while logged_on() < args.count {
        if started.elapsed() > Duration::from_secs(120) {
            return Err(format!(
                "only {} of {} sessions logged on",
                logged_on(),
                args.count
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let logon_s = started.elapsed().as_secs_f64();
    // Settle: the logon burst is over, heartbeats are steady.
    std::thread::sleep(Duration::from_secs(2));
    let msgs = || server.sessions().iter().map(|s| s.messages_in).sum::<u64>();
    let (a0, i0, m0, t0) = (
        cpu_of(&acceptor_tids),
        cpu_of(&initiator_tids),
        msgs(),
        Instant::now(),
    );
    std::thread::sleep(Duration::from_secs(args.seconds.max(1)));
    let (a1, i1, m1, t1) = (
        cpu_of(&acceptor_tids),
        cpu_of(&initiator_tids),
        msgs(),
        Instant::now(),
    );
    let wall = (t1 - t0).as_nanos() as f64;
    let acceptor_pct = a1.saturating_sub(a0) as f64 / wall * 100.0;
    let initiator_pct = i1.saturating_sub(i0) as f64 / wall * 100.0;
    let in_per_s = m1.saturating_sub(m0) as f64 / (wall / 1e9);
    let still = logged_on();
    drop(client);
    drop(server);
    if args.json {
        let v = json!({
            "sessions": args.count,
            "heartbtint": 1,
            "reactor_cpu_pct": (acceptor_pct * 1000.0).round() / 1000.0,
            "initiator_reactor_cpu_pct": (initiator_pct * 1000.0).round() / 1000.0,
            "acceptor_msgs_in_per_s": in_per_s.round(),
            "logon_seconds": (logon_s * 100.0).round() / 100.0,
            "seconds": args.seconds,
        });
        println!("{v}");
    } else {
        println!(
            "{} idle sessions, HeartBtInt=1, block mode (all logged on in {logon_s:.1} s; {still} still logged on)",
            args.count
        );
        println!(
            "acceptor reactor thread:  {acceptor_pct:.3} % of a core ({in_per_s:.0} msgs/s in)"
        );
        println!("initiator reactor thread: {initiator_pct:.3} % of a core");
    }
    Ok(())
}
