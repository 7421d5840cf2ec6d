//! How connections come: listeners and their accepts, outbound connects.
//! Sockets are `OwnedFd`s from the moment the kernel hands them over; a
//! refused one is closed by dropping it.

use super::config::{ConnectSpec, ListenSpec};
use super::conn::{ud, Op, Phase};
use super::control::Factory;
use super::event_loop::{Listener, Reactor};
use super::handler::{AcceptInfo, CloseReason, ConnectionHandler, Ctx};
use super::stats::StatsSnapshot;
use super::sys;
use super::tls::TlsFailure;
use super::tls_io::TlsConn;
use io_uring::{cqueue, opcode, squeue, types};
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

impl<H: ConnectionHandler> Reactor<H> {
    pub(crate) fn add_listener(
        &mut self,
        fd: OwnedFd,
        local: SocketAddr,
        factory: Factory<H>,
        spec: ListenSpec,
    ) {
        if self.stopping {
            return; // dropping `fd` closes it
        }
        self.listeners.push(Listener {
            fd: Some(fd),
            local,
            factory,
            tls: spec.tls,
            allowed: spec.allowed,
            lingers: spec.socket.lingers(),
            write_timeout: spec.socket.write_timeout,
            armed: false,
            closing: false,
            closed: false,
        });
        self.arm_accept(self.listeners.len() - 1);
    }

    fn arm_accept(&mut self, idx: usize) {
        let Some(l) = self.listeners.get_mut(idx) else {
            return;
        };
        let Some(fd) = l.fd.as_ref().map(AsRawFd::as_raw_fd) else {
            return;
        };
        let e = opcode::AcceptMulti::new(types::Fd(fd))
            .flags(libc::SOCK_CLOEXEC)
            .build()
            .user_data(ud(Op::Accept, 0, 0, idx as u32));
        l.armed = self.ring.push(&[e]);
    }

    pub(crate) fn on_accept(&mut self, idx: usize, res: i32, flags: u32) {
        let Some(l) = self.listeners.get_mut(idx) else {
            return;
        };
        if !cqueue::more(flags) {
            l.armed = false;
        }
        if res < 0 {
            if !l.closing && res != -libc::ECANCELED {
                tracing::warn!(local = %l.local, error = %std::io::Error::from_raw_os_error(-res), "accept");
            }
        } else {
            // SAFETY: a successful Accept's result is a new fd the kernel
            // installed for us; nothing else owns it.
            let fd = unsafe { OwnedFd::from_raw_fd(res) };
            self.accept_conn(idx, fd);
        }
        let rearm = self
            .listeners
            .get(idx)
            .is_some_and(|l| !l.armed && !l.closing);
        if rearm {
            self.arm_accept(idx);
        }
    }

    /// Takes an accepted socket into a slot, or closes it (by dropping it).
    fn accept_conn(&mut self, idx: usize, fd: OwnedFd) {
        let Some(local) = self.listeners.get(idx).map(|l| l.local) else {
            return;
        };
        if self.stopping {
            self.stats.accept_rejected += 1;
            return;
        }
        let peer = sys::peer_addr(&fd).ok();
        let barred = self
            .listeners
            .get(idx)
            .and_then(|l| l.allowed.as_ref())
            .is_some_and(|a| !peer.is_some_and(|p| a.allows(p.ip())));
        if barred {
            return self.bar(fd, local, peer);
        }
        let lingers = self.listeners.get(idx).is_some_and(|l| l.lingers);
        let write_timeout = self.listeners.get(idx).and_then(|l| l.write_timeout);
        let Some(slot) = self.take_slot() else {
            self.refuse(fd, local);
            return;
        };
        let Some(l) = self.listeners.get_mut(idx) else {
            self.free.push(slot);
            return;
        };
        let c = &mut self.conns[slot as usize];
        let info = AcceptInfo {
            id: c.id(slot),
            peer,
            local: l.local,
        };
        let tls = match l.tls.as_ref().map(TlsConn::server).transpose() {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(local = %l.local, error = %e, "TLS server setup failed: connection dropped");
                self.stats.accept_rejected += 1;
                self.free.push(slot);
                return;
            }
        };
        let Some(mut handler) = (l.factory)(&info) else {
            self.stats.accept_rejected += 1;
            self.free.push(slot);
            return;
        };
        if let Err(e) = sys::set_nodelay(&fd) {
            tracing::debug!(error = %e, "TCP_NODELAY");
        }
        self.stats.accepted += 1;
        self.stats.open_connections += 1;
        c.fd = Some(fd);
        c.lingers = lingers;
        c.write_timeout = write_timeout;
        c.phase = Phase::Open;
        if tls.is_none() {
            let mut ctx = Ctx {
                id: info.id,
                out: &mut c.out,
                close: &mut c.close_req,
                wire_unsent: c.wire.len().saturating_sub(c.wire_off),
                stamp: 0,
            };
            handler.on_open(&mut ctx, sys::clock());
        }
        // With TLS, on_open waits for the handshake.
        c.tls = tls;
        c.handler = Some(handler);
        Self::mark(&mut self.dirty, c, slot);
    }

    /// Closes an accepted connection at once: every slot is taken and
    /// `max_connections` reached. Logged at most once a second (with the
    /// count) so a connection flood cannot flood the log.
    fn refuse(&mut self, fd: OwnedFd, local: SocketAddr) {
        self.stats.accept_rejected += 1;
        let peer = sys::peer_addr(&fd).ok();
        drop(fd);
        self.refused_unlogged += 1;
        let now = sys::now();
        if now.saturating_sub(self.refused_logged_at) >= 1_000_000_000 {
            tracing::warn!(
                %local,
                ?peer,
                max = self.cfg.max_connections,
                refused = self.refused_unlogged,
                "accepted connection closed: MaxConnections reached"
            );
            self.refused_logged_at = now;
            self.refused_unlogged = 0;
        }
    }

    /// Closes an accepted connection from a peer not in the listener's
    /// `AllowedRemoteAddresses`, before a byte is read. Logged at most once
    /// a second, with the count.
    fn bar(&mut self, fd: OwnedFd, local: SocketAddr, peer: Option<SocketAddr>) {
        drop(fd);
        self.stats.accept_rejected += 1;
        self.stats.accept_not_allowed += 1;
        self.barred_unlogged += 1;
        let now = sys::now();
        if now.saturating_sub(self.barred_logged_at) >= 1_000_000_000 {
            tracing::warn!(
                %local,
                ?peer,
                refused = self.barred_unlogged,
                "accepted connection closed: peer not in AllowedRemoteAddresses"
            );
            self.barred_logged_at = now;
            self.barred_unlogged = 0;
        }
    }

    /// Starts an outbound connection: a Connect linked to `timeout`.
    pub(crate) fn connect(&mut self, spec: ConnectSpec, mut handler: H) {
        let ConnectSpec {
            addr,
            timeout,
            local,
            socket,
            tls,
        } = spec;
        let fail = |h: &mut H, errno: i32, stats: &mut StatsSnapshot| {
            stats.connect_failed += 1;
            h.on_closed(&CloseReason::ConnectFailed(errno), sys::clock());
        };
        if self.stopping {
            return fail(&mut handler, libc::ECANCELED, &mut self.stats);
        }
        let tls = match tls.as_ref().map(TlsConn::client).transpose() {
            Ok(t) => t,
            Err(e) => {
                tracing::warn!(%addr, error = %e, "TLS client setup failed");
                self.stats.connect_failed += 1;
                let reason = CloseReason::Tls(TlsFailure::from(&e));
                return handler.on_closed(&reason, sys::clock());
            }
        };
        let Some(slot) = self.take_slot() else {
            tracing::warn!(%addr, max = self.cfg.max_connections, "connect refused: no free connection slot (MaxConnections)");
            return fail(&mut handler, libc::EMFILE, &mut self.stats);
        };
        let fd = match sys::connect_socket(&addr, local, &socket) {
            Ok(fd) => fd,
            Err(e) => {
                tracing::warn!(%addr, ?local, error = %e, "cannot set up the socket to connect");
                self.free.push(slot);
                return fail(
                    &mut handler,
                    e.raw_os_error().unwrap_or(libc::EIO),
                    &mut self.stats,
                );
            }
        };
        if let Err(e) = sys::set_nodelay(&fd) {
            tracing::debug!(error = %e, "TCP_NODELAY");
        }
        let c = &mut self.conns[slot as usize];
        let raw = fd.as_raw_fd();
        c.fd = Some(fd);
        c.lingers = socket.lingers();
        c.write_timeout = socket.write_timeout;
        c.handler = Some(handler);
        c.tls = tls;
        c.phase = Phase::Connecting;
        c.addr = addr.into();
        c.ts_recv = types::Timespec::new()
            .sec(timeout.as_secs())
            .nsec(timeout.subsec_nanos());
        let g = c.generation;
        let conn = opcode::Connect::new(types::Fd(raw), c.addr.as_ptr().cast(), c.addr.len())
            .build()
            .flags(squeue::Flags::IO_LINK)
            .user_data(ud(Op::Connect, 0, g, slot));
        let to = opcode::LinkTimeout::new(&c.ts_recv).build().user_data(ud(
            Op::ConnectTimeout,
            0,
            g,
            slot,
        ));
        c.inflight += 2;
        self.stats.open_connections += 1;
        self.ring.push(&[conn, to]);
    }
}
