//! Small socket and clock helpers (the setup path; I/O goes through the ring).

use super::handler::{MonoTime, Nanos, Now};
use std::io;
use std::mem::{size_of, zeroed};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::fd::RawFd;

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

/// A socket address in kernel form.
#[derive(Clone, Copy)]
pub(crate) struct RawAddr {
    pub(crate) storage: libc::sockaddr_storage,
    pub(crate) len: libc::socklen_t,
}

impl RawAddr {
    pub(crate) fn empty() -> Self {
        Self {
            storage: unsafe { zeroed() },
            len: 0,
        }
    }

    pub(crate) fn from_std(addr: SocketAddr) -> Self {
        let mut raw = Self::empty();
        match addr {
            SocketAddr::V4(a) => {
                let sin = libc::sockaddr_in {
                    sin_family: libc::AF_INET as libc::sa_family_t,
                    sin_port: a.port().to_be(),
                    sin_addr: libc::in_addr {
                        s_addr: u32::from_ne_bytes(a.ip().octets()),
                    },
                    sin_zero: [0; 8],
                };
                unsafe {
                    std::ptr::write(&mut raw.storage as *mut _ as *mut libc::sockaddr_in, sin)
                };
                raw.len = size_of::<libc::sockaddr_in>() as libc::socklen_t;
            }
            SocketAddr::V6(a) => {
                let sin6 = libc::sockaddr_in6 {
                    sin6_family: libc::AF_INET6 as libc::sa_family_t,
                    sin6_port: a.port().to_be(),
                    sin6_flowinfo: a.flowinfo(),
                    sin6_addr: libc::in6_addr {
                        s6_addr: a.ip().octets(),
                    },
                    sin6_scope_id: a.scope_id(),
                };
                unsafe {
                    std::ptr::write(&mut raw.storage as *mut _ as *mut libc::sockaddr_in6, sin6)
                };
                raw.len = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
            }
        }
        raw
    }

    pub(crate) fn to_std(self) -> Option<SocketAddr> {
        match i32::from(self.storage.ss_family) {
            libc::AF_INET => {
                let sin: libc::sockaddr_in = unsafe {
                    std::ptr::read(&self.storage as *const _ as *const libc::sockaddr_in)
                };
                let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
                Some(SocketAddr::V4(SocketAddrV4::new(
                    ip,
                    u16::from_be(sin.sin_port),
                )))
            }
            libc::AF_INET6 => {
                let s: libc::sockaddr_in6 = unsafe {
                    std::ptr::read(&self.storage as *const _ as *const libc::sockaddr_in6)
                };
                let ip = Ipv6Addr::from(s.sin6_addr.s6_addr);
                Some(SocketAddr::V6(SocketAddrV6::new(
                    ip,
                    u16::from_be(s.sin6_port),
                    s.sin6_flowinfo,
                    s.sin6_scope_id,
                )))
            }
            _ => None,
        }
    }
}

fn cvt(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

/// A new TCP socket for `addr`'s family, close-on-exec.
pub(crate) fn tcp_socket(addr: &SocketAddr) -> io::Result<RawFd> {
    let family = if addr.is_ipv4() {
        libc::AF_INET
    } else {
        libc::AF_INET6
    };
    cvt(unsafe { libc::socket(family, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0) })
}

/// Sets an integer socket option.
pub(crate) fn set_int_opt(fd: RawFd, level: i32, name: i32, value: i32) -> io::Result<()> {
    cvt(unsafe {
        libc::setsockopt(
            fd,
            level,
            name,
            (&value as *const i32).cast(),
            size_of::<i32>() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// Disables Nagle: FIX messages are small and latency matters.
pub(crate) fn set_nodelay(fd: RawFd) -> io::Result<()> {
    set_int_opt(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY, 1)
}

/// Binds and listens; returns the fd and the bound address.
pub(crate) fn listen(addr: SocketAddr, backlog: i32) -> io::Result<(RawFd, SocketAddr)> {
    let fd = tcp_socket(&addr)?;
    let res = (|| {
        set_int_opt(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR, 1)?;
        let raw = RawAddr::from_std(addr);
        cvt(unsafe {
            libc::bind(
                fd,
                (&raw.storage as *const libc::sockaddr_storage).cast(),
                raw.len,
            )
        })?;
        cvt(unsafe { libc::listen(fd, backlog) })?;
        let local = local_addr(fd)?;
        Ok(local)
    })();
    match res {
        Ok(local) => Ok((fd, local)),
        Err(e) => {
            unsafe { libc::close(fd) };
            Err(e)
        }
    }
}

fn name_of(fd: RawFd, peer: bool) -> io::Result<SocketAddr> {
    let mut raw = RawAddr::empty();
    raw.len = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
    let p = (&mut raw.storage as *mut libc::sockaddr_storage).cast();
    cvt(unsafe {
        if peer {
            libc::getpeername(fd, p, &mut raw.len)
        } else {
            libc::getsockname(fd, p, &mut raw.len)
        }
    })?;
    raw.to_std()
        .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidData))
}

/// The socket's local address.
pub(crate) fn local_addr(fd: RawFd) -> io::Result<SocketAddr> {
    name_of(fd, false)
}

/// The socket's peer address.
pub(crate) fn peer_addr(fd: RawFd) -> io::Result<SocketAddr> {
    name_of(fd, true)
}

/// SO_LINGER {on, 0}: close resets and drops unsent bytes. Static so the
/// ring can read it whenever it prepares the SetSockOpt.
pub(crate) static LINGER_ZERO: libc::linger = libc::linger {
    l_onoff: 1,
    l_linger: 0,
};
