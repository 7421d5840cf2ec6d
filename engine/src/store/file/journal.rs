//! The journal writer: records copied into a shared mapping of a file grown
//! in preallocated segments (see `format` for the layout).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::format::{
    nonzero_end, record_crc, record_size, scan, valid_record_after, JournalHeader, ScanEnd,
    JOURNAL_HEADER, RECORD_HEADER,
};
use super::sys::{page_size, preallocate, write_zeros, Region};
use crate::store::index::SeqIndex;
use crate::store::{FileMode, StoreError, StoreResult};

/// How far ahead of the write position pages are faulted in writable.
const PREFAULT_AHEAD: usize = 2 << 20;
/// Most bytes faulted in per `prepare` call (the deadline fallback, when
/// idle upkeep falls behind: about 0.1 ms of work).
const PREFAULT_STEP: usize = 256 << 10;
/// Most bytes faulted in per idle [`upkeep_step`](Journal::upkeep_step):
/// a few microseconds, the most a message arriving meanwhile waits.
pub(crate) const IDLE_STEP: usize = 16 << 10;

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
    path: PathBuf,
    file: File,
    map: Region,
    header: JournalHeader,
    segment: usize,
    /// Largest journal size (`max_journal_bytes`).
    limit: usize,
    prefault: bool,
    /// Pages before this offset have been faulted in writable.
    faulted: usize,
    /// Bytes faulted in since open (a counter).
    prefaulted: u64,
    /// Where the next record goes.
    pos: usize,
    /// Bytes before this offset are known to be on disk.
    synced: usize,
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
            pos,
            synced: pos,
        };
        while journal.prefault_step(PREFAULT_STEP) {}
        Ok(Opened::Journal(journal))
    }

    /// End of the window to keep faulted in: [`PREFAULT_AHEAD`] bytes
    /// after the write position (page aligned), within the mapping.
    fn prefault_target(&self) -> usize {
        (self.pos + PREFAULT_AHEAD)
            .next_multiple_of(page_size())
            .min(self.map.mapped())
    }

    /// Faults in the next `step` bytes (at most) of the window; false when
    /// the window is done. Bounded work, so it may run on the reactor.
    fn prefault_step(&mut self, step: usize) -> bool {
        if !self.prefault {
            return false;
        }
        let page = page_size();
        // Page aligned: madvise rejects an unaligned start.
        let target = self.prefault_target();
        if self.faulted < self.pos {
            self.faulted = self.pos - self.pos % page;
        }
        if self.faulted >= target {
            return false;
        }
        let n = step.max(page).min(target - self.faulted);
        // The bytes are written with pwrite first: the first store into a
        // fallocated page through the mapping took 1-2.6 ms at times here
        // (ext4 converting the unwritten extent on the fault path), a
        // pwrite of the same 16 KiB at most 0.06 ms, after which the fault
        // only maps the page. Only bytes after `pos` (none written yet,
        // zero already) are touched, and never past the file's end (a
        // journal shortened under us is reported, not extended).
        let from = self.faulted.max(self.pos);
        let end = self.faulted + n;
        let zeroed = match self.file.metadata() {
            Ok(m) if m.len() >= end as u64 => write_zeros(&self.file, from, end),
            Ok(_) => Err(std::io::Error::from_raw_os_error(libc::EFAULT)),
            Err(e) => Err(e),
        };
        if let Err(e) = zeroed.and_then(|()| self.map.prefault(self.faulted, n)) {
            // Appends still work, taking the page faults themselves.
            tracing::warn!(path = %self.path.display(), error = %e, "store journal: prefault failed, disabled");
            self.prefault = false;
            return false;
        }
        self.faulted += n;
        self.prefaulted += n as u64;
        true
    }

    /// Bytes faulted in so far by this journal (for tests and stats).
    pub(crate) fn prefaulted(&self) -> u64 {
        self.prefaulted
    }

    /// True when less than `left` bytes of mapped space remain and the
    /// limit allows another segment.
    fn grow_due(&self, left: usize) -> bool {
        let mapped = self.map.mapped();
        mapped - self.pos < left && mapped + self.segment <= self.limit
    }

    /// True when [`upkeep_step`](Self::upkeep_step) has work: the next
    /// segment to map (a quarter of the mapped space left), or pages of the
    /// window not yet faulted in.
    pub(crate) fn upkeep_due(&self) -> bool {
        self.grow_due(self.segment / 4)
            || self.prefault && self.faulted.max(self.pos) < self.prefault_target()
    }

    /// One small step of upkeep, for idle time: maps the next segment when
    /// due, else faults in at most [`IDLE_STEP`] bytes. True while more
    /// remains.
    pub(crate) fn upkeep_step(&mut self) -> StoreResult<bool> {
        if self.grow_due(self.segment / 4) {
            self.grow(self.map.mapped() + 1)?;
        } else {
            self.prefault_step(IDLE_STEP);
        }
        Ok(self.upkeep_due())
    }

    /// Whether prefaulting is (still) on: it turns itself off on error.
    pub(crate) fn prefaulting(&self) -> bool {
        self.prefault
    }

    /// True when [`prepare`](Self::prepare) (the fallback from a deadline)
    /// has work: idle upkeep fell behind, leaving less than an eighth of a
    /// segment mapped or less than half the window faulted in.
    pub(crate) fn maintenance_due(&self) -> bool {
        self.grow_due(self.segment / 8) || self.prefault_behind()
    }

    /// Less than half the window ahead is faulted in.
    fn prefault_behind(&self) -> bool {
        self.prefault && self.faulted < (self.pos + PREFAULT_AHEAD / 2).min(self.map.mapped())
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
            preallocate(&self.file, at as u64, self.segment as u64)
                .map_err(|e| StoreError::allocating(&self.path, self.segment as u64, e))?;
            self.map
                .map_next(&self.file, self.segment, true)
                .map_err(|e| StoreError::io("mmap", &self.path, e))?;
        }
        Ok(())
    }

    /// Maps the journal into a fresh reservation of at least `need` bytes
    /// (double the old one, up to the limit). Rare: log2 of the growth.
    #[cold]
    fn move_to_larger_region(&mut self, need: usize) -> StoreResult<()> {
        let cap = (self.map.capacity() * 2)
            .max(need)
            .min(self.limit.max(need))
            .div_ceil(self.segment)
            * self.segment;
        let io = |e| StoreError::io("mmap", &self.path, e);
        let mut map = Region::reserve(cap).map_err(io)?;
        map.map_next(&self.file, self.map.mapped(), true)
            .map_err(io)?;
        self.map = map;
        // The new mapping has no pages yet: upkeep faults them in again.
        self.faulted = 0;
        Ok(())
    }

    /// The fallback when idle upkeep falls behind (from `sync`): maps the
    /// next segment when less than an eighth of the mapped space is left,
    /// and faults in the next [`PREFAULT_STEP`] bytes while less than half
    /// the window is.
    pub(crate) fn prepare(&mut self) -> StoreResult<()> {
        if self.grow_due(self.segment / 8) {
            self.grow(self.map.mapped() + 1)?;
        }
        if self.prefault_behind() {
            self.prefault_step(PREFAULT_STEP);
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
