//! Message store: outbound messages kept for resends, plus the next
//! sender/target sequence numbers and the session creation time.
//!
//! Two implementations of [`MessageStore`]: [`MemoryStore`] (nothing
//! survives the process) and [`FileStore`] (an append-only journal in a
//! shared memory mapping of preallocated segments; see the `file` module
//! docs for the layout). [`FailingStore`] wraps either and injects write
//! failures for tests.
//!
//! The store never reads a clock: callers pass `now` (the wall clock for
//! creation times, the monotonic clock for sync deadlines).

/// The append workload of the store benchmarks; not part of the API.
#[doc(hidden)]
pub mod bench;
mod dense;
mod error;
mod failing;
mod file;
mod index;
mod memory;
mod mode;
mod policy;
mod quickfix;
mod time;

#[cfg(test)]
mod tests;

pub use error::StoreError;
pub use failing::{FailingStore, FaultHandle};
pub use file::{is_locked, FileStore, FileStoreOptions, StoreFiles, StoreId, StoreReader};
pub use memory::MemoryStore;
pub use mode::FileMode;
pub use policy::{FsyncPolicy, ParseFsyncPolicyError};
pub use quickfix::{import_quickfix, QuickFixImport};
pub use time::{MonoTime, UtcTimestamp};

/// Result of a store operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// Storage for one FIX session: sequence numbers, creation time and the
/// messages sent (for resends). Object safe; one owner at a time.
///
/// Sequence numbers start at 1; `0` is never a valid sequence number.
pub trait MessageStore: Send {
    /// Next sequence number this side will send (MsgSeqNum of the next
    /// outbound message).
    fn next_sender_seq(&self) -> u64;

    /// Next sequence number expected from the counterparty.
    fn next_target_seq(&self) -> u64;

    /// Sets the next outbound sequence number.
    fn set_next_sender_seq(&mut self, seq: u64) -> StoreResult<()>;

    /// Sets the next expected inbound sequence number.
    fn set_next_target_seq(&mut self, seq: u64) -> StoreResult<()>;

    /// Adds one to the next outbound sequence number.
    fn incr_next_sender_seq(&mut self) -> StoreResult<()> {
        let next = self.next_sender_seq().saturating_add(1);
        self.set_next_sender_seq(next)
    }

    /// Adds one to the next expected inbound sequence number.
    fn incr_next_target_seq(&mut self) -> StoreResult<()> {
        let next = self.next_target_seq().saturating_add(1);
        self.set_next_target_seq(next)
    }

    /// Stores the outbound message `bytes` sent with MsgSeqNum `seq`.
    ///
    /// When this returns `Ok` the bytes are in the kernel (page cache of a
    /// shared mapping, or memory for [`MemoryStore`]): a kill -9 right
    /// after loses nothing. On `Err` the session must not send the message.
    /// Storing a sequence number again replaces the earlier message.
    fn append(&mut self, seq: u64, bytes: &[u8]) -> StoreResult<()>;

    /// Calls `visit(seq, bytes)` for every stored message with
    /// `begin <= seq <= end`, in ascending sequence order. `end` 0 or
    /// `u64::MAX` means "no upper bound" (EndSeqNo=0 in a ResendRequest).
    /// Sequence numbers with nothing stored are skipped.
    fn get_range(&self, begin: u64, end: u64, visit: &mut dyn FnMut(u64, &[u8]))
        -> StoreResult<()>;

    /// Starts a new session: creation time `now`, both sequence numbers 1,
    /// stored messages dropped (the journal is rolled over).
    fn reset(&mut self, now: UtcTimestamp) -> StoreResult<()>;

    /// Reloads sequence numbers and messages from durable storage
    /// (QuickFIX's RefreshOnLogon). A no-op for [`MemoryStore`].
    fn refresh(&mut self) -> StoreResult<()>;

    /// When the current session (sequence number epoch) was created.
    fn creation_time(&self) -> UtcTimestamp;

    /// Applies the fsync policy: flushes to disk if the policy says it is
    /// time (file store, group commit: asks its flushing thread, never
    /// waits for the disk), and does one upkeep step when idle upkeep fell
    /// behind. Cheap when there is nothing to do; call it when
    /// [`sync_deadline`](Self::sync_deadline) is reached.
    fn sync(&mut self, now: MonoTime) -> StoreResult<()>;

    /// When [`sync`](Self::sync) next has work to do, or `None` when
    /// nothing is pending: the group commit deadline, or (file store) the
    /// `now` of the last `sync` call while idle upkeep fell behind (one
    /// bounded step per call, as [`upkeep_step`](Self::upkeep_step)). Wake
    /// for it; without these calls appends still work but take the page
    /// faults and segment growth themselves.
    fn sync_deadline(&self) -> Option<MonoTime>;

    /// True when [`upkeep_step`](Self::upkeep_step) has work (file store:
    /// the next journal segment to map, pages ahead to fault in). Cheap:
    /// the reactor asks it after every event.
    fn upkeep_due(&self) -> bool {
        false
    }

    /// One step of upkeep whose work is bounded by construction (file
    /// store: see its `upkeep` module), for a caller with nothing else to
    /// do: true while more remains. Keeping up this
    /// way leaves [`sync_deadline`](Self::sync_deadline) nothing but the
    /// fsync policy; on error it waits a while (the deadline path retries).
    fn upkeep_step(&mut self, _now: MonoTime) -> StoreResult<bool> {
        Ok(false)
    }
}

/// `end` of a resend range with FIX's "0 means infinity" applied.
pub(crate) fn range_end(end: u64) -> u64 {
    if end == 0 {
        u64::MAX
    } else {
        end
    }
}

/// A boxed store is a store (so wrappers like [`FailingStore`] take one).
impl<S: MessageStore + ?Sized> MessageStore for Box<S> {
    fn next_sender_seq(&self) -> u64 {
        (**self).next_sender_seq()
    }
    fn next_target_seq(&self) -> u64 {
        (**self).next_target_seq()
    }
    fn set_next_sender_seq(&mut self, seq: u64) -> StoreResult<()> {
        (**self).set_next_sender_seq(seq)
    }
    fn set_next_target_seq(&mut self, seq: u64) -> StoreResult<()> {
        (**self).set_next_target_seq(seq)
    }
    fn incr_next_sender_seq(&mut self) -> StoreResult<()> {
        (**self).incr_next_sender_seq()
    }
    fn incr_next_target_seq(&mut self) -> StoreResult<()> {
        (**self).incr_next_target_seq()
    }
    fn append(&mut self, seq: u64, bytes: &[u8]) -> StoreResult<()> {
        (**self).append(seq, bytes)
    }
    fn get_range(
        &self,
        begin: u64,
        end: u64,
        visit: &mut dyn FnMut(u64, &[u8]),
    ) -> StoreResult<()> {
        (**self).get_range(begin, end, visit)
    }
    fn reset(&mut self, now: UtcTimestamp) -> StoreResult<()> {
        (**self).reset(now)
    }
    fn refresh(&mut self) -> StoreResult<()> {
        (**self).refresh()
    }
    fn creation_time(&self) -> UtcTimestamp {
        (**self).creation_time()
    }
    fn sync(&mut self, now: MonoTime) -> StoreResult<()> {
        (**self).sync(now)
    }
    fn sync_deadline(&self) -> Option<MonoTime> {
        (**self).sync_deadline()
    }
    fn upkeep_due(&self) -> bool {
        (**self).upkeep_due()
    }
    fn upkeep_step(&mut self, now: MonoTime) -> StoreResult<bool> {
        (**self).upkeep_step(now)
    }
}
