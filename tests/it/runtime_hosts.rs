//! `HostSelectionPolicy` (QuickFIX C++ 1.16): which of an initiator's
//! addresses (`SocketConnectHost`, `SocketConnectHost<n>`) it connects to,
//! seen by real listeners on loopback.

use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use ringfix::engine::apps::echo::Echo;
use ringfix::engine::config::{EngineConfig, SessionConfig};
use ringfix::engine::runtime::Runtime;
use ringfix::engine::session::Application;

use crate::runtime_support::{field, free_port, now_fix, Peer};

const WAIT: Duration = Duration::from_secs(6);

/// The first of `listeners` (named) to accept a connection within `within`.
fn first_accept(
    listeners: &[(&'static str, &TcpListener)],
    within: Duration,
) -> Option<(&'static str, TcpStream)> {
    for (_, l) in listeners {
        l.set_nonblocking(true).unwrap();
    }
    let start = Instant::now();
    while start.elapsed() < within {
        for (name, l) in listeners {
            if let Ok((s, _)) = l.accept() {
                s.set_nonblocking(false).unwrap();
                return Some((name, s));
            }
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

/// An initiator with three addresses: the primary refuses the first
/// attempt, the second address logs it on and the session lasts `hold`;
/// meanwhile the primary starts listening. Returns the address the
/// attempt after that session takes: "primary", "second" or "third".
fn after_a_session_on_the_second(extra: &str, hold: Duration) -> &'static str {
    let primary_port = free_port();
    let second = TcpListener::bind("127.0.0.1:0").unwrap();
    let third = TcpListener::bind("127.0.0.1:0").unwrap();
    let text = format!(
        "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\n\
         ReconnectInterval=1\n{extra}\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=ORDERS\nTargetCompID=EXEC\n\
         SocketConnectHost=127.0.0.1\nSocketConnectPort={primary_port}\n\
         SocketConnectHost1=127.0.0.1\nSocketConnectPort1={}\n\
         SocketConnectHost2=127.0.0.1\nSocketConnectPort2={}\n",
        second.local_addr().unwrap().port(),
        third.local_addr().unwrap().port(),
    );
    let cfg = EngineConfig::parse(&text, "hosts.cfg").unwrap();
    let mut rt = Runtime::start(
        &cfg,
        Box::new(|_s: &SessionConfig| -> Box<dyn Application + Send> { Box::new(Echo::new()) }),
    )
    .unwrap();
    // The primary refused: the second address gets the next attempt.
    let (name, stream) = first_accept(&[("second", &second), ("third", &third)], WAIT)
        .expect("a connection after the primary refused");
    assert_eq!(name, "second");
    let mut peer = Peer::new(stream);
    let logon = peer.read(WAIT).expect("the initiator's Logon");
    assert_eq!(field(&logon, 35).as_deref(), Some("A"));
    peer.send(&format!(
        "8=FIX.4.4|35=A|34=1|49=EXEC|52={}|56=ORDERS|98=0|108=30",
        now_fix()
    ));
    let primary = TcpListener::bind(("127.0.0.1", primary_port)).unwrap();
    std::thread::sleep(hold);
    drop(peer);
    let next = first_accept(
        &[
            ("primary", &primary),
            ("second", &second),
            ("third", &third),
        ],
        WAIT,
    )
    .map(|(name, _)| name);
    rt.stopper().stop();
    rt.wait();
    next.expect("a connection after the session ended")
}

/// PRIORITY: an attempt begun StartOverInterval or more after the previous
/// one goes back to the primary; within it, the next address is tried
/// (the third here). Without a policy, ringfix reconnects to the address
/// that had logged on.
#[test]
fn priority_goes_back_to_the_primary_after_the_start_over_interval() {
    let priority = "HostSelectionPolicy=PRIORITY\nHostSelectionPolicyPriorityStartOverInterval=3\n";
    let runs = [
        (priority, Duration::from_secs(4), "primary"),
        (priority, Duration::from_millis(200), "third"),
        ("", Duration::from_secs(4), "second"),
    ];
    let handles: Vec<_> = runs
        .iter()
        .map(|&(extra, hold, _)| {
            std::thread::spawn(move || after_a_session_on_the_second(extra, hold))
        })
        .collect();
    for (h, (extra, hold, want)) in handles.into_iter().zip(runs) {
        assert_eq!(h.join().unwrap(), want, "{extra:?} session of {hold:?}");
    }
}
