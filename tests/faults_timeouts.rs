//! Faults the engine detects by its deadlines, each run while a good
//! session on the same acceptor process trades continuously: a peer silent
//! after Logon, one that never answers our Logout, a half-open peer (a
//! stopped process), slowloris trickles, 200 connections that never log
//! on. Each case checks the reaction and the time it took.

mod fault_support;
mod runtime_support;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use fault_support::{
    figure, msg_type, python_peer, signal, wait_line, Acceptor, AcceptorSpec, Fix, Trader,
};
use runtime_support::{fix, now_fix};

fn acceptor(sessions: &[(&str, &str)]) -> Acceptor {
    Acceptor::spawn(&AcceptorSpec {
        defaults: "",
        sessions,
        fsize_limit: None,
    })
}

fn within(d: Duration, lo: f64, hi: f64) -> bool {
    let s = d.as_secs_f64();
    s >= lo && s <= hi
}

#[test]
fn silent_after_logon_gets_test_request_then_close_at_2_4_heartbeats() {
    let acc = acceptor(&[("GOOD", ""), ("SILENT", "")]);
    let good = Trader::start(acc.port, "GOOD");
    let mut s = Fix::logon(acc.port, "SILENT", 1);
    let logged_on = Instant::now();
    let mut test_request = None;
    while let Some(m) = s.peer.read(Duration::from_secs(5)) {
        if msg_type(&m) == "1" && test_request.is_none() {
            test_request = Some(logged_on.elapsed());
        }
    }
    let closed = logged_on.elapsed();
    assert!(s.peer.eof, "not closed");
    let tr = test_request.expect("no TestRequest before the close");
    figure("silent after logon (HeartBtInt=1)", "TestRequest after", tr);
    figure("silent after logon (HeartBtInt=1)", "closed after", closed);
    assert!(within(tr, 1.1, 1.9), "TestRequest after {tr:?}");
    assert!(within(closed, 2.3, 3.3), "closed after {closed:?}");
    assert!(!acc.log_lines(&["SILENT", "HeartbeatTimeout"]).is_empty());
    good.finish().assert_unaffected(40);
}

#[test]
fn peer_that_never_answers_our_logout_is_closed_at_logout_timeout() {
    // The session's schedule ends a few seconds from now: the acceptor logs
    // out; the peer stays connected and silent.
    let now = ringfix::codec::UtcTimestamp::now().as_nanos() / 1_000_000_000;
    let hms = |t: i64| {
        let t = t.rem_euclid(86_400);
        format!("{:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60)
    };
    // Started a minute ago (a period across midnight works as well).
    let sched = format!(
        "NonStopSession=N\nStartTime={}\nEndTime={}",
        hms(now - 60),
        hms(now + 3)
    );
    let acc = acceptor(&[("GOOD", ""), ("LINGER", &sched)]);
    let good = Trader::start(acc.port, "GOOD");
    let mut s = Fix::logon(acc.port, "LINGER", 30);
    let mut logout = None;
    while let Some(m) = s.peer.read(Duration::from_secs(8)) {
        if msg_type(&m) == "5" {
            logout = Some(Instant::now());
        }
    }
    assert!(s.peer.eof, "not closed");
    let after = logout.expect("no Logout").elapsed();
    figure(
        "never answers our Logout (LogoutTimeout=1)",
        "closed after our Logout",
        after,
    );
    assert!(within(after, 0.9, 2.0), "closed {after:?} after the Logout");
    // From our Logout to the close: LogoutTimeout (1 s).
    assert!(
        !acc.log_lines(&["LINGER", "LogoutTimeout"]).is_empty(),
        "{}",
        acc.log()
    );
    good.finish().assert_unaffected(40);
}

#[test]
fn half_open_peer_process_is_closed_at_the_heartbeat_deadline() {
    let acc = acceptor(&[("GOOD", ""), ("HALF", "")]);
    let good = Trader::start(acc.port, "GOOD");
    let logon = fix(&format!(
        "8=FIX.4.4|35=A|34=1|49=HALF|52={}|56=EXEC|98=0|108=1",
        now_fix()
    ));
    let mut peer = python_peer(acc.port, &logon);
    assert!(wait_line(&mut peer, "READY"), "python peer did not log on");
    // Stopped: its kernel still ACKs, the process never answers.
    signal(peer.id(), "STOP");
    let stopped = Instant::now();
    let seen = acc.wait_log_all(&["HALF", "HeartbeatTimeout"], Duration::from_secs(6));
    signal(peer.id(), "CONT");
    let _ = peer.kill();
    let _ = peer.wait();
    let after = seen
        .expect("half-open peer not closed")
        .duration_since(stopped);
    figure(
        "half-open peer (SIGSTOP, HeartBtInt=1)",
        "closed after",
        after,
    );
    assert!(within(after, 2.0, 3.3), "closed after {after:?}");
    good.finish().assert_unaffected(40);
}

/// Writes `bytes` one byte every 200 ms until the peer closes (bounded).
fn trickle(mut stream: TcpStream, bytes: Vec<u8>) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        for b in bytes.iter().cycle().take(60) {
            if stream.write_all(&[*b]).is_err() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    })
}

#[test]
fn slowloris_after_logon_does_not_extend_the_heartbeat_deadline() {
    let acc = acceptor(&[("GOOD", ""), ("SLOW", "")]);
    let good = Trader::start(acc.port, "GOOD");
    let mut s = Fix::logon(acc.port, "SLOW", 1);
    let logged_on = Instant::now();
    let heartbeat = s.encode("0");
    let writer = trickle(s.peer.stream.try_clone().unwrap(), heartbeat);
    let (_, eof) = s.until_eof(Duration::from_secs(6));
    let after = eof.expect("slowloris not closed").duration_since(logged_on);
    writer.join().unwrap();
    figure(
        "slowloris after logon (1 byte/200 ms, HeartBtInt=1)",
        "closed after",
        after,
    );
    assert!(within(after, 2.3, 3.3), "closed after {after:?}");
    good.finish().assert_unaffected(40);
}

#[test]
fn slowloris_logon_is_closed_at_logon_timeout() {
    let acc = acceptor(&[("GOOD", ""), ("SLOW", "")]);
    let good = Trader::start(acc.port, "GOOD");
    let mut s = Fix::connect(acc.port, "SLOW");
    let connected = Instant::now();
    let logon = s.encode("A|98=0|108=30");
    let writer = trickle(s.peer.stream.try_clone().unwrap(), logon);
    let (msgs, eof) = s.until_eof(Duration::from_secs(5));
    let after = eof
        .expect("slow logon not closed")
        .duration_since(connected);
    writer.join().unwrap();
    figure("slowloris logon (LogonTimeout=1)", "closed after", after);
    assert!(msgs.is_empty());
    assert!(within(after, 0.9, 2.0), "closed after {after:?}");
    good.finish().assert_unaffected(40);
}

#[test]
fn two_hundred_connections_that_never_log_on_are_closed_and_fds_return() {
    use std::io::Read;
    let acc = acceptor(&[("GOOD", ""), ("IDLE", "")]);
    let good = Trader::start(acc.port, "GOOD");
    std::thread::sleep(Duration::from_millis(100));
    let baseline = acc.fd_count();
    let start = Instant::now();
    let mut conns: Vec<(TcpStream, Option<Duration>)> = (0..200)
        .map(|_| {
            let s = TcpStream::connect(("127.0.0.1", acc.port)).unwrap();
            s.set_nonblocking(true).unwrap();
            (s, None)
        })
        .collect();
    let opened = start.elapsed();
    let mut buf = [0u8; 64];
    while start.elapsed() < Duration::from_secs(6) && conns.iter().any(|c| c.1.is_none()) {
        for (s, closed) in conns.iter_mut().filter(|c| c.1.is_none()) {
            match s.read(&mut buf) {
                Ok(0) => *closed = Some(start.elapsed()),
                Ok(_) => panic!("an idle connection got bytes"),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(_) => *closed = Some(start.elapsed()),
            }
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let times: Vec<Duration> = conns.iter().filter_map(|c| c.1).collect();
    assert_eq!(times.len(), 200, "connections left open");
    let at_timeout = times.iter().filter(|t| t.as_secs_f64() >= 0.9).count();
    let last = times.iter().max().copied().unwrap();
    eprintln!(
        "FIGURE 200 idle connections: {at_timeout} closed at LogonTimeout, {} at accept (no free slot), opened in {opened:?}",
        200 - at_timeout
    );
    figure(
        "200 idle connections (LogonTimeout=1)",
        "last closed after",
        last,
    );
    assert!(
        last < Duration::from_millis(2500),
        "last closed after {last:?}"
    );
    // Each one either refused at accept for want of a connection slot (the
    // reactor has max(4 x sessions, 64)) or held until LogonTimeout.
    let early = times.iter().filter(|t| t.as_secs_f64() < 0.3).count();
    assert_eq!(
        early + at_timeout,
        200,
        "closed between accept and LogonTimeout"
    );
    assert!(at_timeout >= 50, "only {at_timeout} held to LogonTimeout");
    drop(conns);
    let back = fault_support::wait_until(Duration::from_secs(2), || acc.fd_count() <= baseline);
    assert!(back, "fds {} > baseline {baseline}", acc.fd_count());
    good.finish().assert_unaffected(40);
}
