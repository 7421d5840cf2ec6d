//! `ringfix replay` on the command line: output shapes and exit codes.

use ringfix_testkit::conversation as replay_support;

use std::process::Command;

use replay_support::{write, Conv, SEC, T0};

fn ringfix(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ringfix"))
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn gap_capture() -> Conv {
    let mut c = Conv::default();
    c.logon(T0, 1, 1).msg(T0 + SEC, true, "0", 3, "");
    c
}

#[test]
fn offline_json_is_one_object_per_event_then_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "gap.pcap", &gap_capture().pcap());
    let (code, out, err) = ringfix(&["replay", path.to_str().unwrap(), "--offline", "--json"]);
    assert_eq!(code, 0, "{err}");
    let objs: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let names: Vec<&str> = objs.iter().map(|o| o["event"].as_str().unwrap()).collect();
    assert_eq!(names.first(), Some(&"connected"));
    assert_eq!(names.last(), Some(&"summary"));
    let rr = objs
        .iter()
        .find(|o| o["event"] == "send" && o["msg_type"] == "2")
        .expect("a ResendRequest");
    assert_eq!(rr["fields"]["7"], "2");
    assert_eq!(rr["origin"], "session");
    assert_eq!(rr["ts_ns"], T0 + SEC);
    let summary = objs.last().unwrap();
    assert_eq!(summary["side"], "acceptor");
    assert_eq!(summary["sides_from"], "syn");
    assert_eq!(summary["session"], "FIX.4.4:SERVER->CLIENT");
}

#[test]
fn offline_text_names_the_events() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "gap.log", &gap_capture().file_log());
    let (code, out, _) = ringfix(&[
        "replay",
        path.to_str().unwrap(),
        "--offline",
        "--side",
        "initiator",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("recv         34=1 35=A Logon 108=30"), "{out}");
    assert!(
        out.lines()
            .last()
            .unwrap()
            .starts_with("replayed FIX.4.4:CLIENT->SERVER as initiator (sides from logon)"),
        "{out}"
    );
}

#[test]
fn bad_input_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "empty.log", b"no fix here\n");
    let (code, _, err) = ringfix(&["replay", path.to_str().unwrap(), "--offline"]);
    assert_eq!(code, 2);
    assert!(err.contains("no FIX message"), "{err}");
}

#[test]
fn offline_config_brings_the_sessions_checks() {
    let dir = tempfile::tempdir().unwrap();
    // The client's clock is 200 s behind the capture's on its second order.
    let mut c = Conv::default();
    c.logon(T0, 1, 1);
    let late = replay_support::sending_time(T0 + 2 * SEC - 200 * SEC);
    c.lines.push(replay_support::Line {
        ts: T0 + 2 * SEC,
        from_client: true,
        bytes: ringfix_testkit::pcap::fix(&format!("35=0|34=2|49=CLIENT|52={late}|56=SERVER")),
    });
    let log = write(dir.path(), "skew.log", &c.file_log());
    let cfg = write(
        dir.path(),
        "ours.cfg",
        b"[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nMaxLatency=300\n\n[SESSION]\n\
          BeginString=FIX.4.4\nSenderCompID=SERVER\nTargetCompID=CLIENT\nSocketAcceptPort=1\n",
    );
    let run = |extra: &[&str]| {
        let mut args = vec!["replay", log.to_str().unwrap(), "--offline", "--json"];
        args.extend_from_slice(extra);
        let (code, out, err) = ringfix(&args);
        assert_eq!(code, 0, "{err}");
        let last: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
        (out, last)
    };
    // QuickFIX defaults: MaxLatency 120 s, the heartbeat is rejected (373=10).
    let (out, summary) = run(&[]);
    assert_eq!(summary["rejects"], 1, "{out}");
    assert!(out.contains(r#""373":"10""#), "{out}");
    // The configured session allows 300 s.
    let (out, summary) = run(&["--config", cfg.to_str().unwrap()]);
    assert_eq!(summary["rejects"], 0, "{out}");
    assert_eq!(summary["final_state"], "active", "{out}");
}
