//! A [`MessageStore`] wrapper for a session this node leads: every append
//! and sequence number change goes to the inner store first, then (when
//! that succeeded) to the replication feeds, numbered with a record id
//! the runtime compares with the send limit.

use std::sync::Arc;

use super::shared::SessionHa;
use super::wire::RecordKind;
use crate::store::{MessageStore, MonoTime, StoreResult, UtcTimestamp};

/// The leader's store of one session: the inner store plus replication.
pub struct ReplicatedStore<S> {
    inner: S,
    ha: Arc<SessionHa>,
    /// An inbound sequence number change not yet queued (see
    /// [`flush`](Self::flush)).
    target_pending: bool,
}

impl<S: std::fmt::Debug> std::fmt::Debug for ReplicatedStore<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReplicatedStore")
            .field("inner", &self.inner)
            .field("session", &self.ha.name)
            .field("token", &self.ha.token())
            .finish()
    }
}

impl<S: MessageStore> ReplicatedStore<S> {
    /// Wraps `inner` for the session `ha`.
    pub fn new(inner: S, ha: Arc<SessionHa>) -> Self {
        Self {
            inner,
            ha,
            target_pending: false,
        }
    }

    /// Queues the inbound sequence number change of this event, after the
    /// outbound records it produced. A standby that has an inbound
    /// message's progress then also has every answer to it: cut off in
    /// between, the new leader asks for the message again (PossDup)
    /// rather than believe it answered. Call at the end of each event;
    /// [`sync`](MessageStore::sync) and a reset flush too.
    pub fn flush(&mut self) {
        if std::mem::take(&mut self.target_pending) {
            let n = self.inner.next_target_seq();
            self.ha.push(RecordKind::TargetSeq, n, &[]);
        }
    }

    /// The session's HA state.
    pub fn ha(&self) -> &Arc<SessionHa> {
        &self.ha
    }

    /// The inner store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Unwraps the inner store.
    pub fn into_inner(self) -> S {
        self.inner
    }

    fn sender_changed(&mut self) {
        let n = self.inner.next_sender_seq();
        self.ha.push(RecordKind::SenderSeq, n, &[]);
    }

    fn target_changed(&mut self) {
        self.target_pending = true;
    }
}

impl<S: MessageStore> MessageStore for ReplicatedStore<S> {
    fn next_sender_seq(&self) -> u64 {
        self.inner.next_sender_seq()
    }
    fn next_target_seq(&self) -> u64 {
        self.inner.next_target_seq()
    }
    fn set_next_sender_seq(&mut self, seq: u64) -> StoreResult<()> {
        self.inner.set_next_sender_seq(seq)?;
        self.sender_changed();
        Ok(())
    }
    fn set_next_target_seq(&mut self, seq: u64) -> StoreResult<()> {
        self.inner.set_next_target_seq(seq)?;
        self.target_changed();
        Ok(())
    }
    fn incr_next_sender_seq(&mut self) -> StoreResult<()> {
        self.inner.incr_next_sender_seq()?;
        self.sender_changed();
        Ok(())
    }
    fn incr_next_target_seq(&mut self) -> StoreResult<()> {
        self.inner.incr_next_target_seq()?;
        self.target_changed();
        Ok(())
    }
    fn append(&mut self, seq: u64, bytes: &[u8]) -> StoreResult<()> {
        self.inner.append(seq, bytes)?;
        self.ha.push(RecordKind::Append, seq, bytes);
        Ok(())
    }
    fn get_range(
        &self,
        begin: u64,
        end: u64,
        visit: &mut dyn FnMut(u64, &[u8]),
    ) -> StoreResult<()> {
        self.inner.get_range(begin, end, visit)
    }
    fn reset(&mut self, now: UtcTimestamp) -> StoreResult<()> {
        self.flush();
        self.inner.reset(now)?;
        self.target_pending = false;
        let creation = self.inner.creation_time().as_nanos() as u64;
        self.ha.push(RecordKind::Reset, creation, &[]);
        Ok(())
    }
    fn refresh(&mut self) -> StoreResult<()> {
        self.inner.refresh()?;
        self.sender_changed();
        self.target_changed();
        Ok(())
    }
    fn creation_time(&self) -> UtcTimestamp {
        self.inner.creation_time()
    }
    fn sync(&mut self, now: MonoTime) -> StoreResult<()> {
        self.flush();
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
