//! The connection handler the reactor drives: bytes -> parser -> session,
//! deadlines -> session timers, dispositions -> close. Accepted connections
//! start unbound and bind to a session on their first message, a Logon
//! routed by BeginString and CompIDs. The codec's `Parser::parse_next`
//! frames, checks and indexes each message in one pass (`on_input`): a
//! frame is parsed once. A session that switches frame checks off
//! (ValidateChecksum, ValidateLengthAndChecksum) takes the lenient path:
//! the framer under its checks, then `parse_framed_with`.

use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Instant;

use ringfix_codec::{
    frame_with, Encoder, Frame, FrameChecks, FrameError, MessageView, Parsed, Parser, TimePrecision,
};

use super::core::{Ev, SessionCore, Slot};
use super::guard::LogonGuard;
use super::Event;
use crate::config::Credentials;
use crate::reactor::{
    probe, AcceptInfo, CloseMode, CloseReason, ConnectionHandler, Ctx, Framed, PeerCertificate,
    Remote,
};
use crate::session::{Close, Disposition, Incoming, LogonDecision, LogonPeer, Router};
use crate::store::MessageStore;
use crate::time::{MonoTime, Now};

/// The sessions one listener serves.
pub(crate) struct ListenerTable {
    /// Routes a first message to an index of `slots`.
    pub router: Router,
    /// The sessions, in router order.
    pub slots: Vec<Slot>,
    /// How long an accepted connection may stay without a Logon (ns).
    pub logon_timeout: i64,
    /// Frame checks before a session is known: only those every session
    /// of the listener applies (the first frame is checked again against
    /// its own session's).
    pub checks: FrameChecks,
    /// Refused Logons per peer address (`MaxFailedLogonsPerMinute`).
    pub guard: LogonGuard,
    /// Each slot's `LogonCredentialsFile`, loaded at start.
    pub credentials: Vec<Option<Arc<Credentials>>>,
}

enum State {
    Unbound {
        table: Arc<ListenerTable>,
        deadline: MonoTime,
    },
    Bound(Box<SessionCore>),
    Closed,
}

/// A connection of the runtime (acceptor or initiator side).
pub struct Conn {
    /// Frames and indexes inbound bytes (the views borrow it).
    parser: Parser,
    /// The largest message `parser` takes: the receive buffer's size.
    max_len: usize,
    link: Link,
}

/// Everything of a connection but its parser (borrowed apart from it
/// while a message view is alive).
struct Link {
    state: State,
    /// After a graceful close request: until when the flush may take.
    close_by: Option<MonoTime>,
    slot: Option<Slot>,
    events: mpsc::Sender<Event>,
    /// This connection's reactor, for [`SessionSender`](super::SessionSender) wake-ups.
    remote: Remote<Conn>,
    /// The counterparty's address, for the event log.
    peer: Option<SocketAddr>,
    /// The listening port of an accepted connection.
    local_port: Option<u16>,
    /// The frame checks in force (the bound session's; before binding,
    /// those every session of the listener applies).
    checks: FrameChecks,
    /// The TLS client certificate, when one was presented.
    peer_cert: Option<PeerCertificate>,
    /// Length of the outbound buffer when this callback began (hot
    /// standby: what the callback wrote may have to wait).
    mark: usize,
    /// Hot standby: a graceful close waiting for held output to go.
    close_after_release: Option<Disposition>,
}

impl Conn {
    pub(crate) fn accepted(
        table: Arc<ListenerTable>,
        now: Now,
        events: mpsc::Sender<Event>,
        remote: Remote<Conn>,
        info: &AcceptInfo,
    ) -> Self {
        let deadline = now.mono.add_nanos(table.logon_timeout);
        let (peer, local) = (info.peer, info.local);
        let checks = table.checks;
        Self::new(Link {
            state: State::Unbound { table, deadline },
            close_by: None,
            slot: None,
            events,
            remote,
            peer,
            local_port: Some(local.port()),
            checks,
            peer_cert: None,
            mark: 0,
            close_after_release: None,
        })
    }

    fn new(link: Link) -> Self {
        Self {
            parser: Parser::new(),
            max_len: ringfix_codec::DEFAULT_MAX_MESSAGE_SIZE,
            link,
        }
    }

    pub(crate) fn initiating(
        core: Box<SessionCore>,
        slot: Slot,
        events: mpsc::Sender<Event>,
        remote: Remote<Conn>,
        peer: SocketAddr,
    ) -> Self {
        let checks = super::build::frame_checks(&core.cfg);
        Self::new(Link {
            state: State::Bound(core),
            close_by: None,
            slot: Some(slot),
            events,
            remote,
            peer: Some(peer),
            local_port: None,
            checks,
            peer_cert: None,
            mark: 0,
            close_after_release: None,
        })
    }
}

impl Link {
    fn bind(&mut self, view: &MessageView<'_>, ctx: &mut Ctx<'_>, now: Now) {
        let State::Unbound { table, .. } = &self.state else {
            return;
        };
        let table = Arc::clone(table);
        let frame = view.as_bytes();
        let msg = Incoming::from_view(view);
        let idx = match table.router.route(&msg) {
            Ok(i) => i,
            Err(e) => {
                tracing::warn!(error = %e, peer = %peer_text(self.peer), "logon refused: closing");
                table.guard.failed(self.ip(), Instant::now());
                ctx.close(CloseMode::Now);
                return;
            }
        };
        let Some(slot) = table.slots.get(idx) else {
            ctx.close(CloseMode::Now);
            return;
        };
        let taken = slot.lock().ok().and_then(|mut s| s.take());
        let Some(mut core) = taken else {
            tracing::warn!("logon refused: session already connected");
            ctx.close(CloseMode::Now);
            return;
        };
        let own = super::build::frame_checks(&core.cfg);
        if own != self.checks && frame_with(frame, frame.len(), own) != Frame::Complete(frame.len())
        {
            // Framed leniently for another session of this listener.
            tracing::warn!(session = &*core.name, "first message garbled: closing");
            put_back(slot, core);
            ctx.close(CloseMode::Now);
            return;
        }
        if !core.ha_ready() {
            // Raced a step-down: this node no longer listens for it.
            put_back(slot, core);
            ctx.close(CloseMode::Now);
            return;
        }
        self.checks = own;
        if !core.cfg.schedule.is_in_session(now.wall) {
            core.event(now, "logon_refused", "Logon refused: outside session time");
            table.guard.failed(self.ip(), Instant::now());
            put_back(slot, core);
            ctx.close(CloseMode::Now);
            return;
        }
        if let Err(e) = core.prepare(now) {
            tracing::error!(session = &*core.name, error = %e, "cannot prepare session");
            put_back(slot, core);
            ctx.close(CloseMode::Now);
            return;
        }
        let credentials = table.credentials.get(idx).and_then(Option::as_ref);
        let cert = self.peer_cert.as_ref();
        if let Some(text) = refusal(self.peer, cert, &mut core, credentials, &msg) {
            refuse(self.peer, &mut core, &text, &msg, ctx, now);
            self.close_by = Some(now.mono.add_nanos(FLUSH_NANOS));
            table.guard.failed(self.ip(), Instant::now());
            put_back(slot, core);
            self.state = State::Closed;
            return;
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
            core.handle(Ev::Message(&msg), now, ctx.outbound())
        };
        self.slot = Some(Arc::clone(slot));
        self.state = State::Bound(core);
        self.apply(d, ctx, now);
    }
}

impl Link {
    fn ip(&self) -> Option<IpAddr> {
        self.peer.map(|a| a.ip())
    }
}

/// Why this Logon is refused before the session sees it, if it is: its
/// Username/Password against `LogonCredentialsFile`, then the
/// application's `on_logon_request`.
fn refusal(
    addr: Option<SocketAddr>,
    cert: Option<&PeerCertificate>,
    core: &mut SessionCore,
    credentials: Option<&Arc<Credentials>>,
    msg: &Incoming<'_>,
) -> Option<String> {
    if let Some(c) = credentials {
        let user = msg.get(553).unwrap_or_default();
        let password = msg.get(554).unwrap_or_default();
        if !c.verify(&core.cfg.id.target_comp_id, user, password) {
            return Some(INVALID_CREDENTIALS.to_owned());
        }
    }
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

/// The Logout text of a Logon whose Username/Password do not match its
/// `LogonCredentialsFile` line.
pub const INVALID_CREDENTIALS: &str = "Invalid credentials";

fn precision(digits: u8) -> TimePrecision {
    match digits {
        0 => TimePrecision::Seconds,
        6 => TimePrecision::Micros,
        9 => TimePrecision::Nanos,
        _ => TimePrecision::Millis,
    }
}

/// `address:port` of the counterparty (or "unknown address").
fn peer_text(peer: Option<SocketAddr>) -> String {
    peer.map_or_else(|| "unknown address".to_owned(), |p| p.to_string())
}

fn put_back(slot: &Slot, core: Box<SessionCore>) {
    if let Ok(mut s) = slot.lock() {
        *s = Some(core);
    }
}

/// How long a graceful close may take to flush what is queued.
const FLUSH_NANOS: i64 = 2_000_000_000;

impl Link {
    /// Acts on a session's disposition. On a close the session is released
    /// at once (disconnected, back in its slot): what it wrote is already
    /// queued, and a new connection may claim it while this one drains.
    fn apply(&mut self, d: Disposition, ctx: &mut Ctx<'_>, now: Now) {
        if !self.gate(ctx) {
            // The lease is not confirmed: send nothing more, no Logout.
            self.close_after_release = None;
            ctx.close(CloseMode::Now);
            return self.release(now, "Hot standby: not leading, closing without sending");
        }
        // Hot standby: a graceful close (after a Logout) waits until the
        // output held for replication has gone, or the Logout is lost.
        let d = match (self.close_after_release.take(), d.close) {
            (Some(waiting), Close::Keep | Close::AfterFlush) => waiting,
            (_, _) => d,
        };
        let held = matches!(&self.state, State::Bound(core) if !core.held.is_empty());
        if d.close == Close::AfterFlush && held {
            self.close_after_release = Some(d);
            return;
        }
        match d.close {
            Close::Keep => return,
            Close::AfterFlush => {
                // The reactor flushes until our deadline: give it one ahead.
                self.close_by = Some(now.mono.add_nanos(FLUSH_NANOS));
                ctx.close(CloseMode::Graceful);
            }
            Close::Now => ctx.close(CloseMode::Now),
        }
        self.release(now, "Disconnecting");
    }

    /// Hot standby: output goes to the counterparty only once released by
    /// replication (sync: a standby acknowledged its last record; async:
    /// within `HaMaxUnacked`); until then it waits in the session's `held`
    /// buffer, and the acknowledgement wakes this connection. False when
    /// this node may not lead (its lease is not confirmed): what the
    /// callback wrote is dropped.
    fn gate(&mut self, ctx: &mut Ctx<'_>) -> bool {
        let State::Bound(core) = &mut self.state else {
            return true;
        };
        let Some(ha) = core.ha.clone() else {
            return true;
        };
        core.session.store_mut().flush_replication();
        let out = ctx.outbound();
        let start = self.mark.min(out.len());
        if !ha.may_lead_now() {
            out.truncate(start);
            core.held.clear();
            return false;
        }
        if out.len() > start {
            let head = ha.head_rid();
            if !core.held.is_empty() || !ha.released(head) {
                core.held.extend_from_slice(&out[start..]);
                out.truncate(start);
                core.held_rid = head;
            }
        }
        if !core.held.is_empty() && ha.released(core.held_rid) {
            out.extend_from_slice(&core.held);
            core.held.clear();
        }
        self.mark = out.len();
        true
    }

    /// The session leaves this connection: disconnected, store synced,
    /// back in its slot, the supervisor told.
    fn release(&mut self, now: Now, why: &str) {
        let state = std::mem::replace(&mut self.state, State::Closed);
        let State::Bound(mut core) = state else {
            self.state = state;
            return;
        };
        core.event(
            now,
            "disconnected",
            &format!("{why} (peer {})", peer_text(self.peer)),
        );
        // Output still held for replication is not sent on this connection.
        core.held.clear();
        let logged_on = core.seen.logged_on;
        let end = core.closed(now);
        if let Err(e) = core.session.store_mut().sync(now.mono) {
            core.store_warning(now, "sync", &e);
        }
        let idx = core.idx;
        if let Some(slot) = &self.slot {
            put_back(slot, core);
        }
        let _ = self.events.send(Event::Ended {
            idx,
            end,
            logged_on,
        });
    }
}

impl Link {
    /// One complete, indexed message.
    fn on_message(&mut self, view: &MessageView<'_>, ctx: &mut Ctx<'_>, now: Now) {
        let d = match &mut self.state {
            State::Unbound { .. } => return self.bind(view, ctx, now),
            State::Bound(core) => {
                let queued = ctx.outbound().len();
                core.stats_queued_before(ctx.queued_bytes());
                core.received(now, view.as_bytes());
                let msg = Incoming::from_view(view);
                let d = core.handle(Ev::Message(&msg), now, ctx.outbound());
                // An answer is handed to the send path: the engine's own time.
                if ctx.recv_stamp() != 0 && ctx.outbound().len() > queued {
                    let ticks = probe::stamp().wrapping_sub(ctx.recv_stamp());
                    core.counters.internal_latency.record(ticks);
                    core.stats_internal(ticks);
                }
                d
            }
            State::Closed => return,
        };
        self.apply(d, ctx, now);
    }

    /// Bytes that are not a message: a frame whose fields are bad
    /// (`frame`: counted as received), a whole frame with a wrong CheckSum
    /// (`bad_checksum`), both garbled messages the session ignores or
    /// rejects (RejectGarbledMessage); garbage (skipped), or a message
    /// larger than the receive buffer (`oversize`).
    fn on_garbled(
        &mut self,
        frame: Option<&[u8]>,
        bad_checksum: Option<&[u8]>,
        oversize: Option<String>,
        ctx: &mut Ctx<'_>,
        now: Now,
    ) {
        let d = match (&mut self.state, oversize) {
            // Skipping it would only lead to endless resends of it: a
            // message we cannot hold ends the connection, saying why.
            (State::Bound(core), Some(why)) => {
                core.event(now, "disconnecting", &format!("Disconnecting: {why}"));
                let d = core.handle(Ev::LogoutText(&why), now, ctx.outbound());
                Disposition {
                    close: match d.close {
                        Close::Now => Close::Now,
                        _ => Close::AfterFlush,
                    },
                    reconnect: d.reconnect,
                }
            }
            (State::Bound(core), None) => {
                core.stats_queued_before(ctx.queued_bytes());
                match (frame, bad_checksum) {
                    (Some(frame), _) => {
                        core.received(now, frame);
                        core.handle(Ev::GarbledMessage(frame), now, ctx.outbound())
                    }
                    (None, Some(raw)) => core.handle(Ev::GarbledMessage(raw), now, ctx.outbound()),
                    (None, None) => core.handle(Ev::Garbled, now, ctx.outbound()),
                }
            }
            // Garbage before any Logon: nobody to talk to.
            (State::Unbound { .. }, why) => {
                match (why, frame) {
                    (Some(why), _) => tracing::warn!("{why}: closing"),
                    (None, Some(_)) => tracing::warn!("first message unparsable: closing"),
                    (None, None) => {}
                }
                return ctx.close(CloseMode::Now);
            }
            (State::Closed, _) => return,
        };
        self.apply(d, ctx, now);
    }
}

impl Conn {
    /// A session with frame checks switched off: the framer under those
    /// checks, then the parser under the same.
    fn on_input_lenient(
        &mut self,
        data: &[u8],
        max_len: usize,
        checks: FrameChecks,
        ctx: &mut Ctx<'_>,
        now: Now,
    ) -> Framed {
        match frame_with(data, max_len, checks) {
            Frame::Complete(len) => {
                let frame = data.get(..len).unwrap_or(data);
                match self.parser.parse_framed_with(frame, checks) {
                    Ok(view) => self.link.on_message(&view, ctx, now),
                    Err(_) => self.link.on_garbled(Some(frame), None, None, ctx, now),
                }
                Framed::Complete(len)
            }
            Frame::Incomplete => Framed::Incomplete,
            Frame::Garbled { skip, error } => self.garbled(data, skip, &error, ctx, now),
        }
    }

    /// Bytes the framer refused: too large (the connection ends, saying
    /// why), a whole frame with a wrong CheckSum, or garbage.
    fn garbled(
        &mut self,
        data: &[u8],
        skip: usize,
        error: &FrameError,
        ctx: &mut Ctx<'_>,
        now: Now,
    ) -> Framed {
        let oversize = matches!(error, FrameError::TooLarge { .. }).then(|| error.to_string());
        let bad_checksum = matches!(error, FrameError::ChecksumMismatch { .. })
            .then(|| data.get(..skip))
            .flatten();
        self.link.on_garbled(None, bad_checksum, oversize, ctx, now);
        Framed::Garbled { skip }
    }
}

impl ConnectionHandler for Conn {
    fn on_open(&mut self, ctx: &mut Ctx<'_>, now: Now) {
        let link = &mut self.link;
        link.mark = ctx.outbound().len();
        let State::Bound(core) = &mut link.state else {
            return;
        };
        core.event(
            now,
            "connected",
            &format!(
                "Connection succeeded: connected to {}",
                peer_text(link.peer)
            ),
        );
        core.xslot.attach(&link.remote, ctx.id());
        core.stats_queued_before(ctx.queued_bytes());
        let d = core.handle(Ev::Connected, now, ctx.outbound());
        link.apply(d, ctx, now);
    }

    fn on_input(&mut self, data: &[u8], max_len: usize, ctx: &mut Ctx<'_>, now: Now) -> Framed {
        self.link.mark = ctx.outbound().len();
        if max_len != self.max_len {
            // Frames longer than the receive buffer must be refused.
            self.parser = Parser::with_max_len(max_len);
            self.max_len = max_len;
        }
        let checks = self.link.checks;
        if !checks.all() {
            return self.on_input_lenient(data, max_len, checks, ctx, now);
        }
        match self.parser.parse_next(data) {
            Parsed::Message(view) => {
                let len = view.as_bytes().len();
                self.link.on_message(&view, ctx, now);
                Framed::Complete(len)
            }
            Parsed::Invalid { len, .. } => {
                self.link.on_garbled(data.get(..len), None, None, ctx, now);
                Framed::Garbled { skip: len }
            }
            Parsed::NoFrame(Frame::Garbled { skip, error }) => {
                self.garbled(data, skip, &error, ctx, now)
            }
            Parsed::NoFrame(Frame::Incomplete) => Framed::Incomplete,
            // parse_next never answers `NoFrame(Complete)`; treat it as garbage.
            Parsed::NoFrame(Frame::Complete(_)) => Framed::Garbled { skip: data.len() },
        }
    }

    fn on_frame(&mut self, frame: &[u8], ctx: &mut Ctx<'_>, now: Now) {
        self.link.mark = ctx.outbound().len();
        // Unused: `on_input` takes frames and their index together.
        match self.parser.parse_framed(frame) {
            Ok(view) => self.link.on_message(&view, ctx, now),
            Err(_) => self.link.on_garbled(Some(frame), None, None, ctx, now),
        }
    }

    fn on_garbled(&mut self, _skipped: &[u8], ctx: &mut Ctx<'_>, now: Now) {
        self.link.mark = ctx.outbound().len();
        self.link.on_garbled(None, None, None, ctx, now);
    }

    fn on_deadline(&mut self, ctx: &mut Ctx<'_>, now: Now) {
        let link = &mut self.link;
        link.mark = ctx.outbound().len();
        let d = match &mut link.state {
            State::Unbound { deadline, .. } => {
                if now.mono >= *deadline {
                    tracing::warn!("no Logon within LogonTimeout: closing");
                    ctx.close(CloseMode::Now);
                    link.state = State::Closed;
                }
                return;
            }
            State::Bound(core) => {
                core.stats_queued_before(ctx.queued_bytes());
                core.stats_recv_timeout();
                core.on_deadline(now, ctx.outbound())
            }
            State::Closed => return,
        };
        link.apply(d, ctx, now);
    }

    fn deadline(&self) -> Option<MonoTime> {
        if let Some(t) = self.link.close_by {
            return Some(t);
        }
        match &self.link.state {
            State::Unbound { deadline, .. } => Some(*deadline),
            State::Bound(core) => core.deadline(),
            State::Closed => None,
        }
    }

    fn wants_idle(&self) -> bool {
        matches!(&self.link.state, State::Bound(core) if core.upkeep_due())
    }

    fn on_idle(&mut self, _ctx: &mut Ctx<'_>, now: Now) -> bool {
        match &mut self.link.state {
            State::Bound(core) => core.upkeep(now),
            _ => false,
        }
    }

    fn on_stop(&mut self, ctx: &mut Ctx<'_>, now: Now) {
        let link = &mut self.link;
        link.mark = ctx.outbound().len();
        let d = match &mut link.state {
            State::Bound(core) => {
                core.stop_requested = true;
                if !core.session.is_logged_on() {
                    ctx.close(CloseMode::Now);
                    return link.release(now, "Stopping");
                }
                core.event(now, "stopping", "Stopping: logging out");
                core.stats_queued_before(ctx.queued_bytes());
                core.handle(Ev::Logout, now, ctx.outbound())
            }
            State::Unbound { .. } => return ctx.close(CloseMode::Now),
            State::Closed => return,
        };
        link.apply(d, ctx, now);
    }

    fn on_notify(&mut self, ctx: &mut Ctx<'_>, now: Now) {
        let link = &mut self.link;
        link.mark = ctx.outbound().len();
        let State::Bound(core) = &mut link.state else {
            return;
        };
        core.stats_queued_before(ctx.queued_bytes());
        let d = core.handle(Ev::Queued, now, ctx.outbound());
        link.apply(d, ctx, now);
    }

    fn on_peer_certificate(&mut self, cert: PeerCertificate) {
        self.link.peer_cert = Some(cert);
    }

    fn on_closed(&mut self, reason: &CloseReason, now: Now) {
        self.link.release(now, &format!("Disconnected: {reason}"));
    }
}
