//! Receive buffers: one per connection slot, mapped and prefaulted in
//! chunks of [`CHUNK_SLOTS`] slots as the reactor grows.

use super::config::{io_err, ReactorError};
use std::io;
use std::ptr::NonNull;

/// Slots per mapping: 64 x 64 KiB = 4 MiB with the default buffer size
/// (two transparent huge pages).
pub(crate) const CHUNK_SLOTS: usize = 64;
const CHUNK_SHIFT: u32 = CHUNK_SLOTS.trailing_zeros();

/// Receive buffers of `size` bytes, one per slot, in mappings of
/// [`CHUNK_SLOTS`] slots added by [`RecvBuffers::grow`].
///
/// Why per-connection buffers and not a provided-buffer ring: FIX frames are
/// parsed in place and a partial frame must stay contiguous with the next
/// bytes; with a buffer per connection the next Recv appends right after it,
/// so carrying a partial frame costs nothing until the buffer end is near.
///
/// Why chunks: idle connections cost their buffer, so a reactor that may
/// hold thousands of connections maps memory only for the slots it has
/// needed so far; a mapping never moves, so buffers in flight stay valid.
pub(crate) struct RecvBuffers {
    chunks: Vec<Chunk>,
    /// Slots with a buffer: every chunk holds [`CHUNK_SLOTS`] but the last.
    slots: usize,
    size: usize,
    huge_pages: bool,
}

struct Chunk {
    base: NonNull<u8>,
    len: usize,
}

// The regions are plain memory owned by this value.
unsafe impl Send for RecvBuffers {}

impl RecvBuffers {
    /// No slots yet; `max_slots` bounds the chunk list (reserved up front).
    pub(crate) fn new(size: usize, max_slots: usize, huge_pages: bool) -> Self {
        Self {
            chunks: Vec::with_capacity(max_slots.div_ceil(CHUNK_SLOTS)),
            slots: 0,
            size,
            huge_pages,
        }
    }

    /// Slots with a buffer.
    pub(crate) fn slots(&self) -> usize {
        self.slots
    }

    /// Maps and prefaults one more chunk of `n` (at most [`CHUNK_SLOTS`])
    /// slots; returns its first slot. Only a full last chunk can be followed
    /// by another.
    pub(crate) fn grow(&mut self, n: usize) -> Result<usize, ReactorError> {
        if n > CHUNK_SLOTS || self.slots % CHUNK_SLOTS != 0 {
            return Err(ReactorError::Config("receive buffers: bad chunk"));
        }
        let len = n
            .checked_mul(self.size)
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
        if self.huge_pages {
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
        let Some(base) = NonNull::new(ptr.cast::<u8>()) else {
            return Err(ReactorError::Config("mmap returned null"));
        };
        let first = self.slots;
        self.chunks.push(Chunk { base, len });
        self.slots += n;
        Ok(first)
    }

    pub(crate) fn size(&self) -> usize {
        self.size
    }

    /// Raw pointer to a slot's buffer (for the kernel). Slots come from
    /// [`grow`](Self::grow); an unknown one maps to the first buffer rather
    /// than out of bounds.
    pub(crate) fn ptr(&self, slot: usize) -> *mut u8 {
        debug_assert!(slot < self.slots);
        let chunk = self.chunks.get(slot >> CHUNK_SHIFT).or(self.chunks.first());
        match chunk {
            Some(c) => unsafe { c.base.as_ptr().add((slot & (CHUNK_SLOTS - 1)) * self.size) },
            None => std::ptr::null_mut(),
        }
    }

    /// A slot's buffer. Call only while no Recv into this slot is in flight.
    pub(crate) fn slot_mut(&mut self, slot: usize) -> &mut [u8] {
        let p = self.ptr(slot);
        if p.is_null() {
            return &mut [];
        }
        unsafe { std::slice::from_raw_parts_mut(p, self.size) }
    }
}

impl Drop for RecvBuffers {
    fn drop(&mut self) {
        for c in &self.chunks {
            unsafe { libc::munmap(c.base.as_ptr().cast(), c.len) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_grow_and_keep_their_addresses() {
        let mut b = RecvBuffers::new(256, 2 * CHUNK_SLOTS + 3, false);
        assert_eq!(b.slots(), 0);
        assert_eq!(b.grow(CHUNK_SLOTS).unwrap(), 0);
        let first = b.ptr(CHUNK_SLOTS - 1);
        b.slot_mut(CHUNK_SLOTS - 1).fill(7);
        assert_eq!(b.grow(CHUNK_SLOTS).unwrap(), CHUNK_SLOTS);
        assert_eq!(b.slots(), 2 * CHUNK_SLOTS);
        assert_eq!(b.ptr(CHUNK_SLOTS - 1), first);
        assert!(b.slot_mut(CHUNK_SLOTS - 1).iter().all(|&x| x == 7));
        // Neighbouring slots do not overlap.
        b.slot_mut(CHUNK_SLOTS).fill(1);
        b.slot_mut(CHUNK_SLOTS + 1).fill(2);
        assert!(b.slot_mut(CHUNK_SLOTS).iter().all(|&x| x == 1));
        assert_eq!(b.slot_mut(2 * CHUNK_SLOTS - 1).len(), 256);
        // A short last chunk, and nothing after it.
        assert_eq!(b.grow(3).unwrap(), 2 * CHUNK_SLOTS);
        assert_eq!(b.slots(), 2 * CHUNK_SLOTS + 3);
        b.slot_mut(2 * CHUNK_SLOTS + 2).fill(9);
        assert!(b.grow(1).is_err());
    }
}
