//! `ringfix stats` against pages published by this test process (a fake
//! engine: the real publisher, driven by hand).
use crate::ops_support;

use std::path::Path;

use ops_support::*;
use ringfix::codec::UtcTimestamp;
use ringfix::engine::session::SessionState;
use ringfix::engine::stats::{StatsPublisher, STATS_DIR_ENV};
use serde_json::Value;

fn now() -> UtcTimestamp {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap();
    UtcTimestamp::from_nanos(d.as_nanos() as i64)
}

fn plus_ms(t: UtcTimestamp, ms: i64) -> UtcTimestamp {
    UtcTimestamp::from_nanos(t.as_nanos() + ms * 1_000_000)
}

/// A fake engine with sessions A->B (active, some traffic) and A->C.
fn engine(dir: &Path) -> (StatsPublisher, UtcTimestamp) {
    let t0 = now();
    let ids = ["FIX.4.4:A->B".to_owned(), "FIX.4.4:A->C".to_owned()];
    let mut p = StatsPublisher::create_in(dir, &ids, t0).unwrap();
    let mut s = p.session(0).unwrap();
    s.connected();
    s.state(SessionState::Active, plus_ms(t0, -5_000));
    s.inbound(
        &fix("35=A|34=1|49=B|56=A|98=0|108=30|"),
        plus_ms(t0, -5_000),
    );
    s.inbound(&fix("35=2|34=2|49=B|56=A|7=1|16=0|"), plus_ms(t0, -2_000));
    let mut out = fix("35=A|34=1|49=A|56=B|98=0|108=30|");
    out.extend(fix("35=4|34=1|43=Y|49=A|56=B|123=Y|36=2|"));
    out.extend(fix("35=3|34=2|49=A|56=B|45=2|"));
    s.outbound(&out, plus_ms(t0, -1_000));
    // What the session decided about them (its events).
    s.resend_request(true);
    s.reject(false);
    s.seqnums(3, 3);
    s.read_deadline(Some(plus_ms(t0, 60_000)));
    // The engine's own time: 300 ns, 800 ns and 3 us.
    let per_ns = ringfix::engine::reactor::probe::ticks_per_ns();
    for ns in [300.0, 800.0, 3_000.0] {
        s.internal((ns * per_ns) as u64);
    }
    s.recv_timeout();
    s.queued_before(100);
    s.outbound(&[], t0);
    s.publish(t0);
    (p, t0)
}

fn stats(dir: &Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_ringfix"))
        .arg("stats")
        .args(args)
        .env(STATS_DIR_ENV, dir)
        .output()
        .unwrap()
}

fn stats_json(dir: &Path, args: &[&str]) -> Value {
    let o = stats(dir, &[args, &["--json"]].concat());
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

#[test]
fn json_has_every_field_of_every_session() {
    let dir = tempfile::tempdir().unwrap();
    let (p, t0) = engine(dir.path());
    let pid = std::process::id().to_string();
    let v = stats_json(dir.path(), &["--pid", &pid]);
    let engines = v["engines"].as_array().unwrap();
    assert_eq!(engines.len(), 1);
    let e = &engines[0];
    assert_eq!(e["pid"], std::process::id());
    assert_eq!(e["live"], true);
    assert_eq!(e["page"], p.path().display().to_string());
    let s = &e["sessions"][0];
    assert_eq!(s["session"], "FIX.4.4:A->B");
    assert_eq!(s["state"], "active");
    assert!(s["time_in_state_ms"].as_i64().unwrap() >= 5_000);
    assert_eq!(
        (s["messages_in"].as_u64(), s["messages_out"].as_u64()),
        (Some(2), Some(3))
    );
    assert!(s["bytes_in"].as_u64().unwrap() > 50);
    assert!(s["bytes_out"].as_u64().unwrap() > s["bytes_in"].as_u64().unwrap());
    assert_eq!(s["resend_requests_in"], 1);
    assert_eq!(s["resend_requests_out"], 0);
    assert_eq!(s["messages_resent"], 1);
    assert_eq!(
        (s["rejects_in"].as_u64(), s["rejects_out"].as_u64()),
        (Some(0), Some(1))
    );
    assert_eq!(
        (s["next_sender_seq"].as_u64(), s["next_target_seq"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(s["reads_in_flight"], 1);
    let left = s["read_deadline_in_ms"].as_i64().unwrap();
    assert!(left > 0 && left <= 60_000, "{left}");
    assert_eq!(s["connections"], 1);
    let rfc = |t: UtcTimestamp| ringfix_testkit::conversation::rfc3339_nanos(t.as_nanos());
    assert_eq!(s["last_inbound"], rfc(plus_ms(t0, -2_000)));
    assert_eq!(s["last_outbound"], rfc(plus_ms(t0, -1_000)));
    assert_eq!(s["read_deadline"], rfc(plus_ms(t0, 60_000)));
    assert_eq!(s["updated_at"], rfc(t0));
    assert_eq!(e["started_at"], rfc(t0));

    let c = &e["sessions"][1];
    assert_eq!(c["session"], "FIX.4.4:A->C");
    assert_eq!(c["state"], "disconnected");
    assert_eq!(c["last_inbound"], Value::Null);
    assert_eq!(c["read_deadline"], Value::Null);
    assert_eq!(c["reads_in_flight"], 0);
    drop(p);
}

#[test]
fn prometheus_has_every_metric_and_parses() {
    use ops_support::prom::{parse, value};
    let dir = tempfile::tempdir().unwrap();
    let (p, t0) = engine(dir.path());
    let pid = std::process::id().to_string();
    let o = stats(dir.path(), &["--pid", &pid, "--prometheus"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let samples = parse(&text);
    let ab = [("session", "FIX.4.4:A->B"), ("pid", pid.as_str())];
    let ac = [("session", "FIX.4.4:A->C"), ("pid", pid.as_str())];
    let v = |name: &str, labels: &[(&str, &str)]| {
        value(&samples, name, labels).unwrap_or_else(|| panic!("no {name} {labels:?} in\n{text}"))
    };
    for (name, ab_value) in [
        ("ringfix_messages_received_total", 2.0),
        ("ringfix_messages_sent_total", 3.0),
        ("ringfix_rejects_sent_total", 1.0),
        ("ringfix_rejects_received_total", 0.0),
        ("ringfix_resend_requests_total", 0.0),
        ("ringfix_resend_requests_received_total", 1.0),
        ("ringfix_messages_resent_total", 1.0),
        ("ringfix_sequence_gaps_total", 0.0),
        ("ringfix_recv_timeouts_total", 1.0),
        ("ringfix_connections_total", 1.0),
        ("ringfix_session_logged_on", 1.0),
        ("ringfix_next_sender_seq", 3.0),
        ("ringfix_next_target_seq", 3.0),
        ("ringfix_outbound_queue_bytes", 100.0),
    ] {
        assert_eq!(v(name, &ab), ab_value, "{name}");
        assert_eq!(v(name, &ac), 0.0, "{name} of the idle session");
    }
    assert!(v("ringfix_bytes_received_total", &ab) > 50.0);
    assert!(v("ringfix_bytes_sent_total", &ab) > v("ringfix_bytes_received_total", &ab));
    // Histogram: cumulative buckets at the fixed bounds.
    let bucket = |le: &str| {
        v(
            "ringfix_internal_seconds_bucket",
            &[ab[0], ab[1], ("le", le)],
        )
    };
    assert_eq!(bucket("0.00000025"), 0.0);
    assert_eq!(bucket("0.0000005"), 1.0);
    assert_eq!(bucket("0.000001"), 2.0);
    assert_eq!(bucket("0.000002"), 2.0);
    assert_eq!(bucket("0.000005"), 3.0);
    assert_eq!(bucket("+Inf"), 3.0);
    assert_eq!(v("ringfix_internal_seconds_count", &ab), 3.0);
    let sum = v("ringfix_internal_seconds_sum", &ab);
    assert!((sum - 4.1e-6).abs() < 0.1e-6, "{sum}");
    assert_eq!(v("ringfix_internal_seconds_count", &ac), 0.0);
    let started = v(
        "ringfix_engine_start_time_seconds",
        &[("pid", pid.as_str()), ("role", "primary")],
    );
    assert!((started - t0.as_nanos() as f64 / 1e9).abs() < 1e-3);
    // The same page, typed and read back: every family the issue names.
    for family in [
        "ringfix_reactor_loop_turns_total",
        "ringfix_uring_submissions_total",
        "ringfix_internal_seconds",
    ] {
        assert!(text.contains(&format!("# TYPE {family} ")), "{family}");
    }
    drop(p);
}

#[test]
fn prometheus_reactor_counters_and_role() {
    use ops_support::prom::{parse, value};
    use ringfix::engine::stats::{EngineRole, ReactorCounters};
    let dir = tempfile::tempdir().unwrap();
    let mut p =
        StatsPublisher::create_with_reactors(dir.path(), &["FIX.4.4:A->B".into()], 2, now())
            .unwrap();
    p.set_role(EngineRole::Standby);
    let mut r1 = p.reactor(1).unwrap();
    assert!(p.reactor(1).is_none(), "one writer per reactor slot");
    r1.publish(&ReactorCounters {
        core: Some(3),
        loop_turns: 1234,
        uring_submissions: 567,
        recv_timeouts: 8,
    });
    let pid = std::process::id().to_string();
    let o = stats(dir.path(), &["--pid", &pid, "--prometheus"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let samples = parse(&stdout(&o));
    let r = |name: &str, idx: &str| value(&samples, name, &[("reactor", idx), ("pid", &pid)]);
    assert_eq!(r("ringfix_reactor_loop_turns_total", "1"), Some(1234.0));
    assert_eq!(r("ringfix_uring_submissions_total", "1"), Some(567.0));
    assert_eq!(r("ringfix_reactor_loop_turns_total", "0"), Some(0.0));
    assert_eq!(
        value(
            &samples,
            "ringfix_engine_start_time_seconds",
            &[("pid", &pid), ("role", "standby")]
        )
        .map(|_| ()),
        Some(())
    );
    let v = stats_json(dir.path(), &["--pid", &pid]);
    assert_eq!(v["engines"][0]["role"], "standby");
    assert_eq!(v["engines"][0]["reactors"][1]["core"], 3);
    assert_eq!(v["engines"][0]["reactors"][1]["recv_timeouts"], 8);
}

#[test]
fn text_form() {
    let dir = tempfile::tempdir().unwrap();
    let (_p, _) = engine(dir.path());
    let o = stats(dir.path(), &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let text = stdout(&o);
    let head = format!("engine pid {} started ", std::process::id());
    for want in [
        head.as_str(),
        "FIX.4.4:A->B  active for ",
        "  seq        next sender 3, next target 3\n",
        "  resends    requests in 1, requests out 0, messages resent 1\n",
        "  rejects    in 0, out 1\n",
        "  reads      1 in flight, deadline ",
        "FIX.4.4:A->C  disconnected for ",
        "  last in    never\n",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
}

#[test]
fn config_selects_the_engine_and_its_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let (_p, _) = engine(dir.path());
    let other = StatsPublisher::create_in(dir.path(), &["FIX.4.2:X->Y".into()], now()).unwrap();
    let cfg = single_config(dir.path());
    let v = stats_json(dir.path(), &["--config", cfg.to_str().unwrap()]);
    let engines = v["engines"].as_array().unwrap();
    assert_eq!(engines.len(), 1);
    let sessions = engines[0]["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 1, "only the config's sessions");
    assert_eq!(sessions[0]["session"], "FIX.4.4:A->B");

    // Without selection: every live engine.
    let v = stats_json(dir.path(), &[]);
    assert_eq!(v["engines"].as_array().unwrap().len(), 2);
    // --page reads one file.
    let v = stats_json(dir.path(), &["--page", other.path().to_str().unwrap()]);
    assert_eq!(v["engines"][0]["sessions"][0]["session"], "FIX.4.2:X->Y");
}

#[test]
fn nothing_running_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = single_config(dir.path());
    let o = stats(dir.path(), &["--config", cfg.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("no running engine"), "{}", stderr(&o));
    let o = stats(dir.path(), &["--pid", "1"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("no stats page of pid 1"),
        "{}",
        stderr(&o)
    );
    let o = stats(dir.path(), &[]);
    assert_eq!(o.status.code(), Some(1));
    let o = stats(dir.path(), &["--pid", "1", "--page", "x"]);
    assert_eq!(o.status.code(), Some(2), "conflicting selections");
}

#[test]
fn a_crashed_engine_page_shows_only_by_pid_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let (p, _) = engine(dir.path());
    // What a kill -9 leaves: the page without its lock holder.
    let left = dir.path().join("ringfix-99999999.stats");
    std::fs::copy(p.path(), &left).unwrap();
    drop(p);
    let pid = std::process::id().to_string();
    let v = stats_json(dir.path(), &["--pid", &pid]);
    assert_eq!(v["engines"][0]["live"], false);
    assert_eq!(v["engines"][0]["sessions"][0]["messages_in"], 2);
    let o = stats(dir.path(), &["--pid", &pid]);
    assert!(stdout(&o).contains("NOT RUNNING, last values"));
    let o = stats(dir.path(), &[]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "stale pages are not running engines"
    );
}

/// A dead page whose pid is a running process (this one: pid reuse) is
/// still dead: its lock is gone. Reported, pruned; the live one never.
#[test]
fn pid_reuse_does_not_make_a_dead_page_live() {
    let dir = tempfile::tempdir().unwrap();
    let (p, _) = engine(dir.path());
    let left = dir.path().join("ringfix-99999999.stats");
    std::fs::copy(p.path(), &left).unwrap();
    let pid = std::process::id();
    let o = stats(dir.path(), &["--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["engines"].as_array().unwrap().len(), 1);
    assert_eq!(v["engines"][0]["page"], p.path().display().to_string());
    let note = format!(
        "skipped {}: engine pid {pid} is not running",
        left.display()
    );
    assert!(stderr(&o).contains(&note), "{}", stderr(&o));
    assert!(
        !ringfix::engine::stats::prune(p.path()).unwrap(),
        "a live page is not pruned"
    );
    let o = stats(dir.path(), &["--prune", "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(!left.exists());
    assert!(p.path().exists());
}
