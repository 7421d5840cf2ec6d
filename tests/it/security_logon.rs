//! Logon security seen on the wire: MaxFailedLogonsPerMinute closing a
//! failing address's connections at accept; the initiator's Username and
//! Password from LogonUsername / LogonPasswordFile; the journal's copy of
//! our Logon with its password masked. Every wait is bounded.

use crate::runtime_support;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use ringfix::engine::apps::exec::Exec;
use ringfix::engine::config::{EngineConfig, SessionSettings};
use ringfix::engine::runtime::{EngineApp, Runtime};
use runtime_support::{field, fix, now_fix, Peer};

fn acceptor(extra: &str) -> Runtime {
    let text = format!(
        "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\n{extra}\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
         SocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n"
    );
    let cfg = EngineConfig::parse(&text, "acceptor.cfg").unwrap();
    Runtime::start(
        &cfg,
        Box::new(|_s: &SessionSettings| -> Box<dyn EngineApp> { Box::new(Exec::new()) }),
    )
    .unwrap()
}

/// A connection to `port` from the loopback address `from`.
fn connect_from(from: [u8; 4], port: u16) -> TcpStream {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    s.bind(&SocketAddr::from((from, 0)).into()).unwrap();
    s.connect_timeout(
        &SocketAddr::from(([127, 0, 0, 1], port)).into(),
        Duration::from_secs(2),
    )
    .unwrap();
    s.into()
}

/// Sends a Logon from ORDERS to `target` and returns what came back
/// before the connection closed (or 3 s passed), and whether it closed.
fn logon(from: [u8; 4], port: u16, target: &str) -> (Vec<Vec<u8>>, bool) {
    let mut stream = connect_from(from, port);
    // The engine may have closed it at accept already: a failed write is
    // that, not a test error.
    let _ = stream.write_all(&fix(&format!(
        "8=FIX.4.4|35=A|34=1|49=ORDERS|52={}|56={target}|98=0|108=30",
        now_fix()
    )));
    let mut peer = Peer::new(stream);
    peer.read_to_eof(Duration::from_secs(3))
}

/// Three refused Logons (unknown TargetCompID) from 127.0.0.1 with
/// MaxFailedLogonsPerMinute=3: that address's next connection is closed
/// at accept, a correct Logon included, and counted; another address
/// logs on.
#[test]
fn an_address_past_max_failed_logons_is_closed_at_accept() {
    let mut server = acceptor("MaxFailedLogonsPerMinute=3");
    let port = server.listen_addrs()[0].port();
    for i in 0..3 {
        let (got, closed) = logon([127, 0, 0, 1], port, "NOBODY");
        assert!(got.is_empty() && closed, "refused logon {i}: {got:?}");
    }
    assert_eq!(server.logon_guard().failed_logons, 3);
    assert_eq!(server.logon_guard().closed_at_accept, 0);
    let rejected = |s: &Runtime| {
        s.reactor_stats()
            .iter()
            .map(|r| r.accept_rejected)
            .sum::<u64>()
    };
    let before = rejected(&server);
    let (got, closed) = logon([127, 0, 0, 1], port, "EXEC");
    assert!(got.is_empty() && closed, "closed at accept: {got:?}");
    let (got, closed) = logon([127, 0, 0, 1], port, "EXEC");
    assert!(got.is_empty() && closed, "still closed: {got:?}");
    let g = server.logon_guard();
    assert_eq!((g.failed_logons, g.closed_at_accept), (3, 2));
    // The reactor publishes its counters between loop turns.
    let start = std::time::Instant::now();
    while rejected(&server) - before < 2 && start.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        rejected(&server) - before,
        2,
        "closed by the reactor at accept"
    );

    // Another address is not affected.
    let (got, _) = logon([127, 0, 0, 2], port, "EXEC");
    assert_eq!(
        got.first().and_then(|m| field(m, 35)).as_deref(),
        Some("A"),
        "{got:?}"
    );
    server.stopper().stop();
    server.wait();
}

/// MaxFailedLogonsPerMinute=0: no limit.
#[test]
fn no_limit_with_zero() {
    let mut server = acceptor("MaxFailedLogonsPerMinute=0");
    let port = server.listen_addrs()[0].port();
    for _ in 0..4 {
        assert!(logon([127, 0, 0, 1], port, "NOBODY").0.is_empty());
    }
    let (got, _) = logon([127, 0, 0, 1], port, "EXEC");
    assert_eq!(
        got.first().and_then(|m| field(m, 35)).as_deref(),
        Some("A"),
        "{got:?}"
    );
    assert_eq!(server.logon_guard().closed_at_accept, 0);
    server.stopper().stop();
    server.wait();
}

/// An initiator with LogonUsername and LogonPasswordFile sends Username
/// (553) and Password (554) on its Logon; its journal and message log
/// keep that Logon with the Password as `***` (admin messages are never
/// resent), while its application messages are stored as sent.
#[test]
fn initiator_sends_credentials_and_stores_its_logon_masked() {
    use ringfix::engine::apps::echo::Echo;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pw = d.join("password");
    std::fs::write(&pw, "s3cr3t-pw\n").unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let text = format!(
        "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\n\
         FileStorePath={0}/store\nFileLogPath={0}/log\nLogonUsername=alice\n\
         LogonPasswordFile={1}\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=ORDERS\nTargetCompID=EXEC\n\
         SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n",
        d.display(),
        pw.display()
    );
    let cfg = EngineConfig::parse(&text, "initiator.cfg").unwrap();
    let mut client = Runtime::start(
        &cfg,
        Box::new(|_s: &SessionSettings| -> Box<dyn EngineApp> { Box::new(Echo::new()) }),
    )
    .unwrap();
    listener.set_nonblocking(false).unwrap();
    let (stream, _) = listener.accept().unwrap();
    let mut peer = Peer::new(stream);
    let logon = peer
        .read(Duration::from_secs(5))
        .expect("the initiator's Logon");
    assert_eq!(field(&logon, 35).as_deref(), Some("A"));
    assert_eq!(field(&logon, 553).as_deref(), Some("alice"));
    assert_eq!(field(&logon, 554).as_deref(), Some("s3cr3t-pw"));
    peer.send(&format!(
        "8=FIX.4.4|35=A|34=1|49=EXEC|52={}|56=ORDERS|98=0|108=30",
        now_fix()
    ));
    client.stopper().stop();
    client.wait();

    let journal = std::fs::read(d.join("store/FIX.4.4-ORDERS-EXEC.journal")).unwrap();
    let messages = std::fs::read(d.join("log/FIX.4.4-ORDERS-EXEC.messages.current.log")).unwrap();
    for (name, bytes) in [("journal", &journal), ("message log", &messages)] {
        let has = |s: &[u8]| bytes.windows(s.len()).any(|w| w == s);
        assert!(!has(b"s3cr3t-pw"), "{name} holds the password");
        assert!(has(b"\x01553=alice\x01554=***\x01"), "{name}");
    }
    // The stored Logon is still a whole message: decode reads it back.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ringfix"))
        .args(["decode", "--show-secrets"])
        .arg(d.join("store/FIX.4.4-ORDERS-EXEC.journal"))
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        shown.lines().next().unwrap_or_default().contains("|35=A|") && shown.contains("|554=***|"),
        "{shown}"
    );
}

/// A missing LogonPasswordFile stops the start, naming the file.
#[test]
fn a_missing_password_file_fails_the_start() {
    let text = "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\n\
         LogonUsername=alice\nLogonPasswordFile=/nonexistent/pw\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=ORDERS\nTargetCompID=EXEC\n\
         SocketConnectHost=127.0.0.1\nSocketConnectPort=1\n";
    let cfg = EngineConfig::parse(text, "initiator.cfg").unwrap();
    let e = Runtime::start(
        &cfg,
        Box::new(|_s: &SessionSettings| -> Box<dyn EngineApp> { Box::new(Exec::new()) }),
    )
    .err()
    .expect("start refused");
    assert!(e.to_string().contains("/nonexistent/pw"), "{e}");
}
