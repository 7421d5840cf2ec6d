//! Faults carried by what a peer sends, each run while a good session on
//! the same acceptor process trades continuously: garbage and garbled
//! streams, an oversize message, a flood from a peer that never reads,
//! duplicate logons, resend storms, wrong CompIDs, a store that fails.

use crate::fault_support;
use crate::runtime_support;

use std::io::Write;
use std::time::{Duration, Instant};

use fault_support::{figure, msg_type, Acceptor, AcceptorSpec, Fix, Trader};
use runtime_support::{field, fix, now_fix};

fn acceptor_with(defaults: &str, sessions: &[(&str, &str)]) -> Acceptor {
    Acceptor::spawn(&AcceptorSpec {
        defaults,
        sessions,
        fsize_limit: None,
    })
}

/// A TestRequest is answered by a Heartbeat carrying its id: the session
/// is alive and in sequence.
fn assert_alive(s: &mut Fix, id: &str) {
    s.send(&format!("1|112={id}"));
    loop {
        let m = s.peer.read(Duration::from_secs(2)).expect("no Heartbeat");
        if msg_type(&m) == "0" && field(&m, 112).as_deref() == Some(id) {
            return;
        }
    }
}

/// Deterministic bytes that contain no `8=` (never a frame start).
fn noise(len: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            match (x >> 32) as u8 {
                b'8' => b'x',
                b => b,
            }
        })
        .collect()
}

#[test]
fn garbage_and_garbled_messages_are_ignored_after_logon() {
    let acc = acceptor_with("", &[("GOOD", ""), ("GARBLE", "")]);
    let good = Trader::start(acc.port, "GOOD");
    let mut s = Fix::logon(acc.port, "GARBLE", 30);
    let start = Instant::now();
    // Noise, a message with a wrong CheckSum, one with a wrong BodyLength,
    // a truncated header: none of them is a complete message.
    let mut bad = noise(16 * 1024);
    let mut wrong_sum = fix(&format!(
        "8=FIX.4.4|35=1|34=2|49=GARBLE|52={}|56=EXEC|112=bad",
        now_fix()
    ));
    let n = wrong_sum.len();
    wrong_sum[n - 2] = if wrong_sum[n - 2] == b'0' { b'1' } else { b'0' };
    bad.extend_from_slice(&wrong_sum);
    bad.extend_from_slice(
        format!(
            "8=FIX.4.4\x019=5\x0135=1\x0134=2\x0149=GARBLE\x0152={}\x0156=EXEC\x0110=000\x01",
            now_fix()
        )
        .as_bytes(),
    );
    bad.extend_from_slice(b"8=FIX.4.4\x019=");
    bad.extend_from_slice(&noise(1024));
    s.peer.stream.write_all(&bad).unwrap();
    // MsgSeqNum 2 is still the next one expected.
    assert_alive(&mut s, "after-garbage");
    figure(
        "garbage + garbled after logon",
        "session answers after",
        start.elapsed(),
    );
    good.finish().assert_unaffected(40);
}

#[test]
fn garbage_before_logon_is_disconnected_at_once() {
    let acc = acceptor_with("", &[("GOOD", "")]);
    let good = Trader::start(acc.port, "GOOD");
    let mut s = Fix::connect(acc.port, "NOBODY");
    let start = Instant::now();
    s.peer.stream.write_all(&noise(4096)).unwrap();
    let (msgs, eof) = s.until_eof(Duration::from_secs(3));
    let after = eof.expect("not closed").duration_since(start);
    figure("garbage before logon", "closed after", after);
    assert!(msgs.is_empty());
    assert!(after < Duration::from_millis(500), "closed after {after:?}");
    good.finish().assert_unaffected(40);
}

#[test]
fn oversize_message_disconnects_with_a_logged_reason() {
    let acc = acceptor_with("", &[("GOOD", ""), ("BIG", "")]);
    let good = Trader::start(acc.port, "GOOD");
    let mut s = Fix::logon(acc.port, "BIG", 30);
    let text = "x".repeat(100_000);
    let big = s.encode(&format!("D|11=B1|21=1|38=1|40=1|54=1|55=S|58={text}"));
    let start = Instant::now();
    // The peer may reset before we finish writing: that is the point.
    let _ = s.peer.stream.write_all(&big);
    let (msgs, eof) = s.until_eof(Duration::from_secs(3));
    let after = eof
        .expect("oversize message did not disconnect")
        .duration_since(start);
    figure(
        "oversize message (100 kB > 64 KiB)",
        "disconnected after",
        after,
    );
    let logout = msgs.iter().find(|m| msg_type(m) == "5").expect("no Logout");
    let reason = field(logout, 58).unwrap_or_default();
    assert!(reason.contains("exceeds"), "Logout text {reason:?}");
    assert!(
        !acc.log_lines(&["BIG", "exceeds"]).is_empty(),
        "{}",
        acc.log()
    );
    assert!(after < Duration::from_secs(1), "after {after:?}");
    good.finish().assert_unaffected(40);
}

#[test]
fn duplicate_logon_is_refused_and_the_first_connection_unaffected() {
    let acc = acceptor_with("", &[("GOOD", ""), ("DUP", "")]);
    let good = Trader::start(acc.port, "GOOD");
    let mut first = Fix::logon(acc.port, "DUP", 30);
    let mut second = Fix::connect(acc.port, "DUP");
    let start = Instant::now();
    second.send("A|98=0|108=30");
    let (msgs, eof) = second.until_eof(Duration::from_secs(3));
    let after = eof.expect("second logon not refused").duration_since(start);
    figure("duplicate logon", "second connection closed after", after);
    assert!(msgs.is_empty(), "{msgs:?}");
    assert!(after < Duration::from_millis(500), "after {after:?}");
    assert_alive(&mut first, "still-here");
    good.finish().assert_unaffected(40);
}

#[test]
fn wrong_comp_ids_are_refused() {
    let acc = acceptor_with("", &[("GOOD", ""), ("KNOWN", "")]);
    let good = Trader::start(acc.port, "GOOD");
    for (sender, target) in [("STRANGER", "EXEC"), ("KNOWN", "NOTEXEC")] {
        let mut s = Fix::connect(acc.port, sender);
        let start = Instant::now();
        let logon = fix(&format!(
            "8=FIX.4.4|35=A|34=1|49={sender}|52={}|56={target}|98=0|108=30",
            now_fix()
        ));
        s.peer.stream.write_all(&logon).unwrap();
        let (msgs, eof) = s.until_eof(Duration::from_secs(3));
        let after = eof
            .expect("wrong CompIDs not refused")
            .duration_since(start);
        figure(
            &format!("wrong CompIDs {sender}->{target}"),
            "closed after",
            after,
        );
        assert!(msgs.is_empty(), "{msgs:?}");
        assert!(after < Duration::from_millis(500), "after {after:?}");
    }
    // The configured session is still free.
    let mut s = Fix::logon(acc.port, "KNOWN", 30);
    assert_alive(&mut s, "known");
    good.finish().assert_unaffected(40);
}

#[test]
fn flood_from_a_peer_that_never_reads_hits_the_queue_limit() {
    let acc = acceptor_with(
        "MaxOutboundQueueBytes=1048576",
        &[("GOOD", ""), ("FLOOD", "")],
    );
    let good = Trader::start(acc.port, "GOOD");
    let mut s = Fix::logon(acc.port, "FLOOD", 30);
    let rss_before = acc.status_kb("VmRSS");
    let start = Instant::now();
    let mut max_rss = rss_before;
    let mut sent = 0u64;
    let mut closed = None;
    while start.elapsed() < Duration::from_secs(20) {
        let mut batch = Vec::with_capacity(1 << 20);
        for _ in 0..2000 {
            let body = format!("D|11=F{sent}|21=1|38=1|40=1|54=1|55=FLOOD|60={}", now_fix());
            batch.extend_from_slice(&s.encode(&body));
            sent += 1;
        }
        max_rss = max_rss.max(acc.status_kb("VmRSS"));
        if s.peer.stream.write_all(&batch).is_err() {
            closed = Some(start.elapsed());
            break;
        }
    }
    max_rss = max_rss.max(acc.status_kb("VmRSS"));
    let after = closed.expect("flooding peer never disconnected");
    figure(
        "flood, never reads (MaxOutboundQueueBytes=1 MiB)",
        "disconnected after",
        after,
    );
    eprintln!(
        "FIGURE flood: {sent} orders sent, acceptor VmRSS {rss_before} kB before, max {max_rss} kB"
    );
    let lines = acc.log_lines(&["outbound queue limit exceeded"]);
    assert!(!lines.is_empty(), "{}", acc.log());
    assert!(max_rss < 128 * 1024, "acceptor RSS {max_rss} kB");
    good.finish().assert_unaffected(40);
}

#[test]
fn resend_storm_is_answered_not_amplified() {
    let acc = acceptor_with("", &[("GOOD", ""), ("STORM", "")]);
    let good = Trader::start(acc.port, "GOOD");
    let mut s = Fix::logon(acc.port, "STORM", 30);
    const ORDERS: usize = 20;
    for i in 0..ORDERS {
        s.send(&format!(
            "D|11=S{i}|21=1|38=1|40=1|54=1|55=S|60={}",
            now_fix()
        ));
    }
    for _ in 0..ORDERS {
        let m = s.peer.read(Duration::from_secs(2)).expect("report");
        assert_eq!(msg_type(&m), "8");
    }
    // 100 ResendRequests for everything (1..0), back to back.
    const REQUESTS: usize = 100;
    let mut storm = Vec::new();
    for _ in 0..REQUESTS {
        storm.extend_from_slice(&s.encode("2|7=1|16=0"));
    }
    let request_bytes = storm.len() / REQUESTS;
    let start = Instant::now();
    s.peer.stream.write_all(&storm).unwrap();
    // Per request: GapFill 1->2 (the Logon), then the 20 reports PossDup.
    let per_answer = ORDERS + 1;
    let (mut resent, mut resent_bytes, mut new) = (0usize, 0usize, 0usize);
    let mut done = None;
    while let Some(m) = s.peer.read(Duration::from_secs(1)) {
        let poss_dup = field(&m, 43).as_deref() == Some("Y");
        if poss_dup {
            resent += 1;
            resent_bytes += m.len();
            if resent == REQUESTS * per_answer {
                done = Some(start.elapsed());
            }
        } else {
            new += 1;
        }
    }
    let took = done.unwrap_or_else(|| panic!("{resent} resent of {}", REQUESTS * per_answer));
    figure(
        "resend storm (100 x ResendRequest 1..0, 20 stored)",
        "all answered after",
        took,
    );
    let per = resent_bytes / REQUESTS;
    eprintln!(
        "FIGURE resend storm: {per_answer} messages / {per} bytes per request of {request_bytes} bytes"
    );
    assert_eq!(resent, REQUESTS * per_answer, "answers not exact");
    assert!(new <= 2, "{new} new messages during the storm");
    assert!(!s.peer.eof);
    assert_alive(&mut s, "after-storm");
    good.finish().assert_unaffected(40);
}

#[test]
fn store_failure_stops_sending_and_says_so() {
    // Journal files may not grow past 20 MiB (RLIMIT_FSIZE): the second
    // 16 MiB journal segment cannot be allocated, as on a full disk.
    let dir = tempfile::tempdir().unwrap();
    let defaults = format!("FileStorePath={}", dir.path().display());
    let acc = Acceptor::spawn(&AcceptorSpec {
        defaults: &defaults,
        sessions: &[("GOOD", ""), ("DISK", "")],
        fsize_limit: Some(20 << 20),
    });
    let good = Trader::start(acc.port, "GOOD");
    let mut s = Fix::logon(acc.port, "DISK", 30);
    // Each report echoes a 32 kB ClOrdID: ~520 reports fill the segment.
    let id = "C".repeat(32 * 1024);
    let start = Instant::now();
    let mut expect_seq = 2u64;
    let mut reports = 0u64;
    let mut orders = 0u64;
    let mut logout_text = None;
    'outer: while start.elapsed() < Duration::from_secs(30) {
        s.send(&format!(
            "D|11={id}|21=1|38=1|40=1|54=1|55=S|60={}",
            now_fix()
        ));
        orders += 1;
        loop {
            let Some(m) = s.peer.read(Duration::from_secs(3)) else {
                break 'outer;
            };
            let seq: u64 = field(&m, 34).unwrap().parse().unwrap();
            assert_eq!(seq, expect_seq, "gap in what was sent");
            expect_seq += 1;
            match msg_type(&m).as_str() {
                "8" => {
                    reports += 1;
                    break;
                }
                "5" => logout_text = field(&m, 58),
                _ => {}
            }
        }
    }
    let after = start.elapsed();
    assert!(s.peer.eof, "not disconnected after {orders} orders");
    figure(
        "store failure (journal past RLIMIT_FSIZE)",
        "disconnected after",
        after,
    );
    eprintln!("FIGURE store failure: {reports} reports stored and sent of {orders} orders, logout {logout_text:?}");
    // The order that could not be stored was not answered.
    assert_eq!(reports + 1, orders);
    // Says so: the cause (the journal file names the session) and the
    // session's logout reason.
    let cause = acc.log_lines(&["store append failed", "EXEC-DISK.journal", "File too large"]);
    assert!(!cause.is_empty(), "{}", acc.log());
    assert!(
        !acc.log_lines(&["DISK", "Error Reading/Writing in MessageStore"])
            .is_empty(),
        "{}",
        acc.log()
    );
    good.finish().assert_unaffected(40);
}
