//! The reactor thread: one ring, many connections, one loop.

use super::buffers::{RecvBuffers, CHUNK_SLOTS};
use super::config::{Mode, ReactorConfig, ReactorError};
use super::conn::{decode, ud, Conn, Op, Phase};
use super::control::{Command, Factory, Shared};
use super::handler::{ConnectionHandler, Ctx};
use super::ring::Ring;
use super::sockopt::AllowedPeers;
use super::stats::StatsSnapshot;
use super::sys;
use super::tls::TlsServer;
use io_uring::{opcode, squeue, types};
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, IntoRawFd, OwnedFd};
use std::sync::Arc;

/// Shortest time between two calls asking the allocator to release memory
/// (each walks the allocator's free lists: cheap, but not for every trim).
const RELEASE_EVERY_NS: i64 = 1_000_000_000;

pub(crate) struct Listener<H> {
    /// The listening socket until its Close is handed to the ring.
    pub(crate) fd: Option<OwnedFd>,
    pub(crate) local: SocketAddr,
    pub(crate) factory: Factory<H>,
    pub(crate) tls: Option<TlsServer>,
    pub(crate) allowed: Option<AllowedPeers>,
    /// Accepted sockets inherit a linger their final close turns off.
    pub(crate) lingers: bool,
    /// Accepted connections' write timeout (`SocketOptions::write_timeout`).
    pub(crate) write_timeout: Option<std::time::Duration>,
    pub(crate) armed: bool,
    pub(crate) closing: bool,
    pub(crate) closed: bool,
}

/// Its `Drop` (teardown.rs) cancels and reaps every operation in flight
/// before any field (buffers, slot state, fds) is released.
pub(crate) struct Reactor<H> {
    pub(crate) ring: Ring,
    pub(crate) cfg: ReactorConfig,
    pub(crate) shared: Arc<Shared<H>>,
    pub(crate) bufs: RecvBuffers,
    pub(crate) conns: Vec<Conn<H>>,
    pub(crate) free: Vec<u32>,
    pub(crate) dirty: Vec<u32>,
    /// The other half of `dirty`'s double buffer (see `service_dirty`).
    pub(crate) dirty_spare: Vec<u32>,
    /// Slots whose handler wants idle time (see `idle.rs`), oldest first.
    pub(crate) idle: std::collections::VecDeque<u32>,
    pub(crate) listeners: Vec<Listener<H>>,
    pub(crate) cmds: Vec<Command<H>>,
    pub(crate) cqes: Vec<(u64, i32, u32)>,
    pub(crate) stats: StatsSnapshot,
    pub(crate) stopping: bool,
    /// [`probe::stamp`] of the last turn that reaped completions.
    pub(crate) turn_stamp: u64,
    /// When the last "no free slot" refusal was logged, and refusals since.
    pub(crate) refused_logged_at: i64,
    pub(crate) refused_unlogged: u64,
    /// The same for peers not in `AllowedRemoteAddresses`.
    pub(crate) barred_logged_at: i64,
    pub(crate) barred_unlogged: u64,
    /// Buffers were trimmed since the allocator last returned free pages.
    pub(crate) release_pending: bool,
    released_at: i64,
    /// The wake eventfd's Read lands here (the kernel writes it).
    pub(crate) wake_buf: Box<u64>,
    wake_armed: bool,
    wait_ts: types::Timespec,
    /// Turns until the next full audit (see `audit`).
    audit_countdown: u32,
}

impl<H: ConnectionHandler> Reactor<H> {
    pub(crate) fn new(cfg: ReactorConfig, shared: Arc<Shared<H>>) -> Result<Self, ReactorError> {
        if cfg.max_connections == 0 || cfg.max_connections > u32::MAX as usize {
            return Err(ReactorError::Config(
                "max_connections must be in 1..=u32::MAX",
            ));
        }
        if cfg.recv_buffer_bytes < 256 || cfg.recv_buffer_bytes > u32::MAX as usize {
            return Err(ReactorError::Config(
                "recv_buffer_bytes must be in 256..=u32::MAX",
            ));
        }
        if cfg.ring_entries < 4 {
            // The longest chain (cancel, shutdown or linger, close) must fit.
            return Err(ReactorError::Config("ring_entries must be at least 4"));
        }
        let ring = Ring::new(&cfg)?;
        let bufs = RecvBuffers::new(cfg.recv_buffer_bytes, cfg.max_connections, cfg.huge_pages);
        // Reserved once: slot state never moves (the kernel reads its
        // timespecs and addresses when it prepares an operation).
        let mut conns = Vec::new();
        conns
            .try_reserve_exact(cfg.max_connections)
            .map_err(|_| ReactorError::Config("max_connections: cannot reserve slot state"))?;
        let cq = ring.cq_entries();
        let wait_ts = types::Timespec::new()
            .sec(cfg.block_timeout.as_secs())
            .nsec(cfg.block_timeout.subsec_nanos());
        let mut r = Self {
            ring,
            dirty: Vec::new(),
            dirty_spare: Vec::new(),
            idle: std::collections::VecDeque::new(),
            cfg,
            shared,
            bufs,
            conns,
            free: Vec::new(),
            refused_logged_at: 0,
            refused_unlogged: 0,
            barred_logged_at: 0,
            barred_unlogged: 0,
            release_pending: false,
            released_at: 0,
            listeners: Vec::new(),
            cmds: Vec::with_capacity(64),
            cqes: Vec::with_capacity(cq),
            stats: StatsSnapshot::default(),
            stopping: false,
            turn_stamp: 0,
            wake_buf: Box::new(0),
            wake_armed: false,
            wait_ts,
            audit_countdown: 0,
        };
        // The first chunk up front: a small reactor never grows.
        r.add_slots()?;
        Ok(r)
    }

    /// A free slot, adding a chunk of slots (receive buffers, state) when
    /// all are taken and `max_connections` allows.
    pub(crate) fn take_slot(&mut self) -> Option<u32> {
        if self.free.is_empty() && self.conns.len() < self.cfg.max_connections {
            if let Err(e) = self.add_slots() {
                tracing::error!(error = %e, "cannot add connection slots");
            }
        }
        self.free.pop()
    }

    fn add_slots(&mut self) -> Result<(), ReactorError> {
        let first = self.conns.len();
        let n = CHUNK_SLOTS.min(self.cfg.max_connections - first);
        if self.bufs.slots() < first + n {
            self.bufs.grow(n)?;
        }
        // Growth happens here, per chunk, never per message.
        self.free.reserve(n);
        self.dirty.reserve(n);
        self.dirty_spare.reserve(n);
        self.idle.reserve(n);
        self.conns
            .extend((0..n).map(|_| Conn::new(self.cfg.outbound_capacity)));
        // Popped lowest first.
        self.free.extend((first..first + n).rev().map(|s| s as u32));
        self.stats.connection_slots = self.conns.len() as u64;
        self.stats.sqes_submitted = self.ring.pushed;
        self.shared.stats.publish(&self.stats);
        Ok(())
    }

    /// Runs until stopped and every connection is closed.
    pub(crate) fn run(&mut self) -> Result<(), ReactorError> {
        while !self.turn()? {}
        self.stats.sqes_submitted = self.ring.pushed;
        self.shared.stats.publish(&self.stats);
        Ok(())
    }

    /// One loop turn; true once stopped with every connection and
    /// listener closed.
    pub(crate) fn turn(&mut self) -> Result<bool, ReactorError> {
        self.stats.loop_turns += 1;
        let mut busy = self.drain_commands();
        busy |= self.run_wakes();
        // Commands may have touched connections: their SQEs go in this entry.
        self.service_dirty();
        if self.stopping
            && self.stats.open_connections == 0
            && self.listeners.iter().all(|l| l.closed)
        {
            return Ok(true);
        }
        if self.cfg.mode == Mode::Block && !self.wake_armed {
            self.arm_wake();
        }
        // Idle work pending: poll instead of sleeping until it is done.
        let mode = if self.idle.is_empty() {
            self.cfg.mode
        } else {
            Mode::Spin
        };
        if let Some(e) = self.ring.take_failure() {
            return Err(super::config::io_err("io_uring submit")(e));
        }
        self.ring
            .enter(mode, &self.wait_ts, &mut self.stats)
            .map_err(super::config::io_err("io_uring enter"))?;
        busy |= self.reap();
        self.service_dirty();
        if !busy && !self.ring.has_unsubmitted() {
            self.run_idle();
        }
        if self.release_pending {
            self.release_free_memory();
        }
        self.audit_countdown = self.audit_countdown.wrapping_sub(1);
        if self.audit_countdown == 0 || busy && cfg!(debug_assertions) {
            self.audit();
            self.audit_countdown = 4096;
        }
        if busy {
            self.stats.sqes_submitted = self.ring.pushed;
            self.shared.stats.publish(&self.stats);
        }
        Ok(false)
    }

    /// Counts open connections lacking a Recv (+ linked timeout) in flight.
    fn audit(&mut self) {
        for c in &self.conns {
            if c.phase == Phase::Open && !c.recv_pending {
                self.stats.invariant_violations += 1;
                tracing::error!("open connection without a Recv + linked timeout in flight");
            }
        }
    }

    fn arm_wake(&mut self) {
        let fd = self.shared.eventfd.as_raw_fd();
        let e = opcode::Read::new(types::Fd(fd), (&mut *self.wake_buf as *mut u64).cast(), 8)
            .build()
            .user_data(ud(Op::Wake, 0, 0, 0));
        self.ring.push(&[e]);
        self.wake_armed = true;
    }

    fn drain_commands(&mut self) -> bool {
        let mut cmds = std::mem::take(&mut self.cmds);
        self.shared.drain(&mut cmds);
        let busy = !cmds.is_empty();
        self.stats.commands += cmds.len() as u64;
        for cmd in cmds.drain(..) {
            match cmd {
                Command::Listen {
                    fd,
                    local,
                    factory,
                    spec,
                } => self.add_listener(fd, local, factory, spec),
                Command::Connect { spec, handler } => self.connect(spec, handler),
                Command::Notify(id) => {
                    let now = sys::clock();
                    if let Some(c) = self.conns.get_mut(id.slot as usize) {
                        if c.generation == id.generation && c.phase == Phase::Open {
                            if let Some(h) = c.handler.as_mut() {
                                let mut ctx = Ctx {
                                    id,
                                    out: &mut c.out,
                                    close: &mut c.close_req,
                                    wire_unsent: c.wire.len().saturating_sub(c.wire_off),
                                    stamp: 0,
                                };
                                h.on_notify(&mut ctx, now);
                            }
                            Self::mark(&mut self.dirty, c, id.slot);
                        }
                    }
                }
                Command::Unlisten(local) => self.close_listener(local),
                Command::Stop => self.begin_stop(),
            }
        }
        self.cmds = cmds;
        busy
    }

    pub(crate) fn mark(dirty: &mut Vec<u32>, c: &mut Conn<H>, slot: u32) {
        if !c.dirty {
            c.dirty = true;
            dirty.push(slot);
        }
    }

    /// Cancels a listener's accept and closes its fd (through the ring).
    fn close_listener_at(&mut self, i: usize) {
        let Some(l) = self.listeners.get_mut(i) else {
            return;
        };
        if l.closing {
            return;
        }
        l.closing = true;
        let fd = types::Fd(l.fd.as_ref().map_or(-1, AsRawFd::as_raw_fd));
        let cancel = opcode::AsyncCancel2::new(types::CancelBuilder::fd(fd).all())
            .build()
            .flags(squeue::Flags::IO_HARDLINK)
            .user_data(ud(Op::Cancel, 0, 0, u32::MAX));
        let close = opcode::Close::new(fd)
            .build()
            .user_data(ud(Op::ListenerClose, 0, 0, i as u32));
        if self.ring.push(&[cancel, close]) {
            // The ring's Close owns the number now.
            if let Some(fd) = l.fd.take() {
                let _ = fd.into_raw_fd();
            }
        }
    }

    /// Hot standby: a node that stops leading stops listening.
    fn close_listener(&mut self, local: SocketAddr) {
        let found = self
            .listeners
            .iter()
            .position(|l| l.local == local && !l.closing);
        if let Some(i) = found {
            self.close_listener_at(i);
        }
    }

    fn begin_stop(&mut self) {
        if self.stopping {
            return;
        }
        self.stopping = true;
        for i in 0..self.listeners.len() {
            self.close_listener_at(i);
        }
        let now = sys::clock();
        for slot in 0..self.conns.len() {
            let c = &mut self.conns[slot];
            if !matches!(c.phase, Phase::Open | Phase::Connecting) {
                continue;
            }
            let id = c.id(slot as u32);
            if let Some(h) = c.handler.as_mut() {
                let mut ctx = Ctx {
                    id,
                    out: &mut c.out,
                    close: &mut c.close_req,
                    wire_unsent: c.wire.len().saturating_sub(c.wire_off),
                    stamp: 0,
                };
                h.on_stop(&mut ctx, now);
            }
            Self::mark(&mut self.dirty, c, slot as u32);
        }
    }

    /// Takes every completion, then dispatches them.
    fn reap(&mut self) -> bool {
        let mut cqes = std::mem::take(&mut self.cqes);
        self.ring.reap(&mut cqes);
        let busy = !cqes.is_empty();
        if busy {
            self.turn_stamp = super::probe::stamp();
        }
        for &(user_data, res, flags) in &cqes {
            self.dispatch(user_data, res, flags);
        }
        cqes.clear();
        self.cqes = cqes;
        busy
    }

    fn dispatch(&mut self, user_data: u64, res: i32, flags: u32) {
        let Some(tag) = decode(user_data) else { return };
        match tag.op {
            Op::Wake => {
                self.wake_armed = false;
                self.stats.wakeups += 1;
            }
            Op::Accept => self.on_accept(tag.slot as usize, res, flags),
            Op::ListenerClose => {
                if let Some(l) = self.listeners.get_mut(tag.slot as usize) {
                    l.closed = true;
                }
            }
            _ if tag.slot == u32::MAX => {}
            _ => self.on_conn_cqe(tag, res, flags),
        }
    }
}

impl<H: ConnectionHandler> Reactor<H> {
    /// After outbound buffers were shrunk: asks the allocator to give free
    /// pages back to the kernel, at most once a second. glibc keeps memory
    /// freed inside its arenas resident (a shrunk buffer of a few hundred
    /// kB usually lives there); `malloc_trim` walks the arenas and releases
    /// whole free pages. Off the hot path: only after a backlog drained.
    fn release_free_memory(&mut self) {
        let now = sys::now();
        if now.saturating_sub(self.released_at) < RELEASE_EVERY_NS {
            return;
        }
        self.released_at = now;
        self.release_pending = false;
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: malloc_trim takes no pointers and only walks the
        // allocator's own free lists.
        unsafe {
            libc::malloc_trim(0);
        }
    }
}
