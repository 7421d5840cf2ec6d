//! Small socket and clock helpers (the setup path; I/O goes through the ring).
//! Sockets are made and configured with socket2 and held as `OwnedFd`
//! from creation to close.

use super::config::{io_err, ReactorError};
use super::handler::Nanos;
use socket2::{Domain, Protocol, SockRef, Socket, Type};
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, OwnedFd};
use std::time::{Duration, Instant};

/// Wall-clock now, nanoseconds since the Unix epoch (CLOCK_REALTIME: the
/// session clock, and the clock of our absolute linked timeouts).
pub(crate) fn now() -> Nanos {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
    ts.tv_sec * 1_000_000_000 + ts.tv_nsec
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

/// Binds and listens; returns the socket and the bound address.
pub(crate) fn listen(addr: SocketAddr, backlog: i32) -> io::Result<(OwnedFd, SocketAddr)> {
    let s = tcp_socket(&addr)?;
    s.set_reuse_address(true)?;
    s.bind(&addr.into())?;
    s.listen(backlog)?;
    let local = local_addr(&s)?;
    Ok((s.into(), local))
}

/// Bind retry pace while the address is in use.
const BIND_RETRY_EVERY: Duration = Duration::from_millis(50);

/// [`listen`], retrying for `retry` while the address is in use (one log
/// line when it first is).
pub(crate) fn listen_retrying(
    addr: SocketAddr,
    backlog: i32,
    retry: Duration,
) -> Result<(OwnedFd, SocketAddr), ReactorError> {
    let started = Instant::now();
    let mut logged = false;
    loop {
        match listen(addr, backlog) {
            Err(e) if e.kind() == io::ErrorKind::AddrInUse => {
                if started.elapsed() >= retry {
                    if retry.is_zero() {
                        return Err(io_err("listen")(e));
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
            Err(e) => return Err(io_err("listen")(e)),
            Ok(bound) => return Ok(bound),
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
