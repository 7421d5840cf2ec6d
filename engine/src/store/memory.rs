//! In-memory store: nothing survives the process (QuickFIX MemoryStore).

use super::index::SeqIndex;
use super::{range_end, MessageStore, MonoTime, StoreError, StoreResult, UtcTimestamp};

/// Keeps messages in one growing buffer; `reset` empties it.
#[derive(Debug)]
pub struct MemoryStore {
    next_sender: u64,
    next_target: u64,
    creation: UtcTimestamp,
    /// Records: `[len: u32 LE][bytes]`, located through `index`.
    data: Vec<u8>,
    index: SeqIndex,
}

impl MemoryStore {
    /// An empty store created at `now`, sequence numbers 1/1.
    pub fn new(now: UtcTimestamp) -> Self {
        Self {
            next_sender: 1,
            next_target: 1,
            creation: now,
            data: Vec::new(),
            index: SeqIndex::default(),
        }
    }

    fn record(&self, off: u64) -> Option<&[u8]> {
        let off = usize::try_from(off).ok()?;
        let len_bytes = self.data.get(off..off + 4)?;
        let len = u32::from_le_bytes(len_bytes.try_into().ok()?) as usize;
        self.data.get(off + 4..off + 4 + len)
    }
}

impl MessageStore for MemoryStore {
    fn next_sender_seq(&self) -> u64 {
        self.next_sender
    }

    fn next_target_seq(&self) -> u64 {
        self.next_target
    }

    fn set_next_sender_seq(&mut self, seq: u64) -> StoreResult<()> {
        if seq == 0 {
            return Err(StoreError::ZeroSeq);
        }
        self.next_sender = seq;
        Ok(())
    }

    fn set_next_target_seq(&mut self, seq: u64) -> StoreResult<()> {
        if seq == 0 {
            return Err(StoreError::ZeroSeq);
        }
        self.next_target = seq;
        Ok(())
    }

    fn append(&mut self, seq: u64, bytes: &[u8]) -> StoreResult<()> {
        if seq == 0 {
            return Err(StoreError::ZeroSeq);
        }
        let len =
            u32::try_from(bytes.len()).map_err(|_| StoreError::TooLarge { len: bytes.len() })?;
        let off = self.data.len() as u64;
        self.data.extend_from_slice(&len.to_le_bytes());
        self.data.extend_from_slice(bytes);
        self.index.insert(seq, off);
        Ok(())
    }

    fn get_range(
        &self,
        begin: u64,
        end: u64,
        visit: &mut dyn FnMut(u64, &[u8]),
    ) -> StoreResult<()> {
        self.index.for_range(begin, range_end(end), |seq, off| {
            if let Some(bytes) = self.record(off) {
                visit(seq, bytes);
            }
        });
        Ok(())
    }

    fn reset(&mut self, now: UtcTimestamp) -> StoreResult<()> {
        self.next_sender = 1;
        self.next_target = 1;
        self.creation = now;
        self.data.clear();
        self.index.clear();
        Ok(())
    }

    fn refresh(&mut self) -> StoreResult<()> {
        Ok(())
    }

    fn creation_time(&self) -> UtcTimestamp {
        self.creation
    }

    fn sync(&mut self, _now: MonoTime) -> StoreResult<()> {
        Ok(())
    }

    fn sync_deadline(&self) -> Option<MonoTime> {
        None
    }
}
