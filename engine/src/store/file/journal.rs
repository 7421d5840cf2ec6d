//! The journal writer: records copied into a shared mapping of a file grown
//! in preallocated segments (see `format` for the layout).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::ahead::Ahead;
use super::format::{
    nonzero_end, record_crc, record_size, scan, valid_record_after, JournalHeader, ScanEnd,
    JOURNAL_HEADER, RECORD_HEADER,
};
use super::sys::{page_size, preallocate, Region};
use crate::store::index::SeqIndex;
use crate::store::{FileMode, StoreError, StoreResult};

/// The bytes a journal whose header says `segment` grows by: that size
/// rounded up to this machine's page, if it is one the format allows
/// (whole 4 KiB units, at most 1 TiB); `None` otherwise.
pub(crate) fn growth_step(segment: u64) -> Option<usize> {
    const UNIT: u64 = 4096;
    (segment >= UNIT && segment % UNIT == 0 && segment <= 1 << 40)
        .then(|| usize::try_from(segment).ok())
        .flatten()
        .map(|s| s.next_multiple_of(page_size()))
}

/// Open journal, positioned after its last valid record.
#[derive(Debug)]
pub(crate) struct Journal {
    pub(super) path: PathBuf,
    pub(super) file: File,
    pub(super) map: Region,
    header: JournalHeader,
    pub(super) segment: usize,
    /// Largest journal size (`max_journal_bytes`).
    pub(super) limit: usize,
    pub(super) prefault: bool,
    /// Pages before this offset have been faulted in writable.
    pub(super) faulted: usize,
    /// Bytes faulted in since open (a counter).
    pub(super) prefaulted: u64,
    /// File bytes allocated (fallocated): the next segment is allocated
    /// in steps before it is mapped.
    pub(super) allocated: usize,
    /// A region the journal moved out of, unmapped in steps.
    pub(super) retired: Option<Region>,
    /// Bytes the last upkeep step worked on (see `upkeep`).
    pub(super) last_step: usize,
    /// Where the next record goes.
    pub(super) pos: usize,
    /// Bytes before this offset are known to be on disk, or being forced
    /// there by a group commit already asked for.
    pub(super) synced: usize,
    /// The upkeep thread's share (`StoreUpkeepThread=Y`), if attached.
    pub(super) ahead: Option<Arc<Ahead>>,
}

/// Result of opening a journal file.
pub(crate) enum Opened {
    /// The journal, recovered.
    Journal(Journal),
    /// No valid header and nothing after it: a creation cut short. The
    /// caller writes a new journal.
    Blank,
}

impl Journal {
    /// Writes a new, empty journal at `path` through a temporary file and
    /// a rename. With `archive`, the journal being replaced is first
    /// hard-linked there.
    pub(crate) fn create(
        path: &Path,
        header: &JournalHeader,
        archive: Option<&Path>,
        mode: FileMode,
    ) -> StoreResult<()> {
        let tmp = path.with_extension("journal.tmp");
        let io = |op, e| StoreError::io(op, &tmp, e);
        let mut f = mode.create_fresh(&tmp).map_err(|e| io("create", e))?;
        f.write_all(&header.encode()).map_err(|e| io("write", e))?;
        f.sync_all().map_err(|e| io("fsync", e))?;
        drop(f);
        if let Some(archive) = archive {
            if path.exists() {
                keep_as(path, archive)?;
            }
        }
        std::fs::rename(&tmp, path).map_err(|e| StoreError::io("rename", path, e))
    }

    /// Opens `path`, verifies every record (feeding `index`), truncates a
    /// torn tail and fails on damage followed by valid records.
    pub(crate) fn open(
        path: &Path,
        default_segment: usize,
        limit: usize,
        prefault: bool,
        index: &mut SeqIndex,
    ) -> StoreResult<Opened> {
        let io = |op, e| StoreError::io(op, path, e);
        let corrupt = |offset: usize, reason: String| StoreError::Corrupt {
            path: path.to_owned(),
            offset: offset as u64,
            reason,
        };
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| io("open", e))?;
        let len = file.metadata().map_err(|e| io("stat", e))?.len();
        let len = usize::try_from(len).map_err(|_| corrupt(0, "journal too large".into()))?;
        let mut head = [0u8; JOURNAL_HEADER];
        let got = read_prefix(&mut file, &mut head).map_err(|e| io("read", e))?;
        let mut header = JournalHeader::decode(&head[..got]);
        if let Ok(h) = &mut header {
            if len <= JOURNAL_HEADER && h.segment != default_segment as u64 {
                // Only a header: its first segment was never allocated
                // (e.g. no room at the last start). It holds nothing, so
                // it takes the configured size, which may be the one
                // lowered to fit.
                h.segment = default_segment as u64;
                use std::os::unix::fs::FileExt;
                file.write_all_at(&h.encode(), 0)
                    .map_err(|e| io("write", e))?;
            }
        }
        // The journal grows by the segment size in its header, whatever
        // the configured one (which applies to journals created from now
        // on): the layout does not depend on it, but a size read wrongly
        // must not be trusted, so only sane values are.
        let segment = match header {
            Ok(h) => growth_step(h.segment)
                .ok_or_else(|| corrupt(32, format!("bad segment size {}", h.segment)))?,
            Err(_) => default_segment,
        };
        let target = len
            .div_ceil(segment)
            .max(1)
            .checked_mul(segment)
            .ok_or_else(|| corrupt(0, "journal too large".into()))?;
        if len < target {
            let needed = (target - len) as u64;
            preallocate(&file, len as u64, needed)
                .map_err(|e| StoreError::allocating(path, needed, e))?;
        }
        // Address space grows by doubling (see `grow`), so many sessions
        // per process do not exhaust it up front.
        let limit = limit.max(target);
        let reserve = (target * 4).min(limit).div_ceil(segment) * segment;
        let mut map = Region::reserve(reserve).map_err(|e| io("mmap", e))?;
        map.map_next(&file, target, true)
            .map_err(|e| io("mmap", e))?;

        let header = match header {
            Ok(h) => h,
            Err(why) => {
                // A torn header alone is a creation cut short; records
                // behind a bad header are damage.
                if nonzero_end(map.bytes(), JOURNAL_HEADER) > JOURNAL_HEADER {
                    return Err(corrupt(0, why.to_owned()));
                }
                return Ok(Opened::Blank);
            }
        };

        let end = scan(map.bytes(), |seq, off| index.insert(seq, off as u64));
        let pos = end.offset();
        let junk_end = nonzero_end(map.bytes(), pos);
        if junk_end > pos {
            if let Some(next) = valid_record_after(map.bytes(), pos) {
                let why = match end {
                    ScanEnd::Damaged(_, why) => why,
                    ScanEnd::Clean(_) => "zero record header",
                };
                return Err(corrupt(
                    pos,
                    format!("{why}, but a valid record follows at offset {next}"),
                ));
            }
            tracing::warn!(
                path = %path.display(),
                offset = pos,
                bytes = junk_end - pos,
                "store journal: discarding torn tail"
            );
            if let Some(tail) = map.bytes_mut().get_mut(pos..junk_end) {
                tail.fill(0);
            }
        }
        let mut journal = Self {
            path: path.to_owned(),
            file,
            map,
            header,
            segment,
            limit,
            prefault,
            faulted: 0,
            prefaulted: 0,
            allocated: target,
            retired: None,
            last_step: 0,
            pos,
            synced: pos,
            ahead: None,
        };
        while journal.prefault_step(super::upkeep::OPEN_STEP) {}
        journal.last_step = 0;
        Ok(Opened::Journal(journal))
    }

    /// Copies one record into the mapping; returns its offset.
    #[inline]
    pub(crate) fn append(&mut self, seq: u64, bytes: &[u8]) -> StoreResult<usize> {
        let len =
            u32::try_from(bytes.len()).map_err(|_| StoreError::TooLarge { len: bytes.len() })?;
        let off = self.pos;
        let end = off + record_size(bytes.len());
        if end > self.map.mapped() {
            self.grow(end)?;
        }
        let body = off + RECORD_HEADER;
        let dst = self
            .map
            .bytes_mut()
            .get_mut(body..body + bytes.len())
            .ok_or(StoreError::TooLarge { len: bytes.len() })?;
        dst.copy_from_slice(bytes);
        let crc = record_crc(seq, len, bytes);
        // Header last, seq word last of all: a reader (or recovery) that
        // sees a non-zero seq sees the whole record.
        self.map
            .publish_u64(off + 8, u64::from(len) | (u64::from(crc) << 32));
        self.map.publish_u64(off, seq);
        self.pos = end;
        if let Some(a) = &self.ahead {
            a.pos.store(end, Ordering::Relaxed);
        }
        Ok(off)
    }

    /// Maps more segments until `end` bytes are mapped.
    #[cold]
    fn grow(&mut self, end: usize) -> StoreResult<()> {
        while self.map.mapped() < end {
            let at = self.map.mapped();
            if at + self.segment > self.limit {
                return Err(StoreError::JournalFull {
                    path: self.path.clone(),
                    limit: self.limit as u64,
                });
            }
            if at + self.segment > self.map.capacity() {
                self.move_to_larger_region(at + self.segment)?;
            }
            while self.allocate_step(usize::MAX)? {}
            self.map_segment()?;
        }
        Ok(())
    }

    /// Body of the record at `off`.
    pub(crate) fn body(&self, off: u64) -> Option<&[u8]> {
        let off = usize::try_from(off).ok()?;
        let len = super::format::le32(self.map.bytes(), off + 8) as usize;
        self.map
            .bytes()
            .get(off + RECORD_HEADER..off + RECORD_HEADER + len)
    }

    /// True when records were appended since the last [`sync`](Self::sync).
    pub(crate) fn dirty(&self) -> bool {
        self.synced < self.pos
    }

    /// Forces everything appended so far to disk.
    pub(crate) fn sync(&mut self) -> StoreResult<()> {
        if self.synced < self.pos {
            self.map
                .sync(self.synced, self.pos - self.synced)
                .map_err(|e| StoreError::io("msync", &self.path, e))?;
            self.synced = self.pos;
        }
        Ok(())
    }

    /// Everything appended so far counts as on its way to disk: a group
    /// commit covering it was asked for.
    pub(crate) fn mark_requested(&mut self) {
        self.synced = self.pos;
    }

    /// Forces the whole file to disk (closing: whatever is pending).
    pub(crate) fn sync_all(&mut self) -> StoreResult<()> {
        self.file
            .sync_data()
            .map_err(|e| StoreError::io("fdatasync", &self.path, e))?;
        self.synced = self.pos;
        Ok(())
    }

    /// The open file.
    pub(crate) fn file(&self) -> &File {
        &self.file
    }

    /// The journal header.
    pub(crate) fn header(&self) -> &JournalHeader {
        &self.header
    }

    /// Bytes used (header and records).
    pub(crate) fn used(&self) -> u64 {
        self.pos as u64
    }

    /// Bytes allocated on disk (file length).
    pub(crate) fn allocated(&self) -> u64 {
        self.map.mapped() as u64
    }
}

impl Drop for Journal {
    /// The upkeep thread lets go of the mapping before it is unmapped.
    fn drop(&mut self) {
        if let Some(a) = &self.ahead {
            a.detach();
        }
    }
}

/// Makes `archive` a copy of the journal at `path` before a reset replaces
/// it: a hard link, or a copy when `archive` is on another filesystem. An
/// `archive` left by a reset cut short (same generation) is replaced.
fn keep_as(path: &Path, archive: &Path) -> StoreResult<()> {
    match std::fs::remove_file(archive) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(StoreError::io("unlink", archive, e));
        }
        _ => {}
    }
    match std::fs::hard_link(path, archive) {
        Err(e) if e.raw_os_error() == Some(libc::EXDEV) => std::fs::copy(path, archive)
            .and_then(|_| File::open(archive)?.sync_all())
            .map_err(|e| StoreError::io("copy", archive, e)),
        r => r.map_err(|e| StoreError::io("link", archive, e)),
    }
}

/// Reads up to `buf.len()` bytes from the start of `file`.
fn read_prefix(file: &mut File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read(&mut buf[got..])? {
            0 => break,
            n => got += n,
        }
    }
    Ok(got)
}
