//! Validation cost of one NewOrderSingle under FIX.4.4 (shipped dictionary).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "benchmark harness: a failure aborts the run"
)]
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ringfix_codec::dict::{Options, Validator};
use ringfix_codec::Parser;

/// The `nos` row: a full message with correct BodyLength and CheckSum.
fn nos() -> Vec<u8> {
    let body =
        "35=D|34=2|49=INIT|52=20261124-10:00:00.000|56=ACC|11=ORD0000000001|21=1|55=MSFT|54=1|\
                60=20261124-10:00:00.000|38=100|40=2|44=123.45|59=0|1=ACCOUNT01|"
            .replace('|', "\x01");
    let mut msg = format!("8=FIX.4.4\x019={}\x01{body}", body.len()).into_bytes();
    let sum = msg.iter().fold(0u8, |a, &b| a.wrapping_add(b));
    msg.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
    msg
}

fn bench(c: &mut Criterion) {
    let msg = nos();
    let mut v =
        Validator::builtin(b"FIX.4.4", None, Options::default()).expect("FIX.4.4 dictionary");
    assert_eq!(v.validate_bytes(&msg), Ok(()));
    c.bench_function("dict/validate_nos_fix44", |b| {
        b.iter(|| v.validate_bytes(black_box(&msg)))
    });
    // On a parsed MessageView: the validation cost on top of the codec's parse.
    let mut parser = Parser::new();
    let view = parser.parse(&msg).expect("parses");
    assert_eq!(v.validate(&view), Ok(()));
    c.bench_function("dict/validate_view_nos_fix44", |b| {
        b.iter(|| v.validate(black_box(&view)))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
