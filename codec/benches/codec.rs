//! Criterion benches: frame + parse and encode of the `ringfix-bench codec`
//! cases (NewOrderSingle, ExecutionReport with nested parties, Heartbeat,
//! MarketDataIncrementalRefresh).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "benchmark harness: a failure aborts the run"
)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ringfix_codec::{frame, Frame, Parser, TimestampFormatter, UtcTimestamp};

// The exact bodies `ringfix-bench codec` times: one definition for both.
use ringfix_testkit::messages;

fn bench(c: &mut Criterion) {
    for case in messages::CASES {
        let (name, build) = (case.name, case.encode);
        // The case's own SendingTime: the exact bytes `ringfix-bench` times.
        let now = UtcTimestamp::parse(case.now).unwrap_or(UtcTimestamp::from_secs(0));
        let mut fmt = TimestampFormatter::new();
        let mut wire = Vec::with_capacity(1024);
        build(&mut wire, &mut fmt, now);
        let mut parser = Parser::new();
        c.bench_function(&format!("parse/{name}"), |b| {
            b.iter(|| {
                let buf = black_box(&wire[..]);
                if let Frame::Complete(n) = frame(buf, 65_536) {
                    if let Ok(v) = parser.parse_framed(&buf[..n]) {
                        black_box(v.len());
                    }
                }
            })
        });
        let mut out = Vec::with_capacity(1024);
        c.bench_function(&format!("encode/{name}"), |b| {
            b.iter(|| {
                out.clear();
                build(black_box(&mut out), &mut fmt, now);
                black_box(&out);
            })
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
