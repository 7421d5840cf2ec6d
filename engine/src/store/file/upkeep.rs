//! The journal's upkeep, in steps whose work is bounded by construction so
//! they can run in a reactor's idle time: each step does one of
//!
//! - unmap at most [`RELEASE_STEP`] bytes of a region the journal moved out
//!   of (an unmap's cost grows with the pages it drops);
//! - fallocate at most [`ALLOC_STEP`] bytes of the next segment;
//! - map the next segment (one mmap, no pages touched), or move to a
//!   larger reservation (one reserve and one mmap);
//! - zero-fill and fault in at most [`IDLE_STEP`] bytes ahead of the
//!   write position.
//!
//! The deadline fallback (`prepare`, when idle time never comes) does the
//! same single steps. Appends still do whatever is missing themselves.

use std::io;

use super::ahead::Ahead;
use super::journal::Journal;
use super::sys::{page_size, preallocate, write_zeros, Region};
use crate::store::{StoreError, StoreResult};

/// How far ahead of the write position pages are faulted in writable.
pub(super) const PREFAULT_AHEAD: usize = 2 << 20;
/// Most bytes zero-filled and faulted in per step: four pages.
pub(crate) const IDLE_STEP: usize = 16 << 10;
/// Most bytes of a segment fallocated per step.
pub(crate) const ALLOC_STEP: usize = 1 << 20;
/// Most bytes of a retired region unmapped per step: 64 pages.
pub(crate) const RELEASE_STEP: usize = 256 << 10;
/// Step size while opening (nothing else waits on the thread yet).
pub(super) const OPEN_STEP: usize = 256 << 10;

impl Journal {
    /// End of the window to keep faulted in: [`PREFAULT_AHEAD`] bytes
    /// after the write position (page aligned), within the mapping.
    fn prefault_target(&self) -> usize {
        (self.pos + PREFAULT_AHEAD)
            .next_multiple_of(page_size())
            .min(self.map.mapped())
    }

    /// Zero-fills and faults in the next `step` bytes (at most) of the
    /// window; false when the window is done.
    pub(super) fn prefault_step(&mut self, step: usize) -> bool {
        if !self.prefault || self.helped() {
            return false;
        }
        let page = page_size();
        // Page aligned: madvise rejects an unaligned start.
        let target = self.prefault_target();
        if self.faulted < self.pos {
            self.faulted = self.pos - self.pos % page;
        }
        if self.faulted >= target {
            return false;
        }
        let n = step.max(page).min(target - self.faulted);
        // The bytes are written with pwrite first: the first store into a
        // fallocated page through the mapping took 1-2.6 ms at times here
        // (ext4 converting the unwritten extent on the fault path), a
        // pwrite of the same 16 KiB at most 0.06 ms, after which the fault
        // only maps the page. Only bytes after `pos` (none written yet,
        // zero already) are touched, and never past the file's end (a
        // journal shortened under us is reported, not extended).
        let from = self.faulted.max(self.pos);
        let end = self.faulted + n;
        let zeroed = match self.file.metadata() {
            Ok(m) if m.len() >= end as u64 => write_zeros(&self.file, from, end),
            Ok(_) => Err(io::Error::from_raw_os_error(libc::EFAULT)),
            Err(e) => Err(e),
        };
        if let Err(e) = zeroed.and_then(|()| self.map.prefault(self.faulted, n)) {
            // Appends still work, taking the page faults themselves.
            tracing::warn!(path = %self.path.display(), error = %e, "store journal: prefault failed, disabled");
            self.prefault = false;
            return false;
        }
        self.faulted += n;
        self.prefaulted += n as u64;
        self.last_step = n;
        true
    }

    /// Bytes faulted in so far by this journal (for tests and stats).
    pub(crate) fn prefaulted(&self) -> u64 {
        self.prefaulted
    }

    /// Bytes the last upkeep step worked on (zero-filled, fallocated or
    /// unmapped; 0 for a step of one mmap).
    #[cfg(test)]
    pub(crate) fn last_step_bytes(&self) -> usize {
        self.last_step
    }

    /// True when less than `left` bytes of mapped space remain and the
    /// limit allows another segment.
    fn grow_due(&self, left: usize) -> bool {
        let mapped = self.map.mapped();
        mapped - self.pos < left && mapped + self.segment <= self.limit
    }

    /// True when [`upkeep_step`](Self::upkeep_step) has work: a retired
    /// region to unmap, the next segment to allocate and map (a quarter of
    /// the mapped space left), or pages of the window not yet faulted in.
    pub(crate) fn upkeep_due(&self) -> bool {
        if self.helped() {
            // Only mapping what the thread allocated is left here.
            return self.grow_due(self.segment / 4) && self.segment_allocated();
        }
        self.retired.is_some()
            || self.grow_due(self.segment / 4)
            || self.prefault && self.faulted.max(self.pos) < self.prefault_target()
    }

    /// Whether the upkeep thread does this journal's allocating and
    /// faulting in (`StoreUpkeepThread=Y`, and no error stopped it).
    fn helped(&self) -> bool {
        self.ahead.as_ref().is_some_and(|a| a.active())
    }

    /// The segment after the mapped space is allocated (by either side).
    fn segment_allocated(&self) -> bool {
        let theirs = self.ahead.as_ref().map_or(0, |a| {
            a.allocated.load(std::sync::atomic::Ordering::Acquire)
        });
        self.allocated.max(theirs) >= self.map.mapped() + self.segment
    }

    /// One bounded step of upkeep (see the module docs). True while more
    /// remains.
    pub(crate) fn upkeep_step(&mut self) -> StoreResult<bool> {
        self.last_step = 0;
        if self.helped() {
            if self.upkeep_due() {
                self.grow_step()?;
            }
            return Ok(self.upkeep_due());
        }
        if self.retired.is_some() {
            self.release_step();
        } else if self.grow_due(self.segment / 4) {
            self.grow_step()?;
        } else {
            self.prefault_step(IDLE_STEP);
        }
        Ok(self.upkeep_due())
    }

    /// Unmaps the next piece of the retired region.
    fn release_step(&mut self) {
        if let Some(r) = &mut self.retired {
            let (n, more) = r.release_step(RELEASE_STEP);
            self.last_step = n;
            if !more {
                self.retired = None;
            }
        }
    }

    /// Allocates the next piece of the next segment or, once it is whole,
    /// maps it (moving to a larger reservation first when it is full).
    fn grow_step(&mut self) -> StoreResult<()> {
        if self.allocate_step(ALLOC_STEP)? {
            return Ok(());
        }
        let at = self.map.mapped();
        if at + self.segment > self.map.capacity() {
            return self.move_to_larger_region(at + self.segment);
        }
        self.map_segment()
    }

    /// Maps the (allocated) segment after the mapped space.
    pub(super) fn map_segment(&mut self) -> StoreResult<()> {
        self.map
            .map_next(&self.file, self.segment, true)
            .map_err(|e| StoreError::io("mmap", &self.path, e))?;
        if let Some(a) = &self.ahead {
            a.remap(&self.map, None);
        }
        Ok(())
    }

    /// Fallocates at most `max` more bytes of the segment after the mapped
    /// space; false when it is all allocated already.
    pub(super) fn allocate_step(&mut self, max: usize) -> StoreResult<bool> {
        let at = self.map.mapped();
        let end = at + self.segment;
        if let Some(a) = &self.ahead {
            let theirs = a.allocated.load(std::sync::atomic::Ordering::Acquire);
            self.allocated = self.allocated.max(theirs);
        }
        let from = self.allocated.max(at);
        if from >= end {
            return Ok(false);
        }
        let n = (end - from).min(max);
        preallocate(&self.file, from as u64, n as u64)
            .map_err(|e| StoreError::allocating(&self.path, (end - from) as u64, e))?;
        self.allocated = from + n;
        if let Some(a) = &self.ahead {
            a.allocated
                .fetch_max(self.allocated, std::sync::atomic::Ordering::AcqRel);
        }
        self.last_step = n;
        Ok(true)
    }

    /// Maps the journal into a fresh reservation of at least `need` bytes
    /// (double the old one, up to the limit). Rare: log2 of the growth.
    /// The old region is retired: unmapped by later steps.
    pub(super) fn move_to_larger_region(&mut self, need: usize) -> StoreResult<()> {
        let cap = (self.map.capacity() * 2)
            .max(need)
            .min(self.limit.max(need))
            .div_ceil(self.segment)
            * self.segment;
        let io = |e| StoreError::io("mmap", &self.path, e);
        let mut map = Region::reserve(cap).map_err(io)?;
        map.map_next(&self.file, self.map.mapped(), true)
            .map_err(io)?;
        let old = std::mem::replace(&mut self.map, map);
        // One retired at a time: an older one still there (upkeep never
        // ran since) goes at once. With the upkeep thread, it unmaps it.
        match &self.ahead {
            Some(a) => a.remap(&self.map, Some(old)),
            None => self.retired = Some(old),
        }
        // The new mapping has no pages yet: upkeep faults them in again.
        self.faulted = 0;
        Ok(())
    }

    /// Whether prefaulting is (still) on: it turns itself off on error.
    pub(crate) fn prefaulting(&self) -> bool {
        self.prefault
    }

    /// True when [`prepare`](Self::prepare) (the fallback from a deadline)
    /// has work: idle upkeep fell behind, leaving less than an eighth of a
    /// segment mapped or less than half the window faulted in, or a
    /// retired region to unmap.
    pub(crate) fn maintenance_due(&self) -> bool {
        if self.helped() {
            // The thread fell behind: the owner allocates and maps itself.
            return self.grow_due(self.segment / 8);
        }
        self.retired.is_some() || self.grow_due(self.segment / 8) || self.prefault_behind()
    }

    /// Less than half the window ahead is faulted in.
    fn prefault_behind(&self) -> bool {
        self.prefault && self.faulted < (self.pos + PREFAULT_AHEAD / 2).min(self.map.mapped())
    }

    /// The fallback when idle upkeep falls behind (from `sync`): one step,
    /// as [`upkeep_step`](Self::upkeep_step) would do it.
    pub(crate) fn prepare(&mut self) -> StoreResult<()> {
        if self.helped() {
            if self.maintenance_due() {
                self.grow_step()?;
            }
            return Ok(());
        }
        if self.maintenance_due() {
            self.upkeep_step()?;
        }
        Ok(())
    }

    /// Hands this journal's allocating and faulting in to the upkeep
    /// thread (`StoreUpkeepThread=Y`).
    pub(crate) fn attach_thread(&mut self) -> StoreResult<()> {
        let a = Ahead::attach(
            &self.path,
            &self.file,
            self.segment,
            self.limit,
            self.allocated,
            self.pos,
            &self.map,
        )
        .map_err(|e| StoreError::io("dup", &self.path, e))?;
        if let Some(old) = self.retired.take() {
            a.remap(&self.map, Some(old));
        }
        self.ahead = Some(a);
        Ok(())
    }

    /// The upkeep thread's share, if attached (tests).
    #[cfg(test)]
    pub(crate) fn ahead(&self) -> Option<&Ahead> {
        self.ahead.as_deref()
    }
}
