//! Parse vs validate of the bench's cases (`ringfix_testkit::messages`, the
//! bytes `ringfix-bench codec` measures), for instruction counts: each of
//! `run_parse` and `run_validate` runs its operation N times, so under
//! `valgrind --tool=callgrind --toggle-collect='*run_parse*'
//! --toggle-collect='*run_validate*'` their inclusive counts divided by N
//! are instructions per message, both from one run. `scripts/validate_cost.sh`
//! does that and prints the ratio.
//!
//! Usage: `validate_cost [N] [CASE]` (N defaults to 10 000; every case
//! without CASE).
use ringfix_codec::dict::{Options, Validator};
use ringfix_codec::{MessageView, Parsed, Parser, TimestampFormatter, UtcTimestamp};
use ringfix_testkit::messages::CASES;
use std::hint::black_box;

/// What `ringfix-bench codec` times as parse: frame, CheckSum and index.
#[inline(never)]
fn run_parse(p: &mut Parser, msg: &[u8], n: usize) {
    for _ in 0..n {
        if let Parsed::Message(v) = p.parse_next(black_box(msg)) {
            black_box(v.len());
        }
    }
}

/// What it times as validate: the FIX.4.4 dictionary on the parsed view.
#[inline(never)]
fn run_validate(v: &mut Validator, view: &MessageView<'_>, n: usize) {
    for _ in 0..n {
        black_box(v.validate(black_box(view)).is_ok());
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let only = std::env::args().nth(2);
    let mut v = Validator::builtin(b"FIX.4.4", None, Options::default())?;
    let mut p = Parser::new();
    for case in CASES {
        if only.as_deref().is_some_and(|o| o != case.name) {
            continue;
        }
        let now = UtcTimestamp::parse(case.now)?;
        let mut msg = Vec::with_capacity(1024);
        (case.encode)(&mut msg, &mut TimestampFormatter::new(), now);
        run_parse(&mut p, &msg, n);
        let mut q = Parser::new();
        let view = q.parse(&msg)?;
        v.validate(&view)
            .map_err(|r| format!("{} does not validate: {r:?}", case.name))?;
        run_validate(&mut v, &view, n);
        println!("{}: {} bytes, {n} of each", case.name, msg.len());
    }
    Ok(())
}
