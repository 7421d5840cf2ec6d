//! The engine side: a ringfix acceptor (app `exec`) and a ringfix initiator
//! whose application sends NewOrderSingles and times each ExecutionReport,
//! both through the runtime's public API (what `ringfix acceptor --app exec`
//! and `ringfix initiator` run), each reactor pinned to its own core.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use ringfix_engine::apps::exec::Exec;
use ringfix_engine::apps::orders::Orders;
use ringfix_engine::config::{EngineConfig, SessionSettings as EngineSettings};
use ringfix_engine::reactor::probe;
use ringfix_engine::runtime::{Counters, Runtime};
use ringfix_engine::session::{
    parse_u64, AppVerdict, Application, Incoming, Sender, SessionSettings,
};
use ringfix_engine::store::UtcTimestamp;
use ringfix_engine::time::{MonoTime, Now};

use super::floor::Mode;
use super::hist::{new_histogram, record_corrected};

/// One engine run's parameters.
#[derive(Clone, Debug)]
pub struct EngineRun {
    /// Spin or block (both reactors).
    pub mode: Mode,
    /// Round trips recorded.
    pub orders: u64,
    /// Round trips before recording starts.
    pub warmup: u64,
    /// Orders per second (one in flight), else back-to-back.
    pub rate: Option<u32>,
    /// Core of the acceptor's reactor.
    pub acceptor_core: usize,
    /// Core of the initiator's reactor.
    pub initiator_core: usize,
    /// Extra `[DEFAULT]` keys for the acceptor and the initiator (TLS).
    pub extra_keys: (String, String),
}

/// What one engine run measured.
pub struct EngineResult {
    /// Round trips (ns), as the initiator's application saw them.
    pub rtt: Histogram<u64>,
    /// The acceptor's own time per answer, Recv reaped to answer queued (ns).
    pub internal: Histogram<u64>,
    /// The initiator's own time from an ExecutionReport reaped to the next
    /// order queued (ns; a diagnostic).
    pub internal_initiator: Histogram<u64>,
    /// Wall time of the recorded part.
    pub wall: Duration,
    /// Allocations in the whole process during the recorded part.
    pub allocs: u64,
    /// The largest single store step (idle upkeep or deadline sync) on
    /// either reactor during the recorded part (ns).
    pub store_step_max_ns: f64,
    /// NewOrderSingle size on the wire.
    pub nos_bytes: usize,
    /// ExecutionReport size on the wire.
    pub er_bytes: usize,
}

/// Sends orders, one in flight, and times each answer.
struct Pinger {
    run: EngineRun,
    interval: Option<u64>,
    base: Instant,
    /// Monotonic ns (since `base`) and the engine's time of the last
    /// callback.
    mono_at_now: u64,
    now: Now,
    sent_at: u64,
    sent: u64,
    answered: u64,
    next_due: u64,
    in_flight: bool,
    logged_on: bool,
    done: bool,
    rec_started: Option<Instant>,
    allocs_at_start: u64,
    er_bytes: usize,
    hist: Histogram<u64>,
    acceptor: Arc<Counters>,
    /// The initiator's counters, set once its runtime has started.
    initiator: Arc<OnceLock<Arc<Counters>>>,
    out: Arc<Mutex<Option<EngineResult>>>,
}

impl Pinger {
    fn mono(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }

    fn total(&self) -> u64 {
        self.run.warmup + self.run.orders
    }

    /// Whether the next order may leave now.
    fn may_send(&self, mono: u64) -> bool {
        self.logged_on
            && !self.in_flight
            && self.sent < self.total()
            && self.interval.is_none_or(|_| mono >= self.next_due)
    }

    fn sent_one(&mut self, t: u64) {
        self.sent_at = t;
        self.sent += 1;
        self.in_flight = true;
        if let Some(step) = self.interval {
            // The schedule never runs ahead of now by more than a step.
            self.next_due = self.next_due.saturating_add(step).max(t);
        }
    }

    fn answered(&mut self, ns: u64) {
        self.in_flight = false;
        if self.answered >= self.run.warmup {
            match self.interval {
                Some(step) => record_corrected(&mut self.hist, ns, step),
                None => self.hist.saturating_record(ns.max(1)),
            }
        }
        self.answered += 1;
        if self.answered == self.run.warmup {
            // Nothing is in flight: the acceptor's thread is idle.
            for c in std::iter::once(&self.acceptor).chain(self.initiator.get()) {
                c.internal_latency.reset();
                c.store_upkeep.reset();
                c.store_sync.reset();
                c.store_step_max
                    .store(0, std::sync::atomic::Ordering::Relaxed);
            }
            self.rec_started = Some(Instant::now());
            self.allocs_at_start = ringfix_testkit::alloc::allocs_all();
        }
        if self.answered == self.total() {
            self.finish();
        }
    }

    fn finish(&mut self) {
        self.done = true;
        let wall = self.rec_started.map_or(Duration::ZERO, |t| t.elapsed());
        // Counted before this report allocates anything of its own.
        let allocs = ringfix_testkit::alloc::allocs_all().saturating_sub(self.allocs_at_start);
        store_work("acceptor", &self.acceptor);
        if let Some(c) = self.initiator.get() {
            store_work("initiator", c);
        }
        let step_max = std::iter::once(&self.acceptor)
            .chain(self.initiator.get())
            .map(|c| c.store_step_max.load(std::sync::atomic::Ordering::Relaxed))
            .max()
            .unwrap_or(0);
        let store_step_max_ns = step_max as f64 / probe::ticks_per_ns();
        let internal = super::hist::from_probe(
            &self.acceptor.internal_latency.snapshot(),
            probe::ticks_per_ns(),
        );
        let mine = self
            .initiator
            .get()
            .map(|c| c.internal_latency.snapshot())
            .unwrap_or_default();
        let mine = super::hist::from_probe(&mine, probe::ticks_per_ns());
        let (Ok(internal), Ok(internal_initiator), Ok(mut out)) = (internal, mine, self.out.lock())
        else {
            return;
        };
        *out = Some(EngineResult {
            rtt: self.hist.clone(),
            internal,
            internal_initiator,
            wall,
            allocs,
            store_step_max_ns,
            nos_bytes: 0,
            er_bytes: self.er_bytes,
        });
    }
}

/// Prints (stderr) the store work each reactor did during the measured
/// run: idle upkeep steps and deadline-driven syncs, count and cost.
fn store_work(side: &str, c: &Counters) {
    let tpn = probe::ticks_per_ns();
    let line = |what: &str, snap: Vec<(u64, u64)>| {
        let n: u64 = snap.iter().map(|&(_, k)| k).sum();
        let us = |ticks: u64| ticks as f64 / tpn / 1000.0;
        // + 0.0: an empty sum is -0.0.
        let total: f64 = snap.iter().map(|&(t, k)| us(t) * k as f64).sum::<f64>() + 0.0;
        let at = |q: f64| {
            let rank = (q * n as f64).ceil() as u64;
            let mut seen = 0;
            snap.iter()
                .find(|&&(_, k)| {
                    seen += k;
                    seen >= rank.max(1)
                })
                .map_or(0.0, |&(t, _)| us(t))
        };
        format!(
            "{what} {n} (total ~{total:.0} us; p50 {:.1}, p99 {:.1}, p99.9 {:.1}, max {:.1} us)",
            at(0.5),
            at(0.99),
            at(0.999),
            at(1.0)
        )
    };
    let largest = c.store_step_max.load(std::sync::atomic::Ordering::Relaxed) as f64 / tpn / 1000.0;
    eprintln!(
        "store work ({side}): {}; {}; largest step {largest:.1} us",
        line("idle upkeep steps", c.store_upkeep.snapshot()),
        line("deadline syncs", c.store_sync.snapshot())
    );
}

impl Application for Pinger {
    fn on_app(
        &mut self,
        session: &SessionSettings,
        msg: &Incoming<'_>,
        out: &mut Sender<'_>,
    ) -> AppVerdict {
        let t = self.mono();
        let expected = self.sent.checked_sub(1);
        if msg.msg_type() != b"8"
            || expected.is_none()
            || msg.get(11).and_then(parse_u64) != expected
        {
            return AppVerdict::Accept;
        }
        self.now = out.now();
        self.mono_at_now = self.mono();
        self.er_bytes = msg.raw().len();
        self.answered(t.saturating_sub(self.sent_at));
        // The next order leaves from this callback when it is due.
        if self.may_send(t) {
            let n = self.sent;
            let digits = session.timestamp_precision;
            let t = self.mono();
            if out
                .send(b"D", &[], Orders::body(n, self.now.wall, digits))
                .is_ok()
            {
                self.sent_one(t);
            }
        }
        AppVerdict::Accept
    }

    fn on_logon(&mut self, _session: &SessionSettings, _out: &mut Sender<'_>) {
        self.logged_on = true;
    }

    fn poll(&mut self, io: &mut Sender<'_>) {
        self.now = io.now();
        self.mono_at_now = self.mono();
        if self.done {
            if io.is_logged_on() {
                io.logout();
            }
            return;
        }
        let t = self.mono();
        if self.may_send(t) {
            let n = self.sent;
            let digits = io.settings().timestamp_precision;
            if io
                .send(b"D", &[], Orders::body(n, self.now.wall, digits))
                .is_ok()
            {
                self.sent_one(t);
            }
        }
    }

    fn wake_at(&self) -> Option<MonoTime> {
        self.interval?;
        if self.in_flight || self.done || self.sent >= self.total() {
            return None;
        }
        let ahead = self.next_due.saturating_sub(self.mono_at_now);
        let ahead = i64::try_from(ahead).ok()?;
        Some(self.now.mono.add_nanos(ahead))
    }

    fn finished(&self) -> bool {
        self.done
    }
}

/// Exec, noting the size of the orders it answers.
struct SizedExec {
    exec: Exec,
    nos_bytes: Arc<AtomicUsize>,
}

impl Application for SizedExec {
    fn on_app(
        &mut self,
        session: &SessionSettings,
        msg: &Incoming<'_>,
        out: &mut Sender<'_>,
    ) -> AppVerdict {
        self.nos_bytes.store(msg.raw().len(), Relaxed);
        self.exec.on_app(session, msg, out)
    }
}

fn reactor_keys(mode: Mode, core: usize) -> String {
    let m = match mode {
        Mode::Spin => "spin",
        Mode::Block => "block",
    };
    format!("ReactorMode={m}\nReactorCore={core}\n")
}

/// Runs the acceptor and the initiator until `orders + warmup` round trips
/// are done, file stores (default policy) under `dir`.
pub fn run(cfg: &EngineRun, dir: &Path) -> Result<EngineResult, String> {
    let d = dir.display();
    let acceptor = format!(
        "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nFileStorePath={d}/acceptor\n{}{}\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=BENCH\n\
         SocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n",
        reactor_keys(cfg.mode, cfg.acceptor_core),
        cfg.extra_keys.0
    );
    let acceptor = EngineConfig::parse(&acceptor, "bench-acceptor").map_err(|e| e.to_string())?;
    let nos_bytes = Arc::new(AtomicUsize::new(0));
    let sizes = Arc::clone(&nos_bytes);
    let exec = Box::new(move |_s: &EngineSettings| -> Box<dyn Application + Send> {
        Box::new(SizedExec {
            exec: Exec::new(),
            nos_bytes: Arc::clone(&sizes),
        })
    });
    let mut server = Runtime::start(&acceptor, exec).map_err(|e| e.to_string())?;
    let port = server
        .listen_addrs()
        .first()
        .map(|a| a.port())
        .ok_or("the acceptor did not listen")?;
    let counters = server
        .counters()
        .first()
        .map(|(_, c)| Arc::clone(c))
        .ok_or("the acceptor has no session")?;
    let initiator = format!(
        "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\nReconnectInterval=1\n\
         FileStorePath={d}/initiator\n{}{}\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=BENCH\nTargetCompID=EXEC\n\
         SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n",
        reactor_keys(cfg.mode, cfg.initiator_core),
        cfg.extra_keys.1
    );
    let initiator =
        EngineConfig::parse(&initiator, "bench-initiator").map_err(|e| e.to_string())?;
    let result = Arc::new(Mutex::new(None));
    let initiator_counters = Arc::new(OnceLock::new());
    let mut app: Option<Box<dyn Application + Send>> = Some(Box::new(Pinger {
        run: cfg.clone(),
        interval: cfg
            .rate
            .filter(|&r| r > 0)
            .map(|r| 1_000_000_000 / u64::from(r)),
        base: Instant::now(),
        mono_at_now: 0,
        now: Now::same(UtcTimestamp::from_nanos(0)),
        sent_at: 0,
        sent: 0,
        answered: 0,
        next_due: 0,
        in_flight: false,
        logged_on: false,
        done: false,
        rec_started: None,
        allocs_at_start: 0,
        er_bytes: 0,
        hist: new_histogram().map_err(|e| e.to_string())?,
        acceptor: counters,
        initiator: Arc::clone(&initiator_counters),
        out: Arc::clone(&result),
    }));
    let factory = Box::new(move |_s: &EngineSettings| -> Box<dyn Application + Send> {
        app.take().unwrap_or_else(|| Box::new(Exec::new()))
    });
    let mut client = Runtime::start(&initiator, factory).map_err(|e| e.to_string())?;
    if let Some((_, c)) = client.counters().first() {
        let _ = initiator_counters.set(Arc::clone(c));
    }
    client.wait();
    server.stopper().stop();
    server.wait();
    let mut r = result
        .lock()
        .map_err(|_| "poisoned result")?
        .take()
        .ok_or("the initiator ended before every order was answered")?;
    r.nos_bytes = nos_bytes.load(Relaxed);
    Ok(r)
}
