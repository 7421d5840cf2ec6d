//! LogonCredentialsFile's Argon2id check runs on a side thread, never on
//! the reactor: while one Logon's (deliberately slow) check runs, another
//! session on the same reactor keeps exchanging messages; a wrong
//! password still gets its Logout; an answer for a connection gone harms
//! nothing; a check slower than LogonTimeout ends in a Logout saying so.

use crate::runtime_support;

use std::net::TcpStream;
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHasher, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use ringfix::engine::apps::exec::Exec;
use ringfix::engine::config::{Credentials, EngineConfig, SessionConfig};
use ringfix::engine::runtime::Runtime;
use ringfix::engine::session::Application as EngineApp;
use runtime_support::{connect, field, now_fix, Peer};

/// An Argon2id hash of `password` costing `passes` passes over 64 MiB.
fn slow_hash(password: &str, passes: u32) -> String {
    let params = Params::new(64 * 1024, passes, 1, None).unwrap();
    let salt = SaltString::from_b64("c2FsdHNhbHRzYWx0c2FsdA").unwrap();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password(password.as_bytes(), &salt)
        .unwrap()
        .to_string()
}

/// A hash of `password` whose check takes at least `at_least` on this
/// machine (each Argon2 pass costs the same: measured on four).
fn hash_slower_than(password: &str, at_least: Duration) -> String {
    let probe = slow_hash(password, 4);
    let c = Credentials::parse(&format!("ORDERS alice {probe}\n"), "c").unwrap();
    let t = Instant::now();
    assert!(c.verify("ORDERS", b"alice", password.as_bytes()));
    let per_pass = (t.elapsed() / 4).as_nanos().max(1);
    let passes = u32::try_from(at_least.as_nanos() / per_pass + 1).unwrap_or(u32::MAX);
    slow_hash(password, passes.min(10_000))
}

/// An acceptor with two sessions on one listener (so one reactor):
/// ORDERS checked against a credentials file, OTHER not.
fn acceptor(dir: &std::path::Path, hash: &str, extra: &str) -> Runtime {
    let creds = dir.join("credentials");
    std::fs::write(&creds, format!("ORDERS alice {hash}\n")).unwrap();
    let text = format!(
        "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nBeginString=FIX.4.4\n\
         SenderCompID=EXEC\nSocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n{extra}\n\
         [SESSION]\nTargetCompID=ORDERS\nLogonCredentialsFile={}\n\
         [SESSION]\nTargetCompID=OTHER\n",
        creds.display()
    );
    let cfg = EngineConfig::parse(&text, "acceptor.cfg").unwrap();
    Runtime::start(
        &cfg,
        Box::new(|_s: &SessionConfig| -> Box<dyn EngineApp + Send> { Box::new(Exec::new()) }),
    )
    .unwrap()
}

fn logon(port: u16, sender: &str, password: &str) -> Peer {
    let mut peer = Peer::new(connect(port, Duration::from_secs(2)));
    let credentials = if password.is_empty() {
        String::new()
    } else {
        format!("|553=alice|554={password}")
    };
    peer.send(&format!(
        "8=FIX.4.4|35=A|34=1|49={sender}|52={}|56=EXEC|98=0|108=30{credentials}",
        now_fix()
    ));
    peer
}

/// How long the test's own verification of `hash` takes (what the
/// engine's side thread spends on it, give or take the load).
fn verify_cost(hash: &str) -> Duration {
    let c = Credentials::parse(&format!("ORDERS alice {hash}\n"), "c").unwrap();
    let t = Instant::now();
    assert!(c.verify("ORDERS", b"alice", b"right-pw"));
    t.elapsed()
}

/// While ORDERS' password is checked (hundreds of milliseconds), OTHER,
/// on the same reactor, gets 20 TestRequests answered, every one before
/// ORDERS' Logon is answered (with the check on the reactor thread they
/// would all wait for it); then ORDERS logs on.
#[test]
fn a_slow_password_check_does_not_stall_the_reactor() {
    let dir = tempfile::tempdir().unwrap();
    let hash = slow_hash("right-pw", 3);
    let cost = verify_cost(&hash);
    let mut server = acceptor(dir.path(), &hash, "");
    let port = server.listen_addrs()[0].port();

    let mut other = logon(port, "OTHER", "");
    let answer = other.read(Duration::from_secs(5)).expect("OTHER's Logon");
    assert_eq!(field(&answer, 35).as_deref(), Some("A"));

    let orders = logon(port, "ORDERS", "right-pw");
    let sent = Instant::now();
    let waiter = std::thread::spawn(move || {
        let mut orders = orders;
        let got = orders.read(Duration::from_secs(30));
        (got, Instant::now())
    });
    let mut rtts = Vec::new();
    for i in 0..20 {
        let t = Instant::now();
        other.send(&format!(
            "8=FIX.4.4|35=1|34={}|49=OTHER|52={}|56=EXEC|112=ping-{i}",
            i + 2,
            now_fix()
        ));
        let hb = other.read(Duration::from_secs(5)).expect("Heartbeat");
        rtts.push(t.elapsed());
        assert_eq!(field(&hb, 35).as_deref(), Some("0"), "{hb:?}");
        assert_eq!(field(&hb, 112), Some(format!("ping-{i}")));
    }
    let pings_done = Instant::now();
    let (got, answered) = waiter.join().unwrap();
    let got = got.expect("ORDERS' Logon answer");
    assert_eq!(field(&got, 35).as_deref(), Some("A"), "{got:?}");
    rtts.sort();
    let median = rtts[rtts.len() / 2];
    eprintln!(
        "verification {cost:?} (test thread); ORDERS answered after {:?}; OTHER's round trips: median {median:?}, max {:?}",
        answered - sent,
        rtts[rtts.len() - 1]
    );
    assert!(
        pings_done < answered,
        "OTHER's 20 round trips ended after ORDERS' Logon was answered: they waited for the check"
    );
    assert!(median < Duration::from_millis(5), "median {median:?}");
    server.stopper().stop();
    server.wait();
}

/// A wrong password is still refused with `Invalid credentials` from
/// the side thread's answer; a connection that closes while its check
/// runs leaves the session free: the next connection's Logon, checked
/// while the first answer lands on the reused connection slot, logs on.
#[test]
fn answers_reach_their_own_connection_only() {
    let dir = tempfile::tempdir().unwrap();
    let hash = slow_hash("right-pw", 4);
    let mut server = acceptor(dir.path(), &hash, "");
    let port = server.listen_addrs()[0].port();

    let mut wrong = logon(port, "ORDERS", "wrong-pw");
    let (got, closed) = wrong.read_to_eof(Duration::from_secs(30));
    assert!(closed);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(field(&got[0], 35).as_deref(), Some("5"));
    assert_eq!(field(&got[0], 58).as_deref(), Some("Invalid credentials"));

    // A wrong password, and gone before its answer.
    let gone = logon(port, "ORDERS", "wrong-pw");
    std::thread::sleep(Duration::from_millis(20));
    drop::<TcpStream>(gone.stream);
    // The session is free again once the close is seen: retry briefly.
    let start = Instant::now();
    let got = loop {
        let mut next = logon(port, "ORDERS", "right-pw");
        let (got, _) = next.read_to_eof(Duration::from_millis(
            u64::try_from(verify_cost(&hash).as_millis()).unwrap() * 10 + 2000,
        ));
        if !got.is_empty() || start.elapsed() > Duration::from_secs(20) {
            break got;
        }
    };
    assert_eq!(
        got.first().and_then(|m| field(m, 35)).as_deref(),
        Some("A"),
        "{got:?}"
    );
    let refused = server.counters()[0]
        .1
        .logons_refused
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(refused, 1, "only the first wrong password was answered");
    server.stopper().stop();
    server.wait();
}

/// A check that outlasts LogonTimeout: a Logout saying so, the session
/// untouched, and the connection closed.
#[test]
fn a_check_past_logon_timeout_is_answered_with_a_logout() {
    let dir = tempfile::tempdir().unwrap();
    // Longer than LogonTimeout however fast the machine: scaled from a
    // measured pass (a fixed 20 passes took under 1 s on an idle CI host,
    // and the Logon was rightly accepted).
    let hash = hash_slower_than("right-pw", Duration::from_secs(3));
    let mut server = acceptor(dir.path(), &hash, "LogonTimeout=1");
    let port = server.listen_addrs()[0].port();
    let mut slow = logon(port, "ORDERS", "right-pw");
    let t = Instant::now();
    let (got, closed) = slow.read_to_eof(Duration::from_secs(10));
    assert!(closed, "after {:?}: {got:?}", t.elapsed());
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(field(&got[0], 35).as_deref(), Some("5"));
    assert_eq!(
        field(&got[0], 58).as_deref(),
        Some("Logon not verified within LogonTimeout")
    );
    assert!(
        t.elapsed() >= Duration::from_millis(900),
        "{:?}",
        t.elapsed()
    );
    assert_eq!(server.sessions()[0].next_sender_seq, 1);
    server.stopper().stop();
    server.wait();
}
