//! `DynamicSession=Y` (QuickFIX/J, initiator): the session stays
//! disconnected until the application calls `connect_session`, seen by
//! the counterparty's listener.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use ringfix::engine::apps::echo::Echo;
use ringfix::engine::config::{EngineConfig, SessionConfig, SessionId};
use ringfix::engine::runtime::Runtime;
use ringfix::engine::session::Application;

use crate::runtime_support::{field, Peer};

/// Whether `l` accepts a connection within `within`.
fn accepts(l: &TcpListener, within: Duration) -> Option<std::net::TcpStream> {
    l.set_nonblocking(true).unwrap();
    let start = Instant::now();
    while start.elapsed() < within {
        if let Ok((s, _)) = l.accept() {
            s.set_nonblocking(false).unwrap();
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    None
}

#[test]
fn a_dynamic_initiator_connects_only_when_asked() {
    let venue = TcpListener::bind("127.0.0.1:0").unwrap();
    let text = format!(
        "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\n\
         ReconnectInterval=1\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=ORDERS\nTargetCompID=EXEC\n\
         SocketConnectHost=127.0.0.1\nSocketConnectPort={}\nDynamicSession=Y\n",
        venue.local_addr().unwrap().port()
    );
    let cfg = EngineConfig::parse(&text, "dynamic.cfg").unwrap();
    let id = cfg.sessions[0].id.clone();
    let mut rt = Runtime::start(
        &cfg,
        Box::new(|_s: &SessionConfig| -> Box<dyn Application + Send> { Box::new(Echo::new()) }),
    )
    .unwrap();
    // Two reconnect intervals pass without an attempt (the engine also
    // keeps running: a dormant initiator is not a finished one).
    assert!(
        accepts(&venue, Duration::from_millis(2500)).is_none(),
        "a DynamicSession=Y initiator connected before it was asked"
    );
    let unknown = SessionId::new("FIX.4.4", "NOBODY", "EXEC");
    assert!(!rt.connect_session(&unknown));
    assert!(rt.connect_session(&id));
    let stream = accepts(&venue, Duration::from_secs(5)).expect("a connection once asked");
    let mut peer = Peer::new(stream);
    let logon = peer
        .read(Duration::from_secs(5))
        .expect("the initiator's Logon");
    assert_eq!(field(&logon, 35).as_deref(), Some("A"));
    assert_eq!(field(&logon, 49).as_deref(), Some("ORDERS"));
    // Asking again is harmless.
    assert!(rt.connect_session(&id));
    rt.stopper().stop();
    rt.wait();
}

#[test]
fn dynamic_session_on_an_acceptor_is_a_config_error() {
    let text = "[SESSION]\nConnectionType=acceptor\nBeginString=FIX.4.4\n\
                SenderCompID=EXEC\nTargetCompID=ORDERS\nSocketAcceptPort=0\n\
                NonStopSession=Y\nDynamicSession=Y\n";
    let e = EngineConfig::parse(text, "dyn.cfg")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("dyn.cfg:8") && e.contains("DynamicSession"),
        "{e}"
    );
}
