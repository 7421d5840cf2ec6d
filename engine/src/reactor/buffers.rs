//! One preallocated, prefaulted memory region for all receive buffers.

use super::config::{io_err, ReactorError};
use std::io;
use std::ptr::NonNull;

/// `slots` receive buffers of `size` bytes each, in one anonymous mapping.
///
/// Why per-connection buffers and not a provided-buffer ring: FIX frames are
/// parsed in place and a partial frame must stay contiguous with the next
/// bytes; with a buffer per connection the next Recv appends right after it,
/// so carrying a partial frame costs nothing until the buffer end is near.
pub(crate) struct RecvBuffers {
    base: NonNull<u8>,
    size: usize,
    slots: usize,
    len: usize,
}

// The region is plain memory owned by this value.
unsafe impl Send for RecvBuffers {}

impl RecvBuffers {
    pub(crate) fn new(slots: usize, size: usize, huge_pages: bool) -> Result<Self, ReactorError> {
        let len = slots
            .checked_mul(size)
            .filter(|l| *l > 0)
            .ok_or(ReactorError::Config(
                "receive buffers: zero or overflowing size",
            ))?;
        // Map first, advise huge pages, then populate: MAP_POPULATE at mmap
        // time would fault in small pages before the advice could apply.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io_err("mmap receive buffers")(io::Error::last_os_error()));
        }
        if huge_pages {
            // Best effort: transparent huge pages may be disabled.
            unsafe { libc::madvise(ptr, len, libc::MADV_HUGEPAGE) };
        }
        if unsafe { libc::madvise(ptr, len, libc::MADV_POPULATE_WRITE) } != 0 {
            // Older kernels: touch every page.
            let p = ptr.cast::<u8>();
            let mut off = 0;
            while off < len {
                unsafe { p.add(off).write_volatile(0) };
                off += 4096;
            }
        }
        let base =
            NonNull::new(ptr.cast::<u8>()).ok_or(ReactorError::Config("mmap returned null"))?;
        Ok(Self {
            base,
            size,
            slots,
            len,
        })
    }

    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// Raw pointer to a slot's buffer (for the kernel).
    pub(crate) fn ptr(&self, slot: usize) -> *mut u8 {
        debug_assert!(slot < self.slots);
        unsafe { self.base.as_ptr().add(slot.min(self.slots - 1) * self.size) }
    }

    /// A slot's buffer. Call only while no Recv into this slot is in flight.
    pub(crate) fn slot_mut(&mut self, slot: usize) -> &mut [u8] {
        unsafe { std::slice::from_raw_parts_mut(self.ptr(slot), self.size) }
    }
}

impl Drop for RecvBuffers {
    fn drop(&mut self) {
        unsafe { libc::munmap(self.base.as_ptr().cast(), self.len) };
    }
}
