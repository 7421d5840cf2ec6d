//! Ping-pong latency on loopback through the reactor, plaintext vs TLS 1.3
//! (rustls, ring) in the same run. The client is a blocking socket (with a
//! rustls stream for TLS) on core 0, the reactor on core 1. Run with
//! `cargo bench -p ringfix-engine --bench tls_pingpong`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "benchmark harness: a failure aborts the run"
)]

mod pingpong;

use pingpong::{echo_reactor, pings, report, stop, tcp, Echo, MSG, ROUNDS};
use ringfix_engine::reactor::{Mode, TlsServer};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A self-signed certificate for "localhost": (server config, client config).
fn tls_configs() -> (Arc<rustls::ServerConfig>, Arc<rustls::ClientConfig>) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec!["localhost".to_string()])
        .unwrap()
        .self_signed(&key)
        .unwrap();
    let der: CertificateDer<'static> = cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let server = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![der.clone()], key)
        .unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(der).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    (Arc::new(server), Arc::new(client))
}

fn run(
    mode: Mode,
    tls: Option<(Arc<rustls::ServerConfig>, Arc<rustls::ClientConfig>)>,
) -> Vec<u64> {
    let r = echo_reactor(mode);
    let any: SocketAddr = "127.0.0.1:0".parse().unwrap();
    let rtt = match tls {
        None => {
            let addr = r.add_listener(any, Box::new(|_| Some(Echo))).unwrap();
            pings(&mut tcp(addr))
        }
        Some((server, client)) => {
            let addr = r
                .add_tls_listener(any, TlsServer::new(server), Box::new(|_| Some(Echo)))
                .unwrap();
            let name = ServerName::try_from("localhost").unwrap();
            let conn = rustls::ClientConnection::new(client, name).unwrap();
            let mut s = rustls::StreamOwned::new(conn, tcp(addr));
            pings(&mut s)
        }
    };
    stop(r);
    rtt
}

/// CPU cost of TLS alone: one message encrypted by one in-memory rustls
/// connection and decrypted by the other (as the reactor drives them), ns each.
fn seal_open_ns(server: Arc<rustls::ServerConfig>, client: Arc<rustls::ClientConfig>) -> f64 {
    let name = ServerName::try_from("localhost").unwrap();
    let mut c: rustls::Connection = rustls::ClientConnection::new(client, name).unwrap().into();
    let mut s: rustls::Connection = rustls::ServerConnection::new(server).unwrap().into();
    let mut wire = Vec::new();
    let mut plain = vec![0u8; 4096];
    let pass = |from: &mut rustls::Connection, to: &mut rustls::Connection, wire: &mut Vec<u8>| {
        wire.clear();
        while from.wants_write() {
            from.write_tls(wire).unwrap();
        }
        let mut rd = &wire[..];
        while !rd.is_empty() {
            to.read_tls(&mut rd).unwrap();
            to.process_new_packets().unwrap();
        }
    };
    while c.is_handshaking() || s.is_handshaking() {
        pass(&mut c, &mut s, &mut wire);
        pass(&mut s, &mut c, &mut wire);
    }
    let n = 200_000;
    let t = Instant::now();
    for _ in 0..n {
        c.writer().write_all(MSG).unwrap();
        pass(&mut c, &mut s, &mut wire);
        let got = s.reader().read(&mut plain).unwrap();
        assert_eq!(got, MSG.len());
    }
    t.elapsed().as_nanos() as f64 / n as f64
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    println!(
        "{ROUNDS} round trips of {} bytes on loopback through the reactor, client core 0, reactor core 1",
        MSG.len()
    );
    let tls = tls_configs();
    println!(
        "TLS CPU cost, no I/O: encrypt + decrypt of one {}-byte message: {:.0} ns",
        MSG.len(),
        seal_open_ns(tls.0.clone(), tls.1.clone())
    );
    let plain_spin = report("plain, spin", &run(Mode::Spin, None));
    let tls_spin = report("TLS 1.3, spin", &run(Mode::Spin, Some(tls.clone())));
    let plain_block = report("plain, block", &run(Mode::Block, None));
    let tls_block = report("TLS 1.3, block", &run(Mode::Block, Some(tls)));
    println!(
        "TLS - plain (p50): spin {:+.2} us, block {:+.2} us",
        (tls_spin as f64 - plain_spin as f64) / 1000.0,
        (tls_block as f64 - plain_block as f64) / 1000.0
    );
}
