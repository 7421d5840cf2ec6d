//! The acceptor's parts, measured on the NewOrderSingle it received in the
//! run (the same bytes), on the acceptor's core, in the same invocation:
//! parse (frame, CheckSum, index: one pass, as the connection does),
//! FIX.4.4 validation of the parsed view, the session's in-order step (an
//! application that only counts), the `exec` application's work (the
//! ExecutionReport read from the order and encoded with its SendingTime:
//! the same step with `exec` minus the counting one, both over a store
//! that keeps nothing) and the file store's append of that report. Their
//! sum is what one hop cannot take less than; `internal_ratio` is the
//! internal p50 over it.

use ringfix_codec::dict::{Options as DictOptions, Validator};
use ringfix_codec::{Encoder, Parsed, Parser, TimePrecision, TimestampFormatter};
use ringfix_engine::apps::exec::Exec;
use ringfix_engine::session::{
    AppVerdict, Application, Incoming, Role, Sender, Session, SessionSettings,
};
use ringfix_engine::store::bench::AppendBench;
use ringfix_engine::store::{FileStoreOptions, MessageStore, MonoTime, StoreResult, UtcTimestamp};
use ringfix_engine::time::Now;
use std::hint::black_box;

use crate::report::{measure, thread_cpu_ns, Options};

/// Thread-CPU ns per message of each part.
#[derive(Debug, Clone, Copy, Default)]
pub struct Parts {
    pub parse: f64,
    pub validate: f64,
    pub session: f64,
    pub exec: f64,
    pub append: f64,
}

impl Parts {
    /// The parts' names and figures, keyed like the JSON.
    pub fn rows(&self) -> [(&'static str, f64); 5] {
        [
            ("parse", self.parse),
            ("validate", self.validate),
            ("session", self.session),
            ("exec", self.exec),
            ("append", self.append),
        ]
    }

    pub fn sum(&self) -> f64 {
        self.rows().iter().map(|r| r.1).sum()
    }
}

/// Short runs: the parts are measured once per engine run.
fn opts() -> Options {
    Options {
        json: false,
        runs: 7,
        run_ms: 20,
        case: None,
        op: None,
    }
}

/// Measures the parts of answering `nos` (as the acceptor received it,
/// BENCH -> EXEC), pinned to `core`.
pub fn measure_on(core: usize, nos: &[u8]) -> Result<Parts, String> {
    std::thread::scope(|s| {
        s.spawn(|| {
            core_affinity::set_for_current(core_affinity::CoreId { id: core });
            measure_parts(nos)
        })
        .join()
        .map_err(|_| "parts: the measuring thread panicked".to_string())?
    })
}

fn measure_parts(nos: &[u8]) -> Result<Parts, String> {
    let o = opts();
    let mut parser = Parser::new();
    let parse = measure(&o, || {
        if let Parsed::Message(v) = parser.parse_next(black_box(nos)) {
            black_box(v.len());
        }
    });
    let mut parser = Parser::new();
    let view = parser
        .parse(nos)
        .map_err(|e| format!("parts: the order: {e}"))?;
    let mut v = Validator::builtin(b"FIX.4.4", None, DictOptions::default())
        .map_err(|e| format!("FIX.4.4 dictionary: {e}"))?;
    v.validate(&view)
        .map_err(|r| format!("parts: the order does not validate: {r:?}"))?;
    let validate = measure(&o, || {
        black_box(v.validate(black_box(&view)).is_ok());
    });
    let sent = view
        .get(52)
        .and_then(|t| UtcTimestamp::parse(t).ok())
        .ok_or("parts: the order has no SendingTime")?;
    let now = Now::same(sent);
    let (session, _) = session_step(&o, &view, now, &mut Count(0))?;
    let (with_exec, er) = session_step(&o, &view, now, &mut Exec::new())?;
    let append = append(&o, &er)?;
    Ok(Parts {
        parse,
        validate,
        session,
        exec: (with_exec - session).max(0.0),
        append,
    })
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

/// The session's in-order step on `view` (only MsgSeqNum advances) with
/// `app`, the store keeping nothing: (ns per message, the last answer's
/// bytes).
fn session_step(
    o: &Options,
    view: &ringfix_codec::MessageView<'_>,
    now: Now,
    app: &mut dyn Application,
) -> Result<(f64, Vec<u8>), String> {
    let cfg = SessionSettings::new(Role::Acceptor, "FIX.4.4", "EXEC", "BENCH");
    let mut s = Session::new(cfg, NullStore::default(), None);
    let mut out = Vec::with_capacity(1 << 16);
    s.connected(now, &mut out, app);
    let mut logon = Vec::with_capacity(256);
    let mut fmt = TimestampFormatter::new();
    let mut e = Encoder::new(&mut logon, b"FIX.4.4", b"A");
    e.uint(34, 1)
        .bytes(49, b"BENCH")
        .timestamp_cached(52, now.wall, TimePrecision::Millis, &mut fmt)
        .bytes(56, b"EXEC")
        .int(98, 0)
        .int(108, 30);
    e.finish();
    let mut parser = Parser::new();
    let lv = parser.parse(&logon).map_err(|e| e.to_string())?;
    s.on_message(&Incoming::from_view(&lv), now, &mut out, app);
    if !s.is_logged_on() {
        return Err("parts: the session refused the Logon".into());
    }
    let base = *Incoming::from_view(view).header();
    let mut seq = 2u64;
    let mut last = 0;
    let ns = measure(o, || {
        out.clear();
        let mut h = base;
        h.seq = Some(seq);
        seq += 1;
        let msg = Incoming::with_header(view, h);
        black_box(s.on_message(black_box(&msg), now, &mut out, app));
        last = out.len();
    });
    if s.next_target_seq() != seq {
        return Err("parts: an order was not taken in order".into());
    }
    Ok((ns, out.get(..last).unwrap_or_default().to_vec()))
}

/// Appends of `msg` (the report) to a file store (default policy) with the
/// next sender number stored, as the session does; upkeep between batches,
/// untimed, as the reactor does it in idle time.
fn append(o: &Options, msg: &[u8]) -> Result<f64, String> {
    const BATCH: u64 = 4096;
    if msg.is_empty() {
        return Err("parts: exec answered nothing".into());
    }
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mut b =
        AppendBench::new(dir.path(), FileStoreOptions::default()).map_err(|e| e.to_string())?;
    let batches = (o.run_ms / 2).max(4) as usize;
    let mut samples = Vec::new();
    for run in 0..=o.runs.max(1) {
        let mut spent = 0u128;
        for _ in 0..batches {
            let t = thread_cpu_ns();
            for _ in 0..BATCH {
                b.append_message(msg).map_err(|e| e.to_string())?;
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

/// Sequence numbers only: the session's step without a store's cost.
#[derive(Debug, Default)]
struct NullStore {
    sender: u64,
    target: u64,
}

impl MessageStore for NullStore {
    fn next_sender_seq(&self) -> u64 {
        self.sender.max(1)
    }
    fn next_target_seq(&self) -> u64 {
        self.target.max(1)
    }
    fn set_next_sender_seq(&mut self, seq: u64) -> StoreResult<()> {
        self.sender = seq;
        Ok(())
    }
    fn set_next_target_seq(&mut self, seq: u64) -> StoreResult<()> {
        self.target = seq;
        Ok(())
    }
    fn append(&mut self, _seq: u64, bytes: &[u8]) -> StoreResult<()> {
        black_box(bytes);
        Ok(())
    }
    fn get_range(
        &self,
        _begin: u64,
        _end: u64,
        _visit: &mut dyn FnMut(u64, &[u8]),
    ) -> StoreResult<()> {
        Ok(())
    }
    fn reset(&mut self, _now: UtcTimestamp) -> StoreResult<()> {
        self.sender = 1;
        self.target = 1;
        Ok(())
    }
    fn refresh(&mut self) -> StoreResult<()> {
        Ok(())
    }
    fn creation_time(&self) -> UtcTimestamp {
        UtcTimestamp::from_nanos(0)
    }
    fn sync(&mut self, _now: MonoTime) -> StoreResult<()> {
        Ok(())
    }
    fn sync_deadline(&self) -> Option<MonoTime> {
        None
    }
}
