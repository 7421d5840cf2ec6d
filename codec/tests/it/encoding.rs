//! Encoding: exact bytes, BodyLength without leading zeros, CheckSum,
//! timestamps at every precision, data fields, and round trips.

use crate::common;
use common::{msg, show};
use ringfix_codec::{
    frame, Decimal, Encoder, Frame, Parser, TimePrecision, TimestampFormatter, UtcTimestamp,
};

fn ts() -> UtcTimestamp {
    UtcTimestamp::parse(b"20261124-10:00:00.000").unwrap()
}

#[test]
fn encodes_exactly_like_the_reference() {
    let mut out = Vec::new();
    let mut e = Encoder::new(&mut out, b"FIX.4.4", b"D");
    e.uint(34, 2)
        .str(49, "INIT")
        .timestamp(52, ts(), TimePrecision::Millis)
        .str(56, "ACC")
        .str(11, "ORD0000000001")
        .char(21, b'1')
        .str(55, "MSFT")
        .char(54, b'1')
        .timestamp(60, ts(), TimePrecision::Millis)
        .int(38, 100)
        .char(40, b'2')
        .decimal(44, Decimal::new(12345, 2))
        .char(59, b'0')
        .str(1, "ACCOUNT01");
    let r = e.finish();
    let expected = msg(
        "FIX.4.4",
        "35=D|34=2|49=INIT|52=20261124-10:00:00.000|56=ACC|11=ORD0000000001|21=1|55=MSFT|54=1|60=20261124-10:00:00.000|38=100|40=2|44=123.45|59=0|1=ACCOUNT01|",
    );
    assert_eq!(show(&out[r]), show(&expected));
    assert_eq!(expected.len(), 172);
}

#[test]
fn body_length_has_no_leading_zeros_for_any_size() {
    for n in [
        0usize, 1, 2, 50, 90, 91, 94, 95, 96, 990, 991, 994, 995, 996, 5000, 99_990,
    ] {
        let text = "x".repeat(n);
        let mut out = b"previous".to_vec();
        let mut e = Encoder::new(&mut out, b"FIX.4.4", b"0");
        e.str(58, &text);
        let r = e.finish();
        assert_eq!(&out[..8], b"previous");
        assert_eq!(r.end, out.len());
        let m = &out[r];
        assert_eq!(frame(m, 200_000), Frame::Complete(m.len()), "n={n}");
        let expected = msg("FIX.4.4", &format!("35=0|58={text}|"));
        assert_eq!(m, &expected[..], "n={n}");
        let mut big = Parser::with_max_len(200_000);
        assert_eq!(big.parse(m).unwrap().get(58).unwrap().len(), n);
    }
}

#[test]
fn timestamps_every_precision_and_cached_formatter() {
    let t = UtcTimestamp::parse(b"20261124-10:00:00.123456789").unwrap();
    let mut f = TimestampFormatter::new();
    let mut out = Vec::new();
    let mut e = Encoder::new(&mut out, b"FIX.4.4", b"0");
    e.timestamp(52, t, TimePrecision::Seconds)
        .timestamp(60, t, TimePrecision::Millis)
        .timestamp_cached(122, t, TimePrecision::Micros, &mut f)
        .timestamp_cached(1, t, TimePrecision::Nanos, &mut f);
    let r = e.finish();
    let mut p = Parser::new();
    let v = p.parse(&out[r]).unwrap();
    assert_eq!(v.get(52), Some(&b"20261124-10:00:00"[..]));
    assert_eq!(v.get(60), Some(&b"20261124-10:00:00.123"[..]));
    assert_eq!(v.get(122), Some(&b"20261124-10:00:00.123456"[..]));
    assert_eq!(v.get(1), Some(&b"20261124-10:00:00.123456789"[..]));
    assert_eq!(v.get_timestamp(1), Ok(t));
}

#[test]
fn data_fields_and_copied_fields_round_trip() {
    let mut out = Vec::new();
    let mut e = Encoder::new(&mut out, b"FIXT.1.1", b"A");
    e.uint(34, 1)
        .data(95, 96, b"a\x01b")
        .bool(141, true)
        .int(5001, -5);
    let r = e.finish();
    let first = out[r.clone()].to_vec();
    let mut p = Parser::new();
    let v = p.parse(&first).unwrap();
    assert_eq!(v.get(96), Some(&b"a\x01b"[..]));
    assert_eq!(v.get_bool(141), Ok(true));
    assert_eq!(v.get_int(5001), Ok(-5));
    // Copy every body field into a new message: same bytes.
    let mut copy = Vec::new();
    let mut e = Encoder::new(&mut copy, v.begin_string(), v.msg_type());
    for f in v.fields().skip(3).take(v.len() - 4) {
        e.field(&f);
    }
    let r = e.finish();
    assert_eq!(show(&copy[r]), show(&first));
}

#[test]
fn abandon_removes_the_partial_message() {
    let mut out = b"kept".to_vec();
    let mut e = Encoder::new(&mut out, b"FIX.4.4", b"D");
    e.uint(34, 9).str(58, "half");
    assert!(e.body_len() > 0);
    e.abandon();
    assert_eq!(out, b"kept");
}

/// The encoder keeps its own cursor: abandoning after the buffer grew,
/// `raw` bytes in between fields, and a decimal longer than the usual room.
#[test]
fn cursor_survives_growth_raw_and_long_decimals() {
    let mut out = b"kept".to_vec();
    out.shrink_to_fit();
    let mut e = Encoder::new(&mut out, b"FIX.4.4", b"D");
    e.str(58, &"x".repeat(5000)).uint(34, 9);
    e.abandon();
    assert_eq!(out, b"kept");

    let mut e = Encoder::new(&mut out, b"FIX.4.4", b"D");
    e.uint(34, 9)
        .raw(b"58=raw\x0159=0\x01")
        .decimal(44, Decimal::new(-5, 30))
        .char(21, b'1');
    let r = e.finish();
    let body = format!("35=D|34=9|58=raw|59=0|44=-0.{}5|21=1|", "0".repeat(29));
    assert_eq!(&out[..4], b"kept");
    assert_eq!(show(&out[r]), show(&msg("FIX.4.4", &body)));
}

/// Every field writer, with tags and values of every length the field
/// cursor copies differently, into a buffer that has to grow mid-message.
#[test]
fn every_field_kind_matches_plain_formatting() {
    let values: Vec<String> = (0..40).map(|n| "v".repeat(n)).collect();
    let tags = [
        1u32,
        9,
        10,
        99,
        100,
        999,
        1000,
        9999,
        10_000,
        9_999_999,
        10_000_000,
        u32::MAX,
    ];
    let mut body = String::new();
    let mut out = b"previous".to_vec();
    out.shrink_to_fit();
    let mut e = Encoder::new(&mut out, b"FIX.4.4", b"8");
    body.push_str("35=8|");
    for (i, &tag) in tags.iter().enumerate() {
        for v in &values {
            e.str(tag, v);
            body.push_str(&format!("{tag}={v}|"));
        }
        let n = i as i64 * 7_919 - 40_000;
        e.int(tag, n).uint(tag, n.unsigned_abs() * 1_000_003);
        body.push_str(&format!(
            "{tag}={n}|{tag}={}|",
            n.unsigned_abs() * 1_000_003
        ));
        e.char(tag, b'x').bool(tag, i % 2 == 0);
        body.push_str(&format!(
            "{tag}=x|{tag}={}|",
            if i % 2 == 0 { 'Y' } else { 'N' }
        ));
        for (m, s, text) in [
            (12345, 2, "123.45"),
            (-5, 3, "-0.005"),
            (-120, 0, "-120"),
            (7, 1, "0.7"),
            (i64::MIN, 18, "-9.223372036854775808"),
            (i64::MAX, 0, "9223372036854775807"),
        ] {
            e.decimal(tag, Decimal::new(m, s));
            body.push_str(&format!("{tag}={text}|"));
        }
    }
    let r = e.finish();
    assert_eq!(&out[..8], b"previous");
    assert_eq!(show(&out[r]), show(&msg("FIX.4.4", &body)));
}

/// The cached formatter written through the encoder gives what `format`
/// and the uncached writer give, across days, times and every precision.
#[test]
fn cached_timestamps_match_the_plain_formatter() {
    let mut f = TimestampFormatter::new();
    let mut reference = TimestampFormatter::new();
    let precisions = [
        TimePrecision::Seconds,
        TimePrecision::Millis,
        TimePrecision::Micros,
        TimePrecision::Nanos,
    ];
    // Steps of a prime number of nanoseconds cross seconds, hours and days
    // (and go back before 1970).
    for i in -400i64..400 {
        let t = UtcTimestamp::from_nanos(i * 3_600_000_000_007 + i * i * 7_919_123);
        for p in precisions {
            let mut out = Vec::new();
            let mut e = Encoder::new(&mut out, b"FIX.4.4", b"0");
            e.timestamp_cached(52, t, p, &mut f).timestamp(60, t, p);
            let r = e.finish();
            let mut parser = Parser::new();
            let v = parser.parse(&out[r]).unwrap();
            let want = reference.format(t, p).to_vec();
            assert_eq!(v.get(52), Some(&want[..]), "{i} {p:?}");
            assert_eq!(v.get(60), Some(&want[..]), "{i} {p:?}");
        }
    }
}
