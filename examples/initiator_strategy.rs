//! An initiator whose strategy runs on its own thread: it sends
//! NewOrderSingles through a cross-thread `SessionSender` (lock-free queue,
//! drained by the reactor), one order in flight, and prints the round-trip
//! percentiles (order queued -> final fill seen by the callback on the
//! reactor thread).
//!
//! ```text
//! cargo run --release --example exchange_acceptor -- --port 9878
//! cargo run --release --example initiator_strategy -- --port 9878 --count 10000
//! ```

use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Parser;
use hdrhistogram::Histogram;
use ringfix::api::{
    AppVerdict, Application, Decimal, EngineBuilder, Incoming, ReactorMode, Sender, SessionConfig,
    SessionId, SessionSender, SessionSettings, TicketStatus, TrySendError,
};
use ringfix::codec::UtcTimestamp;
use ringfix::engine::session::parse_u64;
use ringfix::fix44::field::{OrdStatus, OrdType, Side, TimeInForce};
use ringfix::fix44::prelude::*;
use ringfix::fix44::{self, Message};

#[derive(Parser)]
#[command(about = "A strategy thread sending orders through a SessionSender")]
struct Args {
    /// Exchange host.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Exchange port.
    #[arg(long, default_value_t = 9878)]
    port: u16,
    /// Orders measured.
    #[arg(long, default_value_t = 10_000)]
    count: u64,
    /// Orders sent before measuring.
    #[arg(long, default_value_t = 1_000)]
    warmup: u64,
    /// Our CompID.
    #[arg(long, default_value = "CLIENT")]
    sender: String,
    /// The exchange's CompID.
    #[arg(long, default_value = "EXCHANGE")]
    target: String,
    /// Busy-poll the reactor (burns a core) instead of blocking.
    #[arg(long)]
    spin: bool,
    /// Build the session from this QuickFIX-style file instead (its first
    /// session; --host, --port, --sender, --target are then ignored).
    #[arg(long)]
    config: Option<std::path::PathBuf>,
    /// Give up after this many seconds.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
}

/// State shared by the strategy thread and the callbacks, lock-free.
struct Shared {
    base: Instant,
    /// Per order: monotonic ns when it was queued.
    sent_at: Box<[AtomicU64]>,
    /// Per order: round trip in ns (0 = not answered yet).
    rtt: Box<[AtomicU64]>,
    /// Orders whose final ExecutionReport arrived.
    done: AtomicU64,
    /// ExecutionReports received (partial fills included).
    reports: AtomicU64,
}

impl Shared {
    fn mono(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// Runs on the reactor thread: matches fills to orders by ClOrdID.
struct Strategy {
    shared: Arc<Shared>,
}

impl Application for Strategy {
    fn on_app(
        &mut self,
        _session: &SessionSettings,
        msg: &Incoming<'_>,
        _out: &mut Sender<'_>,
    ) -> AppVerdict {
        let Message::ExecutionReport(er) = fix44::dispatch(*msg.view()) else {
            return AppVerdict::Accept;
        };
        self.shared.reports.fetch_add(1, Ordering::Relaxed);
        // Nothing more comes for an order filled, canceled or rejected.
        let done = matches!(
            er.ord_status(),
            Ok(OrdStatus::Filled | OrdStatus::Canceled | OrdStatus::Rejected)
        );
        if !done {
            return AppVerdict::Accept;
        }
        let now = self.shared.mono();
        let n = er
            .cl_ord_id()
            .and_then(parse_u64)
            .and_then(|n| usize::try_from(n).ok());
        let slots = n.and_then(|n| Some((self.shared.sent_at.get(n)?, self.shared.rtt.get(n)?)));
        if let Some((sent, rtt)) = slots {
            let t = now.saturating_sub(sent.load(Ordering::Acquire)).max(1);
            rtt.store(t, Ordering::Release);
            self.shared.done.fetch_add(1, Ordering::Release);
        }
        AppVerdict::Accept
    }
}

/// The strategy thread: one order in flight, sent through `tx`.
fn run_orders(
    tx: &mut SessionSender,
    shared: &Shared,
    total: u64,
    deadline: Instant,
) -> Result<(), String> {
    let qty = Decimal::new(100, 0);
    let px = Decimal::new(10025, 2);
    let mut last = None;
    for n in 0..total {
        let side = if n % 2 == 0 { Side::Buy } else { Side::Sell };
        let cl_ord_id = n.to_string();
        let slot = shared.sent_at.get(n as usize).ok_or("order index")?;
        slot.store(shared.mono(), Ordering::Release);
        loop {
            // The same generated builder as on the reactor thread; its body
            // is queued, the reactor writes the header and sends it.
            let sent = tx.try_start::<fix44::NewOrderSingle>().and_then(|order| {
                order
                    .cl_ord_id(&cl_ord_id)
                    .symbol("RFIX")
                    .side(side)
                    .order_qty(qty)
                    .ord_type(OrdType::Limit)
                    .price(px)
                    .time_in_force(TimeInForce::Day)
                    .transact_time(UtcTimestamp::now())
                    .send()
            });
            match sent {
                Ok(t) => {
                    last = Some(t);
                    break;
                }
                Err(TrySendError::QueueFull) if Instant::now() < deadline => std::hint::spin_loop(),
                Err(e) => return Err(format!("order {n}: {e}")),
            }
        }
        // Wait for the final fill (spin briefly, then yield the core).
        let mut spins = 0u32;
        while shared.done.load(Ordering::Acquire) <= n {
            if Instant::now() > deadline {
                return Err(format!("order {n}: no fill before the timeout"));
            }
            spins += 1;
            if spins < 2_000 {
                std::hint::spin_loop();
            } else {
                std::thread::yield_now();
            }
        }
    }
    if let Some(t) = last {
        match tx.status(t) {
            TicketStatus::Sent(seq) => println!("strategy: last order went out as MsgSeqNum {seq}"),
            other => println!("strategy: last order ticket: {other:?}"),
        }
    }
    Ok(())
}

fn main() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let args = Args::parse();
    let mut builder = match &args.config {
        Some(path) => EngineBuilder::from_file(path)?,
        None => {
            let id = SessionId::new("FIX.4.4", args.sender.as_str(), args.target.as_str());
            let mut settings = SessionConfig::initiator(
                id,
                args.host.as_str(),
                args.port,
                Duration::from_secs(30),
            );
            settings.reset.on_logon = true;
            settings.timing.reconnect_interval = Duration::from_secs(1);
            EngineBuilder::new().session(settings)
        }
    };
    for s in builder.sessions_mut() {
        if args.spin {
            s.reactor.mode = ReactorMode::Spin;
        }
    }
    let id = builder
        .config()
        .sessions
        .first()
        .map(|s| s.id.clone())
        .ok_or("no session configured")?;
    let total = args.warmup + args.count;
    let len = usize::try_from(total)?;
    let shared = Arc::new(Shared {
        base: Instant::now(),
        sent_at: (0..len).map(|_| AtomicU64::new(0)).collect(),
        rtt: (0..len).map(|_| AtomicU64::new(0)).collect(),
        done: AtomicU64::new(0),
        reports: AtomicU64::new(0),
    });
    let for_app = Arc::clone(&shared);
    let mut engine = builder.send_queue_capacity(64).start(move |_s| Strategy {
        shared: Arc::clone(&for_app),
    })?;
    let mut tx = engine.sender(&id).ok_or("unknown session")?;
    let stopper = engine.stopper();
    let deadline = Instant::now() + Duration::from_secs(args.timeout);
    let for_thread = Arc::clone(&shared);
    let strategy = std::thread::spawn(move || {
        let result = if tx.wait_logged_on(deadline.saturating_duration_since(Instant::now())) {
            let start = Instant::now();
            run_orders(&mut tx, &for_thread, total, deadline).map(|()| start.elapsed())
        } else {
            Err("not logged on before the timeout".to_string())
        };
        stopper.stop();
        result
    });
    let exit = engine.wait();
    let elapsed = strategy.join().map_err(|_| "strategy thread panicked")??;
    let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3)?;
    let warmup = usize::try_from(args.warmup)?;
    for r in shared.rtt.iter().skip(warmup) {
        h.record(r.load(Ordering::Acquire).max(1))?;
    }
    println!(
        "strategy: {} orders ({} measured), {} execution reports, {:.0} orders/s",
        total,
        args.count,
        shared.reports.load(Ordering::Relaxed),
        total as f64 / elapsed.as_secs_f64().max(1e-9)
    );
    print!("round trip (queued -> final fill) us:");
    for (name, q) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99), ("p99.9", 0.999)] {
        print!(" {name}={:.1}", h.value_at_quantile(q) as f64 / 1000.0);
    }
    println!(" max={:.1}", h.max() as f64 / 1000.0);
    println!("strategy: engine stopped ({exit:?})");
    // Dropping the engine removes its shared-memory statistics page.
    drop(engine);
    Ok(ExitCode::from(exit.code()))
}
