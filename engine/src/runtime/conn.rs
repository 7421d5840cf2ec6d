//! The connection handler the reactor drives: frames -> parser -> session,
//! deadlines -> session timers, dispositions -> close. Accepted connections
//! start unbound and bind to a session on their first message, a Logon
//! routed by BeginString and CompIDs. Frames come from the codec framer
//! (the handler's default `frame`), which checked BodyLength and CheckSum,
//! so they are parsed with `parse_framed`.

use std::sync::mpsc;
use std::sync::Arc;

use ringfix_codec::{FrameError, Parser};

use super::core::{Ev, SessionCore, Slot};
use super::Event;
use crate::reactor::{
    probe, CloseMode, CloseReason, ConnectionHandler, Ctx, Framed, Remote, UtcTimestamp,
};
use crate::session::{Close, Disposition, Incoming, Router};
use crate::store::MessageStore;

/// The sessions one listener serves.
pub(crate) struct ListenerTable {
    /// Routes a first message to an index of `slots`.
    pub router: Router,
    /// The sessions, in router order.
    pub slots: Vec<Slot>,
    /// How long an accepted connection may stay without a Logon (ns).
    pub logon_timeout: i64,
}

enum State {
    Unbound {
        table: Arc<ListenerTable>,
        deadline: i64,
    },
    Bound(Box<SessionCore>),
    Closed,
}

/// A connection of the runtime (acceptor or initiator side).
pub struct Conn {
    state: State,
    /// After a graceful close request: how long the flush may take (ns).
    close_by: Option<i64>,
    parser: Parser,
    slot: Option<Slot>,
    events: mpsc::Sender<Event>,
    /// This connection's reactor, for [`SessionHandle`](super::SessionHandle) wake-ups.
    remote: Remote<Conn>,
    /// Queued records taken from the outbox (capacity reused).
    queued: Vec<u8>,
    /// The framer met a message larger than the receive buffer: why.
    oversize: Option<String>,
    /// Length of the outbound buffer when this callback began (hot
    /// standby: what the callback wrote may have to wait).
    mark: usize,
    /// Hot standby: a graceful close waiting for held output to go.
    close_after_release: Option<Disposition>,
}

impl Conn {
    pub(crate) fn accepted(
        table: Arc<ListenerTable>,
        now: UtcTimestamp,
        events: mpsc::Sender<Event>,
        remote: Remote<Conn>,
    ) -> Self {
        let deadline = now.as_nanos().saturating_add(table.logon_timeout);
        Self {
            state: State::Unbound { table, deadline },
            close_by: None,
            parser: Parser::new(),
            slot: None,
            events,
            remote,
            queued: Vec::new(),
            oversize: None,
            mark: 0,
            close_after_release: None,
        }
    }

    pub(crate) fn initiating(
        core: Box<SessionCore>,
        slot: Slot,
        events: mpsc::Sender<Event>,
        remote: Remote<Conn>,
    ) -> Self {
        Self {
            state: State::Bound(core),
            close_by: None,
            parser: Parser::new(),
            slot: Some(slot),
            events,
            remote,
            queued: Vec::new(),
            oversize: None,
            mark: 0,
            close_after_release: None,
        }
    }

    fn bind(&mut self, frame: &[u8], ctx: &mut Ctx<'_>, now: UtcTimestamp) {
        let State::Unbound { table, .. } = &self.state else {
            return;
        };
        self.mark = ctx.outbound().len();
        let table = Arc::clone(table);
        let Ok(view) = self.parser.parse_framed(frame) else {
            tracing::warn!("first message unparsable: closing");
            ctx.close(CloseMode::Now);
            return;
        };
        let msg = Incoming::from_view(&view);
        let idx = match table.router.route(&msg) {
            Ok(i) => i,
            Err(e) => {
                tracing::warn!(error = %e, "logon refused: closing");
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
        if !core.ha_ready() {
            // Raced a step-down: this node no longer listens for it.
            put_back(slot, core);
            ctx.close(CloseMode::Now);
            return;
        }
        if !core.cfg.schedule.is_in_session(now) {
            core.event(now, "Logon refused: outside session time");
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
        core.event(now, "Accepted connection, Logon received");
        core.outbox.attach(self.remote.clone(), ctx.id());
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

fn put_back(slot: &Slot, core: Box<SessionCore>) {
    if let Ok(mut s) = slot.lock() {
        *s = Some(core);
    }
}

/// How long a graceful close may take to flush what is queued.
const FLUSH_NANOS: i64 = 2_000_000_000;

impl Conn {
    /// Acts on a session's disposition. On a close the session is released
    /// at once (disconnected, back in its slot): what it wrote is already
    /// queued, and a new connection may claim it while this one drains.
    fn apply(&mut self, d: Disposition, ctx: &mut Ctx<'_>, now: UtcTimestamp) {
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
                self.close_by = Some(now.as_nanos().saturating_add(FLUSH_NANOS));
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
    fn release(&mut self, now: UtcTimestamp, why: &str) {
        let state = std::mem::replace(&mut self.state, State::Closed);
        let State::Bound(mut core) = state else {
            self.state = state;
            return;
        };
        core.event(now, why);
        // Output still held for replication is not sent on this connection.
        core.held.clear();
        let logged_on = core.seen.logged_on;
        let end = core.closed(now);
        if let Err(e) = core.session.store_mut().sync(now) {
            tracing::error!(session = &*core.name, error = %e, "store sync failed");
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

impl ConnectionHandler for Conn {
    fn on_open(&mut self, ctx: &mut Ctx<'_>, now: UtcTimestamp) {
        self.mark = ctx.outbound().len();
        let State::Bound(core) = &mut self.state else {
            return;
        };
        core.event(now, "Connected, sending Logon");
        core.outbox.attach(self.remote.clone(), ctx.id());
        let d = core.handle(Ev::Connected, now, ctx.outbound());
        self.apply(d, ctx, now);
    }

    fn on_frame(&mut self, frame: &[u8], ctx: &mut Ctx<'_>, now: UtcTimestamp) {
        self.mark = ctx.outbound().len();
        let d = match &mut self.state {
            State::Unbound { .. } => return self.bind(frame, ctx, now),
            State::Bound(core) => {
                let queued = ctx.outbound().len();
                core.received(now, frame);
                let d = match self.parser.parse_framed(frame) {
                    Ok(view) => {
                        let msg = Incoming::from_view(&view);
                        core.handle(Ev::Message(&msg), now, ctx.outbound())
                    }
                    Err(_) => core.handle(Ev::Garbled, now, ctx.outbound()),
                };
                // An answer is handed to the send path: the engine's own time.
                if ctx.recv_stamp() != 0 && ctx.outbound().len() > queued {
                    let ticks = probe::stamp().wrapping_sub(ctx.recv_stamp());
                    core.counters.internal_latency.record(ticks);
                }
                d
            }
            State::Closed => return,
        };
        self.apply(d, ctx, now);
    }

    fn frame(&mut self, buf: &[u8], max_len: usize) -> Framed {
        let f = ringfix_codec::frame(buf, max_len);
        if let ringfix_codec::Frame::Garbled {
            error: e @ FrameError::TooLarge { .. },
            ..
        } = &f
        {
            self.oversize = Some(e.to_string());
        }
        f.into()
    }

    fn on_garbled(&mut self, _skipped: &[u8], ctx: &mut Ctx<'_>, now: UtcTimestamp) {
        self.mark = ctx.outbound().len();
        let oversize = self.oversize.take();
        let d = match (&mut self.state, oversize) {
            // Skipping it would only lead to endless resends of it: a
            // message we cannot hold ends the connection, saying why.
            (State::Bound(core), Some(why)) => {
                core.event(now, &format!("Disconnecting: {why}"));
                let d = core.handle(Ev::LogoutText(&why), now, ctx.outbound());
                Disposition {
                    close: match d.close {
                        Close::Now => Close::Now,
                        _ => Close::AfterFlush,
                    },
                    reconnect: d.reconnect,
                }
            }
            (State::Bound(core), None) => core.handle(Ev::Garbled, now, ctx.outbound()),
            // Garbage before any Logon: nobody to talk to.
            (State::Unbound { .. }, why) => {
                if let Some(why) = why {
                    tracing::warn!("{why}: closing");
                }
                return ctx.close(CloseMode::Now);
            }
            (State::Closed, _) => return,
        };
        self.apply(d, ctx, now);
    }

    fn on_deadline(&mut self, ctx: &mut Ctx<'_>, now: UtcTimestamp) {
        self.mark = ctx.outbound().len();
        let d = match &mut self.state {
            State::Unbound { deadline, .. } => {
                if now.as_nanos() >= *deadline {
                    tracing::warn!("no Logon within LogonTimeout: closing");
                    ctx.close(CloseMode::Now);
                    self.state = State::Closed;
                }
                return;
            }
            State::Bound(core) => core.on_deadline(now, ctx.outbound()),
            State::Closed => return,
        };
        self.apply(d, ctx, now);
    }

    fn deadline(&self) -> Option<UtcTimestamp> {
        if let Some(t) = self.close_by {
            return Some(UtcTimestamp::from_nanos(t));
        }
        match &self.state {
            State::Unbound { deadline, .. } => Some(UtcTimestamp::from_nanos(*deadline)),
            State::Bound(core) => core.deadline(),
            State::Closed => None,
        }
    }

    fn wants_idle(&self) -> bool {
        matches!(&self.state, State::Bound(core) if core.upkeep_due())
    }

    fn on_idle(&mut self, _ctx: &mut Ctx<'_>, now: UtcTimestamp) -> bool {
        match &mut self.state {
            State::Bound(core) => core.upkeep(now),
            _ => false,
        }
    }

    fn on_stop(&mut self, ctx: &mut Ctx<'_>, now: UtcTimestamp) {
        self.mark = ctx.outbound().len();
        let d = match &mut self.state {
            State::Bound(core) => {
                core.stop_requested = true;
                if !core.session.is_logged_on() {
                    ctx.close(CloseMode::Now);
                    return self.release(now, "Stopping");
                }
                core.event(now, "Stopping: logging out");
                core.handle(Ev::Logout, now, ctx.outbound())
            }
            State::Unbound { .. } => return ctx.close(CloseMode::Now),
            State::Closed => return,
        };
        self.apply(d, ctx, now);
    }

    fn on_notify(&mut self, ctx: &mut Ctx<'_>, now: UtcTimestamp) {
        self.mark = ctx.outbound().len();
        let State::Bound(core) = &mut self.state else {
            return;
        };
        core.outbox.take(&mut self.queued);
        let d = core.handle(Ev::Queued(&self.queued), now, ctx.outbound());
        self.apply(d, ctx, now);
    }

    fn on_closed(&mut self, reason: &CloseReason, now: UtcTimestamp) {
        self.release(now, &format!("Disconnected: {reason}"));
    }
}
