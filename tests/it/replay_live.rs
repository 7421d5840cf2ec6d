//! Live replay against a local `ringfix acceptor` (echo and exec apps):
//! the captured initiator side is played again, the answers diffed.

use ringfix_testkit::conversation as replay_support;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use replay_support::{write, Conv, SEC, T0};

const BIN: &str = env!("CARGO_BIN_EXE_ringfix");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A local acceptor (ORDERS -> EXEC), killed on drop.
struct Acceptor {
    child: Child,
    port: u16,
}

impl Acceptor {
    fn start(dir: &Path, app: &str) -> Acceptor {
        let port = free_port();
        let cfg = write(
            dir,
            "acceptor.cfg",
            format!(
                "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\n\n[SESSION]\n\
                 BeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
                 SocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\n"
            )
            .as_bytes(),
        );
        let child = Command::new(BIN)
            .args(["acceptor", "--app", app, "--config"])
            .arg(&cfg)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        Acceptor { child, port }
    }
}

impl Drop for Acceptor {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Our side's configuration: ORDERS -> EXEC (the capture says CLIENT -> SERVER).
fn initiator_cfg(dir: &Path, port: u16) -> PathBuf {
    write(
        dir,
        "replay.cfg",
        format!(
            "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\n\n[SESSION]\n\
             BeginString=FIX.4.4\nSenderCompID=ORDERS\nTargetCompID=EXEC\n\
             SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n"
        )
        .as_bytes(),
    )
}

fn order(n: u64) -> String {
    format!("11=ORD{n}|21=1|38=100|40=2|44=10|54=1|55=IBM|60=20231114-22:13:21.000")
}

/// Three orders, each answered by `answer(n)` from the acceptor.
fn capture(answer: impl Fn(u64) -> (&'static str, String)) -> Conv {
    let mut c = Conv::default();
    c.logon(T0, 1, 1);
    for n in 1..=3 {
        let t = T0 + SEC + (n as i64) * 200_000_000;
        c.msg(t, true, "D", n + 1, &order(n));
        let (ty, body) = answer(n);
        c.msg(t + 1_000_000, false, ty, n + 1, &body);
    }
    c
}

/// What the exec app answers: a complete fill.
fn fill(n: u64) -> (&'static str, String) {
    (
        "8",
        format!(
            "6=10|11=ORD{n}|14=100|17={n}|31=10|32=100|37={n}|38=100|39=2|54=1|55=IBM|\
             60=20231114-22:13:21.000|150=F|151=0"
        ),
    )
}

/// What the echo app answers: the order itself.
fn echo(n: u64) -> (&'static str, String) {
    ("D", order(n))
}

fn replay(dir: &Path, capture: &Conv, port: u16, extra: &[&str]) -> Output {
    let file = write(dir, "capture.log", &capture.file_log());
    let cfg = initiator_cfg(dir, port);
    let to = format!("127.0.0.1:{port}");
    Command::new(BIN)
        .arg("replay")
        .arg(&file)
        .args(["--to", &to, "--side", "initiator", "--config"])
        .arg(&cfg)
        .args(["--wait", "3"])
        .args(extra)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn exec_acceptor_answers_as_captured() {
    let dir = tempfile::tempdir().unwrap();
    let acceptor = Acceptor::start(dir.path(), "exec");
    let out = replay(
        dir.path(),
        &capture(fill),
        acceptor.port,
        &["--speed", "10x"],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    assert!(t.contains("sent 3/3 captured messages; answers: 3 live, 3 captured, 3 matched; logged on: yes; end: our logout"), "{t}");
    assert!(t.contains("differences: 0"), "{t}");
    assert!(
        t.contains("pacing (lateness against schedule over 3 sends): p50 "),
        "{t}"
    );
}

#[test]
fn echo_acceptor_at_max_speed_writes_an_empty_json_report() {
    let dir = tempfile::tempdir().unwrap();
    let acceptor = Acceptor::start(dir.path(), "echo");
    let report = dir.path().join("report.json");
    let out = replay(
        dir.path(),
        &capture(echo),
        acceptor.port,
        &[
            "--speed",
            "max",
            "--json",
            "--report",
            report.to_str().unwrap(),
        ],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(0), "{t}");
    let r: serde_json::Value = serde_json::from_slice(&std::fs::read(&report).unwrap()).unwrap();
    assert_eq!(r["differences"], serde_json::json!([]), "{r}");
    assert_eq!(
        (r["sent"].as_u64(), r["answers"]["live"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(r["session"], "FIX.4.4:ORDERS->EXEC");
}

#[test]
fn a_changed_capture_gives_a_diff_and_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let acceptor = Acceptor::start(dir.path(), "exec");
    // The captured acceptor left ORD2 new (39=0, 150=0) and rejected ORD3.
    let changed = capture(|n| match n {
        2 => (
            "8",
            "6=0|11=ORD2|14=0|17=2|37=2|38=100|39=0|54=1|55=IBM|150=0|151=100".into(),
        ),
        3 => ("j", "45=4|372=D|380=3|58=no".into()),
        _ => fill(n),
    });
    let report = dir.path().join("report.txt");
    let out = replay(
        dir.path(),
        &changed,
        acceptor.port,
        &["--speed", "max", "--report", report.to_str().unwrap()],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    let r = std::fs::read_to_string(&report).unwrap();
    assert!(r.contains("differences: 3"), "{r}");
    assert!(r.contains("  changed     35=8 11=ORD2 39=0 150=0 54=1 55=IBM 38=100 14=0 151=100: \
         39 captured 0 live 2; 150 captured 0 live F; 14 captured 0 live 100; 151 captured 100 live 0\n"), "{r}");
    assert!(r.contains("  missing     captured 34=4 35=j 380=3\n  unexpected  live 34=4 35=8 11=ORD3 39=2 150=F"), "{r}");
    assert!(r.contains("pacing: no scheduled sends (max speed)"), "{r}");
    assert!(t.contains("report: "), "{t}");
}

#[test]
fn key_option_narrows_the_comparison() {
    let dir = tempfile::tempdir().unwrap();
    let acceptor = Acceptor::start(dir.path(), "exec");
    // Only ClOrdID compared: a different OrdStatus goes unnoticed.
    let changed = capture(|n| match n {
        2 => ("8", "11=ORD2|39=0|150=0".into()),
        _ => fill(n),
    });
    let out = replay(
        dir.path(),
        &changed,
        acceptor.port,
        &["--speed", "max", "--key", "11"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// Waits for `child` (bounded), killing it on timeout.
fn wait_output(child: Child, within: std::time::Duration) -> Output {
    let pid = child.id();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let flag = std::sync::Arc::clone(&done);
    let guard = std::thread::spawn(move || {
        let start = std::time::Instant::now();
        while start.elapsed() < within {
            if flag.load(std::sync::atomic::Ordering::SeqCst) {
                return;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    });
    let out = child.wait_with_output().unwrap();
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    guard.join().unwrap();
    out
}

#[test]
fn acceptor_side_answers_a_live_initiator_order_by_order() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    // The captured acceptor filled orders 0, 1, 2 as `ringfix initiator` numbers them.
    let mut c = Conv::default();
    c.logon(T0, 1, 1);
    for n in 0..3u64 {
        let t = T0 + SEC + (n as i64) * 100_000_000;
        let o = format!("11={n}|21=1|38=100|40=2|44=100.25|54=1|55=RFIX|60=20231114-22:13:21.000");
        c.msg(t, true, "D", n + 2, &o);
        let f = format!(
            "6=100.25|11={n}|14=100|17={n}|31=100.25|32=100|37={n}|38=100|39=2|54=1|55=RFIX|\
             60=20231114-22:13:21.000|150=F|151=0"
        );
        c.msg(t + 2_000_000, false, "8", n + 2, &f);
    }
    let file = write(dir.path(), "capture.pcap", &c.pcap());
    let ours = write(
        dir.path(),
        "ours.cfg",
        format!(
            "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\n\n[SESSION]\n\
             BeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
             SocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\n"
        )
        .as_bytes(),
    );
    let theirs = write(
        dir.path(),
        "initiator.cfg",
        format!(
            "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\n\
             ReconnectInterval=1\n\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=ORDERS\n\
             TargetCompID=EXEC\nSocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n"
        )
        .as_bytes(),
    );
    let to = format!("127.0.0.1:{port}");
    let replay = Command::new(BIN)
        .arg("replay")
        .arg(&file)
        .args([
            "--to", &to, "--side", "acceptor", "--speed", "1x", "--config",
        ])
        .arg(&ours)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let initiator = Command::new(BIN)
        .args(["initiator", "--count", "3", "--config"])
        .arg(&theirs)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let replay = wait_output(replay, std::time::Duration::from_secs(30));
    let initiator = wait_output(initiator, std::time::Duration::from_secs(30));
    let t = text(&replay);
    assert_eq!(
        replay.status.code(),
        Some(0),
        "{t}\ninitiator: {}",
        text(&initiator)
    );
    assert!(t.contains("sent 3/3 captured messages; answers: 3 live, 3 captured, 3 matched; logged on: yes; end: peer logout"), "{t}");
    assert!(t.contains("differences: 0"), "{t}");
    assert_eq!(initiator.status.code(), Some(0), "{}", text(&initiator));
}

#[test]
fn restamped_transact_time_shows_in_the_echo() {
    let dir = tempfile::tempdir().unwrap();
    let acceptor = Acceptor::start(dir.path(), "echo");
    let args = [
        "--speed",
        "max",
        "--restamp",
        "60",
        "--key",
        "11",
        "--key",
        "60",
    ];
    let out = replay(dir.path(), &capture(echo), acceptor.port, &args);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(t.contains("differences: 3"), "{t}");
    assert!(
        t.contains("changed     35=D 11=ORD1 60=20231114-22:13:21.000: 60 captured 20231114-22:13:21.000 live 20"),
        "{t}"
    );
    assert!(!t.contains("live 20231114-22:13:21.000"), "{t}");
}

#[test]
fn a_refused_logon_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let acceptor = Acceptor::start(dir.path(), "exec");
    // Our configuration names CompIDs the acceptor does not know.
    let cfg = write(
        dir.path(),
        "stranger.cfg",
        format!(
            "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\n\n[SESSION]\n\
             BeginString=FIX.4.4\nSenderCompID=STRANGER\nTargetCompID=EXEC\n\
             SocketConnectHost=127.0.0.1\nSocketConnectPort={}\n",
            acceptor.port
        )
        .as_bytes(),
    );
    let file = write(dir.path(), "capture.log", &capture(fill).file_log());
    let to = format!("127.0.0.1:{}", acceptor.port);
    let out = Command::new(BIN)
        .arg("replay")
        .arg(&file)
        .args([
            "--to",
            &to,
            "--side",
            "initiator",
            "--speed",
            "max",
            "--config",
        ])
        .arg(&cfg)
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("sent 0/3 captured messages") && t.contains("logged on: no"),
        "{t}"
    );
}
