//! State shared between the reactor (through [`ReplicatedStore`] and the
//! runtime), the elector and the replication threads: atomics only, so a
//! reactor reads it without locks or syscalls.
//!
//! [`ReplicatedStore`]: super::ReplicatedStore

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::*};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::Thread;

use crossbeam_queue::ArrayQueue;

use super::clock;
use super::wire::RecordKind;
use crate::config::HaReplication;
use crate::store::StoreFiles;

/// Each session's leader as last seen in etcd: node name and token.
pub(crate) type Leaders = std::sync::Arc<Mutex<Vec<Option<(String, u64)>>>>;

/// Most replication peers a node streams to.
pub const MAX_PEERS: usize = 8;

/// Records queued for one peer before it counts as overflowed (and is
/// resynchronised from the journal).
pub const FEED_CAPACITY: usize = 1 << 16;

/// One record on its way from a leader's store to a peer's stream.
#[derive(Debug)]
pub struct Record {
    /// Session index (the leader's config order).
    pub sid: u32,
    /// What it is.
    pub kind: RecordKind,
    /// Fencing token of the leader that wrote it.
    pub token: u64,
    /// Record id (per session, from 1).
    pub rid: u64,
    /// Bytes of records up to this one.
    pub cum: u64,
    /// Sequence number, or creation time for a reset.
    pub value: u64,
    /// Message bytes (appends only); recycled through the feed.
    pub bytes: Vec<u8>,
}

/// The queue of records for one peer, filled by the reactors and drained
/// by that peer's thread. Message buffers go back through `free`, so the
/// steady state allocates nothing.
pub struct Feed {
    pub(crate) queue: ArrayQueue<Record>,
    pub(crate) free: ArrayQueue<Vec<u8>>,
    /// A push found the queue full: the peer must resynchronise.
    pub(crate) overflow: AtomicBool,
    /// The peer thread, unparked after each push.
    pub(crate) thread: OnceLock<Thread>,
}

impl Feed {
    pub(crate) fn new() -> Self {
        Self {
            queue: ArrayQueue::new(FEED_CAPACITY),
            free: ArrayQueue::new(1024),
            overflow: AtomicBool::new(false),
            thread: OnceLock::new(),
        }
    }

    fn wake(&self) {
        if let Some(t) = self.thread.get() {
            t.unpark();
        }
    }
}

/// One peer as seen by one session.
#[derive(Default)]
pub struct PeerState {
    /// The peer's stream takes this session's live records (set by the
    /// peer thread before it reads the journal for catch-up).
    pub(crate) live: AtomicBool,
    /// Highest record id the peer acknowledged.
    pub(crate) acked_rid: AtomicU64,
    /// Bytes acknowledged.
    pub(crate) acked_bytes: AtomicU64,
    /// Counts for the send gate and may take over (mirrors the in-sync
    /// set in etcd: set before adding there, cleared after removing).
    pub(crate) in_sync: AtomicBool,
    /// The current stream acknowledged something (catch-up is done).
    pub(crate) synced: AtomicBool,
}

impl PeerState {
    /// Forgets what the peer acknowledged (a new stream or a new term).
    pub(crate) fn reset(&self) {
        self.synced.store(false, SeqCst);
        self.acked_rid.store(0, SeqCst);
        self.acked_bytes.store(0, SeqCst);
    }
}

/// Node-wide leadership state.
pub struct NodeState {
    /// CLOCK_BOOTTIME ns until which this node may act as leader: the
    /// last successful keepalive's send time + TTL - safety margin; 0
    /// without a lease.
    pub(crate) deadline: AtomicU64,
    /// Peers' node names, by `HaPeers` index, once they said it.
    pub(crate) peer_names: Mutex<Vec<Option<String>>>,
    /// One feed per `HaPeers` entry.
    pub(crate) feeds: Vec<Feed>,
}

impl NodeState {
    pub(crate) fn new(peers: usize) -> Self {
        Self {
            deadline: AtomicU64::new(0),
            peer_names: Mutex::new(vec![None; peers]),
            feeds: (0..peers).map(|_| Feed::new()).collect(),
        }
    }

    /// True while the lease is confirmed (the local deadline is ahead).
    pub fn lease_valid(&self, now_boot: u64) -> bool {
        now_boot < self.deadline.load(Acquire)
    }
}

/// One session's HA state.
pub struct SessionHa {
    /// Index in the configuration (the stream's session id).
    pub index: u32,
    /// The session's name (its ID's display form): the etcd key part and
    /// the name peers match.
    pub name: String,
    /// Its store files.
    pub files: StoreFiles,
    pub(crate) node: Arc<NodeState>,
    pub(crate) mode: HaReplication,
    pub(crate) max_unacked: u64,
    /// Fencing token while this node leads the session, else 0.
    pub(crate) token: AtomicU64,
    /// Last record id the leader's store produced.
    pub(crate) head_rid: AtomicU64,
    pub(crate) head_bytes: AtomicU64,
    /// Highest record id whose output may go to the counterparty.
    pub(crate) limit_rid: AtomicU64,
    pub(crate) peers: Vec<PeerState>,
    /// Sync mode fell back to async (no in-sync standby).
    pub(crate) fallback: AtomicBool,
    /// Times it fell back.
    pub(crate) fallbacks: AtomicU64,
    /// Called when the limit rises (the reactor's wake), set by the runtime.
    waker: OnceLock<Box<dyn Fn() + Send + Sync>>,
    /// The standby's open store, handed to the runtime at a takeover.
    pub(crate) handoff: Mutex<Option<crate::store::FileStore>>,
}

impl SessionHa {
    pub(crate) fn new(
        index: u32,
        name: String,
        files: StoreFiles,
        node: Arc<NodeState>,
        mode: HaReplication,
        max_unacked: u64,
    ) -> Self {
        let peers = node.feeds.len();
        Self {
            index,
            name,
            files,
            node,
            mode,
            max_unacked,
            token: AtomicU64::new(0),
            head_rid: AtomicU64::new(0),
            head_bytes: AtomicU64::new(0),
            limit_rid: AtomicU64::new(u64::MAX),
            peers: (0..peers).map(|_| PeerState::default()).collect(),
            fallback: AtomicBool::new(false),
            fallbacks: AtomicU64::new(0),
            waker: OnceLock::new(),
            handoff: Mutex::new(None),
        }
    }

    /// The fencing token while this node leads the session, else 0.
    pub fn token(&self) -> u64 {
        self.token.load(Acquire)
    }

    /// May this node act for the session now (connect, accept, send)?
    /// False once the local deadline passed, even before the elector
    /// noticed (it may be stuck on an unreachable etcd).
    pub fn may_lead(&self, now_boot: u64) -> bool {
        self.token() != 0 && self.node.lease_valid(now_boot)
    }

    /// [`may_lead`](Self::may_lead) at the current CLOCK_BOOTTIME.
    pub fn may_lead_now(&self) -> bool {
        self.may_lead(clock::boottime_ns())
    }

    /// The last record id produced by this node's store for the session.
    pub fn head_rid(&self) -> u64 {
        self.head_rid.load(Acquire)
    }

    /// May output produced after record `rid` go out? (Sync mode: a
    /// standby acknowledged it; async: within `HaMaxUnacked`.)
    pub fn released(&self, rid: u64) -> bool {
        rid <= self.limit_rid.load(Acquire)
    }

    /// True while sync mode has fallen back to async.
    pub fn fallback_active(&self) -> bool {
        self.fallback.load(Relaxed)
    }

    /// How many times sync mode fell back to async.
    pub fn fallback_count(&self) -> u64 {
        self.fallbacks.load(Relaxed)
    }

    /// The store the standby side had open, if this node just took over
    /// and nobody took it yet.
    pub fn take_store(&self) -> Option<crate::store::FileStore> {
        self.handoff.lock().ok()?.take()
    }

    /// Sets the function called when held output may go (once).
    pub fn set_waker(&self, wake: Box<dyn Fn() + Send + Sync>) {
        let _ = self.waker.set(wake);
    }

    /// Wakes the session's connection (see [`set_waker`](Self::set_waker)).
    pub fn wake(&self) {
        if let Some(wake) = self.waker.get() {
            wake();
        }
    }

    /// Records behind the head for peer `p` (what it has not acknowledged).
    pub fn lag(&self, p: usize) -> (u64, u64) {
        let Some(peer) = self.peers.get(p) else {
            return (0, 0);
        };
        (
            self.head_rid().saturating_sub(peer.acked_rid.load(Acquire)),
            self.head_bytes
                .load(Acquire)
                .saturating_sub(peer.acked_bytes.load(Acquire)),
        )
    }

    /// Recomputes the send limit from the in-sync peers' acknowledgements:
    /// sync, the lowest acknowledged record; async, that plus
    /// `HaMaxUnacked`; no in-sync standby, no limit (fallback).
    pub(crate) fn recompute_limit(&self) {
        let lowest = self
            .peers
            .iter()
            .filter(|p| p.in_sync.load(Acquire))
            .map(|p| p.acked_rid.load(Acquire))
            .min();
        let limit = match (lowest, self.mode) {
            (None, _) => u64::MAX,
            (Some(a), HaReplication::Sync) => a,
            (Some(a), HaReplication::Async) => a.saturating_add(self.max_unacked),
        };
        let old = self.limit_rid.swap(limit, AcqRel);
        if limit > old {
            if let Some(wake) = self.waker.get() {
                wake();
            }
        }
    }

    /// Called by the store wrapper after the inner store took a record:
    /// numbers it and queues it for every peer whose stream is live.
    pub(crate) fn push(&self, kind: RecordKind, value: u64, bytes: &[u8]) -> u64 {
        // One writer per session (its reactor): load + store is enough.
        let rid = self.head_rid.load(Relaxed) + 1;
        let cum = self.head_bytes.load(Relaxed) + bytes.len() as u64 + 32;
        self.head_bytes.store(cum, SeqCst);
        self.head_rid.store(rid, SeqCst);
        let token = self.token();
        for (peer, feed) in self.peers.iter().zip(&self.node.feeds) {
            // SeqCst pairs with the peer thread's `live` store and
            // `head_rid` load: a record it does not see here is in the
            // journal it reads for catch-up.
            if !peer.live.load(SeqCst) {
                continue;
            }
            let mut buf = feed.free.pop().unwrap_or_default();
            buf.clear();
            buf.extend_from_slice(bytes);
            let record = Record {
                sid: self.index,
                kind,
                token,
                rid,
                cum,
                value,
                bytes: buf,
            };
            if feed.queue.push(record).is_err() {
                peer.live.store(false, SeqCst);
                feed.overflow.store(true, SeqCst);
            }
            feed.wake();
        }
        rid
    }
}
