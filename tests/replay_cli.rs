//! `ringfix replay` on the command line: output shapes and exit codes.

mod replay_support;

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
