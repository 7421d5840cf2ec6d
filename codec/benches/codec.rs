//! Criterion benches: frame + parse and encode of a NewOrderSingle and an
//! ExecutionReport with nested parties (the `ringfix-bench codec` rows).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use ringfix_codec::{
    frame, Decimal, Encoder, Frame, Parser, TimePrecision, TimestampFormatter, UtcTimestamp,
};

fn nos(out: &mut Vec<u8>, f: &mut TimestampFormatter, now: UtcTimestamp) {
    let mut e = Encoder::new(out, b"FIX.4.4", b"D");
    e.uint(34, 2)
        .bytes(49, b"INIT")
        .timestamp_cached(52, now, TimePrecision::Millis, f)
        .bytes(56, b"ACC")
        .bytes(11, b"ORD0000000001")
        .char(21, b'1')
        .bytes(55, b"MSFT")
        .char(54, b'1')
        .timestamp_cached(60, now, TimePrecision::Millis, f)
        .int(38, 100)
        .char(40, b'2')
        .decimal(44, Decimal::new(12345, 2))
        .char(59, b'0')
        .bytes(1, b"ACCOUNT01");
    e.finish();
}

fn er(out: &mut Vec<u8>, f: &mut TimestampFormatter, now: UtcTimestamp) {
    let mut e = Encoder::new(out, b"FIX.4.4", b"8");
    e.uint(34, 2)
        .bytes(49, b"Broker")
        .timestamp_cached(52, now, TimePrecision::Seconds, f)
        .bytes(56, b"Client")
        .bytes(11, b"Order12345")
        .bytes(17, b"Exec12345")
        .char(150, b'0')
        .char(39, b'0')
        .bytes(55, b"APPL")
        .char(54, b'1')
        .decimal(38, Decimal::new(100, 0))
        .decimal(32, Decimal::new(50, 0))
        .decimal(31, Decimal::new(15000, 2))
        .decimal(151, Decimal::new(50, 0))
        .decimal(14, Decimal::new(50, 0))
        .decimal(6, Decimal::new(15000, 2))
        .uint(453, 2)
        .bytes(448, b"PARTYA")
        .char(447, b'D')
        .int(452, 1)
        .uint(802, 2)
        .bytes(523, b"SUBPARTYA1")
        .int(803, 1)
        .bytes(523, b"SUBPARTYA2")
        .int(803, 2)
        .bytes(448, b"PARTYB")
        .char(447, b'D')
        .int(452, 2);
    e.finish();
}

type Build = fn(&mut Vec<u8>, &mut TimestampFormatter, UtcTimestamp);

fn bench(c: &mut Criterion) {
    let now = UtcTimestamp::from_millis(1_795_600_000_000);
    let cases: [(&str, Build); 2] = [("nos", nos), ("er", er)];
    for (name, build) in cases {
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
