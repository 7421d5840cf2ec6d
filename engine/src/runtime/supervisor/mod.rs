//! Start-up (sessions, reactors, listeners) and the supervisor thread:
//! connects initiators (timeout, backoff with jitter, schedules), reacts
//! to session ends (`after_end`, `StopOnFatalError`), and stops
//! everything gracefully.

use std::net::SocketAddr;
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

pub(super) mod connect;

use connect::{connect, schedule_wait, tls_client};

use super::build::{DictCache, ValidatorSpec};
use super::conn::Conn;
use super::core::{Counters, SessionCore, Slot};
use super::hosts::Hosts;
use super::log::FileLog;
use super::xsend::XSlot;
use super::{AppFactory, Event, Exit, RuntimeError};
use crate::config::{
    after_end, AfterEnd, Backoff, EngineConfig, ReactorMode, Role, SessionConfig, SessionEnd,
    SessionId, SplitMix64,
};
use crate::reactor::{self, Mode, ReactorConfig, ReactorHandle};
use crate::time::{MonoTime, Now};

pub(crate) struct Started {
    pub tx: mpsc::Sender<Event>,
    pub listen: Vec<SocketAddr>,
    pub logon_guard: Arc<super::LogonGuardStats>,
    pub sessions: Vec<(SessionId, Arc<Counters>, Arc<XSlot>)>,
    pub thread: JoinHandle<Exit>,
    pub stats: Option<crate::stats::StatsPublisher>,
    pub reactors: Vec<reactor::Remote<Conn>>,
}

/// Longest supervisor sleep: bounds how late a reconnect can be.
const MAX_WAIT: Duration = Duration::from_millis(200);

/// Longest wait before looking at an out-of-session schedule again: a
/// wall clock step into the session is seen within it.
const SCHEDULE_WAIT: Duration = Duration::from_secs(1);

struct Initiator {
    backoff: Backoff,
    /// Next connection attempt (monotonic: backoff is not moved by a wall
    /// clock step).
    next_at: MonoTime,
    /// Which address the next attempt takes.
    hosts: Hosts,
    /// Addresses this round has yet to try (tried at once, one after
    /// the other).
    untried: usize,
    /// `DynamicSession=Y`: no attempt until the application asks
    /// ([`super::Runtime::connect_session`]).
    dormant: bool,
}

/// What the supervisor tracks of one session.
struct Tracked {
    cfg: Arc<SessionConfig>,
    slot: Slot,
    /// Index of the reactor that runs it.
    reactor: usize,
    /// `Some` for initiators.
    initiator: Option<Initiator>,
    connected: bool,
    stopped: bool,
    /// Hot standby state (HA sessions only).
    ha: Option<Arc<crate::ha::SessionHa>>,
}

struct Supervisor {
    rx: mpsc::Receiver<Event>,
    tx: mpsc::Sender<Event>,
    sessions: Vec<Tracked>,
    reactors: Vec<ReactorHandle<Conn>>,
    rng: SplitMix64,
    log: FileLog,
    /// Writers of the stats page's reactor slots, in `reactors` order.
    reactor_stats: Vec<crate::stats::ReactorStatsWriter>,
    /// `ReactorCore` of each reactor.
    cores: Vec<Option<usize>>,
    ha: Option<super::ha::HaRuntime>,
    /// Publishes hot standby roles to the stats page (`/health`).
    roles: Option<crate::stats::RoleWriter>,
}

pub(crate) fn start(config: &EngineConfig, apps: AppFactory) -> Result<Started, RuntimeError> {
    // Shared with the side threads that make sessions from templates.
    let apps = Arc::new(Mutex::new(apps));
    if config.sessions.is_empty() {
        return Err(RuntimeError::NoSession);
    }
    for s in config.sessions.iter() {
        if s.role == Role::Initiator && s.tls.enabled {
            // Bad TLS files fail the start, not the first connect.
            let host = s.network.connect.first().map_or("", |hp| hp.host.as_str());
            tls_client(s, host)?;
        }
    }
    for s in &config.sessions {
        super::build::check_secrets(s)?;
        if !s.network.nodelay || !s.network.reuse_address {
            tracing::warn!(
                session = %s.id,
                "SocketNodelay=N / SocketReuseAddress=N ignored: the reactor always sets both"
            );
        }
    }
    let now = Now::read();
    let (tx, rx) = mpsc::channel();
    let (mut ha, ha_of) = super::ha::start(config, &tx)?;
    let mut dicts = DictCache::default();
    let mut log = FileLog::new();
    let mut slots = Vec::new();
    let mut cfgs = Vec::new();
    let mut counters = Vec::new();
    let mut stats = super::stats::publisher(config, now.wall);
    let mut templates = Vec::new();
    for (i, s) in config.sessions.iter().enumerate() {
        let cfg = Arc::new(s.clone());
        let spec = ValidatorSpec::from_config(s, &mut dicts)?;
        if s.network.acceptor_template {
            // A template has no store or log: the sessions made from it do.
            templates.push(super::dynamic::Template {
                idx: i,
                cfg: Arc::clone(&cfg),
                spec,
                credentials: super::listen::credentials(s)?,
            });
            slots.push(Arc::new(Mutex::new(None)));
            cfgs.push(cfg);
            continue;
        }
        let sink = log.session(s);
        let ha_state = ha_of.get(i).cloned().flatten();
        let app = (*apps
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner))(s);
        let mut core = SessionCore::new(i, Arc::clone(&cfg), app, spec, sink, ha_state, now)?;
        if let Some(h) = &core.ha {
            // An acknowledgement wakes the connection to release output.
            h.set_waker(core.xslot.waker());
        }
        core.stats = stats.as_mut().and_then(|p| p.session(i));
        // The stored sequence numbers show before the first connection.
        core.stats_closed(now);
        counters.push((
            s.id.clone(),
            Arc::clone(&core.counters),
            Arc::clone(&core.xslot),
        ));
        slots.push(Arc::new(Mutex::new(Some(Box::new(core)))));
        cfgs.push(cfg);
    }
    log.start()?;
    let mut reactors = Vec::new();
    let mut reactor_of = vec![0; cfgs.len()];
    let logon_guard = Arc::new(super::LogonGuardStats::default());
    let started = spawn_reactors(config, &mut reactors, &mut reactor_of).and_then(|()| {
        let s = &logon_guard;
        let dynamic = super::listen::Dynamic { templates, apps };
        super::listen::listen(
            &cfgs,
            &slots,
            &reactors,
            &reactor_of,
            &tx,
            &ha_of,
            s,
            dynamic,
        )
    });
    let listen_addrs = match started {
        Ok((a, later)) => {
            if let Some(h) = ha.as_mut() {
                h.listeners = later;
            }
            a
        }
        Err(e) => {
            stop_reactors(reactors);
            return Err(e);
        }
    };
    let remotes = reactors.iter().map(|r| r.remote()).collect();
    let reactor_stats = stats.as_mut().map_or_else(Vec::new, |p| {
        (0..reactors.len()).filter_map(|i| p.reactor(i)).collect()
    });
    let cores = config.reactors().iter().map(|g| g.core).collect();
    let seed = now.wall.as_nanos() as u64 ^ u64::from(std::process::id());
    let mut sessions = cfgs
        .into_iter()
        .zip(slots)
        .zip(reactor_of)
        .map(|((cfg, slot), reactor)| Tracked {
            initiator: (cfg.role == Role::Initiator).then(|| Initiator {
                backoff: Backoff::from_timing(&cfg.timing),
                next_at: now.mono,
                hosts: Hosts::new(cfg.network.host_selection, cfg.network.connect.len()),
                untried: cfg.network.connect.len().saturating_sub(1),
                dormant: cfg.network.dynamic_session,
            }),
            cfg,
            slot,
            reactor,
            connected: false,
            stopped: false,
            ha: None,
        })
        .collect::<Vec<_>>();
    for (t, h) in sessions.iter_mut().zip(ha_of) {
        t.ha = h;
    }
    let sup = Supervisor {
        rx,
        tx: tx.clone(),
        sessions,
        reactors,
        rng: SplitMix64::new(seed),
        log,
        reactor_stats,
        cores,
        ha,
        roles: stats.as_ref().map(|p| p.roles()),
    };
    sup.publish_roles();
    let thread = std::thread::Builder::new()
        .name("ringfix-supervisor".into())
        .spawn(move || sup.run())?;
    Ok(Started {
        tx,
        listen: listen_addrs,
        logon_guard,
        sessions: counters,
        thread,
        stats,
        reactors: remotes,
    })
}

fn spawn_reactors(
    config: &EngineConfig,
    reactors: &mut Vec<ReactorHandle<Conn>>,
    reactor_of: &mut [usize],
) -> Result<(), RuntimeError> {
    for group in config.reactors() {
        let sessions = || {
            group
                .sessions
                .iter()
                .filter_map(|&i| config.sessions.get(i))
        };
        let max_queue = sessions()
            .map(|s| s.reactor.max_outbound_queue_bytes)
            .max()
            .unwrap_or(crate::config::DEFAULT_MAX_OUTBOUND_QUEUE_BYTES);
        let rc = ReactorConfig {
            mode: match group.mode {
                ReactorMode::Spin => Mode::Spin,
                ReactorMode::Block => Mode::Block,
            },
            core: group.core,
            max_connections: max_connections(group.sessions.len(), sessions()),
            max_outbound_queue_bytes: max_queue,
            outbound_calm: sessions()
                .map(|s| s.reactor.outbound_calm)
                .min()
                .unwrap_or(std::time::Duration::from_secs(1)),
            ..ReactorConfig::default()
        };
        let idx = reactors.len();
        reactors.push(reactor::spawn(rc)?);
        for &i in &group.sessions {
            if let Some(r) = reactor_of.get_mut(i) {
                *r = idx;
            }
        }
    }
    Ok(())
}

/// `MaxConnections` of a reactor: the largest its sessions set, else 4 per
/// session with [`DEFAULT_MAX_CONNECTIONS`](crate::config::DEFAULT_MAX_CONNECTIONS)
/// as the floor.
fn max_connections<'a>(count: usize, sessions: impl Iterator<Item = &'a SessionConfig>) -> usize {
    let set = sessions.filter_map(|s| s.reactor.max_connections).max();
    if let Some(max) = set.filter(|m| *m < count) {
        tracing::warn!(
            max,
            sessions = count,
            "MaxConnections is below the number of sessions on this reactor"
        );
    }
    set.unwrap_or_else(|| {
        count
            .saturating_mul(4)
            .max(crate::config::DEFAULT_MAX_CONNECTIONS)
    })
}

fn stop_reactors(reactors: Vec<ReactorHandle<Conn>>) {
    for r in &reactors {
        let _ = r.stop();
    }
    for r in reactors {
        if let Err(e) = r.join() {
            tracing::error!(error = %e, "reactor ended with an error");
        }
    }
}

impl Supervisor {
    fn run(mut self) -> Exit {
        let exit = self.supervise();
        tracing::info!(event = "engine_stopping", "stopping: logging out sessions");
        let remotes: Vec<_> = self.reactors.iter().map(|r| r.remote()).collect();
        stop_reactors(std::mem::take(&mut self.reactors));
        // The reactors' last counters.
        super::stats::publish_reactors(
            &mut self.reactor_stats,
            remotes.iter().map(|r| r.stats()),
            &self.cores,
        );
        let now = MonoTime::now();
        for t in &self.sessions {
            if let Ok(mut s) = t.slot.lock() {
                if let Some(core) = s.as_mut() {
                    if let Err(e) = crate::store::MessageStore::sync(core.session.store_mut(), now)
                    {
                        tracing::error!(error = %e, "store sync failed");
                    }
                }
                // Dropping the session closes (and flushes) its store.
                s.take();
            }
        }
        // After the sessions logged out and the stores closed: the lease
        // goes, so a standby takes over at once.
        if let Some(ha) = self.ha.take() {
            ha.node.stop();
        }
        self.log.stop();
        if self.log.dropped() > 0 {
            tracing::warn!(
                dropped = self.log.dropped(),
                "log records dropped (buffer full)"
            );
        }
        exit
    }

    fn supervise(&mut self) -> Exit {
        let any_acceptor = self.sessions.iter().any(|t| t.initiator.is_none());
        loop {
            super::stats::publish_reactors(
                &mut self.reactor_stats,
                self.reactors.iter().map(|r| r.stats()),
                &self.cores,
            );
            let now = Now::read();
            let mut next_wake = now.mono + MAX_WAIT;
            for t in &mut self.sessions {
                if t.stopped || t.connected || !super::ha::may_act(t.ha.as_ref()) {
                    continue;
                }
                let Some(next_at) = t
                    .initiator
                    .as_ref()
                    .filter(|i| !i.dormant)
                    .map(|i| i.next_at)
                else {
                    continue;
                };
                if next_at <= now.mono {
                    connect(t, &self.reactors, &self.tx, now);
                }
                if let Some(i) = &t.initiator {
                    if !t.connected {
                        next_wake = next_wake.min(i.next_at);
                    }
                }
            }
            let all_done = self
                .sessions
                .iter()
                .all(|t| t.initiator.is_none() || t.stopped);
            if !any_acceptor && all_done {
                return Exit::Clean;
            }
            let wait = next_wake.duration_since(now.mono);
            match self.rx.recv_timeout(wait) {
                Ok(Event::Stop) => return Exit::Clean,
                Ok(Event::Ha(e)) => self.on_ha(&e),
                Ok(Event::Connect { id, reply }) => {
                    let _ = reply.send(self.wake_dormant(&id));
                }
                Ok(Event::Ended {
                    idx,
                    end,
                    logged_on,
                }) => {
                    if let Some(exit) = self.ended(idx, end, logged_on) {
                        return exit;
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => return Exit::Clean,
            }
        }
    }

    /// `DynamicSession=Y`: the application asks for the session; it
    /// connects now. False when `id` names no initiator.
    fn wake_dormant(&mut self, id: &SessionId) -> bool {
        let Some(st) = self
            .sessions
            .iter_mut()
            .find(|t| t.cfg.id == *id)
            .and_then(|t| t.initiator.as_mut())
        else {
            return false;
        };
        if st.dormant {
            st.dormant = false;
            st.next_at = MonoTime::now();
            tracing::info!(session = %id, event = "dynamic_session_started", "DynamicSession: connecting on request");
        }
        true
    }

    /// Hot standby: a takeover opens the session (an initiator connects
    /// at once), a step-down closes it; listeners follow.
    fn on_ha(&mut self, e: &crate::ha::HaEvent) {
        tracing::debug!(event = "ha_event", ha = ?e, "hot standby: event");
        let Some(rt) = self.ha.as_mut() else { return };
        let sessions = &mut self.sessions;
        let touched = super::ha::on_event(
            e,
            |i| {
                sessions
                    .get(i)
                    .map(|t| (Arc::clone(&t.slot), Arc::clone(&t.cfg)))
            },
            rt,
        );
        if let Some(t) = touched.and_then(|i| sessions.get_mut(i)) {
            match e {
                crate::ha::HaEvent::BecameLeader { .. } => {
                    if let Some(st) = &mut t.initiator {
                        st.next_at = MonoTime::now();
                    }
                }
                crate::ha::HaEvent::SteppedDown { .. } if t.connected => {
                    // Its gate sees the lease gone and closes it.
                    if let Some(h) = &t.ha {
                        h.wake();
                    }
                }
                _ => {}
            }
        }
        let reactors = &self.reactors;
        rt.sync_listeners(
            |i| {
                sessions
                    .get(i)
                    .and_then(|t| t.ha.as_ref())
                    .is_some_and(|h| h.token() != 0)
            },
            |r, addr| {
                if let Some(r) = reactors.get(r) {
                    let _ = r.remove_listener(addr);
                }
            },
        );
        self.publish_roles();
    }

    /// Hot standby roles to the stats page (for `/health`).
    fn publish_roles(&self) {
        if let Some(w) = &self.roles {
            super::ha::publish_roles(w, self.sessions.iter().map(|t| t.ha.as_ref()));
        }
    }

    /// Hot standby: a session that ended while not leading goes back to
    /// the standby side.
    fn ha_ended(&mut self, idx: usize) {
        let (Some(rt), Some(t)) = (self.ha.as_ref(), self.sessions.get(idx)) else {
            return;
        };
        let Some(h) = t.ha.as_ref().filter(|h| h.token() == 0) else {
            return;
        };
        if let Ok(mut slot) = t.slot.lock() {
            if let Some(core) = slot.as_mut() {
                core.stand_by(Now::read(), "the connection closed after a step-down");
            }
        }
        if let Some(k) = rt.ha_index(idx) {
            rt.node.released(k);
        }
        let _ = h;
    }

    fn ended(&mut self, idx: usize, end: SessionEnd, logged_on: bool) -> Option<Exit> {
        self.ha_ended(idx);
        let t = self.sessions.get_mut(idx)?;
        t.connected = false;
        let cfg = &t.cfg;
        tracing::info!(session = %cfg.id, event = "session_ended", ?end, "session ended");
        match after_end(end, cfg.stop_on_fatal_error) {
            AfterEnd::Stop => {
                t.stopped = true;
                if end == SessionEnd::Fatal {
                    tracing::error!(
                        session = %cfg.id,
                        "fatal session error with StopOnFatalError=Y: stopping"
                    );
                    return Some(Exit::Fatal(cfg.id.clone()));
                }
            }
            AfterEnd::Reconnect => {
                let now = Now::read();
                if let Some(st) = &mut t.initiator {
                    let hosts = cfg.network.connect.len().max(1);
                    if logged_on {
                        st.backoff.on_logon();
                        st.untried = hosts - 1;
                    }
                    st.hosts.ended(logged_on);
                    // A round tries every address of the list at once (a
                    // hot standby pair: the live leader is found without
                    // an interval per dead host); the interval is between
                    // rounds.
                    let delay = if !logged_on && st.untried > 0 {
                        st.untried -= 1;
                        Duration::ZERO
                    } else {
                        st.untried = hosts - 1;
                        st.backoff.next_delay(&mut self.rng)
                    };
                    st.next_at = now.mono + delay;
                    if !cfg.schedule.is_in_session(now.wall) {
                        st.next_at = st.next_at.max(schedule_wait(cfg, now));
                    }
                    tracing::info!(
                        session = %cfg.id,
                        event = "reconnecting",
                        delay_ms = delay.as_millis() as u64,
                        "reconnecting"
                    );
                }
            }
        }
        None
    }
}
