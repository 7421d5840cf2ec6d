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
    /// `0..released` is already unmapped (a retired region is given back
    /// in steps: see [`release_step`](Self::release_step)).
    released: usize,
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
            released: 0,
        })
    }

    /// Unmaps the next (at most) `max` bytes of a region no longer used,
    /// from the front: the cost of an unmap grows with the pages it drops,
    /// so a large one is done in bounded steps. Returns the bytes unmapped
    /// and whether more remain. Only for a region nothing reads any more.
    pub(crate) fn release_step(&mut self, max: usize) -> (usize, bool) {
        let n = max
            .next_multiple_of(page_size())
            .min(self.len - self.released);
        if n > 0 {
            // SAFETY: `released..released + n` lies inside our reservation
            // and is still mapped; the caller reads nothing of it any more
            // (a retired region), and `mapped` drops to 0 below, so `bytes`
            // returns nothing from here on.
            unsafe {
                libc::munmap(self.base.as_ptr().add(self.released).cast(), n);
            }
            self.released += n;
            // Nothing of it is readable through `bytes` any more.
            self.mapped = 0;
        }
        (n, self.released < self.len)
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

    /// The region's address and mapped length, for another thread to
    /// fault pages in through (see [`RegionView`]).
    pub(crate) fn view(&self) -> RegionView {
        RegionView {
            base: self.base,
            mapped: self.mapped,
        }
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

/// Where a [`Region`] is and how much of it is mapped, as seen by a thread
/// that does not own it: only valid while the region is alive and mapped
/// this far, which its owner guarantees by withdrawing the view (under a
/// lock both hold) before changing either.
#[derive(Clone, Copy, Debug)]
pub(crate) struct RegionView {
    base: NonNull<u8>,
    mapped: usize,
}

// SAFETY: an address and a length; using them is `unsafe` (see `prefault`).
unsafe impl Send for RegionView {}

impl RegionView {
    /// Bytes mapped when the view was taken.
    pub(crate) fn mapped(&self) -> usize {
        self.mapped
    }

    /// As [`Region::prefault`], from another thread.
    ///
    /// # Safety
    ///
    /// The region the view was taken from must still be alive and mapped
    /// at least `mapped()` bytes for the whole call.
    pub(crate) unsafe fn prefault(&self, offset: usize, len: usize) -> io::Result<()> {
        let start = offset - offset % page_size();
        let len = len + (offset - start);
        if len == 0 || start.checked_add(len).is_none_or(|e| e > self.mapped) {
            return Ok(());
        }
        // SAFETY: inside the mapped part of a live region (the caller's
        // contract), page aligned; POPULATE_WRITE changes no contents.
        check(unsafe {
            libc::madvise(
                self.base.as_ptr().add(start).cast(),
                len,
                libc::MADV_POPULATE_WRITE,
            )
        })
    }
}

impl Drop for Region {
    fn drop(&mut self) {
        if self.released >= self.len {
            return;
        }
        // SAFETY: unmaps exactly what is left of the range reserved in
        // `reserve` (and every file mapping placed inside it).
        unsafe {
            libc::munmap(
                self.base.as_ptr().add(self.released).cast(),
                self.len - self.released,
            );
        }
    }
}

/// A fixed run of `u64` slots in address space reserved up front
/// (PROT_NONE, nothing committed) and made usable from the front in
/// steps: growing never allocates on the heap nor moves what is stored.
/// Slots start at zero.
#[derive(Debug)]
pub(crate) struct Slots {
    base: NonNull<u64>,
    /// Slots reserved.
    cap: usize,
    /// `0..usable` is readable and writable (whole pages).
    usable: usize,
}

// SAFETY: plain memory owned by this value; `&mut` rules apply to writes.
unsafe impl Send for Slots {}

impl Slots {
    /// Reserves `cap` slots of address space.
    pub(crate) fn reserve(cap: usize) -> io::Result<Self> {
        let bytes = cap
            .checked_mul(8)
            .ok_or_else(|| io::Error::from_raw_os_error(libc::ENOMEM))?;
        // SAFETY: anonymous PROT_NONE mapping at a kernel-chosen address.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                bytes,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        let base = NonNull::new(p.cast::<u64>()).ok_or_else(|| io::Error::other("mmap null"))?;
        Ok(Self {
            base,
            cap,
            usable: 0,
        })
    }

    /// Slots reserved.
    pub(crate) fn capacity(&self) -> usize {
        self.cap
    }

    /// Makes slots `0..to` usable (to whole pages, within the capacity)
    /// and writes zeros over `from..to`, so later stores there take no
    /// page fault. Only call it over slots holding nothing (zero).
    pub(crate) fn prepare(&mut self, from: usize, to: usize) -> io::Result<()> {
        let per_page = page_size() / 8;
        let to = to.min(self.cap);
        if to > self.usable {
            let end = to.next_multiple_of(per_page).min(self.cap);
            // SAFETY: `usable..end` lies inside our own reservation and
            // `usable` is page aligned (it only ever moves to page ends or
            // the capacity, itself whole pages of the reservation).
            check(unsafe {
                libc::mprotect(
                    self.base.as_ptr().add(self.usable).cast(),
                    (end - self.usable) * 8,
                    libc::PROT_READ | libc::PROT_WRITE,
                )
            })?;
            self.usable = end;
        }
        if from < to {
            // SAFETY: `from..to` is inside the usable slots (checked above).
            unsafe { std::ptr::write_bytes(self.base.as_ptr().add(from), 0, to - from) };
        }
        Ok(())
    }

    /// Slot `i`, if usable.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<u64> {
        self.as_slice().get(i).copied()
    }

    /// Sets slot `i`; false if it is not usable.
    #[inline]
    pub(crate) fn set(&mut self, i: usize, value: u64) -> bool {
        match self.as_mut_slice().get_mut(i) {
            Some(slot) => {
                *slot = value;
                true
            }
            None => false,
        }
    }

    /// The usable slots.
    pub(crate) fn as_slice(&self) -> &[u64] {
        // SAFETY: `0..usable` is mapped readable and owned by this value.
        unsafe { std::slice::from_raw_parts(self.base.as_ptr(), self.usable) }
    }

    fn as_mut_slice(&mut self) -> &mut [u64] {
        // SAFETY: as `as_slice`; `&mut self` makes the borrow unique.
        unsafe { std::slice::from_raw_parts_mut(self.base.as_ptr(), self.usable) }
    }

    /// Gives slots `0..n` back to the kernel: they read as zero again and
    /// stay usable, but fault on their next store.
    pub(crate) fn discard(&mut self, n: usize) {
        let n = n.min(self.usable);
        // SAFETY: `0..n` is inside the usable, private anonymous slots;
        // MADV_DONTNEED makes them read as zero, which is what we want.
        let rc = unsafe { libc::madvise(self.base.as_ptr().cast(), n * 8, libc::MADV_DONTNEED) };
        if rc != 0 {
            if let Some(used) = self.as_mut_slice().get_mut(..n) {
                used.fill(0);
            }
        }
    }
}

impl Drop for Slots {
    fn drop(&mut self) {
        // SAFETY: unmaps exactly the range reserved in `reserve`.
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), self.cap * 8);
        }
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

/// Makes a write past the process's file size limit (RLIMIT_FSIZE) fail
/// with EFBIG, reported as a store error naming the space, instead of
/// killing the process with SIGXFSZ. Only a default disposition is
/// changed: a handler the application installed is kept.
pub(crate) fn ignore_file_size_signal() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: sigaction with a null new action only reads the current
        // one into `old`, a valid zeroed struct.
        let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
        // SAFETY: as above; a null `act` changes nothing.
        let rc = unsafe { libc::sigaction(libc::SIGXFSZ, std::ptr::null(), &mut old) };
        if rc == 0 && old.sa_sigaction == libc::SIG_DFL {
            // SAFETY: SIG_IGN is a valid disposition for SIGXFSZ.
            unsafe { libc::signal(libc::SIGXFSZ, libc::SIG_IGN) };
        }
    });
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
