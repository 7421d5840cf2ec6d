//! Small socket and clock helpers (the setup path; I/O goes through the ring).
//! Sockets are made and configured with socket2 and held as `OwnedFd`
//! from creation to close.

use super::handler::Nanos;
use socket2::{Domain, Protocol, SockRef, Socket, Type};
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsFd, OwnedFd};

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
