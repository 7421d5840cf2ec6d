//! The runtime's published statistics, driven by a raw FIX peer so every
//! counter has a known expected value: resends both ways, rejects both
//! ways, the awaiting-resend state, and the page's removal at the end.

use crate::runtime_support;

use std::time::{Duration, Instant};

use ringfix::engine::apps::exec::Exec;
use ringfix::engine::config::{EngineConfig, SessionSettings};
use ringfix::engine::runtime::Runtime;
use ringfix::engine::session::Application;
use ringfix::engine::session::SessionState;
use ringfix::engine::stats::{SessionCounters, StatsReader};
use runtime_support::{connect, field, now_fix, Peer};

fn acceptor() -> Runtime {
    let text = "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\n\
                [SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
                SocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n";
    let cfg = EngineConfig::parse(text, "acceptor.cfg").unwrap();
    Runtime::start(
        &cfg,
        Box::new(|_s: &SessionSettings| -> Box<dyn Application + Send> { Box::new(Exec::new()) }),
    )
    .unwrap()
}

/// The session's counters once `ok` holds (bounded wait).
fn counters_when(r: &StatsReader, ok: impl Fn(&SessionCounters) -> bool) -> SessionCounters {
    let start = Instant::now();
    loop {
        let c = r.snapshot().unwrap().sessions[0].counters;
        if ok(&c) {
            return c;
        }
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "not reached: {c:?}"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn counters_follow_the_session() {
    let mut rt = acceptor();
    let page = rt.stats_page().expect("stats page").to_owned();
    let r = StatsReader::open(&page).unwrap();
    assert_eq!(r.session_ids(), vec!["FIX.4.4:EXEC->ORDERS".to_owned()]);
    let before = r.snapshot().unwrap().sessions[0].counters;
    assert_eq!(before.state, SessionState::Disconnected);
    assert_eq!((before.reads_in_flight, before.connections), (0, 0));

    let port = rt.listen_addrs()[0].port();
    let mut peer = Peer::new(connect(port, Duration::from_secs(2)));
    let h = |seq: u32, ty: &str| {
        format!(
            "8=FIX.4.4|35={ty}|34={seq}|49=ORDERS|52={}|56=EXEC",
            now_fix()
        )
    };
    peer.send(&format!("{}|98=0|108=30", h(1, "A")));
    assert_eq!(
        field(&peer.read(Duration::from_secs(2)).unwrap(), 35).as_deref(),
        Some("A")
    );
    peer.send(&format!(
        "{}|11=O1|21=1|55=XYZ|54=1|60={}|38=100|40=1",
        h(2, "D"),
        now_fix()
    ));
    // Everything from 1 again: the Logon comes back as a gap fill, the
    // execution reports with PossDupFlag=Y.
    peer.send(&format!("{}|7=1|16=0", h(3, "2")));
    // No SendingTime: rejected.
    peer.send("8=FIX.4.4|35=0|34=4|49=ORDERS|56=EXEC");
    peer.send(&format!("{}|45=2", h(5, "3")));
    let c = counters_when(&r, |c| c.messages_in == 5 && c.rejects_sent == 1);
    assert_eq!(c.state, SessionState::Active);
    assert_eq!((c.connections, c.reads_in_flight), (1, 1));
    assert_eq!(c.resend_requests_received, 1);
    assert!(c.messages_resent >= 2, "gap fill + resent reports: {c:?}");
    assert_eq!(c.rejects_received, 1);
    assert_eq!(c.next_target_seq, 6);
    assert_eq!(c.next_sender_seq, c.messages_out - c.messages_resent + 1);
    // The last inbound (the peer's Reject) gets no answer, so the last
    // outbound may be older than it: both are set, nothing more is implied.
    assert!(c.last_inbound.is_some() && c.last_outbound.is_some());
    let deadline = c.read_deadline.expect("deadline while connected");
    assert!(deadline > c.updated_at);

    // A gap: the engine asks for 6..9 and waits in awaiting-resend.
    peer.send(&h(10, "0"));
    let c = counters_when(&r, |c| c.resend_requests == 1);
    assert_eq!(c.state, SessionState::AwaitingResend);
    assert!(c.state_since >= c.last_inbound.unwrap());

    drop(peer);
    let c = counters_when(&r, |c| c.state == SessionState::Disconnected);
    assert_eq!((c.reads_in_flight, c.read_deadline), (0, None));
    rt.stopper().stop();
    rt.wait();
    drop(rt);
    assert!(!page.exists(), "page removed with the runtime");
}

/// The counters the operability issue added: the engine's own time per
/// answered message, reads that reached their deadline, the outbound
/// queue while the peer does not read, and the reactor's counters.
#[test]
fn internal_time_timeouts_queue_and_reactors_are_published() {
    let mut rt = acceptor();
    let page = rt.stats_page().expect("stats page").to_owned();
    let r = StatsReader::open(&page).unwrap();
    let port = rt.listen_addrs()[0].port();
    let stream = connect(port, Duration::from_secs(2));
    // A small receive buffer: the engine's answers back up sooner.
    set_recv_buffer(&stream, 4096);
    let mut peer = Peer::new(stream);
    let h = |seq: u32, ty: &str| {
        format!(
            "8=FIX.4.4|35={ty}|34={seq}|49=ORDERS|52={}|56=EXEC",
            now_fix()
        )
    };
    peer.send(&format!("{}|98=0|108=1", h(1, "A")));
    assert_eq!(
        field(&peer.read(Duration::from_secs(2)).unwrap(), 35).as_deref(),
        Some("A")
    );
    let order = |seq: u32| {
        format!(
            "{}|11=O{seq}|21=1|55=XYZ|54=1|60={}|38=100|40=1",
            h(seq, "D"),
            now_fix()
        )
    };
    peer.send(&order(2));
    assert_eq!(
        field(&peer.read(Duration::from_secs(2)).unwrap(), 35).as_deref(),
        Some("8")
    );
    // HeartBtInt=1: the read deadline passes within about a second, and
    // that event publishes the answered order's sample too.
    let c = counters_when(&r, |c| c.recv_timeouts >= 1 && c.internal.count() >= 1);
    assert!(c.internal.sum_ns > 0);
    assert!(c.internal.sum_ns < 1_000_000_000, "{:?}", c.internal);
    let reactors = r.snapshot().unwrap().reactors;
    assert_eq!(reactors.len(), 1);
    let start = Instant::now();
    while r.snapshot().unwrap().reactors[0].uring_submissions == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "reactor slot never published"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let re = r.snapshot().unwrap().reactors[0];
    assert!(re.loop_turns > 0 && re.uring_submissions > 0, "{re:?}");

    // Orders without reading the reports: the reports back up.
    let mut seq = 3;
    let start = Instant::now();
    let queued = loop {
        for _ in 0..500 {
            peer.send(&order(seq));
            seq += 1;
        }
        let c = r.snapshot().unwrap().sessions[0].counters;
        if c.outbound_queue_bytes > 0 {
            break c.outbound_queue_bytes;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no backlog after {seq} orders: {c:?}"
        );
    };
    assert!(queued > 0);
    // Read everything: the queue drains; a later event (a heartbeat at the
    // latest) says so. (An event while it was draining may publish any
    // value between: wait for the drained one.)
    while peer.read(Duration::from_millis(300)).is_some() {}
    counters_when(&r, |c| {
        c.outbound_queue_bytes < 4096 && c.messages_in >= u64::from(seq) - 1
    });
    drop(peer);
    rt.stopper().stop();
    rt.wait();
}

fn set_recv_buffer(s: &std::net::TcpStream, bytes: i32) {
    use std::os::fd::AsRawFd;
    // SAFETY: setsockopt on a socket we own with a valid int.
    let rc = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&bytes as *const i32).cast(),
            std::mem::size_of::<i32>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0);
}
