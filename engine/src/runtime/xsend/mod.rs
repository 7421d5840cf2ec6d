//! Sending from other threads, lock-free: the one cross-thread send path.
//!
//! An [`SessionSender`] (one per producer thread, cloneable) encodes a message
//! body into its own scratch buffer (typed: [`SessionSender::start`] /
//! [`SessionSender::try_start`] hand a generated builder an [`SenderDraft`];
//! untyped: [`SessionSender::send`] / [`SessionSender::try_send`] with a field-writing
//! closure), copies it into a buffer from the session's pool and pushes it
//! on a bounded MPMC queue (`crossbeam-queue`'s `ArrayQueue`). The
//! connection handler drains the queue on the reactor thread and sends each
//! body through the session (header, MsgSeqNum, store as every send), then
//! gives the buffer back to the pool: no allocation in steady state, no
//! size cap. The sequence number is only known there, so a send returns a
//! [`Ticket`]; the reactor publishes each outcome into a ring of
//! completions ([`SessionSender::status`], [`SessionSender::wait`]).
//!
//! Wake-ups: after every push the producer marks the connection in its
//! reactor's wake set ([`Remote::wake`]), which the reactor polls every
//! loop turn. Where the session is now (connection, reactor, logged on)
//! lives in a [`Link`] that exists from the start, so a queue made after
//! the connection opened still knows where to wake.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use crossbeam_queue::ArrayQueue;
use ringfix_codec::typed::{Build, Draft};
use ringfix_codec::{tags, Encoder, Tag};

use super::conn::Conn;
use super::store::RuntimeStore;
use crate::reactor::{ConnId, Remote};
use crate::session::{FieldWriter, Session, Version};
use crate::time::Now;

/// Why a cross-thread send was refused (nothing was queued).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TrySendError {
    /// The session is not logged on now.
    #[error("session is not logged on")]
    NotLoggedOn,
    /// The queue is full: the reactor has not caught up (`try_` sends only).
    #[error("send queue full")]
    QueueFull,
    /// The message has no MsgType.
    #[error("message without MsgType")]
    NoMsgType,
    /// The message's FIX version is not the session's (a FIXT.1.1 session
    /// takes the FIX.5.0 versions).
    #[error("a {message:?} message cannot be sent on a {session:?} session")]
    VersionMismatch {
        /// The version of the message type.
        message: Version,
        /// The session's version.
        session: Version,
    },
    /// The engine stopped: nothing will be sent any more.
    #[error("session closed")]
    SessionClosed,
}

/// A queued message: compare it with [`SessionSender::status`] later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Ticket(pub u64);

/// What became of a [`Ticket`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TicketStatus {
    /// Still queued (or its outcome was not published yet).
    Pending,
    /// Sent with this MsgSeqNum (stored first, as every send).
    Sent(u64),
    /// Not sent: the session logged out or disconnected first, or its
    /// store failed.
    Failed,
    /// Too old: its completion slot was reused by a later ticket.
    Expired,
}

const FAILED: u64 = 0;
/// [`Link::conn`] while no connection is attached.
const DETACHED: u64 = u64::MAX;
/// Pool slots beyond twice the queue's capacity (producers in flight).
const POOL_SPARE: usize = 64;
/// Pooled buffers larger than this are not kept (a burst of big messages
/// does not pin its memory).
const POOL_KEEP_BYTES: usize = 64 << 10;

/// One message on the queue: `buf` holds the MsgType, then the body.
pub(crate) struct Queued {
    ticket: u64,
    buf: Vec<u8>,
    type_len: usize,
    /// ApplVerID (1128) for the header (FIXT.1.1, not the default).
    appl_ver: Option<&'static [u8]>,
    /// Tag to stamp with the send time (TransactTime), if any.
    stamp: Option<Tag>,
}

impl Queued {
    /// MsgType and body fields.
    pub(crate) fn parts(&self) -> (&[u8], &[u8]) {
        self.buf.split_at(self.type_len.min(self.buf.len()))
    }
}

/// Where a session is now, shared by its queue and its runtime slot.
/// Producers read it on every send: aligned, so that no unrelated heap
/// object the reactor writes shares its line.
#[repr(align(128))]
struct Link {
    logged_on: AtomicBool,
    closed: AtomicBool,
    /// The session's reactor (a session always runs on the same one).
    remote: OnceLock<Remote<Conn>>,
    /// The connection's `ConnId::as_u64`, [`DETACHED`] when none.
    conn: AtomicU64,
    /// The session's version and DefaultApplVerID (checked by typed sends).
    version: Version,
    default_appl_ver: Option<&'static [u8]>,
}

impl Link {
    /// Marks the connection in its reactor's wake set (after a push).
    fn wake(&self) {
        let id = self.conn.load(Ordering::Acquire);
        if id == DETACHED {
            return;
        }
        if let Some(remote) = self.remote.get() {
            remote.wake(ConnId {
                slot: id as u32,
                generation: (id >> 32) as u16,
            });
        }
    }

    /// The ApplVerID a message of `version` carries, or why it cannot go.
    fn check(&self, version: Version) -> Result<Option<&'static [u8]>, TrySendError> {
        let mismatch = TrySendError::VersionMismatch {
            message: version,
            session: self.version,
        };
        match self.version {
            Version::Fixt11 => match version {
                Version::Fix50 | Version::Fix50Sp1 | Version::Fix50Sp2 => {
                    let code = version.appl_ver_id();
                    Ok(code.filter(|c| Some(*c) != self.default_appl_ver))
                }
                _ => Err(mismatch),
            },
            v if v == version => Ok(None),
            _ => Err(mismatch),
        }
    }
}

/// Keeps a field written by one side off the lines the other side reads
/// (two lines: the adjacent-line prefetcher pulls pairs).
#[repr(align(128))]
struct Padded<T>(T);

/// The queue of one session, shared by its senders and its handler.
pub(crate) struct XQueue {
    link: Arc<Link>,
    queue: ArrayQueue<Queued>,
    /// Emptied buffers, given back by the reactor.
    pool: ArrayQueue<Vec<u8>>,
    /// Only producers write it: the reactor never pulls its line away.
    next_ticket: Padded<AtomicU64>,
    /// `ticket (low 32 bits) << 32 | seq (low 32 bits, 0 = failed)`.
    done: Box<[AtomicU64]>,
    mask: u64,
    /// A push failed; cleared by the next drain.
    full: AtomicBool,
    /// The last drain stopped at its limit. Only the reactor touches it.
    more: Padded<AtomicBool>,
}

impl XQueue {
    fn new(capacity: usize, link: Arc<Link>) -> Self {
        let capacity = capacity.max(1);
        let ring = capacity.saturating_mul(4).next_power_of_two();
        Self {
            link,
            queue: ArrayQueue::new(capacity),
            // Buffers live in the queue, in the reactor's hand while it
            // sends and in producers' hands: room for all of them, so none
            // is dropped and made again.
            pool: ArrayQueue::new(capacity.saturating_mul(2).saturating_add(POOL_SPARE)),
            // Ticket 0 would collide with an empty completion slot.
            next_ticket: Padded(AtomicU64::new(1)),
            done: (0..ring).map(|_| AtomicU64::new(0)).collect(),
            mask: ring as u64 - 1,
            full: AtomicBool::new(false),
            more: Padded(AtomicBool::new(false)),
        }
    }

    fn complete(&self, ticket: u64, seq: Option<u64>) {
        let word = (ticket << 32) | (seq.unwrap_or(FAILED) & 0xffff_ffff);
        if let Some(slot) = self.done.get((ticket & self.mask) as usize) {
            slot.store(word, Ordering::Release);
        }
    }

    /// A buffer back to the pool (emptied; a big one is dropped).
    fn recycle(&self, mut buf: Vec<u8>) {
        if buf.capacity() <= POOL_KEEP_BYTES {
            buf.clear();
            let _ = self.pool.push(buf);
        }
    }

    /// Fails everything queued (no connection will send it).
    fn fail_all(&self) {
        while let Some(m) = self.queue.pop() {
            self.complete(m.ticket, None);
            self.recycle(m.buf);
        }
        self.full.store(false, Ordering::SeqCst);
    }

    /// Why nothing can be queued now, if so.
    fn refusal(&self) -> Option<TrySendError> {
        if self.link.closed.load(Ordering::Acquire) {
            return Some(TrySendError::SessionClosed);
        }
        if !self.link.logged_on.load(Ordering::Acquire) {
            return Some(TrySendError::NotLoggedOn);
        }
        None
    }

    /// Queues `msg_type` + `body` (copied into a pooled buffer). `wait`:
    /// until there is room (or the session cannot send any more).
    fn push(&self, out: Out<'_>, wait: bool) -> Result<Ticket, TrySendError> {
        if out.msg_type.is_empty() {
            return Err(TrySendError::NoMsgType);
        }
        // A `try_` send to a queue known to be full takes no buffer.
        if !wait && self.full.load(Ordering::Acquire) {
            return Err(self.refusal().unwrap_or(TrySendError::QueueFull));
        }
        let mut buf = self.pool.pop().unwrap_or_default();
        buf.extend_from_slice(out.msg_type);
        buf.extend_from_slice(out.body);
        let mut item = Queued {
            ticket: 0,
            buf,
            type_len: out.msg_type.len(),
            appl_ver: out.appl_ver,
            stamp: out.stamp,
        };
        let mut waited = Backoff::new();
        loop {
            // Checked on every try: a session that went away while we
            // waited (its queue failed and emptied) takes nothing more.
            if let Some(e) = self.refusal() {
                self.recycle(item.buf);
                return Err(e);
            }
            // Once a push failed, refuse without taking a ticket until the
            // reactor drained: retries burn no tickets, and the flag's
            // cache line is only written around a full queue.
            if !self.full.load(Ordering::Acquire) {
                let ticket = self.next_ticket.0.fetch_add(1, Ordering::Relaxed);
                item.ticket = ticket;
                match self.queue.push(item) {
                    Ok(()) => {
                        self.link.wake();
                        return Ok(Ticket(ticket));
                    }
                    Err(back) => {
                        item = back;
                        self.full.store(true, Ordering::SeqCst);
                        // A wake also after a failed push: the drain clears `full`.
                        self.link.wake();
                    }
                }
            }
            if !wait {
                self.recycle(item.buf);
                return Err(TrySendError::QueueFull);
            }
            waited.pause();
        }
    }
}

/// What one send hands the queue.
struct Out<'a> {
    msg_type: &'a [u8],
    body: &'a [u8],
    appl_ver: Option<&'static [u8]>,
    stamp: Option<Tag>,
}

/// Waiting for room: spin briefly, then yield, then sleep (a full queue
/// means the reactor is behind: give it the CPU).
struct Backoff(u32);

impl Backoff {
    fn new() -> Self {
        Self(0)
    }

    fn pause(&mut self) {
        self.0 = self.0.saturating_add(1);
        match self.0 {
            0..=64 => std::hint::spin_loop(),
            65..=128 => std::thread::yield_now(),
            _ => std::thread::sleep(Duration::from_micros(50)),
        }
    }
}

/// The per-session hook the runtime owns; the queue is made on demand.
pub(crate) struct XSlot {
    link: Arc<Link>,
    queue: OnceLock<Arc<XQueue>>,
}

impl XSlot {
    /// Wakes the session's current connection (if any) from any thread:
    /// its `on_notify` runs in the reactor's next turn (hot standby: held
    /// output may go).
    pub fn waker(&self) -> Box<dyn Fn() + Send + Sync> {
        let link = Arc::clone(&self.link);
        Box::new(move || link.wake())
    }

    /// The hook of a session of `version` (DefaultApplVerID `default_appl_ver`).
    pub fn new(version: Version, default_appl_ver: Option<Version>) -> Self {
        Self {
            link: Arc::new(Link {
                logged_on: AtomicBool::new(false),
                closed: AtomicBool::new(false),
                remote: OnceLock::new(),
                conn: AtomicU64::new(DETACHED),
                version,
                default_appl_ver: default_appl_ver.and_then(Version::appl_ver_id),
            }),
            queue: OnceLock::new(),
        }
    }

    /// The queue, made with `capacity` slots by the first caller.
    pub fn sender(&self, capacity: usize) -> SessionSender {
        let q = self
            .queue
            .get_or_init(|| Arc::new(XQueue::new(capacity, Arc::clone(&self.link))));
        SessionSender {
            q: Arc::clone(q),
            scratch: Vec::new(),
            stamp: None,
        }
    }

    /// The session is on connection `id` of `remote`'s reactor. A message
    /// that raced the last disconnect is failed, not sent on the new one.
    pub fn attach(&self, remote: &Remote<Conn>, id: ConnId) {
        let _ = self.link.remote.set(remote.clone());
        if let Some(q) = self.queue.get() {
            q.fail_all();
        }
        self.link.conn.store(id.as_u64(), Ordering::Release);
    }

    /// The engine ended: refuse every later send, fail what is queued.
    pub fn close(&self) {
        self.link.closed.store(true, Ordering::Release);
        self.link.logged_on.store(false, Ordering::Release);
        if let Some(q) = self.queue.get() {
            q.fail_all();
        }
    }

    /// The session is logged on (or not) now.
    pub fn set_logged_on(&self, on: bool) {
        self.link.logged_on.store(on, Ordering::Release);
    }

    /// The connection is gone: refuse sends, fail what is queued.
    pub fn detach(&self) {
        self.link.logged_on.store(false, Ordering::Release);
        self.link.conn.store(DETACHED, Ordering::Release);
        if let Some(q) = self.queue.get() {
            q.fail_all();
        }
    }

    /// Sends what is queued through `send` (on the reactor thread), at
    /// most one queue's worth; wakes itself again if it stopped at its
    /// limit. `send(msg)` returns the MsgSeqNum or `None`; the buffer goes
    /// back to the pool.
    ///
    /// A spinning reactor sends the first message of a wake alone: looking
    /// for a next one reads the producers' tail (a line they just wrote)
    /// before this turn's send is submitted, so that look waits for the
    /// next turn. A blocking reactor drains at once (waking itself would
    /// cost it an eventfd write).
    pub fn drain(&self, mut send: impl FnMut(&Queued) -> Option<u64>) -> usize {
        let Some(q) = self.queue.get() else {
            return 0;
        };
        let spins = self.link.remote.get().is_some_and(Remote::spins);
        let limit = if spins && !q.more.0.load(Ordering::Relaxed) {
            1
        } else {
            q.queue.capacity()
        };
        let mut n = 0;
        while n < limit {
            let Some(m) = q.queue.pop() else {
                break;
            };
            let seq = send(&m);
            q.complete(m.ticket, seq);
            q.recycle(m.buf);
            n += 1;
        }
        if q.full.load(Ordering::Acquire) {
            q.full.store(false, Ordering::SeqCst);
        }
        let more = n == limit;
        q.more.0.store(more, Ordering::Relaxed);
        if more {
            self.link.wake();
        }
        n
    }
}

/// Sends the queued messages of `slot` through `session` (reactor thread):
/// header and MsgSeqNum by the session, the body as encoded, the stamp tag
/// (if any) with the send time.
pub(crate) fn drain_into(
    slot: &XSlot,
    session: &mut Session<RuntimeStore>,
    now: Now,
    out: &mut Vec<u8>,
) {
    let digits = session.settings().timestamp_precision;
    slot.drain(|m| {
        let (msg_type, body) = m.parts();
        let header = m.appl_ver.map(|v| [(tags::APPL_VER_ID, v)]);
        let header = header.as_ref().map_or(&[][..], |h| h.as_slice());
        let sent = session.send(
            msg_type,
            header,
            |w| {
                w.encoder().raw(body);
                if let Some(tag) = m.stamp {
                    w.field_time(tag, now.wall.as_nanos(), digits);
                }
            },
            now,
            out,
        );
        match sent {
            Ok(seq) => Some(seq),
            Err(e) => {
                tracing::warn!(error = %e, "queued message not sent");
                None
            }
        }
    });
}

/// Sends application messages to one session from any other thread: the
/// message goes through a lock-free bounded queue and a lock-free mark the
/// session's reactor polls every loop turn, so it is sent in the reactor's
/// next turn. Each clone has its own scratch buffer (take one per producer
/// thread); the queue, its buffer pool and the tickets are shared.
///
/// The MsgSeqNum is assigned on the reactor thread, so a send returns a
/// [`Ticket`] at once and [`status`](Self::status) tells later whether it
/// went out and with which sequence number. Nothing is queued across a
/// reconnect: a send while the session is not logged on is refused.
pub struct SessionSender {
    q: Arc<XQueue>,
    scratch: Vec<u8>,
    stamp: Option<Tag>,
}

impl Clone for SessionSender {
    fn clone(&self) -> Self {
        Self {
            q: Arc::clone(&self.q),
            scratch: Vec::new(),
            stamp: self.stamp,
        }
    }
}

impl SessionSender {
    /// Whether the session is logged on now.
    pub fn is_logged_on(&self) -> bool {
        self.q.link.logged_on.load(Ordering::Acquire)
    }

    /// Polls (1 ms sleeps) until the session is logged on or `timeout`
    /// passes; returns whether it is logged on.
    pub fn wait_logged_on(&self, timeout: Duration) -> bool {
        let end = Instant::now() + timeout;
        while !self.is_logged_on() {
            if Instant::now() >= end {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        true
    }

    /// Messages waiting for the reactor.
    pub fn queued(&self) -> usize {
        self.q.queue.len()
    }

    /// The queue's capacity in messages.
    pub fn capacity(&self) -> usize {
        self.q.queue.capacity()
    }

    /// Has the reactor append `tag` (e.g. TransactTime 60) with the time it
    /// sends each later message of this sender, at the session's precision
    /// (`None`: no stamp).
    pub fn stamp_send_time(&mut self, tag: Option<Tag>) -> &mut Self {
        self.stamp = tag;
        self
    }

    /// Starts a typed message `M` (e.g. `fix44::NewOrderSingle`); its
    /// builder's `send()` waits for room in the queue and returns the
    /// [`Ticket`]. Refused at once unless logged on and `M`'s version is
    /// the session's.
    pub fn start<M: Build>(&mut self) -> Result<M::Empty<'_, SenderDraft<'_>>, TrySendError> {
        self.draft::<M>(true)
    }

    /// As [`start`](Self::start); the builder's `send()` never waits
    /// ([`TrySendError::QueueFull`]).
    pub fn try_start<M: Build>(&mut self) -> Result<M::Empty<'_, SenderDraft<'_>>, TrySendError> {
        self.draft::<M>(false)
    }

    fn draft<M: Build>(
        &mut self,
        wait: bool,
    ) -> Result<M::Empty<'_, SenderDraft<'_>>, TrySendError> {
        let appl_ver = self.q.link.check(M::VERSION)?;
        if let Some(e) = self.q.refusal() {
            return Err(e);
        }
        self.scratch.clear();
        Ok(M::empty(SenderDraft {
            enc: Encoder::body(&mut self.scratch),
            q: &self.q,
            msg_type: M::MSG_TYPE,
            appl_ver,
            stamp: self.stamp,
            wait,
        }))
    }

    /// Queues a message of `msg_type` whose body `body` writes, waiting for
    /// room in the queue; the session writes the header and MsgSeqNum when
    /// the reactor sends it, in its next loop turn.
    pub fn send(
        &mut self,
        msg_type: &[u8],
        body: impl FnOnce(&mut FieldWriter<'_>),
    ) -> Result<Ticket, TrySendError> {
        self.send_untyped(msg_type, body, true)
    }

    /// As [`send`](Self::send), never waiting: [`TrySendError::QueueFull`]
    /// when the reactor has not caught up.
    pub fn try_send(
        &mut self,
        msg_type: &[u8],
        body: impl FnOnce(&mut FieldWriter<'_>),
    ) -> Result<Ticket, TrySendError> {
        self.send_untyped(msg_type, body, false)
    }

    fn send_untyped(
        &mut self,
        msg_type: &[u8],
        body: impl FnOnce(&mut FieldWriter<'_>),
        wait: bool,
    ) -> Result<Ticket, TrySendError> {
        if let Some(e) = self.q.refusal() {
            return Err(e);
        }
        self.scratch.clear();
        let mut w = FieldWriter::body(&mut self.scratch);
        body(&mut w);
        drop(w);
        let out = Out {
            msg_type,
            body: &self.scratch,
            appl_ver: None,
            stamp: self.stamp,
        };
        self.q.push(out, wait)
    }

    /// What became of `ticket` (lock-free). Outcomes are kept in a ring of
    /// four times the capacity (rounded up to a power of two): a ticket
    /// that many tickets old may read [`TicketStatus::Expired`].
    pub fn status(&self, ticket: Ticket) -> TicketStatus {
        let Some(slot) = self.q.done.get((ticket.0 & self.q.mask) as usize) else {
            return TicketStatus::Expired;
        };
        let word = slot.load(Ordering::Acquire);
        let have = word >> 32;
        let want = ticket.0 & 0xffff_ffff;
        if have == want {
            return match word & 0xffff_ffff {
                FAILED => TicketStatus::Failed,
                seq => TicketStatus::Sent(seq),
            };
        }
        // A later ticket in the same slot means ours is gone.
        if have != 0 && have.wrapping_sub(want) & 0xffff_ffff < 0x8000_0000 {
            return TicketStatus::Expired;
        }
        TicketStatus::Pending
    }

    /// Waits (at most `timeout`) until `ticket` is no longer pending.
    pub fn wait(&self, ticket: Ticket, timeout: Duration) -> TicketStatus {
        let end = Instant::now() + timeout;
        let mut backoff = Backoff::new();
        loop {
            let s = self.status(ticket);
            if s != TicketStatus::Pending || Instant::now() >= end {
                return s;
            }
            backoff.pause();
        }
    }

    /// Refuses every later send with [`TrySendError::SessionClosed`] (the
    /// engine calls this when it ends).
    pub fn close(&self) {
        self.q.link.closed.store(true, Ordering::Release);
    }
}

/// A typed message being written on another thread: its body goes into
/// the sender's scratch buffer; [`Draft::send`] queues it.
pub struct SenderDraft<'d> {
    enc: Encoder<'d>,
    q: &'d XQueue,
    msg_type: &'static [u8],
    appl_ver: Option<&'static [u8]>,
    stamp: Option<Tag>,
    wait: bool,
}

impl<'d> Draft<'d> for SenderDraft<'d> {
    type Sent = Result<Ticket, TrySendError>;

    fn encoder(&mut self) -> &mut Encoder<'d> {
        &mut self.enc
    }

    fn send(self) -> Result<Ticket, TrySendError> {
        let out = Out {
            msg_type: self.msg_type,
            body: self.enc.written(),
            appl_ver: self.appl_ver,
            stamp: self.stamp,
        };
        self.q.push(out, self.wait)
    }
}

#[cfg(test)]
mod tests;
