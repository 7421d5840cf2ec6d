//! Append workload shared by the criterion bench (`engine/benches/store.rs`)
//! and the bench crate (row `{"case":"store","op":"append"}`). The caller
//! owns the clock: time `AppendBench::append` calls, and call
//! `AppendBench::maintain` outside the timed region.

use std::path::Path;

use crate::time::Now;

use super::{FileStore, FileStoreOptions, MessageStore, StoreFiles, StoreResult, UtcTimestamp};

/// A 172-byte FIX 4.4 NewOrderSingle (valid BodyLength and CheckSum).
pub const SAMPLE_MESSAGE: &[u8] = b"8=FIX.4.4\x019=149\x0135=D\x0134=1000000\x0149=SENDERCOMP\x0156=TARGETCOMP\x0152=20261124-05:02:36.123456\x0111=ORD1234\x0155=ESZ6\x0154=1\x0138=100\x0140=2\x0144=5123.25\x0159=0\x0160=20261124-05:02:36.123\x0110=109\x01";

/// Journal size at which `AppendBench::maintain` starts a new journal,
/// so long runs do not fill the disk.
const ROLL_AT: u64 = 256 << 20;

/// A file store under a caller-provided directory, appending
/// [`SAMPLE_MESSAGE`] with increasing sequence numbers.
#[derive(Debug)]
pub struct AppendBench {
    store: FileStore,
    seq: u64,
}

impl AppendBench {
    /// Opens a fresh store named `BENCH` in `dir` with `options`.
    pub fn new(dir: &Path, options: FileStoreOptions) -> StoreResult<Self> {
        let files = StoreFiles::with_prefix(dir, "BENCH");
        let mut store = FileStore::open(files, options, UtcTimestamp::from_nanos(0))?;
        store.reset(UtcTimestamp::from_nanos(0))?;
        Ok(Self { store, seq: 1 })
    }

    /// One timed operation: append the sample message and bump the next
    /// sender sequence number, as the session does per outbound message.
    #[inline]
    pub fn append(&mut self) -> StoreResult<()> {
        self.store.append(self.seq, SAMPLE_MESSAGE)?;
        self.seq += 1;
        self.store.set_next_sender_seq(self.seq)
    }

    /// Untimed upkeep: `sync(now)` (fsync policy, next segment mapped
    /// ahead) and a new journal once it passes 256 MiB.
    pub fn maintain(&mut self, now: Now) -> StoreResult<()> {
        self.store.sync(now.mono)?;
        if self.store.journal_used() > ROLL_AT {
            self.store.reset(now.wall)?;
            self.seq = 1;
        }
        Ok(())
    }

    /// The store under test.
    pub fn store(&self) -> &FileStore {
        &self.store
    }
}
