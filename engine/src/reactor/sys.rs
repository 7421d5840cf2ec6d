//! Small socket and clock helpers (the setup path; I/O goes through the ring).
//! Sockets are made and configured with socket2 and held as `OwnedFd`
//! from creation to close.

use super::config::{io_err, ListenSpec, ReactorError};
use super::handler::{MonoTime, Nanos, Now};
use super::sockopt::SocketOptions;
use socket2::{Domain, Protocol, SockRef, Socket, Type};
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

/// Monotonic now, nanoseconds of CLOCK_BOOTTIME: the clock of every
/// deadline and of our absolute linked timeouts (a wall-clock step moves
/// none of them).
pub(crate) fn now() -> Nanos {
    MonoTime::now().as_nanos()
}

/// Both clocks, for handlers (deadlines and stamps).
pub(crate) fn clock() -> Now {
    Now::read()
}

/// A new TCP socket for `addr`'s family, close-on-exec.
pub(crate) fn tcp_socket(addr: &SocketAddr) -> io::Result<Socket> {
    Socket::new(
        Domain::for_address(*addr),
        Type::STREAM,
        Some(Protocol::TCP),
    )
}

/// Disables Nagle: FIX messages are small and latency matters.
pub(crate) fn set_nodelay(fd: impl AsFd) -> io::Result<()> {
    SockRef::from(&fd).set_tcp_nodelay(true)
}

/// Binds and listens; returns the socket and the bound address. The
/// options are set before `listen` (buffer sizes must be, for the window
/// scale of accepted connections, which inherit them all).
pub(crate) fn listen(
    addr: SocketAddr,
    backlog: i32,
    opts: &SocketOptions,
) -> Result<(OwnedFd, SocketAddr), ReactorError> {
    let s = tcp_socket(&addr).map_err(io_err("socket"))?;
    s.set_reuse_address(true).map_err(io_err("SO_REUSEADDR"))?;
    opts.apply(SockRef::from(&s), addr.is_ipv6())
        .map_err(|(what, e)| io_err(what)(e))?;
    s.bind(&addr.into()).map_err(io_err("listen"))?;
    s.listen(backlog).map_err(io_err("listen"))?;
    let local = local_addr(&s).map_err(io_err("listen"))?;
    Ok((s.into(), local))
}

/// A socket for an outbound connection: options set, and bound to
/// `local` when given. A fixed port gets SO_REUSEADDR (as QuickFIX); a
/// reconnect from it to the same peer may still fail while the previous
/// connection is in TIME_WAIT (the supervisor retries).
pub(crate) fn connect_socket(
    addr: &SocketAddr,
    local: Option<SocketAddr>,
    opts: &SocketOptions,
) -> io::Result<OwnedFd> {
    let s = tcp_socket(addr)?;
    opts.apply(SockRef::from(&s), addr.is_ipv6())
        .map_err(|(_, e)| e)?;
    if let Some(local) = local {
        if local.port() != 0 {
            s.set_reuse_address(true)?;
        }
        s.bind(&local.into())?;
    }
    Ok(s.into())
}

/// Bind retry pace while the address is in use.
const BIND_RETRY_EVERY: Duration = Duration::from_millis(50);

/// [`listen`], retrying for `spec.bind_retry` while the address is in use
/// (one log line when it first is).
pub(crate) fn listen_retrying(
    spec: &ListenSpec,
    backlog: i32,
) -> Result<(OwnedFd, SocketAddr), ReactorError> {
    let (addr, retry) = (spec.addr, spec.bind_retry);
    let started = Instant::now();
    let mut logged = false;
    loop {
        match listen(addr, backlog, &spec.socket) {
            Err(ReactorError::Io { context, source })
                if source.kind() == io::ErrorKind::AddrInUse =>
            {
                if started.elapsed() >= retry {
                    if retry.is_zero() {
                        return Err(ReactorError::Io { context, source });
                    }
                    return Err(ReactorError::AddressInUse {
                        addr,
                        waited: retry,
                    });
                }
                if !logged {
                    logged = true;
                    tracing::warn!(
                        %addr,
                        retry_s = retry.as_secs_f64(),
                        "address in use: retrying the bind (SocketAcceptRetryTimeout)"
                    );
                }
                std::thread::sleep(BIND_RETRY_EVERY.min(retry.saturating_sub(started.elapsed())));
            }
            other => return other,
        }
    }
}

fn std_addr(a: socket2::SockAddr) -> io::Result<SocketAddr> {
    a.as_socket()
        .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidData))
}

/// The socket's local address.
pub(crate) fn local_addr(fd: impl AsFd) -> io::Result<SocketAddr> {
    std_addr(SockRef::from(&fd).local_addr()?)
}

/// The socket's peer address.
pub(crate) fn peer_addr(fd: impl AsFd) -> io::Result<SocketAddr> {
    std_addr(SockRef::from(&fd).peer_addr()?)
}

/// SO_LINGER {on, 0}: close resets and drops unsent bytes. Static so the
/// ring can read it whenever it prepares the SetSockOpt.
pub(crate) static LINGER_ZERO: libc::linger = libc::linger {
    l_onoff: 1,
    l_linger: 0,
};

/// SO_LINGER off: the final close of a socket configured to linger (see
/// `SocketOptions::linger`) must not block the reactor thread.
pub(crate) static LINGER_OFF: libc::linger = libc::linger {
    l_onoff: 0,
    l_linger: 0,
};
