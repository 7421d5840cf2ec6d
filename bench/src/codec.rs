//! `codec` rows: parse (frame + checksum + index) and encode per case.

use crate::messages::CASES;
use crate::report::{measure, Options, Row};
use ringfix_codec::{frame, Frame, Parser, TimestampFormatter, DEFAULT_MAX_MESSAGE_SIZE};
use std::hint::black_box;

/// Measure every case.
pub fn run(opts: &Options) -> Vec<Row> {
    let mut rows = Vec::new();
    for case in CASES {
        if opts.case.as_deref().is_some_and(|c| !case.name.contains(c)) {
            continue;
        }
        let mut fmt = TimestampFormatter::new();
        let mut wire = Vec::with_capacity(1024);
        (case.encode)(&mut wire, &mut fmt);
        let mut parser = Parser::new();
        if parser.parse(&wire).is_err() {
            eprintln!("{}: the encoded message does not parse", case.name);
            std::process::exit(1);
        }
        let ns = measure(opts, || {
            let buf = black_box(&wire[..]);
            if let Frame::Complete(n) = frame(buf, DEFAULT_MAX_MESSAGE_SIZE) {
                if let Ok(view) = parser.parse_framed(&buf[..n]) {
                    black_box(view.len());
                }
            }
        });
        rows.push(Row {
            case: case.name,
            op: "parse",
            ns_per_msg: ns,
            bytes: wire.len(),
        });
        let mut out = Vec::with_capacity(1024);
        let ns = measure(opts, || {
            out.clear();
            (case.encode)(black_box(&mut out), &mut fmt);
            black_box(&out);
        });
        rows.push(Row {
            case: case.name,
            op: "encode",
            ns_per_msg: ns,
            bytes: out.len(),
        });
    }
    rows
}
