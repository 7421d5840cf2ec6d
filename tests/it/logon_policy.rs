//! QuickFIX/J's ResetOnLogonRejected (our Logon answered with a Logout:
//! the next Logon starts at MsgSeqNum 1) and LogMessageWhenSessionNotFound
//! (a first message for no session is logged whole, masked), each seen
//! from outside: the counterparty's wire and the process log.

use crate::runtime_support::{connect, field, free_port, now_fix, terminate, write_file, Peer};

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ringfix::engine::apps::echo::Echo;
use ringfix::engine::config::{EngineConfig, SessionConfig};
use ringfix::engine::runtime::Runtime;
use ringfix::engine::session::Application as EngineApp;

/// Waits (10 s at most) for the initiator's next connection and reads its
/// Logon.
fn next_logon(listener: &TcpListener) -> (Peer, Vec<u8>) {
    listener.set_nonblocking(true).unwrap();
    let start = Instant::now();
    let stream = loop {
        match listener.accept() {
            Ok((s, _)) => break s,
            Err(_) if start.elapsed() < Duration::from_secs(10) => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => panic!("no connection from the initiator: {e}"),
        }
    };
    stream.set_nonblocking(false).unwrap();
    let mut peer = Peer::new(stream);
    let logon = peer.read(Duration::from_secs(5)).expect("a Logon");
    assert_eq!(field(&logon, 35).as_deref(), Some("A"), "{logon:?}");
    (peer, logon)
}

/// The MsgSeqNum of the Logon after the counterparty answered our first
/// Logon with a Logout.
fn logon_after_rejection(reset_on_logon_rejected: &str) -> u64 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let text = format!(
        "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\n\
         ReconnectInterval=1\nResetOnLogonRejected={reset_on_logon_rejected}\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=ORDERS\nTargetCompID=EXEC\n\
         SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n"
    );
    let cfg = EngineConfig::parse(&text, "initiator.cfg").unwrap();
    let mut client = Runtime::start(
        &cfg,
        Box::new(|_s: &SessionConfig| -> Box<dyn EngineApp + Send> { Box::new(Echo::new()) }),
    )
    .unwrap();
    let (mut peer, logon) = next_logon(&listener);
    assert_eq!(field(&logon, 34).as_deref(), Some("1"));
    peer.send(&format!(
        "8=FIX.4.4|35=5|34=1|49=EXEC|52={}|56=ORDERS|58=Unknown counterparty",
        now_fix()
    ));
    let _ = peer.read_to_eof(Duration::from_secs(5));
    drop(peer);
    let (_peer, logon) = next_logon(&listener);
    client.stopper().stop();
    client.wait();
    field(&logon, 34).unwrap().parse().unwrap()
}

#[test]
fn reset_on_logon_rejected_starts_the_next_logon_at_one() {
    assert_eq!(logon_after_rejection("Y"), 1, "numbers reset");
    // Without it: Logon 1, our Logout 2, the next Logon 3.
    assert_eq!(logon_after_rejection("N"), 3, "numbers kept");
}

/// The acceptor's stderr (JSON lines) after a Logon for no session.
fn log_of_unknown_logon(log_message: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = write_file(
        dir.path(),
        "a.cfg",
        &format!(
            "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\n\
             LogMessageWhenSessionNotFound={log_message}\n\
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
        "8=FIX.4.4|35=A|34=1|49=STRANGER|52={}|56=EXEC|98=0|108=30|553=bob|554=hunter2",
        now_fix()
    ));
    let (got, closed) = peer.read_to_eof(Duration::from_secs(5));
    assert!(got.is_empty() && closed, "{got:?}");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(terminate(&mut child), Some(0));
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn log_message_when_session_not_found_logs_it_masked() {
    let log = log_of_unknown_logon("Y");
    let line = log
        .lines()
        .find(|l| l.contains("\"event\":\"session_not_found\""))
        .unwrap_or_else(|| panic!("no session_not_found line in {log}"));
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["level"], "warn", "{line}");
    assert_eq!(v["sender_comp_id"], "STRANGER", "{line}");
    assert_eq!(v["target_comp_id"], "EXEC", "{line}");
    let text = v["text"].as_str().unwrap();
    assert!(
        text.contains("|35=A|34=1|49=STRANGER|") && text.contains("|553=bob|554=***|"),
        "{text}"
    );
    assert!(!log.contains("hunter2"), "{log}");

    // Off (the default): the refusal only, not the message.
    let log = log_of_unknown_logon("N");
    assert!(!log.contains("session_not_found"), "{log}");
    assert!(!log.contains("49=STRANGER"), "{log}");
}
