//! Per-connection state and the user_data encoding of ring operations.

use super::handler::{CloseMode, CloseReason, ConnId, Nanos};
use super::tls_io::TlsConn;
use io_uring::types::Timespec;
use socket2::SockAddr;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

/// What an operation is, stored in the top byte of its user_data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Op {
    Recv = 1,
    RecvTimeout,
    Send,
    SendTimeout,
    Update,
    Cancel,
    Shutdown,
    Linger,
    Close,
    Connect,
    ConnectTimeout,
    Accept,
    ListenerClose,
    Wake,
    CloseTimer,
}

impl Op {
    fn from_u8(v: u8) -> Option<Self> {
        const ALL: [Op; 15] = [
            Op::Recv,
            Op::RecvTimeout,
            Op::Send,
            Op::SendTimeout,
            Op::Update,
            Op::Cancel,
            Op::Shutdown,
            Op::Linger,
            Op::Close,
            Op::Connect,
            Op::ConnectTimeout,
            Op::Accept,
            Op::ListenerClose,
            Op::Wake,
            Op::CloseTimer,
        ];
        ALL.get(usize::from(v).wrapping_sub(1)).copied()
    }
}

/// user_data layout: op (8 bits) | seq (8) | generation (16) | slot (32).
pub(crate) fn ud(op: Op, seq: u8, generation: u16, slot: u32) -> u64 {
    (u64::from(op as u8) << 56)
        | (u64::from(seq) << 48)
        | (u64::from(generation) << 32)
        | u64::from(slot)
}

/// Decoded user_data.
pub(crate) struct Tag {
    pub(crate) op: Op,
    pub(crate) seq: u8,
    pub(crate) generation: u16,
    pub(crate) slot: u32,
}

pub(crate) fn decode(user_data: u64) -> Option<Tag> {
    Some(Tag {
        op: Op::from_u8((user_data >> 56) as u8)?,
        seq: (user_data >> 48) as u8,
        generation: (user_data >> 32) as u16,
        slot: user_data as u32,
    })
}

/// Life of a connection slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Unused slot.
    Free,
    /// Connect (linked to a timeout) in flight.
    Connecting,
    /// Established; a Recv + linked timeout is always in flight.
    Open,
    /// Graceful close: flushing until `close_deadline`, no Recv.
    Draining,
    /// Close-now: waiting for the cancelled operations to report.
    Cancelling,
    /// Close-now: one non-blocking Send of what is queued.
    FlushNow,
    /// Cancel / shutdown or SO_LINGER 0 / close submitted; waiting for CQEs.
    Closing,
}

pub(crate) struct Conn<H> {
    pub(crate) generation: u16,
    pub(crate) phase: Phase,
    /// The socket until its Close is handed to the ring (which then owns
    /// the number); dropped with the slot state otherwise.
    pub(crate) fd: Option<OwnedFd>,
    pub(crate) handler: Option<H>,
    /// Unparsed bytes are `rx_start..rx_end` of this slot's receive buffer.
    pub(crate) rx_start: usize,
    pub(crate) rx_end: usize,
    /// Where handlers append; swapped with `wire` when `wire` is sent.
    pub(crate) out: Vec<u8>,
    /// Bytes owned by the in-flight Send (never touched while it runs).
    pub(crate) wire: Vec<u8>,
    pub(crate) wire_off: usize,
    pub(crate) close_req: Option<CloseMode>,
    pub(crate) reason: Option<CloseReason>,
    pub(crate) recv_pending: bool,
    pub(crate) recv_seq: u8,
    /// The handler deadline the in-flight Recv's timeout was armed for.
    pub(crate) recv_deadline: Nanos,
    pub(crate) send_pending: bool,
    pub(crate) send_seq: u8,
    pub(crate) send_deadline: Nanos,
    /// A SendZc's notification is outstanding: `wire` must stay untouched.
    pub(crate) zc_notif_pending: bool,
    /// The graceful-close timer (a standalone Timeout) is in flight.
    pub(crate) close_timer_pending: bool,
    pub(crate) close_deadline: Nanos,
    /// Operations submitted whose CQE has not arrived yet.
    pub(crate) inflight: u32,
    pub(crate) fd_closed: bool,
    /// The socket lingers (SO_LINGER > 0): its final close turns that off.
    pub(crate) lingers: bool,
    /// A batch of `wire` not sent within this closes the connection
    /// (`SocketSynchronousWriteTimeout`); `None`: no limit.
    pub(crate) write_timeout: Option<std::time::Duration>,
    /// When the batch now in `wire` was taken for sending.
    pub(crate) write_started: Nanos,
    pub(crate) dirty: bool,
    /// The slot is in the reactor's idle queue. Not cleared by `reset`:
    /// the entry stays queued (and is skipped) until popped, so the queue
    /// never holds a slot twice.
    pub(crate) idle_queued: bool,
    /// Timespecs the kernel reads when it prepares the SQE: stable addresses
    /// (the slot vector never reallocates).
    pub(crate) ts_recv: Timespec,
    pub(crate) ts_send: Timespec,
    pub(crate) ts_update: Timespec,
    pub(crate) ts_close: Timespec,
    /// The Connect's target, read by the kernel when it prepares the SQE.
    pub(crate) addr: SockAddr,
    /// TLS state when the connection uses TLS.
    pub(crate) tls: Option<Box<TlsConn>>,
    /// Capacity `out` and `wire` start with and return to after a backlog.
    pub(crate) out_base: usize,
    /// Last time more than `out_base` bytes were queued.
    pub(crate) out_big_at: Nanos,
}

impl<H> Conn<H> {
    pub(crate) fn new(outbound_capacity: usize) -> Self {
        Self {
            generation: 0,
            phase: Phase::Free,
            fd: None,
            handler: None,
            rx_start: 0,
            rx_end: 0,
            out: Vec::with_capacity(outbound_capacity),
            wire: Vec::with_capacity(outbound_capacity),
            wire_off: 0,
            close_req: None,
            reason: None,
            recv_pending: false,
            recv_seq: 0,
            recv_deadline: 0,
            send_pending: false,
            send_seq: 0,
            send_deadline: 0,
            zc_notif_pending: false,
            close_timer_pending: false,
            close_deadline: 0,
            inflight: 0,
            fd_closed: false,
            lingers: false,
            write_timeout: None,
            write_started: 0,
            dirty: false,
            idle_queued: false,
            ts_recv: Timespec::new(),
            ts_send: Timespec::new(),
            ts_update: Timespec::new(),
            ts_close: Timespec::new(),
            addr: SockAddr::from(std::net::SocketAddr::from(([0, 0, 0, 0], 0))),
            tls: None,
            out_base: outbound_capacity,
            out_big_at: 0,
        }
    }

    pub(crate) fn id(&self, slot: u32) -> ConnId {
        ConnId {
            slot,
            generation: self.generation,
        }
    }

    /// The socket's number for ring operations; -1 (EBADF) once its Close
    /// was handed to the ring.
    pub(crate) fn raw_fd(&self) -> RawFd {
        self.fd.as_ref().map_or(-1, AsRawFd::as_raw_fd)
    }

    /// Unsent bytes: the rest of `wire` plus `out`.
    pub(crate) fn queued(&self) -> usize {
        self.wire.len().saturating_sub(self.wire_off) + self.out.len()
    }

    /// Anything left to send, counting records rustls still holds.
    pub(crate) fn unsent(&self) -> bool {
        self.queued() > 0 || self.tls.as_ref().is_some_and(|t| t.wants_write())
    }

    /// When the batch in `wire` must have been sent, under a write timeout.
    pub(crate) fn write_by(&self) -> Option<Nanos> {
        let t = self.write_timeout?;
        let ns = i64::try_from(t.as_nanos()).unwrap_or(i64::MAX);
        Some(self.write_started.saturating_add(ns))
    }

    /// The batch in `wire` is still not sent at `now`, past the write timeout.
    pub(crate) fn write_timed_out(&self, now: Nanos) -> bool {
        self.wire_off < self.wire.len() && self.write_by().is_some_and(|by| now >= by)
    }

    /// Notes a backlog: more than the base capacity queued at `now`.
    pub(crate) fn note_queued(&mut self, now: Nanos) {
        if self.queued() > self.out_base {
            self.out_big_at = now;
        }
    }

    /// Shrinks `out` and `wire` back to their base capacity when they grew
    /// past it, nothing is queued or in flight, and no backlog was seen for
    /// `calm` nanoseconds (the reactor's `outbound_calm`: a steady flow
    /// that needs the larger size keeps it instead of reallocating every
    /// send). True if it shrank them.
    pub(crate) fn trim_outbound(&mut self, now: Nanos, calm: Nanos) -> bool {
        let grown = self.out.capacity().max(self.wire.capacity()) > self.out_base;
        if !grown
            || self.send_pending
            || self.zc_notif_pending
            || self.unsent()
            || now.saturating_sub(self.out_big_at) < calm
        {
            return false;
        }
        self.shrink_outbound();
        true
    }

    fn shrink_outbound(&mut self) {
        self.out.clear();
        self.wire.clear();
        self.wire_off = 0;
        self.out.shrink_to(self.out_base);
        self.wire.shrink_to(self.out_base);
    }

    /// Resets for reuse; buffers back to their base capacity.
    pub(crate) fn reset(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        self.phase = Phase::Free;
        self.fd = None;
        self.handler = None;
        self.rx_start = 0;
        self.rx_end = 0;
        self.shrink_outbound();
        self.out_big_at = 0;
        self.close_req = None;
        self.reason = None;
        self.recv_pending = false;
        self.send_pending = false;
        self.zc_notif_pending = false;
        self.close_timer_pending = false;
        self.inflight = 0;
        self.fd_closed = false;
        self.lingers = false;
        self.write_timeout = None;
        self.tls = None;
    }
}

/// Absolute CLOCK_BOOTTIME timespec for a deadline.
pub(crate) fn abs_timespec(t: Nanos) -> Timespec {
    let t = t.max(0);
    Timespec::new()
        .sec((t / 1_000_000_000) as u64)
        .nsec((t % 1_000_000_000) as u32)
}

/// Relative timespec from `now` to `t` (at least `min_ns`). Timeout updates
/// take relative times: the kernel rejects a clock flag on an update, and a
/// relative time is right whatever clock the timer was created with.
pub(crate) fn rel_timespec(t: Nanos, now: Nanos, min_ns: i64) -> Timespec {
    let d = t.saturating_sub(now).max(min_ns).max(0);
    Timespec::new()
        .sec((d / 1_000_000_000) as u64)
        .nsec((d % 1_000_000_000) as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: i64 = 1_000_000_000;

    #[test]
    fn outbound_buffers_shrink_after_a_calm_second_not_before() {
        let mut c = Conn::<()>::new(1024);
        // A steady flow below the base capacity: nothing to give back.
        c.out.extend_from_slice(&[1; 1000]);
        c.note_queued(SEC);
        c.out.clear();
        assert!(!c.trim_outbound(5 * SEC, SEC));
        // A backlog: the buffer grows past its base.
        c.out.extend_from_slice(&[1; 100_000]);
        c.note_queued(10 * SEC);
        assert!(c.out.capacity() >= 100_000);
        // Still queued: kept.
        assert!(!c.trim_outbound(20 * SEC, SEC));
        std::mem::swap(&mut c.out, &mut c.wire);
        c.wire_off = c.wire.len() / 2;
        c.send_pending = true;
        assert!(!c.trim_outbound(20 * SEC, SEC));
        // Sent; but the backlog is less than a second old.
        c.send_pending = false;
        c.wire_off = c.wire.len();
        c.note_queued(10 * SEC + SEC / 2);
        assert!(!c.trim_outbound(10 * SEC + SEC / 2, SEC));
        assert!(c.wire.capacity() >= 100_000);
        // Drained and calm for a second: back to the base capacity.
        assert!(c.trim_outbound(11 * SEC, SEC));
        assert_eq!(c.out.capacity(), 1024);
        assert_eq!(c.wire.capacity(), 1024);
        assert_eq!(c.queued(), 0);
        assert!(!c.trim_outbound(30 * SEC, SEC));
    }

    #[test]
    fn reset_gives_a_grown_buffer_back() {
        let mut c = Conn::<()>::new(4096);
        c.out.extend_from_slice(&[0; 1 << 20]);
        c.reset();
        assert_eq!(c.out.capacity(), 4096);
        assert_eq!(c.queued(), 0);
    }
}
