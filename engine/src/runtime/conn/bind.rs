//! An accepted connection's first message: a Logon routed to its
//! session, checked (schedule, `LogonCredentialsFile`, the application's
//! `on_logon_request`), then bound to it or answered with a Logout.
//!
//! The password check is Argon2id (tens of milliseconds by design): it
//! runs on a side thread ([`super::super::side`]) while the connection
//! waits in `State::Pending`, bounded by the session's LogonTimeout; its
//! answer wakes the connection (`on_notify`). Messages that arrive
//! meanwhile are held and handed to the session, in order, once bound.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use ringfix_codec::{frame_with, Encoder, Frame, MessageView, TimePrecision};

use super::super::core::{Ev, SessionCore, Slot};
use super::super::side::{Answer, Reply};
use super::{peer_text, put_back, Conn, Link, ListenerTable, State, FLUSH_NANOS};
use crate::config::Credentials;
use crate::reactor::{CloseMode, Ctx, Framed, PeerCertificate};
use crate::session::{Incoming, LogonDecision, LogonPeer};
use crate::store::MessageStore;
use crate::time::{MonoTime, Now};

/// The Logout text of a Logon whose Username/Password do not match its
/// `LogonCredentialsFile` line.
pub(super) const INVALID_CREDENTIALS: &str = "Invalid credentials";

/// The Logout text of a Logon whose password check did not end within
/// the session's LogonTimeout.
const VERIFY_TIMED_OUT: &str = "Logon not verified within LogonTimeout";

/// The Logout text of a Logon whose session (from a template) was not
/// made within the template's LogonTimeout.
const CREATE_TIMED_OUT: &str = "Session not created within LogonTimeout";

/// The Logout text of a Logon that finds the side threads' queue full.
pub(super) const VERIFY_BUSY: &str = "Logon cannot be verified now: try again";

/// Most bytes held for a connection while its Logon waits (a peer that
/// sends more before its Logon is answered is cut off).
const HOLD_MAX: usize = 64 * 1024;

/// What a waiting Logon waits for.
pub(super) enum Wait {
    /// Its password check (the session taken from its slot meanwhile).
    Password {
        core: Box<SessionCore>,
        answer: Answer<bool>,
    },
    /// Its session, being made from a template (into `slot`), after the
    /// template's password check if it has one: no file is made for a
    /// Logon that fails it.
    Session { answer: Answer<Result<(), String>> },
}

/// A side thread's answer.
enum Ready {
    Password(bool),
    Session(Result<(), String>),
}

/// A Logon waiting for work on a side thread.
pub(super) struct PendingLogon {
    pub(super) table: Arc<ListenerTable>,
    pub(super) slot: Slot,
    pub(super) wait: Wait,
    /// The Logon's bytes, parsed again when the answer comes.
    pub(super) logon: Vec<u8>,
    /// Whole frames received meanwhile, in order.
    pub(super) held: Vec<Vec<u8>>,
    pub(super) held_bytes: usize,
    pub(super) deadline: MonoTime,
}

impl PendingLogon {
    /// The connection closes or the runtime stops: a session taken goes
    /// back to its slot (one being made lands there by itself).
    pub(super) fn abandon(self) {
        if let Wait::Password { core, .. } = self.wait {
            put_back(&self.slot, core);
        }
    }
}

impl Link {
    pub(super) fn bind(&mut self, view: &MessageView<'_>, ctx: &mut Ctx<'_>, now: Now) {
        let State::Unbound { table, .. } = &self.state else {
            return;
        };
        let table = Arc::clone(table);
        let frame = view.as_bytes();
        let msg = Incoming::from_view(view);
        let idx = match table.router.route(&msg) {
            Ok(i) => i,
            Err(_) if self.template_for(&table, &msg).is_some() => {
                return self.bind_template(&table, &msg, frame, ctx, now);
            }
            Err(e) => {
                if let Some(redact) = &table.log_not_found {
                    not_found(redact, frame, &msg, self.peer);
                }
                tracing::warn!(error = %e, peer = %peer_text(self.peer), "logon refused: closing");
                table.guard.failed(self.ip(), Instant::now());
                ctx.close(CloseMode::Now);
                return;
            }
        };
        let Some(slot) = table.slots.get(idx).map(Arc::clone) else {
            ctx.close(CloseMode::Now);
            return;
        };
        let credentials = table.credentials.get(idx).cloned().flatten();
        self.bind_slot(table, slot, credentials, &msg, frame, ctx, now);
    }

    /// The Logon's session is in `slot` (unless connected elsewhere):
    /// checks, then the password check or the session's answer.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn bind_slot(
        &mut self,
        table: Arc<ListenerTable>,
        slot: Slot,
        credentials: Option<Arc<Credentials>>,
        msg: &Incoming<'_>,
        frame: &[u8],
        ctx: &mut Ctx<'_>,
        now: Now,
    ) {
        let taken = slot.lock().ok().and_then(|mut s| s.take());
        let Some(mut core) = taken else {
            tracing::warn!("logon refused: session already connected");
            ctx.close(CloseMode::Now);
            return;
        };
        let own = super::super::build::frame_checks(&core.cfg);
        if own != self.checks && frame_with(frame, frame.len(), own) != Frame::Complete(frame.len())
        {
            // Framed leniently for another session of this listener.
            tracing::warn!(session = &*core.name, "first message garbled: closing");
            put_back(&slot, core);
            ctx.close(CloseMode::Now);
            return;
        }
        if !core.ha_ready() {
            // Raced a step-down: this node no longer listens for it.
            put_back(&slot, core);
            ctx.close(CloseMode::Now);
            return;
        }
        self.checks = own;
        if !core.cfg.schedule.is_in_session(now.wall) {
            core.event(now, "logon_refused", "Logon refused: outside session time");
            table.guard.failed(self.ip(), Instant::now());
            put_back(&slot, core);
            ctx.close(CloseMode::Now);
            return;
        }
        if let Err(e) = core.prepare(now) {
            tracing::error!(session = &*core.name, error = %e, "cannot prepare session");
            put_back(&slot, core);
            ctx.close(CloseMode::Now);
            return;
        }
        match credentials {
            Some(c) => self.verify_later(table, slot, core, c, msg, frame, ctx, now),
            None => self.admit(&table, &slot, core, msg, frame, ctx, now),
        }
    }

    /// Hands the password check to a side thread; the connection waits
    /// for its answer (`Conn::on_answer`) or LogonTimeout.
    #[allow(clippy::too_many_arguments)]
    fn verify_later(
        &mut self,
        table: Arc<ListenerTable>,
        slot: Slot,
        core: Box<SessionCore>,
        credentials: Arc<Credentials>,
        msg: &Incoming<'_>,
        frame: &[u8],
        ctx: &mut Ctx<'_>,
        now: Now,
    ) {
        let (reply, answer) = Reply::new(self.remote.clone(), ctx.id());
        let target = core.cfg.id.target_comp_id.clone();
        let user = msg.get(553).unwrap_or_default().to_vec();
        let password = msg.get(554).unwrap_or_default().to_vec();
        let job = Box::new(move || {
            let ok = credentials.verify(&target, &user, &password);
            reply.deliver(ok);
        });
        if !table.side.as_ref().is_some_and(|s| s.submit(job)) {
            return self.refused(&table, &slot, core, VERIFY_BUSY, msg, ctx, now, false);
        }
        let timeout = i64::try_from(core.cfg.timing.logon_timeout.as_nanos()).unwrap_or(i64::MAX);
        self.state = State::Pending(Box::new(PendingLogon {
            table,
            slot,
            wait: Wait::Password { core, answer },
            logon: frame.to_vec(),
            held: Vec::new(),
            held_bytes: 0,
            deadline: now.mono.add_nanos(timeout),
        }));
    }

    /// The Logon passed the password check (if any): the application's
    /// `on_logon_request`, then the session takes the connection.
    #[allow(clippy::too_many_arguments)]
    fn admit(
        &mut self,
        table: &ListenerTable,
        slot: &Slot,
        mut core: Box<SessionCore>,
        msg: &Incoming<'_>,
        frame: &[u8],
        ctx: &mut Ctx<'_>,
        now: Now,
    ) {
        if let Some(text) = app_refusal(self.peer, self.peer_cert.as_ref(), &mut core, msg) {
            return self.refused(table, slot, core, &text, msg, ctx, now, true);
        }
        // QuickFIX's words (its peer is the address without the port).
        let ip = self
            .peer
            .map_or_else(|| "unknown address".into(), |p| p.ip().to_string());
        let port = self.local_port.unwrap_or(0);
        let line = format!(
            "Accepted connection from {ip} on port {port} (peer {})",
            peer_text(self.peer)
        );
        core.event(now, "accepted", &line);
        core.xslot.attach(&self.remote, ctx.id());
        core.stats_queued_before(ctx.queued_bytes());
        core.received(now, frame);
        let d = core.handle(Ev::Connected, now, ctx.outbound());
        let d = if d.is_close() {
            d
        } else {
            core.handle(Ev::Message(msg), now, ctx.outbound())
        };
        self.slot = Some(Arc::clone(slot));
        self.state = State::Bound(core);
        self.apply(d, ctx, now);
    }

    /// Answers the Logon with a Logout carrying `text`, closes, and puts
    /// the session back untouched; `failed` counts it against the peer
    /// address (`MaxFailedLogonsPerMinute`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn refused(
        &mut self,
        table: &ListenerTable,
        slot: &Slot,
        mut core: Box<SessionCore>,
        text: &str,
        msg: &Incoming<'_>,
        ctx: &mut Ctx<'_>,
        now: Now,
        failed: bool,
    ) {
        refuse(self.peer, &mut core, text, msg, ctx, now);
        self.close_by = Some(now.mono.add_nanos(FLUSH_NANOS));
        if failed {
            table.guard.failed(self.ip(), Instant::now());
        }
        put_back(slot, core);
        self.state = State::Closed;
    }
}

impl Conn {
    /// A wake while the Logon waits: the password check's answer, if it
    /// came (a wake may be spurious, or meant for an earlier occupant of
    /// this connection slot).
    pub(super) fn on_answer(&mut self, ctx: &mut Ctx<'_>, now: Now) {
        let State::Pending(p) = &self.link.state else {
            return;
        };
        if now.mono >= p.deadline {
            // Too late, however the reactor ordered the two: LogonTimeout.
            return self.pending_deadline(ctx, now);
        }
        let ready = match &p.wait {
            Wait::Password { answer, .. } => answer.take().map(Ready::Password),
            Wait::Session { answer, .. } => answer.take().map(Ready::Session),
        };
        let Some(ready) = ready else {
            return;
        };
        let State::Pending(p) = std::mem::replace(&mut self.link.state, State::Closed) else {
            return;
        };
        let PendingLogon {
            table,
            slot,
            wait,
            logon,
            held,
            held_bytes,
            ..
        } = *p;
        let checks = self.link.checks;
        let Ok(view) = self.parser.parse_framed_with(&logon, checks) else {
            // It parsed when it came: nothing to answer if it does not now.
            ctx.close(CloseMode::Now);
            if let Wait::Password { core, .. } = wait {
                put_back(&slot, core);
            }
            return;
        };
        let msg = Incoming::from_view(&view);
        match (wait, ready) {
            (Wait::Password { core, .. }, Ready::Password(true)) => {
                self.link.admit(&table, &slot, core, &msg, &logon, ctx, now);
            }
            (Wait::Password { core, .. }, _) => {
                let text = INVALID_CREDENTIALS;
                return self
                    .link
                    .refused(&table, &slot, core, text, &msg, ctx, now, true);
            }
            (Wait::Session { .. }, Ready::Session(Ok(()))) => {
                // The password, if the template asks for one, was checked.
                self.link
                    .bind_slot(table, slot, None, &msg, &logon, ctx, now);
            }
            (Wait::Session { .. }, Ready::Session(Err(text))) => {
                if text == INVALID_CREDENTIALS {
                    table.guard.failed(self.link.ip(), Instant::now());
                }
                return self.link.refused_bare(&text, &msg, ctx, now);
            }
            (Wait::Session { .. }, Ready::Password(_)) => {
                ctx.close(CloseMode::Now);
                return;
            }
        }
        if let State::Pending(next) = &mut self.link.state {
            // Waiting again (the template's password check): still held.
            next.held = held;
            next.held_bytes = held_bytes;
            return;
        }
        for frame in &held {
            if !matches!(self.link.state, State::Bound(_)) {
                break;
            }
            match self.parser.parse_framed_with(frame, checks) {
                Ok(view) => self.link.on_message(&view, ctx, now),
                Err(_) => self.link.on_garbled(Some(frame), None, None, ctx, now),
            }
        }
    }

    /// Input while the Logon waits: whole frames are held for the
    /// session; garbage is dropped; too much closes the connection.
    pub(super) fn hold(&mut self, data: &[u8], max_len: usize, ctx: &mut Ctx<'_>) -> Framed {
        let checks = self.link.checks;
        let State::Pending(p) = &mut self.link.state else {
            return Framed::Incomplete;
        };
        match frame_with(data, max_len, checks) {
            Frame::Complete(len) => {
                p.held_bytes = p.held_bytes.saturating_add(len);
                if p.held_bytes > HOLD_MAX {
                    tracing::warn!(
                        peer = %peer_text(self.link.peer),
                        "more than {HOLD_MAX} bytes before the Logon was answered: closing"
                    );
                    ctx.close(CloseMode::Now);
                } else {
                    p.held.push(data.get(..len).unwrap_or(data).to_vec());
                }
                Framed::Complete(len)
            }
            Frame::Incomplete => Framed::Incomplete,
            Frame::Garbled { skip, .. } => Framed::Garbled { skip },
        }
    }

    /// The deadline while the Logon waits: past LogonTimeout, a Logout
    /// saying so (the session untouched).
    pub(super) fn pending_deadline(&mut self, ctx: &mut Ctx<'_>, now: Now) {
        let State::Pending(p) = &self.link.state else {
            return;
        };
        if now.mono < p.deadline {
            return;
        }
        let State::Pending(p) = std::mem::replace(&mut self.link.state, State::Closed) else {
            return;
        };
        let p = *p;
        let Ok(view) = self.parser.parse_framed_with(&p.logon, self.link.checks) else {
            ctx.close(CloseMode::Now);
            return p.abandon();
        };
        let msg = Incoming::from_view(&view);
        let (table, slot) = (p.table, p.slot);
        match p.wait {
            Wait::Password { core, .. } => {
                let text = VERIFY_TIMED_OUT;
                self.link
                    .refused(&table, &slot, core, text, &msg, ctx, now, false);
            }
            // The session, once made, waits in its slot for the next Logon.
            Wait::Session { .. } => self.link.refused_bare(CREATE_TIMED_OUT, &msg, ctx, now),
        }
    }
}

/// `LogMessageWhenSessionNotFound`: the message that matched no session,
/// masked, with its CompIDs and the peer.
fn not_found(
    redact: &ringfix_codec::redact::Redaction,
    frame: &[u8],
    msg: &Incoming<'_>,
    peer: Option<SocketAddr>,
) {
    let lossy = |b: Option<&[u8]>| String::from_utf8_lossy(b.unwrap_or_default()).into_owned();
    let view = msg.view();
    let (begin, sender) = (
        lossy(Some(view.begin_string())),
        lossy(view.sender_comp_id()),
    );
    let target = lossy(view.target_comp_id());
    let shown = String::from_utf8_lossy(&redact.redact(frame)).replace('\x01', "|");
    let peer = peer_text(peer);
    tracing::warn!(
        event = "session_not_found",
        begin_string = %begin,
        sender_comp_id = %sender,
        target_comp_id = %target,
        %peer,
        "Session not found: {begin} {sender}->{target} (peer {peer}): {shown}"
    );
}

/// The application's `on_logon_request` verdict: the refusal text, if any.
fn app_refusal(
    addr: Option<SocketAddr>,
    cert: Option<&PeerCertificate>,
    core: &mut SessionCore,
    msg: &Incoming<'_>,
) -> Option<String> {
    let peer = LogonPeer {
        addr,
        subject: cert.map(|c| c.subject.as_str()),
        sans: cert.map_or(&[], |c| c.sans.as_slice()),
    };
    match core
        .app
        .on_logon_request(core.session.settings(), msg, &peer)
    {
        LogonDecision::Accept => None,
        LogonDecision::Refuse(text) => Some(text),
    }
}

/// Answers a refused Logon with a Logout carrying `text` (MsgSeqNum the
/// session's next, neither stored nor counted: the session's numbers and
/// store stay as they were) and closes once it is sent. Logged (the
/// Username, never the Password) and counted.
fn refuse(
    addr: Option<SocketAddr>,
    core: &mut SessionCore,
    text: &str,
    msg: &Incoming<'_>,
    ctx: &mut Ctx<'_>,
    now: Now,
) {
    let user = String::from_utf8_lossy(msg.get(553).unwrap_or_default()).into_owned();
    let peer = peer_text(addr);
    core.event(
        now,
        "logon_refused",
        &format!("Logon refused: {text} (Username {user:?}, peer {peer})"),
    );
    tracing::warn!(session = &*core.name, %peer, username = %user, "Logon refused: {text}");
    core.counters.logons_refused.fetch_add(1, Ordering::Relaxed);
    if let Some(log) = &core.log {
        // The writer masks RedactFieldsInLogs (the Password).
        log.incoming(now.wall, msg.raw());
    }
    let s = core.session.settings();
    let seq = core.session.store().next_sender_seq();
    let out = ctx.outbound();
    let start = out.len();
    let mut e = Encoder::new(out, s.begin_string.as_bytes(), b"5");
    e.uint(34, seq)
        .str(49, &s.sender_comp_id)
        .timestamp(52, now.wall, precision(s.timestamp_precision))
        .str(56, &s.target_comp_id)
        .str(58, text);
    e.finish();
    if let Some(log) = &core.log {
        log.outgoing(now.wall, out.get(start..).unwrap_or_default());
    }
    ctx.close(CloseMode::Graceful);
}

fn precision(digits: u8) -> TimePrecision {
    match digits {
        0 => TimePrecision::Seconds,
        6 => TimePrecision::Micros,
        9 => TimePrecision::Nanos,
        _ => TimePrecision::Millis,
    }
}
