//! Teardown: whenever the reactor goes away (a stop, an error out of
//! `run`, a panic unwinding the thread), every operation still in flight
//! is cancelled and reaped before any memory the kernel may write (receive
//! buffers, TLS ciphertext buffers, the wake eventfd's buffer, outbound
//! `wire` buffers, slot timespecs and addresses) or any fd it may use is
//! released. As tokio-uring's driver: cancel everything, then wait until
//! nothing is in flight; no handler runs meanwhile.
//!
//! The one operation a cancel cannot end is a zero-copy send whose
//! notification waits for the peer's acknowledgement: its socket is reset
//! (SO_LINGER 0 + close, through the ring) so the kernel lets go of the
//! pages. Should the kernel still not report everything within
//! [`TEARDOWN_LIMIT`], the memory and fds are leaked, never freed.

use super::event_loop::Reactor;
use super::ring::TEARDOWN_USER_DATA;
use super::sys::LINGER_ZERO;
use io_uring::{opcode, squeue, types};
use std::os::fd::{AsRawFd, IntoRawFd};
use std::time::Duration;

/// How long teardown waits for the kernel to report every operation.
pub(crate) const TEARDOWN_LIMIT: Duration = Duration::from_secs(10);

impl<H> Reactor<H> {
    /// Cancels and reaps everything in flight; returns what is left (0
    /// unless the kernel failed us).
    fn cancel_and_drain(&mut self) -> usize {
        let mut resets = Vec::new();
        // A cancelled zero-copy send reports its notification only once
        // the kernel drops its pages: when the peer acknowledged them, or
        // when the socket is reset. Reset every socket that is sending.
        for c in self
            .conns
            .iter_mut()
            .filter(|c| c.send_pending || c.zc_notif_pending)
        {
            let Some(fd) = c.fd.as_ref().map(AsRawFd::as_raw_fd) else {
                continue;
            };
            let linger = opcode::SetSockOpt::new(
                types::Fd(fd),
                libc::SOL_SOCKET as u32,
                libc::SO_LINGER as u32,
                (&LINGER_ZERO as *const libc::linger).cast(),
                std::mem::size_of::<libc::linger>() as u32,
            )
            .build()
            .flags(squeue::Flags::IO_HARDLINK)
            .user_data(TEARDOWN_USER_DATA);
            let close = opcode::Close::new(types::Fd(fd))
                .build()
                .user_data(TEARDOWN_USER_DATA);
            resets.push([linger, close]);
            // The ring's Close owns the number from here.
            if let Some(fd) = c.fd.take() {
                let _ = fd.into_raw_fd();
            }
        }
        let chains: Vec<_> = resets.into_iter().flatten().collect();
        self.ring.cancel_all_and_drain(&chains, TEARDOWN_LIMIT)
    }
}

impl<H> Drop for Reactor<H> {
    fn drop(&mut self) {
        // Later commands are refused; queued ones are dropped (closing
        // the sockets of listens never served).
        self.shared.close();
        let in_flight = self.ring.in_flight();
        let left = self.cancel_and_drain();
        self.stats.teardown_in_flight += in_flight as u64;
        self.stats.teardown_left += left as u64;
        self.stats.sqes_submitted = self.ring.pushed;
        self.shared.stats.publish(&self.stats);
        debug_assert_eq!(left, 0, "operations still in flight at teardown");
        if left > 0 {
            tracing::error!(
                left,
                "io_uring operations still in flight after teardown: leaking their buffers and fds"
            );
            self.bufs.leak();
            std::mem::forget(std::mem::take(&mut self.conns));
            std::mem::forget(std::mem::take(&mut self.listeners));
            std::mem::forget(std::mem::replace(&mut self.wake_buf, Box::new(0)));
        }
        // Fields drop after this: nothing in flight points at them.
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::{ListenSpec, Mode, ReactorConfig};
    use super::super::control::Shared;
    use super::super::handler::{CloseReason, ConnectionHandler, Ctx};
    use super::super::sys;
    use super::*;
    use crate::time::{MonoTime, Now};
    use std::io::Write;
    use std::net::TcpStream;
    use std::sync::Arc;
    use std::time::Instant;

    /// Queues 4 MiB at open (a peer that does not read keeps the Send in
    /// flight) and otherwise only reads.
    struct Flood;

    impl ConnectionHandler for Flood {
        fn on_open(&mut self, ctx: &mut Ctx<'_>, _now: Now) {
            ctx.outbound().resize(4 << 20, b'x');
        }
        fn on_frame(&mut self, _frame: &[u8], _ctx: &mut Ctx<'_>, _now: Now) {}
        fn on_garbled(&mut self, _skipped: &[u8], _ctx: &mut Ctx<'_>, _now: Now) {}
        fn on_deadline(&mut self, _ctx: &mut Ctx<'_>, _now: Now) {}
        fn deadline(&self) -> Option<MonoTime> {
            None
        }
        fn on_closed(&mut self, _reason: &CloseReason, _now: Now) {}
    }

    fn error_out_of_run_with_everything_in_flight(mode: Mode, zero_copy: bool) {
        let cfg = ReactorConfig {
            mode,
            max_connections: 8,
            recv_buffer_bytes: 4096,
            block_timeout: Duration::from_millis(10),
            send_zc_min_bytes: zero_copy.then_some(64 * 1024),
            ..ReactorConfig::default()
        };
        let shared = Arc::new(Shared::new(cfg.mode, cfg.max_connections).unwrap());
        let mut r = Reactor::<Flood>::new(cfg, Arc::clone(&shared)).unwrap();
        let spec = ListenSpec::new("127.0.0.1:0".parse().unwrap());
        let (fd, local) = sys::listen(spec.addr, 16, &spec.socket).unwrap();
        r.add_listener(fd, local, Box::new(|_| Some(Flood)), spec);
        let mut peers: Vec<TcpStream> =
            (0..3).map(|_| TcpStream::connect(local).unwrap()).collect();
        // Half a frame: the Recv after it waits for the rest.
        peers[0].write_all(b"8=FIX.4.4\x019=").unwrap();
        let end = Instant::now() + Duration::from_secs(10);
        let sending = |r: &Reactor<Flood>| {
            let zc = |c: &&super::super::conn::Conn<Flood>| c.send_pending || c.zc_notif_pending;
            r.conns.iter().filter(zc).count()
        };
        while (sending(&r) < 3 || r.stats.bytes_in == 0) && Instant::now() < end {
            r.turn().unwrap();
        }
        assert_eq!(sending(&r), 3, "every connection is mid-Send");
        assert!(
            r.conns.iter().filter(|c| c.recv_pending).count() == 3,
            "and mid-Recv"
        );
        r.ring.fail_for_test();
        assert!(r.run().is_err());
        let in_flight = r.ring.in_flight();
        // Per connection a Recv with its linked timeout and a Send (or a
        // zero-copy send's notification); the listener's Accept.
        assert!(in_flight >= 10, "{in_flight} in flight");
        drop(r);
        let st = shared.stats.snapshot();
        assert_eq!(st.teardown_in_flight, in_flight as u64);
        assert_eq!(st.teardown_left, 0, "released with operations in flight");
        drop(peers);
    }

    #[test]
    fn an_error_out_of_run_reaps_every_operation_before_release() {
        error_out_of_run_with_everything_in_flight(Mode::Block, false);
        error_out_of_run_with_everything_in_flight(Mode::Spin, false);
    }

    #[test]
    fn zero_copy_sends_in_flight_are_reaped_too() {
        error_out_of_run_with_everything_in_flight(Mode::Spin, true);
        error_out_of_run_with_everything_in_flight(Mode::Block, true);
    }

    #[test]
    fn a_listen_never_served_is_closed_with_the_reactor() {
        let cfg = ReactorConfig {
            max_connections: 8,
            recv_buffer_bytes: 4096,
            ..ReactorConfig::default()
        };
        let shared = Arc::new(Shared::<Flood>::new(cfg.mode, cfg.max_connections).unwrap());
        let r = Reactor::<Flood>::new(cfg, Arc::clone(&shared)).unwrap();
        let remote = super::super::Remote {
            shared: Arc::clone(&shared),
        };
        let local = remote
            .add_listener("127.0.0.1:0".parse().unwrap(), Box::new(|_| Some(Flood)))
            .unwrap();
        drop(r);
        // The queued listen's socket is closed: its port can be bound again.
        std::net::TcpListener::bind(local).unwrap();
        // And later commands are refused.
        assert!(remote
            .add_listener("127.0.0.1:0".parse().unwrap(), Box::new(|_| Some(Flood)))
            .is_err());
    }
}
