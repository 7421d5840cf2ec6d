//! Rows past the codec: dictionary validation of the parsed `nos` and
//! `er`, an in-order application message through the session, and a
//! `nos`-sized append to the file store.

use crate::report::{measure, thread_cpu_ns, Options, Row};
use ringfix_codec::dict::{Options as DictOptions, Validator};
use ringfix_codec::{Encoder, Parser, TimePrecision, TimestampFormatter, UtcTimestamp};
use ringfix_engine::session::{
    AppVerdict, Application, Incoming, Role, Sender, Session, SessionSettings,
};
use ringfix_engine::store::bench::{AppendBench, SAMPLE_MESSAGE};
use ringfix_engine::store::{FileStoreOptions, MemoryStore};
use ringfix_engine::time::Now;
use ringfix_testkit::messages::{nos, Case, CASES};
use std::hint::black_box;

/// Measure the selected rows.
pub fn run(opts: &Options) -> Result<Vec<Row>, String> {
    let mut rows = Vec::new();
    let case = CASES
        .iter()
        .find(|c| c.name == "nos")
        .ok_or("no nos case")?;
    let now = UtcTimestamp::parse(case.now).map_err(|e| format!("nos time: {e}"))?;
    let mut fmt = TimestampFormatter::new();
    let mut wire = Vec::with_capacity(1024);
    nos(&mut wire, &mut fmt, now);
    for case in CASES.iter().filter(|c| matches!(c.name, "nos" | "er")) {
        if opts.wants(case.name, "validate") {
            let (ns, bytes) = validate(opts, case)?;
            rows.push(Row {
                case: case.name,
                op: "validate",
                ns_per_msg: ns,
                bytes,
            });
        }
    }
    if opts.wants("session", "inbound_app") {
        rows.push(Row {
            case: "session",
            op: "inbound_app",
            ns_per_msg: session(opts, &wire, now)?,
            bytes: wire.len(),
        });
    }
    if opts.wants("store", "append") {
        rows.push(Row {
            case: "store",
            op: "append",
            ns_per_msg: append(opts)?,
            bytes: SAMPLE_MESSAGE.len(),
        });
    }
    Ok(rows)
}

/// The FIX.4.4 dictionary checks on the view the reactor already parsed:
/// (ns per message, message bytes).
fn validate(opts: &Options, case: &Case) -> Result<(f64, usize), String> {
    let now = UtcTimestamp::parse(case.now).map_err(|e| format!("{} time: {e}", case.name))?;
    let mut wire = Vec::with_capacity(1024);
    (case.encode)(&mut wire, &mut TimestampFormatter::new(), now);
    let mut v = Validator::builtin(b"FIX.4.4", None, DictOptions::default())
        .map_err(|e| format!("FIX.4.4 dictionary: {e}"))?;
    let mut parser = Parser::new();
    let view = parser
        .parse(&wire)
        .map_err(|e| format!("{}: {e}", case.name))?;
    v.validate(&view)
        .map_err(|r| format!("{} does not validate: {r:?}", case.name))?;
    let ns = measure(opts, || {
        black_box(v.validate(black_box(&view)).is_ok());
    });
    Ok((ns, wire.len()))
}

/// Counts what the session delivers.
struct Count(u64);

impl Application for Count {
    fn on_app(
        &mut self,
        _s: &SessionSettings,
        m: &Incoming<'_>,
        _o: &mut Sender<'_>,
    ) -> AppVerdict {
        self.0 += m.raw().len() as u64;
        AppVerdict::Accept
    }
}

/// Sequence check, CompID and SendingTime checks, delivery, the inbound
/// sequence number stored (MemoryStore); the header is extracted once and
/// only MsgSeqNum advances, as in `engine/benches/session.rs`.
fn session(opts: &Options, wire: &[u8], wall: UtcTimestamp) -> Result<f64, String> {
    let now = Now::same(wall);
    let cfg = SessionSettings::new(Role::Acceptor, "FIX.4.4", "ACC", "INIT");
    let mut s = Session::new(cfg, MemoryStore::new(wall), None);
    let mut app = Count(0);
    let mut out = Vec::with_capacity(1 << 16);
    s.connected(now, &mut out, &mut app);
    let mut logon = Vec::with_capacity(256);
    let mut fmt = TimestampFormatter::new();
    let mut e = Encoder::new(&mut logon, b"FIX.4.4", b"A");
    e.uint(34, 1)
        .bytes(49, b"INIT")
        .timestamp_cached(52, wall, TimePrecision::Millis, &mut fmt)
        .bytes(56, b"ACC")
        .int(98, 0)
        .int(108, 30);
    e.finish();
    let mut parser = Parser::new();
    let view = parser.parse(&logon).map_err(|e| e.to_string())?;
    s.on_message(&Incoming::from_view(&view), now, &mut out, &mut app);
    if !s.is_logged_on() {
        return Err("session bench: logon refused".into());
    }
    out.clear();
    let view = parser.parse(wire).map_err(|e| e.to_string())?;
    let base = *Incoming::from_view(&view).header();
    let mut seq = 2u64;
    let ns = measure(opts, || {
        let mut h = base;
        h.seq = Some(seq);
        seq += 1;
        let msg = Incoming::with_header(&view, h);
        black_box(s.on_message(black_box(&msg), now, &mut out, &mut app));
    });
    if s.next_target_seq() != seq || !out.is_empty() || app.0 == 0 {
        return Err("session bench: a message was not delivered in order".into());
    }
    Ok(ns)
}

/// Appends to a FileStore (default policy: StoreFsync never) in batches;
/// the store's upkeep (`sync`: next segment mapped and prefaulted) runs
/// between batches, untimed, as the runtime runs it between events.
fn append(opts: &Options) -> Result<f64, String> {
    const BATCH: u64 = 4096;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut b =
        AppendBench::new(dir.path(), FileStoreOptions::default()).map_err(|e| e.to_string())?;
    let mut samples = Vec::new();
    // About run_ms of appends at ~150 ns each.
    let batches = (opts.run_ms * 2).clamp(4, 2000) as usize;
    for run in 0..=opts.runs.max(1) {
        let mut spent = 0u128;
        for _ in 0..batches {
            let t = thread_cpu_ns();
            for _ in 0..BATCH {
                b.append().map_err(|e| e.to_string())?;
            }
            spent += thread_cpu_ns() - t;
            b.maintain(Now::same(UtcTimestamp::from_nanos(0)))
                .map_err(|e| e.to_string())?;
        }
        // The first run warms the page cache and the mapping.
        if run > 0 {
            samples.push(spent as f64 / (batches as u64 * BATCH) as f64);
        }
    }
    samples.sort_by(f64::total_cmp);
    samples
        .get(samples.len() / 2)
        .copied()
        .ok_or_else(|| "no sample".into())
}

#[cfg(test)]
mod tests {
    use ringfix_codec::dict::{Options, Validator};
    use ringfix_codec::{Parser, TimestampFormatter, UtcTimestamp};
    use ringfix_testkit::messages::CASES;

    /// Every case is a valid FIX.4.4 message under the shipped dictionary
    /// (other engines validate them too).
    #[test]
    fn every_case_is_valid() {
        let mut v = Validator::builtin(b"FIX.4.4", None, Options::default()).unwrap();
        for case in CASES {
            let mut wire = Vec::new();
            let now = UtcTimestamp::parse(case.now).unwrap();
            (case.encode)(&mut wire, &mut TimestampFormatter::new(), now);
            let mut parser = Parser::new();
            let view = parser.parse(&wire).unwrap();
            assert_eq!(v.validate(&view), Ok(()), "{}", case.name);
        }
    }
}
