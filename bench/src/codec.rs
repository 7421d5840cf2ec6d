//! `codec` rows: frame, parse (frame + checksum + index) and encode per case.

use crate::report::{measure, Options, Row};
use ringfix_codec::{
    frame, Parsed, Parser, TimestampFormatter, UtcTimestamp, DEFAULT_MAX_MESSAGE_SIZE,
};
use ringfix_testkit::messages::CASES;
use std::hint::black_box;

/// Bytes of a page, and the step between encoded messages' starts.
pub const PAGE: usize = 4096;
pub const OUT_STEP: usize = 64;

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
            // Each message starts OUT_STEP bytes after the previous one,
            // wrapping within a page, so where a message falls relative to a
            // 4 KiB page boundary (a store split across two pages costs tens
            // of cycles) is averaged the way a stream of messages meets it,
            // rather than fixed by where malloc put this buffer: encoding
            // always at its start made one build measure er encode 52 ns and
            // a byte-identical copy of it 70 ns. The same for every case.
            let mut out = Vec::with_capacity(2 * PAGE);
            let mut at = 0;
            let ns = measure(opts, || {
                if out.len() < at {
                    out.resize(at, 0);
                }
                out.truncate(at);
                (case.encode)(black_box(&mut out), &mut fmt, black_box(now));
                black_box(&out);
                at = (at + OUT_STEP) % PAGE;
            });
            rows.push(row("encode", ns));
        }
    }
    rows
}
