//! One configured session with everything it runs with: state machine,
//! store, application, log, schedule. Owned by whoever drives it: its slot
//! while disconnected, the connection handler while connected.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::app::{AppIo, EngineApp, Observed, Tap};
use super::build::{open_ha_store, open_store, session_settings, ValidatorSpec};
use super::log::LogSink;
use super::outbox::{for_each, Outbox};
use super::store::RuntimeStore;
use super::RuntimeError;
use crate::config::{self, SessionEnd};
use crate::reactor::probe::{self, LatencyProbe};
use crate::session::{Close, Disposition, Incoming, LogoutReason, Session};
use crate::store::{MessageStore, UtcTimestamp};

/// Live counters of one session, readable from any thread.
#[derive(Debug, Default)]
pub struct Counters {
    /// Complete messages received.
    pub messages_in: AtomicU64,
    /// New messages sent (resends not counted).
    pub messages_out: AtomicU64,
    /// Next MsgSeqNum we send.
    pub next_sender_seq: AtomicU64,
    /// Next MsgSeqNum expected.
    pub next_target_seq: AtomicU64,
    /// Logons completed.
    pub logons: AtomicU64,
    /// The engine's own time per answered message: from the reactor
    /// reaping the message to the answer queued for sending (probe ticks).
    pub internal_latency: LatencyProbe,
    /// Store upkeep steps done in the reactor's idle time (probe ticks each).
    pub store_upkeep: LatencyProbe,
    /// Store syncs run from a deadline (fsync policy, or upkeep fallen
    /// behind), on the reactor thread (probe ticks each).
    pub store_sync: LatencyProbe,
    /// The largest of those store steps, idle or from a deadline (probe
    /// ticks, exact): what one step of upkeep can delay a message by.
    pub store_step_max: AtomicU64,
}

/// Where a disconnected session waits (the handler takes it out while
/// connected: an empty slot means "already connected").
pub(crate) type Slot = Arc<Mutex<Option<Box<SessionCore>>>>;

/// A session event the core forwards to the state machine.
pub(crate) enum Ev<'m, 'a> {
    Connected,
    Message(&'m Incoming<'a>),
    Garbled,
    Timer,
    Logout,
    /// A Logout with this Text (58).
    LogoutText(&'m str),
    /// Records queued by [`SessionHandle`](super::SessionHandle)s.
    Queued(&'m [u8]),
}

pub(crate) struct SessionCore {
    pub idx: usize,
    pub cfg: Arc<config::SessionSettings>,
    pub name: Arc<str>,
    pub session: Session<RuntimeStore>,
    pub app: Box<dyn EngineApp>,
    spec: Option<ValidatorSpec>,
    pub log: Option<LogSink>,
    pub counters: Arc<Counters>,
    pub outbox: Arc<Outbox>,
    /// Writer of this session's live statistics slot (see `stats.rs`).
    pub stats: Option<crate::stats::SessionStats>,
    pub seen: Observed,
    /// Cached next schedule transition (ns), `None` for non-stop.
    pub schedule_at: Option<i64>,
    /// The runtime is stopping: the end is requested, not a failure.
    pub stop_requested: bool,
    /// The schedule ended the connection.
    pub schedule_ended: bool,
    /// A rebuild failed: the session holds a placeholder store.
    degraded: bool,
    /// Hot standby: the session's leadership and replication state.
    pub ha: Option<Arc<crate::ha::SessionHa>>,
    /// Hot standby: output waiting for the standby's acknowledgement (or
    /// the async window), and the last record it depends on.
    pub held: Vec<u8>,
    pub held_rid: u64,
}

impl SessionCore {
    pub fn new(
        idx: usize,
        cfg: Arc<config::SessionSettings>,
        app: Box<dyn EngineApp>,
        spec: Option<ValidatorSpec>,
        log: Option<LogSink>,
        ha: Option<Arc<crate::ha::SessionHa>>,
        now: UtcTimestamp,
    ) -> Result<Self, RuntimeError> {
        let store = match &ha {
            // A standby placeholder, even if this node already won: the
            // takeover event opens the store (and raises, and tells the
            // application) exactly once.
            Some(_) => RuntimeStore::Memory(crate::store::MemoryStore::new(now), false),
            None => open_store(&cfg, now)?,
        };
        let validator = spec.as_ref().map(ValidatorSpec::build).transpose()?;
        let session = Session::new(session_settings(&cfg), store, validator);
        let core = Self {
            idx,
            name: cfg.id.to_string().into(),
            cfg,
            session,
            app,
            spec,
            log,
            counters: Arc::new(Counters::default()),
            outbox: Arc::new(Outbox::default()),
            stats: None,
            seen: Observed::default(),
            schedule_at: None,
            stop_requested: false,
            schedule_ended: false,
            degraded: false,
            ha,
            held: Vec::new(),
            held_rid: 0,
        };
        core.publish();
        Ok(core)
    }

    fn publish(&self) {
        let c = &self.counters;
        c.next_sender_seq
            .store(self.session.next_sender_seq(), Ordering::Relaxed);
        c.next_target_seq
            .store(self.session.next_target_seq(), Ordering::Relaxed);
    }

    /// Logs an event line (and a tracing event).
    pub fn event(&self, now: UtcTimestamp, text: &str) {
        tracing::info!(session = &*self.name, "{text}");
        if let Some(log) = &self.log {
            log.event(now, text);
        }
    }

    /// Before a connection: the QuickFIX schedule reset (a store created
    /// outside the current period starts over), fresh per-connection flags.
    pub fn prepare(&mut self, now: UtcTimestamp) -> Result<(), RuntimeError> {
        self.seen = Observed::default();
        self.stop_requested = false;
        self.schedule_ended = false;
        if self.degraded {
            self.rebuild(now, false)?;
        }
        let schedule = &self.cfg.schedule;
        self.schedule_at = schedule.next_transition(now).map(|t| t.as_nanos());
        let created = self.session.store().creation_time();
        if !schedule.is_non_stop() && !schedule.same_period(created, now) {
            if let Some(log) = &self.log {
                // A new period starts new log files (FileLogBackupPath).
                log.backup(now);
            }
            self.event(now, "Session reset: store created in an earlier period");
            self.rebuild(now, true)?;
        } else if self.cfg.reset.refresh_on_logon && self.session.store().is_file() {
            // RefreshOnLogon: sequence numbers and messages as on disk.
            self.rebuild(now, false)?;
        }
        Ok(())
    }

    /// Replaces the session by a fresh one over its store reopened from
    /// disk (a file store's lock passes from the old to the new), reset
    /// first when `reset`.
    fn rebuild(&mut self, now: UtcTimestamp, reset: bool) -> Result<(), RuntimeError> {
        if self.session.store().is_file() {
            // The old store (and its lock) must be gone before reopening:
            // a memory placeholder stands in until the reopen succeeds.
            let placeholder = RuntimeStore::Memory(crate::store::MemoryStore::new(now), false);
            drop(std::mem::replace(
                &mut self.session,
                Session::new(session_settings(&self.cfg), placeholder, None),
            ));
            self.degraded = true;
        }
        let mut store = match &self.ha {
            Some(ha) => open_ha_store(&self.cfg, ha, now)?,
            None => open_store(&self.cfg, now)?,
        };
        if reset {
            store.reset(now).map_err(|e| RuntimeError::Store {
                session: self.name.to_string(),
                source: e,
            })?;
        }
        let validator = self.spec.as_ref().map(ValidatorSpec::build).transpose()?;
        self.session = Session::new(session_settings(&self.cfg), store, validator);
        self.degraded = false;
        if reset {
            self.app.on_reset(self.session.settings());
        }
        self.publish();
        Ok(())
    }

    /// Hot standby: this node now leads the session. Opens the replicated
    /// store (async mode: the next sender number raised by `raise`, past
    /// every number the old leader may have used) and tells the
    /// application.
    pub fn lead(&mut self, token: u64, raise: u64, now: UtcTimestamp) -> Result<(), RuntimeError> {
        self.held.clear();
        let Some(ha) = self.ha.clone() else {
            return Ok(());
        };
        let t0 = std::time::Instant::now();
        let mut store = open_ha_store(&self.cfg, &ha, now)?;
        tracing::info!(
            session = &*self.name,
            ms = t0.elapsed().as_millis() as u64,
            "hot standby: store opened"
        );
        if raise > 0 {
            let next = store.next_sender_seq().saturating_add(raise);
            store
                .set_next_sender_seq(next)
                .map_err(|e| RuntimeError::Store {
                    session: self.name.to_string(),
                    source: e,
                })?;
        }
        // A new session over the store (it reads its sequence numbers at
        // creation), with the validator built at start.
        let validator = self.session.take_validator();
        self.session = Session::new(session_settings(&self.cfg), store, validator);
        self.degraded = false;
        self.event(
            now,
            &format!(
                "Hot standby: leading (fencing token {token}), next sender MsgSeqNum {} (raised by {raise}), next target {}",
                self.session.next_sender_seq(),
                self.session.next_target_seq()
            ),
        );
        self.app.on_became_leader(token, self.session.store());
        self.publish();
        Ok(())
    }

    /// May this session connect or accept now? Always without HA; with
    /// HA only while it holds the replicated store and the lease.
    pub fn ha_ready(&self) -> bool {
        self.ha
            .as_ref()
            .is_none_or(|ha| self.session.store().is_replicated() && ha.may_lead_now())
    }

    /// Hot standby: this node no longer leads; the store goes back to the
    /// standby side (a placeholder stands in).
    pub fn stand_by(&mut self, now: UtcTimestamp, why: &str) {
        let placeholder = RuntimeStore::Memory(crate::store::MemoryStore::new(now), false);
        // Dropping the replicated store closes the file store (its lock).
        let validator = self.session.take_validator();
        drop(std::mem::replace(
            &mut self.session,
            Session::new(session_settings(&self.cfg), placeholder, validator),
        ));
        self.held.clear();
        self.event(now, &format!("Hot standby: standing by ({why})"));
    }

    /// Feeds one event to the session, then lets the application poll.
    pub fn handle(&mut self, ev: Ev<'_, '_>, now: UtcTimestamp, out: &mut Vec<u8>) -> Disposition {
        let start = out.len();
        let connected = matches!(ev, Ev::Connected);
        let before = self.session.next_sender_seq();
        self.app.set_now(now);
        let mut tap = Tap {
            app: &mut *self.app,
            seen: &mut self.seen,
            log: self.log.as_ref(),
            name: &self.name,
            now,
        };
        let was_logged_on = tap.seen.logged_on;
        let mut d = match ev {
            Ev::Connected => self.session.connected(now, out, &mut tap),
            Ev::Message(m) => self.session.on_message(m, now, out, &mut tap),
            Ev::Garbled => self.session.on_garbled(now),
            Ev::Timer => self.session.on_timer(now, out, &mut tap),
            Ev::Logout => self.session.logout(None, now, out, &mut tap),
            Ev::LogoutText(text) => self.session.logout(Some(text), now, out, &mut tap),
            Ev::Queued(records) => {
                let session = &mut self.session;
                for_each(records, |msg_type, fields| {
                    let sent = session.send(
                        msg_type,
                        &[],
                        |w| {
                            for (tag, v) in &mut *fields {
                                w.field(tag, v);
                            }
                        },
                        now,
                        out,
                    );
                    if let Err(e) = sent {
                        tracing::warn!(error = %e, "queued message not sent");
                    }
                });
                super::xsend::drain_into(&self.outbox.xslot, session, now, out);
                // Only the disposition (a store failure above closes).
                self.session.on_garbled(now)
            }
        };
        if !d.is_close() && self.session.is_logged_on() {
            let mut logout = false;
            let mut io = AppIo {
                session: &mut self.session,
                out,
                now,
                logout: &mut logout,
            };
            tap.app.poll(&mut io);
            d = if logout {
                self.session.logout(None, now, out, &mut tap)
            } else {
                // on_garbled only reports the disposition (a store failure
                // in a send above closes).
                self.session.on_garbled(now)
            };
        }
        if !was_logged_on && self.seen.logged_on {
            self.counters.logons.fetch_add(1, Ordering::Relaxed);
            self.outbox.set_logged_on(true);
        }
        let sent = self.session.next_sender_seq().saturating_sub(before);
        if sent > 0 {
            self.counters
                .messages_out
                .fetch_add(sent, Ordering::Relaxed);
        }
        self.publish();
        if let Some(log) = &self.log {
            log_frames(log, now, out.get(start..).unwrap_or(&[]));
        }
        self.stats_after(connected, out.get(start..).unwrap_or(&[]), now);
        d
    }

    /// A complete inbound frame arrived (counted and logged).
    pub fn received(&mut self, now: UtcTimestamp, frame: &[u8]) {
        self.counters.messages_in.fetch_add(1, Ordering::Relaxed);
        self.stats_inbound(frame, now);
        if let Some(log) = &self.log {
            log.incoming(now, frame);
        }
    }

    /// The timer fired: store upkeep, schedule end, session timers.
    pub fn on_deadline(&mut self, now: UtcTimestamp, out: &mut Vec<u8>) -> Disposition {
        if self
            .session
            .store()
            .sync_deadline()
            .is_some_and(|t| t <= now)
        {
            let t0 = probe::stamp();
            if let Err(e) = self.session.store_mut().sync(now) {
                tracing::error!(session = &*self.name, error = %e, "store sync failed");
            }
            let took = probe::stamp().wrapping_sub(t0);
            self.counters.store_sync.record(took);
            self.counters
                .store_step_max
                .fetch_max(took, Ordering::Relaxed);
        }
        if self.schedule_at.is_some_and(|t| t <= now.as_nanos()) {
            let schedule = &self.cfg.schedule;
            self.schedule_at = schedule.next_transition(now).map(|t| t.as_nanos());
            let created = self.session.store().creation_time();
            // QuickFIX: out of session time, or a new period began (the
            // store belongs to the last one): log out; the reset follows
            // at the next connection.
            if !schedule.is_in_session(now) || !schedule.same_period(created, now) {
                self.schedule_ended = true;
                self.event(now, "End of session time: logging out");
                if !self.session.is_logged_on() {
                    return Disposition {
                        close: Close::Now,
                        reconnect: false,
                    };
                }
                return self.handle(Ev::Logout, now, out);
            }
        }
        self.handle(Ev::Timer, now, out)
    }

    /// Whether the store has upkeep for idle time.
    pub fn upkeep_due(&self) -> bool {
        self.session.store().upkeep_due()
    }

    /// One bounded step of store upkeep (idle time); true while more remains.
    pub fn upkeep(&mut self, now: UtcTimestamp) -> bool {
        let t0 = probe::stamp();
        let more = match self.session.store_mut().upkeep_step(now) {
            Ok(more) => more,
            Err(e) => {
                tracing::error!(session = &*self.name, error = %e, "store upkeep failed");
                false
            }
        };
        let took = probe::stamp().wrapping_sub(t0);
        self.counters.store_upkeep.record(took);
        self.counters
            .store_step_max
            .fetch_max(took, Ordering::Relaxed);
        more
    }

    /// The next time [`on_deadline`](Self::on_deadline) must run.
    pub fn deadline(&self) -> Option<UtcTimestamp> {
        let mut d = self.session.deadline().map(|t| t.as_nanos());
        let mut consider = |t: Option<i64>| {
            if let Some(t) = t {
                d = Some(d.map_or(t, |d| d.min(t)));
            }
        };
        consider(self.session.store().sync_deadline().map(|t| t.as_nanos()));
        consider(self.schedule_at);
        if self.session.is_logged_on() {
            consider(self.app.wake_at().map(|t| t.as_nanos()));
        }
        d.map(UtcTimestamp::from_nanos)
    }

    /// The connection is gone: tell the session; how did it end?
    pub fn closed(&mut self, now: UtcTimestamp) -> SessionEnd {
        self.outbox.detach();
        let mut tap = Tap {
            app: &mut *self.app,
            seen: &mut self.seen,
            log: self.log.as_ref(),
            name: &self.name,
            now,
        };
        self.session.disconnected(now, &mut tap);
        self.publish();
        self.stats_closed(now);
        if self.stop_requested || self.app.finished() {
            return SessionEnd::Requested;
        }
        if self.schedule_ended {
            return SessionEnd::Logout;
        }
        match self.seen.logout {
            Some(LogoutReason::Fatal(_) | LogoutReason::StoreFailure) => SessionEnd::Fatal,
            Some(LogoutReason::PeerLogout | LogoutReason::OurLogout) => SessionEnd::Logout,
            _ => SessionEnd::Disconnect,
        }
    }
}

/// Logs each complete message in `bytes` (what one event wrote).
fn log_frames(log: &LogSink, now: UtcTimestamp, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        match ringfix_codec::frame(bytes, bytes.len()) {
            ringfix_codec::Frame::Complete(n) => {
                let (m, rest) = bytes.split_at(n.min(bytes.len()));
                log.outgoing(now, m);
                bytes = rest;
            }
            _ => {
                log.outgoing(now, bytes);
                return;
            }
        }
    }
}
