//! `ringfix acceptor --config FILE [--app echo|exec]`.

use std::path::PathBuf;
use std::process::ExitCode;

use ringfix_engine::apps::{echo::Echo, exec::Exec};
use ringfix_engine::config::SessionSettings;
use ringfix_engine::runtime::Runtime;
use ringfix_engine::session::Application;

/// Applications an acceptor can run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum AcceptorApp {
    /// Echo orders back (what the QuickFIX acceptance scripts expect).
    Echo,
    /// Fill every NewOrderSingle with an ExecutionReport.
    Exec,
}

/// Arguments of `ringfix acceptor`.
#[derive(Debug, clap::Args)]
pub struct AcceptorArgs {
    /// QuickFIX-style session configuration.
    #[arg(long)]
    pub config: PathBuf,
    /// Application run by every session.
    #[arg(long, value_enum, default_value = "echo")]
    pub app: AcceptorApp,
    /// Event log and tracing on stderr: text, or one JSON object a line.
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: super::LogFormat,
}

/// Runs until SIGINT/SIGTERM (exit 0) or a fatal session error with
/// StopOnFatalError=Y (exit 2); configuration errors exit 1.
pub fn run(args: &AcceptorArgs) -> ExitCode {
    super::init_tracing("info", args.log_format);
    let cfg = match super::load_config(&args.config) {
        Ok(c) => c,
        Err(code) => return code,
    };
    let app = args.app;
    let factory = Box::new(move |_s: &SessionSettings| -> Box<dyn Application + Send> {
        match app {
            AcceptorApp::Echo => Box::new(Echo::new()),
            AcceptorApp::Exec => Box::new(Exec::new()),
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
    for addr in rt.listen_addrs() {
        tracing::info!(%addr, "acceptor ready");
    }
    let exit = rt.wait();
    super::exit_code(&exit)
}
