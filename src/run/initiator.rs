//! `ringfix initiator --config FILE [--app orders --rate N --count N] [--json]`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use ringfix_engine::apps::orders::{Orders, OrdersReport, OrdersSettings};
use ringfix_engine::config::SessionSettings;
use ringfix_engine::runtime::Runtime;
use ringfix_engine::session::Application;

use super::report::Summary;

/// Applications an initiator can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum InitiatorApp {
    /// Send NewOrderSingles and measure the round trip to the fill.
    Orders,
}

/// Arguments of `ringfix initiator`.
#[derive(Debug, clap::Args)]
pub struct InitiatorArgs {
    /// QuickFIX-style session configuration.
    #[arg(long)]
    pub config: PathBuf,
    /// Application run by every session.
    #[arg(long, value_enum, default_value = "orders")]
    pub app: InitiatorApp,
    /// Orders per second (default: back-to-back, one in flight).
    #[arg(long)]
    pub rate: Option<u32>,
    /// Orders to send before logging out.
    #[arg(long, default_value_t = 1000)]
    pub count: u64,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Event log and tracing on stderr: text, or one JSON object a line.
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: super::LogFormat,
}

type Reports = Arc<Mutex<Vec<Arc<Mutex<OrdersReport>>>>>;

/// Runs until every session has sent its orders and logged out (exit 0),
/// SIGINT/SIGTERM (exit 0), or a fatal error with StopOnFatalError=Y
/// (exit 2); configuration errors exit 1.
pub fn run(args: &InitiatorArgs) -> ExitCode {
    super::init_tracing(if args.json { "warn" } else { "info" }, args.log_format);
    let cfg = match super::load_config(&args.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let reports: Reports = Arc::default();
    let settings = OrdersSettings {
        count: args.count,
        rate: args.rate,
    };
    let sink = Arc::clone(&reports);
    let factory = Box::new(move |_s: &SessionSettings| -> Box<dyn Application + Send> {
        match Orders::new(settings) {
            Ok((app, report)) => {
                if let Ok(mut r) = sink.lock() {
                    r.push(report);
                }
                Box::new(app)
            }
            // Histogram bounds are constants: this does not happen.
            Err(_) => Box::new(ringfix_engine::apps::exec::Exec::new()),
        }
    });
    let signals = match super::catch_signals() {
        Ok(s) => s,
        Err(e) => return super::startup_error(&e),
    };
    let mut rt = match Runtime::start(&cfg, factory) {
        Ok(rt) => rt,
        Err(e) => return super::startup_error(&e),
    };
    if let Err(e) = super::stop_on_signals(signals, rt.stopper()) {
        return super::startup_error(&e);
    }
    let exit = rt.wait();
    let final_sessions = rt.sessions();
    let reports = reports.lock().map(|r| r.clone()).unwrap_or_default();
    let mut all = Vec::new();
    for (report, session) in reports.iter().zip(&final_sessions) {
        let Ok(o) = report.lock() else { continue };
        let s = Summary {
            orders: &o,
            session,
        };
        if args.json {
            all.push(s.json());
        } else {
            print!("{}", s.text());
        }
    }
    if args.json {
        let out = if all.len() == 1 {
            all.pop().unwrap_or_default()
        } else {
            serde_json::Value::Array(all)
        };
        println!("{out}");
    }
    super::exit_code(&exit)
}
