//! One configured session with everything it runs with: state machine,
//! store, application, log, schedule. Owned by whoever drives it: its slot
//! while disconnected, the connection handler while connected.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use super::build::{new_session, open_ha_store, open_store, session_settings, ValidatorSpec};
use super::events::Seen;
use super::log::LogSink;
use super::store::RuntimeStore;
use super::xsend::XSlot;
use super::RuntimeError;
use crate::config::{self, SessionEnd};
use crate::reactor::probe::{self, LatencyProbe};
use crate::session::{Application, Close, Disposition, Incoming, LogoutReason, Session, Version};
use crate::store::MessageStore;
use crate::time::{MonoTime, Now};

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
    /// Logons refused before the session took them (bad credentials, or
    /// refused by the application's `on_logon_request`).
    pub logons_refused: AtomicU64,
    /// Rejects (35=3) and BusinessMessageRejects (35=j) sent.
    pub rejects_sent: AtomicU64,
    /// Rejects and BusinessMessageRejects received.
    pub rejects_received: AtomicU64,
    /// Inbound messages the data dictionary refused (each answered by a
    /// reject, or by closing before the Logon exchange).
    pub validation_failures: AtomicU64,
    /// ResendRequests sent.
    pub resend_requests_sent: AtomicU64,
    /// ResendRequests received.
    pub resend_requests_received: AtomicU64,
    /// MsgSeqNum gaps found (a message numbered higher than expected).
    pub sequence_gaps: AtomicU64,
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

/// The session version of a configured session (FIXT.1.1 for a BeginString
/// naming no FIX.4.x).
fn session_version(cfg: &config::SessionSettings) -> Version {
    Version::from_begin_string(cfg.id.begin_string.as_bytes()).unwrap_or(Version::Fixt11)
}

/// Longest time between two looks at a session's schedule (1 s): a wall
/// clock step across EndTime ends the session within it.
const SCHEDULE_CHECK_NANOS: i64 = 1_000_000_000;

/// Where a disconnected session waits (the handler takes it out while
/// connected: an empty slot means "already connected").
pub(crate) type Slot = Arc<Mutex<Option<Box<SessionCore>>>>;

/// A session event the core forwards to the state machine.
pub(crate) enum Ev<'m, 'a> {
    Connected,
    Message(&'m Incoming<'a>),
    Garbled,
    /// A complete frame that is garbled (wrong CheckSum, unparsable fields).
    GarbledMessage(&'m [u8]),
    Timer,
    Logout,
    /// A Logout with this Text (58).
    LogoutText(&'m str),
    /// Another thread queued messages ([`SessionSender`](super::SessionSender)).
    Queued,
}

pub(crate) struct SessionCore {
    pub idx: usize,
    pub cfg: Arc<config::SessionSettings>,
    pub name: Arc<str>,
    pub session: Session<RuntimeStore>,
    pub app: Box<dyn Application + Send>,
    spec: Option<ValidatorSpec>,
    pub log: Option<LogSink>,
    pub counters: Arc<Counters>,
    /// The cross-thread send queue's hook.
    pub xslot: Arc<XSlot>,
    /// Writer of this session's live statistics slot (see `stats.rs`).
    pub stats: Option<crate::stats::SessionStats>,
    pub seen: Seen,
    /// When the schedule is next checked against the wall clock
    /// (monotonic; `None` for a non-stop schedule).
    pub schedule_check: Option<MonoTime>,
    /// The runtime is stopping: the end is requested, not a failure.
    pub stop_requested: bool,
    /// The schedule ended the connection.
    pub schedule_ended: bool,
    /// The schedule's current period was announced in the event log.
    schedule_open: bool,
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
        app: Box<dyn Application + Send>,
        spec: Option<ValidatorSpec>,
        log: Option<LogSink>,
        ha: Option<Arc<crate::ha::SessionHa>>,
        now: Now,
    ) -> Result<Self, RuntimeError> {
        let store = match &ha {
            // A standby placeholder, even if this node already won: the
            // takeover event opens the store (and raises, and tells the
            // application) exactly once.
            Some(_) => RuntimeStore::Memory(crate::store::MemoryStore::new(now.wall), false),
            None => open_store(&cfg, now.wall)?,
        };
        let session = new_session(&cfg, spec.as_ref(), store)?;
        let default_appl_ver = cfg
            .dictionaries
            .default_appl_ver_id
            .and_then(|v| Version::from_appl_ver_id(v.code().as_bytes()));
        let xslot = Arc::new(XSlot::new(session_version(&cfg), default_appl_ver));
        let core = Self {
            idx,
            name: cfg.id.to_string().into(),
            cfg,
            session,
            app,
            spec,
            log,
            counters: Arc::new(Counters::default()),
            xslot,
            stats: None,
            seen: Seen::default(),
            schedule_check: None,
            stop_requested: false,
            schedule_ended: false,
            schedule_open: false,
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

    /// A store operation off the message path failed (sync, upkeep): a
    /// warning in the event log; the session goes on (appends that fail
    /// stop it, the session says so).
    pub fn store_warning(&self, now: Now, what: &str, e: &crate::store::StoreError) {
        tracing::error!(session = &*self.name, event = "store_error", error = %e, "store {what} failed");
        if let Some(log) = &self.log {
            log.event(now.wall, &format!("Store warning: {what} failed: {e}"));
        }
    }

    /// Logs an event line (and a tracing event whose `event` field is
    /// `kind`, the name `--log-format json` gives it).
    pub fn event(&self, now: Now, kind: &'static str, text: &str) {
        tracing::info!(session = &*self.name, event = kind, "{text}");
        if let Some(log) = &self.log {
            log.event(now.wall, text);
        }
    }

    /// Before a connection: the QuickFIX schedule reset (a store created
    /// outside the current period starts over), fresh per-connection flags.
    pub fn prepare(&mut self, now: Now) -> Result<(), RuntimeError> {
        self.seen = Seen::default();
        self.stop_requested = false;
        self.schedule_ended = false;
        if self.degraded {
            self.rebuild(now, false)?;
        }
        let schedule = &self.cfg.schedule;
        self.schedule_check = self.next_schedule_check(now);
        if !schedule.is_non_stop() && !self.schedule_open {
            self.schedule_open = true;
            let end = schedule.next_transition(now.wall);
            let end = end.map_or_else(String::new, |t| {
                let mut s = Vec::new();
                t.push(ringfix_codec::TimePrecision::Seconds, &mut s);
                format!(" (ends {})", String::from_utf8_lossy(&s))
            });
            self.event(now, "schedule_open", &format!("Start of session time{end}"));
        }
        let schedule = &self.cfg.schedule;
        let created = self.session.store().creation_time();
        // A wall-clock step back never replays a reset done this period:
        // only a period that began after the store was created resets it.
        if schedule.began_after(created, now.wall) {
            if let Some(log) = &self.log {
                // A new period starts new log files (FileLogBackupPath).
                log.backup(now.wall);
            }
            self.event(
                now,
                "session_reset",
                "Session reset: store created in an earlier period",
            );
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
    fn rebuild(&mut self, now: Now, reset: bool) -> Result<(), RuntimeError> {
        if self.session.store().is_file() {
            // The old store (and its lock) must be gone before reopening:
            // a memory placeholder stands in until the reopen succeeds.
            let placeholder = RuntimeStore::Memory(crate::store::MemoryStore::new(now.wall), false);
            drop(std::mem::replace(
                &mut self.session,
                Session::new(session_settings(&self.cfg), placeholder, None),
            ));
            self.degraded = true;
        }
        let mut store = match &self.ha {
            Some(ha) => open_ha_store(&self.cfg, ha, now.wall)?,
            None => open_store(&self.cfg, now.wall)?,
        };
        if reset {
            store.reset(now.wall).map_err(|e| RuntimeError::Store {
                session: self.name.to_string(),
                source: e,
            })?;
        }
        self.session = new_session(&self.cfg, self.spec.as_ref(), store)?;
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
    pub fn lead(&mut self, token: u64, raise: u64, now: Now) -> Result<(), RuntimeError> {
        self.held.clear();
        let Some(ha) = self.ha.clone() else {
            return Ok(());
        };
        let t0 = std::time::Instant::now();
        let mut store = open_ha_store(&self.cfg, &ha, now.wall)?;
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
        self.session = Session::new(self.carried_settings(), store, validator);
        self.degraded = false;
        self.event(
            now,
            "ha_leading",
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

    /// The configured session settings with the field order built at
    /// start (`PreserveMessageFieldsOrder`), for a session that takes over
    /// the current one's validator.
    fn carried_settings(&self) -> crate::session::SessionSettings {
        let mut settings = session_settings(&self.cfg);
        settings.field_order = self.session.settings().field_order.clone();
        settings
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
    pub fn stand_by(&mut self, now: Now, why: &str) {
        let placeholder = RuntimeStore::Memory(crate::store::MemoryStore::new(now.wall), false);
        // Dropping the replicated store closes the file store (its lock).
        let validator = self.session.take_validator();
        let settings = self.carried_settings();
        drop(std::mem::replace(
            &mut self.session,
            Session::new(settings, placeholder, validator),
        ));
        self.held.clear();
        self.event(
            now,
            "ha_standby",
            &format!("Hot standby: standing by ({why})"),
        );
    }

    /// Feeds one event to the session, then lets the application poll,
    /// then acts on what the session decided (its events).
    pub fn handle(&mut self, ev: Ev<'_, '_>, now: Now, out: &mut Vec<u8>) -> Disposition {
        let start = out.len();
        let connected = matches!(ev, Ev::Connected);
        let before = self.session.next_sender_seq();
        let app: &mut dyn Application = &mut *self.app;
        let mut d = match ev {
            Ev::Connected => self.session.connected(now, out, app),
            Ev::Message(m) => self.session.on_message(m, now, out, app),
            Ev::Garbled => self.session.on_garbled(now),
            Ev::GarbledMessage(raw) => self.session.on_garbled_message(raw, now, out, app),
            Ev::Timer => self.session.on_timer(now, out, app),
            Ev::Logout => self.session.logout(None, now, out, app),
            Ev::LogoutText(text) => self.session.logout(Some(text), now, out, app),
            Ev::Queued => {
                super::xsend::drain_into(&self.xslot, &mut self.session, now, out);
                // A store failure in a send above closes.
                self.session.disposition()
            }
        };
        if !d.is_close() && self.session.is_logged_on() {
            d = self.session.poll_app(now, out, app);
        }
        self.drain_events(now);
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
    pub fn received(&mut self, now: Now, frame: &[u8]) {
        self.counters.messages_in.fetch_add(1, Ordering::Relaxed);
        self.stats_inbound(frame, now.wall);
        if let Some(log) = &self.log {
            log.incoming(now.wall, frame);
        }
    }

    /// The timer fired: store upkeep, schedule end, session timers.
    pub fn on_deadline(&mut self, now: Now, out: &mut Vec<u8>) -> Disposition {
        if self
            .session
            .store()
            .sync_deadline()
            .is_some_and(|t| t <= now.mono)
        {
            let t0 = probe::stamp();
            if let Err(e) = self.session.store_mut().sync(now.mono) {
                self.store_warning(now, "sync", &e);
            }
            let took = probe::stamp().wrapping_sub(t0);
            self.counters.store_sync.record(took);
            self.counters
                .store_step_max
                .fetch_max(took, Ordering::Relaxed);
        }
        if self.schedule_check.is_some_and(|t| t <= now.mono) {
            self.schedule_check = self.next_schedule_check(now);
            let schedule = &self.cfg.schedule;
            let created = self.session.store().creation_time();
            // QuickFIX: out of session time, or a new period began (the
            // store belongs to the last one): log out; the reset follows
            // at the next connection. Schedules follow the wall clock on
            // purpose: a step across EndTime ends the session here.
            if !schedule.is_in_session(now.wall) || schedule.began_after(created, now.wall) {
                self.schedule_ended = true;
                self.schedule_open = false;
                self.event(now, "schedule_close", "End of session time: logging out");
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
    pub fn upkeep(&mut self, now: Now) -> bool {
        let t0 = probe::stamp();
        let more = match self.session.store_mut().upkeep_step(now.mono) {
            Ok(more) => more,
            Err(e) => {
                self.store_warning(now, "upkeep", &e);
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

    /// The next time [`on_deadline`](Self::on_deadline) must run
    /// (monotonic clock).
    pub fn deadline(&self) -> Option<MonoTime> {
        let mut d = self.session.deadline();
        let mut consider = |t: Option<MonoTime>| {
            if let Some(t) = t {
                d = Some(d.map_or(t, |d| d.min(t)));
            }
        };
        consider(self.session.store().sync_deadline());
        consider(self.schedule_check);
        if self.session.is_logged_on() {
            consider(self.app.wake_at());
        }
        d
    }

    /// When to look at the schedule next: at its next transition by the
    /// wall clock, but at least every [`SCHEDULE_CHECK_NANOS`] so a wall
    /// clock step across a boundary is seen promptly. `None` for non-stop.
    fn next_schedule_check(&self, now: Now) -> Option<MonoTime> {
        let next = self.cfg.schedule.next_transition(now.wall)?;
        let until = next
            .as_nanos()
            .saturating_sub(now.wall.as_nanos())
            .clamp(0, SCHEDULE_CHECK_NANOS);
        Some(now.mono.add_nanos(until))
    }

    /// The connection is gone: tell the session; how did it end?
    pub fn closed(&mut self, now: Now) -> SessionEnd {
        self.xslot.detach();
        self.session.disconnected(now, &mut *self.app);
        self.drain_events(now);
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
fn log_frames(log: &LogSink, now: Now, mut bytes: &[u8]) {
    let now = now.wall;
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
