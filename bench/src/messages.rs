//! The benchmark messages: exact bodies, built from typed values.

use ringfix_codec::{Decimal, Encoder, TimePrecision, TimestampFormatter, UtcTimestamp};

/// A benchmark case: its name and how to encode it from typed values.
pub struct Case {
    pub name: &'static str,
    pub encode: fn(&mut Vec<u8>, &mut TimestampFormatter),
}

pub const CASES: &[Case] = &[
    Case {
        name: "nos",
        encode: nos,
    },
    Case {
        name: "er",
        encode: er,
    },
    Case {
        name: "heartbeat",
        encode: heartbeat,
    },
    Case {
        name: "md",
        encode: md,
    },
];

fn t(text: &[u8]) -> UtcTimestamp {
    UtcTimestamp::parse(text).unwrap_or_default()
}

/// `35=D|34=2|49=INIT|52=20261124-10:00:00.000|56=ACC|11=ORD0000000001|21=1|55=MSFT|54=1|60=20261124-10:00:00.000|38=100|40=2|44=123.45|59=0|1=ACCOUNT01|`
pub fn nos(out: &mut Vec<u8>, f: &mut TimestampFormatter) {
    let now = t(b"20261124-10:00:00.000");
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

/// ExecutionReport with nested parties (270 bytes).
pub fn er(out: &mut Vec<u8>, f: &mut TimestampFormatter) {
    let now = t(b"20231103-09:30:00");
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

/// `35=0|34=7|49=INIT|52=20261124-10:00:00.000|56=ACC|`
pub fn heartbeat(out: &mut Vec<u8>, f: &mut TimestampFormatter) {
    let now = t(b"20261124-10:00:00.000");
    let mut e = Encoder::new(out, b"FIX.4.4", b"0");
    e.uint(34, 7)
        .bytes(49, b"INIT")
        .timestamp_cached(52, now, TimePrecision::Millis, f)
        .bytes(56, b"ACC");
    e.finish();
}

/// MarketDataIncrementalRefresh with 10 NoMDEntries.
pub fn md(out: &mut Vec<u8>, f: &mut TimestampFormatter) {
    let now = t(b"20261124-10:00:00.000");
    let mut e = Encoder::new(out, b"FIX.4.4", b"X");
    e.uint(34, 9)
        .bytes(49, b"MDGW")
        .timestamp_cached(52, now, TimePrecision::Millis, f)
        .bytes(56, b"CLIENT")
        .bytes(262, b"MDREQ1")
        .uint(268, 10);
    for i in 0..10u64 {
        e.char(279, b'0')
            .char(269, if i % 2 == 0 { b'0' } else { b'1' })
            .bytes(55, b"MSFT")
            .decimal(270, Decimal::new(12345 + i as i64, 2))
            .decimal(271, Decimal::new(100 * (i as i64 + 1), 0))
            .uint(1023, i / 2 + 1);
    }
    e.finish();
}
