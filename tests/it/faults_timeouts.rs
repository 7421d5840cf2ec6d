//! Faults the engine detects by its deadlines, each run while a good
//! session on the same acceptor process trades continuously: a peer silent
//! after Logon, one that never answers our Logout, a half-open peer (a
//! stopped process), slowloris trickles, 300 connections that never log
//! on (all held to LogonTimeout; those past MaxConnections closed at
//! once). Each case checks the reaction and the time it took.

use crate::fault_support;
use crate::runtime_support;

use std::io::Write;
use std::net::TcpStream;
use std::time::{Duration, Instant};

use fault_support::{
    figure, msg_type, python_peer, signal, wait_line, Acceptor, AcceptorSpec, FakeWall, Fix, Trader,
};
use runtime_support::{field, fix, now_fix};

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
    assert!(!acc
        .log_lines(&["SILENT", "Timed out waiting for heartbeat"])
        .is_empty());
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
        !acc.log_lines(&["LINGER", "Timed out waiting for logout response"])
            .is_empty(),
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
    let seen = acc.wait_log_all(
        &["HALF", "Timed out waiting for heartbeat"],
        Duration::from_secs(6),
    );
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

/// Opens `n` connections that never send a byte and watches each from the
/// peer side until the acceptor closes it (EOF or reset), at most `within`.
/// Returns the close times since the first connect, and how long opening
/// them took.
fn idle_connections(port: u16, n: usize, within: Duration) -> (Vec<Duration>, Duration) {
    use std::io::Read;
    let start = Instant::now();
    let mut conns: Vec<(TcpStream, Option<Duration>)> = (0..n)
        .map(|_| {
            let s = TcpStream::connect(("127.0.0.1", port)).unwrap();
            s.set_nonblocking(true).unwrap();
            (s, None)
        })
        .collect();
    let opened = start.elapsed();
    let mut buf = [0u8; 64];
    while start.elapsed() < within && conns.iter().any(|c| c.1.is_none()) {
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
    assert_eq!(times.len(), n, "connections left open after {within:?}");
    (times, opened)
}

/// LogonTimeout=1 (fault_support): a connection is closed no earlier than
/// 1 s after its accept, and — on this shared machine — within 1.5 s more.
const LOGON_TIMEOUT_MIN: f64 = 0.95;
const LOGON_TIMEOUT_MAX: f64 = 2.5;

#[test]
fn three_hundred_connections_that_never_log_on_are_all_held_to_logon_timeout() {
    // 300 > 4 x 2 sessions and > the first chunk of 64 slots: the reactor
    // grows its slots instead of refusing (MaxConnections defaults to 1024).
    let acc = acceptor(&[("GOOD", ""), ("IDLE", "")]);
    let good = Trader::start(acc.port, "GOOD");
    std::thread::sleep(Duration::from_millis(100));
    let baseline = acc.fd_count();
    let (times, opened) = idle_connections(acc.port, 300, Duration::from_secs(6));
    let first = times.iter().min().copied().unwrap();
    let last = times.iter().max().copied().unwrap();
    eprintln!(
        "FIGURE 300 idle connections: opened in {opened:?}, closed between {first:?} and {last:?}"
    );
    figure(
        "300 idle connections (LogonTimeout=1)",
        "first closed after",
        first,
    );
    figure(
        "300 idle connections (LogonTimeout=1)",
        "last closed after",
        last,
    );
    // Every one was accepted and held until its LogonTimeout: none refused.
    assert!(
        first.as_secs_f64() >= LOGON_TIMEOUT_MIN,
        "closed before LogonTimeout: {first:?}"
    );
    assert!(
        last.as_secs_f64() <= LOGON_TIMEOUT_MAX + opened.as_secs_f64(),
        "last closed after {last:?}"
    );
    assert!(
        acc.log_lines(&["MaxConnections"]).is_empty(),
        "{}",
        acc.log()
    );
    assert!(acc.log_lines(&["no Logon within LogonTimeout"]).len() >= 300);
    let back = fault_support::wait_until(Duration::from_secs(2), || acc.fd_count() <= baseline);
    assert!(back, "fds {} > baseline {baseline}", acc.fd_count());
    good.finish().assert_unaffected(40);
}

#[test]
fn connections_beyond_max_connections_are_closed_at_once_and_logged() {
    // 50 slots: the good session's connection and 49 idle ones fit.
    let acc = Acceptor::spawn(&AcceptorSpec {
        defaults: "MaxConnections=50",
        sessions: &[("GOOD", ""), ("IDLE", "")],
        fsize_limit: None,
    });
    let good = Trader::start(acc.port, "GOOD");
    let (times, opened) = idle_connections(acc.port, 300, Duration::from_secs(6));
    let early: Vec<&Duration> = times.iter().filter(|t| t.as_secs_f64() < 0.5).collect();
    let held = times
        .iter()
        .filter(|t| t.as_secs_f64() >= LOGON_TIMEOUT_MIN)
        .count();
    eprintln!(
        "FIGURE 300 idle connections, MaxConnections=50: {held} held to LogonTimeout, {} closed at accept (last after {:?}), opened in {opened:?}",
        early.len(),
        early.iter().max()
    );
    assert_eq!(held, 49, "held to LogonTimeout");
    assert_eq!(early.len(), 251, "closed at accept");
    assert!(times.iter().max().unwrap().as_secs_f64() <= LOGON_TIMEOUT_MAX + opened.as_secs_f64());
    let refused = acc.log_lines(&["MaxConnections reached"]);
    assert!(!refused.is_empty(), "{}", acc.log());
    // Logged at most once a second, with the count: not one line each.
    assert!(refused.len() <= 4, "{refused:?}");
    good.finish().assert_unaffected(40);
}

/// Keeps a logged-on session talking for `d`: our Heartbeat every 0.4 s,
/// TestRequests answered. Returns the Heartbeats the engine sent, whether
/// it sent a Logout (or closed), and when we last sent.
fn talk(s: &mut Fix, d: Duration) -> (usize, bool, Instant) {
    let start = Instant::now();
    let mut next = start;
    let (mut beats, mut ended, mut last) = (0, false, start);
    while start.elapsed() < d && !ended {
        if Instant::now() >= next {
            s.send("0");
            last = Instant::now();
            next += Duration::from_millis(400);
        }
        match s.peer.read(Duration::from_millis(50)) {
            Some(m) => match msg_type(&m).as_str() {
                "0" => beats += 1,
                "1" => s.send(&format!("0|112={}", field(&m, 112).unwrap_or_default())),
                "5" => ended = true,
                _ => {}
            },
            None => ended = s.peer.eof,
        }
    }
    (beats, ended, last)
}

/// Issue 24: deadlines are on CLOCK_BOOTTIME. The acceptor runs under
/// libfaketime, its wall clock stepped an hour back, then an hour ahead,
/// while logged on with HeartBtInt=1: its Heartbeats keep coming every
/// second, a silent peer still gets a TestRequest at 1.2 s and is cut at
/// 2.4 s, and a connection without a Logon is closed at LogonTimeout.
/// (With deadlines on the wall clock, the step back silenced the session
/// for an hour, and the step ahead pushed every deadline an hour out.)
#[test]
fn wall_clock_steps_either_way_move_no_deadline() {
    let wall = FakeWall::new();
    let acc = Acceptor::spawn_env(
        &AcceptorSpec {
            // Our SendingTime is the true time: the engine's is stepped.
            defaults: "CheckLatency=N",
            sessions: &[("BACK", ""), ("AHEAD", ""), ("NOLOGON", "")],
            fsize_limit: None,
        },
        &wall.env(),
    );
    for (name, offset) in [("BACK", -3600), ("AHEAD", 3600)] {
        wall.set(0);
        let mut s = Fix::logon(acc.port, name, 1);
        wall.set(offset);
        let (beats, ended, silent) = talk(&mut s, Duration::from_secs(3));
        assert!(!ended, "{name}: session ended after a {offset} s step");
        assert!(
            (2..=4).contains(&beats),
            "{name}: {beats} Heartbeats in 3 s after a {offset} s wall clock step"
        );
        let mut test_request = None;
        while let Some(m) = s.peer.read(Duration::from_secs(5)) {
            if msg_type(&m) == "1" && test_request.is_none() {
                test_request = Some(silent.elapsed());
            }
        }
        let closed = silent.elapsed();
        assert!(s.peer.eof, "{name}: silent peer not closed");
        let tr = test_request.unwrap_or_else(|| panic!("{name}: no TestRequest"));
        figure(
            &format!("wall clock {offset:+} s, silent peer"),
            "TestRequest after",
            tr,
        );
        figure(
            &format!("wall clock {offset:+} s, silent peer"),
            "closed after",
            closed,
        );
        assert!(within(tr, 1.1, 2.0), "{name}: TestRequest after {tr:?}");
        assert!(within(closed, 2.3, 3.5), "{name}: closed after {closed:?}");
    }
    for offset in [-7200, 7200] {
        wall.set(offset);
        let mut s = Fix::connect(acc.port, "NOLOGON");
        let start = Instant::now();
        let (_, eof) = s.until_eof(Duration::from_secs(5));
        let took = start.elapsed();
        assert!(eof.is_some(), "{offset:+} s: no close without a Logon");
        assert!(
            within(took, 0.8, 2.0),
            "{offset:+} s: closed after {took:?}"
        );
    }
}

/// Issue 24: schedules follow the wall clock on purpose. A 24-hour
/// schedule that rolled over half an hour ago: the wall clock stepped back
/// an hour (into yesterday's period) keeps the session up and resets
/// nothing; stepped a day ahead (a new period) ends it within about a
/// second; after the reset of that new period, stepping back a day does
/// not reset the store again.
#[test]
fn schedule_follows_wall_clock_steps_without_replaying_a_reset() {
    let now = ringfix::codec::UtcTimestamp::now().as_nanos() / 1_000_000_000;
    let t = (now - 1800).rem_euclid(86_400);
    let roll = format!("{:02}:{:02}:{:02}", t / 3600, t / 60 % 60, t % 60);
    let sched = format!("NonStopSession=N\nStartTime={roll}\nEndTime={roll}");
    let wall = FakeWall::new();
    let acc = Acceptor::spawn_env(
        &AcceptorSpec {
            defaults: "CheckLatency=N",
            sessions: &[("DAY", &sched)],
            fsize_limit: None,
        },
        &wall.env(),
    );
    let mut s = Fix::logon(acc.port, "DAY", 1);
    wall.set(-3600);
    let (beats, ended, _) = talk(&mut s, Duration::from_secs(3));
    assert!(
        !ended && beats >= 2,
        "step back into yesterday's period: ended {ended}, {beats} beats"
    );
    wall.set(0);
    let (_, ended, _) = talk(&mut s, Duration::from_secs(2));
    assert!(!ended, "ended after the step back to true time");
    // A day ahead: a new period began after the store was created.
    wall.set(86_400);
    let stepped = Instant::now();
    let (_, ended, _) = talk(&mut s, Duration::from_secs(4));
    let took = stepped.elapsed();
    assert!(ended, "a day ahead did not end the session");
    figure(
        "wall clock a day ahead (new period)",
        "session ended after",
        took,
    );
    assert!(took < Duration::from_millis(2500), "ended after {took:?}");
    s.until_eof(Duration::from_secs(3));
    // The new period's first Logon: the store was reset (MsgSeqNum 1).
    let mut s = Fix::logon(acc.port, "DAY", 1);
    let (_, ended, _) = talk(&mut s, Duration::from_millis(1500));
    assert!(!ended);
    // A day back: the reset is not done again, the session stays up.
    wall.set(0);
    let (beats, ended, _) = talk(&mut s, Duration::from_secs(3));
    assert!(
        !ended && beats >= 2,
        "a day back: ended {ended}, {beats} beats"
    );
    s.send("5");
    s.until_eof(Duration::from_secs(3));
    let seq = s.seq;
    let mut again = Fix::connect(acc.port, "DAY");
    again.seq = seq;
    again.send("A|98=0|108=1");
    let answer = again
        .peer
        .read(Duration::from_secs(5))
        .expect("Logon answer");
    assert_eq!(msg_type(&answer), "A", "{answer:?}");
    let answer_seq: u64 = field(&answer, 34).and_then(|v| v.parse().ok()).unwrap_or(0);
    assert!(
        answer_seq > 2,
        "store reset again after the step back: Logon answer 34={answer_seq}"
    );
    assert_eq!(
        field(&answer, 141),
        None,
        "ResetSeqNumFlag after the step back"
    );
}
