//! Socket options from the session settings (QuickFIX's `Socket*` keys),
//! set with socket2 when a socket is made: on a listener before it
//! listens (accepted sockets inherit them from it), on an outbound socket
//! before it connects.

use crate::config::NetworkSettings;
use socket2::SockRef;
use std::io;
use std::net::IpAddr;
use std::time::Duration;

/// Options for every socket of a listener or one outbound connection.
/// `None`/`false`: the system default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SocketOptions {
    /// SO_SNDBUF (`SocketSendBufferSize`; the kernel doubles it).
    pub send_buffer_bytes: Option<usize>,
    /// SO_RCVBUF (`SocketReceiveBufferSize`; the kernel doubles it).
    pub recv_buffer_bytes: Option<usize>,
    /// SO_KEEPALIVE (`SocketKeepAlive`).
    pub keepalive: bool,
    /// SO_LINGER on with this timeout (`SocketLinger`, whole seconds).
    /// Zero makes every close a reset. A longer one is kept while the
    /// connection lives; ringfix flushes before it closes (bounded by the
    /// handler's deadline), and turns lingering off for its final close so
    /// that the reactor thread never blocks in it.
    pub linger: Option<Duration>,
    /// IP_TOS (IPv4) or IPV6_TCLASS (IPv6) (`SocketTrafficClass`).
    pub traffic_class: Option<u8>,
    /// SO_OOBINLINE (`SocketOobInline`): urgent data arrives in line with
    /// the stream instead of being dropped.
    pub oob_inline: bool,
    /// A send not completed within this is a disconnect
    /// ([`CloseReason::WriteTimeout`](super::CloseReason::WriteTimeout);
    /// `SocketSynchronousWrites` and `SocketSynchronousWriteTimeout`). Not
    /// a socket option: the reactor links each send to it.
    pub write_timeout: Option<Duration>,
}

impl SocketOptions {
    /// The options of a session's `Socket*` keys.
    pub fn from_settings(n: &NetworkSettings) -> Self {
        Self {
            send_buffer_bytes: n.send_buffer_size,
            recv_buffer_bytes: n.receive_buffer_size,
            keepalive: n.keepalive,
            linger: n.linger,
            traffic_class: n.traffic_class,
            oob_inline: n.oob_inline,
            write_timeout: n.synchronous_writes.then_some(n.synchronous_write_timeout),
        }
    }

    /// Sets every option given on `s` (a socket of family `v6` or not);
    /// the error names the option that failed.
    pub(crate) fn apply(&self, s: SockRef<'_>, v6: bool) -> Result<(), (&'static str, io::Error)> {
        let named = |what: &'static str| move |e: io::Error| (what, e);
        if let Some(n) = self.send_buffer_bytes {
            s.set_send_buffer_size(n).map_err(named("SO_SNDBUF"))?;
        }
        if let Some(n) = self.recv_buffer_bytes {
            s.set_recv_buffer_size(n).map_err(named("SO_RCVBUF"))?;
        }
        if self.keepalive {
            s.set_keepalive(true).map_err(named("SO_KEEPALIVE"))?;
        }
        if let Some(d) = self.linger {
            s.set_linger(Some(d)).map_err(named("SO_LINGER"))?;
        }
        if self.oob_inline {
            s.set_out_of_band_inline(true)
                .map_err(named("SO_OOBINLINE"))?;
        }
        if let Some(tc) = self.traffic_class {
            if v6 {
                s.set_tclass_v6(u32::from(tc))
                    .map_err(named("IPV6_TCLASS"))?;
            } else {
                s.set_tos_v4(u32::from(tc)).map_err(named("IP_TOS"))?;
            }
        }
        Ok(())
    }

    /// A linger the final close must turn off (see [`Self::linger`]).
    pub(crate) fn lingers(&self) -> bool {
        self.linger.is_some_and(|d| !d.is_zero())
    }
}

/// Who may connect to a listener (`AllowedRemoteAddresses`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AllowedPeers(Vec<IpAddr>);

impl AllowedPeers {
    /// These addresses only (an IPv4 address also matches its IPv4-mapped
    /// IPv6 form).
    pub fn new(addrs: impl IntoIterator<Item = IpAddr>) -> Self {
        Self(addrs.into_iter().map(|a| a.to_canonical()).collect())
    }

    /// Whether `peer` is one of them.
    pub fn allows(&self, peer: IpAddr) -> bool {
        self.0.contains(&peer.to_canonical())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mapped_addresses_match_their_ipv4_form() {
        let a = AllowedPeers::new(["127.0.0.2".parse().unwrap(), "::1".parse().unwrap()]);
        assert!(a.allows("127.0.0.2".parse().unwrap()));
        assert!(a.allows("::ffff:127.0.0.2".parse().unwrap()));
        assert!(a.allows("::1".parse().unwrap()));
        assert!(!a.allows("127.0.0.1".parse().unwrap()));
    }
}
