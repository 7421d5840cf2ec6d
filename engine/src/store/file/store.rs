//! `FileStore`: the durable `MessageStore`.

use std::fs::File;

use super::format::{JournalHeader, SeqState};
use super::journal::{Journal, Opened};
use super::seqfile::SeqFile;
use super::syncer::GroupCommit;
use super::{lock, sync_dir, FileStoreOptions, StoreFiles};
use crate::store::index::SeqIndex;
use crate::store::{
    range_end, FsyncPolicy, MessageStore, MonoTime, StoreError, StoreResult, UtcTimestamp,
};

/// Wait before retrying failed upkeep (1 s).
const UPKEEP_RETRY_NANOS: i64 = 1_000_000_000;

/// Index entries kept free by `sync` so appends never grow the index.
const INDEX_AHEAD: usize = 1 << 16;

/// Journal + seqnum file store for one session, holding its lock.
///
/// `sync(now)` also does bounded upkeep (next segment fallocated and
/// mapped, pages ahead faulted in); a failure there (e.g. disk full while
/// preallocating) is returned from `sync` as an early warning, while
/// appends keep working until the space already mapped is used.
#[derive(Debug)]
pub struct FileStore {
    files: StoreFiles,
    options: FileStoreOptions,
    seq: SeqFile,
    journal: Journal,
    index: SeqIndex,
    /// Highest sequence number stored at or after the state's floor: the
    /// next sender number recovery guarantees.
    epoch_max: u64,
    /// Seqnum changes not yet forced to disk (group commit).
    seq_dirty: bool,
    /// When group commit last forced data to disk.
    last_sync: i64,
    /// `now` of the latest `sync` call.
    last_now: i64,
    /// No upkeep before this time (set after an upkeep failure).
    upkeep_after: i64,
    /// The last group commit request made.
    requested: u64,
    /// Group commit's flushing thread (`StoreFsync=<N>ms` only).
    group: Option<GroupCommit>,
    _lock: File,
}

impl FileStore {
    /// Opens (or creates, with creation time `now`) the store of `files`,
    /// taking its lock. Fails with [`StoreError::Locked`] if another open
    /// store holds it, [`StoreError::Corrupt`] on damage that is not a
    /// torn tail.
    pub fn open(
        files: StoreFiles,
        options: FileStoreOptions,
        now: UtcTimestamp,
    ) -> StoreResult<Self> {
        options
            .mode
            .create_dir_all(files.dir())
            .map_err(|e| StoreError::io("mkdir", files.dir(), e))?;
        super::sys::ignore_file_size_signal();
        let lock = lock(&files, options.mode)?;
        let Loaded {
            seq,
            mut journal,
            index,
            epoch_max,
        } = load(&files, &options, now)?;
        if options.upkeep_thread && options.prefault {
            journal.attach_thread()?;
        }
        let mut index = index;
        if options.prefault {
            // As the journal's window at open: touched ahead before use.
            while index.reserve_ahead(INDEX_AHEAD) {}
        }
        let group = match options.fsync {
            FsyncPolicy::EveryMillis(_) => Some(
                GroupCommit::new(journal.file(), seq.file())
                    .map_err(|e| StoreError::io("dup", files.journal(), e))?,
            ),
            _ => None,
        };
        Ok(Self {
            files,
            options,
            seq,
            journal,
            index,
            epoch_max,
            seq_dirty: false,
            last_sync: i64::MIN,
            last_now: i64::MIN,
            upkeep_after: i64::MIN,
            requested: 0,
            group,
            _lock: lock,
        })
    }

    /// The store's file paths.
    pub fn files(&self) -> &StoreFiles {
        &self.files
    }

    /// The fsync policy in force.
    pub fn fsync_policy(&self) -> FsyncPolicy {
        self.options.fsync
    }

    /// Journal bytes in use (header and records).
    pub fn journal_used(&self) -> u64 {
        self.journal.used()
    }

    /// Journal bytes allocated on disk.
    pub fn journal_allocated(&self) -> u64 {
        self.journal.allocated()
    }

    /// Generation of the store (bumped by each reset).
    pub fn generation(&self) -> u64 {
        self.seq.state().generation
    }

    /// Lowest and highest stored sequence numbers, if any.
    pub fn seq_range(&self) -> Option<(u64, u64)> {
        self.index.min_seq().map(|lo| (lo, self.index.max_seq()))
    }

    /// Journal bytes faulted in ahead of the write position since open.
    pub fn journal_prefaulted(&self) -> u64 {
        self.journal.prefaulted()
    }

    /// Bytes the journal's last upkeep step worked on (its bound is by
    /// construction: see the `upkeep` module).
    #[cfg(test)]
    pub(crate) fn last_upkeep_bytes(&self) -> usize {
        self.journal.last_step_bytes()
    }

    /// Bytes of the journal's mapping the upkeep thread faulted in, if it
    /// works for this store.
    #[cfg(test)]
    pub(crate) fn thread_faulted(&self) -> Option<usize> {
        self.journal.ahead().map(|a| a.faulted())
    }

    /// Whether the journal still prefaults pages ahead.
    #[cfg(test)]
    pub(crate) fn prefaulting(&self) -> bool {
        self.journal.prefaulting()
    }

    fn group_commit_deadline(&self) -> Option<MonoTime> {
        let interval = self.options.fsync.interval_nanos()?;
        (self.journal.dirty() || self.seq_dirty)
            .then(|| MonoTime::from_nanos(self.last_sync.saturating_add(interval)))
    }

    fn set_state(&mut self, state: SeqState) -> StoreResult<()> {
        self.seq.write(state);
        match self.options.fsync {
            FsyncPolicy::Always => self.seq.sync(),
            FsyncPolicy::EveryMillis(_) => {
                self.seq_dirty = true;
                Ok(())
            }
            FsyncPolicy::Never => Ok(()),
        }
    }
}

/// Opens both data files, reconciling them (generation, sequence numbers).
fn load(files: &StoreFiles, options: &FileStoreOptions, now: UtcTimestamp) -> StoreResult<Loaded> {
    let seq_path = files.seqnums();
    let journal_path = files.journal();
    let have_seq = seq_path.exists();
    let have_journal = journal_path.exists();
    for (path, have) in [(&seq_path, have_seq), (&journal_path, have_journal)] {
        if have {
            options.mode.check(path);
        }
    }
    if !have_seq {
        if have_journal {
            return Err(StoreError::Corrupt {
                path: seq_path,
                offset: 0,
                reason: format!(
                    "seqnum file missing while {} exists; restore it or remove the journal",
                    journal_path.display()
                ),
            });
        }
        let state = SeqState {
            generation: 1,
            creation: now.as_nanos(),
            next_sender: 1,
            next_target: 1,
            floor: 0,
        };
        Journal::create(
            &journal_path,
            &header_for(&state, options),
            None,
            options.mode,
        )?;
        SeqFile::create(&seq_path, &state, options.mode)?;
        sync_dir(files.dir())?;
    }
    let mut seq = SeqFile::open(&seq_path)?;
    let mut index = SeqIndex::default();
    let mut journal = open_journal(files, options, &seq, &mut index)?;

    let js = *journal.header();
    let mut state = *seq.state();
    if js.generation > state.generation {
        // A reset wrote its new journal but not the seqnum file: finish it.
        state = SeqState {
            generation: js.generation,
            creation: js.creation,
            next_sender: 1,
            next_target: 1,
            floor: 0,
        };
        seq.write(state);
    } else if js.generation < state.generation {
        // The seqnum file was reset without the journal: roll it over.
        tracing::warn!(path = %journal_path.display(), "store: journal older than seqnum file, replacing it");
        drop(journal);
        Journal::create(
            &journal_path,
            &header_for(&state, options),
            None,
            options.mode,
        )?;
        sync_dir(files.dir())?;
        index.clear();
        journal = open_journal(files, options, &seq, &mut index)?;
    }
    let used = journal.used();
    if state.floor > used {
        state.floor = used;
        seq.write(state);
    }
    let epoch_max = index.max_seq_from(state.floor);
    if epoch_max >= state.next_sender {
        state.next_sender = epoch_max + 1;
        seq.write(state);
    }
    Ok(Loaded {
        seq,
        journal,
        index,
        epoch_max,
    })
}

/// A store's files, opened and reconciled.
struct Loaded {
    seq: SeqFile,
    journal: Journal,
    index: SeqIndex,
    epoch_max: u64,
}

fn header_for(state: &SeqState, options: &FileStoreOptions) -> JournalHeader {
    JournalHeader {
        generation: state.generation,
        creation: state.creation,
        segment: options.segment() as u64,
    }
}

/// Opens the journal, (re)creating it when missing or blank.
fn open_journal(
    files: &StoreFiles,
    options: &FileStoreOptions,
    seq: &SeqFile,
    index: &mut SeqIndex,
) -> StoreResult<Journal> {
    let path = files.journal();
    for _ in 0..2 {
        if path.exists() {
            let opened = Journal::open(
                &path,
                options.segment(),
                options.max_journal_bytes,
                options.prefault,
                index,
            )?;
            if let Opened::Journal(j) = opened {
                return Ok(j);
            }
            tracing::warn!(path = %path.display(), "store: blank journal, writing a new one");
        } else {
            tracing::warn!(path = %path.display(), "store: journal missing, starting an empty one");
        }
        Journal::create(&path, &header_for(seq.state(), options), None, options.mode)?;
        sync_dir(files.dir())?;
    }
    Err(StoreError::Corrupt {
        path,
        offset: 0,
        reason: "journal could not be created".into(),
    })
}

impl FileStore {
    /// Group commit: asks the flushing thread to force what is pending to
    /// disk (never waits for it); inline without one.
    fn commit(&mut self) -> StoreResult<()> {
        match &self.group {
            Some(g) => {
                self.requested = g.request();
                self.journal.mark_requested();
                self.seq_dirty = false;
                Ok(())
            }
            None => {
                self.journal.sync()?;
                if self.seq_dirty {
                    self.seq.sync()?;
                    self.seq_dirty = false;
                }
                Ok(())
            }
        }
    }

    /// Points group commit at the files now open (after a reset or a
    /// refresh replaced them).
    fn regroup(&mut self) -> StoreResult<()> {
        if let Some(g) = &self.group {
            g.replace(self.journal.file(), self.seq.file())
                .map_err(|e| StoreError::io("dup", self.files.journal(), e))?;
        }
        Ok(())
    }

    /// The index wants a chunk ahead, and idle upkeep is on (it is
    /// prefaulting's: both stop together).
    fn index_upkeep_due(&self) -> bool {
        self.journal.prefaulting() && self.index.ahead_due(INDEX_AHEAD)
    }
}

impl MessageStore for FileStore {
    fn next_sender_seq(&self) -> u64 {
        self.seq.state().next_sender
    }

    fn next_target_seq(&self) -> u64 {
        self.seq.state().next_target
    }

    fn set_next_sender_seq(&mut self, seq: u64) -> StoreResult<()> {
        if seq == 0 {
            return Err(StoreError::ZeroSeq);
        }
        let mut state = SeqState {
            next_sender: seq,
            ..*self.seq.state()
        };
        if seq <= self.epoch_max {
            // Deliberately below what is stored (set-seq): stored numbers
            // before here no longer hold the sender number up on recovery.
            state.floor = self.journal.used();
            self.epoch_max = 0;
        }
        self.set_state(state)
    }

    fn set_next_target_seq(&mut self, seq: u64) -> StoreResult<()> {
        if seq == 0 {
            return Err(StoreError::ZeroSeq);
        }
        let state = SeqState {
            next_target: seq,
            ..*self.seq.state()
        };
        self.set_state(state)
    }

    #[inline]
    fn append(&mut self, seq: u64, bytes: &[u8]) -> StoreResult<()> {
        if seq == 0 {
            return Err(StoreError::ZeroSeq);
        }
        let off = self.journal.append(seq, bytes)?;
        self.index.insert(seq, off as u64);
        self.epoch_max = self.epoch_max.max(seq);
        if self.options.fsync == FsyncPolicy::Always {
            self.journal.sync()?;
        }
        Ok(())
    }

    fn get_range(
        &self,
        begin: u64,
        end: u64,
        visit: &mut dyn FnMut(u64, &[u8]),
    ) -> StoreResult<()> {
        self.index.for_range(begin, range_end(end), |seq, off| {
            if let Some(body) = self.journal.body(off) {
                visit(seq, body);
            }
        });
        Ok(())
    }

    fn reset(&mut self, now: UtcTimestamp) -> StoreResult<()> {
        let old = *self.seq.state();
        let state = SeqState {
            generation: old.generation + 1,
            creation: now.as_nanos(),
            next_sender: 1,
            next_target: 1,
            floor: 0,
        };
        let archive = match &self.options.backup_dir {
            Some(dir) => {
                self.options
                    .mode
                    .create_dir_all(dir)
                    .map_err(|e| StoreError::io("mkdir", dir, e))?;
                let seqnums = self.files.backup_seqnums(dir, old.generation);
                SeqFile::create(&seqnums, &old, self.options.mode)?;
                Some(self.files.backup_journal(dir, old.generation))
            }
            None => self
                .options
                .archive_on_reset
                .then(|| self.files.archived_journal(old.generation)),
        };
        let path = self.files.journal();
        Journal::create(
            &path,
            &header_for(&state, &self.options),
            archive.as_deref(),
            self.options.mode,
        )?;
        sync_dir(self.files.dir())?;
        if let Some(dir) = &self.options.backup_dir {
            sync_dir(dir)?;
        }
        let mut index = SeqIndex::default();
        let journal = match Journal::open(
            &path,
            self.options.segment(),
            self.options.max_journal_bytes,
            self.options.prefault,
            &mut index,
        )? {
            Opened::Journal(j) => j,
            Opened::Blank => {
                return Err(StoreError::Corrupt {
                    path,
                    offset: 0,
                    reason: "new journal unreadable".into(),
                })
            }
        };
        self.journal = journal;
        if self.options.upkeep_thread && self.options.prefault {
            self.journal.attach_thread()?;
        }
        self.index = index;
        self.epoch_max = 0;
        self.seq.write(state);
        self.seq.sync()?;
        self.seq_dirty = false;
        self.regroup()
    }

    fn refresh(&mut self) -> StoreResult<()> {
        let loaded = load(&self.files, &self.options, self.creation_time())?;
        self.seq = loaded.seq;
        self.journal = loaded.journal;
        if self.options.upkeep_thread && self.options.prefault {
            self.journal.attach_thread()?;
        }
        self.index = loaded.index;
        self.epoch_max = loaded.epoch_max;
        self.regroup()
    }

    fn creation_time(&self) -> UtcTimestamp {
        UtcTimestamp::from_nanos(self.seq.state().creation)
    }

    fn sync(&mut self, now: MonoTime) -> StoreResult<()> {
        self.last_now = now.as_nanos();
        if let Some(e) = self.group.as_ref().and_then(GroupCommit::take_error) {
            return Err(StoreError::io("fdatasync", self.files.journal(), e));
        }
        if let Some(deadline) = self.group_commit_deadline() {
            if now >= deadline {
                // Retried one interval later on failure, not in a spin.
                self.last_sync = now.as_nanos();
                self.commit()?;
            }
        }
        // One bounded step at most: the index's, else the journal's.
        if self.index_upkeep_due() {
            self.index.reserve_ahead(INDEX_AHEAD);
        } else if now.as_nanos() >= self.upkeep_after {
            if let Err(e) = self.journal.prepare() {
                self.upkeep_after = now.as_nanos().saturating_add(UPKEEP_RETRY_NANOS);
                return Err(e);
            }
        }
        Ok(())
    }

    /// Group commit deadline, or "now" (the last `sync` time) while journal
    /// upkeep (next segment, pages ahead) fell behind: idle upkeep
    /// ([`upkeep_step`](MessageStore::upkeep_step)) normally keeps up.
    fn sync_deadline(&self) -> Option<MonoTime> {
        let upkeep = self
            .journal
            .maintenance_due()
            .then(|| MonoTime::from_nanos(self.last_now.max(self.upkeep_after)));
        match (upkeep, self.group_commit_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    fn upkeep_due(&self) -> bool {
        self.last_now >= self.upkeep_after && (self.journal.upkeep_due() || self.index_upkeep_due())
    }

    fn upkeep_step(&mut self, now: MonoTime) -> StoreResult<bool> {
        self.last_now = now.as_nanos();
        if self.last_now < self.upkeep_after {
            return Ok(false);
        }
        // One bounded step: an index chunk when due, else the journal's.
        if self.index_upkeep_due() {
            self.index.reserve_ahead(INDEX_AHEAD);
            return Ok(true);
        }
        let more = self.journal.upkeep_step().inspect_err(|_| {
            self.upkeep_after = now.as_nanos().saturating_add(UPKEEP_RETRY_NANOS);
        })?;
        Ok(more || self.index_upkeep_due())
    }
}

impl Drop for FileStore {
    /// A clean close honours the policy: group commit flushes what is
    /// pending (errors can only be logged here).
    fn drop(&mut self) {
        let pending = match &self.group {
            Some(g) => g.done() < self.requested,
            None => false,
        };
        if self.options.fsync == FsyncPolicy::Never
            || !(pending || self.journal.dirty() || self.seq_dirty)
        {
            return;
        }
        let flushed = self.journal.sync_all().and_then(|()| self.seq.sync());
        if let Err(e) = flushed {
            tracing::warn!(error = %e, "store: flush on close failed");
        }
    }
}
