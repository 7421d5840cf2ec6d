//! Ping-pong latency on loopback through the reactor, plaintext vs TLS 1.3
//! (rustls, ring) in the same run. The client is a blocking socket (with a
//! rustls stream for TLS) on core 0, the reactor on core 1. Run with
//! `cargo bench -p ringfix-engine --bench tls_pingpong`.

use ringfix_engine::reactor::{
    self, CloseReason, ConnectionHandler, Ctx, Framed, Mode, ReactorConfig, TlsServer, UtcTimestamp,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

const MSG: &[u8] = b"8=FIX.4.4\x019=60\x0135=0\x0134=2\x0149=A\x0156=B\x0152=20250101-00:00:00.000\x0110=000\x01\n";
const WARMUP: usize = 2_000;
const ROUNDS: usize = 20_000;

struct Echo;

impl ConnectionHandler for Echo {
    fn frame(&mut self, buf: &[u8], _max: usize) -> Framed {
        match buf.iter().position(|b| *b == b'\n') {
            Some(i) => Framed::Complete(i + 1),
            None => Framed::Incomplete,
        }
    }
    fn on_open(&mut self, _ctx: &mut Ctx<'_>, _now: UtcTimestamp) {}
    fn on_frame(&mut self, frame: &[u8], ctx: &mut Ctx<'_>, _now: UtcTimestamp) {
        ctx.outbound().extend_from_slice(frame);
    }
    fn on_garbled(&mut self, _s: &[u8], _ctx: &mut Ctx<'_>, _now: UtcTimestamp) {}
    fn on_deadline(&mut self, _ctx: &mut Ctx<'_>, _now: UtcTimestamp) {}
    fn deadline(&self) -> Option<UtcTimestamp> {
        None
    }
    fn on_closed(&mut self, _r: &CloseReason, _now: UtcTimestamp) {}
}

fn pin(core: usize) {
    core_affinity::set_for_current(core_affinity::CoreId { id: core });
}

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

/// Round-trip times of `ROUNDS` pings after a warm-up, in nanoseconds, sorted.
fn pings(s: &mut impl ReadWrite) -> Vec<u64> {
    let mut buf = vec![0u8; MSG.len()];
    let mut rtt = Vec::with_capacity(ROUNDS);
    for i in 0..WARMUP + ROUNDS {
        let t = Instant::now();
        s.write_all(MSG).unwrap();
        s.flush().unwrap();
        s.read_exact(&mut buf).unwrap();
        if i >= WARMUP {
            rtt.push(t.elapsed().as_nanos() as u64);
        }
    }
    rtt.sort_unstable();
    rtt
}

trait ReadWrite: Read + Write {}
impl<T: Read + Write> ReadWrite for T {}

fn tcp(addr: SocketAddr) -> TcpStream {
    pin(0);
    let s = TcpStream::connect(addr).unwrap();
    s.set_nodelay(true).unwrap();
    s
}

fn run(
    mode: Mode,
    tls: Option<(Arc<rustls::ServerConfig>, Arc<rustls::ClientConfig>)>,
) -> Vec<u64> {
    let cfg = ReactorConfig {
        mode,
        core: Some(1),
        max_connections: 4,
        ..ReactorConfig::default()
    };
    let r = reactor::spawn::<Echo>(cfg).unwrap();
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
    std::thread::sleep(Duration::from_millis(20));
    r.stop().unwrap();
    r.join().unwrap();
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

fn report(name: &str, rtt: &[u64]) -> u64 {
    let p = |q: f64| rtt[((rtt.len() as f64 * q) as usize).min(rtt.len() - 1)] as f64 / 1000.0;
    let mean = rtt.iter().sum::<u64>() as f64 / rtt.len() as f64 / 1000.0;
    println!(
        "{name:<22} mean {mean:7.2} us  p50 {:7.2}  p90 {:7.2}  p99 {:7.2}  p99.9 {:7.2}",
        p(0.5),
        p(0.9),
        p(0.99),
        p(0.999)
    );
    rtt[rtt.len() / 2]
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
