//! `ringfix stats` and `ringfix store` against real engines: an acceptor
//! and an initiator process exchanging orders over loopback.
use crate::ops_support;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ops_support::{stderr, stdout};
use serde_json::Value;

/// Kills the engine processes this test started if it fails midway.
struct Engines(Vec<Child>);

impl Drop for Engines {
    fn drop(&mut self) {
        for c in &mut self.0 {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn write_cfg(dir: &Path, name: &str, role: &str, session: &str) -> String {
    let store = dir.join(name).join("store");
    let text = format!(
        "[DEFAULT]\nConnectionType={role}\nNonStopSession=Y\nHeartBtInt=30\n\
         ReconnectInterval=1\nFileStorePath={}\n[SESSION]\n{session}\n",
        store.display()
    );
    let path = dir.join(format!("{name}.cfg"));
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_owned()
}

fn ringfix(stats_dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ringfix"))
        .args(args)
        .env("RINGFIX_STATS_DIR", stats_dir)
        .output()
        .unwrap()
}

fn spawn(stats_dir: &Path, args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ringfix"))
        .args(args)
        .env("RINGFIX_STATS_DIR", stats_dir)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The one session of the engine running `cfg`, once `ok` accepts it
/// (polled for at most 15 s).
fn session_when(stats_dir: &Path, cfg: &str, ok: impl Fn(&Value) -> bool) -> (Value, Value) {
    let start = Instant::now();
    let mut last = String::new();
    while start.elapsed() < Duration::from_secs(15) {
        let o = ringfix(stats_dir, &["stats", "--config", cfg, "--json"]);
        if o.status.success() {
            let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
            let s = v["engines"][0]["sessions"][0].clone();
            if ok(&s) {
                return (v["engines"][0].clone(), s);
            }
            last = stdout(&o);
        } else {
            last = stderr(&o);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("condition not reached; last answer: {last}");
}

fn u(v: &Value, k: &str) -> u64 {
    v[k].as_u64().unwrap_or_else(|| panic!("{k} in {v}"))
}

#[test]
fn stats_and_store_tools_against_running_engines() {
    let dir = tempfile::tempdir().unwrap();
    let stats_dir = dir.path().join("shm");
    let port = free_port();
    let acc = write_cfg(
        dir.path(),
        "acceptor",
        "acceptor",
        &format!(
            "BeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
             SocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}"
        ),
    );
    let ini = write_cfg(
        dir.path(),
        "initiator",
        "initiator",
        &format!(
            "BeginString=FIX.4.4\nSenderCompID=ORDERS\nTargetCompID=EXEC\n\
             SocketConnectHost=127.0.0.1\nSocketConnectPort={port}"
        ),
    );
    let mut engines = Engines(vec![
        spawn(&stats_dir, &["acceptor", "--config", &acc, "--app", "exec"]),
        spawn(
            &stats_dir,
            &[
                "initiator",
                "--config",
                &ini,
                "--count",
                "1000000",
                "--rate",
                "50",
            ],
        ),
    ]);
    let acceptor_pid = engines.0[0].id();

    // Logged on and some orders filled, as each engine sees it.
    let (engine, a) = session_when(&stats_dir, &acc, |s| {
        s["state"] == "active" && s["messages_in"].as_u64() > Some(3)
    });
    assert_eq!(engine["pid"], acceptor_pid);
    assert_eq!(engine["live"], true);
    assert_eq!(a["session"], "FIX.4.4:EXEC->ORDERS");
    let (_, i) = session_when(&stats_dir, &ini, |s| {
        s["state"] == "active" && s["messages_in"].as_u64() > Some(3)
    });
    assert_eq!(i["session"], "FIX.4.4:ORDERS->EXEC");
    for s in [&a, &i] {
        // One publish carries the counters and the sequence numbers
        // together: every message in or out of this fresh session moved
        // them by one.
        assert_eq!(u(s, "next_target_seq"), u(s, "messages_in") + 1, "{s}");
        assert_eq!(u(s, "next_sender_seq"), u(s, "messages_out") + 1, "{s}");
        assert!(u(s, "bytes_in") > 60 * u(s, "messages_in"), "{s}");
        assert!(u(s, "bytes_out") > 60 * u(s, "messages_out"), "{s}");
        assert_eq!(u(s, "reads_in_flight"), 1);
        assert_eq!(u(s, "connections"), 1);
        let left = s["read_deadline_in_ms"].as_i64().unwrap();
        // The next heartbeat / test request bound: within HeartBtInt.
        assert!(left > -1_000 && left <= 30_000, "{s}");
        assert!(s["last_inbound"].is_string() && s["last_outbound"].is_string());
        assert_eq!((u(s, "rejects_in"), u(s, "rejects_out")), (0, 0));
        assert!(s["time_in_state_ms"].as_i64().unwrap() >= 0);
    }

    // The store tools see the engine's lock and refuse to change the store.
    let o = ringfix(&stats_dir, &["store", "show", "--config", &acc, "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let st = &v["sessions"][0];
    assert_eq!(st["locked"], true);
    assert!(u(st, "next_target_seq") > 1);
    let o = ringfix(
        &stats_dir,
        &["store", "set-seq", "--config", &acc, "--target", "1"],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("in use by a running engine"));
    let o = ringfix(
        &stats_dir,
        &[
            "store", "dump", "--config", &acc, "--from", "1", "--to", "1",
        ],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("|35=A|"),
        "the acceptor's Logon: {}",
        stdout(&o)
    );

    // A graceful stop removes the page.
    let page = engine["page"].as_str().unwrap().to_owned();
    assert!(Path::new(&page).exists());
    let status = Command::new("kill")
        .args(["-TERM", &acceptor_pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let start = Instant::now();
    let exited = loop {
        if let Some(s) = engines.0[0].try_wait().unwrap() {
            break Some(s);
        }
        if start.elapsed() > Duration::from_secs(10) {
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(exited.is_some(), "acceptor did not stop on SIGTERM");
    assert!(!Path::new(&page).exists(), "page removed at exit");
    let o = ringfix(&stats_dir, &["stats", "--config", &acc]);
    assert_eq!(o.status.code(), Some(1));
    // The initiator notices the drop.
    session_when(&stats_dir, &ini, |s| s["state"] != "active");
}
