//! `--log-format json`: every line of stderr is one JSON object with ts,
//! level, session, event and text; session events carry the session id.

use crate::runtime_support::{connect, field, free_port, now_fix, terminate, write_file, Peer};

use std::process::{Command, Stdio};
use std::time::Duration;

use serde_json::Value;

/// Parses every stderr line; panics on one that is not a JSON object with
/// the contract keys.
fn json_lines(stderr: &[u8]) -> Vec<Value> {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<Value> = text
        .lines()
        .map(|l| {
            let v: Value =
                serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l:?}"));
            let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
            for k in ["ts", "level", "session", "event", "text"] {
                assert!(keys.contains(&k), "{k} missing: {l}");
            }
            // Contract keys first, in this order.
            assert!(l.starts_with("{\"ts\":\""), "{l}");
            let ts = v["ts"].as_str().unwrap();
            assert!(
                ts.len() == 30 && ts.ends_with('Z') && &ts[10..11] == "T",
                "RFC 3339 UTC: {ts}"
            );
            assert!(
                ["error", "warn", "info", "debug", "trace"].contains(&v["level"].as_str().unwrap()),
                "{l}"
            );
            assert!(v["session"].is_null() || v["session"].is_string(), "{l}");
            assert!(v["event"].is_string() && v["text"].is_string(), "{l}");
            v
        })
        .collect();
    assert!(!lines.is_empty(), "no log line at all");
    lines
}

#[test]
fn acceptor_logs_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = write_file(
        dir.path(),
        "a.cfg",
        &format!(
            "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\n\
             [SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
             SocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\n"
        ),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_ringfix"))
        .args([
            "acceptor",
            "--app",
            "exec",
            "--log-format",
            "json",
            "--config",
        ])
        .arg(&cfg)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut peer = Peer::new(connect(port, Duration::from_secs(10)));
    peer.send(&format!(
        "8=FIX.4.4|35=A|34=1|49=ORDERS|52={}|56=EXEC|98=0|108=30",
        now_fix()
    ));
    let answer = peer.read(Duration::from_secs(5)).expect("Logon answer");
    assert_eq!(field(&answer, 35).as_deref(), Some("A"));
    drop(peer);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(terminate(&mut child), Some(0));
    let out = child.wait_with_output().unwrap();
    let lines = json_lines(&out.stderr);
    let session = |text: &str| {
        lines
            .iter()
            .find(|v| v["text"].as_str().is_some_and(|t| t.contains(text)))
            .unwrap_or_else(|| panic!("no line with {text:?} in {lines:#?}"))
    };
    let accepted = session("Accepted connection");
    assert_eq!(accepted["session"], "FIX.4.4:EXEC->ORDERS");
    assert_eq!(accepted["level"], "info");
    // `event` names what happened.
    assert_eq!(accepted["event"], "accepted");
    assert_eq!(session("Logon complete")["event"], "logon");
    let gone = session("Disconnected");
    assert_eq!(gone["session"], "FIX.4.4:EXEC->ORDERS");
    assert_eq!(gone["event"], "disconnected");
    // Lines of the engine that are not a session's: session null, the
    // event's own fields kept (the listener's address).
    let listening = session("listening");
    assert_eq!(listening["session"], Value::Null);
    assert_eq!(listening["event"], "listening");
    assert_eq!(listening["local"], format!("127.0.0.1:{port}"));
    assert_eq!(listening["sessions"], 1);
}

#[test]
fn demo_logs_json_lines() {
    let o = Command::new(env!("CARGO_BIN_EXE_ringfix"))
        .args(["demo", "--orders", "20", "--log-format", "json"])
        .env("RUST_LOG", "info")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let lines = json_lines(&o.stderr);
    assert!(lines.iter().any(|v| v["session"] == "FIX.4.4:ORDERS->EXEC"
        && v["event"] == "connecting"
        && v["text"].as_str().unwrap().contains("Connecting to")));
    for event in ["connected", "logon", "logout"] {
        assert!(
            lines
                .iter()
                .any(|v| v["session"] == "FIX.4.4:ORDERS->EXEC" && v["event"] == event),
            "no {event} line in {lines:#?}"
        );
    }
    // The summary stays on stdout, as text.
    assert!(String::from_utf8_lossy(&o.stdout).contains("round trip"));
}

/// An engine whose stderr is a closed pipe (a log reader that died) keeps
/// serving and stops cleanly: a failed log write is dropped, not reported
/// by a panicking eprintln in the thread that logged.
#[test]
fn a_closed_stderr_does_not_stop_the_engine() {
    for format in ["text", "json"] {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let cfg = write_file(
            dir.path(),
            "a.cfg",
            &format!(
                "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\n\
                 [SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
                 SocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\n"
            ),
        );
        let mut child = Command::new(env!("CARGO_BIN_EXE_ringfix"))
            .args([
                "acceptor",
                "--app",
                "exec",
                "--log-format",
                format,
                "--config",
            ])
            .arg(&cfg)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stderr.take());
        let mut peer = Peer::new(connect(port, Duration::from_secs(10)));
        peer.send(&format!(
            "8=FIX.4.4|35=A|34=1|49=ORDERS|52={}|56=EXEC|98=0|108=30",
            now_fix()
        ));
        let answer = peer.read(Duration::from_secs(5));
        assert_eq!(
            answer.and_then(|a| field(&a, 35)).as_deref(),
            Some("A"),
            "{format}: the engine answers after logging into a closed pipe"
        );
        drop(peer);
        assert_eq!(terminate(&mut child), Some(0), "{format}");
    }
}
