//! Lock-free wake-ups of connections from other threads ([`Remote::wake`]):
//! a bitset over connection slots (plus a summary word per 4096 slots past
//! 512 slots), polled by the reactor at the top of every loop turn. A
//! producer publishes its work first (e.g. a queue push), then sets its
//! bit with one `fetch_or`; the reactor swaps the words to zero, then calls
//! `on_notify`. Nothing is deduplicated by a flag the consumer might fail
//! to clear: every wake sets the bit again, so a wake can be late by one
//! loop turn but never lost. The eventfd is written only in block mode, and
//! only by the wake that found its (top-level) word empty, so a burst costs
//! one write.

use std::os::fd::RawFd;
use std::sync::atomic::{AtomicU64, Ordering};

use super::conn::Phase;
use super::control::Remote;
use super::event_loop::Reactor;
use super::handler::{ConnId, ConnectionHandler, Ctx};
use super::sys;

/// Eight words on their own cache lines (two: the adjacent-line
/// prefetcher pulls pairs), so no unrelated write shares them.
#[repr(align(128))]
struct Line([AtomicU64; 8]);

/// Up to this many words (512 slots) the reactor scans them directly.
const FLAT_WORDS: usize = 8;

fn lines(words: usize) -> Box<[Line]> {
    (0..words.div_ceil(8))
        .map(|_| Line(std::array::from_fn(|_| AtomicU64::new(0))))
        .collect()
}

fn word(lines: &[Line], i: usize) -> Option<&AtomicU64> {
    lines.get(i / 8).and_then(|l| l.0.get(i % 8))
}

/// Takes the set bits of word `i` (a load first: idle turns only read).
fn take_word(lines: &[Line], i: usize) -> u64 {
    match word(lines, i) {
        Some(w) if w.load(Ordering::Relaxed) != 0 => w.swap(0, Ordering::Acquire),
        _ => 0,
    }
}

/// The marks of one reactor. Aligned so that what producers read here
/// shares no line with the reactor's busy fields beside it in `Shared`.
#[repr(align(128))]
pub(crate) struct WakeSet {
    /// Bit `s % 64` of word `s / 64`: connection slot `s` was woken.
    words: Box<[Line]>,
    /// Bit `w % 64` of summary word `w / 64`: word `w` may have marks.
    /// Empty while there are at most [`FLAT_WORDS`] words.
    summary: Box<[Line]>,
    n_words: usize,
    slots: usize,
    /// The reactor's eventfd, written to kick it in block mode only.
    kick: Option<RawFd>,
}

impl WakeSet {
    /// `kick`: the eventfd to write when a wake finds its word empty
    /// (block mode); it must outlive the set.
    pub(crate) fn new(max_connections: usize, kick: Option<RawFd>) -> Self {
        let n_words = max_connections.div_ceil(64);
        let flat = n_words <= FLAT_WORDS;
        Self {
            words: lines(n_words),
            summary: lines(if flat { 0 } else { n_words.div_ceil(64) }),
            n_words,
            slots: max_connections,
            kick,
        }
    }

    /// Marks `slot`; true when its top-level word was empty (the reactor
    /// may be asleep and needs a kick in block mode).
    pub(crate) fn mark(&self, slot: u32) -> bool {
        if slot as usize >= self.slots {
            return false;
        }
        let w = (slot / 64) as usize;
        let Some(bits) = word(&self.words, w) else {
            return false;
        };
        // Release: the caller's work is visible to the swap that takes it.
        let before = bits.fetch_or(1 << (slot % 64), Ordering::Release);
        if self.summary.is_empty() {
            return before == 0;
        }
        let Some(sum) = word(&self.summary, w / 64) else {
            return false;
        };
        sum.fetch_or(1 << (w % 64), Ordering::Release) == 0
    }

    /// Clears every mark and calls `f(slot)` for each; false when none
    /// was set.
    pub(crate) fn take(&self, mut f: impl FnMut(u32)) -> bool {
        let mut any = false;
        let mut visit = |w: usize, bits: u64| {
            let mut bits = bits;
            any |= bits != 0;
            while bits != 0 {
                f((w * 64) as u32 + bits.trailing_zeros());
                bits &= bits - 1;
            }
        };
        if self.summary.is_empty() {
            for w in 0..self.n_words {
                visit(w, take_word(&self.words, w));
            }
            return any;
        }
        for si in 0..self.n_words.div_ceil(64) {
            let mut ws = take_word(&self.summary, si);
            while ws != 0 {
                let w = si * 64 + ws.trailing_zeros() as usize;
                ws &= ws - 1;
                visit(w, take_word(&self.words, w));
            }
        }
        any
    }
}

impl<H> Remote<H> {
    /// Whether the reactor spins (else it blocks in the kernel when idle).
    pub fn spins(&self) -> bool {
        self.shared.mode == super::config::Mode::Spin
    }

    /// Has connection `id`'s `on_notify` run at the top of the reactor's
    /// next loop turn. Lock-free and allocation-free: for work the caller
    /// published before (e.g. a queue push; a handler must find its work
    /// itself). Marks are per connection slot and merge: `on_notify` runs
    /// once per turn however many wakes came, and may run for a later
    /// connection in the same slot (handlers must tolerate a spurious
    /// `on_notify`). In block mode the first wake of a turn writes the
    /// reactor's eventfd.
    pub fn wake(&self, id: ConnId) {
        let w = &self.shared.wakes;
        let raised = w.mark(id.slot);
        if let (true, Some(fd)) = (raised, w.kick) {
            let one: u64 = 1;
            // EAGAIN only if the counter is saturated: the reactor wakes anyway.
            // SAFETY: writes 8 bytes from a live u64; `fd` is the eventfd
            // owned by the same `Shared` as this set, so it is open.
            unsafe { libc::write(fd, (&one as *const u64).cast(), 8) };
        }
    }
}

#[cfg(test)]
impl<H> Remote<H> {
    /// A remote of a reactor that never runs (tests look at its wakes).
    pub(crate) fn unstarted(max_connections: usize) -> Self {
        let shared = super::control::Shared::new(super::config::Mode::Spin, max_connections);
        Self {
            shared: std::sync::Arc::new(shared.expect("eventfd")),
        }
    }

    /// The slots woken since the last call, as the reactor would take them.
    pub(crate) fn take_wakes(&self) -> Vec<u32> {
        let mut v = Vec::new();
        self.shared.wakes.take(|s| v.push(s));
        v
    }
}

impl<H: ConnectionHandler> Reactor<H> {
    /// Runs `on_notify` of every open connection woken since the last
    /// turn ([`Remote::wake`]); false (after one load) when none was.
    pub(crate) fn run_wakes(&mut self) -> bool {
        let shared = std::sync::Arc::clone(&self.shared);
        let mut now = None;
        shared.wakes.take(|slot| {
            let Some(c) = self.conns.get_mut(slot as usize) else {
                return;
            };
            if c.phase != Phase::Open {
                return;
            }
            let id = c.id(slot);
            let Some(h) = c.handler.as_mut() else {
                return;
            };
            let t = *now.get_or_insert_with(sys::clock);
            let mut ctx = Ctx {
                id,
                out: &mut c.out,
                close: &mut c.close_req,
                wire_unsent: c.wire.len().saturating_sub(c.wire_off),
                stamp: 0,
            };
            h.on_notify(&mut ctx, t);
            Self::mark(&mut self.dirty, c, slot);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_merge_and_clear() {
        let w = WakeSet::new(200, None);
        let mut seen = Vec::new();
        assert!(!w.take(|s| seen.push(s)));
        assert!(w.mark(3), "first mark of an empty word");
        assert!(!w.mark(3), "already marked");
        assert!(!w.mark(5), "its word is not empty");
        assert!(w.mark(130), "another word");
        assert!(!w.mark(131), "same word as 130");
        assert!(w.mark(199));
        assert!(!w.mark(200), "out of range: ignored");
        assert!(w.take(|s| seen.push(s)));
        assert_eq!(seen, vec![3, 5, 130, 131, 199]);
        seen.clear();
        assert!(!w.take(|s| seen.push(s)));
        assert!(seen.is_empty());
        assert!(w.mark(64), "raised again after a take");
    }

    #[test]
    fn many_slots_beyond_one_summary_word() {
        let w = WakeSet::new(64 * 64 * 3, None);
        assert!(!w.summary.is_empty());
        assert!(w.mark(0));
        assert!(!w.mark(1), "same word");
        assert!(!w.mark(4095), "same summary word");
        assert!(w.mark(4096), "next summary word");
        assert!(!w.mark(8191), "same summary word as 4096");
        assert!(w.mark(12_287));
        let mut seen = Vec::new();
        w.take(|s| seen.push(s));
        assert_eq!(seen, vec![0, 1, 4095, 4096, 8191, 12_287]);
        assert!(!w.take(|_| ()));
    }
}
