//! Once warm, framing, parsing (with group walks and typed getters) and
//! encoding allocate nothing: checked with a counting global allocator.

use ringfix_codec::{
    frame, Decimal, Encoder, Frame, GroupLayout, Parser, TimePrecision, TimestampFormatter,
    UtcTimestamp, DEFAULT_MAX_MESSAGE_SIZE as MAX,
};

use ringfix_testkit::alloc as alloc_support;

use alloc_support::allocs;

fn er(out: &mut Vec<u8>, f: &mut TimestampFormatter, now: UtcTimestamp, seq: u64) {
    let mut e = Encoder::new(out, b"FIX.4.4", b"8");
    e.uint(34, seq)
        .bytes(49, b"Broker")
        .timestamp_cached(52, now, TimePrecision::Millis, f)
        .bytes(56, b"Client")
        .bytes(11, b"Order12345")
        .decimal(31, Decimal::new(15000, 2))
        .timestamp(60, now, TimePrecision::Nanos)
        .data(95, 96, b"raw\x01data")
        .uint(453, 2)
        .bytes(448, b"PARTYA")
        .char(447, b'D')
        .int(452, 1)
        .uint(802, 1)
        .bytes(523, b"SUB")
        .int(803, 1)
        .bytes(448, b"PARTYB")
        .char(447, b'D')
        .int(452, 2);
    e.finish();
}

/// Run one full cycle and return a value derived from everything read.
fn cycle(
    out: &mut Vec<u8>,
    parser: &mut Parser,
    f: &mut TimestampFormatter,
    layout: &GroupLayout,
    seq: u64,
) -> usize {
    out.clear();
    let now = UtcTimestamp::from_millis(1_795_600_000_000 + seq as i64);
    er(out, f, now, seq);
    let Frame::Complete(n) = frame(out, MAX) else {
        panic!("not framed")
    };
    let v = parser.parse_framed(&out[..n]).unwrap();
    let mut acc = v.msg_seq_num().unwrap() as usize ^ v.sending_time().unwrap().as_nanos() as usize;
    acc += v.get_decimal(31).unwrap().mantissa as usize + v.get(96).unwrap().len();
    let g = v.group(layout).unwrap().unwrap();
    for e in g.entries() {
        acc += e.get(448).unwrap().len();
        if let Some(sub) = e.group(&layout.nested[0]).unwrap() {
            acc += sub.entries().count();
        }
    }
    acc + v.fields().count() + v.get_all(448).count()
}

#[test]
fn warm_paths_do_not_allocate() {
    let layout = GroupLayout::new(453, 448, [448, 447, 452]).with_nested(GroupLayout::new(
        802,
        523,
        [523, 803],
    ));
    let mut out = Vec::with_capacity(4096);
    let mut parser = Parser::new();
    let mut f = TimestampFormatter::new();
    let warm = cycle(&mut out, &mut parser, &mut f, &layout, 1);
    assert!(warm > 0);
    let before = allocs();
    let mut total = 0;
    for seq in 2..1000 {
        total ^= cycle(&mut out, &mut parser, &mut f, &layout, seq);
    }
    let after = allocs();
    assert_ne!(total, 0);
    assert_eq!(after - before, 0, "allocations on the warm path");
}

#[test]
fn the_counter_sees_allocations() {
    let before = allocs();
    let v: Vec<u8> = std::hint::black_box(vec![1, 2, 3]);
    assert_eq!(v.len(), 3);
    assert!(allocs() > before);
}
