//! Fault-injection peers for the `faults_*` tests: a `ringfix acceptor`
//! process with several sessions, raw FIX sessions over loopback, and a
//! good trader that keeps sending orders while a fault runs and checks
//! that it loses nothing. Every wait is bounded.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::runtime_support::{connect, field, fix, free_port, now_fix, Peer};

pub const BIN: &str = env!("CARGO_BIN_EXE_ringfix");

/// A `ringfix acceptor --app exec` process (killed on drop).
pub struct Acceptor {
    child: Child,
    pub port: u16,
    pub dir: tempfile::TempDir,
    stderr: PathBuf,
}

/// How to start an acceptor.
pub struct AcceptorSpec<'a> {
    /// Extra `[DEFAULT]` lines.
    pub defaults: &'a str,
    /// One `[SESSION]` per entry: (TargetCompID, extra lines).
    pub sessions: &'a [(&'a str, &'a str)],
    /// RLIMIT_FSIZE for the process (SIGXFSZ ignored), if any.
    pub fsize_limit: Option<u64>,
}

impl Acceptor {
    pub fn spawn(spec: &AcceptorSpec<'_>) -> Self {
        Self::spawn_env(spec, &[])
    }

    /// As [`spawn`](Self::spawn), with extra environment variables.
    pub fn spawn_env(spec: &AcceptorSpec<'_>, env: &[(&str, String)]) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let mut cfg = format!(
            "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nBeginString=FIX.4.4\n\
             SenderCompID=EXEC\nSocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\n\
             LogonTimeout=1\nLogoutTimeout=1\n{}\n",
            spec.defaults
        );
        for (target, extra) in spec.sessions {
            cfg.push_str(&format!("\n[SESSION]\nTargetCompID={target}\n{extra}\n"));
        }
        let cfg_path = dir.path().join("acceptor.cfg");
        std::fs::write(&cfg_path, cfg).unwrap();
        let stderr = dir.path().join("stderr.log");
        let err = std::fs::File::create(&stderr).unwrap();
        let mut cmd = match spec.fsize_limit {
            // `trap ''` makes SIGXFSZ ignored across exec: writes past the
            // limit then fail with EFBIG, as on a full disk.
            Some(limit) => {
                let mut c = Command::new("sh");
                c.arg("-c")
                    .arg(format!(
                        "trap '' XFSZ; exec prlimit --fsize={limit} {BIN} acceptor --app exec --config \"$0\""
                    ))
                    .arg(&cfg_path);
                c
            }
            None => {
                let mut c = Command::new(BIN);
                c.args(["acceptor", "--app", "exec", "--config"])
                    .arg(&cfg_path);
                c
            }
        };
        cmd.envs(env.iter().map(|(k, v)| (*k, v)));
        let child = cmd
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(err)
            .spawn()
            .unwrap();
        let acc = Self {
            child,
            port,
            dir,
            stderr,
        };
        assert!(
            acc.wait_log("acceptor ready", Duration::from_secs(10)),
            "acceptor did not start: {}",
            acc.log()
        );
        acc
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// A `/proc/<pid>/status` value in kB (VmRSS, RssAnon, RssFile...).
    pub fn status_kb(&self, key: &str) -> u64 {
        status_kb(self.pid(), key)
    }

    /// Open file descriptors of the process.
    pub fn fd_count(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid()))
            .unwrap()
            .count()
    }

    /// Everything the process logged to stderr so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// Log lines containing every one of `needles`.
    pub fn log_lines(&self, needles: &[&str]) -> Vec<String> {
        self.log()
            .lines()
            .filter(|l| needles.iter().all(|n| l.contains(n)))
            .map(str::to_owned)
            .collect()
    }

    /// Waits (bounded) until a log line contains `needle`.
    pub fn wait_log(&self, needle: &str, within: Duration) -> bool {
        wait_until(within, || self.log().contains(needle))
    }

    /// Waits (bounded) until a log line contains all of `needles`; returns
    /// when it was first seen.
    pub fn wait_log_all(&self, needles: &[&str], within: Duration) -> Option<Instant> {
        let start = Instant::now();
        while start.elapsed() < within {
            if !self.log_lines(needles).is_empty() {
                return Some(Instant::now());
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        None
    }

    pub fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for Acceptor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A `/proc/<pid>/status` value in kB (0 if the process is gone).
pub fn status_kb(pid: u32, key: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines()
        .find_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Waits (bounded) until `cond` holds.
pub fn wait_until(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < within {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    cond()
}

/// A raw FIX.4.4 session towards EXEC (we are `sender`).
pub struct Fix {
    pub peer: Peer,
    pub sender: String,
    /// Our next MsgSeqNum.
    pub seq: u64,
}

impl Fix {
    /// Connects (no Logon yet).
    pub fn connect(port: u16, sender: &str) -> Self {
        Self {
            peer: Peer::new(connect(port, Duration::from_secs(5))),
            sender: sender.to_owned(),
            seq: 1,
        }
    }

    /// The bytes of our next message `35=<body>` (header added, seq used).
    pub fn encode(&mut self, body: &str) -> Vec<u8> {
        let m = fix(&format!(
            "8=FIX.4.4|35={}|34={}|49={}|52={}|56=EXEC{}",
            body.split('|').next().unwrap(),
            self.seq,
            self.sender,
            now_fix(),
            body.find('|').map_or("", |i| &body[i..]),
        ));
        self.seq += 1;
        m
    }

    /// Sends our next message, e.g. `send("D|11=X|54=1|55=S|38=1|40=1")`.
    pub fn send(&mut self, body: &str) {
        let m = self.encode(body);
        self.peer.stream.write_all(&m).unwrap();
    }

    /// Connects and logs on with `hb` seconds; panics without a Logon answer.
    pub fn logon(port: u16, sender: &str, hb: u32) -> Self {
        let mut s = Self::connect(port, sender);
        s.send(&format!("A|98=0|108={hb}"));
        let answer = s.peer.read(Duration::from_secs(5)).expect("Logon answer");
        assert_eq!(field(&answer, 35).as_deref(), Some("A"), "{answer:?}");
        s
    }

    /// Reads until EOF (bounded): the messages and when EOF came.
    pub fn until_eof(&mut self, within: Duration) -> (Vec<Vec<u8>>, Option<Instant>) {
        let (msgs, eof) = self.peer.read_to_eof(within);
        (msgs, eof.then(Instant::now))
    }
}

/// A message type of a raw message.
pub fn msg_type(m: &[u8]) -> String {
    field(m, 35).unwrap_or_default()
}

/// What the good trader saw.
#[derive(Debug, Default)]
pub struct TraderReport {
    pub orders: u64,
    pub answered: u64,
    pub max_rtt: Duration,
    pub errors: Vec<String>,
}

impl TraderReport {
    /// Nothing lost, in order, contiguous, worst round trip under 1 s.
    pub fn assert_unaffected(&self, min_orders: u64) {
        assert!(self.errors.is_empty(), "good session: {:?}", self.errors);
        assert_eq!(self.orders, self.answered, "good session lost orders");
        assert!(
            self.orders >= min_orders,
            "good session traded only {} orders",
            self.orders
        );
        assert!(
            self.max_rtt < Duration::from_secs(1),
            "good session worst round trip {:?}",
            self.max_rtt
        );
    }
}

/// The good session: one order every `interval`, each answered by its
/// ExecutionReport before the next; checks ClOrdID, order and MsgSeqNum.
///
/// `start` returns once 20 orders were answered (trading is under way when
/// the fault begins); `finish` waits for 20 more (it went on after it).
pub struct Trader {
    stop: Arc<AtomicBool>,
    answered: Arc<AtomicU64>,
    handle: Option<JoinHandle<TraderReport>>,
}

impl Trader {
    pub fn start(port: u16, sender: &str) -> Self {
        let mut s = Fix::logon(port, sender, 30);
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let answered = Arc::new(AtomicU64::new(0));
        let count = Arc::clone(&answered);
        let handle = std::thread::spawn(move || trade(&mut s, &flag, &count));
        let t = Self {
            stop,
            answered,
            handle: Some(handle),
        };
        t.wait_more(20);
        t
    }

    /// Waits (bounded) until `n` more orders are answered.
    fn wait_more(&self, n: u64) {
        let target = self.answered.load(Ordering::Relaxed) + n;
        wait_until(Duration::from_secs(10), || {
            self.answered.load(Ordering::Relaxed) >= target
                || self.handle.as_ref().is_some_and(|h| h.is_finished())
        });
    }

    pub fn finish(mut self) -> TraderReport {
        self.wait_more(20);
        self.stop.store(true, Ordering::Relaxed);
        self.handle.take().unwrap().join().unwrap()
    }
}

impl Drop for Trader {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn trade(s: &mut Fix, stop: &AtomicBool, answered: &AtomicU64) -> TraderReport {
    let mut r = TraderReport::default();
    let mut expect_seq = 2u64; // after the acceptor's Logon
    while !stop.load(Ordering::Relaxed) {
        let id = format!("G{}", r.orders);
        let sent = Instant::now();
        s.send(&format!(
            "D|11={id}|21=1|38=100|40=2|44=10|54=1|55=RFIX|60={}",
            now_fix()
        ));
        r.orders += 1;
        loop {
            let Some(m) = s.peer.read(Duration::from_secs(3)) else {
                r.errors
                    .push(format!("no answer to {id} (eof {})", s.peer.eof));
                return r;
            };
            let seq: u64 = field(&m, 34).and_then(|v| v.parse().ok()).unwrap_or(0);
            if seq != expect_seq {
                r.errors
                    .push(format!("MsgSeqNum {seq}, expected {expect_seq}"));
            }
            expect_seq = seq + 1;
            match msg_type(&m).as_str() {
                "8" => {
                    let got = field(&m, 11).unwrap_or_default();
                    if got != id {
                        r.errors.push(format!("report for {got}, expected {id}"));
                    }
                    r.answered += 1;
                    answered.store(r.answered, Ordering::Relaxed);
                    r.max_rtt = r.max_rtt.max(sent.elapsed());
                    break;
                }
                "0" => {}
                "1" => {
                    let req = field(&m, 112).unwrap_or_default();
                    s.send(&format!("0|112={req}"));
                }
                other => r.errors.push(format!("unexpected message type {other}")),
            }
            if r.errors.len() > 10 {
                return r;
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    r
}

/// A `python3` peer process: connects, sends `bytes`, prints `READY` after
/// the first answer, then sleeps (so it can be stopped with SIGSTOP).
pub fn python_peer(port: u16, bytes: &[u8]) -> Child {
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let script = "import socket,sys,time\n\
        s=socket.create_connection(('127.0.0.1',int(sys.argv[1])))\n\
        s.sendall(bytes.fromhex(sys.argv[2]))\n\
        s.recv(4096)\n\
        print('READY',flush=True)\n\
        time.sleep(60)\n";
    Command::new("python3")
        .args(["-c", script, &port.to_string(), &hex])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Reads the child's stdout until a line equal to `word` (bounded by the
/// child: it prints it or exits).
pub fn wait_line(child: &mut Child, word: &str) -> bool {
    let mut out = child.stdout.take().unwrap();
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while out.read(&mut byte).unwrap_or(0) == 1 {
        if byte[0] == b'\n' {
            if buf == word.as_bytes() {
                return true;
            }
            buf.clear();
        } else {
            buf.push(byte[0]);
        }
    }
    false
}

/// Sends a signal with `kill(1)`.
pub fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig} {pid}");
}

/// The wall clock of a process run under libfaketime (Debian's
/// `faketime`): an offset in a timestamp file, re-read on every clock read
/// (`FAKETIME_NO_CACHE`), applied to CLOCK_REALTIME only
/// (`FAKETIME_DONT_FAKE_MONOTONIC`: the monotonic clocks, CLOCK_BOOTTIME
/// among them, stay true).
pub struct FakeWall {
    file: PathBuf,
    _dir: tempfile::TempDir,
}

/// Where Debian's `faketime` package puts the library.
const LIBFAKETIME: &str = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1";

impl FakeWall {
    /// An offset of zero; panics (with the package to install) when
    /// libfaketime is missing: this test cannot run without it.
    pub fn new() -> Self {
        assert!(
            std::path::Path::new(LIBFAKETIME).exists(),
            "{LIBFAKETIME} missing: apt-get install faketime"
        );
        let dir = tempfile::tempdir().unwrap();
        let w = Self {
            file: dir.path().join("faketime"),
            _dir: dir,
        };
        w.set(0);
        w
    }

    /// The wall clock now reads true time plus `secs` (written whole:
    /// a temporary file renamed over the old one).
    pub fn set(&self, secs: i64) {
        let tmp = self.file.with_extension("tmp");
        std::fs::write(&tmp, format!("{secs:+}\n")).unwrap();
        std::fs::rename(&tmp, &self.file).unwrap();
    }

    /// The environment that runs a process under this clock.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("LD_PRELOAD", LIBFAKETIME.to_owned()),
            (
                "FAKETIME_TIMESTAMP_FILE",
                self.file.to_string_lossy().into_owned(),
            ),
            ("FAKETIME_NO_CACHE", "1".to_owned()),
            ("FAKETIME_DONT_FAKE_MONOTONIC", "1".to_owned()),
        ]
    }
}

/// Prints one figure for the README (visible with `--nocapture`).
pub fn figure(case: &str, what: &str, d: Duration) {
    eprintln!("FIGURE {case}: {what} {:.1} ms", d.as_secs_f64() * 1e3);
}
