//! `MetricsListen`: `/metrics` and `/health` over HTTP from running
//! engines; health transitions, clients that hold connections without
//! asking, and a listen address that cannot be bound. Every wait is bounded.

use crate::ops_support::prom;
use crate::runtime_support::{free_port, write_file};

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

use ringfix::engine::apps::exec::Exec;
use ringfix::engine::config::{EngineConfig, SessionSettings};
use ringfix::engine::runtime::{Runtime, RuntimeError};
use ringfix::engine::session::Application;
use serde_json::Value;

const METRICS: &str = "MetricsListen=127.0.0.1:0";

fn start(text: &str) -> Result<Runtime, RuntimeError> {
    let cfg = EngineConfig::parse(text, "engine.cfg").unwrap();
    Runtime::start(
        &cfg,
        Box::new(|_s: &SessionSettings| -> Box<dyn Application + Send> { Box::new(Exec::new()) }),
    )
}

fn acceptor(port: u16, extra: &str) -> Runtime {
    start(&format!(
        "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\n{extra}\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
         SocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\n"
    ))
    .unwrap()
}

fn initiator(port: u16, extra: &str) -> Runtime {
    start(&format!(
        "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\n\
         ReconnectInterval=1\n{extra}\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=ORDERS\nTargetCompID=EXEC\n\
         SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n"
    ))
    .unwrap()
}

/// One HTTP/1.1 request; (status, head, body).
fn http(addr: SocketAddr, method: &str, path: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").expect("a complete answer");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_owned(), body.to_owned())
}

fn health(addr: SocketAddr) -> (u16, Value) {
    let (status, head, body) = http(addr, "GET", "/health");
    assert!(head.contains("Content-Type: application/json"), "{head}");
    (status, serde_json::from_str(&body).unwrap())
}

/// Waits (bounded) until `/health` answers `status`; returns the body.
fn health_becomes(addr: SocketAddr, status: u16, within: Duration) -> Value {
    let start = Instant::now();
    loop {
        let (s, v) = health(addr);
        if s == status {
            return v;
        }
        assert!(
            start.elapsed() < within,
            "/health stayed {s}, not {status}: {v}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn health_follows_the_sessions() {
    let port = free_port();
    let mut client = initiator(port, METRICS);
    let addr = client.metrics_addr().expect("metrics address");
    // Nobody to connect to: the initiator should be up and is not.
    let v = health_becomes(addr, 503, Duration::from_secs(5));
    assert_eq!(v["status"], "down");
    assert_eq!(v["role"], "primary");
    assert_eq!(v["pid"], std::process::id());
    assert_eq!(v["down"], serde_json::json!(["FIX.4.4:ORDERS->EXEC"]));
    assert_eq!(v["sessions"][0]["expected"], true);

    // The counterparty comes: logged on, 200. An acceptor waiting for its
    // counterparty counts as up, so the acceptor's own check is 200 too.
    let mut server = acceptor(port, METRICS);
    let v = health_becomes(addr, 200, Duration::from_secs(10));
    assert_eq!(v["status"], "up");
    assert_eq!(v["down"], serde_json::json!([]));
    assert_eq!(v["sessions"][0]["state"], "active");
    let server_addr = server.metrics_addr().unwrap();
    assert_eq!(health(server_addr).0, 200);

    // The counterparty goes: 503 again, naming the session.
    server.stopper().stop();
    server.wait();
    assert!(
        TcpStream::connect_timeout(&server_addr, Duration::from_secs(1)).is_err(),
        "the stopped engine no longer serves"
    );
    let v = health_becomes(addr, 503, Duration::from_secs(10));
    assert_eq!(v["down"][0], "FIX.4.4:ORDERS->EXEC");
    client.stopper().stop();
    client.wait();
}

#[test]
fn silent_clients_cannot_stall_health() {
    let mut rt = acceptor(0, METRICS);
    let addr = rt.metrics_addr().unwrap();
    // More silent connections than the server holds, plus half a request.
    let mut silent: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(addr).unwrap())
        .collect();
    let mut partial = TcpStream::connect(addr).unwrap();
    partial.write_all(b"GET /health HTTP/1.1\r\nHost:").unwrap();
    silent.push(partial);
    let start = Instant::now();
    let (status, v) = health(addr);
    let took = start.elapsed();
    assert_eq!(status, 200, "{v}");
    // Well inside the 2 s the server gives a client to send its request:
    // the answer did not wait for the silent ones.
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    // Metrics too, while they still hold their connections.
    let (status, _, body) = http(addr, "GET", "/metrics");
    assert_eq!(status, 200);
    assert!(body.contains("ringfix_session_logged_on{session=\"FIX.4.4:EXEC->ORDERS\""));
    // A silent client is closed at its deadline (about 2 s).
    let mut last = silent.pop().unwrap();
    last.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut buf = [0u8; 64];
    let n = last.read(&mut buf).unwrap_or(0);
    assert_eq!(n, 0, "a client that never finishes its request is closed");
    drop(silent);
    rt.stopper().stop();
    rt.wait();
}

#[test]
fn metrics_parse_and_other_requests_are_refused() {
    let mut rt = acceptor(0, METRICS);
    let addr = rt.metrics_addr().unwrap();
    let (status, head, body) = http(addr, "GET", "/metrics");
    assert_eq!(status, 200);
    assert!(
        head.contains("Content-Type: text/plain; version=0.0.4"),
        "{head}"
    );
    let samples = prom::parse(&body);
    let pid = std::process::id().to_string();
    let labels = [("session", "FIX.4.4:EXEC->ORDERS"), ("pid", pid.as_str())];
    for name in [
        "ringfix_messages_received_total",
        "ringfix_messages_sent_total",
        "ringfix_rejects_sent_total",
        "ringfix_rejects_received_total",
        "ringfix_resend_requests_total",
        "ringfix_sequence_gaps_total",
        "ringfix_session_logged_on",
        "ringfix_next_sender_seq",
        "ringfix_next_target_seq",
        "ringfix_outbound_queue_bytes",
        "ringfix_recv_timeouts_total",
        "ringfix_internal_seconds_count",
    ] {
        assert!(
            prom::value(&samples, name, &labels).is_some(),
            "{name} missing:\n{body}"
        );
    }
    let reactor = [("reactor", "0"), ("pid", pid.as_str())];
    // The supervisor copies the reactor's counters within 200 ms.
    let start = Instant::now();
    loop {
        let (_, _, body) = http(addr, "GET", "/metrics");
        let samples = prom::parse(&body);
        let turns = prom::value(&samples, "ringfix_reactor_loop_turns_total", &reactor);
        let subs = prom::value(&samples, "ringfix_uring_submissions_total", &reactor);
        if turns.unwrap() > 0.0 && subs.unwrap() > 0.0 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{turns:?} {subs:?}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The same exposition as `ringfix stats --prometheus` of this process.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_ringfix"))
        .args(["stats", "--prometheus", "--pid", &pid])
        .output()
        .unwrap();
    assert!(o.status.success());
    let cli = String::from_utf8(o.stdout).unwrap();
    let families = |t: &str| -> Vec<String> {
        t.lines()
            .filter(|l| l.starts_with("# TYPE "))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(families(&cli), families(&body));
    assert!(cli.contains("session=\"FIX.4.4:EXEC->ORDERS\""));

    let (status, head, body) = http(addr, "HEAD", "/health");
    assert_eq!(status, 200);
    assert!(head.contains("Content-Length: ") && body.is_empty());
    assert_eq!(http(addr, "GET", "/nope").0, 404);
    assert_eq!(http(addr, "POST", "/metrics").0, 405);
    assert_eq!(http(addr, "GET", "/health?verbose=1").0, 200);
    rt.stopper().stop();
    rt.wait();
}

#[test]
fn a_metrics_address_that_cannot_be_bound_stops_the_start() {
    let taken = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();
    let cfg = format!(
        "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nMetricsListen=127.0.0.1:{port}\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
         SocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n"
    );
    let e = start(&cfg).err().expect("start refused");
    assert!(
        e.to_string()
            .starts_with(&format!("MetricsListen=127.0.0.1:{port}: ")),
        "{e}"
    );
    // The command line: exit 1, the key named.
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(dir.path(), "a.cfg", &cfg);
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_ringfix"))
        .args(["acceptor", "--config", path.to_str().unwrap()])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("MetricsListen=127.0.0.1:{port}")),
        "{err}"
    );
    drop(taken);
}

/// An HA initiator node (etcd at `etcd`) whose counterparty never answers.
fn ha_node(name: &str, etcd: &str, me: u16, peer: u16, fix: u16, dir: &std::path::Path) -> Runtime {
    start(&format!(
        "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\n\
         ReconnectInterval=1\n{METRICS}\nFileStorePath={store}\nHaEnabled=Y\n\
         HaEtcdEndpoints={etcd}\nHaNodeName={name}\nHaLeaseTtl=3\n\
         HaReplicationListen=127.0.0.1:{me}\nHaPeers=127.0.0.1:{peer}\nHaReplication=async\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=ORDERS\nTargetCompID=EXEC\n\
         SocketConnectHost=127.0.0.1\nSocketConnectPort={fix}\n",
        store = dir.join(name).display(),
    ))
    .unwrap()
}

/// Waits (bounded) until `/health` answers what `ok` wants.
fn health_until(addr: SocketAddr, within: Duration, ok: impl Fn(&Value) -> bool) -> (u16, Value) {
    let start = Instant::now();
    loop {
        let (s, v) = health(addr);
        if ok(&v) {
            return (s, v);
        }
        assert!(start.elapsed() < within, "/health stayed: {v}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn health_reports_the_hot_standby_role() {
    let etcd = crate::ha_support::etcd::Etcd::local();
    let dir = tempfile::tempdir().unwrap();
    let (pa, pb, fix) = (free_port(), free_port(), free_port());
    let a = ha_node("a", &etcd.url, pa, pb, fix, dir.path());
    let a_addr = a.metrics_addr().unwrap();
    // a leads (alone): primary, its session leader and down (nobody
    // answers), so 503.
    let leads = |v: &Value| v["role"] == "primary" && v["sessions"][0]["ha"] == "leader";
    let (status, v) = health_until(a_addr, Duration::from_secs(15), leads);
    assert_eq!(status, 503, "{v}");
    assert_eq!(v["down"], serde_json::json!(["FIX.4.4:ORDERS->EXEC"]));

    // b stands by: 200 with its role, its session up there.
    let b = ha_node("b", &etcd.url, pb, pa, fix, dir.path());
    let b_addr = b.metrics_addr().unwrap();
    let (status, v) = health_until(b_addr, Duration::from_secs(5), |v| v["role"] == "standby");
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["status"], "standby");
    assert_eq!(v["sessions"][0]["ha"], "standby");
    assert_eq!(v["sessions"][0]["up"], true);

    // a stops once b is in sync (only an in-sync standby may take over):
    // b takes over and reports what a reported.
    let insync = || {
        etcd.client()
            .get(&ringfix::engine::ha::keys::insync("FIX.4.4:ORDERS->EXEC"))
            .unwrap()
            .map(|kv| ringfix::engine::ha::keys::insync_nodes(&kv.value))
            .unwrap_or_default()
    };
    let start = Instant::now();
    while !insync().iter().any(|n| n == "b") {
        assert!(start.elapsed() < Duration::from_secs(15), "b never in sync");
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(a);
    let (status, v) = health_until(b_addr, Duration::from_secs(15), leads);
    assert_eq!(status, 503, "{v}");
    drop(b);
}
