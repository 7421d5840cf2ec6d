//! The ping-pong harness shared by `reactor_pingpong` and `tls_pingpong`:
//! the message, a newline-framed echo handler, the client loop, core
//! pinning, an echo reactor on core 1 and the percentile report.
#![allow(dead_code)]

use ringfix_engine::reactor::{
    self, CloseReason, ConnectionHandler, Ctx, Framed, Mode, MonoTime, Now, ReactorConfig,
    ReactorHandle,
};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

pub const MSG: &[u8] = b"8=FIX.4.4\x019=60\x0135=0\x0134=2\x0149=A\x0156=B\x0152=20250101-00:00:00.000\x0110=000\x01\n";
pub const WARMUP: usize = 2_000;
pub const ROUNDS: usize = 20_000;

/// Echoes every newline-terminated frame back.
pub struct Echo;

impl ConnectionHandler for Echo {
    fn frame(&mut self, buf: &[u8], _max: usize) -> Framed {
        match buf.iter().position(|b| *b == b'\n') {
            Some(i) => Framed::Complete(i + 1),
            None => Framed::Incomplete,
        }
    }
    fn on_open(&mut self, _ctx: &mut Ctx<'_>, _now: Now) {}
    fn on_frame(&mut self, frame: &[u8], ctx: &mut Ctx<'_>, _now: Now) {
        ctx.outbound().extend_from_slice(frame);
    }
    fn on_garbled(&mut self, _s: &[u8], _ctx: &mut Ctx<'_>, _now: Now) {}
    fn on_deadline(&mut self, _ctx: &mut Ctx<'_>, _now: Now) {}
    fn deadline(&self) -> Option<MonoTime> {
        None
    }
    fn on_closed(&mut self, _r: &CloseReason, _now: Now) {}
}

pub fn pin(core: usize) {
    core_affinity::set_for_current(core_affinity::CoreId { id: core });
}

/// A client socket on core 0, connected to `addr`, Nagle off.
pub fn tcp(addr: SocketAddr) -> TcpStream {
    pin(0);
    let s = TcpStream::connect(addr).unwrap();
    s.set_nodelay(true).unwrap();
    s
}

/// Round-trip times of `ROUNDS` pings after a warm-up, in nanoseconds, sorted.
pub fn pings(s: &mut impl ReadWrite) -> Vec<u64> {
    let mut buf = vec![0u8; MSG.len()];
    let mut rtt = Vec::with_capacity(ROUNDS);
    for i in 0..WARMUP + ROUNDS {
        let t = Instant::now();
        s.write_all(MSG).unwrap();
        s.flush().unwrap();
        s.read_exact(&mut buf).unwrap();
        if i >= WARMUP {
            rtt.push(t.elapsed().as_nanos() as u64);
        }
    }
    rtt.sort_unstable();
    rtt
}

/// A byte stream: a `TcpStream` or a rustls stream over one.
pub trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

/// An echo reactor on core 1.
pub fn echo_reactor(mode: Mode) -> ReactorHandle<Echo> {
    let cfg = ReactorConfig {
        mode,
        core: Some(1),
        max_connections: 4,
        ..ReactorConfig::default()
    };
    reactor::spawn::<Echo>(cfg).unwrap()
}

/// Lets the reactor see the client's close, then stops it.
pub fn stop(r: ReactorHandle<Echo>) {
    std::thread::sleep(Duration::from_millis(20));
    r.stop().unwrap();
    r.join().unwrap();
}

/// Prints mean and percentiles in microseconds; returns p50 in nanoseconds.
pub fn report(name: &str, rtt: &[u64]) -> u64 {
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
