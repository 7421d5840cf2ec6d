//! The QuickFIX/J socket keys `SocketOobInline`, `SocketSynchronousWrites`/
//! `SocketSynchronousWriteTimeout` and `SocketConnectProtocol`/
//! `SocketAcceptProtocol`, seen by the counterparty and with getsockopt.

use crate::runtime_support;

use std::io::Write;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

use ringfix::engine::apps::echo::Echo;
use ringfix::engine::apps::exec::Exec;
use ringfix::engine::config::{EngineConfig, SessionSettings};
use ringfix::engine::runtime::{Exit, Runtime};
use ringfix::engine::session::Application;
use runtime_support::{connect, field, fix, free_port, now_fix, own_socket, sockopt, Peer};

fn acceptor(port: u16, extra: &str) -> Runtime {
    let text = format!(
        "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\n{extra}\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
         SocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\n"
    );
    let cfg = EngineConfig::parse(&text, "acceptor.cfg").unwrap();
    Runtime::start(
        &cfg,
        Box::new(|_s: &SessionSettings| -> Box<dyn Application + Send> { Box::new(Exec::new()) }),
    )
    .unwrap()
}

fn initiator(port: u16, extra: &str) -> Runtime {
    let text = format!(
        "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\n{extra}\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=ORDERS\nTargetCompID=EXEC\n\
         SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n"
    );
    let cfg = EngineConfig::parse(&text, "initiator.cfg").unwrap();
    Runtime::start(
        &cfg,
        Box::new(|_s: &SessionSettings| -> Box<dyn Application + Send> { Box::new(Echo::new()) }),
    )
    .unwrap()
}

fn logon_fields() -> String {
    format!(
        "8=FIX.4.4|35=A|34=1|49=ORDERS|52={}|56=EXEC|98=0|108=30",
        now_fix()
    )
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

/// SocketOobInline=Y: SO_OOBINLINE on the accepted socket, so a Logon
/// whose last byte comes as TCP urgent data arrives whole and is answered;
/// without it the kernel takes that byte out of the stream and the Logon
/// never completes.
#[test]
fn oob_inline_keeps_urgent_bytes_in_the_stream() {
    for inline in [true, false] {
        let port = free_port();
        let extra = if inline { "SocketOobInline=Y\n" } else { "" };
        let mut server = acceptor(port, extra);
        let mut peer = Peer::new(connect(port, Duration::from_secs(5)));
        let listen = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let local = peer.stream.local_addr().unwrap();
        assert!(
            wait_until(Duration::from_secs(2), || own_socket(listen, Some(local))
                .is_some()),
            "accepted socket"
        );
        let fd = own_socket(listen, Some(local)).unwrap();
        assert_eq!(
            sockopt(fd, libc::SOL_SOCKET, libc::SO_OOBINLINE),
            i32::from(inline)
        );
        let logon = fix(&logon_fields());
        let (body, last) = logon.split_at(logon.len() - 1);
        peer.stream.write_all(body).unwrap();
        // SAFETY: send(2) of one byte from a live slice on our own socket.
        let sent = unsafe {
            libc::send(
                peer.stream.as_raw_fd(),
                last.as_ptr().cast(),
                1,
                libc::MSG_OOB,
            )
        };
        assert_eq!(sent, 1);
        let answer = peer.read(Duration::from_secs(if inline { 5 } else { 1 }));
        if inline {
            let answer = answer.expect("Logon answered");
            assert_eq!(field(&answer, 35).as_deref(), Some("A"));
        } else {
            assert!(answer.is_none(), "the urgent byte left the stream");
        }
        server.stopper().stop();
        server.wait();
    }
}

/// SocketOobInline=Y on an initiator's socket, before it connects.
#[test]
fn oob_inline_is_set_on_the_initiators_socket() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let mut client = initiator(port, "SocketOobInline=Y\n");
    let (stream, _) = listener.accept().unwrap();
    let fd = own_socket(
        stream.peer_addr().unwrap(),
        Some(stream.local_addr().unwrap()),
    )
    .expect("the initiator's socket");
    assert_eq!(sockopt(fd, libc::SOL_SOCKET, libc::SO_OOBINLINE), 1);
    drop(stream);
    client.stopper().stop();
    assert_eq!(client.wait(), Exit::Clean);
}

/// SocketSynchronousWrites=Y with SocketSynchronousWriteTimeout: a
/// counterparty that stops reading is disconnected once a send has waited
/// that long; without it the session waits on (a heartbeat of 30 s).
#[test]
fn a_write_not_completed_in_time_disconnects() {
    for sync in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let keys = if sync {
            "SocketSynchronousWrites=Y\nSocketSynchronousWriteTimeout=300\n"
        } else {
            "SocketSynchronousWriteTimeout=300\n"
        };
        let mut server = acceptor(
            port,
            &format!(
                "{keys}SocketSendBufferSize=4096\nFileLogPath={}\n",
                dir.path().display()
            ),
        );
        // A peer with a small receive window that stops reading after the Logon.
        let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        s.set_recv_buffer_size(4096).unwrap();
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        while s.connect(&addr.into()).is_err() {
            assert!(started.elapsed() < Duration::from_secs(5), "listener up");
            std::thread::sleep(Duration::from_millis(20));
        }
        let mut peer = Peer::new(s.into());
        peer.send(&logon_fields());
        let answer = peer.read(Duration::from_secs(5)).expect("Logon answer");
        assert_eq!(field(&answer, 35).as_deref(), Some("A"));
        // Each TestRequest's Heartbeat echoes its 1 KiB TestReqID: far more
        // than both socket buffers hold.
        let id = "x".repeat(1024);
        for seq in 2..400 {
            peer.send(&format!(
                "8=FIX.4.4|35=1|34={seq}|49=ORDERS|52={}|56=EXEC|112={id}",
                now_fix()
            ));
        }
        let events = dir.path().join("FIX.4.4-EXEC-ORDERS.event.current.log");
        let timed_out = || {
            std::fs::read_to_string(&events)
                .unwrap_or_default()
                .contains("SocketSynchronousWriteTimeout")
        };
        if sync {
            assert!(
                wait_until(Duration::from_secs(10), timed_out),
                "no write timeout logged"
            );
            // The counterparty's view: the connection ends.
            let (_, eof) = peer.read_to_eof(Duration::from_secs(10));
            assert!(eof, "the connection was closed");
        } else {
            std::thread::sleep(Duration::from_millis(1500));
            let log = std::fs::read_to_string(&events).unwrap_or_default();
            assert!(!log.contains("Disconnected"), "{log}");
        }
        server.stopper().stop();
        server.wait();
    }
}

/// SocketConnectProtocol/SocketAcceptProtocol=TCP (QuickFIX/J) connect and
/// serve; VM_PIPE, QuickFIX/J's in-process transport, is a start-up error
/// naming the key.
#[test]
fn tcp_is_the_transport_and_vm_pipe_is_refused() {
    let port = free_port();
    let mut server = acceptor(port, "SocketAcceptProtocol=TCP\n");
    let mut client = initiator(port, "SocketConnectProtocol=tcp\n");
    let logged_on = wait_until(Duration::from_secs(10), || {
        server
            .reactor_stats()
            .iter()
            .map(|s| s.accepted)
            .sum::<u64>()
            >= 1
    });
    assert!(logged_on, "the initiator connected over TCP");
    client.stopper().stop();
    assert_eq!(client.wait(), Exit::Clean);
    server.stopper().stop();
    server.wait();
    for (role, key) in [
        ("acceptor\nSocketAcceptPort=1", "SocketAcceptProtocol"),
        (
            "initiator\nHeartBtInt=30\nSocketConnectHost=h\nSocketConnectPort=1",
            "SocketConnectProtocol",
        ),
    ] {
        let text = format!(
            "[SESSION]\nConnectionType={role}\nNonStopSession=Y\nBeginString=FIX.4.4\n\
             SenderCompID=A\nTargetCompID=B\n{key}=VM_PIPE\n"
        );
        let e = EngineConfig::parse(&text, "vm.cfg")
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("vm.cfg:") && e.contains(key) && e.contains("VM_PIPE"),
            "{e}"
        );
    }
}
