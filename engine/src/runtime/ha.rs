//! Hot standby in the runtime: the node's [`HaNode`] and what the
//! supervisor does on its events. Only the leader of a session connects
//! (initiator) or listens (acceptor: a listener whose sessions are all
//! HA is bound only while this node leads one of them); a step-down closes
//! the connection without sending (the connection's gate sees the lease
//! gone) and hands the store back to the standby side.

use std::net::SocketAddr;
use std::sync::Arc;

use super::build::{store_id, store_options};
use super::core::Slot;
use super::RuntimeError;
use crate::config::{EngineConfig, SessionSettings};
use crate::ha::{HaEvent, HaNode, HaSessionSpec, SessionHa};
use crate::store::StoreFiles;

/// Binds an acceptor group's listener (again).
pub(crate) type Bind = Box<dyn Fn() -> Result<SocketAddr, RuntimeError> + Send>;

/// A listener that exists only while this node leads one of its sessions.
pub(crate) struct HaListener {
    /// Config indexes of its sessions (all HA).
    pub members: Vec<usize>,
    pub bind: Bind,
    pub reactor: usize,
    /// Where it is bound now.
    pub bound: Option<SocketAddr>,
}

/// The node and the map between its session indexes and the config's.
pub(crate) struct HaRuntime {
    pub node: HaNode,
    /// HA index -> config index.
    pub config_idx: Vec<usize>,
    pub listeners: Vec<HaListener>,
}

/// Per config index, the session's HA state (`None` without HA).
pub(crate) type PerSession = Vec<Option<Arc<SessionHa>>>;

/// Starts the node when the configuration enables HA.
pub(crate) fn start(
    config: &EngineConfig,
    tx: &std::sync::mpsc::Sender<super::Event>,
) -> Result<(Option<HaRuntime>, PerSession), RuntimeError> {
    let mut per_session = vec![None; config.sessions.len()];
    let Some(settings) = config.ha() else {
        return Ok((None, per_session));
    };
    let mut config_idx = Vec::new();
    let mut specs = Vec::new();
    for (i, s) in config.sessions.iter().enumerate() {
        if !s.ha.enabled {
            continue;
        }
        let Some(dir) = &s.store.file_store_path else {
            continue;
        };
        config_idx.push(i);
        specs.push(HaSessionSpec {
            name: s.id.to_string(),
            files: StoreFiles::new(dir, &store_id(&s.id)),
            options: store_options(s),
        });
    }
    let tls = replication_tls(config)?;
    let (node, events) = HaNode::start(settings, specs, tls)?;
    for (k, &i) in config_idx.iter().enumerate() {
        per_session[i] = node.sessions().get(k).cloned();
    }
    let tx = tx.clone();
    std::thread::Builder::new()
        .name("ringfix-ha-events".into())
        .spawn(move || {
            for e in events {
                if tx.send(super::Event::Ha(e)).is_err() {
                    return;
                }
            }
        })?;
    let rt = HaRuntime {
        node,
        config_idx,
        listeners: Vec::new(),
    };
    Ok((Some(rt), per_session))
}

/// TLS for the replication streams when the HA sessions' settings (from
/// `[DEFAULT]`) give a `ServerCertificateFile`.
fn replication_tls(
    config: &EngineConfig,
) -> Result<Option<crate::ha::ReplicationTls>, RuntimeError> {
    let Some(s) = config.sessions.iter().find(|s| s.ha.enabled) else {
        return Ok(None);
    };
    if s.tls.server_certificate_file.is_none() {
        return Ok(None);
    }
    crate::ha::ReplicationTls::from_settings(&s.tls)
        .map(Some)
        .map_err(|source| RuntimeError::Tls {
            session: s.id.to_string(),
            source,
        })
}

/// Whether a session may connect or listen now.
pub(crate) fn may_act(ha: Option<&Arc<SessionHa>>) -> bool {
    ha.is_none_or(|h| h.may_lead_now())
}

/// Publishes each session's hot standby role (`ha`, in config order) and
/// the engine's: `Standby` when every session is a hot standby one and this
/// node leads none of them (so `/health` answers 200 with that role).
pub(crate) fn publish_roles<'a>(
    w: &crate::stats::RoleWriter,
    ha: impl Iterator<Item = Option<&'a Arc<SessionHa>>>,
) {
    use crate::stats::{EngineRole, SessionHaRole};
    let mut standby_only = true;
    let mut any = false;
    for (i, h) in ha.enumerate() {
        any = true;
        let role = match h {
            None => SessionHaRole::None,
            Some(h) if h.token() != 0 => SessionHaRole::Leader,
            Some(_) => SessionHaRole::Standby,
        };
        standby_only &= role == SessionHaRole::Standby;
        w.set_session(i, role);
    }
    w.set_engine(if any && standby_only {
        EngineRole::Standby
    } else {
        EngineRole::Primary
    });
}

impl HaRuntime {
    /// The config index of HA session `k`.
    pub fn config_index(&self, k: usize) -> Option<usize> {
        self.config_idx.get(k).copied()
    }

    /// The HA index of config session `i`.
    pub fn ha_index(&self, i: usize) -> Option<usize> {
        self.config_idx.iter().position(|&c| c == i)
    }

    /// Binds or closes the HA listeners to match who leads now.
    pub fn sync_listeners(
        &mut self,
        leads: impl Fn(usize) -> bool,
        remove: impl Fn(usize, SocketAddr),
    ) {
        for l in &mut self.listeners {
            let want = l.members.iter().any(|&i| leads(i));
            match (want, l.bound) {
                (true, None) => match (l.bind)() {
                    Ok(addr) => {
                        tracing::info!(event = "ha_listening", %addr, "hot standby: leading: listening");
                        l.bound = Some(addr);
                    }
                    Err(e) => tracing::error!(error = %e, "hot standby: cannot listen"),
                },
                (false, Some(addr)) => {
                    tracing::info!(event = "ha_listener_closed", %addr, "hot standby: not leading: listener closed");
                    remove(l.reactor, addr);
                    l.bound = None;
                }
                _ => {}
            }
        }
    }
}

/// What the supervisor does with a session's core on an HA event.
pub(crate) fn on_event(
    e: &HaEvent,
    slot_of: impl Fn(usize) -> Option<(Slot, Arc<SessionSettings>)>,
    rt: &HaRuntime,
) -> Option<usize> {
    let now = crate::time::Now::read();
    match e {
        HaEvent::BecameLeader {
            session,
            token,
            raise_sender_by,
        } => {
            let i = rt.config_index(*session)?;
            let (slot, cfg) = slot_of(i)?;
            let mut guard = slot.lock().ok()?;
            let Some(core) = guard.as_mut() else {
                tracing::error!(session = %cfg.id, "hot standby: leading, but the session is busy");
                return Some(i);
            };
            if let Err(e) = core.lead(*token, *raise_sender_by, now) {
                tracing::error!(session = %cfg.id, error = %e, "hot standby: cannot open the replicated store");
            }
            Some(i)
        }
        HaEvent::SteppedDown { session, reason } => {
            let i = rt.config_index(*session)?;
            let (slot, _) = slot_of(i)?;
            let mut guard = slot.lock().ok()?;
            // Disconnected: hand the store back now. (Connected: woken,
            // the connection's gate closes it; the store goes back when
            // it ends.)
            if let Some(core) = guard.as_mut() {
                core.stand_by(now, reason);
                rt.node.released(*session);
            }
            Some(i)
        }
        HaEvent::Duplicate(name) => {
            tracing::error!(
                node = name,
                "hot standby: HaNodeName is live elsewhere: never leading"
            );
            None
        }
    }
}
