//! The index's dense run, in fixed-size chunks: growing it allocates one
//! more chunk and never moves what is stored. (A `Vec` doubling copied
//! 0.5 MiB and faulted in 1 MiB in one go: 0.3-0.9 ms on the reactor here.)
//! Each chunk is a mapping of its own ([`Words`]), not heap memory, so a
//! dropped index goes back to the kernel whichever thread drops it.

use super::file::Words;

/// An empty slot.
pub(crate) const NONE: u64 = u64::MAX;
/// Entries per chunk (32 KiB: eight pages, written once when allocated).
pub(crate) const CHUNK: usize = 4096;

/// Entries `0..len`; every allocated entry at `len` or above is [`NONE`].
#[derive(Debug, Default)]
pub(crate) struct Dense {
    chunks: Vec<Words>,
    len: usize,
}

impl Dense {
    /// Entries in use (the run's length, gaps included).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Entries allocated.
    pub(crate) fn capacity(&self) -> usize {
        self.chunks.len() * CHUNK
    }

    /// Entry `i`, if below `len`.
    #[inline]
    pub(crate) fn get(&self, i: usize) -> Option<u64> {
        if i >= self.len {
            return None;
        }
        self.chunks.get(i / CHUNK)?.get(i % CHUNK).copied()
    }

    /// Sets entry `i`; entries between the old length and `i` stay
    /// [`NONE`]. Allocates chunks only when upkeep fell behind.
    #[inline]
    pub(crate) fn set(&mut self, i: usize, value: u64) {
        if i / CHUNK >= self.chunks.len() {
            self.grow_to(i + 1);
        }
        if let Some(slot) = self
            .chunks
            .get_mut(i / CHUNK)
            .and_then(|c| c.get_mut(i % CHUNK))
        {
            *slot = value;
            self.len = self.len.max(i + 1);
        }
    }

    #[cold]
    fn grow_to(&mut self, entries: usize) {
        while self.capacity() < entries {
            self.grow_one();
        }
    }

    /// Allocates one more chunk (eight pages written: bounded work).
    pub(crate) fn grow_one(&mut self) {
        self.chunks.push(Words::filled(CHUNK, NONE));
    }

    /// Entries `0..len` in order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = u64> + '_ {
        self.chunks
            .iter()
            .flat_map(|c| c.iter().copied())
            .take(self.len)
    }

    /// Empties the run, keeping the chunks (their used part is reset).
    pub(crate) fn clear(&mut self) {
        let mut left = self.len;
        for c in &mut self.chunks {
            if left == 0 {
                break;
            }
            let n = left.min(CHUNK);
            if let Some(used) = c.get_mut(..n) {
                used.fill(NONE);
            }
            left -= n;
        }
        self.len = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_get_across_chunks_and_clear() {
        let mut d = Dense::default();
        assert_eq!(d.get(0), None);
        d.set(0, 5);
        d.set(CHUNK + 3, 7);
        assert_eq!(d.len(), CHUNK + 4);
        assert_eq!(d.capacity(), 2 * CHUNK);
        assert_eq!(d.get(0), Some(5));
        assert_eq!(d.get(1), Some(NONE));
        assert_eq!(d.get(CHUNK + 3), Some(7));
        assert_eq!(d.get(CHUNK + 4), None);
        assert_eq!(d.iter().count(), CHUNK + 4);
        assert_eq!(d.iter().filter(|&v| v != NONE).count(), 2);
        d.clear();
        assert_eq!((d.len(), d.capacity()), (0, 2 * CHUNK));
        assert!(d.iter().next().is_none());
        // Reused chunks read as empty.
        d.set(CHUNK + 5, 1);
        assert_eq!(d.iter().filter(|&v| v != NONE).count(), 1);
        assert_eq!(d.get(CHUNK + 3), Some(NONE));
    }

    #[test]
    fn chunks_are_filled_mappings_dropped_on_any_thread() {
        let w = Words::filled(CHUNK, NONE);
        assert_eq!(w.len(), CHUNK);
        assert!(w.iter().all(|&v| v == NONE));
        let mut z = Words::filled(3, 0);
        z[2] = 7;
        assert_eq!(&z[..], &[0, 0, 7]);
        assert!(Words::filled(0, 1).is_empty());
        // Made here, dropped there (the runtime opens, a reactor resets).
        let mut d = Dense::default();
        d.set(2 * CHUNK, 1);
        std::thread::spawn(move || {
            assert_eq!(d.get(2 * CHUNK), Some(1));
            drop(d);
        })
        .join()
        .unwrap();
    }
}
