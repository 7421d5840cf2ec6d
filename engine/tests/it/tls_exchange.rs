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
