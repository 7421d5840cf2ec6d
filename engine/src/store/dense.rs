//! The index's dense run, in one range of address space reserved when the
//! run starts: growing it makes the next chunk usable and writes it once
//! (bounded work, off the hot path), never allocating on the heap nor
//! moving what is stored. (Heap chunks cost one allocation per 4 096
//! messages; a `Vec` doubling copied 0.5 MiB and faulted in 1 MiB at once.)

use super::file::sys::Slots;

/// An empty slot. Journal offsets are never 0 (the header comes first),
/// and fresh memory reads as zero, so new slots are empty as they come.
pub(crate) const NONE: u64 = 0;
/// Slots made ready per step: 16 KiB, four pages written.
pub(crate) const CHUNK: usize = 2048;
/// Slots reserved per run: 2 GiB of address space (no memory until used)
/// for 268 million messages in one sequence; beyond, the index keeps the
/// rest in its sparse map.
pub(crate) const MAX_SLOTS: usize = 1 << 28;

/// Entries `0..len`; every ready entry at `len` or above is [`NONE`].
#[derive(Debug, Default)]
pub(crate) struct Dense {
    /// Reserved at the first use; `None` if the reservation failed.
    slots: Option<Slots>,
    /// The reservation was tried (and failed: `slots` is `None`).
    tried: bool,
    len: usize,
    /// Entries `0..ready` are usable and written (no fault on a store).
    ready: usize,
}

impl Dense {
    /// Entries in use (the run's length, gaps included).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Entries ready for appends without a page fault.
    pub(crate) fn capacity(&self) -> usize {
        self.ready
    }

    /// Entries the run can ever hold (0 if the reservation failed).
    pub(crate) fn limit(&self) -> usize {
        match &self.slots {
            Some(s) => s.capacity(),
            None if self.tried => 0,
            None => MAX_SLOTS,
        }
    }

    /// Entry `i`, if below `len`.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<u64> {
        if i >= self.len {
            return None;
        }
        self.slots.as_ref()?.get(i)
    }

    /// Sets entry `i`; entries between the old length and `i` stay
    /// [`NONE`]. False when `i` is beyond what the run can hold (the
    /// caller keeps it elsewhere). Makes slots ready itself only when
    /// upkeep fell behind.
    #[inline]
    pub(crate) fn set(&mut self, i: usize, value: u64) -> bool {
        if i >= self.limit() {
            return false;
        }
        if i >= self.ready && !self.ready_to(i + 1) {
            return false;
        }
        let Some(slots) = self.slots.as_mut() else {
            return false;
        };
        let stored = slots.set(i, value);
        if stored {
            self.len = self.len.max(i + 1);
        }
        stored
    }

    #[cold]
    fn ready_to(&mut self, entries: usize) -> bool {
        while self.ready < entries {
            if !self.grow_one() {
                return false;
            }
        }
        true
    }

    /// Makes one more chunk ready (one mprotect and 16 KiB written:
    /// bounded work). False when the run is at its limit or has no room.
    pub(crate) fn grow_one(&mut self) -> bool {
        if self.slots.is_none() && !self.tried {
            self.tried = true;
            match Slots::reserve(MAX_SLOTS) {
                Ok(s) => self.slots = Some(s),
                Err(e) => {
                    tracing::warn!(error = %e, "store index: no address space reserved, using a map");
                }
            }
        }
        let Some(slots) = self.slots.as_mut() else {
            return false;
        };
        let to = (self.ready + CHUNK).min(slots.capacity());
        if to == self.ready {
            return false;
        }
        match slots.prepare(self.ready, to) {
            Ok(()) => {
                self.ready = to;
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "store index: cannot grow, using a map beyond");
                false
            }
        }
    }

    /// Entries `0..len` in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        let all = self.slots.as_ref().map_or(&[][..], Slots::as_slice);
        all.iter().copied().take(self.len)
    }

    /// Empties the run. Its memory goes back to the kernel (reading as
    /// empty): upkeep makes it ready again, chunk by chunk.
    pub(crate) fn clear(&mut self) {
        if let Some(slots) = self.slots.as_mut() {
            slots.discard(self.ready);
        }
        self.len = 0;
        self.ready = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_across_chunks_and_clear() {
        let mut d = Dense::default();
        assert_eq!(d.get(0), None);
        assert!(d.set(0, 5));
        assert!(d.set(CHUNK + 3, 7));
        assert_eq!(d.len(), CHUNK + 4);
        assert_eq!(d.capacity(), 2 * CHUNK);
        assert_eq!(d.get(0), Some(5));
        assert_eq!(d.get(1), Some(NONE));
        assert_eq!(d.get(CHUNK + 3), Some(7));
        assert_eq!(d.get(CHUNK + 4), None);
        assert_eq!(d.iter().count(), CHUNK + 4);
        assert_eq!(d.iter().filter(|&v| v != NONE).count(), 2);
        d.clear();
        assert_eq!((d.len(), d.capacity()), (0, 0));
        assert!(d.iter().next().is_none());
        // Reused memory reads as empty.
        assert!(d.set(CHUNK + 5, 1));
        assert_eq!(d.iter().filter(|&v| v != NONE).count(), 1);
        assert_eq!(d.get(CHUNK + 3), Some(NONE));
        assert_eq!(d.limit(), MAX_SLOTS);
        assert!(!d.set(MAX_SLOTS, 1), "beyond the reservation");
    }
}
