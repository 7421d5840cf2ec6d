//! FIX over TLS through the reactor: handshake, framing across records,
//! close_notify, client certificates by CertificateVerifyLevel.

use crate::tls_support;

use ringfix_engine::reactor::{
    self, CloseMode, CloseReason, Mode, ReactorConfig, ReactorHandle, TlsClient, TlsServer,
};
use std::net::SocketAddr;
use std::time::Duration;
use tls_support::*;

fn start(server: TlsServer, seen: &Shared) -> (ReactorHandle<Peer>, SocketAddr) {
    start_with(Mode::Block, server, seen, None)
}

/// A TLS echo listener; its handler closes gracefully after `close_after` frames.
fn start_with(
    mode: Mode,
    server: TlsServer,
    seen: &Shared,
    close_after: Option<usize>,
) -> (ReactorHandle<Peer>, SocketAddr) {
    let cfg = ReactorConfig {
        mode,
        max_connections: 8,
        recv_buffer_bytes: 128 * 1024,
        ..ReactorConfig::default()
    };
    echo_listener(cfg, server, seen, close_after)
}

fn initiator(seen: &Shared, messages: Vec<Vec<u8>>) -> Peer {
    let n = messages.len();
    Peer {
        seen: seen.clone(),
        greeting: messages,
        echo: false,
        close_after: Some(n),
    }
}

/// Connects an initiator that sends `msgs` and closes gracefully once all
/// are echoed; waits for that close.
fn exchange(
    r: &ReactorHandle<Peer>,
    addr: SocketAddr,
    client: TlsClient,
    cli: &Shared,
    msgs: &[Vec<u8>],
) {
    r.connect_tls(
        addr,
        Duration::from_secs(2),
        client,
        initiator(cli, msgs.to_vec()),
    )
    .unwrap();
    assert_eq!(
        wait_closed(cli),
        CloseReason::Requested(CloseMode::Graceful)
    );
}

#[test]
fn fix_messages_round_trip_over_mutual_tls_and_close_with_close_notify() {
    let _g = serial();
    with_timeout(30, || {
        let p = pki();
        let server = TlsServer::from_settings(&acceptor_settings(&p, 2)).unwrap();
        let client = TlsClient::from_settings(&initiator_settings(&p, true), "127.0.0.1").unwrap();
        let (acc, cli) = (shared(), shared());
        let (r, addr) = start(server, &acc);
        // A logon, a message larger than one TLS record (16 KiB), a heartbeat.
        let big = "x".repeat(40_000);
        let msgs = vec![
            fix_message(b"A", 1, "logon"),
            fix_message(b"B", 2, &big),
            fix_message(b"0", 3, "hb"),
        ];
        // The initiator closes gracefully after the three echoes.
        exchange(&r, addr, client, &cli, &msgs);
        let c = cli.lock().unwrap();
        assert!(c.opened);
        assert_eq!(c.frames, msgs, "echoes differ from what was sent");
        assert_eq!(c.garbled, 0);
        drop(c);
        // The acceptor saw the same frames, then the close_notify.
        assert_eq!(wait_closed(&acc), CloseReason::PeerClosed);
        assert_eq!(acc.lock().unwrap().frames, msgs);
        let stats = r.stats().snapshot();
        assert_eq!(stats.invariant_violations, 0);
        assert_eq!((stats.tls_handshakes, stats.tls_failures), (2, 0));
        r.stop().unwrap();
        r.join().unwrap();
    });
}

#[test]
fn verify_level_one_accepts_a_client_without_certificate() {
    let _g = serial();
    with_timeout(30, || {
        let p = pki();
        let server = TlsServer::from_settings(&acceptor_settings(&p, 1)).unwrap();
        let client = TlsClient::from_settings(&initiator_settings(&p, false), "localhost").unwrap();
        let (acc, cli) = (shared(), shared());
        let (r, addr) = start(server, &acc);
        let msgs = vec![fix_message(b"A", 1, "no client cert")];
        exchange(&r, addr, client, &cli, &msgs);
        assert_eq!(cli.lock().unwrap().frames, msgs);
        assert_eq!(wait_closed(&acc), CloseReason::PeerClosed);
        r.stop().unwrap();
        r.join().unwrap();
    });
}

#[test]
fn client_key_in_the_certificate_file_and_server_key_default_work() {
    let _g = serial();
    with_timeout(30, || {
        let p = pki();
        let mut s = acceptor_settings(&p, 2);
        // Key in the certificate file: concatenate them.
        let both = p.dir.path().join("server-both.pem");
        let text = std::fs::read_to_string(&p.server_cert).unwrap()
            + &std::fs::read_to_string(&p.server_key).unwrap();
        std::fs::write(&both, text).unwrap();
        s.server_certificate_file = Some(both);
        s.server_certificate_key_file = None;
        let server = TlsServer::from_settings(&s).unwrap();
        let mut c = initiator_settings(&p, true);
        c.client_certificate_file = Some(p.client_combined.clone());
        c.client_certificate_key_file = None;
        let client = TlsClient::from_settings(&c, "127.0.0.1").unwrap();
        let (acc, cli) = (shared(), shared());
        let (r, addr) = start(server, &acc);
        let msgs = vec![fix_message(b"A", 1, "combined pem")];
        exchange(&r, addr, client, &cli, &msgs);
        assert_eq!(acc.lock().unwrap().frames, msgs);
        r.stop().unwrap();
        r.join().unwrap();
    });
}

#[test]
fn bad_settings_are_typed_errors() {
    let p = pki();
    let mut s = acceptor_settings(&p, 2);
    s.certificate_authorities_file = None;
    assert!(matches!(
        TlsServer::from_settings(&s),
        Err(reactor::TlsConfigError::Missing(
            "CertificateAuthoritiesFile"
        ))
    ));
    let mut s = acceptor_settings(&p, 0);
    s.server_certificate_file = Some(p.dir.path().join("absent.pem"));
    let e = TlsServer::from_settings(&s).unwrap_err();
    assert!(e.to_string().contains("absent.pem"), "{e}");
    let mut s = acceptor_settings(&p, 0);
    s.server_certificate_key_file = Some(p.ca.clone()); // no key in it
    assert!(TlsServer::from_settings(&s).is_err());
    let mut c = initiator_settings(&p, false);
    c.server_name = Some("not a name!".into());
    assert!(matches!(
        TlsClient::from_settings(&c, "localhost"),
        Err(reactor::TlsConfigError::ServerName(_))
    ));
    let mut c = initiator_settings(&p, false);
    c.certificate_authorities_file = None;
    assert!(TlsClient::from_settings(&c, "localhost").is_err());
    c.verify_level = 0;
    assert!(TlsClient::from_settings(&c, "localhost").is_ok());
    let mut a = acceptor_settings(&p, 0);
    a.enabled = false;
    assert!(reactor::acceptor_uses_tls(&a));
    a.server_certificate_file = None;
    assert!(!reactor::acceptor_uses_tls(&a));
}

#[test]
fn a_reply_queued_with_a_graceful_close_arrives_before_close_notify_in_spin_mode() {
    let _g = serial();
    with_timeout(30, || {
        let p = pki();
        let server = TlsServer::from_settings(&acceptor_settings(&p, 0)).unwrap();
        let client = TlsClient::from_settings(&initiator_settings(&p, false), "localhost").unwrap();
        let (acc, cli) = (shared(), shared());
        // The acceptor echoes the second message and closes in the same callback
        // (as a Logout reply followed by a disconnect).
        let (r, addr) = start_with(Mode::Spin, server, &acc, Some(2));
        let msgs = vec![
            fix_message(b"A", 1, "logon"),
            fix_message(b"5", 2, "logout"),
        ];
        let peer = Peer {
            seen: cli.clone(),
            greeting: msgs.clone(),
            echo: false,
            close_after: None,
        };
        r.connect_tls(addr, Duration::from_secs(2), client, peer)
            .unwrap();
        assert_eq!(
            wait_closed(&acc),
            CloseReason::Requested(CloseMode::Graceful)
        );
        // The initiator got both replies, then the acceptor's close_notify.
        assert_eq!(wait_closed(&cli), CloseReason::PeerClosed);
        assert_eq!(cli.lock().unwrap().frames, msgs);
        r.stop().unwrap();
        r.join().unwrap();
    });
}

/// The acceptor's versions and suites, as a plain rustls client with
/// default settings negotiates them (QuickFIX C++ and QuickFIX/J syntax).
#[test]
fn protocol_and_cipher_keys_choose_what_a_client_negotiates() {
    use rustls::{CipherSuite, ProtocolVersion};
    let _g = serial();
    with_timeout(30, || {
        let p = pki();
        let acceptor = |keys: &str| {
            let base = format!(
                "ServerCertificateFile={}\nServerCertificateKeyFile={}\n{keys}",
                p.server_cert.display(),
                p.server_key.display()
            );
            let server = TlsServer::from_settings(&settings_from("acceptor", &base)).unwrap();
            start(server, &shared())
        };
        let (r, addr) =
            acceptor("SSLProtocol=all -TLSv1_3\nSSLCipherSuite=ECDHE-ECDSA-CHACHA20-POLY1305");
        let got = rustls_client(addr, &p.ca).unwrap();
        assert_eq!(got.version, ProtocolVersion::TLSv1_2);
        assert_eq!(
            got.suite,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
        );
        r.stop().unwrap();
        r.join().unwrap();
        let (r, addr) =
            acceptor("EnabledProtocols=TLSv1.3\nCipherSuites=TLS_CHACHA20_POLY1305_SHA256");
        let got = rustls_client(addr, &p.ca).unwrap();
        assert_eq!(got.version, ProtocolVersion::TLSv1_3);
        assert_eq!(got.suite, CipherSuite::TLS13_CHACHA20_POLY1305_SHA256);
        // A client that only speaks TLS 1.2 is refused.
        assert!(rustls_client_with(addr, &p.ca, &[&rustls::version::TLS12]).is_err());
        r.stop().unwrap();
        r.join().unwrap();
    });
}

/// The initiator's versions and suites, and the server name it sends
/// (UseSNI, SNIHostName), as a plain rustls server sees them.
#[test]
fn initiator_tls_keys_as_the_server_sees_them() {
    use rustls::{CipherSuite, ProtocolVersion};
    let _g = serial();
    with_timeout(30, || {
        let p = pki();
        let connect = |keys: &str| {
            let base = format!("CertificateAuthoritiesFile={}\n{keys}", p.ca.display());
            let tls =
                TlsClient::from_settings(&settings_from("initiator", &base), "127.0.0.1").unwrap();
            let (addr, server) = rustls_server_once(&p);
            let r = reactor::spawn::<Peer>(ReactorConfig::default()).unwrap();
            let seen = shared();
            r.connect_tls(addr, Duration::from_secs(5), tls, Peer::echo(&seen))
                .unwrap();
            let got = server.join().unwrap();
            r.stop().unwrap();
            r.join().unwrap();
            got
        };
        let got = connect("SSLServerName=localhost\nSSLProtocol=TLSv1_2\nSSLCipherSuite=ECDHE-ECDSA-AES128-GCM-SHA256").unwrap();
        assert_eq!(got.version, ProtocolVersion::TLSv1_2);
        assert_eq!(
            got.suite,
            CipherSuite::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
        );
        assert_eq!(
            got.sni.as_deref(),
            Some("localhost"),
            "the checked name by default"
        );
        let got = connect("SSLServerName=localhost\nUseSNI=N").unwrap();
        assert_eq!(got.sni, None);
        // Another name sent; the certificate still checked against localhost.
        let got =
            connect("SSLServerName=localhost\nUseSNI=Y\nSNIHostName=fix.example.com").unwrap();
        assert_eq!(got.sni.as_deref(), Some("fix.example.com"));
        assert_eq!(got.version, ProtocolVersion::TLSv1_3);
    });
}

/// `SSLEnable=Y` (QuickFIX/n's name for SocketUseSSL): the acceptor's
/// port speaks TLS.
#[test]
fn ssl_enable_turns_tls_on() {
    use ringfix_engine::config::{EngineConfig, SessionSettings};
    use ringfix_engine::runtime::Runtime;
    use ringfix_engine::session::Application;
    let _g = serial();
    with_timeout(30, || {
        let p = pki();
        let text = format!(
            "[SESSION]\nConnectionType=acceptor\nNonStopSession=Y\nBeginString=FIX.4.4\n\
             SenderCompID=A\nTargetCompID=B\nSocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n\
             SSLEnable=Y\nServerCertificateFile={}\nServerCertificateKeyFile={}\n",
            p.server_cert.display(),
            p.server_key.display()
        );
        let cfg = EngineConfig::parse(&text, "ssl.cfg").unwrap();
        let mut rt = Runtime::start(
            &cfg,
            Box::new(|_: &SessionSettings| -> Box<dyn Application + Send> {
                Box::new(ringfix_engine::apps::echo::Echo::new())
            }),
        )
        .unwrap();
        let addr = rt.listen_addrs()[0];
        let got = rustls_client(addr, &p.ca).unwrap();
        assert_eq!(got.version, rustls::ProtocolVersion::TLSv1_3);
        rt.stopper().stop();
        rt.wait();
    });
}
