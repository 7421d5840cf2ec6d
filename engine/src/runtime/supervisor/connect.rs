//! One connection attempt of an initiator session: schedule, failover
//! address, TLS, the session core taken from its slot, the ring connect
//! linked to its timeout.

use std::net::{SocketAddr, ToSocketAddrs};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use super::{Tracked, MAX_WAIT, SCHEDULE_WAIT};
use crate::config::SessionConfig;
use crate::reactor::{self, ReactorHandle, TlsClient};
use crate::runtime::conn::Conn;
use crate::runtime::{sockets, Event, RuntimeError};
use crate::time::{MonoTime, Now};

/// Starts one connection attempt of an initiator session (or postpones
/// it: out of schedule, address not resolved).
pub(super) fn connect(
    t: &mut Tracked,
    reactors: &[ReactorHandle<Conn>],
    tx: &mpsc::Sender<Event>,
    now: Now,
) {
    let cfg = Arc::clone(&t.cfg);
    let Some(st) = &mut t.initiator else {
        return;
    };
    let ts = now;
    if !cfg.schedule.is_in_session(now.wall) {
        st.next_at = schedule_wait(&cfg, now);
        return;
    }
    let retry = now.mono + cfg.timing.reconnect_interval;
    let addr_idx = st.hosts.next(now.mono);
    let Some(hp) = cfg.network.connect.get(addr_idx) else {
        t.stopped = true;
        return;
    };
    let addr = match resolve(&hp.host, hp.port) {
        Ok(a) => a,
        Err(e) => {
            // An attempt at that address that failed.
            st.hosts.tried(addr_idx, now.mono);
            st.hosts.ended(false);
            tracing::warn!(session = %cfg.id, error = %e, "cannot resolve; retrying");
            st.next_at = retry;
            return;
        }
    };
    let Some(reactor) = reactors.get(t.reactor) else {
        t.stopped = true;
        return;
    };
    // Built per attempt: the name checked is this host unless SSLServerName
    // is set, and renewed certificate files are read.
    let tls = match cfg.tls.enabled.then(|| tls_client(&cfg, &hp.host)) {
        Some(Err(e)) => {
            tracing::error!(session = %cfg.id, error = %e, "TLS settings; stopping session");
            t.stopped = true;
            return;
        }
        Some(Ok(tls)) => Some(tls),
        None => None,
    };
    let taken = t.slot.lock().ok().and_then(|mut s| s.take());
    let Some(mut core) = taken else {
        return;
    };
    if !core.ha_ready() {
        // Hot standby: the takeover is not through yet (or undone).
        st.next_at = now.mono + MAX_WAIT;
        if let Ok(mut s) = t.slot.lock() {
            *s = Some(core);
        }
        return;
    }
    if let Err(e) = core.prepare(ts) {
        tracing::error!(session = %cfg.id, error = %e, "cannot prepare session; retrying");
        st.next_at = retry;
        if let Ok(mut s) = t.slot.lock() {
            *s = Some(core);
        }
        return;
    }
    let local = match sockets::source(
        cfg.network
            .connect_source
            .get(addr_idx)
            .and_then(Option::as_ref),
        addr,
    ) {
        Ok(l) => l,
        Err(e) => {
            tracing::warn!(session = %cfg.id, error = %e, "cannot resolve the source address; retrying");
            st.next_at = retry;
            if let Ok(mut s) = t.slot.lock() {
                *s = Some(core);
            }
            return;
        }
    };
    st.hosts.tried(addr_idx, now.mono);
    core.event(
        ts,
        "connecting",
        &format!("Connecting to {} on port {}", addr.ip(), addr.port()),
    );
    let conn = Conn::initiating(
        core,
        Arc::clone(&t.slot),
        tx.clone(),
        reactor.remote(),
        addr,
    );
    let spec = reactor::ConnectSpec {
        local,
        socket: sockets::options(&cfg.network),
        tls,
        ..reactor::ConnectSpec::new(
            addr,
            cfg.network
                .connect_timeout
                .unwrap_or(cfg.timing.logon_timeout),
        )
    };
    let connected = reactor.connect_with(spec, conn);
    match connected {
        Ok(()) => t.connected = true,
        Err(e) => {
            tracing::error!(session = %cfg.id, error = %e, "connect failed; stopping session");
            t.stopped = true;
        }
    }
}

/// The initiator's TLS for a connection to `host`; the handshake must end
/// within the logon timeout.
pub(super) fn tls_client(cfg: &SessionConfig, host: &str) -> Result<TlsClient, RuntimeError> {
    TlsClient::from_settings(&cfg.tls, host)
        .map(|t| t.with_handshake_timeout(cfg.timing.logon_timeout))
        .map_err(|source| RuntimeError::Tls {
            session: cfg.id.to_string(),
            source,
        })
}

pub(crate) fn resolve(host: &str, port: u16) -> Result<SocketAddr, RuntimeError> {
    (host, port)
        .to_socket_addrs()
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| RuntimeError::Resolve(format!("{host}:{port}")))
}

/// When to look again at a schedule that is out of session now: at its
/// next start by the wall clock, but within [`SCHEDULE_WAIT`] (the wall
/// clock may step meanwhile).
pub(super) fn schedule_wait(cfg: &SessionConfig, now: Now) -> MonoTime {
    let until = cfg
        .schedule
        .next_transition(now.wall)
        .map_or(SCHEDULE_WAIT, |next| {
            Duration::from_nanos(
                u64::try_from(next.as_nanos().saturating_sub(now.wall.as_nanos())).unwrap_or(0),
            )
        });
    now.mono + until.min(SCHEDULE_WAIT)
}
