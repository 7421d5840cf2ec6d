//! Lock-free cross-thread sends: a bounded MPMC queue of [`FixedMessage`]s
//! per session (`crossbeam-queue`'s `ArrayQueue`, allocated once when the
//! first [`XSender`] is made), drained by the connection handler on the
//! reactor thread. The sequence number is only known there, so a send
//! returns a [`Ticket`] and the reactor publishes each outcome into a ring
//! of completions ([`XSender::status`]).
//!
//! Wake-ups: after every push the producer marks the connection in its
//! reactor's wake set ([`Remote::wake`]), which the reactor polls every
//! loop turn; there is no per-queue "already woken" flag that a dropped
//! wake could leave set. Where the session is now (connection, reactor,
//! logged on) lives in a [`Link`] that exists from the start, so a queue
//! made after the connection opened still knows where to wake.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use crossbeam_queue::ArrayQueue;

use super::conn::Conn;
use super::fixed::FixedMessage;
use super::store::RuntimeStore;
use crate::reactor::{ConnId, Remote};
use crate::session::Session;
use crate::store::UtcTimestamp;

/// Why [`XSender::try_send`] refused a message (nothing was queued).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TrySendError {
    /// The session is not logged on now.
    #[error("session is not logged on")]
    NotLoggedOn,
    /// The queue is full: the reactor has not caught up.
    #[error("send queue full")]
    QueueFull,
    /// The message outgrew its buffer (or has no MsgType).
    #[error("message too large for a queue slot")]
    TooLarge,
    /// The engine stopped: nothing will be sent any more.
    #[error("session closed")]
    SessionClosed,
}

/// A queued message: compare it with [`XSender::status`] later.
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

struct Queued {
    ticket: u64,
    msg: FixedMessage,
}

/// Where a session is now, shared by its queue and its runtime slot.
/// Allocated with the slot (small), unlike the queue, which is made when
/// the first sender is asked for: the connection may open before that.
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
}

impl Link {
    fn new() -> Self {
        Self {
            logged_on: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            remote: OnceLock::new(),
            conn: AtomicU64::new(DETACHED),
        }
    }

    /// Marks the connection in its reactor's wake set (after a push).
    /// Detached: nothing to wake; what was queued is failed by the next
    /// attach or the close.
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
}

/// Keeps a field written by one side off the lines the other side reads
/// (two lines: the adjacent-line prefetcher pulls pairs).
#[repr(align(128))]
struct Padded<T>(T);

/// The queue of one session, shared by its senders and its handler.
pub(crate) struct XQueue {
    link: Arc<Link>,
    queue: ArrayQueue<Queued>,
    /// Only producers write it: the reactor never pulls its line away.
    next_ticket: Padded<AtomicU64>,
    /// `ticket (low 32 bits) << 32 | seq (low 32 bits, 0 = failed)`.
    done: Box<[AtomicU64]>,
    mask: u64,
    /// A push failed; cleared by the next drain.
    full: AtomicBool,
    /// The last drain stopped at its limit. Only the reactor touches it:
    /// off the line producers read on every send.
    more: Padded<AtomicBool>,
}

impl XQueue {
    fn new(capacity: usize, link: Arc<Link>) -> Self {
        let capacity = capacity.max(1);
        let ring = capacity.saturating_mul(4).next_power_of_two();
        Self {
            link,
            queue: ArrayQueue::new(capacity),
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

    /// Fails everything queued (no connection will send it).
    fn fail_all(&self) {
        while let Some(m) = self.queue.pop() {
            self.complete(m.ticket, None);
        }
        self.full.store(false, Ordering::SeqCst);
    }
}

/// The per-session hook the runtime owns; the queue is made on demand.
pub(crate) struct XSlot {
    link: Arc<Link>,
    queue: OnceLock<Arc<XQueue>>,
}

impl Default for XSlot {
    fn default() -> Self {
        Self {
            link: Arc::new(Link::new()),
            queue: OnceLock::new(),
        }
    }
}

impl XSlot {
    /// Wakes the session's current connection (if any) from any thread:
    /// its `on_notify` runs in the reactor's next turn (hot standby: held
    /// output may go).
    pub fn waker(&self) -> Box<dyn Fn() + Send + Sync> {
        let link = Arc::clone(&self.link);
        Box::new(move || link.wake())
    }

    /// The queue, made with `capacity` slots by the first caller.
    pub fn sender(&self, capacity: usize) -> XSender {
        let q = self
            .queue
            .get_or_init(|| Arc::new(XQueue::new(capacity, Arc::clone(&self.link))));
        XSender { q: Arc::clone(q) }
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
    /// limit. `send(msg)` returns the MsgSeqNum or `None`.
    ///
    /// A spinning reactor sends the first message of a wake alone: looking
    /// for a next one reads the producers' tail (a line they just wrote)
    /// before this turn's send is submitted, so that look waits for the
    /// next turn. A blocking reactor drains at once (waking itself would
    /// cost it an eventfd write).
    pub fn drain(&self, mut send: impl FnMut(&FixedMessage) -> Option<u64>) -> usize {
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
            let seq = send(&m.msg);
            q.complete(m.ticket, seq);
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
/// (if any) with `now`.
pub(crate) fn drain_into(
    slot: &XSlot,
    session: &mut Session<RuntimeStore>,
    now: UtcTimestamp,
    out: &mut Vec<u8>,
) {
    let digits = session.settings().timestamp_precision;
    slot.drain(|m| {
        let sent = session.send(
            m.msg_type(),
            &[],
            |w| {
                w.encoder().raw(m.body());
                if let Some(tag) = m.stamp() {
                    w.field_time(tag, now.as_nanos(), digits);
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

/// Sends application messages to one session from any thread; cloneable.
/// Lock-free: a slot copy into a bounded queue and a mark in the reactor's
/// wake set, which the reactor polls every loop turn.
#[derive(Clone)]
pub struct XSender {
    q: Arc<XQueue>,
}

impl XSender {
    /// Whether the session is logged on now.
    pub fn is_logged_on(&self) -> bool {
        self.q.link.logged_on.load(Ordering::Acquire)
    }

    /// Messages waiting for the reactor.
    pub fn queued(&self) -> usize {
        self.q.queue.len()
    }

    /// The queue's capacity in messages.
    pub fn capacity(&self) -> usize {
        self.q.queue.capacity()
    }

    /// Queues `msg` (copied into a slot) and wakes the session's reactor.
    /// Never blocks. The session writes the header and MsgSeqNum when the
    /// reactor sends it, in its next loop turn.
    pub fn try_send(&self, msg: &FixedMessage) -> Result<Ticket, TrySendError> {
        if self.q.link.closed.load(Ordering::Acquire) {
            return Err(TrySendError::SessionClosed);
        }
        if msg.overflowed() {
            return Err(TrySendError::TooLarge);
        }
        if !self.is_logged_on() {
            return Err(TrySendError::NotLoggedOn);
        }
        // Once a push failed, refuse without taking a ticket until the
        // reactor drained: retries burn no tickets, and the flag's cache
        // line is only written around a full queue (not read from the
        // consumer's side on every send, as `is_full` would).
        if self.q.full.load(Ordering::Acquire) {
            return Err(TrySendError::QueueFull);
        }
        let ticket = self.q.next_ticket.0.fetch_add(1, Ordering::Relaxed);
        let queued = Queued {
            ticket,
            msg: msg.clone(),
        };
        let pushed = self.q.queue.push(queued).is_ok();
        if !pushed {
            self.q.full.store(true, Ordering::SeqCst);
        }
        // A wake also after a failed push: the drain clears `full`.
        self.q.link.wake();
        if pushed {
            Ok(Ticket(ticket))
        } else {
            Err(TrySendError::QueueFull)
        }
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

    /// Refuses every later send with [`TrySendError::SessionClosed`] (the
    /// engine calls this when it ends).
    pub fn close(&self) {
        self.q.link.closed.store(true, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tickets_complete_in_order_and_expire() {
        let slot = XSlot::default();
        let tx = slot.sender(2);
        let m = FixedMessage::new(b"D");
        assert_eq!(tx.try_send(&m), Err(TrySendError::NotLoggedOn));
        slot.set_logged_on(true);
        let a = tx.try_send(&m).unwrap();
        let b = tx.try_send(&m).unwrap();
        assert_eq!(tx.try_send(&m), Err(TrySendError::QueueFull));
        // Retries while full take no ticket (one was burned by the failed push).
        assert_eq!(tx.try_send(&m), Err(TrySendError::QueueFull));
        assert_eq!(tx.status(a), TicketStatus::Pending);
        let mut seq = 10;
        assert_eq!(
            slot.drain(|_| {
                seq += 1;
                Some(seq)
            }),
            2
        );
        assert_eq!(tx.status(a), TicketStatus::Sent(11));
        assert_eq!(tx.status(b), TicketStatus::Sent(12));
        let c = tx.try_send(&m).unwrap();
        assert_eq!(c, Ticket(b.0 + 2));
        slot.drain(|_| Some(13));
        // The ring holds 8 completions: ticket a's slot is reused by a+8.
        for _ in 0..6 {
            tx.try_send(&m).unwrap();
            slot.drain(|_| None);
        }
        assert_eq!(tx.status(a), TicketStatus::Expired);
        let mut big = FixedMessage::new(b"D");
        big.field(58, &[b'x'; super::super::fixed::MAX_BODY_LEN]);
        assert_eq!(tx.try_send(&big), Err(TrySendError::TooLarge));
        tx.close();
        assert_eq!(tx.try_send(&m), Err(TrySendError::SessionClosed));
    }

    /// The lost wake-up of issue 15, deterministically: the connection
    /// opened (attach) before the first sender made the queue, which then
    /// never learnt its connection and dropped every wake.
    #[test]
    fn queue_made_after_attach_wakes_its_connection() {
        let remote = Remote::<Conn>::unstarted(16);
        let slot = XSlot::default();
        slot.attach(
            &remote,
            ConnId {
                slot: 5,
                generation: 3,
            },
        );
        slot.set_logged_on(true);
        let tx = slot.sender(2);
        let m = FixedMessage::new(b"D");
        tx.try_send(&m).unwrap();
        assert_eq!(remote.take_wakes(), vec![5]);
        // The reactor took the mark but did not drain (say the connection
        // was closing): the next push marks again, nothing stays "woken".
        tx.try_send(&m).unwrap();
        assert_eq!(remote.take_wakes(), vec![5]);
        // Full: the failed push wakes too (its drain clears `full`).
        assert_eq!(tx.try_send(&m), Err(TrySendError::QueueFull));
        assert_eq!(remote.take_wakes(), vec![5]);
        // A spinning reactor sends the first of a wake alone, then wakes
        // itself for the rest.
        assert_eq!(slot.drain(|_| Some(7)), 1);
        assert_eq!(remote.take_wakes(), vec![5]);
        assert_eq!(slot.drain(|_| Some(8)), 1);
        assert!(remote.take_wakes().is_empty(), "nothing left: no self-wake");
        tx.try_send(&m).unwrap();
        assert_eq!(remote.take_wakes(), vec![5]);
        // Detached: refused; what raced the disconnect is failed.
        slot.detach();
        assert_eq!(tx.try_send(&m), Err(TrySendError::NotLoggedOn));
        assert!(remote.take_wakes().is_empty());
        assert_eq!(tx.queued(), 0);
    }

    #[test]
    fn drain_of_a_full_turn_wakes_itself_for_the_rest() {
        let remote = Remote::<Conn>::unstarted(4);
        let slot = XSlot::default();
        slot.attach(
            &remote,
            ConnId {
                slot: 1,
                generation: 0,
            },
        );
        slot.set_logged_on(true);
        let tx = slot.sender(2);
        let m = FixedMessage::new(b"D");
        tx.try_send(&m).unwrap();
        tx.try_send(&m).unwrap();
        remote.take_wakes();
        // First of the wake alone (spinning reactor), woken for the rest.
        assert_eq!(slot.drain(|_| Some(1)), 1);
        assert_eq!(remote.take_wakes(), vec![1]);
        tx.try_send(&m).unwrap();
        remote.take_wakes();
        // Then up to a queue's worth; stopped there: woken again.
        assert_eq!(slot.drain(|_| Some(1)), 2);
        assert_eq!(remote.take_wakes(), vec![1]);
        assert_eq!(slot.drain(|_| Some(1)), 0);
        assert!(remote.take_wakes().is_empty());
    }

    #[test]
    fn close_fails_queued_messages() {
        let slot = XSlot::default();
        let tx = slot.sender(4);
        slot.set_logged_on(true);
        let t = tx.try_send(&FixedMessage::new(b"D")).unwrap();
        slot.close();
        assert_eq!(tx.status(t), TicketStatus::Failed);
        assert_eq!(
            tx.try_send(&FixedMessage::new(b"D")),
            Err(TrySendError::SessionClosed)
        );
    }

    #[test]
    fn detach_fails_queued_messages() {
        let slot = XSlot::default();
        let tx = slot.sender(8);
        slot.set_logged_on(true);
        let t = tx.try_send(&FixedMessage::new(b"D")).unwrap();
        slot.detach();
        assert_eq!(tx.status(t), TicketStatus::Failed);
        assert!(!tx.is_logged_on());
        assert_eq!(tx.queued(), 0);
    }

    #[test]
    fn many_producers_every_message_drained_once() {
        let slot = Arc::new(XSlot::default());
        let tx = slot.sender(64);
        slot.set_logged_on(true);
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let tx = tx.clone();
                std::thread::spawn(move || {
                    let m = FixedMessage::new(b"D");
                    let mut sent = 0;
                    while sent < 1000 {
                        if tx.try_send(&m).is_ok() {
                            sent += 1;
                        }
                    }
                })
            })
            .collect();
        let mut total = 0;
        while threads.iter().any(|t| !t.is_finished()) || tx.queued() > 0 {
            total += slot.drain(|_| Some(1));
        }
        for t in threads {
            t.join().unwrap();
        }
        total += slot.drain(|_| Some(1));
        assert_eq!(total, 4000);
    }
}
