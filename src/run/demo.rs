//! `ringfix demo [--orders N] [--mode spin|block]`: an `exec` acceptor
//! and an `orders` initiator in one process on loopback (ephemeral port,
//! file stores in a temporary directory removed afterwards).

use std::process::ExitCode;
use std::sync::{Arc, Mutex};

use ringfix_engine::apps::exec::Exec;
use ringfix_engine::apps::orders::{Orders, OrdersReport, OrdersSettings};
use ringfix_engine::config::{EngineConfig, SessionSettings};
use ringfix_engine::runtime::Runtime;
use ringfix_engine::session::Application;

use super::report::Summary;

/// How the two reactors wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DemoMode {
    /// Busy-poll, each reactor pinned to its own core (0 and 1).
    Spin,
    /// Block in the kernel between events.
    Block,
}

/// Arguments of `ringfix demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Orders to send (back-to-back, one in flight).
    #[arg(long, default_value_t = 20_000)]
    pub orders: u64,
    /// Reactor mode of both sides.
    #[arg(long, value_enum, default_value = "block")]
    pub mode: DemoMode,
    /// Print the summary as JSON.
    #[arg(long)]
    pub json: bool,
    /// Event log and tracing on stderr: text, or one JSON object a line.
    #[arg(long, value_enum, default_value = "text")]
    pub log_format: super::LogFormat,
}

fn reactor_keys(mode: DemoMode, core: usize) -> String {
    match mode {
        DemoMode::Spin => format!("ReactorMode=spin\nReactorCore={core}\n"),
        DemoMode::Block => "ReactorMode=block\n".into(),
    }
}

fn acceptor_cfg(dir: &str, mode: DemoMode) -> String {
    format!(
        "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nFileStorePath={dir}/acceptor\n{}\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
         SocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n",
        reactor_keys(mode, 0)
    )
}

fn initiator_cfg(dir: &str, mode: DemoMode, port: u16) -> String {
    format!(
        "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\nReconnectInterval=1\n\
         FileStorePath={dir}/initiator\n{}\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=ORDERS\nTargetCompID=EXEC\n\
         SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n",
        reactor_keys(mode, 1)
    )
}

fn fail(e: &dyn std::fmt::Display) -> ExitCode {
    super::startup_error(e)
}

/// Runs the demo and prints the round-trip summary.
pub fn run(args: &DemoArgs) -> ExitCode {
    super::init_tracing("warn", args.log_format);
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => return fail(&e),
    };
    let dir_s = dir.path().display().to_string();
    let acceptor = match EngineConfig::parse(&acceptor_cfg(&dir_s, args.mode), "demo-acceptor") {
        Ok(c) => c,
        Err(e) => return fail(&e),
    };
    let exec =
        Box::new(|_s: &SessionSettings| -> Box<dyn Application + Send> { Box::new(Exec::new()) });
    let signals = match super::catch_signals() {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let mut server = match Runtime::start(&acceptor, exec) {
        Ok(rt) => rt,
        Err(e) => return fail(&e),
    };
    let Some(port) = server.listen_addrs().first().map(|a| a.port()) else {
        return fail(&"the acceptor did not listen");
    };
    let initiator =
        match EngineConfig::parse(&initiator_cfg(&dir_s, args.mode, port), "demo-initiator") {
            Ok(c) => c,
            Err(e) => return fail(&e),
        };
    let (orders, report) = match Orders::new(OrdersSettings {
        count: args.orders,
        rate: None,
    }) {
        Ok(x) => x,
        Err(e) => return fail(&e),
    };
    let mut app: Option<Box<dyn Application + Send>> = Some(Box::new(orders));
    let factory = Box::new(move |_s: &SessionSettings| -> Box<dyn Application + Send> {
        app.take().unwrap_or_else(|| Box::new(Exec::new()))
    });
    let mut client = match Runtime::start(&initiator, factory) {
        Ok(rt) => rt,
        Err(e) => return fail(&e),
    };
    let stop_client = client.stopper();
    let stop_server = server.stopper();
    if let Err(e) = super::stop_on_signals(signals, stop_client) {
        return fail(&e);
    }
    let exit = client.wait();
    stop_server.stop();
    server.wait();
    print_summary(&report, &client, args.json);
    drop(dir);
    super::exit_code(&exit)
}

fn print_summary(report: &Arc<Mutex<OrdersReport>>, client: &Runtime, json: bool) {
    let sessions = client.sessions();
    let (Ok(o), Some(session)) = (report.lock(), sessions.first()) else {
        return;
    };
    let s = Summary {
        orders: &o,
        session,
    };
    if json {
        println!("{}", s.json());
    } else {
        print!("{}", s.text());
    }
}
