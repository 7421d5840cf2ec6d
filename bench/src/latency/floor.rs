//! The floor: the same message sizes ping-ponged over raw TCP sockets, with
//! the same mode (spin or block) and the same pinning as the engine run. The
//! engine's latency is reported as a ratio to this, measured in the same
//! invocation, so the ratio holds when the machine's speed drifts.

use std::io::{self, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use super::hist::new_histogram;

/// How each side waits for bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Mode {
    /// Non-blocking sockets polled in a busy loop (reactor: spin).
    Spin,
    /// Blocking reads (the thread sleeps in the kernel; reactor: block).
    Block,
}

/// One floor run's parameters.
#[derive(Clone, Debug)]
pub struct FloorRun {
    /// Spin or block.
    pub mode: Mode,
    /// Request size in bytes (the engine's NewOrderSingle size).
    pub request_bytes: usize,
    /// Response size in bytes (the engine's ExecutionReport size).
    pub response_bytes: usize,
    /// Round trips recorded.
    pub round_trips: usize,
    /// Round trips before recording starts.
    pub warmup: usize,
    /// Core for the client (measuring) side, if pinning.
    pub client_core: Option<usize>,
    /// Core for the echoing side, if pinning.
    pub server_core: Option<usize>,
    /// Round trips per second (one in flight): a round trip starts at its
    /// scheduled time or when the previous one ends, whichever is later,
    /// and is recorded with coordinated-omission correction.
    pub rate: Option<u32>,
}

/// Round-trip times in nanoseconds, and the wall time of the recorded part.
pub type Measured = (Histogram<u64>, Duration);

/// Runs the ping-pong and returns round-trip times in nanoseconds, plus the
/// wall time of the recorded part.
pub fn run(cfg: &FloorRun) -> io::Result<Measured> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let total = cfg.round_trips + cfg.warmup;
    let (mode, req, resp, server_core) = (
        cfg.mode,
        cfg.request_bytes,
        cfg.response_bytes,
        cfg.server_core,
    );
    let server = thread::spawn(move || -> io::Result<()> {
        pin(server_core);
        let (mut s, _) = listener.accept()?;
        prepare(&s, mode)?;
        let mut inbuf = vec![0u8; req];
        let outbuf = vec![b'x'; resp];
        for _ in 0..total {
            read_exact(&mut s, &mut inbuf, mode)?;
            write_all(&mut s, &outbuf, mode)?;
        }
        Ok(())
    });
    pin(cfg.client_core);
    let mut c = TcpStream::connect(addr)?;
    prepare(&c, cfg.mode)?;
    let outbuf = vec![b'y'; req];
    let mut inbuf = vec![0u8; resp];
    let measured = measure(cfg, || {
        write_all(&mut c, &outbuf, cfg.mode)?;
        read_exact(&mut c, &mut inbuf, cfg.mode)
    });
    let measured = measured?;
    server
        .join()
        .map_err(|_| io::Error::other("floor server thread panicked"))??;
    Ok(measured)
}

/// The measuring side of a floor: `cfg.warmup` then `cfg.round_trips`
/// calls of `round_trip`, paced by `cfg.rate` (coordinated-omission
/// correction) or back to back; the histogram of the recorded ones (ns) and
/// their wall time.
pub(super) fn measure(
    cfg: &FloorRun,
    mut round_trip: impl FnMut() -> io::Result<()>,
) -> io::Result<Measured> {
    let mut hist = new_histogram()?;
    let interval = cfg
        .rate
        .filter(|&r| r > 0)
        .map(|r| 1_000_000_000 / u64::from(r));
    let mut started = Instant::now();
    let mut due = Instant::now();
    for i in 0..cfg.round_trips + cfg.warmup {
        if let Some(step) = interval {
            wait_until(due, cfg.mode);
            due += Duration::from_nanos(step);
        }
        if i == cfg.warmup {
            started = Instant::now();
        }
        let t0 = Instant::now();
        round_trip()?;
        if i >= cfg.warmup {
            let ns = u64::try_from(t0.elapsed().as_nanos()).unwrap_or(u64::MAX);
            match interval {
                Some(step) => super::hist::record_corrected(&mut hist, ns, step),
                None => hist.saturating_record(ns.max(1)),
            }
        }
    }
    Ok((hist, started.elapsed()))
}

/// Waits for `t`: spinning in spin mode, sleeping in block mode.
fn wait_until(t: Instant, mode: Mode) {
    loop {
        let now = Instant::now();
        if now >= t {
            return;
        }
        match mode {
            Mode::Spin => std::hint::spin_loop(),
            Mode::Block => thread::sleep(t - now),
        }
    }
}

pub(super) fn pin(core: Option<usize>) {
    if let Some(id) = core {
        core_affinity::set_for_current(core_affinity::CoreId { id });
    }
}

fn prepare(s: &TcpStream, mode: Mode) -> io::Result<()> {
    s.set_nodelay(true)?;
    s.set_nonblocking(mode == Mode::Spin)
}

fn read_exact(s: &mut TcpStream, buf: &mut [u8], mode: Mode) -> io::Result<()> {
    let mut got = 0;
    while got < buf.len() {
        match s.read(&mut buf[got..]) {
            Ok(0) => return Err(ErrorKind::UnexpectedEof.into()),
            Ok(n) => got += n,
            Err(e) if mode == Mode::Spin && e.kind() == ErrorKind::WouldBlock => {
                std::hint::spin_loop()
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn write_all(s: &mut TcpStream, buf: &[u8], mode: Mode) -> io::Result<()> {
    let mut put = 0;
    while put < buf.len() {
        match s.write(&buf[put..]) {
            Ok(0) => return Err(ErrorKind::WriteZero.into()),
            Ok(n) => put += n,
            Err(e) if mode == Mode::Spin && e.kind() == ErrorKind::WouldBlock => {
                std::hint::spin_loop()
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A short block-mode run of `run` (a floor) records every round trip.
    pub(in crate::latency) fn records_every_round_trip(
        run: impl Fn(&FloorRun) -> io::Result<Measured>,
    ) {
        let cfg = FloorRun {
            mode: Mode::Block,
            request_bytes: 172,
            response_bytes: 270,
            round_trips: 200,
            warmup: 20,
            client_core: None,
            server_core: None,
            rate: None,
        };
        let (hist, wall) = run(&cfg).unwrap();
        assert_eq!(hist.len(), 200);
        assert!(hist.min() > 0);
        assert!(wall > Duration::ZERO);
    }

    #[test]
    fn block_floor_records_every_round_trip() {
        records_every_round_trip(run);
    }
}
