//! Closing: cancel what is in flight, then shutdown or SO_LINGER 0, then
//! close, all through the ring. No path waits for the peer's EOF.

use super::conn::{abs_timespec, rel_timespec, ud, Op, Phase};
use super::event_loop::Reactor;
use super::handler::{CloseMode, CloseReason, ConnectionHandler};
use super::sys::{self, LINGER_OFF, LINGER_ZERO};
use io_uring::{opcode, squeue, types};
use std::os::fd::IntoRawFd;

impl<H: ConnectionHandler> Reactor<H> {
    /// Close for a reason other than the handler's request.
    pub(crate) fn begin_close_reason(&mut self, slot: usize, reason: CloseReason) {
        match reason {
            // EOF: write what the socket takes at once, then close.
            CloseReason::PeerClosed => self.begin_close(slot, CloseMode::Now, reason),
            other => self.abort(slot, Some(other)),
        }
    }

    /// Starts a close from `Open` (or `Connecting`).
    pub(crate) fn begin_close(&mut self, slot: usize, mode: CloseMode, reason: CloseReason) {
        let now = sys::now();
        let deadline = self.deadline_of(slot, now);
        let c = &mut self.conns[slot];
        if c.reason.is_none() {
            c.reason = Some(reason);
        }
        if c.phase == Phase::Connecting {
            return self.abort(slot, None);
        }
        if c.phase != Phase::Open {
            return;
        }
        let s = slot as u32;
        if mode.is_now() {
            if c.zc_notif_pending {
                // A zero-copy send still holds `wire`; only a reset frees it at once.
                return self.abort(slot, None);
            }
            if !c.unsent() && !c.send_pending {
                return self.finish(slot);
            }
            // Cancel everything on the fd; once all has reported, one
            // non-blocking Send of what is queued (FlushNow).
            c.phase = Phase::Cancelling;
            let fd = types::Fd(c.raw_fd());
            let e = opcode::AsyncCancel2::new(types::CancelBuilder::fd(fd).all())
                .build()
                .user_data(ud(Op::Cancel, 0, c.generation, s));
            c.inflight += 1;
            self.ring.push(&[e]);
            return;
        }
        // Graceful: stop reading, flush until the handler's deadline.
        if let Some(t) = c.tls.as_mut() {
            t.close_notify(&mut c.out);
        }
        c.phase = Phase::Draining;
        c.close_deadline = deadline;
        // Absolute on CLOCK_BOOTTIME, like our deadlines: when it fires,
        // `now() >= close_deadline` holds and service_draining acts.
        c.ts_close = abs_timespec(deadline);
        c.close_timer_pending = true;
        let timer = opcode::Timeout::new(&c.ts_close)
            .flags(types::TimeoutFlags::ABS | types::TimeoutFlags::BOOTTIME)
            .build()
            .user_data(ud(Op::CloseTimer, 0, c.generation, s));
        c.inflight += 1;
        self.ring.push(&[timer]);
        let c = &mut self.conns[slot];
        let mut entries = [None, None];
        if c.recv_pending {
            let target = ud(Op::Recv, c.recv_seq, c.generation, s);
            entries[0] = Some(
                opcode::AsyncCancel2::new(types::CancelBuilder::user_data(target))
                    .build()
                    .user_data(ud(Op::Cancel, 0, c.generation, s)),
            );
        }
        if c.send_pending && c.send_deadline != deadline {
            c.send_deadline = deadline;
            c.ts_update = rel_timespec(deadline, now, 0);
            let target = ud(Op::SendTimeout, c.send_seq, c.generation, s);
            entries[1] = Some(
                opcode::TimeoutUpdate::new(target, &c.ts_update)
                    .flags(types::TimeoutFlags::LINK_TIMEOUT_UPDATE)
                    .build()
                    .user_data(ud(Op::Update, 0, c.generation, s)),
            );
            self.stats.deadline_updates += 1;
        }
        for e in entries.into_iter().flatten() {
            self.conns[slot].inflight += 1;
            self.ring.push(&[e]);
        }
    }

    /// Everything queued was written: cancel, shutdown(SHUT_RDWR), close.
    pub(crate) fn finish(&mut self, slot: usize) {
        let c = &mut self.conns[slot];
        c.phase = Phase::Closing;
        let (g, s, fd) = (c.generation, slot as u32, c.raw_fd());
        let shutdown = opcode::Shutdown::new(types::Fd(fd), libc::SHUT_RDWR)
            .build()
            .flags(squeue::Flags::IO_HARDLINK)
            .user_data(ud(Op::Shutdown, 0, g, s));
        // A socket set to linger would block the reactor thread in its
        // final close: everything was flushed and shut down, so stop.
        let unlinger = c.lingers.then(|| {
            opcode::SetSockOpt::new(
                types::Fd(fd),
                libc::SOL_SOCKET as u32,
                libc::SO_LINGER as u32,
                (&LINGER_OFF as *const libc::linger).cast(),
                std::mem::size_of::<libc::linger>() as u32,
            )
            .build()
            .flags(squeue::Flags::IO_HARDLINK)
            .user_data(ud(Op::Linger, 0, g, s))
        });
        self.close_chain(slot, shutdown, unlinger);
    }

    /// Drops unsent bytes: cancel, SO_LINGER 0, close (the peer gets a reset).
    pub(crate) fn abort(&mut self, slot: usize, reason: Option<CloseReason>) {
        let c = &mut self.conns[slot];
        if let (None, Some(r)) = (&c.reason, reason) {
            c.reason = Some(r);
        }
        if c.phase == Phase::Closing {
            return;
        }
        let dropped = c.queued();
        if dropped > 0 {
            tracing::info!(
                conn = c.id(slot as u32).as_u64(),
                dropped,
                "closing with unsent bytes dropped"
            );
        }
        c.phase = Phase::Closing;
        self.stats.closed_aborted += 1;
        let (g, s, fd) = (c.generation, slot as u32, c.raw_fd());
        let linger = opcode::SetSockOpt::new(
            types::Fd(fd),
            libc::SOL_SOCKET as u32,
            libc::SO_LINGER as u32,
            (&LINGER_ZERO as *const libc::linger).cast(),
            std::mem::size_of::<libc::linger>() as u32,
        )
        .build()
        .flags(squeue::Flags::IO_HARDLINK)
        .user_data(ud(Op::Linger, 0, g, s));
        self.close_chain(slot, linger, None);
    }

    /// Cancel-all -> `middle` (-> `then`) -> close, hard-linked so each step runs even
    /// if the one before failed (nothing to cancel, socket already reset).
    fn close_chain(&mut self, slot: usize, middle: squeue::Entry, then: Option<squeue::Entry>) {
        let c = &mut self.conns[slot];
        let (g, s, fd) = (c.generation, slot as u32, c.raw_fd());
        let cancel = opcode::AsyncCancel2::new(types::CancelBuilder::fd(types::Fd(fd)).all())
            .build()
            .flags(squeue::Flags::IO_HARDLINK)
            .user_data(ud(Op::Cancel, 0, g, s));
        let close = opcode::Close::new(types::Fd(fd))
            .build()
            .user_data(ud(Op::Close, 0, g, s));
        c.inflight += 3 + u32::from(then.is_some());
        let timer = c.close_timer_pending.then(|| {
            // Not tied to the fd: remove it so the slot is released now.
            opcode::TimeoutRemove::new(ud(Op::CloseTimer, 0, g, s))
                .build()
                .user_data(ud(Op::Update, 0, g, s))
        });
        if let Some(t) = timer {
            c.inflight += 1;
            self.ring.push(&[t]);
        }
        let pushed = match then {
            Some(then) => self.ring.push(&[cancel, middle, then, close]),
            None => self.ring.push(&[cancel, middle, close]),
        };
        if pushed {
            // The ring's Close owns the number now (until it completes,
            // the chain's other steps name it too).
            if let Some(fd) = self.conns[slot].fd.take() {
                let _ = fd.into_raw_fd();
            }
        }
    }

    /// All operations reported and the fd is closed: tell the handler, free the slot.
    pub(crate) fn release(&mut self, slot: usize) {
        let c = &mut self.conns[slot];
        let reason = c
            .reason
            .take()
            .unwrap_or(CloseReason::Requested(CloseMode::Now));
        if let Some(mut h) = c.handler.take() {
            h.on_closed(&reason, sys::clock());
        }
        c.reset();
        self.free.push(slot as u32);
        self.stats.closed += 1;
        self.stats.open_connections = self.stats.open_connections.saturating_sub(1);
    }
}
