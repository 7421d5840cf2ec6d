//! `xsend`: what a cross-thread send costs beside a send from the callback.
//!
//! One initiator session, orders alternating between two paths in the same
//! run, one in flight: even orders leave from the reactor thread (the
//! callback that saw the previous fill sends the next order through its
//! `Sender`), odd orders from a strategy thread through the runtime's
//! lock-free `SessionSender` (queue slot -> `Remote::wake` mark -> drained by the
//! reactor). Each round trip is timed from just before the order is
//! encoded to its ExecutionReport in the callback; the difference of the
//! two distributions is the cross-thread cost (queue to wire). The
//! counterparty (`exec` acceptor) runs in block mode on core 0; the
//! initiator's reactor is pinned to core 1 in `--mode` (spin by default);
//! the strategy thread is pinned to `--strategy-core` (0: beside the
//! blocking counterparty). It parks between orders, so it takes no core
//! while it waits (its wake-up happens before its clock starts).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread::Thread;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use ringfix_codec::Decimal;
use ringfix_engine::apps::exec::Exec;
use ringfix_engine::config::{EngineConfig, SessionSettings as EngineSettings};
use ringfix_engine::runtime::{Runtime, SessionSender, TrySendError};
use ringfix_engine::session::{
    parse_u64, AppVerdict, Application, FieldWriter, Incoming, Sender, SessionSettings,
};
use serde_json::{json, Map, Value};

use crate::latency::floor::Mode;
use crate::latency::hist::{new_histogram, percentiles_us};

/// Options of `ringfix-bench xsend`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// The initiator reactor's mode (the counterparty always blocks).
    #[arg(long, value_enum, default_value = "spin")]
    pub mode: Mode,
    /// Round trips recorded per path.
    #[arg(long, default_value_t = 20_000)]
    pub orders: u64,
    /// Round trips (both paths) before recording.
    #[arg(long, default_value_t = 2_000)]
    pub warmup: u64,
    /// Core the strategy thread is pinned to.
    #[arg(long, default_value_t = 0)]
    pub strategy_core: usize,
    /// Leave the strategy thread unpinned.
    #[arg(long)]
    pub no_pin: bool,
    /// One JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

const NONE: u64 = u64::MAX;

/// Between the reactor-side application and the strategy thread.
struct Shared {
    base: Instant,
    /// Monotonic ns when the in-flight order started (before encoding).
    started: AtomicU64,
    /// The order number the strategy thread must send next, or `NONE`.
    turn: AtomicU64,
    stop: AtomicBool,
    strategy: OnceLock<Thread>,
}

impl Shared {
    fn mono(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

fn qty() -> Decimal {
    Decimal {
        mantissa: 100,
        scale: 0,
    }
}

fn px() -> Decimal {
    Decimal {
        mantissa: 10025,
        scale: 2,
    }
}

/// The same order body on both paths (TransactTime stamped at send).
fn order_fields(n: u64, w: &mut FieldWriter<'_>, now: i64, digits: u8) {
    w.field_u64(11, n).field(21, b"1");
    w.encoder().decimal(38, qty());
    w.field(40, b"2");
    w.encoder().decimal(44, px());
    w.field(54, b"1")
        .field(55, b"RFIX")
        .field_time(60, now, digits);
}

/// The order's body for the cross-thread path (TransactTime is stamped
/// by the reactor when it sends: the sender is set to).
fn order_body(n: u64, w: &mut FieldWriter<'_>) {
    w.field_u64(11, n).field(21, b"1");
    w.encoder().decimal(38, qty());
    w.field(40, b"2");
    w.encoder().decimal(44, px());
    w.field(54, b"1").field(55, b"RFIX");
}

/// [callback path, cross-thread path] histograms, filled at the end.
type Result2 = Arc<Mutex<Option<[Histogram<u64>; 2]>>>;

/// The initiator's application: times every answer, sends even orders
/// itself and hands odd ones to the strategy thread.
struct Alternator {
    shared: Arc<Shared>,
    total: u64,
    warmup: u64,
    now: i64,
    started: bool,
    done: bool,
    hist: [Histogram<u64>; 2],
    out: Result2,
}

impl Alternator {
    /// Order `n` leaves from here (even) or from the strategy thread (odd).
    fn launch(&mut self, n: u64, send: impl FnOnce(u64, i64) -> bool) {
        if n >= self.total {
            self.finish();
            return;
        }
        if n % 2 == 0 {
            self.shared
                .started
                .store(self.shared.mono(), Ordering::Release);
            if !send(n, self.now) {
                self.finish();
            }
        } else {
            self.shared.turn.store(n, Ordering::Release);
            if let Some(t) = self.shared.strategy.get() {
                t.unpark();
            }
        }
    }

    fn finish(&mut self) {
        self.done = true;
        self.shared.stop.store(true, Ordering::Release);
        if let Some(t) = self.shared.strategy.get() {
            t.unpark();
        }
        if let Ok(mut out) = self.out.lock() {
            *out = Some(self.hist.clone());
        }
    }
}

impl Application for Alternator {
    fn on_app(
        &mut self,
        session: &SessionSettings,
        msg: &Incoming<'_>,
        out: &mut Sender<'_>,
    ) -> AppVerdict {
        let t1 = self.shared.mono();
        self.now = out.now().wall.as_nanos();
        let Some(n) = msg.get(11).and_then(parse_u64) else {
            return AppVerdict::Accept;
        };
        if msg.msg_type() != b"8" || self.done {
            return AppVerdict::Accept;
        }
        let rtt = t1.saturating_sub(self.shared.started.load(Ordering::Acquire));
        if n >= self.warmup {
            if let Some(h) = self.hist.get_mut((n % 2) as usize) {
                h.saturating_record(rtt.max(1));
            }
        }
        let digits = session.timestamp_precision;
        self.launch(n + 1, |n, now| {
            out.send(b"D", &[], |w| order_fields(n, w, now, digits))
                .is_ok()
        });
        AppVerdict::Accept
    }

    fn poll(&mut self, io: &mut Sender<'_>) {
        self.now = io.now().wall.as_nanos();
        if self.done {
            if io.is_logged_on() {
                io.logout();
            }
            return;
        }
        if !self.started && io.is_logged_on() {
            self.started = true;
            let digits = io.settings().timestamp_precision;
            self.launch(0, |n, now| {
                io.send(b"D", &[], |w| order_fields(n, w, now, digits))
                    .is_ok()
            });
        }
    }

    fn finished(&self) -> bool {
        self.done
    }
}

/// The strategy thread: waits to be told an order number, then starts
/// the clock, encodes the order into a slot and queues it.
fn strategy(shared: &Shared, tx: &mut SessionSender) {
    tx.stamp_send_time(Some(60));
    while !shared.stop.load(Ordering::Acquire) {
        let n = shared.turn.swap(NONE, Ordering::AcqRel);
        if n == NONE {
            std::thread::park_timeout(Duration::from_millis(50));
            continue;
        }
        shared.started.store(shared.mono(), Ordering::Release);
        loop {
            match tx.try_send(b"D", |w| order_body(n, w)) {
                Ok(_) => break,
                Err(TrySendError::QueueFull) => std::hint::spin_loop(),
                Err(e) => {
                    eprintln!("xsend: order {n}: {e}");
                    shared.stop.store(true, Ordering::Release);
                    return;
                }
            }
        }
    }
}

fn reactor_keys(mode: Mode, core: usize) -> String {
    let m = match mode {
        Mode::Spin => "spin",
        Mode::Block => "block",
    };
    format!("ReactorMode={m}\nReactorCore={core}\n")
}

/// Runs the benchmark and prints the result.
pub fn run(args: &Args) -> Result<(), String> {
    if args.orders == 0 {
        return Err("--orders must be at least 1".into());
    }
    let acceptor = format!(
        "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\n{}\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=BENCH\n\
         SocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n",
        reactor_keys(Mode::Block, 0)
    );
    let acceptor = EngineConfig::parse(&acceptor, "xsend-acceptor").map_err(|e| e.to_string())?;
    let exec =
        Box::new(|_s: &EngineSettings| -> Box<dyn Application + Send> { Box::new(Exec::new()) });
    let mut server = Runtime::start(&acceptor, exec).map_err(|e| e.to_string())?;
    let port = server
        .listen_addrs()
        .first()
        .map(|a| a.port())
        .ok_or("the acceptor did not listen")?;
    let initiator = format!(
        "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\nReconnectInterval=1\n{}\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=BENCH\nTargetCompID=EXEC\n\
         SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n",
        reactor_keys(args.mode, 1)
    );
    let initiator =
        EngineConfig::parse(&initiator, "xsend-initiator").map_err(|e| e.to_string())?;
    let id = initiator
        .sessions
        .first()
        .map(|s| s.id.clone())
        .ok_or("no initiator session")?;
    let shared = Arc::new(Shared {
        base: Instant::now(),
        started: AtomicU64::new(0),
        turn: AtomicU64::new(NONE),
        stop: AtomicBool::new(false),
        strategy: OnceLock::new(),
    });
    let result: Result2 = Arc::new(Mutex::new(None));
    let hist = [
        new_histogram().map_err(|e| e.to_string())?,
        new_histogram().map_err(|e| e.to_string())?,
    ];
    let mut app: Option<Box<dyn Application + Send>> = Some(Box::new(Alternator {
        shared: Arc::clone(&shared),
        total: args.warmup.saturating_add(args.orders.saturating_mul(2)),
        warmup: args.warmup,
        now: 0,
        started: false,
        done: false,
        hist,
        out: Arc::clone(&result),
    }));
    let factory = Box::new(move |_s: &EngineSettings| -> Box<dyn Application + Send> {
        app.take().unwrap_or_else(|| Box::new(Exec::new()))
    });
    let mut client = Runtime::start(&initiator, factory).map_err(|e| e.to_string())?;
    let mut tx = client.sender(&id, 64).ok_or("no sender for the session")?;
    let for_thread = Arc::clone(&shared);
    let pin = (!args.no_pin).then_some(args.strategy_core);
    let thread = std::thread::spawn(move || {
        if let Some(id) = pin {
            core_affinity::set_for_current(core_affinity::CoreId { id });
        }
        strategy(&for_thread, &mut tx)
    });
    let _ = shared.strategy.set(thread.thread().clone());
    client.wait();
    shared.stop.store(true, Ordering::Release);
    thread.thread().unpark();
    let _ = thread.join();
    server.stopper().stop();
    server.wait();
    let [callback, xthread] = result
        .lock()
        .map_err(|_| "poisoned result")?
        .take()
        .ok_or("the initiator ended before every order was answered")?;
    print(args, &callback, &xthread);
    Ok(())
}

fn print(args: &Args, callback: &Histogram<u64>, xthread: &Histogram<u64>) {
    let a = percentiles_us(callback);
    let b = percentiles_us(xthread);
    let extra: Vec<(&str, f64)> = a
        .iter()
        .zip(&b)
        .map(|(&(k, x), &(_, y))| (k, y - x))
        .collect();
    if args.json {
        let obj = |rows: &[(&str, f64)]| {
            let mut m = Map::new();
            for (k, v) in rows {
                m.insert((*k).into(), json!((v * 1000.0).round() / 1000.0));
            }
            Value::Object(m)
        };
        let v = json!({
            "mode": format!("{:?}", args.mode).to_lowercase(),
            "orders_per_path": args.orders,
            "callback": obj(&a),
            "cross_thread": obj(&b),
            "extra": obj(&extra),
        });
        println!("{v}");
        return;
    }
    println!(
        "xsend: initiator reactor {:?}, counterparty block; {} round trips per path (us)",
        args.mode, args.orders
    );
    let head: Vec<&str> = a.iter().map(|(k, _)| *k).collect();
    println!(
        "{:<14}{}",
        "path",
        head.iter().map(|k| format!("{k:>10}")).collect::<String>()
    );
    for (name, rows) in [("callback", &a), ("cross-thread", &b), ("extra", &extra)] {
        let cells: String = rows.iter().map(|(_, v)| format!("{v:>10.2}")).collect();
        println!("{name:<14}{cells}");
    }
}
