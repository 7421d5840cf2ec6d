//! Lock-free wake-ups of connections from other threads ([`Remote::wake`]):
//! a bitset over connection slots plus a summary, polled by the reactor at
//! the top of every loop turn. A producer publishes its work first (e.g. a
//! queue push), then marks the connection; the reactor clears the marks,
//! then calls `on_notify`. Nothing is deduplicated by a flag the consumer
//! might not clear: every wake re-checks the marks themselves, so a wake
//! can be late by one loop turn but never lost. The eventfd is written only
//! in block mode, and only by the wake that raised the summary flag (the
//! reactor clears it each turn it looks), so a burst costs one write.

use std::os::fd::AsRawFd;
use std::sync::atomic::{fence, AtomicBool, AtomicU64, Ordering::SeqCst};

use super::config::Mode;
use super::conn::Phase;
use super::control::Remote;
use super::event_loop::Reactor;
use super::handler::{utc, ConnId, ConnectionHandler, Ctx};
use super::sys;

/// Keeps a hot atomic on its own cache lines (two: the adjacent-line
/// prefetcher pulls pairs).
#[repr(align(128))]
struct Padded<T>(T);

/// The marks of one reactor.
pub(crate) struct WakeSet {
    /// Some mark below may be set: the one load of an idle turn.
    any: Padded<AtomicBool>,
    /// Bit `w` set: `words[w]` may have marks.
    summary: Box<[AtomicU64]>,
    /// Bit `s % 64` of word `s / 64`: connection slot `s` was woken.
    words: Box<[AtomicU64]>,
    slots: usize,
}

fn atomics(n: usize) -> Box<[AtomicU64]> {
    (0..n).map(|_| AtomicU64::new(0)).collect()
}

/// Sets `bit` in `word` unless it is set: a set bit is read, not
/// written, so a burst keeps the line shared with the reactor.
fn set_bit(word: &AtomicU64, bit: u64) {
    if word.load(SeqCst) & bit == 0 {
        word.fetch_or(bit, SeqCst);
    }
}

impl WakeSet {
    pub(crate) fn new(max_connections: usize) -> Self {
        let words = max_connections.div_ceil(64);
        Self {
            any: Padded(AtomicBool::new(false)),
            summary: atomics(words.div_ceil(64)),
            words: atomics(words),
            slots: max_connections,
        }
    }

    /// Marks `slot`; true when this call raised the summary flag (the
    /// reactor may be asleep and needs a kick in block mode).
    pub(crate) fn mark(&self, slot: u32) -> bool {
        if slot as usize >= self.slots {
            return false;
        }
        let w = (slot / 64) as usize;
        let (Some(word), Some(sum)) = (self.words.get(w), self.summary.get(w / 64)) else {
            return false;
        };
        // The caller's work (a queue push: plain stores) must be visible
        // before we read the marks: if we see a mark still set, the
        // reactor has not cleared it yet and, clearing it later, will see
        // our work (its fence in `take` pairs with this one).
        fence(SeqCst);
        set_bit(word, 1 << (slot % 64));
        set_bit(sum, 1 << (w % 64));
        !self.any.0.load(SeqCst) && !self.any.0.swap(true, SeqCst)
    }

    /// Clears every mark and calls `f(slot)` for each; false when none
    /// was set (one relaxed load).
    pub(crate) fn take(&self, mut f: impl FnMut(u32)) -> bool {
        if !self.any.0.load(std::sync::atomic::Ordering::Relaxed) {
            return false;
        }
        self.any.0.store(false, SeqCst);
        for (si, sum) in self.summary.iter().enumerate() {
            if sum.load(SeqCst) == 0 {
                continue;
            }
            let mut ws = sum.swap(0, SeqCst);
            while ws != 0 {
                let w = si * 64 + ws.trailing_zeros() as usize;
                ws &= ws - 1;
                let Some(word) = self.words.get(w) else {
                    continue;
                };
                let mut bits = word.swap(0, SeqCst);
                // Pairs with the producer's fence in `mark`.
                fence(SeqCst);
                while bits != 0 {
                    f((w * 64) as u32 + bits.trailing_zeros());
                    bits &= bits - 1;
                }
            }
        }
        true
    }
}

impl<H> Remote<H> {
    /// Has connection `id`'s `on_notify` run at the top of the reactor's
    /// next loop turn. Lock-free and allocation-free: for work the caller
    /// published before (e.g. a queue push; a handler must find its work
    /// itself). Marks are per connection slot and merge: `on_notify` runs
    /// once per turn however many wakes came, and may run for a later
    /// connection in the same slot (handlers must tolerate a spurious
    /// `on_notify`). In block mode the first wake of a turn writes the
    /// reactor's eventfd.
    pub fn wake(&self, id: ConnId) {
        let s = &self.shared;
        if s.wakes.mark(id.slot) && s.mode == Mode::Block {
            let one: u64 = 1;
            // EAGAIN only if the counter is saturated: the reactor wakes anyway.
            unsafe { libc::write(s.eventfd.as_raw_fd(), (&one as *const u64).cast(), 8) };
        }
    }
}

#[cfg(test)]
impl<H> Remote<H> {
    /// A remote of a reactor that never runs (tests look at its wakes).
    pub(crate) fn unstarted(max_connections: usize) -> Self {
        let shared = super::control::Shared::new(Mode::Spin, max_connections);
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
            let t = *now.get_or_insert_with(sys::now);
            let mut ctx = Ctx {
                id,
                out: &mut c.out,
                close: &mut c.close_req,
                stamp: 0,
            };
            h.on_notify(&mut ctx, utc(t));
            Self::mark(&mut self.dirty, c, slot);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_merge_and_clear() {
        let w = WakeSet::new(200);
        let mut seen = Vec::new();
        assert!(!w.take(|s| seen.push(s)));
        assert!(w.mark(3));
        assert!(!w.mark(3), "the summary flag is already raised");
        assert!(!w.mark(130));
        assert!(!w.mark(199));
        assert!(!w.mark(200), "out of range: ignored");
        assert!(w.take(|s| seen.push(s)));
        assert_eq!(seen, vec![3, 130, 199]);
        seen.clear();
        assert!(!w.take(|s| seen.push(s)));
        assert!(seen.is_empty());
        assert!(w.mark(64), "raised again after a take");
    }

    #[test]
    fn many_slots_beyond_one_summary_word() {
        let w = WakeSet::new(64 * 64 * 3);
        for s in [0u32, 4095, 4096, 12_287] {
            w.mark(s);
        }
        let mut seen = Vec::new();
        w.take(|s| seen.push(s));
        assert_eq!(seen, vec![0, 4095, 4096, 12_287]);
    }
}
