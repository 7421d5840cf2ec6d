//! Ping-pong latency on loopback: a raw-socket echo server vs the same echo
//! through the reactor (spin and block). Run with
//! `cargo bench -p ringfix-engine --bench reactor_pingpong`.

use ringfix_engine::reactor::{
    self, CloseReason, ConnectionHandler, Ctx, Framed, Mode, ReactorConfig, UtcTimestamp,
};
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::time::{Duration, Instant};

const MSG: &[u8] = b"8=FIX.4.4\x019=60\x0135=0\x0134=2\x0149=A\x0156=B\x0152=20250101-00:00:00.000\x0110=000\x01\n";
const WARMUP: usize = 2_000;
const ROUNDS: usize = 20_000;

struct Echo;

impl ConnectionHandler for Echo {
    fn frame(&mut self, buf: &[u8], _max: usize) -> Framed {
        match buf.iter().position(|b| *b == b'\n') {
            Some(i) => Framed::Complete(i + 1),
            None => Framed::Incomplete,
        }
    }
    fn on_open(&mut self, _ctx: &mut Ctx<'_>, _now: UtcTimestamp) {}
    fn on_frame(&mut self, frame: &[u8], ctx: &mut Ctx<'_>, _now: UtcTimestamp) {
        ctx.outbound().extend_from_slice(frame);
    }
    fn on_garbled(&mut self, _s: &[u8], _ctx: &mut Ctx<'_>, _now: UtcTimestamp) {}
    fn on_deadline(&mut self, _ctx: &mut Ctx<'_>, _now: UtcTimestamp) {}
    fn deadline(&self) -> Option<UtcTimestamp> {
        None
    }
    fn on_closed(&mut self, _r: &CloseReason, _now: UtcTimestamp) {}
}

fn pin(core: usize) {
    core_affinity::set_for_current(core_affinity::CoreId { id: core });
}

/// Round-trip times of `ROUNDS` pings after a warm-up, in nanoseconds, sorted.
fn client(addr: SocketAddr) -> Vec<u64> {
    pin(0);
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_nodelay(true).unwrap();
    let mut buf = vec![0u8; MSG.len()];
    let mut rtt = Vec::with_capacity(ROUNDS);
    for i in 0..WARMUP + ROUNDS {
        let t = Instant::now();
        s.write_all(MSG).unwrap();
        s.read_exact(&mut buf).unwrap();
        if i >= WARMUP {
            rtt.push(t.elapsed().as_nanos() as u64);
        }
    }
    rtt.sort_unstable();
    rtt
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
    let cfg = ReactorConfig {
        mode,
        core: Some(1),
        max_connections: 4,
        ..ReactorConfig::default()
    };
    let r = reactor::spawn::<Echo>(cfg).unwrap();
    let addr = r
        .add_listener("127.0.0.1:0".parse().unwrap(), Box::new(|_| Some(Echo)))
        .unwrap();
    let rtt = client(addr);
    std::thread::sleep(Duration::from_millis(20));
    r.stop().unwrap();
    r.join().unwrap();
    rtt
}

fn report(name: &str, rtt: &[u64]) -> u64 {
    let p = |q: f64| rtt[((rtt.len() as f64 * q) as usize).min(rtt.len() - 1)] as f64 / 1000.0;
    let mean = rtt.iter().sum::<u64>() as f64 / rtt.len() as f64 / 1000.0;
    println!(
        "{name:<22} mean {mean:7.2} us  p50 {:7.2}  p90 {:7.2}  p99 {:7.2}  p99.9 {:7.2}",
        p(0.5),
        p(0.9),
        p(0.99),
        p(0.999)
    );
    rtt[rtt.len() / 2]
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
