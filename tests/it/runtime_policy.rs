//! Session policy keys through a real `ringfix acceptor` and a scripted
//! peer on loopback (issue 31): NextExpectedMsgSeqNum (789),
//! ResetOnError / DisconnectOnError, the heartbeat multipliers. What the
//! peer receives is what is checked.

use crate::fault_support;
use crate::runtime_support;

use std::time::{Duration, Instant};

use fault_support::{msg_type, Acceptor, AcceptorSpec, Fix};
use runtime_support::{field, now_fix};

const WAIT: Duration = Duration::from_secs(5);

fn acceptor(session: &str) -> Acceptor {
    Acceptor::spawn(&AcceptorSpec {
        defaults: "",
        sessions: &[("PEER", session)],
        fsize_limit: None,
    })
}

fn order(s: &mut Fix, id: &str) {
    s.send(&format!(
        "D|11={id}|21=1|38=1|40=1|54=1|55=S|60={}",
        now_fix()
    ));
}

/// Messages until `quiet` passes without one (bounded by [`WAIT`]).
fn drain(s: &mut Fix, quiet: Duration) -> Vec<Vec<u8>> {
    let end = Instant::now() + WAIT;
    let mut out = Vec::new();
    while Instant::now() < end {
        match s.peer.read(quiet) {
            Some(m) => out.push(m),
            None => break,
        }
    }
    out
}

fn seqs(msgs: &[Vec<u8>]) -> Vec<u64> {
    msgs.iter()
        .filter_map(|m| field(m, 34)?.parse().ok())
        .collect()
}

#[test]
fn next_expected_msg_seq_num_recovers_what_the_peer_missed() {
    let acc = acceptor("EnableNextExpectedMsgSeqNum=Y");
    let mut s = Fix::connect(acc.port, "PEER");
    s.send("A|98=0|108=30|789=1");
    let answer = s.peer.read(WAIT).expect("Logon answer");
    assert_eq!(msg_type(&answer), "A");
    // We expect the peer's 2 next: the Logon was in sequence.
    assert_eq!(field(&answer, 789).as_deref(), Some("2"));
    order(&mut s, "O1");
    let reports = drain(&mut s, Duration::from_millis(500));
    assert!(!reports.is_empty(), "no ExecutionReport");
    let last = *seqs(&reports).last().unwrap();
    // Log out (the session is free for the next connection at once).
    s.send("5");
    let (_, eof) = s.until_eof(WAIT);
    assert!(eof.is_some(), "not closed after the Logout exchange");

    // Reconnect, saying we saw only the Logon answer (789=2): every report
    // comes again, PossDup, after the Logon answer.
    let mut s = Fix::connect(acc.port, "PEER");
    s.seq = 4;
    s.send("A|98=0|108=30|789=2");
    let answer = s
        .peer
        .read(WAIT)
        .unwrap_or_else(|| panic!("no Logon answer: {}", acc.log()));
    assert_eq!(msg_type(&answer), "A", "{answer:?}");
    assert_eq!(field(&answer, 789).as_deref(), Some("5"));
    let again = drain(&mut s, Duration::from_millis(500));
    let resent: Vec<&Vec<u8>> = again
        .iter()
        .filter(|m| field(m, 43).as_deref() == Some("Y") && msg_type(m) == "8")
        .collect();
    assert_eq!(
        seqs(&resent.iter().map(|m| m.to_vec()).collect::<Vec<_>>()),
        (2..=last).collect::<Vec<u64>>(),
        "resent reports"
    );
    s.send("5");
    let (_, eof) = s.until_eof(WAIT);
    assert!(eof.is_some(), "not closed after the Logout exchange");

    // A 789 above anything sent: Logout with the reason, then the close.
    let mut s = Fix::connect(acc.port, "PEER");
    s.seq = 6;
    s.send("A|98=0|108=30|789=999");
    let (msgs, eof) = s.until_eof(WAIT);
    assert!(eof.is_some(), "not closed");
    assert_eq!(msgs.len(), 1, "only a Logout: {msgs:?}");
    assert_eq!(msg_type(&msgs[0]), "5");
    let text = field(&msgs[0], 58).unwrap_or_default();
    assert!(
        text.starts_with("Tag 789 (NextExpectedMsgSeqNum) is higher than expected. Expected"),
        "{text}"
    );
    assert!(text.ends_with("Received 999"), "{text}");
}

#[test]
fn reset_on_error_logs_out_and_starts_again_at_one() {
    let acc = acceptor("ResetOnError=Y");
    let mut s = Fix::logon(acc.port, "PEER", 30);
    // An order the dictionary rejects (no Side, Symbol, ...).
    s.send("D|11=BAD");
    let m = s.peer.read(WAIT).expect("an answer");
    assert_eq!(msg_type(&m), "5", "a Logout, not a reject: {m:?}");
    assert_eq!(field(&m, 58).as_deref(), Some("Session reset"));
    s.send("5");
    let (_, eof) = s.until_eof(WAIT);
    assert!(eof.is_some(), "not closed after the Logout exchange");
    // Both sides start again at 1: a Logon numbered 1 is accepted and
    // answered with 1.
    let mut s = Fix::connect(acc.port, "PEER");
    s.send("A|98=0|108=30");
    let answer = s.peer.read(WAIT).expect("Logon answer");
    assert_eq!(msg_type(&answer), "A", "{answer:?}");
    assert_eq!(field(&answer, 34).as_deref(), Some("1"));
}

#[test]
fn disconnect_on_error_closes_without_a_reject() {
    let acc = acceptor("DisconnectOnError=Y");
    let mut s = Fix::logon(acc.port, "PEER", 30);
    s.send("D|11=BAD");
    let (msgs, eof) = s.until_eof(WAIT);
    assert!(eof.is_some(), "not closed");
    assert!(msgs.is_empty(), "nothing before the close: {msgs:?}");
    // Without the setting the same order is rejected and the session stays.
    let acc = acceptor("");
    let mut s = Fix::logon(acc.port, "PEER", 30);
    s.send("D|11=BAD");
    let m = s.peer.read(WAIT).expect("a reject");
    assert_eq!(msg_type(&m), "3");
}

#[test]
fn heartbeat_multipliers_set_the_test_request_and_the_timeout() {
    // HeartBtInt 2: TestRequest at 1.5 x = 3 s (not 2.4 s), close at 3 x =
    // 6 s (not 4.8 s). Timers never fire early, so the lower bounds hold
    // under any load.
    let acc = acceptor("TestRequestDelayMultiplier=0.5\nHeartBeatTimeoutMultiplier=2");
    let mut s = Fix::logon(acc.port, "PEER", 2);
    let logged_on = Instant::now();
    let mut test_request = None;
    while let Some(m) = s.peer.read(Duration::from_secs(10)) {
        if msg_type(&m) == "1" && test_request.is_none() {
            test_request = Some(logged_on.elapsed());
        }
    }
    let closed = logged_on.elapsed();
    assert!(s.peer.eof, "not closed");
    let tr = test_request.expect("no TestRequest before the close");
    assert!(
        tr >= Duration::from_millis(2900),
        "TestRequest after {tr:?}"
    );
    assert!(tr < Duration::from_secs(5), "TestRequest after {tr:?}");
    assert!(
        closed >= Duration::from_millis(5900),
        "closed after {closed:?}"
    );
    assert!(closed < Duration::from_secs(10), "closed after {closed:?}");
}
