//! Ping-pong latency on loopback: a raw-socket echo server vs the same echo
//! through the reactor (spin and block). Run with
//! `cargo bench -p ringfix-engine --bench reactor_pingpong`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "benchmark harness: a failure aborts the run"
)]

mod pingpong;

use pingpong::{echo_reactor, pin, pings, report, stop, tcp, Echo, MSG, ROUNDS};
use ringfix_engine::reactor::Mode;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener};

/// Round-trip times of `ROUNDS` pings after a warm-up, in nanoseconds, sorted.
fn client(addr: SocketAddr) -> Vec<u64> {
    pings(&mut tcp(addr))
}

/// A raw echo server on core 1; `spin` busy-polls a non-blocking socket.
fn raw(spin: bool) -> Vec<u64> {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let server = std::thread::spawn(move || {
        pin(1);
        let (mut s, _) = l.accept().unwrap();
        s.set_nodelay(true).unwrap();
        s.set_nonblocking(spin).unwrap();
        let mut buf = [0u8; 4096];
        loop {
            match s.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => s.write_all(&buf[..n]).unwrap(),
                Err(e) if e.kind() == ErrorKind::WouldBlock => std::hint::spin_loop(),
                Err(_) => return,
            }
        }
    });
    let rtt = client(addr);
    server.join().unwrap();
    rtt
}

fn through_reactor(mode: Mode) -> Vec<u64> {
    let r = echo_reactor(mode);
    let addr = r
        .add_listener("127.0.0.1:0".parse().unwrap(), Box::new(|_| Some(Echo)))
        .unwrap();
    let rtt = client(addr);
    stop(r);
    rtt
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    println!(
        "{ROUNDS} round trips of {} bytes on loopback, client core 0, server core 1",
        MSG.len()
    );
    let raw_spin = report("raw socket, spin", &raw(true));
    report("raw socket, blocking", &raw(false));
    let r_spin = report("reactor, spin", &through_reactor(Mode::Spin));
    report("reactor, block", &through_reactor(Mode::Block));
    println!(
        "reactor spin / raw spin (p50): {:.2}",
        r_spin as f64 / raw_spin as f64
    );
}
