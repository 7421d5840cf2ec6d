//! TLS refusals: wrong CA, expired certificate, missing required client
//! certificate, plaintext on a TLS port. Each closes with a `CloseReason::Tls`
//! and a log line, and the handler never sees the connection open.

use crate::tls_support;

use ringfix_engine::reactor::{
    CloseReason, Mode, ReactorConfig, ReactorHandle, TlsClient, TlsFailure, TlsServer,
};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};
use tls_support::*;

fn start(server: TlsServer, seen: &Shared) -> (ReactorHandle<Peer>, SocketAddr) {
    let cfg = ReactorConfig {
        mode: Mode::Block,
        max_connections: 8,
        ..ReactorConfig::default()
    };
    echo_listener(cfg, server, seen, None)
}

/// Connects `client` to a listener with `server`; returns both close reasons.
fn refused(server: TlsServer, client: TlsClient) -> (CloseReason, CloseReason, Shared, Shared) {
    let (acc, cli) = (shared(), shared());
    let (r, addr) = start(server, &acc);
    let peer = Peer {
        seen: cli.clone(),
        greeting: vec![fix_message(b"A", 1, "logon")],
        echo: false,
        close_after: None,
    };
    r.connect_tls(addr, Duration::from_secs(2), client, peer)
        .unwrap();
    let (a, c) = (wait_closed(&acc), wait_closed(&cli));
    r.stop().unwrap();
    r.join().unwrap();
    (a, c, acc, cli)
}

/// Connects `client` to a listener with `server`; true once both ends
/// opened (the handshake passed both checks).
fn accepted(server: TlsServer, client: TlsClient) -> bool {
    let (acc, cli) = (shared(), shared());
    let (r, addr) = start(server, &acc);
    r.connect_tls(addr, Duration::from_secs(2), client, Peer::echo(&cli))
        .unwrap();
    let ok = wait_until(Duration::from_secs(5), || {
        acc.lock().unwrap().opened && cli.lock().unwrap().opened
    });
    r.stop().unwrap();
    r.join().unwrap();
    ok
}

fn assert_logged(words: &[&str]) {
    let lines = log_lines_with(words);
    assert!(!lines.is_empty(), "no log line with {words:?}");
    eprintln!("logged: {}", lines[0]);
}

#[test]
fn a_server_certificate_from_another_ca_is_refused() {
    let _g = serial();
    capture_logs();
    with_timeout(30, || {
        let p = pki();
        let server = TlsServer::from_settings(&acceptor_settings(&p, 0)).unwrap();
        let mut c = initiator_settings(&p, false);
        c.certificate_authorities_file = Some(p.other_ca.clone());
        let client = TlsClient::from_settings(&c, "localhost").unwrap();
        let (a, c, acc, cli) = refused(server, client);
        match &c {
            CloseReason::Tls(TlsFailure::BadPeerCertificate(m)) => {
                assert!(m.contains("UnknownIssuer"), "{m}")
            }
            other => panic!("initiator closed with {other:?}"),
        }
        assert!(
            matches!(a, CloseReason::Tls(TlsFailure::AlertReceived(_))),
            "{a:?}"
        );
        assert!(!cli.lock().unwrap().opened && !acc.lock().unwrap().opened);
        assert_logged(&["TLS refused", "UnknownIssuer", "handshake=true"]);
        assert!(c.to_string().contains("peer certificate refused"), "{c}");
    });
}

#[test]
fn an_expired_server_certificate_is_refused() {
    let _g = serial();
    capture_logs();
    with_timeout(30, || {
        let p = pki();
        let mut s = acceptor_settings(&p, 0);
        s.server_certificate_file = Some(p.expired_cert.clone());
        s.server_certificate_key_file = Some(p.expired_key.clone());
        let server = TlsServer::from_settings(&s).unwrap();
        let client = TlsClient::from_settings(&initiator_settings(&p, false), "localhost").unwrap();
        let (a, c, _, cli) = refused(server, client);
        match &c {
            CloseReason::Tls(TlsFailure::BadPeerCertificate(m)) => {
                assert!(m.to_lowercase().contains("expired"), "{m}")
            }
            other => panic!("initiator closed with {other:?}"),
        }
        assert!(
            matches!(a, CloseReason::Tls(TlsFailure::AlertReceived(_))),
            "{a:?}"
        );
        assert!(!cli.lock().unwrap().opened);
        assert_logged(&["TLS refused", "xpired"]);
    });
}

#[test]
fn a_missing_required_client_certificate_is_refused() {
    let _g = serial();
    capture_logs();
    with_timeout(30, || {
        let p = pki();
        let server = TlsServer::from_settings(&acceptor_settings(&p, 2)).unwrap();
        let client = TlsClient::from_settings(&initiator_settings(&p, false), "localhost").unwrap();
        let (a, c, acc, _) = refused(server, client);
        assert_eq!(a, CloseReason::Tls(TlsFailure::NoPeerCertificate));
        // TLS 1.3: the client finishes first, then hears the server's alert.
        assert!(
            matches!(c, CloseReason::Tls(TlsFailure::AlertReceived(_))),
            "{c:?}"
        );
        let acc = acc.lock().unwrap();
        assert!(!acc.opened && acc.frames.is_empty(), "{acc:?}");
        assert_logged(&["TLS refused", "handshake=true", "no certificate"]);
    });
}

#[test]
fn a_client_certificate_from_another_ca_is_refused() {
    let _g = serial();
    capture_logs();
    with_timeout(30, || {
        let p = pki();
        let mut s = acceptor_settings(&p, 1);
        s.certificate_authorities_file = Some(p.other_ca.clone());
        let server = TlsServer::from_settings(&s).unwrap();
        let client = TlsClient::from_settings(&initiator_settings(&p, true), "localhost").unwrap();
        let (a, _, acc, _) = refused(server, client);
        assert!(
            matches!(&a, CloseReason::Tls(TlsFailure::BadPeerCertificate(m)) if m.contains("UnknownIssuer")),
            "{a:?}"
        );
        assert!(acc.lock().unwrap().frames.is_empty());
    });
}

#[test]
fn a_plaintext_fix_client_on_a_tls_port_is_refused_at_once() {
    let _g = serial();
    capture_logs();
    with_timeout(30, || {
        let p = pki();
        let server = TlsServer::from_settings(&acceptor_settings(&p, 0))
            .unwrap()
            .with_handshake_timeout(Duration::from_secs(5));
        let acc = shared();
        let (r, addr) = start(server, &acc);
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let t0 = Instant::now();
        s.write_all(&fix_message(b"A", 1, "plaintext logon"))
            .unwrap();
        // An alert may come back, then EOF or a reset: never FIX bytes.
        let mut got = Vec::new();
        let _ = s.read_to_end(&mut got);
        assert!(!got.windows(5).any(|w| w == b"8=FIX"), "{got:?}");
        assert!(t0.elapsed() < Duration::from_secs(4), "{:?}", t0.elapsed());
        let reason = wait_closed(&acc);
        assert!(
            matches!(reason, CloseReason::Tls(TlsFailure::Protocol(_))),
            "{reason:?}"
        );
        assert!(!acc.lock().unwrap().opened);
        let peer = format!("peer=Some({})", s.local_addr().unwrap());
        assert_logged(&["TLS refused", &peer]);
        r.stop().unwrap();
        r.join().unwrap();
    });
}

#[test]
fn a_silent_client_on_a_tls_port_is_closed_at_the_handshake_deadline() {
    let _g = serial();
    capture_logs();
    with_timeout(30, || {
        let p = pki();
        let timeout = Duration::from_millis(300);
        let server = TlsServer::from_settings(&acceptor_settings(&p, 0))
            .unwrap()
            .with_handshake_timeout(timeout);
        let acc = shared();
        let (r, addr) = start(server, &acc);
        let t0 = Instant::now();
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut got = Vec::new();
        let _ = s.read_to_end(&mut got);
        let waited = t0.elapsed();
        assert!(got.is_empty(), "{got:?}");
        assert!(waited >= timeout, "closed before the deadline: {waited:?}");
        assert!(waited < Duration::from_secs(3), "closed late: {waited:?}");
        let reason = wait_closed(&acc);
        assert_eq!(reason, CloseReason::Tls(TlsFailure::HandshakeTimeout));
        assert!(!acc.lock().unwrap().opened);
        let peer = format!("peer=Some({})", s.local_addr().unwrap());
        assert_logged(&["TLS handshake not finished before its deadline", &peer]);
        let stats = r.stats().snapshot();
        assert_eq!(stats.invariant_violations, 0);
        assert_eq!(stats.deadlines_delivered, 0, "the handler saw a deadline");
        assert_eq!((stats.tls_handshakes, stats.tls_failures), (0, 1));
        r.stop().unwrap();
        r.join().unwrap();
    });
}

/// An acceptor's TLS keys, as the config reads them.
fn acceptor_keys(p: &Pki, keys: &str) -> TlsServer {
    let base = format!(
        "ServerCertificateFile={}\nServerCertificateKeyFile={}\n{keys}",
        p.server_cert.display(),
        p.server_key.display()
    );
    TlsServer::from_settings(&settings_from("acceptor", &base)).unwrap()
}

/// An initiator's TLS keys (checking the name localhost), as the config
/// reads them.
fn initiator_keys(keys: &str) -> TlsClient {
    let base = format!("SSLServerName=localhost\n{keys}");
    TlsClient::from_settings(&settings_from("initiator", &base), "127.0.0.1").unwrap()
}

#[test]
fn need_client_auth_alone_requires_a_client_certificate() {
    let _g = serial();
    with_timeout(30, || {
        let p = pki();
        let keys = format!(
            "CertificateAuthoritiesFile={}\nNeedClientAuth=Y",
            p.ca.display()
        );
        let client = |cert: bool| {
            TlsClient::from_settings(&initiator_settings(&p, cert), "localhost").unwrap()
        };
        let (a, _, _, _) = refused(acceptor_keys(&p, &keys), client(false));
        assert_eq!(a, CloseReason::Tls(TlsFailure::NoPeerCertificate));
        assert!(accepted(acceptor_keys(&p, &keys), client(true)));
    });
}

#[test]
fn revoked_certificates_are_refused_with_a_crl() {
    let _g = serial();
    with_timeout(30, || {
        let p = pki();
        let ca = format!("CertificateAuthoritiesFile={}", p.ca.display());
        let client_cert =
            || TlsClient::from_settings(&initiator_settings(&p, true), "localhost").unwrap();
        // The acceptor refuses a revoked client certificate...
        let revoking = format!(
            "{ca}\nCertificateVerifyLevel=2\nCertificateRevocationListFile={}",
            p.crl_revoking.display()
        );
        let (a, _, _, _) = refused(acceptor_keys(&p, &revoking), client_cert());
        assert!(
            matches!(a, CloseReason::Tls(TlsFailure::BadPeerCertificate(ref m)) if m.contains("Revoked")),
            "{a:?}"
        );
        // ... not one the CRL does not list, nor with the check switched off.
        let empty = format!(
            "{ca}\nCertificateVerifyLevel=2\nCertificateRevocationListFile={}",
            p.crl_empty.display()
        );
        assert!(accepted(acceptor_keys(&p, &empty), client_cert()));
        let off = format!("{revoking}\nSSLCheckCertificateRevocation=N");
        assert!(accepted(acceptor_keys(&p, &off), client_cert()));
        // The initiator refuses a revoked server certificate, from a CRL directory.
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(&p.crl_revoking, dir.path().join("a1b2c3d4.r0")).unwrap();
        let client = initiator_keys(&format!(
            "{ca}\nCertificateRevocationListDirectory={}\nSSLCheckCertificateRevocation=Y",
            dir.path().display()
        ));
        let (_, c, _, _) = refused(acceptor_keys(&p, ""), client);
        assert!(
            matches!(c, CloseReason::Tls(TlsFailure::BadPeerCertificate(ref m)) if m.contains("Revoked")),
            "{c:?}"
        );
    });
}

#[test]
fn trusted_cas_from_a_directory() {
    let _g = serial();
    with_timeout(30, || {
        let p = pki();
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(&p.ca, dir.path().join("5ed36f99.0")).unwrap();
        let keys = format!("CertificateAuthoritiesDirectory={}", dir.path().display());
        assert!(accepted(acceptor_keys(&p, ""), initiator_keys(&keys)));
        // Only another CA there: refused.
        let other = tempfile::tempdir().unwrap();
        std::fs::copy(&p.other_ca, other.path().join("0a0b0c0d.0")).unwrap();
        let keys = format!("CertificateAuthoritiesDirectory={}", other.path().display());
        let (_, c, _, _) = refused(acceptor_keys(&p, ""), initiator_keys(&keys));
        assert!(
            matches!(c, CloseReason::Tls(TlsFailure::BadPeerCertificate(_))),
            "{c:?}"
        );
    });
}

#[test]
fn ssl_validate_certificates_n_skips_the_server_check() {
    let _g = serial();
    with_timeout(30, || {
        let p = pki();
        // Trusting only another CA: refused unless validation is off.
        let keys = format!("CertificateAuthoritiesFile={}", p.other_ca.display());
        let (_, c, _, _) = refused(acceptor_keys(&p, ""), initiator_keys(&keys));
        assert!(
            matches!(c, CloseReason::Tls(TlsFailure::BadPeerCertificate(_))),
            "{c:?}"
        );
        let keys = format!("{keys}\nSSLValidateCertificates=N");
        assert!(accepted(acceptor_keys(&p, ""), initiator_keys(&keys)));
    });
}
