//! An acceptor that simulates an exchange: every NewOrderSingle is filled
//! in `--fills` parts (partial fills, then the final fill), each an
//! ExecutionReport sent from the callback, on the reactor thread.
//!
//! ```text
//! cargo run --release --example exchange_acceptor -- --port 9878
//! ```
//!
//! Stops on SIGINT/SIGTERM, or with `--once` when the first client logs out.

use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use ringfix::api::{
    AppVerdict, Application, Decimal, EngineBuilder, Incoming, LogoutReason, ReactorMode, Sender,
    SessionConfig, SessionId, SessionSettings,
};
use ringfix::codec::{TimePrecision, UtcTimestamp};
use ringfix::fix44::field::{ExecType, OrdStatus};
use ringfix::fix44::prelude::*;
use ringfix::fix44::{self, new_order_single, Message};

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

/// A NewOrderSingle's fields the fills need (`Err(tag)`: missing or malformed).
fn read(o: &new_order_single::View<'_>) -> Result<(Decimal, Decimal), u32> {
    let qty = o.order_qty().ok().flatten().ok_or(38u32)?;
    let px = o
        .price()
        .map_err(|_| 44u32)?
        .unwrap_or(Decimal::new(100, 0));
    Ok((qty, px))
}

impl Exchange {
    fn fill(&mut self, o: &new_order_single::View<'_>, out: &mut Sender<'_>) -> Result<(), u32> {
        let cl_ord_id = o.cl_ord_id().map_err(|_| 11u32)?;
        let side = o.side().map_err(|_| 54u32)?;
        let symbol = o.symbol().ok_or(55u32)?;
        let (qty, px) = read(o)?;
        self.next_id += 1;
        let order_id = self.next_id.to_string();
        // Quantities in the order's own scale: parts are whole units of it.
        let total = qty.mantissa;
        let parts = i64::from(self.fills.max(1));
        let mut cum = 0i64;
        for k in 1..=parts {
            let last = if k == parts {
                total - cum
            } else {
                total / parts
            };
            cum += last;
            let q = |m: i64| Decimal::new(m, qty.scale);
            let status = if k == parts {
                OrdStatus::Filled
            } else {
                OrdStatus::PartiallyFilled
            };
            let exec_id = format!("{order_id}-{k}");
            let now: (UtcTimestamp, TimePrecision) = (out.now().wall, TimePrecision::Millis);
            // The builder writes into the outbound buffer; `send` is there
            // only once every required field is set (else: no compile).
            let sent = out.start::<fix44::ExecutionReport>().and_then(|er| {
                er.order_id(&order_id)
                    .exec_id(&exec_id)
                    .exec_type(ExecType::Trade)
                    .ord_status(status)
                    .cl_ord_id(cl_ord_id)
                    .symbol(symbol)
                    .side(side)
                    .order_qty(qty)
                    .last_qty(q(last))
                    .last_px(px)
                    .leaves_qty(q(total - cum))
                    .cum_qty(q(cum))
                    .avg_px(px)
                    .transact_time(now)
                    .send()
            });
            if let Err(e) = sent {
                eprintln!("exchange: execution report not sent: {e}");
                break;
            }
        }
        Ok(())
    }
}

impl Application for Exchange {
    fn on_app(
        &mut self,
        _session: &SessionSettings,
        msg: &Incoming<'_>,
        out: &mut Sender<'_>,
    ) -> AppVerdict {
        // One typed view per message type of FIX.4.4, matched exhaustively.
        let Message::NewOrderSingle(order) = fix44::dispatch(*msg.view()) else {
            // UnsupportedMessageType.
            return AppVerdict::BusinessReject {
                reason: 3,
                ref_tag: None,
                text: None,
            };
        };
        match self.fill(&order, out) {
            Ok(()) => AppVerdict::Accept,
            // ConditionallyRequiredFieldMissing / invalid value.
            Err(tag) => AppVerdict::BusinessReject {
                reason: 5,
                ref_tag: Some(tag),
                text: None,
            },
        }
    }

    fn on_logon(&mut self, session: &SessionSettings, _out: &mut Sender<'_>) {
        println!(
            "exchange: {} -> {} logged on",
            session.target_comp_id, session.sender_comp_id
        );
    }

    fn on_logout(&mut self, _session: &SessionSettings, reason: LogoutReason) {
        println!("exchange: logged out ({reason:?}), {} orders", self.next_id);
        self.logged_out.store(true, Ordering::Release);
    }
}

fn main() -> Result<ExitCode, Box<dyn std::error::Error>> {
    let args = Args::parse();
    let mut builder = match &args.config {
        Some(path) => EngineBuilder::from_file(path)?,
        None => {
            let id = SessionId::new("FIX.4.4", args.sender.as_str(), args.target.as_str());
            let mut settings = SessionConfig::acceptor(id, args.port);
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
    // Dropping the engine removes its shared-memory statistics page.
    drop(engine);
    Ok(ExitCode::from(exit.code()))
}
