//! Cost of live statistics on the reactor thread: what the runtime does
//! per event (count one inbound message, classify the outbound bytes of
//! one answer, state / seqnums / deadline, one seqlock'd publish), and a
//! publish alone.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "benchmark harness: a failure aborts the run"
)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ringfix_codec::UtcTimestamp;
use ringfix_engine::session::SessionState;
use ringfix_engine::stats::StatsPublisher;

fn msg(body: &str) -> Vec<u8> {
    let body = body.replace('|', "\x01");
    let mut m = format!("8=FIX.4.4\x019={}\x01{body}", body.len()).into_bytes();
    m.extend_from_slice(b"10=000\x01");
    m
}

fn per_event(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("tempdir");
    let now = UtcTimestamp::from_secs(1_700_000_000);
    let mut p =
        StatsPublisher::create_in(dir.path(), &["FIX.4.4:A->B".into()], now).expect("publisher");
    let mut s = p.session(0).expect("slot");
    let order = msg("35=D|34=10|49=B|56=A|52=20231114-22:13:20.000|11=ORD10|55=XYZ|54=1|38=100|40=2|44=10.5|60=20231114-22:13:20.000|");
    let report = msg("35=8|34=10|49=A|56=B|52=20231114-22:13:20.000|37=1|17=1|150=F|39=2|11=ORD10|55=XYZ|54=1|38=100|32=100|31=10.5|14=100|151=0|6=10.5|60=20231114-22:13:20.000|");
    let mut g = c.benchmark_group("stats");
    let mut t = now.as_nanos();
    g.bench_function("event_in_172B_out_230B_publish", |b| {
        b.iter(|| {
            t += 1;
            let now = UtcTimestamp::from_nanos(t);
            s.inbound(black_box(&order), now);
            s.outbound(black_box(&report), now);
            s.state(SessionState::Active, now);
            s.seqnums(black_box(11), black_box(11));
            s.read_deadline(Some(UtcTimestamp::from_nanos(t + 30_000_000_000)));
            s.publish(now);
        })
    });
    g.bench_function("publish_only", |b| {
        b.iter(|| {
            t += 1;
            s.read_deadline(Some(UtcTimestamp::from_nanos(t)));
            s.publish(UtcTimestamp::from_nanos(t));
        })
    });
    g.finish();
}

criterion_group!(benches, per_event);
criterion_main!(benches);
