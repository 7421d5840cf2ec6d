//! Logon security seen on the wire: MaxFailedLogonsPerMinute closing a
//! failing address's connections at accept; the initiator's Username and
//! Password from LogonUsername / LogonPasswordFile; the journal's copy of
//! our Logon with its password masked. Every wait is bounded.

use crate::runtime_support;

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use ringfix::engine::apps::exec::Exec;
use ringfix::engine::config::{EngineConfig, SessionSettings};
use ringfix::engine::runtime::Runtime;
use ringfix::engine::session::Application as EngineApp;
use runtime_support::{field, fix, now_fix, Peer};

fn acceptor(extra: &str) -> Runtime {
    let text = format!(
        "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\n{extra}\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
         SocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n"
    );
    let cfg = EngineConfig::parse(&text, "acceptor.cfg").unwrap();
    Runtime::start(
        &cfg,
        Box::new(|_s: &SessionSettings| -> Box<dyn EngineApp + Send> { Box::new(Exec::new()) }),
    )
    .unwrap()
}

/// A connection to `port` from the loopback address `from`.
fn connect_from(from: [u8; 4], port: u16) -> TcpStream {
    let s = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    s.bind(&SocketAddr::from((from, 0)).into()).unwrap();
    s.connect_timeout(
        &SocketAddr::from(([127, 0, 0, 1], port)).into(),
        Duration::from_secs(2),
    )
    .unwrap();
    s.into()
}

/// Sends a Logon from ORDERS to `target` and returns what came back
/// before the connection closed (or 3 s passed), and whether it closed.
fn logon(from: [u8; 4], port: u16, target: &str) -> (Vec<Vec<u8>>, bool) {
    let mut stream = connect_from(from, port);
    // The engine may have closed it at accept already: a failed write is
    // that, not a test error.
    let _ = stream.write_all(&fix(&format!(
        "8=FIX.4.4|35=A|34=1|49=ORDERS|52={}|56={target}|98=0|108=30",
        now_fix()
    )));
    let mut peer = Peer::new(stream);
    peer.read_to_eof(Duration::from_secs(3))
}

/// Three refused Logons (unknown TargetCompID) from 127.0.0.1 with
/// MaxFailedLogonsPerMinute=3: that address's next connection is closed
/// at accept, a correct Logon included, and counted; another address
/// logs on.
#[test]
fn an_address_past_max_failed_logons_is_closed_at_accept() {
    let mut server = acceptor("MaxFailedLogonsPerMinute=3");
    let port = server.listen_addrs()[0].port();
    for i in 0..3 {
        let (got, closed) = logon([127, 0, 0, 1], port, "NOBODY");
        assert!(got.is_empty() && closed, "refused logon {i}: {got:?}");
    }
    assert_eq!(server.logon_guard().failed_logons, 3);
    assert_eq!(server.logon_guard().closed_at_accept, 0);
    let rejected = |s: &Runtime| {
        s.reactor_stats()
            .iter()
            .map(|r| r.accept_rejected)
            .sum::<u64>()
    };
    let before = rejected(&server);
    let (got, closed) = logon([127, 0, 0, 1], port, "EXEC");
    assert!(got.is_empty() && closed, "closed at accept: {got:?}");
    let (got, closed) = logon([127, 0, 0, 1], port, "EXEC");
    assert!(got.is_empty() && closed, "still closed: {got:?}");
    let g = server.logon_guard();
    assert_eq!((g.failed_logons, g.closed_at_accept), (3, 2));
    // The reactor publishes its counters between loop turns.
    let start = std::time::Instant::now();
    while rejected(&server) - before < 2 && start.elapsed() < Duration::from_secs(2) {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(
        rejected(&server) - before,
        2,
        "closed by the reactor at accept"
    );

    // Another address is not affected.
    let (got, _) = logon([127, 0, 0, 2], port, "EXEC");
    assert_eq!(
        got.first().and_then(|m| field(m, 35)).as_deref(),
        Some("A"),
        "{got:?}"
    );
    server.stopper().stop();
    server.wait();
}

/// MaxFailedLogonsPerMinute=0: no limit.
#[test]
fn no_limit_with_zero() {
    let mut server = acceptor("MaxFailedLogonsPerMinute=0");
    let port = server.listen_addrs()[0].port();
    for _ in 0..4 {
        assert!(logon([127, 0, 0, 1], port, "NOBODY").0.is_empty());
    }
    let (got, _) = logon([127, 0, 0, 1], port, "EXEC");
    assert_eq!(
        got.first().and_then(|m| field(m, 35)).as_deref(),
        Some("A"),
        "{got:?}"
    );
    assert_eq!(server.logon_guard().closed_at_accept, 0);
    server.stopper().stop();
    server.wait();
}

/// An initiator with LogonUsername and LogonPasswordFile sends Username
/// (553) and Password (554) on its Logon; its journal and message log
/// keep that Logon with the Password as `***` (admin messages are never
/// resent), while its application messages are stored as sent.
#[test]
fn initiator_sends_credentials_and_stores_its_logon_masked() {
    use ringfix::engine::apps::echo::Echo;
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pw = d.join("password");
    std::fs::write(&pw, "s3cr3t-pw\n").unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let text = format!(
        "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\n\
         FileStorePath={0}/store\nFileLogPath={0}/log\nLogonUsername=alice\n\
         LogonPasswordFile={1}\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=ORDERS\nTargetCompID=EXEC\n\
         SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n",
        d.display(),
        pw.display()
    );
    let cfg = EngineConfig::parse(&text, "initiator.cfg").unwrap();
    let mut client = Runtime::start(
        &cfg,
        Box::new(|_s: &SessionSettings| -> Box<dyn EngineApp + Send> { Box::new(Echo::new()) }),
    )
    .unwrap();
    listener.set_nonblocking(false).unwrap();
    let (stream, _) = listener.accept().unwrap();
    let mut peer = Peer::new(stream);
    let logon = peer
        .read(Duration::from_secs(5))
        .expect("the initiator's Logon");
    assert_eq!(field(&logon, 35).as_deref(), Some("A"));
    assert_eq!(field(&logon, 553).as_deref(), Some("alice"));
    assert_eq!(field(&logon, 554).as_deref(), Some("s3cr3t-pw"));
    peer.send(&format!(
        "8=FIX.4.4|35=A|34=1|49=EXEC|52={}|56=ORDERS|98=0|108=30",
        now_fix()
    ));
    client.stopper().stop();
    client.wait();

    let journal = std::fs::read(d.join("store/FIX.4.4-ORDERS-EXEC.journal")).unwrap();
    let messages = std::fs::read(d.join("log/FIX.4.4-ORDERS-EXEC.messages.current.log")).unwrap();
    for (name, bytes) in [("journal", &journal), ("message log", &messages)] {
        let has = |s: &[u8]| bytes.windows(s.len()).any(|w| w == s);
        assert!(!has(b"s3cr3t-pw"), "{name} holds the password");
        assert!(has(b"\x01553=alice\x01554=***\x01"), "{name}");
    }
    // The stored Logon is still a whole message: decode reads it back.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ringfix"))
        .args(["decode", "--show-secrets"])
        .arg(d.join("store/FIX.4.4-ORDERS-EXEC.journal"))
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        shown.lines().next().unwrap_or_default().contains("|35=A|") && shown.contains("|554=***|"),
        "{shown}"
    );
}

/// A missing LogonPasswordFile stops the start, naming the file.
#[test]
fn a_missing_password_file_fails_the_start() {
    let text = "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\n\
         LogonUsername=alice\nLogonPasswordFile=/nonexistent/pw\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=ORDERS\nTargetCompID=EXEC\n\
         SocketConnectHost=127.0.0.1\nSocketConnectPort=1\n";
    let cfg = EngineConfig::parse(text, "initiator.cfg").unwrap();
    let e = Runtime::start(
        &cfg,
        Box::new(|_s: &SessionSettings| -> Box<dyn EngineApp + Send> { Box::new(Exec::new()) }),
    )
    .err()
    .expect("start refused");
    assert!(e.to_string().contains("/nonexistent/pw"), "{e}");
}

fn logon_with(port: u16, user: &str, password: &str) -> (Vec<Vec<u8>>, bool) {
    let mut stream = connect_from([127, 0, 0, 1], port);
    stream
        .write_all(&fix(&format!(
            "8=FIX.4.4|35=A|34=1|49=ORDERS|52={}|56=EXEC|98=0|108=30|553={user}|554={password}",
            now_fix()
        )))
        .unwrap();
    let mut peer = Peer::new(stream);
    peer.read_to_eof(Duration::from_secs(3))
}

fn report(server: &Runtime) -> (u64, u64, u64) {
    let s = &server.sessions()[0];
    (s.next_sender_seq, s.next_target_seq, s.logons)
}

/// LogonCredentialsFile: a wrong password gets a Logout `Invalid
/// credentials` on the wire and a close; the session's sequence numbers
/// and journal are as before; the refusal is logged without the password
/// and counted. The right password logs on.
#[test]
fn credentials_file_refuses_a_wrong_password_with_a_logout() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let hash = ringfix::engine::config::hash_password(b"right-pw").unwrap();
    let creds = d.join("credentials");
    std::fs::write(&creds, format!("# counterparties\nORDERS alice {hash}\n")).unwrap();
    let mut server = acceptor(&format!(
        "LogonCredentialsFile={}\nFileStorePath={1}/store\nFileLogPath={1}/log\n",
        creds.display(),
        d.display()
    ));
    let port = server.listen_addrs()[0].port();
    let journal = d.join("store/FIX.4.4-EXEC-ORDERS.journal");
    let seqnums = d.join("store/FIX.4.4-EXEC-ORDERS.seqnums");
    let before = (
        report(&server),
        std::fs::read(&journal).unwrap(),
        std::fs::read(&seqnums).unwrap(),
    );

    for (user, pw) in [
        ("alice", "wrong-pw"),
        ("mallory", "right-pw"),
        ("alice", ""),
    ] {
        let (got, closed) = logon_with(port, user, pw);
        assert!(closed, "closed after the Logout");
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(field(&got[0], 35).as_deref(), Some("5"));
        assert_eq!(field(&got[0], 58).as_deref(), Some("Invalid credentials"));
        assert_eq!(
            field(&got[0], 34).as_deref(),
            Some("1"),
            "the next MsgSeqNum, not used up"
        );
    }
    let after = (
        report(&server),
        std::fs::read(&journal).unwrap(),
        std::fs::read(&seqnums).unwrap(),
    );
    assert!(before == after, "the session's numbers or store changed");
    let counters = server.counters();
    let refused = counters[0]
        .1
        .logons_refused
        .load(std::sync::atomic::Ordering::Relaxed);
    assert_eq!(refused, 3);
    assert_eq!(server.logon_guard().failed_logons, 3);

    let (got, closed) = logon_with(port, "alice", "right-pw");
    assert!(!closed, "logged on");
    assert_eq!(
        got.first().and_then(|m| field(m, 35)).as_deref(),
        Some("A"),
        "{got:?}"
    );
    server.stopper().stop();
    server.wait();

    let events =
        std::fs::read_to_string(d.join("log/FIX.4.4-EXEC-ORDERS.event.current.log")).unwrap();
    let messages =
        std::fs::read_to_string(d.join("log/FIX.4.4-EXEC-ORDERS.messages.current.log")).unwrap();
    assert_eq!(
        events.matches("Logon refused: Invalid credentials").count(),
        3,
        "{events}"
    );
    for text in [&events, &messages] {
        assert!(
            !text.contains("wrong-pw") && !text.contains("right-pw"),
            "{text}"
        );
    }
    // Three refused Logons and the accepted one.
    assert_eq!(messages.matches("\x01554=***\x01").count(), 4, "{messages}");
    assert_eq!(
        messages.matches("\x0158=Invalid credentials\x01").count(),
        3
    );
}

/// The application's on_logon_request sees the Logon's fields and the
/// peer's address; its refusal text is the Logout's Text on the wire.
#[test]
fn application_refuses_a_logon_with_its_text() {
    use ringfix::engine::session::{
        AppVerdict, Application, Incoming, LogonDecision, LogonPeer, Sender,
        SessionSettings as Session,
    };
    struct Gate(Exec);
    impl Application for Gate {
        fn on_app(&mut self, s: &Session, m: &Incoming<'_>, out: &mut Sender<'_>) -> AppVerdict {
            self.0.on_app(s, m, out)
        }
        fn on_logon_request(
            &mut self,
            _s: &Session,
            msg: &Incoming<'_>,
            peer: &LogonPeer<'_>,
        ) -> LogonDecision {
            let user = String::from_utf8_lossy(msg.get(553).unwrap_or_default()).into_owned();
            let ip = peer.addr.map(|a| a.ip().to_string()).unwrap_or_default();
            if user == "bob" && peer.subject.is_none() {
                LogonDecision::Refuse(format!("{user} from {ip}: certificate required"))
            } else {
                LogonDecision::Accept
            }
        }
    }
    let text = "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
         SocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n";
    let cfg = EngineConfig::parse(text, "acceptor.cfg").unwrap();
    let mut server = Runtime::start(
        &cfg,
        Box::new(|_s: &SessionSettings| -> Box<dyn EngineApp + Send> {
            Box::new(Gate(Exec::new()))
        }),
    )
    .unwrap();
    let port = server.listen_addrs()[0].port();
    let (got, closed) = logon_with(port, "bob", "x");
    assert!(closed);
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(field(&got[0], 35).as_deref(), Some("5"));
    assert_eq!(
        field(&got[0], 58).as_deref(),
        Some("bob from 127.0.0.1: certificate required")
    );
    assert_eq!(report(&server), (1, 1, 0), "nothing of the session changed");
    let (got, _) = logon_with(port, "carol", "x");
    assert_eq!(
        got.first().and_then(|m| field(m, 35)).as_deref(),
        Some("A"),
        "{got:?}"
    );
    server.stopper().stop();
    server.wait();
}

/// Over mutual TLS, on_logon_request sees the client certificate's
/// subject and SANs; its refusal reaches the initiator as a Logout with
/// that Text (the initiator's message log shows it).
#[test]
fn application_sees_the_tls_client_certificate() {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    };
    use ringfix::engine::apps::echo::Echo;
    use ringfix::engine::session::{
        AppVerdict, Application, Incoming, LogonDecision, LogonPeer, Sender,
        SessionSettings as Session,
    };
    use std::sync::{Arc, Mutex};
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let w = |name: &str, text: &str| {
        std::fs::write(d.join(name), text).unwrap();
        d.join(name).display().to_string()
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, "test CA");
    let ca = (p.self_signed(&ca_key).unwrap(), ca_key);
    let ca_file = w("ca.pem", &ca.0.pem());
    let leaf = |name: &str, sans: Vec<String>, purpose| {
        let key = KeyPair::generate().unwrap();
        let mut p = CertificateParams::new(sans).unwrap();
        p.distinguished_name.push(DnType::CommonName, name);
        p.extended_key_usages = vec![purpose];
        let cert = p.signed_by(&key, &ca.0, &ca.1).unwrap();
        (
            w(&format!("{name}.pem"), &cert.pem()),
            w(&format!("{name}.key"), &key.serialize_pem()),
        )
    };
    let server = leaf(
        "exec.test",
        vec!["exec.test".into()],
        ExtendedKeyUsagePurpose::ServerAuth,
    );
    let client = leaf(
        "orders.test",
        vec!["orders.test".into(), "127.0.0.9".into()],
        ExtendedKeyUsagePurpose::ClientAuth,
    );

    type Seen = Arc<Mutex<Vec<(Option<String>, Vec<String>)>>>;
    struct Gate(Echo, Seen);
    impl Application for Gate {
        fn on_app(&mut self, s: &Session, m: &Incoming<'_>, out: &mut Sender<'_>) -> AppVerdict {
            self.0.on_app(s, m, out)
        }
        fn on_logon_request(
            &mut self,
            _s: &Session,
            _msg: &Incoming<'_>,
            peer: &LogonPeer<'_>,
        ) -> LogonDecision {
            let subject = peer.subject.map(str::to_owned);
            self.1
                .lock()
                .unwrap()
                .push((subject.clone(), peer.sans.to_vec()));
            LogonDecision::Refuse(format!("not today, {}", subject.unwrap_or_default()))
        }
    }
    let seen: Seen = Arc::default();
    let acc = format!(
        "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nSocketUseSSL=Y\n\
         ServerCertificateFile={}\nServerCertificateKeyFile={}\n\
         CertificateAuthoritiesFile={ca_file}\nCertificateVerifyLevel=2\n[SESSION]\n\
         BeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
         SocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n",
        server.0, server.1
    );
    let s2 = Arc::clone(&seen);
    let mut acceptor = Runtime::start(
        &EngineConfig::parse(&acc, "acceptor.cfg").unwrap(),
        Box::new(move |_s: &SessionSettings| -> Box<dyn EngineApp + Send> {
            Box::new(Gate(Echo::new(), Arc::clone(&s2)))
        }),
    )
    .unwrap();
    let port = acceptor.listen_addrs()[0].port();
    let ini = format!(
        "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\n\
         ReconnectInterval=30\nSocketUseSSL=Y\nClientCertificateFile={}\n\
         ClientCertificateKeyFile={}\nCertificateAuthoritiesFile={ca_file}\n\
         CertificateVerifyLevel=2\nSSLServerName=exec.test\nFileLogPath={}/log\n[SESSION]\n\
         BeginString=FIX.4.4\nSenderCompID=ORDERS\nTargetCompID=EXEC\n\
         SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n",
        client.0,
        client.1,
        d.display()
    );
    let mut initiator = Runtime::start(
        &EngineConfig::parse(&ini, "initiator.cfg").unwrap(),
        Box::new(|_s: &SessionSettings| -> Box<dyn EngineApp + Send> { Box::new(Echo::new()) }),
    )
    .unwrap();
    let log = d.join("log/FIX.4.4-ORDERS-EXEC.messages.current.log");
    let start = std::time::Instant::now();
    let want = "\x0158=not today, CN=orders.test\x01";
    while start.elapsed() < Duration::from_secs(10)
        && !std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains(want)
    {
        std::thread::sleep(Duration::from_millis(20));
    }
    initiator.stopper().stop();
    initiator.wait();
    acceptor.stopper().stop();
    acceptor.wait();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(text.contains(want), "{text}");
    let seen = seen.lock().unwrap();
    let (subject, sans) = seen.first().expect("on_logon_request called");
    assert_eq!(subject.as_deref(), Some("CN=orders.test"));
    assert!(sans.iter().any(|s| s.contains("orders.test")), "{sans:?}");
    assert!(sans.iter().any(|s| s.contains("127.0.0.9")), "{sans:?}");
    assert_eq!(acceptor.sessions()[0].logons, 0);
}
