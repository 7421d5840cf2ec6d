//! Fault injection: a wrapper whose writes fail on command, the way a full
//! disk makes them fail (ENOSPC). For session and reliability tests.

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use super::{MessageStore, MonoTime, StoreError, StoreResult, UtcTimestamp};

#[derive(Debug, Default)]
struct Faults {
    /// Appends still to fail (`u64::MAX`: all of them).
    appends: AtomicU64,
    /// Fail sequence number updates.
    seqnums: AtomicBool,
    /// Fail `sync`.
    syncs: AtomicBool,
    /// Fail `get_range` (a journal that cannot be read).
    reads: AtomicBool,
}

/// Switches the faults of a [`FailingStore`] from outside (clone it before
/// boxing the store).
#[derive(Clone, Debug, Default)]
pub struct FaultHandle(Arc<Faults>);

impl FaultHandle {
    /// The next append fails with ENOSPC.
    pub fn fail_next_append(&self) {
        self.0.appends.store(1, Ordering::SeqCst);
    }

    /// The next `n` appends fail with ENOSPC.
    pub fn fail_appends(&self, n: u64) {
        self.0.appends.store(n, Ordering::SeqCst);
    }

    /// Every append fails with ENOSPC until [`clear`](Self::clear).
    pub fn disk_full(&self) {
        self.0.appends.store(u64::MAX, Ordering::SeqCst);
        self.0.seqnums.store(true, Ordering::SeqCst);
    }

    /// Sequence number updates fail (or succeed again) with ENOSPC.
    pub fn fail_seqnums(&self, on: bool) {
        self.0.seqnums.store(on, Ordering::SeqCst);
    }

    /// `sync` fails (or succeeds again) with EIO.
    pub fn fail_syncs(&self, on: bool) {
        self.0.syncs.store(on, Ordering::SeqCst);
    }

    /// `get_range` fails (or succeeds again) with EIO.
    pub fn fail_reads(&self, on: bool) {
        self.0.reads.store(on, Ordering::SeqCst);
    }

    /// Removes every fault.
    pub fn clear(&self) {
        self.0.reads.store(false, Ordering::SeqCst);
        self.0.appends.store(0, Ordering::SeqCst);
        self.0.seqnums.store(false, Ordering::SeqCst);
        self.0.syncs.store(false, Ordering::SeqCst);
    }

    fn take_append_fault(&self) -> bool {
        self.0
            .appends
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| match n {
                0 => None,
                u64::MAX => Some(u64::MAX),
                n => Some(n - 1),
            })
            .is_ok()
    }
}

fn injected(op: &'static str, errno: i32) -> StoreError {
    StoreError::io(
        op,
        PathBuf::from("<injected fault>"),
        io::Error::from_raw_os_error(errno),
    )
}

/// Wraps a store; operations fail as set through its [`FaultHandle`].
/// A failed operation leaves the inner store untouched.
#[derive(Debug)]
pub struct FailingStore<S> {
    inner: S,
    faults: FaultHandle,
}

impl<S: MessageStore> FailingStore<S> {
    /// Wraps `inner` with no fault active.
    pub fn new(inner: S) -> Self {
        Self {
            inner,
            faults: FaultHandle::default(),
        }
    }

    /// A handle switching this store's faults.
    pub fn handle(&self) -> FaultHandle {
        self.faults.clone()
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// The wrapped store, mutably.
    pub fn inner_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    fn check_seqnums(&self) -> StoreResult<()> {
        if self.faults.0.seqnums.load(Ordering::SeqCst) {
            return Err(injected("seqnum update", libc::ENOSPC));
        }
        Ok(())
    }
}

impl<S: MessageStore> MessageStore for FailingStore<S> {
    fn next_sender_seq(&self) -> u64 {
        self.inner.next_sender_seq()
    }

    fn next_target_seq(&self) -> u64 {
        self.inner.next_target_seq()
    }

    fn set_next_sender_seq(&mut self, seq: u64) -> StoreResult<()> {
        self.check_seqnums()?;
        self.inner.set_next_sender_seq(seq)
    }

    fn set_next_target_seq(&mut self, seq: u64) -> StoreResult<()> {
        self.check_seqnums()?;
        self.inner.set_next_target_seq(seq)
    }

    fn append(&mut self, seq: u64, bytes: &[u8]) -> StoreResult<()> {
        if self.faults.take_append_fault() {
            return Err(injected("append", libc::ENOSPC));
        }
        self.inner.append(seq, bytes)
    }

    fn get_range(
        &self,
        begin: u64,
        end: u64,
        visit: &mut dyn FnMut(u64, &[u8]),
    ) -> StoreResult<()> {
        if self.faults.0.reads.load(Ordering::SeqCst) {
            return Err(injected("read", libc::EIO));
        }
        self.inner.get_range(begin, end, visit)
    }

    fn reset(&mut self, now: UtcTimestamp) -> StoreResult<()> {
        self.check_seqnums()?;
        self.inner.reset(now)
    }

    fn refresh(&mut self) -> StoreResult<()> {
        self.inner.refresh()
    }

    fn creation_time(&self) -> UtcTimestamp {
        self.inner.creation_time()
    }

    fn sync(&mut self, now: MonoTime) -> StoreResult<()> {
        if self.faults.0.syncs.load(Ordering::SeqCst) {
            return Err(injected("sync", libc::EIO));
        }
        self.inner.sync(now)
    }

    fn sync_deadline(&self) -> Option<MonoTime> {
        self.inner.sync_deadline()
    }

    fn upkeep_due(&self) -> bool {
        self.inner.upkeep_due()
    }

    fn upkeep_step(&mut self, now: MonoTime) -> StoreResult<bool> {
        self.inner.upkeep_step(now)
    }
}
