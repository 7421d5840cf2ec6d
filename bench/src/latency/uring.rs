//! The io_uring floor: the raw floor's ping-pong driven the way the reactor
//! drives a connection (every Recv linked to an absolute LinkTimeout, each
//! Send linked to one, a single-issuer DEFER_TASKRUN ring, spinning on the
//! completion queue or waiting in the kernel), with no FIX work at all.
//! Its distance to the raw floor is the price of that I/O contract; the
//! engine's distance to it is the engine's own work. The bare variant
//! links no timeouts at all: the least any io_uring reader pays here.

use std::io;
use std::net::{TcpListener, TcpStream};
use std::os::fd::AsRawFd;
use std::thread;

use io_uring::{opcode, squeue, types, IoUring};

use super::floor::{measure, pin, FloorRun, Measured, Mode};

const RECV: u64 = 1;
const SEND: u64 = 2;
const TIMEOUT: u64 = 3;
const GETEVENTS: u32 = 1;
/// The linked deadlines: far enough never to fire.
const DEADLINE_S: u64 = 30;

struct Side {
    ring: IoUring,
    fd: i32,
    mode: Mode,
    rx: Vec<u8>,
    tx: Vec<u8>,
    /// Boxed: the kernel reads them when the entries are submitted.
    ts_recv: Box<types::Timespec>,
    ts_send: Box<types::Timespec>,
    unsubmitted: bool,
    /// Link a timeout to every Recv and Send (false: the bare variant).
    timeouts: bool,
}

fn realtime_deadline() -> types::Timespec {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // Safety: a valid out pointer.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut t) };
    types::Timespec::new()
        .sec(t.tv_sec as u64 + DEADLINE_S)
        .nsec(t.tv_nsec as u32)
}

impl Side {
    fn new(s: &TcpStream, mode: Mode, sizes: (usize, usize), timeouts: bool) -> io::Result<Self> {
        let (rx, tx) = sizes;
        s.set_nodelay(true)?;
        let mut b = IoUring::builder();
        b.setup_single_issuer()
            .setup_defer_taskrun()
            .setup_taskrun_flag();
        Ok(Self {
            ring: b.build(64)?,
            fd: s.as_raw_fd(),
            mode,
            rx: vec![0; rx.max(1) * 4],
            tx: vec![b'x'; tx],
            ts_recv: Box::new(types::Timespec::new()),
            ts_send: Box::new(types::Timespec::new()),
            unsubmitted: false,
            timeouts,
        })
    }

    fn push(&mut self, entries: &[squeue::Entry]) -> io::Result<()> {
        // Safety: the buffers and timespecs outlive the operations (the
        // side waits for every Recv and Send it submits).
        unsafe { self.ring.submission().push_multiple(entries) }
            .map_err(|_| io::Error::other("submission queue full"))?;
        self.unsubmitted = true;
        Ok(())
    }

    fn linked_timeout(ts: &types::Timespec) -> squeue::Entry {
        opcode::LinkTimeout::new(ts)
            .flags(types::TimeoutFlags::ABS | types::TimeoutFlags::REALTIME)
            .build()
            .user_data(TIMEOUT)
    }

    fn send(&mut self) -> io::Result<()> {
        *self.ts_send = realtime_deadline();
        let send = opcode::Send::new(types::Fd(self.fd), self.tx.as_ptr(), self.tx.len() as u32)
            .flags(libc::MSG_NOSIGNAL)
            .build()
            .user_data(SEND);
        if !self.timeouts {
            return self.push(&[send]);
        }
        let send = send.flags(squeue::Flags::IO_LINK);
        let to = Self::linked_timeout(&self.ts_send);
        self.push(&[send, to])
    }

    fn arm_recv(&mut self) -> io::Result<()> {
        *self.ts_recv = realtime_deadline();
        let recv = opcode::Recv::new(
            types::Fd(self.fd),
            self.rx.as_mut_ptr(),
            self.rx.len() as u32,
        )
        .build()
        .user_data(RECV);
        if !self.timeouts {
            return self.push(&[recv]);
        }
        let recv = recv.flags(squeue::Flags::IO_LINK);
        let to = Self::linked_timeout(&self.ts_recv);
        self.push(&[recv, to])
    }

    fn enter(&mut self) -> io::Result<()> {
        let r = match self.mode {
            Mode::Spin => {
                let taskrun = self.ring.submission().taskrun();
                if !(self.unsubmitted || taskrun) {
                    return Ok(());
                }
                // As the reactor: always GETEVENTS, min_complete 0.
                let n = self.ring.submission().len() as u32;
                // Safety: no argument; the queue tail was published by `push`.
                unsafe {
                    self.ring
                        .submitter()
                        .enter::<libc::sigset_t>(n, 0, GETEVENTS, None)
                }
            }
            Mode::Block => self.ring.submit_and_wait(1),
        };
        self.unsubmitted = false;
        match r {
            Err(e) if matches!(e.raw_os_error(), Some(libc::EINTR | libc::ETIME)) => Ok(()),
            r => r.map(drop),
        }
    }

    /// Until `want` bytes arrived (the Recv is re-armed for a short read,
    /// not after the last one); `want == 0`: until the peer closes.
    fn recv_bytes(&mut self, want: usize) -> io::Result<()> {
        let mut got = 0;
        loop {
            self.enter()?;
            let mut rearm = false;
            let mut done = false;
            for e in self.ring.completion() {
                match (e.user_data(), e.result()) {
                    (RECV, 0) if want == 0 => done = true,
                    (RECV, n) if n > 0 => {
                        got += n as usize;
                        done = want > 0 && got >= want;
                        rearm = !done;
                    }
                    (RECV, n) | (SEND, n) if n <= 0 => {
                        return Err(io::Error::other(format!("uring floor: result {n}")))
                    }
                    _ => {}
                }
            }
            if done {
                return Ok(());
            }
            if rearm {
                self.arm_recv()?;
            }
            if self.mode == Mode::Spin {
                std::hint::spin_loop();
            }
        }
    }
}

/// Runs the ping-pong and returns round-trip times in nanoseconds, plus the
/// wall time of the recorded part. Every round trip sends one request and
/// one response of the given sizes, as [`super::floor::run`] does.
/// `timeouts`: link a timeout to every Recv and Send, as the reactor does.
pub fn run(cfg: &FloorRun, timeouts: bool) -> io::Result<Measured> {
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
        let (s, _) = listener.accept()?;
        let mut side = Side::new(&s, mode, (req, resp), timeouts)?;
        side.arm_recv()?;
        for _ in 0..total {
            side.recv_bytes(req)?;
            side.send()?;
            side.arm_recv()?;
        }
        // The last answer goes out; then wait for the client to close.
        side.recv_bytes(0)
    });
    pin(cfg.client_core);
    let c = TcpStream::connect(addr)?;
    let mut side = Side::new(&c, cfg.mode, (resp, req), timeouts)?;
    let measured = measure(cfg, || {
        side.send()?;
        side.arm_recv()?;
        side.recv_bytes(resp)
    });
    let measured = measured?;
    drop(side);
    drop(c);
    server
        .join()
        .map_err(|_| io::Error::other("uring floor server thread panicked"))??;
    Ok(measured)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_uring_floor_records_every_round_trip() {
        crate::latency::floor::tests::records_every_round_trip(|c| run(c, true));
    }

    #[test]
    fn block_bare_uring_floor_records_every_round_trip() {
        crate::latency::floor::tests::records_every_round_trip(|c| run(c, false));
    }
}
