//! Per-connection I/O: completions, framing in place, sends, deadlines.

use super::conn::{abs_timespec, rel_timespec, ud, Op, Phase, Tag};
use super::event_loop::Reactor;
use super::handler::{CloseMode, CloseReason, ConnectionHandler, Ctx, Framed, Nanos};
use super::sys;
use io_uring::{cqueue, opcode, squeue, types};

/// When the free space behind the unparsed bytes falls below this share of
/// the buffer, the partial frame is moved to the front.
const COMPACT_DIVISOR: usize = 4;
/// A handler that leaves its deadline in the past is polled this often.
const PAST_DEADLINE_RETRY_NS: i64 = 1_000_000;

impl<H: ConnectionHandler> Reactor<H> {
    pub(crate) fn on_conn_cqe(&mut self, tag: Tag, res: i32, flags: u32) {
        let slot = tag.slot as usize;
        let Some(c) = self.conns.get_mut(slot) else {
            return;
        };
        if c.generation != tag.generation || c.phase == Phase::Free {
            return;
        }
        c.inflight = c.inflight.saturating_sub(1);
        Self::mark(&mut self.dirty, c, tag.slot);
        match tag.op {
            Op::Recv if tag.seq == c.recv_seq => {
                c.recv_pending = false;
                self.bufs.give_back(slot);
                if c.phase != Phase::Open {
                    return;
                }
                match res {
                    n if n > 0 => {
                        self.stats.bytes_in += n as u64;
                        if c.tls.is_some() {
                            self.on_tls_bytes(slot, n as usize);
                        } else {
                            self.on_bytes(slot, n as usize);
                        }
                    }
                    0 => self.begin_close_reason(slot, CloseReason::PeerClosed),
                    e if e == -libc::ECANCELED => {} // the deadline: see service
                    e => self.begin_close_reason(slot, CloseReason::Error(-e)),
                }
            }
            Op::RecvTimeout if res == -libc::ETIME => self.stats.recv_timeouts_fired += 1,
            Op::SendTimeout if res == -libc::ETIME => self.stats.send_timeouts_fired += 1,
            Op::Update if res < 0 && res != -libc::ENOENT && res != -libc::EALREADY => {
                tracing::error!(errno = -res, "linked timeout update failed");
            }
            Op::Send if cqueue::notif(flags) => {
                // SendZc: the kernel no longer references `wire`.
                c.zc_notif_pending = false;
            }
            Op::Send if tag.seq == c.send_seq => {
                c.send_pending = false;
                if cqueue::more(flags) {
                    // SendZc: a notification CQE follows.
                    c.inflight += 1;
                    c.zc_notif_pending = true;
                }
                if res > 0 {
                    self.stats.bytes_out += res as u64;
                    c.wire_off += res as usize;
                }
                match (c.phase, res) {
                    (Phase::FlushNow, n) if n < 0 || c.wire_off < c.wire.len() => {
                        self.abort(slot, None) // the socket did not take it at once
                    }
                    (Phase::Draining, e) if e == -libc::ECANCELED => self.abort(slot, None),
                    (Phase::Open | Phase::Draining, e) if e < 0 && e != -libc::ECANCELED => {
                        self.abort(slot, Some(CloseReason::Error(-e)))
                    }
                    _ => {}
                }
            }
            Op::Connect => {
                if c.phase != Phase::Connecting {
                    return;
                }
                if res == 0 {
                    self.stats.connected += 1;
                    c.phase = Phase::Open;
                    let id = c.id(tag.slot);
                    if let Some(t) = c.tls.as_mut() {
                        // on_open waits for the handshake, which starts now.
                        t.restart_clock(sys::now());
                    } else if let Some(h) = c.handler.as_mut() {
                        let mut ctx = Ctx {
                            id,
                            out: &mut c.out,
                            close: &mut c.close_req,
                            wire_unsent: c.wire.len().saturating_sub(c.wire_off),
                            stamp: 0,
                        };
                        h.on_open(&mut ctx, sys::clock());
                    }
                } else {
                    self.stats.connect_failed += 1;
                    let reason = if res == -libc::ECANCELED {
                        CloseReason::ConnectTimeout
                    } else {
                        CloseReason::ConnectFailed(-res)
                    };
                    self.abort(slot, Some(reason));
                }
            }
            Op::Close => c.fd_closed = true,
            Op::CloseTimer => c.close_timer_pending = false,
            _ => {}
        }
    }

    /// New bytes at the end of the unparsed region: frame and deliver in place.
    pub(crate) fn on_bytes(&mut self, slot: usize, n: usize) {
        let stamp = self.turn_stamp;
        let Some(buf) = self.bufs.slot_mut(slot) else {
            return self.buffer_unavailable(slot);
        };
        let cap = buf.len();
        let c = &mut self.conns[slot];
        let id = c.id(slot as u32);
        let Some(h) = c.handler.as_mut() else { return };
        let mut ctx = Ctx {
            id,
            out: &mut c.out,
            close: &mut c.close_req,
            wire_unsent: c.wire.len().saturating_sub(c.wire_off),
            stamp,
        };
        let now = sys::clock();
        let end = (c.rx_end + n).min(cap);
        let mut start = c.rx_start;
        while start < end && ctx.close.is_none() {
            let data = &buf[start..end];
            match h.on_input(data, cap, &mut ctx, now) {
                Framed::Complete(len) if len > 0 && len <= data.len() => {
                    self.stats.frames_in += 1;
                    start += len;
                }
                Framed::Incomplete => break,
                Framed::Garbled { skip } => {
                    let skip = skip.clamp(1, data.len());
                    self.stats.garbled_bytes += skip as u64;
                    start += skip;
                }
                Framed::Complete(_) => {
                    // A handler bug: drop everything rather than loop.
                    self.stats.garbled_bytes += data.len() as u64;
                    start = end;
                }
            }
        }
        if start == end {
            c.rx_start = 0;
            c.rx_end = 0;
        } else if cap - end < cap / COMPACT_DIVISOR {
            // Carry the partial frame over: copy only its tail bytes.
            buf.copy_within(start..end, 0);
            self.stats.carried_bytes += (end - start) as u64;
            c.rx_start = 0;
            c.rx_end = end - start;
        } else {
            c.rx_start = start;
            c.rx_end = end;
        }
        if c.rx_end == cap && c.close_req.is_none() {
            self.begin_close_reason(slot, CloseReason::FrameTooLarge);
        }
    }

    pub(crate) fn service_dirty(&mut self) {
        let mut dirty = std::mem::replace(&mut self.dirty, std::mem::take(&mut self.dirty_spare));
        // Servicing may mark more slots; loop until quiet.
        while !dirty.is_empty() {
            for &slot in &dirty {
                if let Some(c) = self.conns.get_mut(slot as usize) {
                    c.dirty = false;
                }
            }
            for &slot in &dirty {
                self.service(slot as usize);
            }
            dirty.clear();
            std::mem::swap(&mut dirty, &mut self.dirty);
        }
        self.dirty_spare = std::mem::replace(&mut self.dirty, dirty);
    }

    /// The handler's deadline, or the default from now.
    pub(crate) fn deadline_of(&self, slot: usize, now: Nanos) -> Nanos {
        let c = &self.conns[slot];
        if let Some(t) = c.tls.as_ref().filter(|t| !t.opened) {
            return t.handshake_deadline;
        }
        match c.handler.as_ref().and_then(|h| h.deadline()) {
            Some(t) => t.as_nanos(),
            // The in-flight default is kept while it lies ahead: a new one
            // from now on every service would update the linked timeout,
            // whose completion services the connection again (a busy loop).
            None if c.recv_pending && c.recv_deadline > now => c.recv_deadline,
            None => now.saturating_add(self.cfg.default_deadline.as_nanos() as i64),
        }
    }

    /// Brings one connection's operations in line with its state.
    fn service(&mut self, slot: usize) {
        loop {
            let phase = self.conns[slot].phase;
            match phase {
                Phase::Open => self.service_open(slot),
                Phase::Draining => self.service_draining(slot),
                Phase::Cancelling
                    if self.conns[slot].inflight
                        == u32::from(self.conns[slot].zc_notif_pending) =>
                {
                    if self.conns[slot].zc_notif_pending {
                        // A zero-copy send still holds `wire` (it may never be
                        // acknowledged): only a reset frees it at once.
                        self.abort(slot, None);
                    } else {
                        self.conns[slot].phase = Phase::FlushNow;
                    }
                }
                Phase::FlushNow
                    if !self.conns[slot].send_pending && !self.start_send(slot, None) =>
                {
                    self.finish(slot);
                }
                Phase::Connecting => {
                    if let Some(mode) = self.conns[slot].close_req {
                        self.abort(slot, Some(CloseReason::Requested(mode)));
                    }
                }
                Phase::Closing => {
                    let c = &self.conns[slot];
                    if c.inflight == 0 && c.fd_closed {
                        self.release(slot);
                    }
                }
                _ => {}
            }
            if self.conns[slot].phase == phase {
                return;
            }
        }
    }

    fn service_open(&mut self, slot: usize) {
        let now = sys::now();
        if self.apply_requests(slot) {
            return;
        }
        let d = self.deadline_of(slot, now);
        if now >= d {
            if self.conns[slot].tls.as_ref().is_some_and(|t| !t.opened) {
                return self.tls_handshake_timeout(slot);
            }
            self.stats.deadlines_delivered += 1;
            let clock = sys::clock();
            let c = &mut self.conns[slot];
            let id = c.id(slot as u32);
            if let Some(h) = c.handler.as_mut() {
                let mut ctx = Ctx {
                    id,
                    out: &mut c.out,
                    close: &mut c.close_req,
                    wire_unsent: c.wire.len().saturating_sub(c.wire_off),
                    stamp: 0,
                };
                h.on_deadline(&mut ctx, clock);
            }
            if self.apply_requests(slot) {
                return;
            }
        }
        let d = self.deadline_of(slot, now);
        self.conns[slot].note_queued(now);
        if !self.conns[slot].send_pending && self.conns[slot].write_timed_out(now) {
            let t = self.conns[slot].write_timeout.unwrap_or_default();
            return self.abort(slot, Some(CloseReason::WriteTimeout(t)));
        }
        if !self.conns[slot].send_pending {
            self.start_send(slot, Some(d));
        }
        let c = &mut self.conns[slot];
        if !c.idle_queued && c.handler.as_ref().is_some_and(|h| h.wants_idle()) {
            c.idle_queued = true;
            self.idle.push_back(slot as u32);
        }
        let calm = i64::try_from(self.cfg.outbound_calm.as_nanos()).unwrap_or(i64::MAX);
        if c.trim_outbound(now, calm) {
            self.stats.outbound_trims += 1;
            self.release_pending = true;
        }
        if !c.recv_pending {
            self.arm_recv(slot, d, now);
        } else if c.recv_deadline != d {
            // Move the in-flight timeout (earlier after a send, later after a
            // timer): the Recv keeps a deadline in every state.
            c.recv_deadline = d;
            c.ts_update = rel_timespec(d, now, PAST_DEADLINE_RETRY_NS);
            let target = ud(Op::RecvTimeout, c.recv_seq, c.generation, slot as u32);
            let e = opcode::TimeoutUpdate::new(target, &c.ts_update)
                .flags(types::TimeoutFlags::LINK_TIMEOUT_UPDATE)
                .build()
                .user_data(ud(Op::Update, 0, c.generation, slot as u32));
            c.inflight += 1;
            self.stats.deadline_updates += 1;
            self.ring.push(&[e]);
        }
    }

    /// Applies a close request or the queue limit; true if the connection left `Open`.
    fn apply_requests(&mut self, slot: usize) -> bool {
        let c = &mut self.conns[slot];
        let queued = c.queued();
        let limit = self.cfg.max_outbound_queue_bytes;
        if queued > limit {
            tracing::warn!(
                conn = c.id(slot as u32).as_u64(),
                queued,
                limit,
                "outbound queue limit exceeded: disconnecting"
            );
            self.stats.closed_queue_limit += 1;
            self.abort(slot, Some(CloseReason::QueueLimit { queued, limit }));
            return true;
        }
        if let Some(mode) = c.close_req {
            self.begin_close(slot, mode, CloseReason::Requested(mode));
            return true;
        }
        false
    }

    /// Recv into the free tail of the buffer, linked to the deadline.
    fn arm_recv(&mut self, slot: usize, d: Nanos, now: Nanos) {
        let c = &mut self.conns[slot];
        let lent = match c.tls.as_mut() {
            // TLS: ciphertext goes to its own buffer, plaintext to the receive buffer.
            Some(t) => Some((t.cipher.as_mut_ptr(), t.cipher.len() as u32)),
            None => self.bufs.lend(slot, c.rx_end),
        };
        let Some((ptr, len)) = lent else {
            return self.buffer_unavailable(slot);
        };
        c.recv_seq = c.recv_seq.wrapping_add(1);
        c.recv_deadline = d;
        c.ts_recv = abs_timespec(d.max(now + PAST_DEADLINE_RETRY_NS));
        let recv = opcode::Recv::new(types::Fd(c.raw_fd()), ptr, len)
            .build()
            .flags(squeue::Flags::IO_LINK)
            .user_data(ud(Op::Recv, c.recv_seq, c.generation, slot as u32));
        let to = opcode::LinkTimeout::new(&c.ts_recv)
            .flags(types::TimeoutFlags::ABS | types::TimeoutFlags::BOOTTIME)
            .build()
            .user_data(ud(Op::RecvTimeout, c.recv_seq, c.generation, slot as u32));
        c.recv_pending = true;
        c.inflight += 2;
        self.stats.recvs_submitted += 1;
        self.stats.recvs_linked += 1;
        self.ring.push(&[recv, to]);
    }

    /// Sends queued bytes: linked to `deadline`, or non-blocking when `None`.
    /// Returns false if nothing was queued.
    pub(crate) fn start_send(&mut self, slot: usize, deadline: Option<Nanos>) -> bool {
        let c = &mut self.conns[slot];
        if c.zc_notif_pending {
            // `wire` is still referenced by a zero-copy send: wait for its
            // notification (which marks the connection dirty again).
            return true;
        }
        if c.wire_off >= c.wire.len() {
            c.wire.clear();
            c.wire_off = 0;
            if let Some(t) = c.tls.as_mut() {
                // Plaintext stays in `out` (its capacity reused); records go to `wire`.
                t.seal(&mut c.out, &mut c.wire);
                if c.wire.is_empty() {
                    return false;
                }
            } else if c.out.is_empty() {
                return false;
            } else {
                std::mem::swap(&mut c.out, &mut c.wire);
            }
            if c.write_timeout.is_some() {
                c.write_started = sys::now();
            }
        }
        // Under a write timeout the send is linked to the earlier of the
        // two: its expiry cancels the send, and service_open disconnects.
        let deadline = deadline.map(|d| c.write_by().map_or(d, |by| d.min(by)));
        let rest = &c.wire[c.wire_off..];
        let len = rest.len().min(u32::MAX as usize) as u32;
        c.send_seq = c.send_seq.wrapping_add(1);
        c.send_pending = true;
        let g = c.generation;
        let s = slot as u32;
        let flags = libc::MSG_NOSIGNAL
            | if deadline.is_none() {
                libc::MSG_DONTWAIT
            } else {
                0
            };
        // Never zero-copy for the close-now flush: its notification could
        // hold the close until a peer that does not read acknowledges.
        let zc_min = self.cfg.send_zc_min_bytes;
        let zc = deadline.is_some() && zc_min.is_some_and(|min| rest.len() >= min);
        let send = if zc {
            self.stats.sends_zc += 1;
            opcode::SendZc::new(types::Fd(c.raw_fd()), rest.as_ptr(), len)
                .flags(flags)
                .build()
        } else {
            opcode::Send::new(types::Fd(c.raw_fd()), rest.as_ptr(), len)
                .flags(flags)
                .build()
        };
        self.stats.sends_submitted += 1;
        match deadline {
            Some(d) => {
                c.send_deadline = d;
                c.ts_send = abs_timespec(d);
                let to = opcode::LinkTimeout::new(&c.ts_send)
                    .flags(types::TimeoutFlags::ABS | types::TimeoutFlags::BOOTTIME)
                    .build()
                    .user_data(ud(Op::SendTimeout, c.send_seq, g, s));
                let send =
                    send.flags(squeue::Flags::IO_LINK)
                        .user_data(ud(Op::Send, c.send_seq, g, s));
                c.inflight += 2;
                self.stats.sends_linked += 1;
                self.ring.push(&[send, to]);
            }
            None => {
                c.inflight += 1;
                self.ring
                    .push(&[send.user_data(ud(Op::Send, c.send_seq, g, s))]);
            }
        }
        true
    }

    /// Graceful close: flush, but never past `close_deadline` (a standalone
    /// timer wakes us even while waiting for a zero-copy notification).
    fn service_draining(&mut self, slot: usize) {
        let c = &self.conns[slot];
        let d = c.close_deadline;
        if sys::now() >= d {
            if !c.unsent() && !c.send_pending && !c.zc_notif_pending {
                self.finish(slot);
            } else {
                self.abort(slot, None);
            }
        } else if c.send_pending || c.zc_notif_pending {
            // Wait: the send, its linked timeout, or the close timer reports.
        } else if !c.unsent() {
            self.finish(slot);
        } else {
            self.start_send(slot, Some(d));
        }
    }
}

impl<H: ConnectionHandler> Reactor<H> {
    /// A slot's receive buffer was missing, lent or full where it cannot
    /// be: a reactor bug, counted and logged; the connection is reset
    /// rather than read into the wrong memory.
    pub(crate) fn buffer_unavailable(&mut self, slot: usize) {
        self.stats.invariant_violations += 1;
        tracing::error!(slot, "receive buffer unavailable: closing the connection");
        self.abort(slot, Some(CloseReason::FrameTooLarge));
    }
}

impl CloseMode {
    pub(crate) fn is_now(self) -> bool {
        self == CloseMode::Now
    }
}
