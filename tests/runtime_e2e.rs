//! The runtime end to end over loopback TCP: acceptor and initiator in
//! one process, and raw-TCP peers for the failure cases. Every wait is
//! bounded.

mod runtime_support;

use std::time::{Duration, Instant};

use ringfix::engine::apps::echo::Echo;
use ringfix::engine::apps::exec::Exec;
use ringfix::engine::apps::orders::{Orders, OrdersSettings};
use ringfix::engine::config::{EngineConfig, SessionSettings};
use ringfix::engine::runtime::{EngineApp, Exit, Runtime};
use runtime_support::{connect, field, free_port, now_fix, Peer};

fn acceptor_cfg(port: u16, extra: &str) -> EngineConfig {
    let text = format!(
        "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\n{extra}\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
         SocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\n"
    );
    EngineConfig::parse(&text, "acceptor.cfg").unwrap()
}

fn initiator_cfg(port: u16, extra: &str) -> EngineConfig {
    let text = format!(
        "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\n{extra}\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=ORDERS\nTargetCompID=EXEC\n\
         SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n"
    );
    EngineConfig::parse(&text, "initiator.cfg").unwrap()
}

fn exec_acceptor(port: u16, extra: &str) -> Runtime {
    Runtime::start(
        &acceptor_cfg(port, extra),
        Box::new(|_s: &SessionSettings| -> Box<dyn EngineApp> { Box::new(Exec::new()) }),
    )
    .unwrap()
}

fn logon(peer: &mut Peer) {
    peer.send(&format!(
        "8=FIX.4.4|35=A|34=1|49=ORDERS|52={}|56=EXEC|98=0|108=30",
        now_fix()
    ));
    let answer = peer.read(Duration::from_secs(2)).expect("Logon answer");
    assert_eq!(field(&answer, 35).as_deref(), Some("A"));
}

/// Waits (bounded) until `cond` holds.
fn wait_until(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < within {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    cond()
}

#[test]
fn initiator_and_acceptor_exchange_orders_and_log_out() {
    let dir = tempfile::tempdir().unwrap();
    let store = format!("FileStorePath={}/a", dir.path().display());
    let mut server = exec_acceptor(0, &store);
    let port = server.listen_addrs()[0].port();
    let (orders, report) = Orders::new(OrdersSettings {
        count: 500,
        rate: None,
    })
    .unwrap();
    let mut app: Option<Box<dyn EngineApp>> = Some(Box::new(orders));
    let mut client = Runtime::start(
        &initiator_cfg(port, &format!("FileStorePath={}/i", dir.path().display())),
        Box::new(move |_s: &SessionSettings| app.take().unwrap()),
    )
    .unwrap();
    let done = wait_until(Duration::from_secs(20), || report.lock().unwrap().complete);
    assert!(done, "orders not all answered in time");
    assert_eq!(client.wait(), Exit::Clean);
    let r = report.lock().unwrap();
    assert_eq!((r.sent, r.answered, r.rejected), (500, 500, 0));
    assert_eq!(r.histogram.len(), 500);
    let s = &client.sessions()[0];
    // Logon + 500 orders + Logout sent; Logon + 500 reports + Logout received.
    assert_eq!((s.next_sender_seq, s.next_target_seq), (503, 503));
    assert_eq!((s.messages_out, s.messages_in), (502, 502));
    server.stopper().stop();
    assert_eq!(server.wait(), Exit::Clean);
    // The acceptor's file store kept its side: the next run continues.
    let seqnums = std::fs::read_dir(dir.path().join("a")).unwrap().count();
    assert!(seqnums > 0);
}

#[test]
fn seq_num_too_low_gets_logout_and_close_within_50ms() {
    let mut server = exec_acceptor(0, "");
    let port = server.listen_addrs()[0].port();
    let mut peer = Peer::new(connect(port, Duration::from_secs(2)));
    logon(&mut peer);
    // MsgSeqNum 1 again, no PossDupFlag: fatal. The peer keeps its side
    // open and sends nothing more.
    let start = Instant::now();
    peer.send(&format!(
        "8=FIX.4.4|35=0|34=1|49=ORDERS|52={}|56=EXEC",
        now_fix()
    ));
    let (msgs, eof) = peer.read_to_eof(Duration::from_secs(2));
    let elapsed = start.elapsed();
    assert!(eof, "connection not closed");
    assert!(
        msgs.iter().any(|m| field(m, 35).as_deref() == Some("5")),
        "no Logout before the close"
    );
    assert!(elapsed < Duration::from_millis(50), "took {elapsed:?}");
    server.stopper().stop();
    server.wait();
}

#[test]
fn unknown_comp_ids_are_refused() {
    let mut server = exec_acceptor(0, "");
    let port = server.listen_addrs()[0].port();
    let mut peer = Peer::new(connect(port, Duration::from_secs(2)));
    peer.send(&format!(
        "8=FIX.4.4|35=A|34=1|49=STRANGER|52={}|56=EXEC|98=0|108=30",
        now_fix()
    ));
    let (msgs, eof) = peer.read_to_eof(Duration::from_secs(2));
    assert!(
        eof && msgs.is_empty(),
        "expected a bare close, got {msgs:?}"
    );
    // The configured session is still free for the right counterparty.
    let mut peer = Peer::new(connect(port, Duration::from_secs(2)));
    logon(&mut peer);
    server.stopper().stop();
    server.wait();
}

#[test]
fn duplicate_logon_is_refused_while_connected() {
    let mut server = exec_acceptor(0, "");
    let port = server.listen_addrs()[0].port();
    let mut first = Peer::new(connect(port, Duration::from_secs(2)));
    logon(&mut first);
    let mut second = Peer::new(connect(port, Duration::from_secs(2)));
    second.send(&format!(
        "8=FIX.4.4|35=A|34=1|49=ORDERS|52={}|56=EXEC|98=0|108=30",
        now_fix()
    ));
    let (msgs, eof) = second.read_to_eof(Duration::from_secs(2));
    assert!(eof && msgs.is_empty());
    server.stopper().stop();
    // The first connection is logged out on stop.
    let logout = first.read(Duration::from_secs(2)).expect("Logout on stop");
    assert_eq!(field(&logout, 35).as_deref(), Some("5"));
    server.wait();
}

#[test]
fn silent_connection_closed_after_logon_timeout() {
    let mut server = exec_acceptor(0, "LogonTimeout=1");
    let port = server.listen_addrs()[0].port();
    let start = Instant::now();
    let mut peer = Peer::new(connect(port, Duration::from_secs(2)));
    let (msgs, eof) = peer.read_to_eof(Duration::from_secs(5));
    let elapsed = start.elapsed();
    assert!(eof && msgs.is_empty());
    assert!(
        elapsed >= Duration::from_millis(900) && elapsed < Duration::from_secs(3),
        "closed after {elapsed:?}"
    );
    server.stopper().stop();
    server.wait();
}

#[test]
fn initiator_reconnects_after_the_acceptor_restarts() {
    let port = free_port();
    let mut server = exec_acceptor(port, "");
    let mut client = Runtime::start(
        &initiator_cfg(port, "ReconnectInterval=1"),
        Box::new(|_s: &SessionSettings| -> Box<dyn EngineApp> { Box::new(Echo::new()) }),
    )
    .unwrap();
    let logons = |rt: &Runtime| rt.sessions()[0].logons;
    assert!(wait_until(Duration::from_secs(5), || logons(&client) == 1));
    server.stopper().stop();
    assert_eq!(server.wait(), Exit::Clean);
    drop(server);
    // Down for a moment: the first attempts fail, the backoff retries.
    std::thread::sleep(Duration::from_millis(300));
    let mut server = exec_acceptor(port, "");
    assert!(
        wait_until(Duration::from_secs(10), || logons(&client) == 2),
        "no second logon"
    );
    client.stopper().stop();
    assert_eq!(client.wait(), Exit::Clean);
    server.stopper().stop();
    server.wait();
}
