//! The acceptor listeners: one per address, its sessions routed by the
//! first message; with hot standby, an address whose sessions are all HA
//! is bound only while this node leads one of them.

use std::net::SocketAddr;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use super::build::frame_checks;
use super::conn::{Conn, ListenerTable};
use super::core::Slot;
use super::guard::LogonGuard;
use super::sockets;
use super::supervisor::connect::resolve;
use super::{Event, RuntimeError};
use crate::config::{Credentials, Role, SessionConfig};
use crate::reactor::{self, ReactorHandle, TlsServer};
use crate::session::Router;
use crate::time::Now;
use ringfix_codec::FrameChecks;

/// SocketAcceptHost, SocketAcceptPort.
type ListenKey = (Option<String>, u16);

/// The `AcceptorTemplate` sessions and what makes sessions from them.
pub(super) struct Dynamic {
    pub templates: Vec<super::dynamic::Template>,
    pub apps: Arc<std::sync::Mutex<super::AppFactory>>,
}

/// A session's `LogonCredentialsFile`, loaded.
pub(super) fn credentials(c: &SessionConfig) -> Result<Option<Arc<Credentials>>, RuntimeError> {
    let Some(p) = &c.security.logon_credentials_file else {
        return Ok(None);
    };
    let loaded = Credentials::load(p).map_err(|source| RuntimeError::Secrets {
        session: c.id.to_string(),
        source,
    })?;
    Ok(Some(Arc::new(loaded)))
}

/// One listener per acceptor address; its sessions are served by the
/// reactor of the first of them. With hot standby, an address whose
/// sessions are all HA is bound only while this node leads one of them:
/// those come back unbound, to bind later.
#[allow(clippy::too_many_arguments)]
pub(super) fn listen(
    cfgs: &[Arc<SessionConfig>],
    slots: &[Slot],
    reactors: &[ReactorHandle<Conn>],
    reactor_of: &[usize],
    tx: &mpsc::Sender<Event>,
    ha_of: &[Option<Arc<crate::ha::SessionHa>>],
    guard_stats: &Arc<super::LogonGuardStats>,
    dynamic: Dynamic,
) -> Result<(Vec<SocketAddr>, Vec<super::ha::HaListener>), RuntimeError> {
    let mut groups: Vec<(ListenKey, Vec<usize>)> = Vec::new();
    for (i, c) in cfgs.iter().enumerate() {
        if c.role != Role::Acceptor {
            continue;
        }
        let key = (
            c.network.accept_host.clone(),
            c.network.accept_port.unwrap_or(0),
        );
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    // Password checks and sessions made from templates run on side
    // threads, never on a reactor: two (one on a single CPU) serve every
    // listener.
    let side = cfgs
        .iter()
        .any(|c| {
            c.role == Role::Acceptor
                && (c.security.logon_credentials_file.is_some() || c.network.acceptor_template)
        })
        .then(|| {
            let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
            super::side::SideWorkers::start(cpus.min(2))
        })
        .transpose()?;
    let registry = (!dynamic.templates.is_empty())
        .then(|| Arc::new(super::dynamic::DynamicSessions::new(dynamic.apps)));
    let mut templates: Vec<Option<Arc<super::dynamic::Template>>> = Vec::new();
    for t in dynamic.templates {
        let i = t.idx;
        if templates.len() <= i {
            templates.resize_with(i + 1, || None);
        }
        if let Some(x) = templates.get_mut(i) {
            *x = Some(Arc::new(t));
        }
    }
    let mut addrs = Vec::new();
    let mut later = Vec::new();
    for ((host, port), members) in groups {
        let host = host.unwrap_or_else(|| "0.0.0.0".into());
        let addr = resolve(&host, port)?;
        let mut router = Router::new();
        let mut table_slots = Vec::new();
        let mut credentials = Vec::new();
        let mut group_templates = Vec::new();
        let mut logon_timeout = 0i64;
        let mut bind_retry = Duration::ZERO;
        // Frame leniently enough for every session here; the first
        // message is checked again against its own session's checks.
        let mut checks = FrameChecks::ALL;
        // One value per address (the config checks that they agree).
        let mut max_failed = 0;
        for &i in &members {
            let (Some(c), Some(slot)) = (cfgs.get(i), slots.get(i)) else {
                continue;
            };
            if let Some(t) = templates.get(i).and_then(Option::as_ref) {
                group_templates.push(Arc::clone(t));
            } else {
                router.add(
                    &c.id.begin_string,
                    &c.id.sender_comp_id,
                    &c.id.target_comp_id,
                );
                table_slots.push(Arc::clone(slot));
                credentials.push(self::credentials(c)?);
            }
            let t = i64::try_from(c.timing.logon_timeout.as_nanos()).unwrap_or(i64::MAX);
            logon_timeout = logon_timeout.max(t);
            bind_retry = bind_retry.max(c.network.accept_retry_timeout);
            checks = checks.union_lenient(frame_checks(c));
            max_failed = c.security.max_failed_logons_per_minute;
        }
        let log_not_found = members
            .iter()
            .filter_map(|&i| cfgs.get(i))
            .any(|c| c.network.log_message_when_session_not_found)
            .then(|| {
                let tags = members
                    .iter()
                    .filter_map(|&i| cfgs.get(i))
                    .flat_map(|c| c.security.redact.tags().iter().copied());
                ringfix_codec::redact::Redaction::new(tags.collect::<Vec<_>>())
            });
        let table = Arc::new(ListenerTable {
            log_not_found,
            router,
            slots: table_slots,
            logon_timeout,
            checks,
            guard: LogonGuard::new(max_failed, Arc::clone(guard_stats)),
            credentials,
            side: side.clone(),
            templates: group_templates,
            dynamic: registry.clone(),
        });
        let reactor_idx = members
            .first()
            .and_then(|&i| reactor_of.get(i))
            .copied()
            .ok_or(RuntimeError::NoSession)?;
        let remote = reactors
            .get(reactor_idx)
            .ok_or(RuntimeError::NoSession)?
            .remote();
        // SocketUseSSL is the same for every session on an address (config).
        let tls = members
            .first()
            .and_then(|&i| cfgs.get(i))
            .filter(|c| reactor::acceptor_uses_tls(&c.tls))
            .map(|c| {
                TlsServer::from_settings(&c.tls)
                    .map(|t| t.with_handshake_timeout(c.timing.logon_timeout))
                    .map_err(|source| RuntimeError::Tls {
                        session: c.id.to_string(),
                        source,
                    })
            })
            .transpose()?;
        // The config checked that the sessions on one address agree on
        // its socket options and on whether AllowedRemoteAddresses is set.
        let first = members.first().and_then(|&i| cfgs.get(i));
        let spec = reactor::ListenSpec {
            bind_retry,
            socket: first
                .map(|c| sockets::options(&c.network))
                .unwrap_or_default(),
            allowed: sockets::allowed_peers(
                members.iter().filter_map(|&i| cfgs.get(i)).map(|c| &**c),
            )?,
            tls,
            ..reactor::ListenSpec::new(addr)
        };
        let tx = tx.clone();
        let bind: super::ha::Bind = Box::new(move || {
            let (tx, conn_remote, table) = (tx.clone(), remote.clone(), Arc::clone(&table));
            let factory: reactor::Factory<Conn> = Box::new(move |info| {
                if !table.guard.admit(info.peer.map(|a| a.ip()), Instant::now()) {
                    return None;
                }
                Some(Conn::accepted(
                    Arc::clone(&table),
                    Now::read(),
                    tx.clone(),
                    conn_remote.clone(),
                    info,
                ))
            });
            Ok(remote.listen(spec.clone(), factory)?)
        });
        if members
            .iter()
            .all(|&i| ha_of.get(i).is_some_and(Option::is_some))
        {
            later.push(super::ha::HaListener {
                members,
                bind,
                reactor: reactor_idx,
                bound: None,
            });
            continue;
        }
        let local = bind()?;
        tracing::info!(event = "listening", %local, sessions = members.len(), "listening");
        addrs.push(local);
    }
    Ok((addrs, later))
}
