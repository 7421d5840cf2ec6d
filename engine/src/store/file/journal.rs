//! The journal writer: records copied into a shared mapping of a file grown
//! in preallocated segments (see `format` for the layout).

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::format::{
    nonzero_end, record_crc, record_size, scan, valid_record_after, JournalHeader, ScanEnd,
    JOURNAL_HEADER, RECORD_HEADER,
};
use super::sys::{page_size, preallocate, Region};
use crate::store::index::SeqIndex;
use crate::store::{StoreError, StoreResult};

/// How far ahead of the write position pages are faulted in writable.
const PREFAULT_AHEAD: usize = 4 << 20;
/// Most bytes faulted in per `prepare` call (about 0.1 ms of work).
const PREFAULT_STEP: usize = 256 << 10;

/// Open journal, positioned after its last valid record.
#[derive(Debug)]
pub(crate) struct Journal {
    path: PathBuf,
    file: File,
    map: Region,
    header: JournalHeader,
    segment: usize,
    prefault: bool,
    /// Pages before this offset have been faulted in writable.
    faulted: usize,
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
    ) -> StoreResult<()> {
        let tmp = path.with_extension("journal.tmp");
        let io = |op, e| StoreError::io(op, &tmp, e);
        let mut f = File::create(&tmp).map_err(|e| io("create", e))?;
        f.write_all(&header.encode()).map_err(|e| io("write", e))?;
        f.sync_all().map_err(|e| io("fsync", e))?;
        drop(f);
        if let Some(archive) = archive {
            if path.exists() {
                std::fs::hard_link(path, archive)
                    .map_err(|e| StoreError::io("link", archive, e))?;
            }
        }
        std::fs::rename(&tmp, path).map_err(|e| StoreError::io("rename", path, e))
    }

    /// Opens `path`, verifies every record (feeding `index`), truncates a
    /// torn tail and fails on damage followed by valid records.
    pub(crate) fn open(
        path: &Path,
        default_segment: usize,
        capacity: usize,
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
        let header = JournalHeader::decode(&head[..got]);
        let segment = match header {
            Ok(h) => usize::try_from(h.segment)
                .ok()
                .filter(|&s| s >= page_size() && s % page_size() == 0)
                .ok_or_else(|| corrupt(32, format!("bad segment size {}", h.segment)))?,
            Err(_) => default_segment,
        };
        let target = len.div_ceil(segment).max(1) * segment;
        if len < target {
            preallocate(&file, len as u64, (target - len) as u64)
                .map_err(|e| io("fallocate", e))?;
        }
        let capacity = capacity.max(target).div_ceil(segment) * segment;
        let mut map = Region::reserve(capacity).map_err(|e| io("mmap", e))?;
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
            prefault,
            faulted: 0,
            pos,
            synced: pos,
        };
        while journal.prefault_step() {}
        Ok(Opened::Journal(journal))
    }

    /// Faults in the next [`PREFAULT_STEP`] bytes of the window of
    /// [`PREFAULT_AHEAD`] bytes after the write position; false when the
    /// window is done. Bounded work, so `sync` can call it from the reactor.
    fn prefault_step(&mut self) -> bool {
        if !self.prefault {
            return false;
        }
        let page = page_size();
        // Page aligned: madvise rejects an unaligned start.
        let target = (self.pos + PREFAULT_AHEAD)
            .next_multiple_of(page)
            .min(self.map.mapped());
        if self.faulted < self.pos {
            self.faulted = self.pos - self.pos % page;
        }
        if self.faulted >= target {
            return false;
        }
        let n = PREFAULT_STEP.min(target - self.faulted);
        if let Err(e) = self.map.prefault(self.faulted, n) {
            // Appends still work, taking the page faults themselves.
            tracing::warn!(path = %self.path.display(), error = %e, "store journal: prefault failed, disabled");
            self.prefault = false;
            return false;
        }
        self.faulted += n;
        true
    }

    /// Whether prefaulting is (still) on: it turns itself off on error.
    #[cfg(test)]
    pub(crate) fn prefaulting(&self) -> bool {
        self.prefault
    }

    /// True when [`prepare`](Self::prepare) has work: the next segment to
    /// map, or pages ahead to fault in.
    pub(crate) fn maintenance_due(&self) -> bool {
        let mapped = self.map.mapped();
        let grow =
            mapped - self.pos < self.segment / 4 && mapped + self.segment <= self.map.capacity();
        let fault = self.prefault && self.faulted < (self.pos + PREFAULT_AHEAD / 2).min(mapped);
        grow || fault
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
            if at + self.segment > self.map.capacity() {
                return Err(StoreError::JournalFull {
                    path: self.path.clone(),
                    limit: self.map.capacity() as u64,
                });
            }
            preallocate(&self.file, at as u64, self.segment as u64)
                .map_err(|e| StoreError::io("fallocate", &self.path, e))?;
            self.map
                .map_next(&self.file, self.segment, true)
                .map_err(|e| StoreError::io("mmap", &self.path, e))?;
        }
        Ok(())
    }

    /// Bounded upkeep off the hot path (from `sync`): maps the next
    /// segment when less than a quarter of the mapped space is left, and
    /// faults in the next pages ahead of the write position.
    pub(crate) fn prepare(&mut self) -> StoreResult<()> {
        let left = self.map.mapped() - self.pos;
        if left < self.segment / 4 && self.map.mapped() + self.segment <= self.map.capacity() {
            self.grow(self.map.mapped() + 1)?;
        }
        self.prefault_step();
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
