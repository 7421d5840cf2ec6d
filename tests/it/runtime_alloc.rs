//! The whole runtime path (reactor, handler, session, store, exec and
//! orders applications) allocates nothing per order: two runs differing
//! by 10 000 orders differ by a handful of allocations (buffer growth).

use std::time::{Duration, Instant};

use ringfix::engine::apps::exec::Exec;
use ringfix::engine::apps::orders::{Orders, OrdersSettings};
use ringfix::engine::config::{EngineConfig, SessionSettings};
use ringfix::engine::runtime::{Exit, Runtime};
use ringfix::engine::session::Application;

use ringfix_testkit::alloc as alloc_support;

use alloc_support::allocs_all;

/// Allocations of one acceptor + initiator run of `count` orders (file
/// stores: journal in mapped memory).
fn run(count: u64) -> u64 {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let acceptor = EngineConfig::parse(
        &format!(
            "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nFileStorePath={d}/a\n\
             [SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
             SocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n"
        ),
        "a.cfg",
    )
    .unwrap();
    let before = allocs_all();
    let mut server = Runtime::start(
        &acceptor,
        Box::new(|_s: &SessionSettings| -> Box<dyn Application + Send> { Box::new(Exec::new()) }),
    )
    .unwrap();
    let port = server.listen_addrs()[0].port();
    let initiator = EngineConfig::parse(
        &format!(
            "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\n\
             FileStorePath={d}/i\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=ORDERS\n\
             TargetCompID=EXEC\nSocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n"
        ),
        "i.cfg",
    )
    .unwrap();
    let (orders, report) = Orders::new(OrdersSettings { count, rate: None }).unwrap();
    let mut app: Option<Box<dyn Application + Send>> = Some(Box::new(orders));
    let mut client = Runtime::start(
        &initiator,
        Box::new(move |_s: &SessionSettings| app.take().unwrap()),
    )
    .unwrap();
    let start = Instant::now();
    while !report.lock().unwrap().complete && start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(5));
    }
    assert_eq!(client.wait(), Exit::Clean);
    server.stopper().stop();
    server.wait();
    let allocs = allocs_all() - before;
    assert_eq!(report.lock().unwrap().answered, count);
    drop((client, server));
    allocs
}

#[test]
fn no_allocation_per_order() {
    // Allocations are counted process-wide.
    if alloc_support::alone("runtime_alloc::no_allocation_per_order") {
        return;
    }
    let small = run(2_000);
    let large = run(12_000);
    let extra = large.saturating_sub(small);
    // The orders app's send-time table is sized up front; the stores map
    // their journals. What is left is start-up noise.
    assert!(
        extra < 200,
        "{extra} more allocations for 10 000 more orders ({small} vs {large})"
    );
}
