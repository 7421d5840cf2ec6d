//! Runs `examples/exchange_acceptor` and `examples/initiator_strategy`
//! against each other (debug build, a few hundred orders, every wait
//! bounded): the strategy's orders go through the cross-thread sender, each
//! is filled in two parts, both processes exit 0 after a graceful logout.

use crate::runtime_support;

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use runtime_support::wait_exit;

/// The examples' binaries, built by `cargo test`; built here if missing or
/// older than this test (a single test target was asked for).
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().join("examples");
    let path = dir.join(name);
    let modified = |p: &std::path::Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    if modified(&path) < modified(&exe) {
        let cargo = option_env!("CARGO").unwrap_or("cargo");
        let mut cmd = Command::new(cargo);
        cmd.args(["build", "--example", name]);
        if !cfg!(debug_assertions) {
            cmd.arg("--release");
        }
        let status = cmd
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(status.success(), "cargo build --example {name}");
    }
    path
}

/// Runs the exchange with `exchange_args` (it must listen on port 0) and
/// the strategy with `strategy_args(port)`; checks both outputs.
fn run_pair(exchange_args: &[String], strategy_args: impl Fn(u16) -> Vec<String>) {
    let acceptor = example("exchange_acceptor");
    let initiator = example("initiator_strategy");
    let mut exchange = Command::new(&acceptor)
        .args(exchange_args)
        .args(["--once", "--fills", "2"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    // The bound port is on the first line; the rest is read afterwards.
    let (tx, rx) = mpsc::channel();
    let stdout = exchange.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout);
        let mut first = String::new();
        lines.read_line(&mut first).unwrap();
        tx.send(first).unwrap();
        let mut rest = String::new();
        lines.read_to_string(&mut rest).unwrap();
        rest
    });
    let first = rx.recv_timeout(Duration::from_secs(30)).unwrap();
    let port = first
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse::<u16>().ok())
        .unwrap_or_else(|| panic!("no port in {first:?}"));
    assert_ne!(port, 0);

    let strategy = Command::new(&initiator)
        .args(strategy_args(port))
        .args(["--count", "200", "--warmup", "20", "--timeout", "30"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let out = strategy.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "strategy output:\n{text}");
    assert!(
        text.contains("220 orders (200 measured), 440 execution reports"),
        "{text}"
    );
    assert!(text.contains("p50=") && text.contains("p99.9="), "{text}");
    assert!(text.contains("MsgSeqNum"), "{text}");

    assert_eq!(wait_exit(&mut exchange, Duration::from_secs(30)), Some(0));
    let rest = reader.join().unwrap();
    assert!(rest.contains("logged on"), "{rest}");
    assert!(
        rest.contains("logged out (PeerLogout), 220 orders"),
        "{rest}"
    );
}

#[test]
fn strategy_against_exchange() {
    run_pair(&["--port".into(), "0".into()], |port| {
        vec!["--port".into(), port.to_string()]
    });
}

/// The same pair, both built from `.cfg` files (`EngineBuilder::from_file`).
#[test]
fn strategy_against_exchange_from_config_files() {
    let dir = tempfile::tempdir().unwrap();
    let acceptor = dir.path().join("exchange.cfg");
    std::fs::write(
        &acceptor,
        "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nResetOnLogon=Y\n\
         SocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXCHANGE\nTargetCompID=CLIENT\n",
    )
    .unwrap();
    let initiator = dir.path().join("strategy.cfg");
    let exchange_args = vec!["--config".to_string(), acceptor.display().to_string()];
    run_pair(&exchange_args, |port| {
        std::fs::write(
            &initiator,
            format!(
                "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nResetOnLogon=Y\n\
                 HeartBtInt=30\nReconnectInterval=1\n\
                 [SESSION]\nBeginString=FIX.4.4\nSenderCompID=CLIENT\nTargetCompID=EXCHANGE\n\
                 SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n"
            ),
        )
        .unwrap();
        vec!["--config".into(), initiator.display().to_string()]
    });
}
