//! The runtime end to end over loopback TCP: acceptor and initiator in
//! one process, and raw-TCP peers for the failure cases. Every wait is
//! bounded.

use crate::runtime_support;

use std::time::{Duration, Instant};

use ringfix::engine::apps::echo::Echo;
use ringfix::engine::apps::exec::Exec;
use ringfix::engine::apps::orders::{Orders, OrdersSettings};
use ringfix::engine::config::{EngineConfig, SessionSettings};
use ringfix::engine::runtime::{Exit, Runtime};
use ringfix::engine::session::Application;
use runtime_support::{
    connect, field, free_port, now_fix, own_socket, sockopt, sockopt_linger, Peer,
};

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
        Box::new(|_s: &SessionSettings| -> Box<dyn Application + Send> { Box::new(Exec::new()) }),
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
    let mut app: Option<Box<dyn Application + Send>> = Some(Box::new(orders));
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
    // open and neither reads nor sends for 50 ms.
    peer.send(&format!(
        "8=FIX.4.4|35=0|34=1|49=ORDERS|52={}|56=EXEC",
        now_fix()
    ));
    std::thread::sleep(Duration::from_millis(50));
    // By now the Logout and the close must be waiting in the socket.
    let (msgs, eof) = peer.read_to_eof(Duration::from_millis(5));
    assert!(eof, "connection not closed within 50 ms");
    let logout = msgs.iter().find(|m| field(m, 35).as_deref() == Some("5"));
    let logout = logout.expect("no Logout before the close");
    assert!(field(logout, 58).is_some_and(|t| t.contains("MsgSeqNum too low")));
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
        Box::new(|_s: &SessionSettings| -> Box<dyn Application + Send> { Box::new(Echo::new()) }),
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

#[test]
fn orders_are_valid_new_order_singles() {
    use ringfix::codec::dict::{Options, Validator};
    use std::net::TcpListener;
    for begin in ["FIX.4.2", "FIX.4.4"] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let text = format!(
            "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\n\n\
             [SESSION]\nBeginString={begin}\nSenderCompID=ORDERS\nTargetCompID=EXEC\n\
             SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n"
        );
        let cfg = EngineConfig::parse(&text, "initiator.cfg").unwrap();
        let (orders, _report) = Orders::new(OrdersSettings {
            count: 10,
            rate: None,
        })
        .unwrap();
        let mut app: Option<Box<dyn Application + Send>> = Some(Box::new(orders));
        let mut client = Runtime::start(
            &cfg,
            Box::new(move |_s: &SessionSettings| app.take().unwrap()),
        )
        .unwrap();
        let (stream, _) = listener.accept().unwrap();
        let mut peer = Peer::new(stream);
        let logon = peer.read(Duration::from_secs(5)).expect("Logon");
        assert_eq!(field(&logon, 35).as_deref(), Some("A"));
        peer.send(&format!(
            "8={begin}|35=A|34=1|49=EXEC|52={}|56=ORDERS|98=0|108=30",
            now_fix()
        ));
        let order = peer.read(Duration::from_secs(5)).expect("NewOrderSingle");
        assert_eq!(field(&order, 35).as_deref(), Some("D"));
        let mut v = Validator::builtin(begin.as_bytes(), None, Options::default()).unwrap();
        assert_eq!(
            v.validate_bytes(&order),
            Ok(()),
            "{}",
            String::from_utf8_lossy(&order)
        );
        client.stopper().stop();
        // Answer the Logout the stop sends.
        let logout = peer.read(Duration::from_secs(5)).expect("Logout");
        assert_eq!(field(&logout, 35).as_deref(), Some("5"));
        peer.send(&format!(
            "8={begin}|35=5|34=2|49=EXEC|52={}|56=ORDERS",
            now_fix()
        ));
        assert_eq!(client.wait(), Exit::Clean);
    }
}

/// TLS runs (tests/cli_tls.rs); a TLS session whose certificate file is
/// unusable must fail the start, never run in plaintext.
#[test]
fn tls_sessions_with_unusable_certificate_files_are_refused_not_run_in_plaintext() {
    let dir = tempfile::tempdir().unwrap();
    let cert = dir.path().join("cert.pem");
    std::fs::write(&cert, "not used").unwrap();
    let cfg = acceptor_cfg(
        0,
        &format!("SocketUseSSL=Y\nServerCertificateFile={}", cert.display()),
    );
    let r = Runtime::start(
        &cfg,
        Box::new(|_s: &SessionSettings| -> Box<dyn Application + Send> { Box::new(Exec::new()) }),
    );
    let err = r.err().expect("TLS session started").to_string();
    assert!(err.contains("ServerCertificateFile"), "{err}");
}

/// The waiting cross-thread send: a one-slot queue, three orders from
/// another thread, each sent in order behind the session's header.
#[test]
fn session_sender_waits_for_room_and_sends_from_another_thread() {
    use ringfix::engine::config::SessionId;
    use ringfix::engine::runtime::TrySendError;
    use std::net::TcpListener;
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut client = Runtime::start(
        &initiator_cfg(port, ""),
        Box::new(|_s: &SessionSettings| -> Box<dyn Application + Send> { Box::new(Echo::new()) }),
    )
    .unwrap();
    let mut handle = client
        .sender(&SessionId::new("FIX.4.4", "ORDERS", "EXEC"), 1)
        .expect("session sender");
    assert!(matches!(
        handle.send(b"D", |_| {}),
        Err(TrySendError::NotLoggedOn)
    ));
    let (stream, _) = listener.accept().unwrap();
    let mut peer = Peer::new(stream);
    peer.read(Duration::from_secs(5)).expect("Logon");
    peer.send(&format!(
        "8=FIX.4.4|35=A|34=1|49=EXEC|52={}|56=ORDERS|98=0|108=30",
        now_fix()
    ));
    assert!(wait_until(Duration::from_secs(5), || handle.is_logged_on()));
    let sender = std::thread::spawn(move || {
        for i in 0..3u8 {
            let id = [b'C', b'0' + i];
            handle
                .send(b"D", |w| {
                    w.field(11, &id).field(54, b"1").field(55, b"RFIX");
                })
                .unwrap();
        }
    });
    sender.join().unwrap();
    for i in 0..3 {
        let m = peer.read(Duration::from_secs(5)).expect("queued order");
        assert_eq!(field(&m, 35).as_deref(), Some("D"));
        assert_eq!(field(&m, 34), Some((i + 2).to_string()));
        assert_eq!(field(&m, 11), Some(format!("C{i}")));
        assert_eq!(field(&m, 55).as_deref(), Some("RFIX"));
    }
    client.stopper().stop();
    let logout = peer.read(Duration::from_secs(5)).expect("Logout");
    assert_eq!(field(&logout, 35).as_deref(), Some("5"));
    peer.send(&format!(
        "8=FIX.4.4|35=5|34=2|49=EXEC|52={}|56=ORDERS",
        now_fix()
    ));
    assert_eq!(client.wait(), Exit::Clean);
}

/// Issue 27: the event log (FileLog's event file) says what the session
/// decided, with the counterparty's address: a Logon that opens a gap,
/// orders queued behind it, one GapFill over them (the orders are skipped,
/// and the log says so), a message the dictionary refuses (rejected, now
/// logged and counted), the logout.
#[test]
fn event_log_tells_a_gap_recovery_and_a_reject() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let logs = dir.path().join("log");
    let mut rt = exec_acceptor(port, &format!("FileLogPath={}", logs.display()));
    let mut peer = Peer::new(connect(port, Duration::from_secs(5)));
    let local = peer.stream.local_addr().unwrap();
    let send = |peer: &mut Peer, body: String| peer.send(&format!("8=FIX.4.4|{body}"));
    // The acceptor expects 1: our Logon is 5 (1-4 "lost").
    send(
        &mut peer,
        format!("35=A|34=5|49=ORDERS|52={}|56=EXEC|98=0|108=30", now_fix()),
    );
    for seq in 6..=8 {
        send(
            &mut peer,
            format!(
                "35=D|34={seq}|49=ORDERS|52={}|56=EXEC|11=O{seq}|21=1|38=1|40=1|54=1|55=X|60={}",
                now_fix(),
                now_fix()
            ),
        );
    }
    let mut got: Vec<Vec<u8>> = Vec::new();
    while !got.iter().any(|m| field(m, 35).as_deref() == Some("2")) {
        got.push(peer.read(Duration::from_secs(5)).expect("a ResendRequest"));
    }
    let t = now_fix();
    send(
        &mut peer,
        format!("35=4|34=1|43=Y|49=ORDERS|52={t}|56=EXEC|122={t}|36=9|123=Y"),
    );
    send(
        &mut peer,
        format!("35=0|34=9|49=ORDERS|52={}|56=EXEC|5002=x", now_fix()),
    );
    send(
        &mut peer,
        format!("35=5|34=10|49=ORDERS|52={}|56=EXEC|58=done", now_fix()),
    );
    let (_, eof) = peer.read_to_eof(Duration::from_secs(5));
    assert!(eof);
    let report = rt.sessions()[0].clone();
    rt.stopper().stop();
    rt.wait();
    assert_eq!(
        (
            report.sequence_gaps,
            report.rejects_sent,
            report.validation_failures
        ),
        (1, 1, 1)
    );
    assert_eq!(report.resend_requests_sent, 1);
    let text = std::fs::read_to_string(logs.join("FIX.4.4-EXEC-ORDERS.event.current.log")).unwrap();
    // Each line is `YYYYMMDD-HH:MM:SS.sss : text`.
    let lines: Vec<&str> = text
        .lines()
        .filter_map(|l| l.split_once(" : "))
        .map(|l| l.1)
        .collect();
    let expected = [
        format!("Accepted connection from 127.0.0.1 on port {port} (peer {local})"),
        "Received logon request".into(),
        "Responding to logon request".into(),
        "MsgSeqNum too high, expecting 1 but received 5".into(),
        "Sent ResendRequest FROM: 1 TO: 0".into(),
        "Logon complete".into(),
        "MsgSeqNum too high, expecting 1 but received 6".into(),
        "Already sent ResendRequest FROM: 1 TO: 4.  Not sending another.".into(),
        "Received SequenceReset FROM: 1 TO: 9 (GapFill)".into(),
        "Skipped 4 queued messages FROM: 5 TO: 8: below the SequenceReset's NewSeqNo".into(),
        "ResendRequest for messages FROM: 1 TO: 4 has been satisfied.".into(),
        "Message 9 Rejected: Invalid tag number:5002".into(),
        "Received logout request: done".into(),
        "Sending logout response".into(),
        "Logged out: the counterparty logged out".into(),
        format!("Disconnecting (peer {local})"),
    ];
    let mut at = 0;
    for want in &expected {
        match lines[at..].iter().position(|l| l == want) {
            Some(i) => at += i + 1,
            None => panic!("no {want:?} after line {at} in:\n{text}"),
        }
    }
}

/// The acceptor's Socket* options, seen with getsockopt on the socket it
/// accepted (inherited from its listener); its close does not linger on
/// the reactor thread.
#[test]
fn acceptor_socket_options_are_on_the_accepted_socket() {
    let port = free_port();
    let mut server = exec_acceptor(
        port,
        "SocketSendBufferSize=65536\nSocketReceiveBufferSize=131072\nSocketKeepAlive=Y\n\
         SocketLinger=7\nSocketTrafficClass=IPTOS_LOWDELAY|IPTOS_THROUGHPUT\n",
    );
    let mut peer = Peer::new(connect(port, Duration::from_secs(5)));
    logon(&mut peer);
    let listen = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let fd = own_socket(listen, Some(peer.stream.local_addr().unwrap())).expect("accepted socket");
    // The kernel doubles buffer sizes for its bookkeeping.
    assert_eq!(sockopt(fd, libc::SOL_SOCKET, libc::SO_SNDBUF), 2 * 65536);
    assert_eq!(sockopt(fd, libc::SOL_SOCKET, libc::SO_RCVBUF), 2 * 131072);
    assert_eq!(sockopt(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE), 1);
    assert_eq!(sockopt_linger(fd), (1, 7));
    assert_eq!(sockopt(fd, libc::IPPROTO_IP, libc::IP_TOS), 0x18);
    // Stopping logs out and closes at once (the linger is turned off for
    // the final close, which would otherwise hold the reactor thread).
    let started = Instant::now();
    server.stopper().stop();
    assert_eq!(server.wait(), Exit::Clean);
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// SocketConnectSourceHost/Port (QuickFIX C++) and SocketLocalHost/Port
/// (QuickFIX/J): the counterparty sees the connection come from there.
#[test]
fn initiator_binds_its_source_address_before_connecting() {
    for (host_key, port_key) in [
        ("SocketConnectSourceHost", "SocketConnectSourcePort"),
        ("SocketLocalHost", "SocketLocalPort"),
    ] {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let source = std::net::SocketAddr::from(([127, 0, 0, 2], free_port()));
        let mut client = Runtime::start(
            &initiator_cfg(
                port,
                &format!(
                    "{host_key}=127.0.0.2\n{port_key}={}\nSocketSendBufferSize=32768\n\
                     SocketKeepAlive=Y\nSocketTrafficClass=16\nSocketLinger=0\n",
                    source.port()
                ),
            ),
            Box::new(|_s: &SessionSettings| -> Box<dyn Application + Send> {
                Box::new(Echo::new())
            }),
        )
        .unwrap();
        let (stream, from) = listener.accept().unwrap();
        assert_eq!(from, source, "{host_key}: the peer's view");
        let fd = own_socket(source, None).expect("the initiator's socket");
        // A fixed source port is reusable at once by the next connection.
        assert_eq!(sockopt(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR), 1);
        assert_eq!(sockopt(fd, libc::SOL_SOCKET, libc::SO_SNDBUF), 2 * 32768);
        assert_eq!(sockopt(fd, libc::SOL_SOCKET, libc::SO_KEEPALIVE), 1);
        assert_eq!(sockopt(fd, libc::IPPROTO_IP, libc::IP_TOS), 16);
        assert_eq!(sockopt_linger(fd), (1, 0));
        drop(stream);
        client.stopper().stop();
        assert_eq!(client.wait(), Exit::Clean);
    }
}

/// SocketConnectTimeout bounds the Connect (its linked timeout), not
/// LogonTimeout: a SYN nobody answers fails after it.
#[test]
fn connect_timeout_ends_an_unanswered_connect() {
    use std::os::fd::AsRawFd;
    let dir = tempfile::tempdir().unwrap();
    // A listener whose accept queue is full drops further SYNs.
    let full = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    // SAFETY: listen(2) on our own open socket.
    unsafe { libc::listen(full.as_raw_fd(), 0) };
    let port = full.local_addr().unwrap().port();
    let fillers: Vec<_> = (0..4)
        .filter_map(|_| {
            std::net::TcpStream::connect_timeout(
                &full.local_addr().unwrap(),
                Duration::from_millis(100),
            )
            .ok()
        })
        .collect();
    let started = Instant::now();
    let mut client = Runtime::start(
        &initiator_cfg(
            port,
            &format!(
                "SocketConnectTimeout=1\nLogonTimeout=30\nReconnectInterval=30\nFileLogPath={}\n",
                dir.path().display()
            ),
        ),
        Box::new(|_s: &SessionSettings| -> Box<dyn Application + Send> { Box::new(Echo::new()) }),
    )
    .unwrap();
    let events = dir.path().join("FIX.4.4-ORDERS-EXEC.event.current.log");
    let timed_out = || {
        std::fs::read_to_string(&events)
            .unwrap_or_default()
            .contains("connect timed out")
    };
    assert!(
        wait_until(Duration::from_secs(8), timed_out),
        "no connect timeout logged"
    );
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(900), "{took:?}");
    client.stopper().stop();
    assert_eq!(client.wait(), Exit::Clean);
    drop(fillers);
}

/// AllowedRemoteAddresses: a peer not listed is closed at accept before a
/// byte is read, and counted; a listed one logs on.
#[test]
fn only_allowed_remote_addresses_may_connect() {
    let port = free_port();
    let mut server = exec_acceptor(port, "AllowedRemoteAddresses=127.0.0.2, 10.0.0.1\n");
    // From 127.0.0.1: closed unanswered.
    let mut barred = Peer::new(connect(port, Duration::from_secs(5)));
    barred.send(&format!(
        "8=FIX.4.4|35=A|34=1|49=ORDERS|52={}|56=EXEC|98=0|108=30",
        now_fix()
    ));
    let (msgs, eof) = barred.read_to_eof(Duration::from_secs(5));
    assert!(msgs.is_empty() && eof, "refused without an answer");
    assert!(wait_until(Duration::from_secs(2), || server
        .reactor_stats()
        .iter()
        .map(|s| s.accept_not_allowed)
        .sum::<u64>()
        == 1));
    // From 127.0.0.2: served.
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    s.bind(&std::net::SocketAddr::from(([127, 0, 0, 2], 0)).into())
        .unwrap();
    s.connect(&std::net::SocketAddr::from(([127, 0, 0, 1], port)).into())
        .unwrap();
    let mut allowed = Peer::new(s.into());
    logon(&mut allowed);
    let st = server.reactor_stats();
    assert_eq!(st.iter().map(|s| s.accept_not_allowed).sum::<u64>(), 1);
    assert_eq!(st.iter().map(|s| s.accepted).sum::<u64>(), 1);
    server.stopper().stop();
    server.wait();
}
