//! TLS inside the reactor's buffers, on the reactor thread.
//!
//! Receive: with TLS the linked Recv lands in a small per-connection
//! ciphertext buffer; rustls (`read_tls` + `process_new_packets`) decrypts
//! and its plaintext is read straight into the connection's receive buffer,
//! where frames are parsed in place as for plaintext.
//!
//! Send: handlers still append plaintext to the outbound buffer; when the
//! in-flight `wire` buffer is free, that plaintext goes through rustls and
//! the records are written (`write_tls`) into `wire`, which is sent as usual.
//!
//! Handshake: `on_open` is delayed until the handshake completes; until then
//! the connection's deadline is the handshake deadline (the Recv's linked
//! timeout enforces it) and the handler sees no `on_deadline`.

use super::conn::Phase;
use super::event_loop::Reactor;
use super::handler::{CloseMode, CloseReason, ConnectionHandler, Ctx, Nanos};
use super::peer_cert::PeerCertificate;
use super::sys;
use super::tls::{TlsClient, TlsFailure, TlsServer};
use std::io::{ErrorKind, Read, Write};

/// Ciphertext receive buffer: one full TLS record (16 KiB + overhead).
const CIPHER_BUFFER_BYTES: usize = 18 * 1024;

/// One connection's TLS state.
pub(crate) struct TlsConn {
    conn: rustls::Connection,
    /// The Recv target while TLS is on (never touched while a Recv runs).
    pub(crate) cipher: Box<[u8]>,
    pub(crate) handshake_deadline: Nanos,
    handshake_timeout_ns: i64,
    /// The handshake completed and the handler got `on_open`.
    pub(crate) opened: bool,
    /// A TLS error closed the connection: only rustls' alert is still sent.
    failed: bool,
}

impl TlsConn {
    fn new(mut conn: rustls::Connection, timeout: std::time::Duration) -> Box<Self> {
        // The reactor's own outbound limit applies, not rustls'.
        conn.set_buffer_limit(None);
        let timeout_ns = i64::try_from(timeout.as_nanos()).unwrap_or(i64::MAX);
        Box::new(Self {
            conn,
            cipher: vec![0; CIPHER_BUFFER_BYTES].into_boxed_slice(),
            handshake_deadline: sys::now().saturating_add(timeout_ns),
            handshake_timeout_ns: timeout_ns,
            opened: false,
            failed: false,
        })
    }

    pub(crate) fn server(tls: &TlsServer) -> Result<Box<Self>, rustls::Error> {
        let conn = rustls::ServerConnection::new(tls.config.clone())?;
        Ok(Self::new(conn.into(), tls.handshake_timeout))
    }

    pub(crate) fn client(tls: &TlsClient) -> Result<Box<Self>, rustls::Error> {
        let conn = rustls::ClientConnection::new(tls.config.clone(), tls.server_name.clone())?;
        Ok(Self::new(conn.into(), tls.handshake_timeout))
    }

    /// Starts the handshake clock (at TCP connect for an initiator).
    pub(crate) fn restart_clock(&mut self, now: Nanos) {
        self.handshake_deadline = now.saturating_add(self.handshake_timeout_ns);
    }

    /// rustls holds records not yet written to `wire`.
    pub(crate) fn wants_write(&self) -> bool {
        self.conn.wants_write()
    }

    /// Encrypts `plain` (left empty) and appends every pending record to `wire`.
    pub(crate) fn seal(&mut self, plain: &mut Vec<u8>, wire: &mut Vec<u8>) {
        if !plain.is_empty() && !self.failed {
            // No buffer limit is set, so rustls takes everything.
            if let Err(e) = self.conn.writer().write_all(plain) {
                tracing::error!(error = %e, "TLS: could not encrypt outbound bytes");
            }
        }
        plain.clear();
        while self.conn.wants_write() {
            match self.conn.write_tls(wire) {
                Ok(n) if n > 0 => {}
                _ => break,
            }
        }
    }

    /// Graceful close: what is queued, then close_notify.
    pub(crate) fn close_notify(&mut self, plain: &mut Vec<u8>) {
        if self.failed || !self.opened {
            return;
        }
        if !plain.is_empty() {
            let _ = self.conn.writer().write_all(plain);
            plain.clear();
        }
        self.conn.send_close_notify();
    }
}

impl<H: ConnectionHandler> Reactor<H> {
    /// `n` bytes of ciphertext arrived in the connection's TLS buffer.
    pub(crate) fn on_tls_bytes(&mut self, slot: usize, n: usize) {
        let mut off = 0;
        loop {
            let before = off;
            let c = &mut self.conns[slot];
            let Some(t) = c.tls.as_mut() else { return };
            let n = n.min(t.cipher.len());
            while off < n {
                match t.conn.read_tls(&mut &t.cipher[off..n]) {
                    Ok(0) => off = n, // after close_notify: the rest is ignored
                    Ok(k) => off += k,
                    Err(_) => break, // rustls' plaintext buffer is full: drain it first
                }
                if let Err(e) = t.conn.process_new_packets() {
                    return self.tls_failed(slot, &e);
                }
            }
            if !t.opened && !t.conn.is_handshaking() {
                self.tls_opened(slot);
            }
            let drained = self.drain_plaintext(slot);
            let c = &self.conns[slot];
            if c.phase != Phase::Open || c.close_req.is_some() || off >= n {
                return;
            }
            if !drained && off == before {
                // Cannot happen with a non-full receive buffer; never spin.
                return self.begin_close_reason(slot, CloseReason::FrameTooLarge);
            }
        }
    }

    /// Moves decrypted bytes into the receive buffer and frames them; true
    /// if any moved.
    fn drain_plaintext(&mut self, slot: usize) -> bool {
        let mut moved = false;
        loop {
            let c = &mut self.conns[slot];
            if c.phase != Phase::Open || c.close_req.is_some() {
                return moved;
            }
            let Some(t) = c.tls.as_mut() else {
                return moved;
            };
            let Some(buf) = self.bufs.slot_mut(slot) else {
                self.buffer_unavailable(slot);
                return moved;
            };
            let Some(free) = buf.get_mut(c.rx_end..).filter(|f| !f.is_empty()) else {
                return moved;
            };
            match t.conn.reader().read(free) {
                Ok(0) => {
                    // close_notify: the peer closed cleanly.
                    self.begin_close_reason(slot, CloseReason::PeerClosed);
                    return moved;
                }
                Ok(k) => {
                    moved = true;
                    self.on_bytes(slot, k);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => return moved,
                Err(_) => {
                    self.begin_close_reason(slot, CloseReason::PeerClosed);
                    return moved;
                }
            }
        }
    }

    /// The handshake completed: now the handler hears of the connection.
    fn tls_opened(&mut self, slot: usize) {
        let c = &mut self.conns[slot];
        let id = c.id(slot as u32);
        let Some(t) = c.tls.as_mut() else { return };
        t.opened = true;
        self.stats.tls_handshakes += 1;
        tracing::debug!(
            conn = id.as_u64(),
            version = ?t.conn.protocol_version(),
            suite = ?t.conn.negotiated_cipher_suite().map(|s| s.suite()),
            "TLS handshake complete"
        );
        let cert = t
            .conn
            .peer_certificates()
            .and_then(|chain| chain.first())
            .and_then(|der| PeerCertificate::from_der(der));
        if let Some(h) = c.handler.as_mut() {
            if let Some(cert) = cert {
                h.on_peer_certificate(cert);
            }
            let mut ctx = Ctx {
                id,
                out: &mut c.out,
                close: &mut c.close_req,
                wire_unsent: c.wire.len().saturating_sub(c.wire_off),
                stamp: 0,
            };
            h.on_open(&mut ctx, sys::clock());
        }
    }

    /// A TLS error: log it, send rustls' alert if the socket takes it, close.
    pub(crate) fn tls_failed(&mut self, slot: usize, e: &rustls::Error) {
        let c = &mut self.conns[slot];
        let id = c.id(slot as u32).as_u64();
        let peer = c.fd.as_ref().and_then(|fd| sys::peer_addr(fd).ok());
        let handshake = c.tls.as_ref().is_some_and(|t| !t.opened);
        if let Some(t) = c.tls.as_mut() {
            t.failed = true;
        }
        c.out.clear();
        self.stats.tls_failures += 1;
        tracing::warn!(conn = id, ?peer, handshake, error = %e, "TLS refused: closing the connection");
        self.begin_close(slot, CloseMode::Now, CloseReason::Tls(TlsFailure::from(e)));
    }

    /// The handshake deadline passed.
    pub(crate) fn tls_handshake_timeout(&mut self, slot: usize) {
        let c = &mut self.conns[slot];
        let peer = c.fd.as_ref().and_then(|fd| sys::peer_addr(fd).ok());
        if let Some(t) = c.tls.as_mut() {
            t.failed = true;
        }
        self.stats.tls_failures += 1;
        tracing::warn!(
            conn = c.id(slot as u32).as_u64(),
            ?peer,
            "TLS handshake not finished before its deadline: closing the connection"
        );
        self.begin_close(
            slot,
            CloseMode::Now,
            CloseReason::Tls(TlsFailure::HandshakeTimeout),
        );
    }
}
