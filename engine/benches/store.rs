//! Store append latency: one 172-byte message into the file store with the
//! default policy (StoreFsync=never), the journal mapped and prefaulted.
//! Maintenance (`sync`: next segment mapped ahead; journal roll) runs
//! between batches, outside the timing, as the reactor does when idle.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use ringfix_engine::store::bench::{AppendBench, SAMPLE_MESSAGE};
use ringfix_engine::store::{FileStoreOptions, MemoryStore, MessageStore, UtcTimestamp};

const BATCH: u64 = 1024;

fn file_append(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bench = AppendBench::new(dir.path(), FileStoreOptions::default()).expect("open");
    let mut g = c.benchmark_group("store");
    g.throughput(Throughput::Elements(1));
    g.bench_function("append_172B_file_never", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut done = 0;
            while done < iters {
                let n = BATCH.min(iters - done);
                let start = Instant::now();
                for _ in 0..n {
                    bench.append().expect("append");
                }
                total += start.elapsed();
                done += n;
                bench
                    .maintain(UtcTimestamp::from_nanos(done as i64))
                    .expect("maintain");
            }
            total
        })
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

criterion_group!(benches, file_append);
criterion_main!(benches);
