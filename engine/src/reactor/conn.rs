//! Per-connection state and the user_data encoding of ring operations.

use super::handler::{CloseMode, CloseReason, ConnId, Nanos};
use super::sys::RawAddr;
use super::tls_io::TlsConn;
use io_uring::types::Timespec;
use std::os::fd::RawFd;

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
    pub(crate) fd: RawFd,
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
    pub(crate) dirty: bool,
    /// Timespecs the kernel reads when it prepares the SQE: stable addresses
    /// (the slot vector never reallocates).
    pub(crate) ts_recv: Timespec,
    pub(crate) ts_send: Timespec,
    pub(crate) ts_update: Timespec,
    pub(crate) ts_close: Timespec,
    pub(crate) addr: RawAddr,
    /// TLS state when the connection uses TLS.
    pub(crate) tls: Option<Box<TlsConn>>,
}

impl<H> Conn<H> {
    pub(crate) fn new(outbound_capacity: usize) -> Self {
        Self {
            generation: 0,
            phase: Phase::Free,
            fd: -1,
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
            dirty: false,
            ts_recv: Timespec::new(),
            ts_send: Timespec::new(),
            ts_update: Timespec::new(),
            ts_close: Timespec::new(),
            addr: RawAddr::empty(),
            tls: None,
        }
    }

    pub(crate) fn id(&self, slot: u32) -> ConnId {
        ConnId {
            slot,
            generation: self.generation,
        }
    }

    /// Unsent bytes: the rest of `wire` plus `out`.
    pub(crate) fn queued(&self) -> usize {
        self.wire.len().saturating_sub(self.wire_off) + self.out.len()
    }

    /// Anything left to send, counting records rustls still holds.
    pub(crate) fn unsent(&self) -> bool {
        self.queued() > 0 || self.tls.as_ref().is_some_and(|t| t.wants_write())
    }

    /// Resets for reuse; keeps buffer capacity.
    pub(crate) fn reset(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        self.phase = Phase::Free;
        self.fd = -1;
        self.handler = None;
        self.rx_start = 0;
        self.rx_end = 0;
        self.out.clear();
        self.wire.clear();
        self.wire_off = 0;
        self.close_req = None;
        self.reason = None;
        self.recv_pending = false;
        self.send_pending = false;
        self.zc_notif_pending = false;
        self.close_timer_pending = false;
        self.inflight = 0;
        self.fd_closed = false;
        self.tls = None;
    }
}

/// Absolute CLOCK_REALTIME timespec for a deadline.
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
