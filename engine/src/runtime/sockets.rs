//! Session socket settings -> the reactor's listen and connect specs:
//! socket options, the initiator's local address, who may connect.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, ToSocketAddrs};

use super::RuntimeError;
use crate::config::{NetworkSettings, SessionSettings, SourceAddress};
use crate::reactor::{AllowedPeers, SocketOptions};

/// The `Socket*` options of a session.
pub(crate) fn options(n: &NetworkSettings) -> SocketOptions {
    SocketOptions::from_settings(n)
}

/// Every peer address the sessions of one listener allow
/// (`AllowedRemoteAddresses`, names resolved now); `None` when they do
/// not restrict (the config has checked that all of them set it or none).
pub(crate) fn allowed_peers<'a>(
    sessions: impl Iterator<Item = &'a SessionSettings>,
) -> Result<Option<AllowedPeers>, RuntimeError> {
    let mut ips = Vec::new();
    let mut restricted = false;
    for s in sessions {
        let Some(list) = &s.network.allowed_remote_addresses else {
            continue;
        };
        restricted = true;
        for host in list {
            match host.parse::<IpAddr>() {
                Ok(ip) => ips.push(ip),
                Err(_) => {
                    let resolved = (host.as_str(), 0).to_socket_addrs().map_err(|_| {
                        RuntimeError::Resolve(format!("{host} (AllowedRemoteAddresses)"))
                    })?;
                    ips.extend(resolved.map(|a| a.ip()));
                }
            }
        }
    }
    Ok(restricted.then(|| AllowedPeers::new(ips)))
}

/// The local address an initiator binds before connecting to `peer`
/// (`SocketConnectSourceHost`/`SocketLocalHost` and their ports), of the
/// peer's address family.
pub(crate) fn source(
    src: Option<&SourceAddress>,
    peer: SocketAddr,
) -> Result<Option<SocketAddr>, RuntimeError> {
    let Some(src) = src else {
        return Ok(None);
    };
    let Some(host) = &src.host else {
        let any = if peer.is_ipv4() {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        } else {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        };
        return Ok(Some(SocketAddr::new(any, src.port)));
    };
    let addrs: Vec<SocketAddr> = (host.as_str(), src.port)
        .to_socket_addrs()
        .map_err(|_| RuntimeError::Resolve(format!("{host} (SocketConnectSourceHost)")))?
        .collect();
    addrs
        .iter()
        .find(|a| a.is_ipv4() == peer.is_ipv4())
        .or(addrs.first())
        .copied()
        .map(Some)
        .ok_or_else(|| RuntimeError::Resolve(format!("{host} (SocketConnectSourceHost)")))
}
