//! An in-order application message through the session: sequence check,
//! SendingTime and CompID checks, delivery to the application, inbound
//! sequence number stored. Target: <= 100 ns, no allocation.
//!
//! `cargo bench -p ringfix-engine --bench session`
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "benchmark harness: a failure aborts the run"
)]

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ringfix_codec::Parser;
use ringfix_engine::session::{
    AppVerdict, Application, Incoming, Role, Sender, Session, SessionSettings,
};
use ringfix_engine::store::{MemoryStore, UtcTimestamp};
use ringfix_engine::time::Now;

const NANOS: i64 = 1_000_000_000;
const START: i64 = 1_767_225_600 * NANOS;

struct Count(u64);

impl Application for Count {
    fn on_app(
        &mut self,
        _s: &SessionSettings,
        msg: &Incoming<'_>,
        _out: &mut Sender<'_>,
    ) -> AppVerdict {
        self.0 += msg.raw().len() as u64;
        AppVerdict::Accept
    }
}

fn wire(body: &str) -> Vec<u8> {
    let body = body.replace('|', "\x01");
    let mut m = format!("8=FIX.4.4\x019={}\x01{body}", body.len()).into_bytes();
    let sum = m.iter().map(|&b| u32::from(b)).sum::<u32>() % 256;
    m.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
    m
}

fn logged_on() -> (Session<MemoryStore>, Count, Vec<u8>) {
    let cfg = SessionSettings::new(Role::Acceptor, "FIX.4.4", "ISLD", "TW");
    let mut s = Session::new(cfg, MemoryStore::new(UtcTimestamp::from_nanos(START)), None);
    let mut app = Count(0);
    let mut out = Vec::with_capacity(1 << 16);
    let now = Now::same(UtcTimestamp::from_nanos(START));
    s.connected(now, &mut out, &mut app);
    let logon = wire("35=A|34=1|49=TW|52=20260101-00:00:00.000|56=ISLD|98=0|108=30|");
    let mut parser = Parser::new();
    let view = parser.parse(&logon).expect("logon parses");
    s.on_message(&Incoming::from_view(&view), now, &mut out, &mut app);
    assert!(s.is_logged_on());
    out.clear();
    (s, app, out)
}

const ORDER: &str = "35=D|34=0000000002|49=TW|52=20260101-00:00:00.000|56=ISLD|11=ORDER-1|21=1|38=100|40=2|44=10.5|54=1|55=INTC|60=20260101-00:00:00.000|";

fn bench(c: &mut Criterion) {
    let now = Now::same(UtcTimestamp::from_nanos(START));

    // Session only: header already extracted, seq advanced per message.
    c.bench_function("session/in_order_app_message", |b| {
        let (mut s, mut app, mut out) = logged_on();
        let raw = wire(ORDER);
        let mut parser = Parser::new();
        let view = parser.parse(&raw).expect("order parses");
        let base = *Incoming::from_view(&view).header();
        let mut seq = 2u64;
        b.iter(|| {
            let mut h = base;
            h.seq = Some(seq);
            seq += 1;
            let msg = Incoming::with_header(&view, h);
            black_box(s.on_message(black_box(&msg), now, &mut out, &mut app));
        });
        assert_eq!(s.next_target_seq(), seq);
        assert!(out.is_empty());
    });

    // The reactor's path: codec parser index, then the session.
    c.bench_function("session/in_order_app_message_codec_parse", |b| {
        let (mut s, mut app, mut out) = logged_on();
        let mut raw = wire(ORDER);
        let at = raw.windows(4).position(|w| w == b"\x0134=").unwrap_or(0) + 4;
        let mut parser = Parser::new();
        let mut seq = 2u64;
        b.iter(|| {
            raw[at..at + 10].copy_from_slice(&format_seq(seq));
            // Keep the checksum right: parse_framed skips the sum check.
            seq += 1;
            let Ok(view) = parser.parse_framed(&raw) else {
                panic!("parse")
            };
            let msg = Incoming::from_view(&view);
            black_box(s.on_message(&msg, now, &mut out, &mut app));
        });
        assert_eq!(s.next_target_seq(), seq);
    });
}

/// Ten zero-padded digits.
fn format_seq(mut v: u64) -> [u8; 10] {
    let mut d = [b'0'; 10];
    for slot in d.iter_mut().rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
    d
}

criterion_group!(benches, bench);
criterion_main!(benches);
