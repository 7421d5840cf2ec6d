//! `StoreUpkeepThread=Y`: one process-wide thread keeps every such
//! journal's next segment allocated and its pages faulted in ahead of the
//! writer, work the reactor otherwise does in idle-time steps. What is left
//! to the reactor: mapping a segment once it is allocated (one mmap) and
//! readying the sequence index (16 KiB steps).
//!
//! For hosts with a core to spare: on two vCPUs the thread competes with a
//! pinned reactor for a core. It shares nothing with the append path but
//! the writer's position (one relaxed store per append); the mapping it
//! faults pages in through is guarded by a lock the owner takes only when
//! the mapping changes (a new segment, a larger reservation).

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::time::Duration;

use super::sys::{page_size, preallocate, Region, RegionView};
use super::upkeep::{ALLOC_STEP, PREFAULT_AHEAD};

/// Most bytes the thread faults in per step (then it lets go of the
/// mapping, so a change of mapping waits at most this long).
const AHEAD_STEP: usize = 64 << 10;
/// Steps per journal per pass, so one busy journal does not starve others.
const STEPS_PER_PASS: usize = 16;
/// The thread's pause when nothing was to do.
const IDLE_PAUSE: Duration = Duration::from_micros(500);

/// What the thread and one journal share.
#[derive(Debug)]
pub(crate) struct Ahead {
    path: PathBuf,
    file: File,
    segment: usize,
    limit: usize,
    /// Where the writer is (stored after each append).
    pub(super) pos: AtomicUsize,
    /// File bytes fallocated, by either side.
    pub(super) allocated: AtomicUsize,
    /// The thread hit an error and stopped: the owner does everything.
    failed: AtomicBool,
    view: Mutex<View>,
}

/// The mapping the thread may use, under the lock.
#[derive(Debug, Default)]
struct View {
    region: Option<RegionView>,
    /// Pages before this offset of `region` are faulted in.
    faulted: usize,
    /// A region the owner moved out of, for the thread to unmap.
    retired: Option<Region>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Ahead {
    /// Registers a journal with the thread (started on first use).
    pub(crate) fn attach(
        path: &Path,
        file: &File,
        segment: usize,
        limit: usize,
        allocated: usize,
        pos: usize,
        map: &Region,
    ) -> std::io::Result<Arc<Self>> {
        let ahead = Arc::new(Self {
            path: path.to_owned(),
            file: file.try_clone()?,
            segment,
            limit,
            pos: AtomicUsize::new(pos),
            allocated: AtomicUsize::new(allocated),
            failed: AtomicBool::new(false),
            view: Mutex::new(View {
                region: Some(map.view()),
                faulted: 0,
                retired: None,
            }),
        });
        match helper() {
            Some(h) => lock(&h.journals).push(Arc::downgrade(&ahead)),
            None => ahead.failed.store(true, Ordering::Relaxed),
        }
        Ok(ahead)
    }

    /// Whether the thread works for this journal (no error so far).
    pub(crate) fn active(&self) -> bool {
        !self.failed.load(Ordering::Relaxed)
    }

    /// The owner's mapping changed (a segment mapped, or a move to `map`
    /// with `retired` the old region): the thread uses the new one.
    pub(crate) fn remap(&self, map: &Region, retired: Option<Region>) {
        let mut v = lock(&self.view);
        v.region = Some(map.view());
        if let Some(old) = retired {
            // A new reservation has no pages yet; an older retired region
            // still waiting is dropped here (rare: log2 of the growth).
            v.faulted = 0;
            v.retired = Some(old);
        }
    }

    /// The owner is going away: the thread must not touch its mapping.
    pub(crate) fn detach(&self) {
        let mut v = lock(&self.view);
        v.region = None;
        self.failed.store(true, Ordering::Relaxed);
    }

    /// One bounded step; false when there was nothing to do.
    fn step(&self) -> bool {
        if !self.active() {
            return false;
        }
        let retired = lock(&self.view).retired.take();
        if retired.is_some() {
            drop(retired);
            return true;
        }
        self.allocate_step() || self.prefault_step()
    }

    /// Fallocates a piece of the segment after the mapped space once less
    /// than a quarter of the mapping is left.
    fn allocate_step(&self) -> bool {
        let Some(mapped) = lock(&self.view).region.map(|r| r.mapped()) else {
            return false;
        };
        let pos = self.pos.load(Ordering::Relaxed);
        let end = mapped + self.segment;
        let from = self.allocated.load(Ordering::Acquire).max(mapped);
        if mapped.saturating_sub(pos) >= self.segment / 4 || from >= end || end > self.limit {
            return false;
        }
        let n = (end - from).min(ALLOC_STEP);
        if let Err(e) = preallocate(&self.file, from as u64, n as u64) {
            // The owner allocates inline and reports it where it matters.
            tracing::warn!(path = %self.path.display(), error = %e, "store upkeep thread: fallocate failed, stopped");
            self.failed.store(true, Ordering::Relaxed);
            return false;
        }
        self.allocated.fetch_max(from + n, Ordering::AcqRel);
        true
    }

    /// Faults in the next piece of the window ahead of the writer.
    fn prefault_step(&self) -> bool {
        let mut v = lock(&self.view);
        let Some(region) = v.region else {
            return false;
        };
        let page = page_size();
        let pos = self.pos.load(Ordering::Relaxed);
        let target = (pos + PREFAULT_AHEAD)
            .next_multiple_of(page)
            .min(region.mapped());
        let from = v.faulted.max(pos - pos % page);
        if from >= target {
            return false;
        }
        let n = AHEAD_STEP.min(target - from);
        // SAFETY: the owner withdraws or replaces the view under this lock
        // (held here) before it unmaps or moves the region, so the region
        // is alive and mapped as far as the view says.
        if let Err(e) = unsafe { region.prefault(from, n) } {
            tracing::warn!(path = %self.path.display(), error = %e, "store upkeep thread: prefault failed, stopped");
            self.failed.store(true, Ordering::Relaxed);
            return false;
        }
        v.faulted = from + n;
        true
    }

    /// Bytes of the current mapping faulted in by the thread (tests).
    #[cfg(test)]
    pub(crate) fn faulted(&self) -> usize {
        lock(&self.view).faulted
    }
}

/// The thread and the journals it serves.
struct Helper {
    journals: Mutex<Vec<Weak<Ahead>>>,
}

fn helper() -> Option<&'static Helper> {
    static HELPER: OnceLock<Option<Helper>> = OnceLock::new();
    HELPER
        .get_or_init(|| {
            let spawned = std::thread::Builder::new()
                .name("ringfix-upkeep".into())
                .spawn(|| loop {
                    let worked = helper().is_some_and(Helper::pass);
                    if !worked {
                        std::thread::park_timeout(IDLE_PAUSE);
                    }
                });
            match spawned {
                Ok(_) => Some(Helper {
                    journals: Mutex::new(Vec::new()),
                }),
                Err(e) => {
                    tracing::warn!(error = %e, "store: no upkeep thread, upkeep stays on the reactor");
                    None
                }
            }
        })
        .as_ref()
}

impl Helper {
    /// A few steps for every journal; true if any had work.
    fn pass(&self) -> bool {
        let mut worked = false;
        let mut journals = lock(&self.journals);
        journals.retain(|j| j.strong_count() > 0);
        for j in journals.iter().filter_map(Weak::upgrade) {
            for _ in 0..STEPS_PER_PASS {
                if !j.step() {
                    break;
                }
                worked = true;
            }
        }
        worked
    }
}
