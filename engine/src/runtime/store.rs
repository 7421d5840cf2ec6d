//! The store a runtime session uses: memory or file, chosen by
//! `FileStorePath`, with `PersistMessages=N` applied (sequence numbers kept,
//! messages not: resends become gap fills, as in QuickFIX).

use crate::ha::ReplicatedStore;
use crate::store::{FileStore, MemoryStore, MessageStore, MonoTime, StoreResult, UtcTimestamp};

/// Memory or file store of one runtime session.
#[derive(Debug)]
pub enum RuntimeStore {
    /// `MemoryStore` (no `FileStorePath`).
    Memory(MemoryStore, bool),
    /// `FileStore` under `FileStorePath`.
    File(Box<FileStore>, bool),
    /// Hot standby, while this node leads: the `FileStore` wrapped so every
    /// change is replicated (`PersistMessages` is always on with HA).
    Replicated(Box<ReplicatedStore<FileStore>>),
}

/// Calls `$call` on the inner store by its concrete type (a `match`, not
/// a second dynamic dispatch behind the session's `dyn MessageStore`).
macro_rules! each {
    ($store:expr, $s:ident => $call:expr) => {
        match $store {
            RuntimeStore::Memory($s, _) => $call,
            RuntimeStore::File($s, _) => $call,
            RuntimeStore::Replicated($s) => $call,
        }
    };
}

impl RuntimeStore {
    fn persist(&self) -> bool {
        match self {
            Self::Memory(_, p) | Self::File(_, p) => *p,
            Self::Replicated(_) => true,
        }
    }

    /// Hot standby: queues the event's inbound progress after its answers
    /// (see [`ReplicatedStore::flush`]); a no-op otherwise.
    pub fn flush_replication(&mut self) {
        if let Self::Replicated(s) = self {
            s.flush();
        }
    }

    /// Whether this is a leader's replicated store (hot standby).
    pub fn is_replicated(&self) -> bool {
        matches!(self, Self::Replicated(..))
    }

    /// Whether this is a file store.
    pub fn is_file(&self) -> bool {
        matches!(self, Self::File(..) | Self::Replicated(..))
    }
}

impl MessageStore for RuntimeStore {
    fn next_sender_seq(&self) -> u64 {
        each!(self, s => s.next_sender_seq())
    }
    fn next_target_seq(&self) -> u64 {
        each!(self, s => s.next_target_seq())
    }
    fn set_next_sender_seq(&mut self, seq: u64) -> StoreResult<()> {
        each!(self, s => s.set_next_sender_seq(seq))
    }
    fn set_next_target_seq(&mut self, seq: u64) -> StoreResult<()> {
        each!(self, s => s.set_next_target_seq(seq))
    }
    fn append(&mut self, seq: u64, bytes: &[u8]) -> StoreResult<()> {
        if !self.persist() {
            return Ok(());
        }
        let r = each!(self, s => s.append(seq, bytes));
        if let Err(e) = &r {
            // The session stops sending and reports only StoreFailure: the
            // cause is told here (a file error names the session's file).
            tracing::error!(seq, error = %e, "store append failed: message not sent");
        }
        r
    }
    fn get_range(
        &self,
        begin: u64,
        end: u64,
        visit: &mut dyn FnMut(u64, &[u8]),
    ) -> StoreResult<()> {
        each!(self, s => s.get_range(begin, end, visit))
    }
    fn reset(&mut self, now: UtcTimestamp) -> StoreResult<()> {
        each!(self, s => s.reset(now))
    }
    fn refresh(&mut self) -> StoreResult<()> {
        each!(self, s => s.refresh())
    }
    fn creation_time(&self) -> UtcTimestamp {
        each!(self, s => s.creation_time())
    }
    fn sync(&mut self, now: MonoTime) -> StoreResult<()> {
        each!(self, s => s.sync(now))
    }
    fn sync_deadline(&self) -> Option<MonoTime> {
        each!(self, s => s.sync_deadline())
    }
    fn upkeep_due(&self) -> bool {
        each!(self, s => s.upkeep_due())
    }
    fn upkeep_step(&mut self, now: MonoTime) -> StoreResult<bool> {
        each!(self, s => s.upkeep_step(now))
    }
}
