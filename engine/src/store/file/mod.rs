//! File store: one set of files per session under `FileStorePath`, named
//! from the session ID like QuickFIX/J's file prefix
//! (`BeginString-SenderCompID[_SubID[_LocationID]]-TargetCompID[_SubID[_LocationID]][-Qualifier]`):
//!
//! - `<prefix>.journal`: outbound messages (see `format` for the layout),
//!   grown in preallocated segments and written through a shared mapping.
//! - `<prefix>.seqnums`: next sender/target sequence numbers, generation and
//!   creation time, in two alternating checksummed slots (mapped too).
//! - `<prefix>.lock`: held with `flock` by the process owning the store.
//!
//! Both data files carry a generation, bumped by each reset: a reset writes
//! the new (empty) journal first, then the seqnum file, so a crash in
//! between is completed on the next open. The replaced journal is deleted,
//! or kept as `<prefix>.journal.<generation>` with
//! [`FileStoreOptions::archive_on_reset`].
//!
//! On open the next sender sequence number is raised past the highest one
//! in the journal, so a crash can never make the engine reuse a sequence
//! number it already stored. Setting it deliberately *below* a stored one
//! (`set_next_sender_seq`, e.g. from `ringfix store set-seq`) records a
//! floor (the journal end) in the seqnum file: only records after the floor
//! count from then on, so the lower number persists.
//!
//! Durability: `append` and sequence number updates are stores into shared
//! mappings, so they are in the page cache when they return and survive a
//! process crash (kill -9) under every `StoreFsync` policy; the policy only
//! decides what survives power loss or a kernel crash. Recovery truncates
//! a torn tail; a damaged *last* record is indistinguishable from a torn
//! write and is dropped with a warning, while damage followed by valid
//! records is a [`StoreError::Corrupt`] naming file and offset.
//!
//! Caveats: journal space is fallocated before it is written, so a full
//! disk is an error from `append` (never SIGBUS) on filesystems with
//! fallocate; where it is unsupported the file is only extended
//! (sparse). Nothing else may truncate the journal while it is open.

mod ahead;
pub(super) mod format;
mod journal;
mod reader;
mod seqfile;
mod store;
mod syncer;
pub(super) mod sys;
pub(super) mod upkeep;

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub use reader::StoreReader;
pub use store::FileStore;

use super::{FileMode, FsyncPolicy, StoreError, StoreResult};

/// The parts of a FIX session ID that name its store files.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct StoreId {
    /// BeginString (8), e.g. `FIX.4.4` or `FIXT.1.1`.
    pub begin_string: String,
    /// SenderCompID (49).
    pub sender_comp_id: String,
    /// SenderSubID (50); empty if unused.
    pub sender_sub_id: String,
    /// SenderLocationID (142); empty if unused.
    pub sender_location_id: String,
    /// TargetCompID (56).
    pub target_comp_id: String,
    /// TargetSubID (57); empty if unused.
    pub target_sub_id: String,
    /// TargetLocationID (143); empty if unused.
    pub target_location_id: String,
    /// SessionQualifier; empty if unused.
    pub qualifier: String,
}

impl StoreId {
    /// An ID from the three mandatory parts.
    pub fn new(begin_string: &str, sender_comp_id: &str, target_comp_id: &str) -> Self {
        Self {
            begin_string: begin_string.to_owned(),
            sender_comp_id: sender_comp_id.to_owned(),
            target_comp_id: target_comp_id.to_owned(),
            ..Self::default()
        }
    }

    /// The file name prefix. Bytes other than ASCII letters, digits and
    /// `.-_+=@#,~` are written as `%XX` so any ID gives a valid file name.
    pub fn file_prefix(&self) -> String {
        let mut s = String::new();
        push_escaped(&mut s, &self.begin_string);
        s.push('-');
        push_party(
            &mut s,
            &self.sender_comp_id,
            &self.sender_sub_id,
            &self.sender_location_id,
        );
        s.push('-');
        push_party(
            &mut s,
            &self.target_comp_id,
            &self.target_sub_id,
            &self.target_location_id,
        );
        if !self.qualifier.is_empty() {
            s.push('-');
            push_escaped(&mut s, &self.qualifier);
        }
        s
    }
}

fn push_party(s: &mut String, comp: &str, sub: &str, location: &str) {
    push_escaped(s, comp);
    if !sub.is_empty() {
        s.push('_');
        push_escaped(s, sub);
    }
    if !location.is_empty() {
        s.push('_');
        push_escaped(s, location);
    }
}

fn push_escaped(s: &mut String, part: &str) {
    for b in part.bytes() {
        if b.is_ascii_alphanumeric() || b".-_+=@#,~".contains(&b) {
            s.push(char::from(b));
        } else {
            s.push_str(&format!("%{b:02X}"));
        }
    }
}

/// The paths of one session's store files.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreFiles {
    dir: PathBuf,
    prefix: String,
}

impl StoreFiles {
    /// Files for `id` under `dir` (the FileStorePath).
    pub fn new(dir: impl Into<PathBuf>, id: &StoreId) -> Self {
        Self::with_prefix(dir, id.file_prefix())
    }

    /// Files named `<prefix>.*` under `dir`.
    pub fn with_prefix(dir: impl Into<PathBuf>, prefix: impl Into<String>) -> Self {
        Self {
            dir: dir.into(),
            prefix: prefix.into(),
        }
    }

    /// Every session store under `dir` (one per `*.seqnums` file), sorted.
    pub fn list(dir: &Path) -> StoreResult<Vec<Self>> {
        let rd = std::fs::read_dir(dir).map_err(|e| StoreError::io("readdir", dir, e))?;
        let mut out = Vec::new();
        for entry in rd {
            let entry = entry.map_err(|e| StoreError::io("readdir", dir, e))?;
            let name = entry.file_name();
            if let Some(prefix) = name.to_str().and_then(|n| n.strip_suffix(".seqnums")) {
                out.push(Self::with_prefix(dir, prefix));
            }
        }
        out.sort_by(|a, b| a.prefix.cmp(&b.prefix));
        Ok(out)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The file name prefix.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    fn file(&self, suffix: &str) -> PathBuf {
        self.dir.join(format!("{}.{suffix}", self.prefix))
    }

    /// `<prefix>.journal`.
    pub fn journal(&self) -> PathBuf {
        self.file("journal")
    }

    /// `<prefix>.seqnums`.
    pub fn seqnums(&self) -> PathBuf {
        self.file("seqnums")
    }

    /// `<prefix>.lock`.
    pub fn lock(&self) -> PathBuf {
        self.file("lock")
    }

    /// Where the journal of `generation` is kept after a reset, if archived.
    pub fn archived_journal(&self, generation: u64) -> PathBuf {
        self.file(&format!("journal.{generation}"))
    }

    /// Where a reset with a `FileStoreBackupPath` of `dir` moves the
    /// journal of `generation`.
    pub fn backup_journal(&self, dir: &Path, generation: u64) -> PathBuf {
        dir.join(format!("{}.journal.{generation}", self.prefix))
    }

    /// Where a reset with a `FileStoreBackupPath` of `dir` keeps the
    /// sequence numbers `generation` ended with (a seqnum file).
    pub fn backup_seqnums(&self, dir: &Path, generation: u64) -> PathBuf {
        dir.join(format!("{}.seqnums.{generation}", self.prefix))
    }
}

/// File store settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileStoreOptions {
    /// `StoreFsync`: when data is forced to disk.
    pub fsync: FsyncPolicy,
    /// Journal growth step in bytes (rounded up to the page size). Each
    /// segment is fallocated and mapped when needed or, from `sync`, ahead
    /// of need. Default 16 MiB (fallocated per session: lower it for
    /// acceptors with thousands of sessions).
    pub segment_bytes: usize,
    /// Largest journal size; appends beyond it fail with
    /// [`StoreError::JournalFull`]. Default 1 TiB. (Address space is
    /// reserved in doubling steps, not all up front.)
    pub max_journal_bytes: usize,
    /// Keep the replaced journal on reset as `<prefix>.journal.<gen>`
    /// instead of deleting it. Default false (QuickFIX deletes).
    pub archive_on_reset: bool,
    /// `FileStoreBackupPath`: a reset moves the replaced journal here as
    /// `<prefix>.journal.<gen>`, beside `<prefix>.seqnums.<gen>` (the
    /// sequence numbers it ended with), instead of deleting it or keeping
    /// it next to the store. Created when needed. Default `None`.
    pub backup_dir: Option<PathBuf>,
    /// `FilePermissions`: mode of the files created (journal, seqnums,
    /// lock, backups) and of directories made for them. Default `0600`.
    pub mode: FileMode,
    /// `StoreUpkeepThread`: a process-wide helper thread allocates the
    /// journal's next segment and faults its pages in ahead of the writer,
    /// instead of idle-time steps on the caller's thread (which keeps
    /// mapping segments and readying the index). For hosts with a spare
    /// core. Default false.
    pub upkeep_thread: bool,
    /// Fault in mapped pages writable ahead of use (MADV_POPULATE_WRITE,
    /// a 2 MiB window after the write position, advanced by upkeep steps)
    /// so appends take no page faults. Default true.
    pub prefault: bool,
}

impl Default for FileStoreOptions {
    fn default() -> Self {
        Self {
            fsync: FsyncPolicy::Never,
            segment_bytes: 16 << 20,
            max_journal_bytes: 1 << 40,
            archive_on_reset: false,
            backup_dir: None,
            mode: FileMode::PRIVATE,
            upkeep_thread: false,
            prefault: true,
        }
    }
}

impl FileStoreOptions {
    /// Segment size rounded up to a whole number of pages.
    fn segment(&self) -> usize {
        let page = sys::page_size();
        self.segment_bytes.max(page).div_ceil(page) * page
    }
}

/// True when a process (this one included, through another open) holds the
/// store of `files`. The `ringfix store` tools refuse to modify it then.
pub fn is_locked(files: &StoreFiles) -> StoreResult<bool> {
    let path = files.lock();
    let file = match File::open(&path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(e) => return Err(StoreError::io("open", &path, e)),
    };
    let free = sys::try_flock(&file, false).map_err(|e| StoreError::io("flock", &path, e))?;
    Ok(!free)
}

/// How long [`lock`] keeps trying before it reports the store as locked.
/// A child being spawned by any thread of this process holds copies of our
/// descriptors, and so this lock, until its `exec`: a lock released just
/// before such a spawn looks taken for a moment. Another owner holds it for
/// good and is still refused.
const LOCK_GRACE: Duration = Duration::from_millis(100);

/// Takes the exclusive lock of `files`, creating the lock file.
fn lock(files: &StoreFiles, mode: FileMode) -> StoreResult<File> {
    let path = files.lock();
    let mut options = mode.options();
    options.read(true).write(true).create(true).truncate(false);
    let file = mode
        .open(&options, &path)
        .map_err(|e| StoreError::io("open", &path, e))?;
    let start = Instant::now();
    let mut pause = Duration::from_millis(1);
    loop {
        if sys::try_flock(&file, true).map_err(|e| StoreError::io("flock", &path, e))? {
            return Ok(file);
        }
        if start.elapsed() >= LOCK_GRACE {
            return Err(StoreError::Locked { path });
        }
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(20));
    }
}

/// fsync of a directory, making renames and creations in it durable.
fn sync_dir(dir: &Path) -> StoreResult<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| StoreError::io("fsync", dir, e))
}
