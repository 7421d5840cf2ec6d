//! The shared page: layout, mapping and the per-slot seqlock. All `unsafe`
//! of the stats module lives here.
//!
//! Layout (native-endian `u64` words, so only readers on the same machine):
//!
//! ```text
//! header (HEADER_BYTES): magic, version, slot bytes, pid, slot count, started ns,
//!   engine role, reactor count
//! slot i (SLOT_BYTES each) at HEADER_BYTES + i * SLOT_BYTES:
//!   word 0          seqlock counter (odd while a write is in progress)
//!   word 1          id length
//!   words 2..=27    session id bytes (ID_MAX)
//!   word 28         hot standby role of the session on this node (0 none,
//!                   1 leader, 2 standby), written outside the seqlock
//!   words 32..      values (`SessionCounters` words), VALUE_WORDS of them
//! reactor r (REACTOR_BYTES each) after the last session slot:
//!   word 0          seqlock counter
//!   words 1..       values (`ReactorCounters` words)
//! ```
//!
//! Everything is accessed as `AtomicU64`, so a reader in another process
//! never races with plain stores. The header and ids are written before
//! the magic (Release), values only under the slot's seqlock.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::ptr::NonNull;
use std::sync::atomic::{fence, AtomicU64, Ordering};

/// `b"RFXSTAT1"` as a little-endian word: identifies a stats page.
pub(crate) const MAGIC: u64 = u64::from_le_bytes(*b"RFXSTAT1");
/// Layout version.
pub(crate) const VERSION: u64 = 2;
/// Header size.
pub(crate) const HEADER_BYTES: usize = 256;
/// Size of one session slot.
pub(crate) const SLOT_BYTES: usize = 1024;
/// Size of one reactor slot.
pub(crate) const REACTOR_BYTES: usize = 64;
/// Longest session id kept (longer ids are cut).
pub(crate) const ID_MAX: usize = 208;
/// Word index of the first value in a slot.
const VALUES_AT: usize = 32;
/// Word of a slot holding the session's hot standby role.
const ROLE_AT: usize = 28;
const _: () = assert!(2 + ID_MAX / 8 <= ROLE_AT && ROLE_AT < VALUES_AT);
/// Number of value words in a slot.
pub(crate) const VALUE_WORDS: usize = SLOT_BYTES / 8 - VALUES_AT;

/// Header word indexes.
pub(crate) mod hdr {
    pub const MAGIC: usize = 0;
    pub const VERSION: usize = 1;
    pub const SLOT_BYTES: usize = 2;
    pub const PID: usize = 3;
    pub const SLOTS: usize = 4;
    pub const STARTED: usize = 5;
    pub const ROLE: usize = 6;
    pub const REACTORS: usize = 7;
}

/// Bytes of a page with `slots` sessions and `reactors` reactors.
pub(crate) fn page_len(slots: usize, reactors: usize) -> usize {
    HEADER_BYTES + slots * SLOT_BYTES + reactors * REACTOR_BYTES
}

/// A shared mapping of a stats file, seen as words.
#[derive(Debug)]
pub(crate) struct Page {
    base: NonNull<AtomicU64>,
    words: usize,
}

// SAFETY: the mapping is only accessed through `AtomicU64`s, which are
// Sync; the pointer stays valid until drop.
unsafe impl Send for Page {}
// SAFETY: as above.
unsafe impl Sync for Page {}

impl Page {
    /// Maps `len` bytes of `file` shared, writable or read-only.
    pub(crate) fn map(file: &File, len: usize, writable: bool) -> io::Result<Self> {
        if len < HEADER_BYTES || len % 8 != 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "not a stats page (bad size)",
            ));
        }
        let prot = if writable {
            libc::PROT_READ | libc::PROT_WRITE
        } else {
            libc::PROT_READ
        };
        // SAFETY: a fresh shared mapping of an open file at a kernel-chosen
        // address; `len` is checked by the kernel against nothing we own.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                prot,
                libc::MAP_SHARED,
                file.as_raw_fd(),
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base =
            NonNull::new(p.cast::<AtomicU64>()).ok_or_else(|| io::Error::other("mmap null"))?;
        Ok(Self {
            base,
            words: len / 8,
        })
    }

    fn words(&self) -> &[AtomicU64] {
        // SAFETY: `base` points to `words` mapped, page-aligned words that
        // live as long as `self`; AtomicU64 has the layout of u64.
        unsafe { std::slice::from_raw_parts(self.base.as_ptr(), self.words) }
    }

    fn word(&self, i: usize) -> Option<&AtomicU64> {
        self.words().get(i)
    }

    /// Header word `i`, 0 when out of range.
    pub(crate) fn header(&self, i: usize) -> u64 {
        self.word(i).map_or(0, |w| w.load(Ordering::Acquire))
    }

    /// Writes header word `i`.
    pub(crate) fn set_header(&self, i: usize, v: u64) {
        if let Some(w) = self.word(i) {
            w.store(v, Ordering::Release);
        }
    }

    /// Whether `slots` sessions and `reactors` reactors fit in the mapping.
    pub(crate) fn fits(&self, slots: usize, reactors: usize) -> bool {
        slots
            .checked_mul(SLOT_BYTES)
            .zip(reactors.checked_mul(REACTOR_BYTES))
            .and_then(|(a, b)| a.checked_add(b))
            .and_then(|n| n.checked_add(HEADER_BYTES))
            .is_some_and(|n| n <= self.words * 8)
    }

    fn slot_words(&self, slot: usize) -> &[AtomicU64] {
        let start = (HEADER_BYTES + slot * SLOT_BYTES) / 8;
        self.words()
            .get(start..start + SLOT_BYTES / 8)
            .unwrap_or_default()
    }

    /// Writes the session id of `slot` (before the page is published).
    pub(crate) fn set_id(&self, slot: usize, id: &str) {
        let words = self.slot_words(slot);
        let bytes = cut(id, ID_MAX).as_bytes();
        if let Some(w) = words.get(1) {
            w.store(bytes.len() as u64, Ordering::Relaxed);
        }
        for (i, chunk) in bytes.chunks(8).enumerate() {
            let mut b = [0u8; 8];
            b.get_mut(..chunk.len())
                .unwrap_or_default()
                .copy_from_slice(chunk);
            if let Some(w) = words.get(2 + i) {
                w.store(u64::from_ne_bytes(b), Ordering::Relaxed);
            }
        }
    }

    /// Writes the hot standby role word of `slot` (a single word: no
    /// seqlock needed, any writer may store it).
    pub(crate) fn set_slot_role(&self, slot: usize, code: u64) {
        if let Some(w) = self.slot_words(slot).get(ROLE_AT) {
            w.store(code, Ordering::Release);
        }
    }

    /// The hot standby role word of `slot`.
    pub(crate) fn slot_role(&self, slot: usize) -> u64 {
        self.slot_words(slot)
            .get(ROLE_AT)
            .map_or(0, |w| w.load(Ordering::Acquire))
    }

    /// The session id of `slot`.
    pub(crate) fn id(&self, slot: usize) -> String {
        let words = self.slot_words(slot);
        let len = words
            .get(1)
            .map_or(0, |w| w.load(Ordering::Relaxed) as usize)
            .min(ID_MAX);
        let mut bytes = Vec::with_capacity(ID_MAX);
        for w in words.get(2..2 + ID_MAX / 8).unwrap_or_default() {
            bytes.extend_from_slice(&w.load(Ordering::Relaxed).to_ne_bytes());
        }
        bytes.truncate(len);
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Seqlock write of `values` into `slot`. Single writer per slot.
    pub(crate) fn write_values(&self, slot: usize, values: &[u64]) {
        write_locked(self.slot_words(slot), VALUES_AT, values);
    }

    /// Seqlock write of the words of `values` that differ from `old`
    /// (what this slot holds): the write window, which readers must wait
    /// out, is only as long as the change. Single writer per slot.
    pub(crate) fn write_changes(&self, slot: usize, values: &[u64], old: &[u64]) {
        let words = self.slot_words(slot);
        let (Some(seq), Some(dst)) = (words.first(), words.get(VALUES_AT..)) else {
            return;
        };
        let s = seq.load(Ordering::Relaxed);
        seq.store(s.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        for ((d, v), o) in dst.iter().zip(values).zip(old) {
            if v != o {
                d.store(*v, Ordering::Relaxed);
            }
        }
        seq.store(s.wrapping_add(2), Ordering::Release);
    }

    /// Seqlock read of `slot` into `out`: false if a write was in progress
    /// or happened meanwhile (retry).
    pub(crate) fn try_read_values(&self, slot: usize, out: &mut [u64]) -> bool {
        try_read_locked(self.slot_words(slot), VALUES_AT, out)
    }

    /// The words of reactor slot `r` (after `slots` session slots).
    fn reactor_words(&self, slots: usize, r: usize) -> &[AtomicU64] {
        let start = (HEADER_BYTES + slots * SLOT_BYTES + r * REACTOR_BYTES) / 8;
        self.words()
            .get(start..start + REACTOR_BYTES / 8)
            .unwrap_or_default()
    }

    /// Seqlock write of reactor `r`'s values. Single writer per slot.
    pub(crate) fn write_reactor(&self, slots: usize, r: usize, values: &[u64]) {
        write_locked(self.reactor_words(slots, r), 1, values);
    }

    /// Seqlock read of reactor `r`'s values into `out`.
    pub(crate) fn try_read_reactor(&self, slots: usize, r: usize, out: &mut [u64]) -> bool {
        try_read_locked(self.reactor_words(slots, r), 1, out)
    }
}

/// Writes `values` at `words[at..]` under the seqlock in `words[0]`.
fn write_locked(words: &[AtomicU64], at: usize, values: &[u64]) {
    let (Some(seq), Some(dst)) = (words.first(), words.get(at..)) else {
        return;
    };
    let s = seq.load(Ordering::Relaxed);
    seq.store(s.wrapping_add(1), Ordering::Relaxed);
    // The odd counter must be visible before any value changes.
    fence(Ordering::Release);
    for (d, v) in dst.iter().zip(values) {
        d.store(*v, Ordering::Relaxed);
    }
    seq.store(s.wrapping_add(2), Ordering::Release);
}

/// Reads `words[at..]` into `out` under the seqlock in `words[0]`.
fn try_read_locked(words: &[AtomicU64], at: usize, out: &mut [u64]) -> bool {
    let (Some(seq), Some(src)) = (words.first(), words.get(at..)) else {
        return false;
    };
    let s1 = seq.load(Ordering::Acquire);
    if s1 & 1 == 1 {
        return false;
    }
    for (o, w) in out.iter_mut().zip(src) {
        *o = w.load(Ordering::Relaxed);
    }
    // Value loads must complete before the counter is read again.
    fence(Ordering::Acquire);
    seq.load(Ordering::Relaxed) == s1
}

impl Drop for Page {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the mapping made in `map`; no reference
        // into it outlives `self`.
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), self.words * 8);
        }
    }
}

/// The longest prefix of `s` of at most `max` bytes on a char boundary.
fn cut(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

/// `flock` without blocking: `Ok(false)` when someone else holds it.
pub(crate) fn try_flock(file: &File, exclusive: bool) -> io::Result<bool> {
    let op = if exclusive {
        libc::LOCK_EX
    } else {
        libc::LOCK_SH
    } | libc::LOCK_NB;
    // SAFETY: flock on an fd we own.
    let rc = unsafe { libc::flock(file.as_raw_fd(), op) };
    if rc == 0 {
        return Ok(true);
    }
    let e = io::Error::last_os_error();
    if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(e)
    }
}

/// Runs `f` when the process exits through `exit(3)` (a return from
/// `main`, `std::process::exit`).
pub(crate) fn at_exit(f: extern "C" fn()) {
    // SAFETY: registers a plain function pointer that never unwinds (it
    // catches every error itself); atexit copies the pointer.
    let rc = unsafe { libc::atexit(f) };
    if rc != 0 {
        tracing::warn!("atexit failed: stats pages may outlive this process");
    }
}

/// Releases a `flock`.
pub(crate) fn unlock(file: &File) {
    // SAFETY: flock on an fd we own.
    unsafe {
        libc::flock(file.as_raw_fd(), libc::LOCK_UN);
    }
}
