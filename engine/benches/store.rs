//! Store append latency: one 172-byte message into the file store with the
//! default policy (StoreFsync=never), the journal mapped and prefaulted.
//! Maintenance (`sync`: next segment mapped ahead; journal roll) runs
//! between batches, outside the timing, as the reactor does when idle.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "benchmark harness: a failure aborts the run"
)]

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ringfix_engine::store::bench::{AppendBench, SAMPLE_MESSAGE};
use ringfix_engine::store::{
    FileStoreOptions, FsyncPolicy, MemoryStore, MessageStore, UtcTimestamp,
};
use ringfix_engine::time::Now;

const BATCH: u64 = 1024;

fn file_append(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bench = AppendBench::new(dir.path(), FileStoreOptions::default()).expect("open");
    let epoch = Instant::now();
    let mut g = c.benchmark_group("store");
    g.throughput(Throughput::Elements(1));
    g.bench_function("append_172B_file_never", |b| {
        b.iter_custom(|iters| timed_batches(&mut bench, iters, BATCH, epoch))
    });
    g.bench_function("append_172B_memory", |b| {
        let mut store = MemoryStore::new(UtcTimestamp::from_nanos(0));
        let mut seq = 0u64;
        b.iter(|| {
            seq += 1;
            if seq % (1 << 20) == 0 {
                store.reset(UtcTimestamp::from_nanos(0)).expect("reset");
            }
            store.append(seq, SAMPLE_MESSAGE).expect("append");
        })
    });
    g.finish();
}

/// Appends timed in batches, `maintain(now)` between them with a real
/// clock (so group commit fires as it would in the reactor).
fn timed_batches(bench: &mut AppendBench, iters: u64, batch: u64, epoch: Instant) -> Duration {
    let mut total = Duration::ZERO;
    let mut done = 0;
    while done < iters {
        let n = batch.min(iters - done);
        let start = Instant::now();
        for _ in 0..n {
            bench.append().expect("append");
        }
        total += start.elapsed();
        done += n;
        let now = Now::same(UtcTimestamp::from_nanos(epoch.elapsed().as_nanos() as i64));
        bench.maintain(now).expect("maintain");
    }
    total
}

fn fsync_policies(c: &mut Criterion) {
    let mut g = c.benchmark_group("store_fsync");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(3));
    for policy in [FsyncPolicy::EveryMillis(1), FsyncPolicy::Always] {
        let dir = tempfile::tempdir().expect("tempdir");
        let options = FileStoreOptions {
            fsync: policy,
            ..FileStoreOptions::default()
        };
        let mut bench = AppendBench::new(dir.path(), options).expect("open");
        let epoch = Instant::now();
        g.bench_function(format!("append_172B_file_{policy}"), |b| {
            b.iter_custom(|iters| timed_batches(&mut bench, iters, 64, epoch))
        });
    }
    g.finish();
}

criterion_group!(benches, file_append, fsync_policies);
criterion_main!(benches);
