//! The soak (`scripts/soak.sh`): one `ringfix acceptor --app exec` with a
//! file store, and the crash trials' raw-TCP counterparty (its record of
//! every message both ways) driving several sessions for minutes: some
//! trade, some idle with HeartBtInt=1, some disconnect and reconnect every
//! ~20 s, some roll over a 24-hour schedule (StartTime=EndTime) inside the
//! run. The acceptor's memory, open fds and journals are sampled; `check`
//! holds every pass/fail rule.
#![allow(dead_code)]

pub mod check;
pub mod driver;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ringfix_engine::store::{StoreFiles, StoreId};

use crate::fault_support::wait_until;
use crate::runtime_support::free_port;

/// What one session does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Orders at a steady rate the whole run.
    Trade,
    /// No orders, HeartBtInt=1: heartbeats both ways.
    Idle,
    /// Orders; every ~20 s the connection ends (a Logout exchange, a plain
    /// close, or a close after messages lost in flight both ways) and the
    /// session logs on again, sequence numbers continuing.
    Reconnect,
    /// Orders; a 24-hour schedule whose StartTime=EndTime is `at`: the
    /// engine logs out then, and the next logon starts a new period at 1.
    Rollover { at: SystemTime },
}

/// One session of the run.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Our SenderCompID (the engine's TargetCompID).
    pub name: String,
    pub kind: Kind,
    /// Orders per second.
    pub rate: u32,
    /// HeartBtInt of our Logon.
    pub heart_bt_int: u32,
    /// Reconnect: the first disconnect this long after the first logon
    /// (staggered, so that two sessions are rarely down together).
    pub first_drop: Duration,
}

/// Orders per second of a trading session, and of the others that trade.
pub const TRADE_RATE: u32 = 50;
pub const SIDE_RATE: u32 = 10;
/// The acceptor's journal segment (the store's default).
pub const SEGMENT: u64 = 16 << 20;

/// The sessions of a run of `secs` seconds that started at `start`:
/// two of each kind; a rollover 75 s in (after the first minute, so the
/// memory check covers it), another ~45 s before the end, and for runs
/// over 15 minutes one more every 15 minutes.
pub fn plan(secs: u64, start: SystemTime) -> Vec<Plan> {
    let mk = |name: &str, kind, rate, hb, first_drop| Plan {
        name: name.to_owned(),
        kind,
        rate,
        heart_bt_int: hb,
        first_drop: Duration::from_secs(first_drop),
    };
    let mut v = vec![
        mk("T1", Kind::Trade, TRADE_RATE, 30, 0),
        mk("T2", Kind::Trade, TRADE_RATE, 30, 0),
        mk("I1", Kind::Idle, 0, 1, 0),
        mk("I2", Kind::Idle, 0, 1, 0),
        mk("R1", Kind::Reconnect, SIDE_RATE, 5, 15),
        mk("R2", Kind::Reconnect, SIDE_RATE, 5, 25),
    ];
    let mut offsets = vec![75, secs.saturating_sub(45).max(105)];
    offsets.extend((1..secs / 900).map(|k| k * 900 + 30));
    offsets.sort_unstable();
    offsets.dedup();
    for (i, off) in offsets.into_iter().enumerate() {
        let at = whole_second(start + Duration::from_secs(off));
        v.push(mk(
            &format!("D{}", i + 1),
            Kind::Rollover { at },
            SIDE_RATE,
            30,
            0,
        ));
    }
    v
}

fn whole_second(t: SystemTime) -> SystemTime {
    let s = t.duration_since(UNIX_EPOCH).unwrap();
    UNIX_EPOCH + Duration::from_secs(s.as_secs() + u64::from(s.subsec_nanos() > 0))
}

/// `HH:MM:SS` of `t` in UTC.
pub fn hms(t: SystemTime) -> String {
    let s = t.duration_since(UNIX_EPOCH).unwrap().as_secs() % 86_400;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// What the session threads publish for the sampler.
#[derive(Default)]
pub struct Live {
    /// Logged on and not leaving.
    pub up: AtomicBool,
    /// Logons after the first (reconnects and rollovers).
    pub relogons: AtomicU64,
    /// Engine messages accounted for, all periods: what the store indexed.
    pub stored: AtomicU64,
    /// Most bytes the current period's journal records can take.
    pub journal_bound: AtomicU64,
}

/// Shared by the session threads and the sampler.
pub struct Shared {
    /// Time is up: stop trading, settle, log out.
    pub stop: AtomicBool,
    pub live: Vec<Live>,
}

impl Shared {
    pub fn new(n: usize) -> Self {
        Self {
            stop: AtomicBool::new(false),
            live: (0..n).map(|_| Live::default()).collect(),
        }
    }
}

/// The acceptor under test.
pub struct Engine {
    pub child: Child,
    pub port: u16,
    pub store: PathBuf,
    pub logs: PathBuf,
    pub stderr: PathBuf,
}

impl Engine {
    /// Starts `bin acceptor --app exec` with one session per plan entry.
    pub fn spawn(bin: &Path, dir: &Path, plans: &[Plan]) -> Self {
        let port = free_port();
        let store = dir.join("store");
        let logs = dir.join("log");
        let mut cfg = format!(
            "[DEFAULT]\nConnectionType=acceptor\nBeginString=FIX.4.4\nSenderCompID=EXEC\n\
             SocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\nFileStorePath={}\n\
             FileLogPath={}\nStoreFsync=never\nPersistMessages=Y\nResetOnLogon=N\n\
             ResetOnLogout=N\nResetOnDisconnect=N\n",
            store.display(),
            logs.display()
        );
        for p in plans {
            let schedule = match p.kind {
                Kind::Rollover { at } => {
                    format!("StartTime={0}\nEndTime={0}\nTimeZone=UTC\n", hms(at))
                }
                _ => "NonStopSession=Y\n".to_owned(),
            };
            cfg.push_str(&format!("\n[SESSION]\nTargetCompID={}\n{schedule}", p.name));
        }
        let cfg_path = dir.join("soak.cfg");
        std::fs::write(&cfg_path, &cfg).unwrap();
        let stderr = dir.join("engine.log");
        let child = Command::new(bin)
            .args(["acceptor", "--app", "exec", "--config"])
            .arg(&cfg_path)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&stderr).unwrap())
            .spawn()
            .unwrap();
        let e = Self {
            child,
            port,
            store,
            logs,
            stderr,
        };
        assert!(
            wait_until(Duration::from_secs(20), || e
                .log()
                .contains("acceptor ready")),
            "acceptor did not start: {}",
            e.log()
        );
        e
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// The store files of session `name`.
    pub fn files(&self, name: &str) -> StoreFiles {
        StoreFiles::new(&self.store, &StoreId::new("FIX.4.4", "EXEC", name))
    }

    /// SIGTERM, then the exit status (bounded; killed after 20 s).
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        // SAFETY: kill(2) on our own child's pid, a plain syscall.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        crate::crash_support::wait_exit(&mut self.child, Duration::from_secs(20))
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Open file descriptors of `pid`.
pub fn fd_count(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count() as u64)
}

/// Total length of the files under `dir` whose name contains `part`, and
/// how many there are.
pub fn files_len(dir: &Path, part: &str) -> (u64, usize) {
    let Ok(d) = std::fs::read_dir(dir) else {
        return (0, 0);
    };
    d.flatten()
        .filter(|e| e.file_name().to_string_lossy().contains(part))
        .filter_map(|e| e.metadata().ok())
        .fold((0, 0), |(b, n), m| (b + m.len(), n + 1))
}

/// Total length of every file under `dir`, recursively.
pub fn tree_len(dir: &Path) -> u64 {
    let Ok(d) = std::fs::read_dir(dir) else {
        return 0;
    };
    d.flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => tree_len(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}
