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

#[path = "../harness/mod.rs"]
mod harness;
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
