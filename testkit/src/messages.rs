//! The benchmark messages: exact bodies, built from typed values.

use ringfix_codec::{Decimal, Encoder, TimePrecision, TimestampFormatter, UtcTimestamp};
use std::hint::black_box;

/// A field value as the compiler sees a value read from an order: not a
/// constant it could fold into the encoding (tags stay literal, as in real
/// code).
#[inline(always)]
pub fn v<T>(x: T) -> T {
    black_box(x)
}

/// [`v`] for text: its length is not known to the compiler either.
#[inline(always)]
pub fn s(x: &[u8]) -> &[u8] {
    black_box(x)
}

/// A benchmark case: its name and how to encode it from typed values.
pub struct Case {
    pub name: &'static str,
    pub encode: fn(&mut Vec<u8>, &mut TimestampFormatter, UtcTimestamp),
    /// SendingTime of the case's body.
    pub now: &'static [u8],
}

pub const CASES: &[Case] = &[
    Case {
        name: "nos",
        encode: nos,
        now: b"20261124-10:00:00.000",
    },
    Case {
        name: "er",
        encode: er,
        now: b"20231103-09:30:00",
    },
    Case {
        name: "er37",
        encode: er37,
        now: b"20231103-09:30:00",
    },
    Case {
        name: "heartbeat",
        encode: heartbeat,
        now: b"20261124-10:00:00.000",
    },
    Case {
        name: "md",
        encode: md,
        now: b"20261124-10:00:00.000",
    },
];

/// `35=D|34=2|49=INIT|52=20261124-10:00:00.000|56=ACC|11=ORD0000000001|21=1|55=MSFT|54=1|60=20261124-10:00:00.000|38=100|40=2|44=123.45|59=0|1=ACCOUNT01|`
pub fn nos(out: &mut Vec<u8>, f: &mut TimestampFormatter, now: UtcTimestamp) {
    let mut e = Encoder::new(out, b"FIX.4.4", b"D");
    e.uint(34, v(2))
        .bytes(49, s(b"INIT"))
        .timestamp_cached(52, now, TimePrecision::Millis, f)
        .bytes(56, s(b"ACC"))
        .bytes(11, s(b"ORD0000000001"))
        .char(21, v(b'1'))
        .bytes(55, s(b"MSFT"))
        .char(54, v(b'1'))
        .timestamp_cached(60, now, TimePrecision::Millis, f)
        .int(38, v(100))
        .char(40, v(b'2'))
        .decimal(44, v(Decimal::new(12345, 2)))
        .char(59, v(b'0'))
        .bytes(1, s(b"ACCOUNT01"));
    e.finish();
}

/// ExecutionReport with nested parties (282 bytes).
pub fn er(out: &mut Vec<u8>, f: &mut TimestampFormatter, now: UtcTimestamp) {
    let mut e = Encoder::new(out, b"FIX.4.4", b"8");
    e.uint(34, v(2))
        .bytes(49, s(b"Broker"))
        .timestamp_cached(52, now, TimePrecision::Seconds, f)
        .bytes(56, s(b"Client"))
        .bytes(37, s(b"OID12345"))
        .bytes(11, s(b"Order12345"))
        .bytes(17, s(b"Exec12345"))
        .char(150, v(b'0'))
        .char(39, v(b'0'))
        .bytes(55, s(b"APPL"))
        .char(54, v(b'1'))
        .decimal(38, v(Decimal::new(100, 0)))
        .decimal(32, v(Decimal::new(50, 0)))
        .decimal(31, v(Decimal::new(15000, 2)))
        .decimal(151, v(Decimal::new(50, 0)))
        .decimal(14, v(Decimal::new(50, 0)))
        .decimal(6, v(Decimal::new(15000, 2)))
        .uint(453, v(2))
        .bytes(448, s(b"PARTYA"))
        .char(447, v(b'D'))
        .int(452, v(1))
        .uint(802, v(2))
        .bytes(523, s(b"SUBPARTYA1"))
        .int(803, v(1))
        .bytes(523, s(b"SUBPARTYA2"))
        .int(803, v(2))
        .bytes(448, s(b"PARTYB"))
        .char(447, v(b'D'))
        .int(452, v(2));
    e.finish();
}

/// [`er`] with the OrderID (37) FIX.4.4 requires: the hand-written
/// reference of the generated builder (`crate::typed::er37_build`).
pub fn er37(out: &mut Vec<u8>, f: &mut TimestampFormatter, now: UtcTimestamp) {
    let mut e = Encoder::new(out, b"FIX.4.4", b"8");
    e.uint(34, v(2))
        .bytes(49, s(b"Broker"))
        .timestamp_cached(52, now, TimePrecision::Seconds, f)
        .bytes(56, s(b"Client"))
        .bytes(37, s(b"OID12345"))
        .bytes(11, s(b"Order12345"))
        .bytes(17, s(b"Exec12345"))
        .char(150, v(b'0'))
        .char(39, v(b'0'))
        .bytes(55, s(b"APPL"))
        .char(54, v(b'1'))
        .decimal(38, v(Decimal::new(100, 0)))
        .decimal(32, v(Decimal::new(50, 0)))
        .decimal(31, v(Decimal::new(15000, 2)))
        .decimal(151, v(Decimal::new(50, 0)))
        .decimal(14, v(Decimal::new(50, 0)))
        .decimal(6, v(Decimal::new(15000, 2)))
        .uint(453, v(2))
        .bytes(448, s(b"PARTYA"))
        .char(447, v(b'D'))
        .int(452, v(1))
        .uint(802, v(2))
        .bytes(523, s(b"SUBPARTYA1"))
        .int(803, v(1))
        .bytes(523, s(b"SUBPARTYA2"))
        .int(803, v(2))
        .bytes(448, s(b"PARTYB"))
        .char(447, v(b'D'))
        .int(452, v(2));
    e.finish();
}

/// `35=0|34=7|49=INIT|52=20261124-10:00:00.000|56=ACC|`
pub fn heartbeat(out: &mut Vec<u8>, f: &mut TimestampFormatter, now: UtcTimestamp) {
    let mut e = Encoder::new(out, b"FIX.4.4", b"0");
    e.uint(34, v(7))
        .bytes(49, s(b"INIT"))
        .timestamp_cached(52, now, TimePrecision::Millis, f)
        .bytes(56, s(b"ACC"));
    e.finish();
}

/// MarketDataIncrementalRefresh with 10 NoMDEntries.
pub fn md(out: &mut Vec<u8>, f: &mut TimestampFormatter, now: UtcTimestamp) {
    let mut e = Encoder::new(out, b"FIX.4.4", b"X");
    e.uint(34, v(9))
        .bytes(49, s(b"MDGW"))
        .timestamp_cached(52, now, TimePrecision::Millis, f)
        .bytes(56, s(b"CLIENT"))
        .bytes(262, s(b"MDREQ1"))
        .uint(268, v(10));
    for i in 0..10u64 {
        e.char(279, v(b'0'))
            .char(269, v(if i % 2 == 0 { b'0' } else { b'1' }))
            .bytes(55, s(b"MSFT"))
            .decimal(270, v(Decimal::new(12345 + i as i64, 2)))
            .decimal(271, v(Decimal::new(100 * (i as i64 + 1), 0)))
            .uint(290, v(i / 2 + 1));
    }
    e.finish();
}
