//! The few system calls the file store needs, wrapped. All `unsafe` of the
//! store lives here.

use std::fs::File;
use std::io;
use std::os::fd::AsRawFd;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU64, Ordering};

/// Page size used for alignment (mmap offsets, msync ranges).
pub(crate) fn page_size() -> usize {
    // SAFETY: sysconf has no memory-safety preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(n).ok().filter(|&n| n > 0).unwrap_or(4096)
}

fn check(rc: libc::c_int) -> io::Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// A contiguous range of address space reserved up front (PROT_NONE, no
/// memory committed); file segments are mapped into it at fixed offsets so
/// the journal is one flat byte range that never moves.
#[derive(Debug)]
pub(crate) struct Region {
    base: NonNull<u8>,
    len: usize,
    /// `0..mapped` is backed by the file.
    mapped: usize,
}

// SAFETY: the region is plain memory owned by this value; moving it to
// another thread is fine (it is not shared: `&mut` rules apply to writes).
unsafe impl Send for Region {}

impl Region {
    /// Reserves `len` bytes of address space.
    pub(crate) fn reserve(len: usize) -> io::Result<Self> {
        // SAFETY: anonymous PROT_NONE mapping at a kernel-chosen address.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = NonNull::new(p.cast::<u8>()).ok_or_else(|| io::Error::other("mmap null"))?;
        Ok(Self {
            base,
            len,
            mapped: 0,
        })
    }

    /// Maps the next `len` bytes of `file` (from offset `mapped()`) at the
    /// same offset of the region (MAP_SHARED: stores go straight to the
    /// page cache).
    pub(crate) fn map_next(&mut self, file: &File, len: usize, write: bool) -> io::Result<()> {
        let offset = self.mapped;
        let end = offset.checked_add(len).filter(|&e| e <= self.len);
        let Some(end) = end else {
            return Err(io::Error::from_raw_os_error(libc::ENOSPC));
        };
        if offset % page_size() != 0 {
            return Err(io::Error::from_raw_os_error(libc::EINVAL));
        }
        let prot = if write {
            libc::PROT_READ | libc::PROT_WRITE
        } else {
            libc::PROT_READ
        };
        let off =
            libc::off_t::try_from(offset).map_err(|_| io::Error::from_raw_os_error(libc::EFBIG))?;
        // SAFETY: the target range lies inside our own reservation (checked
        // above), so MAP_FIXED replaces only memory this value owns.
        let p = unsafe {
            libc::mmap(
                self.base.as_ptr().add(offset).cast(),
                len,
                prot,
                libc::MAP_SHARED | libc::MAP_FIXED,
                file.as_raw_fd(),
                off,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        self.mapped = end;
        Ok(())
    }

    /// Bytes of the region backed by the file.
    pub(crate) fn mapped(&self) -> usize {
        self.mapped
    }

    /// Bytes of address space reserved.
    pub(crate) fn capacity(&self) -> usize {
        self.len
    }

    /// The mapped bytes.
    pub(crate) fn bytes(&self) -> &[u8] {
        // SAFETY: `0..mapped` is a live file mapping owned by this value.
        unsafe { std::slice::from_raw_parts(self.base.as_ptr(), self.mapped) }
    }

    /// The mapped bytes, writable (only if mapped with `write`).
    pub(crate) fn bytes_mut(&mut self) -> &mut [u8] {
        // SAFETY: as `bytes`; `&mut self` makes the borrow unique in-process.
        unsafe { std::slice::from_raw_parts_mut(self.base.as_ptr(), self.mapped) }
    }

    /// Stores `value` at the 8-aligned `offset` with release ordering, so a
    /// concurrent reader that sees it also sees the bytes written before.
    pub(crate) fn publish_u64(&mut self, offset: usize, value: u64) {
        if offset % 8 != 0 || offset.checked_add(8).is_none_or(|e| e > self.mapped) {
            return;
        }
        // SAFETY: in bounds (checked), 8-aligned (page-aligned base plus an
        // 8-aligned offset), and uniquely borrowed through `&mut self`.
        let cell = unsafe { AtomicU64::from_ptr(self.base.as_ptr().add(offset).cast::<u64>()) };
        cell.store(value.to_le(), Ordering::Release);
    }

    /// Faults `offset..offset+len` in writable so the first store to each
    /// page does not take a fault on the hot path (start aligned down).
    pub(crate) fn prefault(&self, offset: usize, len: usize) -> io::Result<()> {
        let start = offset - offset % page_size();
        let len = len + (offset - start);
        if len == 0 || start.checked_add(len).is_none_or(|e| e > self.mapped) {
            return Ok(());
        }
        // SAFETY: the range is inside the region and page aligned; madvise
        // does not change page contents (POPULATE_WRITE only faults in).
        check(unsafe {
            libc::madvise(
                self.base.as_ptr().add(start).cast(),
                len,
                libc::MADV_POPULATE_WRITE,
            )
        })
    }

    /// Writes back dirty pages of `offset..offset+len` (page aligned
    /// outward) and waits (msync MS_SYNC).
    pub(crate) fn sync(&self, offset: usize, len: usize) -> io::Result<()> {
        let page = page_size();
        let start = offset - offset % page;
        let end = offset.saturating_add(len).min(self.mapped);
        if end <= start {
            return Ok(());
        }
        // SAFETY: the range is inside the region and page aligned.
        check(unsafe {
            libc::msync(
                self.base.as_ptr().add(start).cast(),
                end - start,
                libc::MS_SYNC,
            )
        })
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the range reserved in `reserve` (and every
        // file mapping placed inside it).
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), self.len);
        }
    }
}

/// `len` words of anonymous memory mapped on their own (not taken from
/// the heap), filled with one value: the sequence index's chunks.
///
/// Why not a `Box<[u64]>`: a store is opened on one thread (the runtime's,
/// at start) and reset or dropped on another (a reactor's, at a schedule
/// rollover). glibc puts a block freed by another thread back into the
/// arena of the thread that allocated it, where the reactor's allocations
/// never look: each session's first reset left its old index resident
/// beside the new one (~300 KiB per session). A mapping goes back to the
/// kernel at `munmap`, whichever thread drops it.
pub(crate) struct Words {
    ptr: NonNull<u64>,
    len: usize,
}

// SAFETY: the mapping is plain memory owned by this value (`&`/`&mut`
// rules apply through `Deref`/`DerefMut`).
unsafe impl Send for Words {}
// SAFETY: as above: shared access is read-only.
unsafe impl Sync for Words {}

impl Words {
    /// Maps `len` words (faulted in) and fills them with `value`. Running
    /// out of memory aborts through `handle_alloc_error`, as the global
    /// allocator does for the `Vec` this replaces.
    pub(crate) fn filled(len: usize, value: u64) -> Self {
        let layout = std::alloc::Layout::array::<u64>(len)
            .unwrap_or_else(|_| std::alloc::Layout::new::<u64>());
        if len == 0 {
            return Self {
                ptr: NonNull::dangling(),
                len,
            };
        }
        // SAFETY: a fresh private anonymous mapping at a kernel-chosen
        // address; nothing else refers to it.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                layout.size(),
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_POPULATE,
                -1,
                0,
            )
        };
        let Some(ptr) = NonNull::new(p.cast::<u64>()).filter(|_| p != libc::MAP_FAILED) else {
            std::alloc::handle_alloc_error(layout)
        };
        let mut w = Self { ptr, len };
        if value != 0 {
            // Anonymous memory is zero already.
            w.fill(value);
        }
        w
    }
}

impl std::ops::Deref for Words {
    type Target = [u64];

    fn deref(&self) -> &[u64] {
        // SAFETY: `len` words mapped readable and owned by this value (or
        // a dangling, aligned pointer with `len` 0).
        unsafe { std::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl std::ops::DerefMut for Words {
    fn deref_mut(&mut self) -> &mut [u64] {
        // SAFETY: as `deref`, mapped writable; `&mut self` makes it unique.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl Drop for Words {
    fn drop(&mut self) {
        if self.len > 0 {
            // SAFETY: unmaps exactly the mapping made in `filled`.
            unsafe {
                libc::munmap(self.ptr.as_ptr().cast(), self.len * 8);
            }
        }
    }
}

impl std::fmt::Debug for Words {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Words").field("len", &self.len).finish()
    }
}

/// Zeros for [`write_zeros`].
static ZEROS: [u8; 64 << 10] = [0; 64 << 10];

/// Writes zeros over `from..to` of `file` with `pwrite`.
pub(crate) fn write_zeros(file: &File, from: usize, to: usize) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    let mut at = from;
    while at < to {
        let n = (to - at).min(ZEROS.len());
        file.write_all_at(&ZEROS[..n], at as u64)?;
        at += n;
    }
    Ok(())
}

/// Extends `file` to at least `offset + len` bytes with real blocks
/// (fallocate), so a full disk shows up here and not as SIGBUS on a store
/// into the mapping. Falls back to ftruncate where fallocate is unsupported.
pub(crate) fn preallocate(file: &File, offset: u64, len: u64) -> io::Result<()> {
    let off =
        libc::off_t::try_from(offset).map_err(|_| io::Error::from_raw_os_error(libc::EFBIG))?;
    let n = libc::off_t::try_from(len).map_err(|_| io::Error::from_raw_os_error(libc::EFBIG))?;
    // SAFETY: plain syscall on an owned fd.
    let rc = unsafe { libc::fallocate(file.as_raw_fd(), 0, off, n) };
    if rc == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        Some(libc::EOPNOTSUPP) | Some(libc::ENOSYS) => {
            let end = offset.saturating_add(len);
            if file.metadata()?.len() < end {
                file.set_len(end)?;
            }
            Ok(())
        }
        _ => Err(err),
    }
}

/// Non-blocking flock; `Ok(false)` when another open file description
/// holds a conflicting lock.
pub(crate) fn try_flock(file: &File, exclusive: bool) -> io::Result<bool> {
    let op = if exclusive {
        libc::LOCK_EX
    } else {
        libc::LOCK_SH
    };
    // SAFETY: plain syscall on an owned fd.
    let rc = unsafe { libc::flock(file.as_raw_fd(), op | libc::LOCK_NB) };
    if rc == 0 {
        return Ok(true);
    }
    let err = io::Error::last_os_error();
    if err.raw_os_error() == Some(libc::EWOULDBLOCK) {
        Ok(false)
    } else {
        Err(err)
    }
}
