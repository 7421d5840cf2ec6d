//! The engine's own latency: a cheap clock and a lock-free histogram.
//!
//! The reactor stamps each loop turn that reaped completions with
//! [`stamp`] and hands the stamp to handlers through
//! [`Ctx::recv_stamp`](super::Ctx::recv_stamp); a handler that answers
//! records `stamp() - recv_stamp` into a [`LatencyProbe`]. The clock is the
//! CPU's time-stamp counter on x86_64 (a few ns to read, invariant on the
//! CPUs we run on), else CLOCK_MONOTONIC_RAW in nanoseconds; [`ticks_per_ns`]
//! converts. Not on by feature: it costs two counter reads and one relaxed
//! add per answered message.

use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::OnceLock;

/// Sub-buckets per power of two: about 3 % resolution.
const SUB_BITS: u32 = 5;
const SUB: u64 = 1 << SUB_BITS;
/// Values up to 2^MAX_EXP ticks (minutes) are kept; larger ones clamp.
const MAX_EXP: u32 = 40;
const BUCKETS: usize = (2 * SUB + (MAX_EXP - SUB_BITS - 1) as u64 * SUB) as usize;

/// Reads the probe clock (ticks; see [`ticks_per_ns`]).
#[inline(always)]
pub fn stamp() -> u64 {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: RDTSC is available on every x86_64 CPU.
        unsafe { core::arch::x86_64::_rdtsc() }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        monotonic_raw_ns()
    }
}

fn monotonic_raw_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is valid and writable for the call.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC_RAW, &mut ts) };
    (ts.tv_sec as u64)
        .wrapping_mul(1_000_000_000)
        .wrapping_add(ts.tv_nsec as u64)
}

/// Probe clock ticks per nanosecond, calibrated once (20 ms against
/// CLOCK_MONOTONIC_RAW) on first use. Never call it on a hot path first.
pub fn ticks_per_ns() -> f64 {
    static RATE: OnceLock<f64> = OnceLock::new();
    *RATE.get_or_init(|| {
        if cfg!(not(target_arch = "x86_64")) {
            return 1.0;
        }
        let (t0, n0) = (stamp(), monotonic_raw_ns());
        std::thread::sleep(std::time::Duration::from_millis(20));
        let (t1, n1) = (stamp(), monotonic_raw_ns());
        let ns = n1.saturating_sub(n0).max(1) as f64;
        (t1.saturating_sub(t0) as f64 / ns).max(f64::MIN_POSITIVE)
    })
}

/// A histogram of tick counts with log-linear buckets, writable from one
/// thread at a time without locks and readable from any thread. Its memory
/// is allocated on the first record.
#[derive(Debug, Default)]
pub struct LatencyProbe {
    buckets: OnceLock<Box<[AtomicU64]>>,
}

fn bucket_of(v: u64) -> usize {
    if v < 2 * SUB {
        return v as usize;
    }
    let exp = (63 - v.leading_zeros()).min(MAX_EXP - 1);
    let v = v.min((1 << MAX_EXP) - 1);
    let shift = exp - SUB_BITS;
    (2 * SUB + u64::from(exp - SUB_BITS - 1) * SUB + ((v >> shift) - SUB)) as usize
}

/// The smallest tick count of a bucket.
fn bucket_floor(i: usize) -> u64 {
    let i = i as u64;
    if i < 2 * SUB {
        return i;
    }
    let k = i - 2 * SUB;
    let exp = u64::from(SUB_BITS) + 1 + k / SUB;
    (SUB + k % SUB) << (exp - u64::from(SUB_BITS))
}

impl LatencyProbe {
    /// Records one duration in ticks.
    #[inline]
    pub fn record(&self, ticks: u64) {
        let b = self
            .buckets
            .get_or_init(|| (0..BUCKETS).map(|_| AtomicU64::new(0)).collect());
        if let Some(slot) = b.get(bucket_of(ticks)) {
            slot.fetch_add(1, Relaxed);
        }
    }

    /// Non-empty buckets as (lowest value in ticks, count), ascending.
    pub fn snapshot(&self) -> Vec<(u64, u64)> {
        let Some(b) = self.buckets.get() else {
            return Vec::new();
        };
        b.iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let n = c.load(Relaxed);
                (n > 0).then(|| (bucket_floor(i), n))
            })
            .collect()
    }

    /// Zeroes every bucket (racy against a concurrent writer: call it
    /// while the writer is idle, e.g. between a warm-up and a run).
    pub fn reset(&self) {
        if let Some(b) = self.buckets.get() {
            b.iter().for_each(|c| c.store(0, Relaxed));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_monotonic_and_floors_round_trip() {
        let mut last = 0;
        for v in (0..5000u64).chain([1 << 20, (1 << 20) + 12345, 1 << 39, u64::MAX]) {
            let b = bucket_of(v);
            assert!(b >= last, "bucket of {v} went down");
            assert!(b < BUCKETS);
            last = b;
            let floor = bucket_floor(b);
            assert!(floor <= v, "floor {floor} above {v}");
            if v < 1 << (MAX_EXP - 1) {
                // Resolution: the floor is within 1/SUB of the value.
                assert!(v - floor <= v / SUB, "{v} -> {floor}");
            }
        }
    }

    #[test]
    fn records_and_resets() {
        let p = LatencyProbe::default();
        assert!(p.snapshot().is_empty());
        p.record(10);
        p.record(10);
        p.record(3000);
        let s = p.snapshot();
        assert_eq!(s.first(), Some(&(10, 2)));
        assert_eq!(s.iter().map(|x| x.1).sum::<u64>(), 3);
        p.reset();
        assert!(p.snapshot().iter().all(|x| x.1 == 0) || p.snapshot().is_empty());
    }

    #[test]
    fn clock_advances_and_rate_is_sane() {
        let a = stamp();
        std::thread::sleep(std::time::Duration::from_millis(1));
        assert!(stamp() > a);
        let r = ticks_per_ns();
        assert!(r > 0.05 && r < 20.0, "{r}");
    }
}
