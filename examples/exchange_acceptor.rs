//! An acceptor that simulates an exchange: every NewOrderSingle is filled
//! in `--fills` parts (partial fills, then the final fill), each an
//! ExecutionReport sent from the callback, on the reactor thread.
//!
//! ```text
//! cargo run --release --example exchange_acceptor -- --port 9878
//! ```
//!
//! Stops on SIGINT/SIGTERM, or with `--once` when the first client logs out.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use ringfix::api::{
    AppVerdict, Application, CallbackSettings, Decimal, EngineBuilder, Execution, ExecutionReport,
    Id, Incoming, LogoutReason, OrderView, ReactorMode, Sender, SessionId, SessionSettings,
};

#[derive(Parser)]
#[command(about = "A simulated exchange: fills orders in parts")]
struct Args {
    /// Port to listen on (0 picks one; the bound port is printed).
    #[arg(long, default_value_t = 9878)]
    port: u16,
    /// Our CompID.
    #[arg(long, default_value = "EXCHANGE")]
    sender: String,
    /// The client's CompID.
    #[arg(long, default_value = "CLIENT")]
    target: String,
    /// Fills per order (the last one completes it).
    #[arg(long, default_value_t = 2)]
    fills: u32,
    /// Busy-poll the reactor (burns a core) instead of blocking.
    #[arg(long)]
    spin: bool,
    /// Build the sessions from this QuickFIX-style file instead (the flags
    /// above other than --fills, --spin and --once are then ignored).
    #[arg(long)]
    config: Option<std::path::PathBuf>,
    /// Stop when the first client session logs out.
    #[arg(long)]
    once: bool,
}

/// Fills orders; one instance per session, on the reactor thread.
struct Exchange {
    fills: u32,
    next_id: u64,
    logged_out: Arc<AtomicBool>,
}

impl Exchange {
    fn fill(&mut self, o: &OrderView<'_>, out: &mut Sender<'_>) {
        self.next_id += 1;
        let order_id = self.next_id;
        let px = o.price.unwrap_or(Decimal {
            mantissa: 100,
            scale: 0,
        });
        // Quantities in the order's own scale: parts are whole units of it.
        let total = o.qty.mantissa;
        let parts = i64::from(self.fills.max(1));
        let mut cum = 0i64;
        for k in 1..=parts {
            let last = if k == parts {
                total - cum
            } else {
                total / parts
            };
            cum += last;
            let q = |m: i64| Decimal {
                mantissa: m,
                scale: o.qty.scale,
            };
            let er = ExecutionReport {
                order_id: Id::Num(order_id),
                exec_id: Id::Num(order_id * 1000 + k as u64),
                cl_ord_id: o.cl_ord_id,
                symbol: o.symbol,
                side: o.side,
                execution: if k == parts {
                    Execution::Fill
                } else {
                    Execution::PartialFill
                },
                order_qty: o.qty,
                last: (q(last), px),
                cum_qty: q(cum),
                leaves_qty: q(total - cum),
                avg_px: px,
            };
            let now = out.now().wall;
            if let Err(e) = er.send(out, now) {
                eprintln!("exchange: execution report not sent: {e}");
                return;
            }
        }
    }
}

impl Application for Exchange {
    fn on_app(
        &mut self,
        _session: &CallbackSettings,
        msg: &Incoming<'_>,
        out: &mut Sender<'_>,
    ) -> AppVerdict {
        if msg.msg_type() != ringfix::api::fields::msg_type::NEW_ORDER_SINGLE {
            // UnsupportedMessageType.
            return AppVerdict::BusinessReject {
                reason: 3,
                ref_tag: None,
                text: None,
            };
        }
        match OrderView::read(msg) {
            Ok(o) => {
                self.fill(&o, out);
                AppVerdict::Accept
            }
            // ConditionallyRequiredFieldMissing / invalid value.
            Err(tag) => AppVerdict::BusinessReject {
                reason: 5,
                ref_tag: Some(tag),
                text: None,
            },
        }
    }

    fn on_logon(&mut self, session: &CallbackSettings, _out: &mut Sender<'_>) {
        println!(
            "exchange: {} -> {} logged on",
            session.target_comp_id, session.sender_comp_id
        );
    }

    fn on_logout(&mut self, _session: &CallbackSettings, reason: LogoutReason) {
        println!("exchange: logged out ({reason:?}), {} orders", self.next_id);
        self.logged_out.store(true, Ordering::Release);
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let mut builder = match &args.config {
        Some(path) => EngineBuilder::from_file(path)?,
        None => {
            let id = SessionId::new("FIX.4.4", args.sender.as_str(), args.target.as_str());
            let mut settings = SessionSettings::acceptor(id, args.port);
            settings.reset.on_logon = true;
            EngineBuilder::new().session(settings)
        }
    };
    if args.spin {
        for s in builder.sessions_mut() {
            s.reactor.mode = ReactorMode::Spin;
        }
    }
    let logged_out = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&logged_out);
    let fills = args.fills;
    let mut engine = builder.start(move |_s| Exchange {
        fills,
        next_id: 0,
        logged_out: Arc::clone(&flag),
    })?;
    for addr in engine.listen_addrs() {
        println!("exchange: listening on {addr}");
    }
    let stop = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGINT, Arc::clone(&stop))?;
    signal_hook::flag::register(signal_hook::consts::SIGTERM, Arc::clone(&stop))?;
    let done = || stop.load(Ordering::Acquire) || (args.once && logged_out.load(Ordering::Acquire));
    while !done() {
        std::thread::sleep(Duration::from_millis(20));
    }
    engine.stop();
    let exit = engine.wait();
    println!("exchange: stopped ({exit:?})");
    std::process::exit(i32::from(exit.code()));
}
