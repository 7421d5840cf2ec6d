//! Property tests: encode -> frame -> parse gives the same fields back, and
//! arbitrary bytes never make framing or parsing panic.

use proptest::prelude::*;
use ringfix_codec::{
    checksum, frame, Decimal, Encoder, Frame, Parser, TimePrecision, UtcTimestamp,
    DEFAULT_MAX_MESSAGE_SIZE as MAX,
};

/// A typed field value.
#[derive(Debug, Clone)]
enum Value {
    Text(Vec<u8>),
    Int(i64),
    Uint(u64),
    Char(u8),
    Bool(bool),
    Dec(Decimal),
    Time(UtcTimestamp, TimePrecision),
    Data(Vec<u8>),
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        // Any bytes but SOH (empty values are legal on the wire).
        proptest::collection::vec(any::<u8>().prop_filter("no SOH", |b| *b != 1), 0..40)
            .prop_map(Value::Text),
        any::<i64>().prop_map(Value::Int),
        any::<u64>().prop_map(Value::Uint),
        // Up to 9 digits: the encoder's one-word values and their edges.
        (-1_000_000_000i64..1_000_000_000).prop_map(Value::Int),
        (0u64..1_000_000_000).prop_map(Value::Uint),
        (-1_000_000_000i64..1_000_000_000, 0u8..=9)
            .prop_map(|(m, s)| Value::Dec(Decimal::new(m, s))),
        any::<u8>()
            .prop_filter("no SOH", |b| *b != 1)
            .prop_map(Value::Char),
        any::<bool>().prop_map(Value::Bool),
        (any::<i64>(), 0u8..=18).prop_map(|(m, s)| Value::Dec(Decimal::new(m, s))),
        (
            -2_000_000_000_000_000_000i64..4_000_000_000_000_000_000,
            prop_oneof![
                Just(TimePrecision::Seconds),
                Just(TimePrecision::Millis),
                Just(TimePrecision::Micros),
                Just(TimePrecision::Nanos)
            ]
        )
            .prop_map(|(n, p)| Value::Time(UtcTimestamp::from_nanos(n), p)),
        proptest::collection::vec(any::<u8>(), 0..60).prop_map(Value::Data),
    ]
}

/// Body tags: avoid 8/9/10/35 and the data-field tags so the mapping is exact.
fn tag() -> impl Strategy<Value = u32> {
    prop_oneof![11u32..89, 100u32..200, 500u32..5000, 5001u32..9_999_999]
}

fn truncate(t: UtcTimestamp, p: TimePrecision) -> UtcTimestamp {
    let unit = match p {
        TimePrecision::Seconds => 1_000_000_000,
        TimePrecision::Millis => 1_000_000,
        TimePrecision::Micros => 1_000,
        TimePrecision::Nanos => 1,
    };
    UtcTimestamp::from_nanos(t.as_nanos().div_euclid(unit) * unit)
}

proptest! {
    #[test]
    fn encode_frame_parse_round_trip(
        msg_type in "[0-9A-Za-z]{1,2}",
        fields in proptest::collection::vec((tag(), value()), 0..40),
        prefix in proptest::collection::vec(any::<u8>(), 0..8),
    ) {
        let mut out = prefix.clone();
        let mut e = Encoder::new(&mut out, b"FIX.4.4", msg_type.as_bytes());
        for (t, v) in &fields {
            match v {
                Value::Text(b) => e.bytes(*t, b),
                Value::Int(i) => e.int(*t, *i),
                Value::Uint(u) => e.uint(*t, *u),
                Value::Char(c) => e.char(*t, *c),
                Value::Bool(b) => e.bool(*t, *b),
                Value::Dec(d) => e.decimal(*t, *d),
                Value::Time(ts, p) => e.timestamp(*t, *ts, *p),
                Value::Data(d) => e.data(95, 96, d),
            };
        }
        let range = e.finish();
        prop_assert_eq!(range.start, prefix.len());
        let wire = &out[range];
        // The CheckSum kept while writing equals the one read back.
        let (body, trailer) = wire.split_at(wire.len() - 7);
        let want = format!("10={:03}\x01", checksum(body));
        prop_assert_eq!(trailer, want.as_bytes());
        prop_assert_eq!(frame(wire, MAX), Frame::Complete(wire.len()));
        let mut parser = Parser::new();
        let view = parser.parse(wire).unwrap();
        prop_assert_eq!(view.msg_type(), msg_type.as_bytes());
        // Fields come back in order: 8, 9, 35, the body (a data pair is two fields), 10.
        let mut got = view.fields().skip(3);
        for (t, v) in &fields {
            let f = got.next().unwrap();
            match v {
                Value::Data(d) => {
                    let len = d.len().to_string();
                    prop_assert_eq!((f.tag, f.value), (95, len.as_bytes()));
                    let f = got.next().unwrap();
                    prop_assert_eq!((f.tag, f.value), (96, &d[..]));
                    continue;
                }
                _ => prop_assert_eq!(f.tag, *t),
            }
            let raw = f.value;
            match v {
                Value::Text(b) => prop_assert_eq!(raw, &b[..]),
                Value::Int(i) => prop_assert_eq!(ringfix_codec::value::parse_i64(raw), Ok(*i)),
                Value::Uint(u) => prop_assert_eq!(ringfix_codec::value::parse_u64(raw), Ok(*u)),
                Value::Char(c) => prop_assert_eq!(raw, &[*c][..]),
                Value::Bool(b) => prop_assert_eq!(ringfix_codec::value::parse_bool(raw), Ok(*b)),
                Value::Dec(d) => prop_assert_eq!(Decimal::parse(raw), Ok(*d)),
                Value::Time(ts, p) => {
                    prop_assert_eq!(raw.len(), p.len());
                    prop_assert_eq!(UtcTimestamp::parse(raw), Ok(truncate(*ts, *p)));
                }
                Value::Data(_) => unreachable!(),
            }
        }
        prop_assert_eq!(got.next().map(|f| f.tag), Some(10));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let mut parser = Parser::new();
        let mut pos = 0;
        while pos < bytes.len() {
            match frame(&bytes[pos..], 256) {
                Frame::Complete(n) => {
                    prop_assert!(parser.parse(&bytes[pos..pos + n]).is_ok());
                    pos += n;
                }
                Frame::Garbled { skip, .. } => {
                    prop_assert!(skip >= 1 && pos + skip <= bytes.len());
                    pos += skip;
                }
                Frame::Incomplete => break,
            }
        }
        let _ = parser.parse(&bytes);
        let _ = parser.parse_framed(&bytes);
    }

    #[test]
    fn mutated_messages_never_panic(
        seed in proptest::collection::vec((0usize..200, any::<u8>()), 1..6),
        cut in 0usize..220,
    ) {
        let mut out = Vec::new();
        let mut e = Encoder::new(&mut out, b"FIX.4.4", b"D");
        e.uint(34, 2).bytes(49, b"INIT").data(95, 96, b"x\x01y").bytes(58, b"text").uint(453, 1).bytes(448, b"P");
        e.finish();
        for (at, b) in seed {
            if let Some(x) = out.get_mut(at) {
                *x = b;
            }
        }
        let m = &out[..cut.min(out.len())];
        let mut parser = Parser::new();
        let _ = frame(m, MAX);
        if let Ok(v) = parser.parse_framed(m) {
            for f in v.fields() {
                let _ = v.tag_text(f.position);
            }
            let layout = ringfix_codec::GroupLayout::new(453, 448, [448, 447, 452]);
            let _ = v.group(&layout).map(|g| g.map(|g| g.entries().count()));
        }
    }
}
