//! TLS for the replication streams (rustls, over blocking sockets): one
//! handshake, then the connection is shared by a reading and a writing
//! thread. The reader waits on the raw socket without holding the lock
//! and takes it only to feed rustls what arrived; the writer takes it to
//! encrypt and send. The leader is the TLS client, the standby the server;
//! both present certificates (from `[DEFAULT]`: the server's for the
//! standby side, the client's, or else the server's, for the leader).

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::config::TlsSettings;
use crate::reactor::{TlsClient, TlsConfigError, TlsServer};
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection, Connection, ServerConfig, ServerConnection};

/// The replication TLS configuration of a node.
#[derive(Clone, Debug)]
pub struct ReplicationTls {
    /// For the standby side (accepting leaders' streams).
    pub server: Arc<ServerConfig>,
    /// For the leader side (connecting to standbys).
    pub client: Arc<ClientConfig>,
    /// The name checked in standbys' certificates (`SSLServerName`); the
    /// peer's host when `None`.
    pub server_name: Option<String>,
}

impl ReplicationTls {
    /// From a session's TLS keys: the standby side presents
    /// `ServerCertificateFile` (client certificates checked by
    /// `CertificateVerifyLevel`), the leader side `ClientCertificateFile`,
    /// else the server's; `CertificateAuthoritiesFile` checks the other
    /// side, `SSLServerName` is the name checked (else the peer's host).
    pub fn from_settings(settings: &TlsSettings) -> Result<Self, TlsConfigError> {
        let server = TlsServer::from_settings(settings)?;
        let mut client_side = settings.clone();
        if client_side.client_certificate_file.is_none() {
            client_side.client_certificate_file = settings.server_certificate_file.clone();
            client_side.client_certificate_key_file = settings.server_certificate_key_file.clone();
        }
        // The name given here is replaced per peer.
        let client = TlsClient::from_settings(&client_side, "localhost")?;
        Ok(Self {
            server: server.config,
            client: client.config,
            server_name: settings.server_name.clone(),
        })
    }
}

type Shared = Arc<Mutex<Connection>>;

fn lock(c: &Shared) -> io::Result<MutexGuard<'_, Connection>> {
    c.lock().map_err(|_| io::Error::other("TLS state poisoned"))
}

fn tls_err(e: rustls::Error) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, e)
}

/// Runs the handshake on `sock` and splits the session in two halves.
fn split(mut conn: Connection, sock: &TcpStream) -> io::Result<(TlsReader, TlsWriter)> {
    let mut s = sock.try_clone()?;
    while conn.is_handshaking() {
        conn.complete_io(&mut s)?;
    }
    let shared = Arc::new(Mutex::new(conn));
    let reader = TlsReader {
        conn: shared.clone(),
        sock: sock.try_clone()?,
        raw: vec![0; 64 << 10],
    };
    let writer = TlsWriter {
        conn: shared,
        sock: sock.try_clone()?,
    };
    Ok((reader, writer))
}

/// The leader's side of a stream to `host`.
pub(crate) fn client(
    tls: &ReplicationTls,
    host: &str,
    sock: &TcpStream,
) -> io::Result<(TlsReader, TlsWriter)> {
    let name = tls.server_name.as_deref().unwrap_or(host);
    let name = ServerName::try_from(name.to_owned())
        .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
    let conn = ClientConnection::new(tls.client.clone(), name).map_err(tls_err)?;
    split(Connection::Client(conn), sock)
}

/// The standby's side of a leader's stream.
pub(crate) fn server(tls: &ReplicationTls, sock: &TcpStream) -> io::Result<(TlsReader, TlsWriter)> {
    let conn = ServerConnection::new(tls.server.clone()).map_err(tls_err)?;
    split(Connection::Server(conn), sock)
}

/// Plaintext in, from the shared session.
pub(crate) struct TlsReader {
    conn: Shared,
    sock: TcpStream,
    raw: Vec<u8>,
}

impl Read for TlsReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            {
                let mut c = lock(&self.conn)?;
                match c.reader().read(out) {
                    Ok(n) => return Ok(n),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                    Err(e) => return Err(e),
                }
            }
            // Wait for bytes without holding the lock (the writer needs it).
            let n = self.sock.read(&mut self.raw)?;
            if n == 0 {
                return Ok(0);
            }
            let mut c = lock(&self.conn)?;
            let mut bytes = &self.raw[..n];
            while !bytes.is_empty() {
                c.read_tls(&mut bytes)?;
                c.process_new_packets().map_err(tls_err)?;
            }
            // Anything rustls must answer (alerts, key updates).
            while c.wants_write() {
                c.write_tls(&mut self.sock)?;
            }
        }
    }
}

/// Plaintext out, through the shared session.
pub(crate) struct TlsWriter {
    conn: Shared,
    sock: TcpStream,
}

impl Write for TlsWriter {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let mut c = lock(&self.conn)?;
        c.writer().write_all(buf)?;
        while c.wants_write() {
            c.write_tls(&mut self.sock)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        let mut c = lock(&self.conn)?;
        while c.wants_write() {
            c.write_tls(&mut self.sock)?;
        }
        Ok(())
    }
}
