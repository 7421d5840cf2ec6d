//! Faults carried by what a peer sends, each run while a good session on
//! the same acceptor process trades continuously: garbage and garbled
//! streams, an oversize message, a flood from a peer that never reads,
//! duplicate logons, resend storms, wrong CompIDs, a store that fails.

mod fault_support;
mod runtime_support;

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
