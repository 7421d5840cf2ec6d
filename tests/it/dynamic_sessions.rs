//! Dynamic sessions (`AcceptorTemplate=Y` with `*` CompIDs, as
//! QuickFIX/J), seen on the wire and in the files: a Logon matching a
//! template gets its own session, store and log; its reconnect finds them
//! again; CompIDs that cannot name files and sessions past
//! MaxDynamicSessions get a Logout and no file. Every wait is bounded.

use crate::runtime_support;

use std::path::Path;
use std::time::Duration;

use ringfix::engine::apps::exec::Exec;
use ringfix::engine::config::{EngineConfig, SessionConfig};
use ringfix::engine::runtime::{AppFactory, Runtime};
use ringfix::engine::session::Application as EngineApp;
use runtime_support::{connect, field, now_fix, Peer};

/// A configured session (EXEC<-ORDERS) and a template (EXEC<-*) on one
/// listener, with file stores and logs under `dir`.
fn acceptor(dir: &Path, extra: &str) -> Runtime {
    acceptor_with(
        dir,
        extra,
        Box::new(|_s: &SessionConfig| -> Box<dyn EngineApp + Send> { Box::new(Exec::new()) }),
    )
}

fn acceptor_with(dir: &Path, extra: &str, apps: AppFactory) -> Runtime {
    let text = format!(
        "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nBeginString=FIX.4.4\n\
         SenderCompID=EXEC\nSocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n\
         FileStorePath={0}/store\nFileLogPath={0}/log\n{extra}\n\
         [SESSION]\nTargetCompID=ORDERS\n\
         [SESSION]\nTargetCompID=*\nAcceptorTemplate=Y\n",
        dir.display()
    );
    let cfg = EngineConfig::parse(&text, "acceptor.cfg").unwrap();
    Runtime::start(&cfg, apps).unwrap()
}

fn logon(port: u16, sender: &str, seq: u64) -> (Peer, Vec<u8>) {
    let mut peer = Peer::new(connect(port, Duration::from_secs(2)));
    peer.send(&format!(
        "8=FIX.4.4|35=A|34={seq}|49={sender}|52={}|56=EXEC|98=0|108=30",
        now_fix()
    ));
    let answer = peer.read(Duration::from_secs(10)).expect("an answer");
    (peer, answer)
}

fn files(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn a_logon_matching_a_template_gets_its_own_session_store_and_log() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut server = acceptor(d, "");
    let port = server.listen_addrs()[0].port();

    let (mut a, answer) = logon(port, "CLIENT_A", 1);
    assert_eq!(field(&answer, 35).as_deref(), Some("A"), "{answer:?}");
    assert_eq!(field(&answer, 49).as_deref(), Some("EXEC"));
    assert_eq!(field(&answer, 56).as_deref(), Some("CLIENT_A"));
    assert_eq!(field(&answer, 34).as_deref(), Some("1"));
    a.send(&format!(
        "8=FIX.4.4|35=1|34=2|49=CLIENT_A|52={}|56=EXEC|112=hello-a",
        now_fix()
    ));
    let hb = a.read(Duration::from_secs(5)).expect("Heartbeat");
    assert_eq!(field(&hb, 112).as_deref(), Some("hello-a"));
    assert_eq!(field(&hb, 34).as_deref(), Some("2"));

    // Another counterparty: a session of its own, numbered from 1.
    let (_b, answer) = logon(port, "CLIENT_B", 1);
    assert_eq!(field(&answer, 56).as_deref(), Some("CLIENT_B"));
    assert_eq!(field(&answer, 34).as_deref(), Some("1"));
    // The configured session is still routed to itself.
    let (_o, answer) = logon(port, "ORDERS", 1);
    assert_eq!(field(&answer, 56).as_deref(), Some("ORDERS"));

    // CLIENT_A logs out and comes back: its session and store are found.
    a.send(&format!(
        "8=FIX.4.4|35=5|34=3|49=CLIENT_A|52={}|56=EXEC",
        now_fix()
    ));
    let (got, closed) = a.read_to_eof(Duration::from_secs(5));
    assert!(closed && got.len() == 1, "{got:?}");
    let (_again, answer) = {
        // The logout's close frees the session a moment later.
        let start = std::time::Instant::now();
        loop {
            let (p, answer) = logon(port, "CLIENT_A", 4);
            if field(&answer, 35).as_deref() == Some("A")
                || start.elapsed() > Duration::from_secs(5)
            {
                break (p, answer);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    assert_eq!(field(&answer, 35).as_deref(), Some("A"), "{answer:?}");
    assert_eq!(
        field(&answer, 34).as_deref(),
        Some("4"),
        "numbers kept: Logon 1, Heartbeat 2, Logout 3"
    );
    server.stopper().stop();
    server.wait();

    let store = files(&d.join("store"));
    for name in ["CLIENT_A", "CLIENT_B", "ORDERS"] {
        assert!(
            store
                .iter()
                .any(|f| f == &format!("FIX.4.4-EXEC-{name}.journal")),
            "{name}: {store:?}"
        );
    }
    assert!(!store.iter().any(|f| f.contains('*')), "{store:?}");
    let log = d.join("log");
    assert!(
        !files(&log).iter().any(|f| f.contains('*')),
        "{:?}",
        files(&log)
    );
    let events =
        std::fs::read_to_string(log.join("FIX.4.4-EXEC-CLIENT_A.event.current.log")).unwrap();
    assert!(
        events.contains("created from an acceptor template"),
        "{events}"
    );
    let messages =
        std::fs::read_to_string(log.join("FIX.4.4-EXEC-CLIENT_A.messages.current.log")).unwrap();
    assert!(messages.contains("112=hello-a"), "{messages}");
}

#[test]
fn bad_comp_ids_and_too_many_sessions_get_a_logout_and_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut server = acceptor(d, "MaxDynamicSessions=1");
    let port = server.listen_addrs()[0].port();
    let before = files(&d.join("store"));

    for (sender, why) in [("..evil", "'..' in CompID"), ("a/b", "path separator")] {
        let (mut p, answer) = logon(port, sender, 1);
        assert_eq!(field(&answer, 35).as_deref(), Some("5"), "{answer:?}");
        let text = field(&answer, 58).unwrap();
        assert!(text.contains(why), "{text}");
        assert_eq!(field(&answer, 56).as_deref(), Some(sender));
        let (_, closed) = p.read_to_eof(Duration::from_secs(5));
        assert!(closed);
    }
    assert_eq!(files(&d.join("store")), before, "no file made");

    let (_a, answer) = logon(port, "CLIENT_A", 1);
    assert_eq!(field(&answer, 35).as_deref(), Some("A"), "{answer:?}");
    let (mut b, answer) = logon(port, "CLIENT_B", 1);
    assert_eq!(field(&answer, 35).as_deref(), Some("5"), "{answer:?}");
    assert_eq!(field(&answer, 58).as_deref(), Some("too many sessions"));
    let (_, closed) = b.read_to_eof(Duration::from_secs(5));
    assert!(closed);
    server.stopper().stop();
    server.wait();
    let store = files(&d.join("store"));
    assert!(
        !store
            .iter()
            .any(|f| f.contains("CLIENT_B") || f.contains("evil")),
        "{store:?}"
    );
    assert!(store.iter().any(|f| f.contains("CLIENT_A")), "{store:?}");
}

/// Making a session from a template happens off the reactor: while the
/// application factory of a new dynamic session takes 600 ms (the side
/// thread's work: application, log, store), the configured session on the
/// same reactor gets 20 TestRequests answered, all before the new
/// session's Logon is answered.
#[test]
fn making_a_session_does_not_stall_the_reactor() {
    use std::time::Instant;
    let dir = tempfile::tempdir().unwrap();
    let apps: AppFactory = Box::new(|s: &SessionConfig| -> Box<dyn EngineApp + Send> {
        if s.id.target_comp_id == "SLOW" {
            std::thread::sleep(Duration::from_millis(600));
        }
        Box::new(Exec::new())
    });
    let mut server = acceptor_with(dir.path(), "", apps);
    let port = server.listen_addrs()[0].port();
    let (mut orders, answer) = logon(port, "ORDERS", 1);
    assert_eq!(field(&answer, 35).as_deref(), Some("A"));

    let waiter = std::thread::spawn(move || {
        let (_p, answer) = logon(port, "SLOW", 1);
        (answer, Instant::now())
    });
    // Let the SLOW Logon reach the engine first.
    std::thread::sleep(Duration::from_millis(50));
    for i in 0..20 {
        orders.send(&format!(
            "8=FIX.4.4|35=1|34={}|49=ORDERS|52={}|56=EXEC|112=ping-{i}",
            i + 2,
            now_fix()
        ));
        let hb = orders.read(Duration::from_secs(5)).expect("Heartbeat");
        assert_eq!(field(&hb, 112), Some(format!("ping-{i}")));
    }
    let pings_done = Instant::now();
    let (answer, answered) = waiter.join().unwrap();
    assert_eq!(field(&answer, 35).as_deref(), Some("A"), "{answer:?}");
    assert!(
        pings_done < answered,
        "ORDERS' round trips waited for the new session to be made"
    );
    server.stopper().stop();
    server.wait();
}

fn logon_with(port: u16, sender: &str, password: &str) -> (Vec<Vec<u8>>, bool) {
    let mut peer = Peer::new(connect(port, Duration::from_secs(2)));
    peer.send(&format!(
        "8=FIX.4.4|35=A|34=1|49={sender}|52={}|56=EXEC|98=0|108=30|553=alice|554={password}",
        now_fix()
    ));
    peer.read_to_eof(Duration::from_secs(3))
}

/// A template with LogonCredentialsFile: the password is checked before
/// any file is made (a wrong one, or CompIDs the file does not know, get
/// `Invalid credentials` and no file); the right one gets the session; a
/// later wrong password for that session is refused too.
#[test]
fn a_template_checks_credentials_before_making_a_session() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let hash = ringfix::engine::config::hash_password(b"right-pw").unwrap();
    let creds = d.join("credentials");
    std::fs::write(&creds, format!("CLIENT_A alice {hash}\n")).unwrap();
    let mut server = acceptor(d, &format!("LogonCredentialsFile={}", creds.display()));
    let port = server.listen_addrs()[0].port();
    let store = d.join("store");
    for (sender, pw) in [("CLIENT_A", "wrong-pw"), ("CLIENT_X", "right-pw")] {
        let (got, closed) = logon_with(port, sender, pw);
        assert!(closed && got.len() == 1, "{got:?}");
        assert_eq!(field(&got[0], 58).as_deref(), Some("Invalid credentials"));
        assert!(
            !files(&store).iter().any(|f| f.contains(sender)),
            "{sender}: {:?}",
            files(&store)
        );
    }
    let (got, closed) = logon_with(port, "CLIENT_A", "right-pw");
    assert!(!closed, "{got:?}");
    assert_eq!(got.first().and_then(|m| field(m, 35)).as_deref(), Some("A"));
    assert!(files(&store).iter().any(|f| f.contains("CLIENT_A")));
    let start = std::time::Instant::now();
    let got = loop {
        // The session is free again once that connection's close is seen.
        let (got, _) = logon_with(port, "CLIENT_A", "wrong-pw");
        if !got.is_empty() || start.elapsed() > Duration::from_secs(5) {
            break got;
        }
    };
    assert_eq!(field(&got[0], 58).as_deref(), Some("Invalid credentials"));
    server.stopper().stop();
    server.wait();
}
