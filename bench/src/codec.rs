//! `codec` rows: frame, parse (frame + checksum + index) and encode per case.

use crate::messages::CASES;
use crate::report::{measure, Options, Row};
use ringfix_codec::{
    frame, Parsed, Parser, TimestampFormatter, UtcTimestamp, DEFAULT_MAX_MESSAGE_SIZE,
};
use std::hint::black_box;

/// Measure every selected case and op.
pub fn run(opts: &Options) -> Vec<Row> {
    let mut rows = Vec::new();
    for case in CASES {
        let mut fmt = TimestampFormatter::new();
        let now = UtcTimestamp::parse(case.now).unwrap_or_default();
        let mut wire = Vec::with_capacity(1024);
        (case.encode)(&mut wire, &mut fmt, now);
        let mut parser = Parser::new();
        if parser.parse(&wire).is_err() {
            eprintln!("{}: the encoded message does not parse", case.name);
            std::process::exit(1);
        }
        let row = |op: &'static str, ns: f64| Row {
            case: case.name,
            op,
            ns_per_msg: ns,
            bytes: wire.len(),
        };
        if opts.wants(case.name, "frame") {
            let ns = measure(opts, || {
                let _ = black_box(frame(black_box(&wire[..]), DEFAULT_MAX_MESSAGE_SIZE));
            });
            rows.push(row("frame", ns));
        }
        if opts.wants(case.name, "parse") {
            let ns = measure(opts, || {
                if let Parsed::Message(view) = parser.parse_next(black_box(&wire[..])) {
                    black_box(view.len());
                }
            });
            rows.push(row("parse", ns));
        }
        if opts.wants(case.name, "encode") {
            let mut out = Vec::with_capacity(1024);
            let ns = measure(opts, || {
                out.clear();
                (case.encode)(black_box(&mut out), &mut fmt, black_box(now));
                black_box(&out);
            });
            rows.push(row("encode", ns));
        }
    }
    rows
}
