//! The seqnum file: sequence numbers, generation and creation time in two
//! alternating slots of a shared mapping (updates cost no syscall).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

use super::format::{newest_slot, seq_file_image, SeqState, SEQ_FILE_LEN, SLOTS};
use super::sys::Region;
use crate::store::{FileMode, StoreError, StoreResult};

/// Open, mapped seqnum file.
#[derive(Debug)]
pub(crate) struct SeqFile {
    path: PathBuf,
    file: File,
    map: Region,
    /// Slot holding the newest state.
    active: usize,
    counter: u64,
    state: SeqState,
}

impl SeqFile {
    /// Writes a new seqnum file at `path` (through a temporary file and a
    /// rename, so a crash never leaves a half-written one).
    pub(crate) fn create(path: &Path, state: &SeqState, mode: FileMode) -> StoreResult<()> {
        let tmp = path.with_extension("seqnums.tmp");
        let io = |op, e| StoreError::io(op, &tmp, e);
        let mut f = mode.create_fresh(&tmp).map_err(|e| io("create", e))?;
        f.write_all(&seq_file_image(state))
            .map_err(|e| io("write", e))?;
        f.sync_all().map_err(|e| io("fsync", e))?;
        std::fs::rename(&tmp, path).map_err(|e| StoreError::io("rename", path, e))
    }

    /// Opens and maps an existing seqnum file.
    pub(crate) fn open(path: &Path) -> StoreResult<Self> {
        let io = |op, e| StoreError::io(op, path, e);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .map_err(|e| io("open", e))?;
        let len = file.metadata().map_err(|e| io("stat", e))?.len();
        if len < SEQ_FILE_LEN as u64 {
            return Err(StoreError::Corrupt {
                path: path.to_owned(),
                offset: len,
                reason: format!("seqnum file is {len} bytes, expected {SEQ_FILE_LEN}"),
            });
        }
        let mut map = Region::reserve(SEQ_FILE_LEN).map_err(|e| io("mmap", e))?;
        map.map_next(&file, SEQ_FILE_LEN, true)
            .map_err(|e| io("mmap", e))?;
        let (active, counter, state) =
            newest_slot(map.bytes()).map_err(|why| StoreError::Corrupt {
                path: path.to_owned(),
                offset: 0,
                reason: why.to_owned(),
            })?;
        Ok(Self {
            path: path.to_owned(),
            file,
            map,
            active,
            counter,
            state,
        })
    }

    /// The open file.
    pub(crate) fn file(&self) -> &File {
        &self.file
    }

    /// The current state.
    pub(crate) fn state(&self) -> &SeqState {
        &self.state
    }

    /// Makes `state` current: written into the inactive slot, which then
    /// becomes the active one. In the page cache on return.
    #[inline]
    pub(crate) fn write(&mut self, state: SeqState) {
        let next = 1 - self.active.min(1);
        let counter = self.counter.wrapping_add(1).max(1);
        let image = state.encode(counter);
        let at = SLOTS[next];
        if let Some(slot) = self.map.bytes_mut().get_mut(at..at + image.len()) {
            slot.copy_from_slice(&image);
        }
        self.active = next;
        self.counter = counter;
        self.state = state;
    }

    /// Forces the file to disk.
    pub(crate) fn sync(&self) -> StoreResult<()> {
        self.map
            .sync(0, SEQ_FILE_LEN)
            .map_err(|e| StoreError::io("msync", &self.path, e))
    }
}
