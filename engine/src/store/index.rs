//! Sequence number -> byte offset, O(1) for the usual contiguous run.
//!
//! A dense vector covers `base..base + len`; gaps of up to [`MAX_GAP`]
//! are filled with [`NONE`]. A sequence number below `base` or far ahead
//! (a manual reset of the sequence) moves the dense run into an ordered
//! map and starts a new run. The two never hold the same sequence number.

use std::collections::BTreeMap;

use super::dense::{Dense, NONE};

const MAX_GAP: u64 = 1 << 16;

/// Where each stored sequence number's message lives.
#[derive(Debug, Default)]
pub(crate) struct SeqIndex {
    base: u64,
    dense: Dense,
    sparse: BTreeMap<u64, u64>,
    max_seq: u64,
}

impl SeqIndex {
    /// Records that `seq` is stored at `offset` (replacing any earlier one).
    #[inline]
    pub(crate) fn insert(&mut self, seq: u64, offset: u64) {
        if !self.sparse.is_empty() {
            self.sparse.remove(&seq);
        }
        self.max_seq = self.max_seq.max(seq);
        let len = self.dense.len() as u64;
        if len == 0 {
            self.base = seq;
        } else if seq < self.base || seq > self.base.saturating_add(len).saturating_add(MAX_GAP) {
            self.spill();
            self.base = seq;
        }
        // seq - base <= len + MAX_GAP here. Past what the dense run can
        // hold (hundreds of millions), the sparse map takes it.
        if !self.dense.set((seq - self.base) as usize, stored(offset)) {
            self.sparse.insert(seq, offset);
        }
    }

    /// Moves the dense run into the sparse map.
    fn spill(&mut self) {
        let base = self.base;
        for (i, off) in self.dense.iter().enumerate() {
            if off != NONE {
                self.sparse.insert(base + i as u64, off - 1);
            }
        }
        self.dense.clear();
    }

    /// Offset of `seq`, if stored.
    #[cfg(test)]
    pub(crate) fn get(&self, seq: u64) -> Option<u64> {
        if seq >= self.base {
            if let Some(off) = self.dense.get((seq - self.base) as usize) {
                if off != NONE {
                    return Some(off - 1);
                }
            }
        }
        self.sparse.get(&seq).copied()
    }

    /// Makes room ahead for `n / 2` more contiguous entries, one chunk
    /// (16 KiB, written) per call, so appends neither allocate nor
    /// page-fault (called off the hot path). True while more remains.
    pub(crate) fn reserve_ahead(&mut self, n: usize) -> bool {
        if self.ahead_due(n) {
            self.dense.grow_one();
        }
        self.ahead_due(n)
    }

    /// True when [`reserve_ahead`](Self::reserve_ahead)`(n)` has work:
    /// less than `n / 2` entries of room ahead.
    pub(crate) fn ahead_due(&self, n: usize) -> bool {
        self.dense.capacity() < (self.dense.len() + n / 2).min(self.dense.limit())
    }

    /// Highest sequence number ever inserted (0 if none).
    pub(crate) fn max_seq(&self) -> u64 {
        self.max_seq
    }

    /// Highest stored sequence number whose message is at offset `floor`
    /// or later (0 if none). O(n): for recovery.
    pub(crate) fn max_seq_from(&self, floor: u64) -> u64 {
        let mut max = 0;
        self.for_range(0, u64::MAX, |seq, off| {
            if off >= floor {
                max = seq;
            }
        });
        max
    }

    /// Lowest stored sequence number, if any.
    pub(crate) fn min_seq(&self) -> Option<u64> {
        let dense = self
            .dense
            .iter()
            .position(|o| o != NONE)
            .map(|i| self.base + i as u64);
        let sparse = self.sparse.keys().next().copied();
        match (dense, sparse) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Number of stored sequence numbers.
    pub(crate) fn len(&self) -> usize {
        self.dense.iter().filter(|&o| o != NONE).count() + self.sparse.len()
    }

    /// Forgets everything.
    pub(crate) fn clear(&mut self) {
        self.base = 0;
        self.dense.clear();
        self.sparse.clear();
        self.max_seq = 0;
    }

    /// Calls `f(seq, offset)` for stored `begin <= seq <= end`, ascending.
    pub(crate) fn for_range(&self, begin: u64, end: u64, mut f: impl FnMut(u64, u64)) {
        if begin > end {
            return;
        }
        let mut sparse = self.sparse.range(begin..=end).peekable();
        let len = self.dense.len() as u64;
        if len > 0 {
            let last = self.base + (len - 1);
            let lo = begin.max(self.base);
            let hi = end.min(last);
            if lo <= hi {
                for seq in lo..=hi {
                    while let Some((&s, &o)) = sparse.peek() {
                        if s >= seq {
                            break;
                        }
                        f(s, o);
                        sparse.next();
                    }
                    if let Some(off) = self.dense.get((seq - self.base) as usize) {
                        if off != NONE {
                            f(seq, off - 1);
                        }
                    }
                }
            }
        }
        for (&s, &o) in sparse {
            f(s, o);
        }
    }
}

/// An offset as the dense run keeps it: plus one, so zero ([`NONE`],
/// what fresh memory reads as) is free to mean "nothing stored".
#[inline]
fn stored(offset: u64) -> u64 {
    offset.saturating_add(1)
}

#[cfg(test)]
mod tests {
    use super::super::dense::CHUNK;
    use super::*;

    fn collect(ix: &SeqIndex, b: u64, e: u64) -> Vec<(u64, u64)> {
        let mut v = Vec::new();
        ix.for_range(b, e, |s, o| v.push((s, o)));
        v
    }

    #[test]
    fn contiguous_and_gaps() {
        let mut ix = SeqIndex::default();
        for s in 1..=5 {
            ix.insert(s, s * 10);
        }
        ix.insert(8, 80);
        assert_eq!(ix.get(3), Some(30));
        assert_eq!(ix.get(6), None);
        assert_eq!(collect(&ix, 4, u64::MAX), vec![(4, 40), (5, 50), (8, 80)]);
        assert_eq!(ix.len(), 6);
        assert_eq!(ix.min_seq(), Some(1));
        assert_eq!(ix.max_seq(), 8);
    }

    #[test]
    fn reserve_ahead_touches_in_bounded_steps() {
        let mut ix = SeqIndex::default();
        let n = 1 << 16;
        assert!(ix.ahead_due(n));
        let mut calls = 0;
        while ix.reserve_ahead(n) {
            calls += 1;
        }
        // n / 2 entries ahead, one chunk per call.
        assert_eq!(calls + 1, n / 2 / CHUNK);
        assert!(!ix.ahead_due(n));
        // Each chunk's worth of appends asks for one more chunk.
        for s in 1..=CHUNK as u64 {
            ix.insert(s, s);
            assert!(ix.ahead_due(n));
        }
        assert!(!ix.reserve_ahead(n), "one chunk restores the room");
        assert!(!ix.ahead_due(n));
        assert_eq!(ix.len(), CHUNK);
    }

    #[test]
    fn reserve_ahead_keeps_contents() {
        let mut ix = SeqIndex::default();
        for s in 1..=100_000u64 {
            if s % 1000 == 0 {
                ix.reserve_ahead(1 << 16);
            }
            ix.insert(s, s * 3);
        }
        assert_eq!(ix.len(), 100_000);
        assert_eq!(ix.get(1), Some(3));
        assert_eq!(ix.get(77_777), Some(233_331));
        ix.clear();
        ix.reserve_ahead(1 << 16);
        ix.insert(5, 1);
        assert_eq!(ix.get(5), Some(1));
        assert_eq!(ix.len(), 1);
    }

    #[test]
    fn rewind_and_jump_keep_latest() {
        let mut ix = SeqIndex::default();
        for s in 10..=12 {
            ix.insert(s, s);
        }
        // rewind below base: new run starting at 5, overlapping 10..=12 later
        for s in 5..=10 {
            ix.insert(s, 100 + s);
        }
        // far jump
        ix.insert(1_000_000, 7);
        assert_eq!(ix.get(10), Some(110));
        assert_eq!(ix.get(11), Some(11));
        assert_eq!(ix.get(1_000_000), Some(7));
        let got = collect(&ix, 0, u64::MAX);
        let seqs: Vec<u64> = got.iter().map(|p| p.0).collect();
        assert_eq!(seqs, vec![5, 6, 7, 8, 9, 10, 11, 12, 1_000_000]);
        assert_eq!(got[5], (10, 110));
        assert_eq!(collect(&ix, 11, 11), vec![(11, 11)]);
        assert!(collect(&ix, 13, 999_999).is_empty());
        ix.clear();
        assert_eq!(ix.get(5), None);
        assert_eq!(ix.min_seq(), None);
    }
}
