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
///
/// A buffer is either lent to the kernel (a Recv into it is in flight:
/// [`lend`](Self::lend) until [`give_back`](Self::give_back)) or readable
/// through [`slot_mut`](Self::slot_mut), never both: the kernel may write
/// a lent buffer at any moment.
pub(crate) struct RecvBuffers {
    chunks: Vec<Chunk>,
    /// Per slot with a buffer: lent to an in-flight Recv.
    lent: Vec<bool>,
    size: usize,
    huge_pages: bool,
}

struct Chunk {
    base: NonNull<u8>,
    len: usize,
}

// SAFETY: the mappings are plain memory owned by this value; nothing else
// refers to them except in-flight Recvs of the thread that owns the value.
unsafe impl Send for RecvBuffers {}

impl RecvBuffers {
    /// No slots yet; `max_slots` bounds the chunk list (reserved up front).
    pub(crate) fn new(size: usize, max_slots: usize, huge_pages: bool) -> Self {
        Self {
            chunks: Vec::with_capacity(max_slots.div_ceil(CHUNK_SLOTS)),
            lent: Vec::new(),
            size,
            huge_pages,
        }
    }

    /// Slots with a buffer.
    pub(crate) fn slots(&self) -> usize {
        self.lent.len()
    }

    /// Maps and prefaults one more chunk of `n` (at most [`CHUNK_SLOTS`])
    /// slots; returns its first slot. Only a full last chunk can be followed
    /// by another.
    pub(crate) fn grow(&mut self, n: usize) -> Result<usize, ReactorError> {
        if n > CHUNK_SLOTS || self.slots() % CHUNK_SLOTS != 0 {
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
        // SAFETY: a new private anonymous mapping; no existing memory is
        // touched.
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
        let Some(base) = NonNull::new(ptr.cast::<u8>()) else {
            return Err(ReactorError::Config("mmap returned null"));
        };
        if self.huge_pages {
            // Best effort: transparent huge pages may be disabled.
            // SAFETY: advice on the `len` bytes we just mapped.
            unsafe { libc::madvise(ptr, len, libc::MADV_HUGEPAGE) };
        }
        // SAFETY: populates the `len` bytes we just mapped read-write.
        if unsafe { libc::madvise(ptr, len, libc::MADV_POPULATE_WRITE) } != 0 {
            // Older kernels: touch every page.
            let p = base.as_ptr();
            for off in (0..len).step_by(4096) {
                // SAFETY: `off < len`: inside the mapping, which is writable.
                unsafe { p.add(off).write_volatile(0) };
            }
        }
        let first = self.slots();
        self.chunks.push(Chunk { base, len });
        self.lent.resize(first + n, false);
        Ok(first)
    }

    /// Start of a slot's buffer; `None` for a slot [`grow`](Self::grow)
    /// never added.
    fn base(&self, slot: usize) -> Option<NonNull<u8>> {
        if slot >= self.slots() {
            return None;
        }
        let c = self.chunks.get(slot >> CHUNK_SHIFT)?;
        let off = (slot & (CHUNK_SLOTS - 1)) * self.size;
        if off + self.size > c.len {
            return None;
        }
        // SAFETY: `off + size <= len`: the slot lies inside this chunk's mapping.
        Some(unsafe { c.base.add(off) })
    }

    /// Lends the tail of a slot's buffer, from byte `from`, to a Recv:
    /// its address and length. `None` (nothing lent) for an unknown slot,
    /// one already lent, or no room left.
    pub(crate) fn lend(&mut self, slot: usize, from: usize) -> Option<(*mut u8, u32)> {
        let base = self.base(slot)?;
        let len = u32::try_from(self.size.checked_sub(from)?).ok()?;
        let lent = self.lent.get_mut(slot)?;
        if *lent || len == 0 {
            return None;
        }
        *lent = true;
        // SAFETY: `from < size`: inside the slot's buffer.
        Some((unsafe { base.as_ptr().add(from) }, len))
    }

    /// The Recv into `slot` completed (whatever its result): the buffer
    /// is ours again. A slot not lent is left as it is.
    pub(crate) fn give_back(&mut self, slot: usize) {
        if let Some(l) = self.lent.get_mut(slot) {
            *l = false;
        }
    }

    /// Whether a Recv into `slot` is in flight.
    pub(crate) fn is_lent(&self, slot: usize) -> bool {
        self.lent.get(slot).copied().unwrap_or(false)
    }

    /// A slot's buffer; `None` for an unknown slot or while it is lent.
    pub(crate) fn slot_mut(&mut self, slot: usize) -> Option<&mut [u8]> {
        if self.is_lent(slot) {
            return None;
        }
        let base = self.base(slot)?;
        // SAFETY: the slot's `size` bytes lie in our mapping, no Recv is
        // writing them (not lent), and `&mut self` makes this the only
        // reference to them.
        Some(unsafe { std::slice::from_raw_parts_mut(base.as_ptr(), self.size) })
    }

    /// Forgets the mappings without unmapping them: teardown could not
    /// confirm that the kernel is done writing them.
    pub(crate) fn leak(&mut self) {
        self.chunks.clear();
        self.lent.clear();
    }
}

impl Drop for RecvBuffers {
    fn drop(&mut self) {
        for c in &self.chunks {
            // SAFETY: unmaps exactly a mapping `grow` made; the reactor's
            // teardown has reaped every Recv into it (else it leaked us).
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
        let first = b.base(CHUNK_SLOTS - 1);
        b.slot_mut(CHUNK_SLOTS - 1).unwrap().fill(7);
        assert_eq!(b.grow(CHUNK_SLOTS).unwrap(), CHUNK_SLOTS);
        assert_eq!(b.slots(), 2 * CHUNK_SLOTS);
        assert_eq!(b.base(CHUNK_SLOTS - 1), first);
        assert!(b.slot_mut(CHUNK_SLOTS - 1).unwrap().iter().all(|&x| x == 7));
        // Neighbouring slots do not overlap.
        b.slot_mut(CHUNK_SLOTS).unwrap().fill(1);
        b.slot_mut(CHUNK_SLOTS + 1).unwrap().fill(2);
        assert!(b.slot_mut(CHUNK_SLOTS).unwrap().iter().all(|&x| x == 1));
        assert_eq!(b.slot_mut(2 * CHUNK_SLOTS - 1).unwrap().len(), 256);
        // A short last chunk, and nothing after it.
        assert_eq!(b.grow(3).unwrap(), 2 * CHUNK_SLOTS);
        assert_eq!(b.slots(), 2 * CHUNK_SLOTS + 3);
        b.slot_mut(2 * CHUNK_SLOTS + 2).unwrap().fill(9);
        assert!(b.grow(1).is_err());
    }

    #[test]
    fn an_unknown_slot_has_no_buffer() {
        let mut b = RecvBuffers::new(256, 2 * CHUNK_SLOTS, false);
        assert!(b.slot_mut(0).is_none(), "no chunk yet");
        assert!(b.lend(0, 0).is_none());
        b.grow(3).unwrap();
        assert!(b.slot_mut(2).is_some());
        // Past the slots added: no buffer, never another slot's.
        assert!(b.slot_mut(3).is_none());
        assert!(b.slot_mut(CHUNK_SLOTS).is_none());
        assert!(b.lend(3, 0).is_none());
        assert!(b.lend(usize::MAX, 0).is_none());
    }

    #[test]
    fn a_lent_buffer_cannot_be_borrowed_until_given_back() {
        let mut b = RecvBuffers::new(256, CHUNK_SLOTS, false);
        b.grow(2).unwrap();
        let (p, len) = b.lend(1, 100).unwrap();
        assert_eq!(len, 156);
        assert_eq!(Some(p), b.base(1).map(|x| x.as_ptr().wrapping_add(100)));
        assert!(b.slot_mut(1).is_none(), "the kernel may be writing it");
        assert!(b.lend(1, 0).is_none(), "one Recv per buffer");
        assert!(b.slot_mut(0).is_some(), "other slots are unaffected");
        b.give_back(1);
        assert!(b.slot_mut(1).is_some());
        // No room left: nothing to lend (a zero-length Recv reads as EOF).
        assert!(b.lend(1, 256).is_none());
        assert!(!b.is_lent(1));
    }
}
