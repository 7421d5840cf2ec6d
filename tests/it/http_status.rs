//! `HttpAcceptPort` (QuickFIX C++): the read-only session status pages,
//! fetched with real HTTP GETs from a running acceptor whose sessions a
//! raw FIX peer drives. Every wait is bounded.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use ringfix::engine::apps::exec::Exec;
use ringfix::engine::config::{EngineConfig, SessionConfig};
use ringfix::engine::runtime::Runtime;
use ringfix::engine::session::Application;

use crate::runtime_support::{connect, field, now_fix, Peer};

const WAIT: Duration = Duration::from_secs(5);

/// One HTTP/1.1 request to `port` on loopback; (status, head, body).
fn http(port: u16, method: &str, path: &str) -> (u16, String, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(WAIT)).unwrap();
    write!(s, "{method} {path} HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").expect("a complete answer");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, head.to_owned(), body.to_owned())
}

/// Fetches `path` until its body contains every one of `want` (bounded).
fn page_shows(port: u16, path: &str, want: &[&str]) -> String {
    let start = Instant::now();
    loop {
        let (status, head, body) = http(port, "GET", path);
        assert_eq!(status, 200, "{head}");
        assert!(head.contains("Content-Type: text/html"), "{head}");
        if want.iter().all(|w| body.contains(w)) {
            return body;
        }
        assert!(
            start.elapsed() < WAIT,
            "{path} never showed {want:?}:\n{body}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_status_page_lists_sessions_with_state_and_sequence_numbers() {
    let text = "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nHttpAcceptPort=0\n\
                BeginString=FIX.4.4\nSenderCompID=EXEC\nSocketAcceptHost=127.0.0.1\n\
                SocketAcceptPort=0\n\
                [SESSION]\nTargetCompID=ORDERS\n\
                [SESSION]\nTargetCompID=IDLE\n";
    let cfg = EngineConfig::parse(text, "http.cfg").unwrap();
    let mut rt = Runtime::start(
        &cfg,
        Box::new(|_s: &SessionConfig| -> Box<dyn Application + Send> { Box::new(Exec::new()) }),
    )
    .unwrap();
    let addr: SocketAddr = rt.http_addr().expect("HttpAcceptPort serves");
    // As QuickFIX C++: every interface.
    assert!(addr.ip().is_unspecified(), "{addr}");
    let port = addr.port();

    page_shows(
        port,
        "/",
        &[
            "<td>acceptor</td><td>yes</td><td>disconnected</td><td>no</td><td>1</td><td>1</td>",
            ">FIX.4.4:EXEC-&gt;ORDERS</a>",
            ">FIX.4.4:EXEC-&gt;IDLE</a>",
        ],
    );

    // ORDERS logs on (1) and sends a Heartbeat (2): next incoming 3; the
    // engine sent its Logon: next outgoing 2.
    let mut peer = Peer::new(connect(rt.listen_addrs()[0].port(), WAIT));
    peer.send(&format!(
        "8=FIX.4.4|35=A|34=1|49=ORDERS|52={}|56=EXEC|98=0|108=30",
        now_fix()
    ));
    let answer = peer.read(WAIT).expect("Logon answer");
    assert_eq!(field(&answer, 35).as_deref(), Some("A"));
    peer.send(&format!(
        "8=FIX.4.4|35=0|34=2|49=ORDERS|52={}|56=EXEC",
        now_fix()
    ));
    let all = page_shows(
        port,
        "/",
        &["ORDERS</a></td><td>acceptor</td><td>yes</td><td>active</td><td>yes</td><td>3</td><td>2</td>"],
    );
    assert!(
        all.contains("IDLE</a></td><td>acceptor</td><td>yes</td><td>disconnected</td><td>no</td><td>1</td><td>1</td>"),
        "{all}"
    );
    // One session's page, by the link the list gives.
    let link = "/session?id=FIX.4.4%3AEXEC-%3EORDERS";
    assert!(all.contains(&format!("href=\"{link}\"")), "{all}");
    page_shows(
        port,
        link,
        &[
            "<tr><th>Next Incoming</th><td>3</td></tr>",
            "<tr><th>Next Outgoing</th><td>2</td></tr>",
            "<tr><th>Logged On</th><td>yes</td></tr>",
            "<tr><th>Connections</th><td>1</td></tr>",
        ],
    );
    // Read-only: QuickFIX's pages that change sessions are not there.
    assert_eq!(http(port, "GET", "/resetSessions").0, 404);
    assert_eq!(http(port, "GET", "/session?id=nobody").0, 404);
    assert_eq!(http(port, "POST", "/").0, 405);
    drop(peer);
    rt.stopper().stop();
    rt.wait();
    // Stopped with the engine.
    assert!(TcpStream::connect(("127.0.0.1", port)).is_err());
}
