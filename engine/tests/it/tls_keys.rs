//! `TLSCipherSuites` (QuickFIX C++ 1.16) and `EndpointIdentificationAlgorithm`
//! (QuickFIX/J), as a plain rustls counterparty sees them.

use crate::tls_support;

use ringfix_engine::reactor::{self, CloseReason, ReactorConfig, TlsClient, TlsFailure, TlsServer};
use rustls::{CipherSuite, ProtocolVersion};
use std::time::Duration;
use tls_support::*;

/// TLSCipherSuites chooses the acceptor's TLS 1.3 suites and keeps its
/// TLS 1.2 ones; on an initiator it is what the client offers.
#[test]
fn tls_cipher_suites_choose_the_tls13_suite_negotiated() {
    let _g = serial();
    with_timeout(30, || {
        let p = pki();
        let base = format!(
            "ServerCertificateFile={}\nServerCertificateKeyFile={}\n\
             TLSCipherSuites=TLS_CHACHA20_POLY1305_SHA256\n",
            p.server_cert.display(),
            p.server_key.display()
        );
        let server = TlsServer::from_settings(&settings_from("acceptor", &base)).unwrap();
        let (r, addr) = echo_listener(ReactorConfig::default(), server, &shared(), None);
        // A default client prefers AES-256-GCM: the server has only ChaCha20.
        let got = rustls_client(addr, &p.ca).unwrap();
        assert_eq!(got.version, ProtocolVersion::TLSv1_3);
        assert_eq!(got.suite, CipherSuite::TLS13_CHACHA20_POLY1305_SHA256);
        // The TLS 1.2 suites stay.
        let got = rustls_client_with(addr, &p.ca, &[&rustls::version::TLS12]).unwrap();
        assert_eq!(got.version, ProtocolVersion::TLSv1_2);
        r.stop().unwrap();
        r.join().unwrap();

        // Initiator: the server (which follows the client's order) agrees
        // on the one suite offered rather than its default AES-256-GCM.
        let keys = format!(
            "CertificateAuthoritiesFile={}\nSSLServerName=localhost\n\
             TLSCipherSuites=TLS_AES_128_GCM_SHA256\n",
            p.ca.display()
        );
        let got = handshake_with(&p, &keys).unwrap();
        assert_eq!(got.suite, CipherSuite::TLS13_AES_128_GCM_SHA256);
    });
}

/// An initiator with `keys` handshakes with a plain rustls server holding
/// `p`'s server certificate (names localhost and 127.0.0.1); what the
/// server agreed, or its error, and how the initiator closed.
fn handshake_with(p: &Pki, keys: &str) -> Result<Negotiated, (String, Option<CloseReason>)> {
    let tls = TlsClient::from_settings(&settings_from("initiator", keys), "127.0.0.1").unwrap();
    let (addr, server) = rustls_server_once(p);
    let r = reactor::spawn::<Peer>(ReactorConfig::default()).unwrap();
    let seen = shared();
    r.connect_tls(addr, Duration::from_secs(5), tls, Peer::echo(&seen))
        .unwrap();
    let got = server.join().unwrap();
    let reason = got.is_err().then(|| wait_closed(&seen));
    r.stop().unwrap();
    r.join().unwrap();
    got.map_err(|e| (e, reason))
}

/// EndpointIdentificationAlgorithm=HTTPS (the default) refuses a server
/// whose certificate does not name the host; empty accepts it, but still
/// verifies the certificate itself.
#[test]
fn endpoint_identification_checks_the_server_name_or_not() {
    let _g = serial();
    with_timeout(30, || {
        let p = pki();
        let keys = |ca: &std::path::Path, extra: &str| {
            format!(
                "CertificateAuthoritiesFile={}\nSSLServerName=fix.example.com\n{extra}",
                ca.display()
            )
        };
        let name_refused = |r: Result<Negotiated, (String, Option<CloseReason>)>| match r {
            Err((_, Some(CloseReason::Tls(TlsFailure::BadPeerCertificate(m))))) => {
                m.contains("not valid for name")
            }
            _ => false,
        };
        for extra in ["", "EndpointIdentificationAlgorithm=HTTPS\n"] {
            let got = handshake_with(&p, &keys(&p.ca, extra));
            let shown = format!("{got:?}");
            assert!(name_refused(got), "{extra:?}: the name is checked: {shown}");
        }
        let got = handshake_with(&p, &keys(&p.ca, "EndpointIdentificationAlgorithm=\n"))
            .expect("the name is not checked");
        assert_eq!(got.sni.as_deref(), Some("fix.example.com"));
        // The chain is: an unrelated CA is still refused.
        let got = handshake_with(&p, &keys(&p.other_ca, "EndpointIdentificationAlgorithm=\n"));
        match got {
            Err((_, Some(CloseReason::Tls(TlsFailure::BadPeerCertificate(m))))) => {
                assert!(m.contains("UnknownIssuer"), "{m}")
            }
            other => panic!("an unknown issuer must be refused: {other:?}"),
        }
    });
}
