//! Read-only inspection of a file store (for `ringfix store show/dump`):
//! takes no lock, changes nothing, and works while an engine owns the
//! store (it then sees a snapshot of the files' state at open).

use std::fs::File;

use super::format::{
    newest_slot, nonzero_end, record_at, scan, valid_record_after, JournalHeader, SeqState,
    JOURNAL_HEADER,
};
use super::sys::{page_size, Region};
use super::{is_locked, StoreFiles};
use crate::store::index::SeqIndex;
use crate::store::{range_end, StoreError, StoreResult, UtcTimestamp};

/// A read-only view of one session's store files.
#[derive(Debug)]
pub struct StoreReader {
    files: StoreFiles,
    state: SeqState,
    header: Option<JournalHeader>,
    map: Option<Region>,
    index: SeqIndex,
    /// End of the valid records.
    used: usize,
    /// Offset of damage at the end that opening for writing would discard.
    torn_tail: Option<u64>,
    file_len: u64,
}

impl StoreReader {
    /// Reads the store of `files`. Fails on a missing seqnum file or on
    /// corruption (with the file and offset).
    pub fn open(files: StoreFiles) -> StoreResult<Self> {
        let seq_path = files.seqnums();
        let image = std::fs::read(&seq_path).map_err(|e| StoreError::io("read", &seq_path, e))?;
        let (_, _, mut state) = newest_slot(&image).map_err(|why| StoreError::Corrupt {
            path: seq_path.clone(),
            offset: 0,
            reason: why.to_owned(),
        })?;
        let mut reader = Self {
            files,
            state,
            header: None,
            map: None,
            index: SeqIndex::default(),
            used: 0,
            torn_tail: None,
            file_len: 0,
        };
        reader.load_journal()?;
        if let Some(h) = reader.header {
            if h.generation > state.generation {
                state = SeqState {
                    generation: h.generation,
                    creation: h.creation,
                    next_sender: 1,
                    next_target: 1,
                    floor: 0,
                };
            } else if h.generation < state.generation {
                reader.index.clear();
            }
        }
        let epoch_max = reader.index.max_seq_from(state.floor);
        if epoch_max >= state.next_sender {
            state.next_sender = epoch_max + 1;
        }
        reader.state = state;
        Ok(reader)
    }

    fn load_journal(&mut self) -> StoreResult<()> {
        let path = self.files.journal();
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(StoreError::io("open", &path, e)),
        };
        let len = file
            .metadata()
            .map_err(|e| StoreError::io("stat", &path, e))?
            .len();
        self.file_len = len;
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        if len == 0 {
            return Ok(());
        }
        let mapped = len.div_ceil(page_size()) * page_size();
        let mut map = Region::reserve(mapped).map_err(|e| StoreError::io("mmap", &path, e))?;
        map.map_next(&file, mapped, false)
            .map_err(|e| StoreError::io("mmap", &path, e))?;
        let corrupt = |offset: usize, reason: String| StoreError::Corrupt {
            path: path.clone(),
            offset: offset as u64,
            reason,
        };
        let buf = map.bytes().get(..len).unwrap_or_default();
        let header = match JournalHeader::decode(buf) {
            Ok(h) => h,
            Err(why) if nonzero_end(buf, JOURNAL_HEADER) > JOURNAL_HEADER => {
                return Err(corrupt(0, why.to_owned()))
            }
            Err(_) => return Ok(()),
        };
        let index = &mut self.index;
        let pos = scan(buf, |seq, off| index.insert(seq, off as u64)).offset();
        if nonzero_end(buf, pos) > pos {
            if let Some(next) = valid_record_after(buf, pos) {
                // A running engine appends while we look: the scan can stop
                // at a record being written and then find the ones written
                // since. Appends are sequential, so that record is whole by
                // now; damage stays damaged.
                if record_at(buf, pos).is_err() {
                    return Err(corrupt(
                        pos,
                        format!("damaged record, but a valid record follows at offset {next}"),
                    ));
                }
            } else {
                self.torn_tail = Some(pos as u64);
            }
        }
        self.used = pos;
        self.header = Some(header);
        self.map = Some(map);
        Ok(())
    }

    fn buf(&self) -> &[u8] {
        self.map.as_ref().map_or(&[], |m| m.bytes())
    }

    /// The files read.
    pub fn files(&self) -> &StoreFiles {
        &self.files
    }

    /// Whether an engine (or tool) currently holds the store.
    pub fn is_locked(&self) -> StoreResult<bool> {
        is_locked(&self.files)
    }

    /// Next sender sequence number as an engine would load it (raised past
    /// the journal's highest).
    pub fn next_sender_seq(&self) -> u64 {
        self.state.next_sender
    }

    /// Next target sequence number.
    pub fn next_target_seq(&self) -> u64 {
        self.state.next_target
    }

    /// Creation time of the session epoch.
    pub fn creation_time(&self) -> UtcTimestamp {
        UtcTimestamp::from_nanos(self.state.creation)
    }

    /// Store generation (bumped by each reset).
    pub fn generation(&self) -> u64 {
        self.state.generation
    }

    /// Lowest and highest stored sequence numbers, if any.
    pub fn seq_range(&self) -> Option<(u64, u64)> {
        self.index.min_seq().map(|lo| (lo, self.index.max_seq()))
    }

    /// Number of distinct stored sequence numbers.
    pub fn message_count(&self) -> usize {
        self.index.len()
    }

    /// Journal bytes holding valid data (header and records).
    pub fn journal_used(&self) -> u64 {
        self.used as u64
    }

    /// Journal file length (preallocated space included).
    pub fn journal_file_len(&self) -> u64 {
        self.file_len
    }

    /// Segment size in the journal's header: the bytes it grows by (the
    /// `StoreSegmentSize` it was created with). `None` without a journal.
    pub fn segment_size(&self) -> Option<u64> {
        self.header.map(|h| h.segment)
    }

    /// Offset of a damaged tail that the next open for writing discards.
    pub fn torn_tail(&self) -> Option<u64> {
        self.torn_tail
    }

    /// Calls `visit(seq, bytes)` for the newest message of each stored
    /// `begin <= seq <= end` (0 = no bound), ascending.
    pub fn get_range(&self, begin: u64, end: u64, visit: &mut dyn FnMut(u64, &[u8])) {
        let buf = self.buf();
        self.index.for_range(begin, range_end(end), |seq, off| {
            if let Ok((_, body)) = record_at(buf, off as usize) {
                if let Some(bytes) = buf.get(body) {
                    visit(seq, bytes);
                }
            }
        });
    }

    /// Calls `visit(seq, offset, bytes)` for every record in journal
    /// order, including ones later replaced by the same sequence number.
    pub fn for_each_record(&self, visit: &mut dyn FnMut(u64, u64, &[u8])) {
        let buf = self.buf().get(..self.used).unwrap_or_default();
        scan(buf, |seq, off| {
            if let Ok((_, body)) = record_at(buf, off) {
                if let Some(bytes) = buf.get(body) {
                    visit(seq, off as u64, bytes);
                }
            }
        });
    }
}
