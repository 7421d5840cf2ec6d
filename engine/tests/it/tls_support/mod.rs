//! Shared helpers for the TLS tests: a PKI generated per test run (rcgen),
//! settings built the way the config layer fills them, a FIX echo/initiator
//! handler, and a log capture for the refusal lines.
#![allow(dead_code)]

use rcgen::{
    BasicConstraints, Certificate, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};
use ringfix_codec::Encoder;
use ringfix_engine::config::TlsSettings;
use ringfix_engine::reactor::{
    self, CloseReason, ConnectionHandler, Ctx, ReactorConfig, ReactorHandle, TlsServer,
};
use ringfix_engine::time::{MonoTime, Now};
use std::io::Write;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

use crate::harness;
pub use harness::{serial, wait_until, with_timeout};

/// PEM files of a test PKI: a CA, a server and a client certificate signed
/// by it, an expired server certificate, and an unrelated CA.
pub struct Pki {
    pub dir: tempfile::TempDir,
    pub ca: PathBuf,
    pub other_ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub expired_cert: PathBuf,
    pub expired_key: PathBuf,
    pub client_cert: PathBuf,
    pub client_key: PathBuf,
    /// Certificate and key in one file (QuickFIX allows the key in the certificate file).
    pub client_combined: PathBuf,
    /// CRLs of the CA: one revoking the client and the server
    /// certificates, one revoking nothing.
    pub crl_revoking: PathBuf,
    pub crl_empty: PathBuf,
}

fn ca(name: &str) -> (Certificate, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.distinguished_name.push(DnType::CommonName, name);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    (p.self_signed(&key).unwrap(), key)
}

fn leaf(
    name: &str,
    purpose: ExtendedKeyUsagePurpose,
    issuer: &(Certificate, KeyPair),
    expired: bool,
) -> (Certificate, KeyPair) {
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(vec![name.to_string()]).unwrap();
    p.serial_number = Some(serial_of(name, expired));
    p.subject_alt_names
        .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
    p.distinguished_name.push(DnType::CommonName, name);
    p.extended_key_usages = vec![purpose];
    if expired {
        p.not_before = rcgen::date_time_ymd(2020, 1, 1);
        p.not_after = rcgen::date_time_ymd(2021, 1, 1);
    }
    (p.signed_by(&key, &issuer.0, &issuer.1).unwrap(), key)
}

/// Serial numbers by name: the CRLs revoke by them.
fn serial_of(name: &str, expired: bool) -> rcgen::SerialNumber {
    let n: u64 = match (name, expired) {
        ("client.test", _) => 0x1001,
        (_, false) => 0x2001,
        (_, true) => 0x3001,
    };
    rcgen::SerialNumber::from(n)
}

fn crl(issuer: &(Certificate, KeyPair), revoked: &[u64]) -> String {
    let params = rcgen::CertificateRevocationListParams {
        this_update: rcgen::date_time_ymd(2024, 1, 1),
        next_update: rcgen::date_time_ymd(2099, 1, 1),
        crl_number: rcgen::SerialNumber::from(1u64),
        issuing_distribution_point: None,
        revoked_certs: revoked
            .iter()
            .map(|&n| rcgen::RevokedCertParams {
                serial_number: rcgen::SerialNumber::from(n),
                revocation_time: rcgen::date_time_ymd(2024, 1, 1),
                reason_code: Some(rcgen::RevocationReason::KeyCompromise),
                invalidity_date: None,
            })
            .collect(),
        key_identifier_method: rcgen::KeyIdMethod::Sha256,
    };
    params
        .signed_by(&issuer.0, &issuer.1)
        .unwrap()
        .pem()
        .unwrap()
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

pub fn pki() -> Pki {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let root = ca("ringfix test CA");
    let other = ca("some other CA");
    let server = leaf(
        "localhost",
        ExtendedKeyUsagePurpose::ServerAuth,
        &root,
        false,
    );
    let expired = leaf(
        "localhost",
        ExtendedKeyUsagePurpose::ServerAuth,
        &root,
        true,
    );
    let client = leaf(
        "client.test",
        ExtendedKeyUsagePurpose::ClientAuth,
        &root,
        false,
    );
    let combined = format!("{}{}", client.0.pem(), client.1.serialize_pem());
    Pki {
        ca: write(d, "ca.pem", &root.0.pem()),
        other_ca: write(d, "other-ca.pem", &other.0.pem()),
        server_cert: write(d, "server.pem", &server.0.pem()),
        server_key: write(d, "server.key", &server.1.serialize_pem()),
        expired_cert: write(d, "expired.pem", &expired.0.pem()),
        expired_key: write(d, "expired.key", &expired.1.serialize_pem()),
        client_cert: write(d, "client.pem", &client.0.pem()),
        client_key: write(d, "client.key", &client.1.serialize_pem()),
        client_combined: write(d, "client-combined.pem", &combined),
        crl_revoking: write(d, "revoking.crl.pem", &crl(&root, &[0x1001, 0x2001])),
        crl_empty: write(d, "empty.crl.pem", &crl(&root, &[])),
        dir,
    }
}

/// Acceptor settings as the config layer fills them.
pub fn acceptor_settings(p: &Pki, verify_level: u8) -> TlsSettings {
    TlsSettings {
        enabled: true,
        server_certificate_file: Some(p.server_cert.clone()),
        server_certificate_key_file: Some(p.server_key.clone()),
        certificate_authorities_file: Some(p.ca.clone()),
        verify_level,
        ..TlsSettings::default()
    }
}

/// Initiator settings: verifies the server against `p.ca`, with the client
/// certificate when `with_cert`.
pub fn initiator_settings(p: &Pki, with_cert: bool) -> TlsSettings {
    TlsSettings {
        enabled: true,
        client_certificate_file: with_cert.then(|| p.client_cert.clone()),
        client_certificate_key_file: with_cert.then(|| p.client_key.clone()),
        certificate_authorities_file: Some(p.ca.clone()),
        verify_level: 2,
        server_name: Some("localhost".into()),
        ..TlsSettings::default()
    }
}

pub fn fix_message(msg_type: &[u8], seq: u64, text: &str) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut e = Encoder::new(&mut buf, b"FIX.4.4", msg_type);
    e.uint(34, seq).str(49, "A").str(56, "B").str(112, text);
    e.finish();
    buf
}

/// What a [`Peer`] saw.
#[derive(Default, Debug)]
pub struct Seen {
    pub opened: bool,
    pub frames: Vec<Vec<u8>>,
    pub garbled: usize,
    pub closed: Option<(Instant, CloseReason)>,
}

pub type Shared = Arc<Mutex<Seen>>;

/// A FIX peer: sends `greeting` on open, echoes frames when `echo`, closes
/// gracefully after `close_after` frames.
pub struct Peer {
    pub seen: Shared,
    pub greeting: Vec<Vec<u8>>,
    pub echo: bool,
    pub close_after: Option<usize>,
}

impl Peer {
    pub fn echo(seen: &Shared) -> Self {
        Self {
            seen: Arc::clone(seen),
            greeting: Vec::new(),
            echo: true,
            close_after: None,
        }
    }
}

impl ConnectionHandler for Peer {
    fn on_open(&mut self, ctx: &mut Ctx<'_>, _now: Now) {
        self.seen.lock().unwrap().opened = true;
        for m in &self.greeting {
            ctx.outbound().extend_from_slice(m);
        }
    }
    fn on_frame(&mut self, frame: &[u8], ctx: &mut Ctx<'_>, _now: Now) {
        let n = {
            let mut s = self.seen.lock().unwrap();
            s.frames.push(frame.to_vec());
            s.frames.len()
        };
        if self.echo {
            ctx.outbound().extend_from_slice(frame);
        }
        if self.close_after == Some(n) {
            ctx.close(ringfix_engine::reactor::CloseMode::Graceful);
        }
    }
    fn on_garbled(&mut self, skipped: &[u8], _ctx: &mut Ctx<'_>, _now: Now) {
        self.seen.lock().unwrap().garbled += skipped.len();
    }
    fn on_deadline(&mut self, _ctx: &mut Ctx<'_>, _now: Now) {}
    fn deadline(&self) -> Option<MonoTime> {
        None
    }
    fn on_closed(&mut self, reason: &CloseReason, _now: Now) {
        self.seen.lock().unwrap().closed = Some((Instant::now(), reason.clone()));
    }
}

/// A reactor with one TLS echo listener on loopback; each handler logs to
/// `seen` and closes gracefully after `close_after` frames.
pub fn echo_listener(
    cfg: ReactorConfig,
    server: TlsServer,
    seen: &Shared,
    close_after: Option<usize>,
) -> (ReactorHandle<Peer>, SocketAddr) {
    let r = reactor::spawn::<Peer>(cfg).unwrap();
    let s = seen.clone();
    let addr = r
        .add_tls_listener(
            "127.0.0.1:0".parse().unwrap(),
            server,
            Box::new(move |_| {
                Some(Peer {
                    close_after,
                    ..Peer::echo(&s)
                })
            }),
        )
        .unwrap();
    (r, addr)
}

pub fn shared() -> Shared {
    Arc::new(Mutex::new(Seen::default()))
}

pub fn closed(s: &Shared) -> Option<CloseReason> {
    s.lock().unwrap().closed.as_ref().map(|(_, r)| r.clone())
}

pub fn wait_closed(s: &Shared) -> CloseReason {
    assert!(
        wait_until(Duration::from_secs(5), || closed(s).is_some()),
        "connection not closed: {:?}",
        s.lock().unwrap()
    );
    closed(s).unwrap()
}

static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());

struct LogWriter;

impl Write for LogWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        LOGS.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs a global subscriber that keeps every log line (once per
/// process) and forgets the lines of earlier tests.
pub fn capture_logs() {
    LOGS.lock().unwrap().clear();
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let sub = tracing_subscriber::fmt()
            .with_writer(|| LogWriter)
            .with_ansi(false)
            .with_max_level(tracing::Level::DEBUG)
            .finish();
        let _ = tracing::subscriber::set_global_default(sub);
    });
}

/// The captured log lines containing every one of `words`.
pub fn log_lines_with(words: &[&str]) -> Vec<String> {
    let text = String::from_utf8_lossy(&LOGS.lock().unwrap()).into_owned();
    text.lines()
        .filter(|l| words.iter().all(|w| l.contains(w)))
        .map(str::to_owned)
        .collect()
}

/// TLS settings as the config layer reads them from a session with `role`
/// (`acceptor` or `initiator`) and the TLS keys in `keys`, one per line.
pub fn settings_from(role: &str, keys: &str) -> TlsSettings {
    let connect = if role == "acceptor" {
        "SocketAcceptPort=1\n"
    } else {
        "SocketConnectHost=127.0.0.1\nSocketConnectPort=1\nHeartBtInt=30\n"
    };
    let text = format!(
        "[SESSION]\nConnectionType={role}\nNonStopSession=Y\nBeginString=FIX.4.4\n\
         SenderCompID=A\nTargetCompID=B\n{connect}{keys}\n"
    );
    let cfg = ringfix_engine::config::EngineConfig::parse(&text, "tls.cfg").unwrap();
    assert!(cfg.warnings.is_empty(), "{:?}", cfg.warnings);
    cfg.sessions[0].tls.clone()
}

/// What a plain rustls peer saw of a handshake: the version and suite
/// agreed, and (as a server) the server name the client sent.
#[derive(Debug, PartialEq, Eq)]
pub struct Negotiated {
    pub version: rustls::ProtocolVersion,
    pub suite: rustls::CipherSuite,
    pub sni: Option<String>,
}

fn handshake<C, S>(conn: &mut C, sock: &mut std::net::TcpStream) -> Result<(), String>
where
    C: std::ops::DerefMut<Target = rustls::ConnectionCommon<S>>,
    S: rustls::SideData,
{
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    while conn.is_handshaking() {
        conn.complete_io(sock).map_err(|e| e.to_string())?;
    }
    // Flush the last flight and read what the peer says next (an alert
    // for a refused client certificate comes after the client's finish).
    while conn.wants_write() {
        conn.write_tls(sock).map_err(|e| e.to_string())?;
    }
    sock.set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    match conn.complete_io(sock) {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::TimedOut => Ok(()),
        Err(e) => Err(e.to_string()),
        Ok(_) => Ok(()),
    }
}

/// A rustls client with default settings, trusting `ca`, that handshakes
/// with `addr` and reports what was agreed (or the error).
pub fn rustls_client(addr: SocketAddr, ca: &Path) -> Result<Negotiated, String> {
    rustls_client_with(addr, ca, rustls::ALL_VERSIONS)
}

/// As [`rustls_client`], offering only `versions`.
pub fn rustls_client_with(
    addr: SocketAddr,
    ca: &Path,
    versions: &[&'static rustls::SupportedProtocolVersion],
) -> Result<Negotiated, String> {
    let mut roots = rustls::RootCertStore::empty();
    for c in reactor::load_certs("ca", ca).unwrap() {
        roots.add(c).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_protocol_versions(versions)
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost").unwrap();
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let mut sock = std::net::TcpStream::connect(addr).unwrap();
    handshake(&mut conn, &mut sock)?;
    Ok(Negotiated {
        version: conn.protocol_version().unwrap(),
        suite: conn.negotiated_cipher_suite().unwrap().suite(),
        sni: None,
    })
}

/// A rustls server with default settings and `p`'s server certificate,
/// serving one handshake on a free port; the thread reports what was
/// agreed (or the error).
pub fn rustls_server_once(
    p: &Pki,
) -> (
    SocketAddr,
    std::thread::JoinHandle<Result<Negotiated, String>>,
) {
    let chain = reactor::load_certs("cert", &p.server_cert).unwrap();
    let key = reactor::load_key("key", &p.server_key).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let t = std::thread::spawn(move || {
        let (mut sock, _) = listener.accept().map_err(|e| e.to_string())?;
        let mut conn = rustls::ServerConnection::new(Arc::new(config)).unwrap();
        handshake(&mut conn, &mut sock)?;
        Ok(Negotiated {
            version: conn.protocol_version().unwrap(),
            suite: conn.negotiated_cipher_suite().unwrap().suite(),
            sni: conn.server_name().map(str::to_owned),
        })
    });
    (addr, t)
}
