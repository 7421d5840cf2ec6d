//! Runs `examples/exchange_acceptor` and `examples/initiator_strategy`
//! against each other (debug build, a few hundred orders, every wait
//! bounded): the strategy's orders go through the cross-thread sender, each
//! is filled in two parts, both processes exit 0 after a graceful logout.

use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The examples' binaries, built by `cargo test` (built here if a single
/// test target was asked for).
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().unwrap().parent().unwrap().join("examples");
    let path = dir.join(name);
    if !path.exists() {
        let cargo = option_env!("CARGO").unwrap_or("cargo");
        let status = Command::new(cargo)
            .args(["build", "--example", name])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .unwrap();
        assert!(status.success(), "cargo build --example {name}");
    }
    path
}

fn wait_exit(child: &mut Child, within: Duration) -> Option<i32> {
    let start = Instant::now();
    while start.elapsed() < within {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

#[test]
fn strategy_against_exchange() {
    let acceptor = example("exchange_acceptor");
    let initiator = example("initiator_strategy");
    let mut exchange = Command::new(&acceptor)
        .args(["--port", "0", "--once", "--fills", "2"])
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
        .args(["--port", &port.to_string()])
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
