//! FIX session state machine: messages, connection events and the current
//! time in; bytes (appended to the caller's outbound buffer), application
//! callbacks, a [`Disposition`] and the next deadline out. No I/O, no clock
//! reads (quinn-proto style).
//!
//! One module per concern: `inbound` (dispatch and the QuickFIX `verify`
//! checks), `logon`, `sequence` (gaps, queueing, SequenceReset), `resend`
//! (answering ResendRequests), `timers` (deadlines), `reject`, `outbound`
//! (header order, store-before-send), `router` (acceptor session lookup).

mod app;
mod encode;
mod inbound;
mod incoming;
mod logon;
mod outbound;
mod reject;
mod resend;
mod router;
mod sequence;
mod settings;
mod state;
mod time;
mod timers;
mod validate;

use std::collections::BTreeMap;

pub use app::{AppVerdict, Application, ResendDecision};
pub use encode::FieldWriter;
pub use incoming::{
    is_admin_type, is_header_tag, parse_u64, FieldIter, Header, Incoming, Tag, SOH,
};
pub use outbound::{SendError, Sender};
pub use router::{RouteError, Router};
pub use settings::{Role, SessionSettings};
pub use state::{Close, Disposition, FatalError, LogoutReason, SessionState, Transition};
pub use time::{parse_timestamp, write_timestamp};
pub use validate::{reason, reason_text, RejectKind, ValidationError, Validator};

use crate::store::{MessageStore, UtcTimestamp};
use outbound::OutState;

const NANOS: i64 = 1_000_000_000;

/// An outstanding ResendRequest we sent.
#[derive(Clone, Copy, Debug)]
struct ResendPending {
    /// First sequence number asked for.
    begin: u64,
    /// Last one asked for in this request (chunked requests end early).
    end: u64,
    /// Last one missing overall.
    target_end: u64,
}

/// Per-event context: where bytes go, who hears about it, and when.
pub(crate) struct Cx<'a> {
    out: &'a mut Vec<u8>,
    app: &'a mut dyn Application,
    now: i64,
}

/// One FIX session. Owns its store (sequence numbers and sent messages).
pub struct Session<S: MessageStore> {
    cfg: SessionSettings,
    store: S,
    validator: Option<Box<dyn Validator + Send>>,
    ob: OutState,
    next_target: u64,
    connected: bool,
    connected_at: i64,
    hb_nanos: i64,
    last_recv: i64,
    test_requests: u32,
    received_logon: bool,
    sent_logon: bool,
    logon_sent_at: i64,
    sent_logout: bool,
    logout_sent_at: i64,
    sent_reset: bool,
    received_reset: bool,
    resend: Option<ResendPending>,
    queue: BTreeMap<u64, Vec<u8>>,
    last_resend_answered: Option<(u64, u64)>,
    closing: Option<Close>,
    close_at: i64,
    logout_reported: bool,
    last_state: SessionState,
}

impl<S: MessageStore> Session<S> {
    /// A disconnected session over `store`, validating inbound messages
    /// with `validator` when given.
    pub fn new(
        cfg: SessionSettings,
        store: S,
        validator: Option<Box<dyn Validator + Send>>,
    ) -> Self {
        let next_sender = store.next_sender_seq();
        let next_target = store.next_target_seq();
        let hb_nanos = i64::from(cfg.heart_bt_int) * NANOS;
        Self {
            cfg,
            store,
            validator,
            ob: OutState {
                next_sender,
                last_sent: 0,
                stopped: false,
            },
            next_target,
            connected: false,
            connected_at: 0,
            hb_nanos,
            last_recv: 0,
            test_requests: 0,
            received_logon: false,
            sent_logon: false,
            logon_sent_at: 0,
            sent_logout: false,
            logout_sent_at: 0,
            sent_reset: false,
            received_reset: false,
            resend: None,
            queue: BTreeMap::new(),
            last_resend_answered: None,
            closing: None,
            close_at: 0,
            logout_reported: false,
            last_state: SessionState::Disconnected,
        }
    }

    /// The settings.
    pub fn settings(&self) -> &SessionSettings {
        &self.cfg
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The store, mutably (e.g. to sync it).
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// Takes the validator out (to build the session again over another
    /// store without loading its dictionaries again: hot standby).
    pub fn take_validator(&mut self) -> Option<Box<dyn Validator + Send>> {
        self.validator.take()
    }

    /// MsgSeqNum of the next message we send.
    pub fn next_sender_seq(&self) -> u64 {
        self.ob.next_sender
    }

    /// MsgSeqNum we expect next from the peer.
    pub fn next_target_seq(&self) -> u64 {
        self.next_target
    }

    /// HeartBtInt in force, in seconds.
    pub fn heart_bt_int(&self) -> i64 {
        self.hb_nanos / NANOS
    }

    /// Whether the Logon exchange completed on this connection.
    pub fn is_logged_on(&self) -> bool {
        self.connected && self.received_logon && self.sent_logon
    }

    /// The current state.
    pub fn state(&self) -> SessionState {
        if !self.connected {
            SessionState::Disconnected
        } else if !self.received_logon || !self.sent_logon {
            SessionState::AwaitingLogon
        } else if self.sent_logout {
            SessionState::LogoutSent
        } else if self.resend.is_some() {
            SessionState::AwaitingResend
        } else {
            SessionState::Active
        }
    }

    /// A connection opened (accepted, or connected for an initiator, which
    /// then sends its Logon).
    pub fn connected(
        &mut self,
        now: UtcTimestamp,
        out: &mut Vec<u8>,
        app: &mut dyn Application,
    ) -> Disposition {
        self.step(now, out, app, |s, cx| {
            s.reset_connection_flags();
            s.connected = true;
            s.connected_at = cx.now;
            s.last_recv = cx.now;
            s.ob.last_sent = cx.now;
            s.hb_nanos = i64::from(s.cfg.heart_bt_int) * NANOS;
            if s.cfg.role == Role::Initiator {
                s.send_logon(cx, false);
            }
        })
    }

    /// A complete inbound message.
    pub fn on_message(
        &mut self,
        msg: &Incoming<'_>,
        now: UtcTimestamp,
        out: &mut Vec<u8>,
        app: &mut dyn Application,
    ) -> Disposition {
        self.step(now, out, app, |s, cx| {
            if s.connected && s.closing.is_none() {
                s.process(cx, msg);
                if s.closing.is_none() {
                    s.drain_queue(cx);
                }
            }
        })
    }

    /// The framer dropped garbled bytes. Ignored, as QuickFIX does: only
    /// complete messages count.
    pub fn on_garbled(&mut self, _now: UtcTimestamp) -> Disposition {
        self.disposition()
    }

    /// The deadline passed (or any time: early calls do nothing).
    pub fn on_timer(
        &mut self,
        now: UtcTimestamp,
        out: &mut Vec<u8>,
        app: &mut dyn Application,
    ) -> Disposition {
        self.step(now, out, app, |s, cx| {
            if s.connected && s.closing.is_none() {
                s.check_timers(cx);
            }
        })
    }

    /// The connection is gone.
    pub fn disconnected(&mut self, now: UtcTimestamp, app: &mut dyn Application) {
        let now = now.as_nanos();
        if !self.connected {
            return;
        }
        if self.received_logon && !self.logout_reported {
            self.logout_reported = true;
            app.on_logout(&self.cfg, LogoutReason::Disconnected);
        }
        self.connected = false;
        if self.cfg.reset_on_disconnect {
            let _ = self.reset_store(now, app);
        }
        self.reset_connection_flags();
        self.emit_transition(app, now);
    }

    /// Starts a graceful logout (LogoutTimeout bounds the wait).
    pub fn logout(
        &mut self,
        text: Option<&str>,
        now: UtcTimestamp,
        out: &mut Vec<u8>,
        app: &mut dyn Application,
    ) -> Disposition {
        self.step(now, out, app, |s, cx| {
            if s.is_logged_on() && !s.sent_logout && s.closing.is_none() {
                s.send_logout(cx, text);
            }
        })
    }

    /// Sends an application message; `body` writes the body fields into
    /// the encoder. Returns the MsgSeqNum used. The message is in the
    /// store before this returns `Ok`.
    pub fn send(
        &mut self,
        msg_type: &[u8],
        extra_header: &[(Tag, &[u8])],
        body: impl FnMut(&mut FieldWriter<'_>),
        now: UtcTimestamp,
        out: &mut Vec<u8>,
    ) -> Result<u64, SendError> {
        let logged_on = self.is_logged_on() && self.closing.is_none();
        let mut sender = Sender {
            cfg: &self.cfg,
            st: &mut self.ob,
            store: &mut self.store,
            out,
            now: now.as_nanos(),
            logged_on,
        };
        let r = sender.send(msg_type, extra_header, body);
        if self.ob.stopped && self.closing.is_none() {
            self.closing = Some(Close::Now);
            self.close_at = now.as_nanos();
        }
        r
    }

    /// When [`on_timer`](Self::on_timer) must be called next; always `Some`
    /// while connected.
    pub fn deadline(&self) -> Option<UtcTimestamp> {
        if !self.connected {
            return None;
        }
        if self.closing.is_some() {
            return Some(UtcTimestamp::from_nanos(self.close_at));
        }
        if !self.received_logon || !self.sent_logon {
            let base = if self.sent_logon {
                self.logon_sent_at
            } else {
                self.connected_at
            };
            let t = base.saturating_add(i64::from(self.cfg.logon_timeout) * NANOS);
            return Some(UtcTimestamp::from_nanos(t));
        }
        Some(UtcTimestamp::from_nanos(self.active_deadline()))
    }

    fn reset_connection_flags(&mut self) {
        self.received_logon = false;
        self.sent_logon = false;
        self.sent_logout = false;
        self.sent_reset = false;
        self.received_reset = false;
        self.resend = None;
        self.queue.clear();
        self.last_resend_answered = None;
        self.closing = None;
        self.test_requests = 0;
        self.logout_reported = false;
    }

    fn disposition(&self) -> Disposition {
        match self.closing {
            None => Disposition::KEEP,
            Some(close) => Disposition {
                close,
                reconnect: self.cfg.reconnect,
            },
        }
    }

    /// One input: runs `f` with the caller's buffer, application and
    /// clock, then reports the state transition and the disposition.
    fn step(
        &mut self,
        now: UtcTimestamp,
        out: &mut Vec<u8>,
        app: &mut dyn Application,
        f: impl FnOnce(&mut Self, &mut Cx<'_>),
    ) -> Disposition {
        let mut cx = Cx {
            out,
            app,
            now: now.as_nanos(),
        };
        f(self, &mut cx);
        self.emit_transition(cx.app, cx.now);
        self.disposition()
    }

    fn emit_transition(&mut self, app: &mut dyn Application, now: i64) {
        let to = self.state();
        if to != self.last_state {
            let t = Transition {
                from: self.last_state,
                to,
                at: now,
            };
            self.last_state = to;
            app.on_transition(&self.cfg, t);
        }
    }

    /// Decides to close; reports the logout reason once.
    fn close(&mut self, cx: &mut Cx<'_>, mode: Close, reason: LogoutReason) {
        let stronger = matches!(
            (self.closing, mode),
            (None, _) | (Some(Close::AfterFlush), Close::Now)
        );
        if stronger {
            self.closing = Some(mode);
            self.close_at = cx.now;
        }
        if self.received_logon && !self.logout_reported {
            self.logout_reported = true;
            cx.app.on_logout(&self.cfg, reason);
        }
    }

    fn fatal(&mut self, cx: &mut Cx<'_>, e: FatalError) {
        self.close(cx, Close::Now, LogoutReason::Fatal(e));
    }

    /// Store reset: both sequence numbers back to 1, queue and gaps gone.
    fn reset_store(&mut self, now: i64, app: &mut dyn Application) -> bool {
        self.queue.clear();
        self.resend = None;
        self.last_resend_answered = None;
        self.ob.next_sender = 1;
        self.next_target = 1;
        app.on_reset(&self.cfg);
        match self.store.reset(UtcTimestamp::from_nanos(now)) {
            Ok(()) => true,
            Err(_) => {
                self.ob.stopped = true;
                false
            }
        }
    }

    fn reset_seqs(&mut self, cx: &mut Cx<'_>) {
        if !self.reset_store(cx.now, cx.app) {
            self.close(cx, Close::Now, LogoutReason::StoreFailure);
        }
    }

    fn set_next_target(&mut self, cx: &mut Cx<'_>, seq: u64) {
        self.next_target = seq;
        if self.store.set_next_target_seq(seq).is_err() {
            self.ob.stopped = true;
            self.close(cx, Close::Now, LogoutReason::StoreFailure);
        }
    }

    fn incr_target(&mut self, cx: &mut Cx<'_>) {
        let next = self.next_target.saturating_add(1);
        self.set_next_target(cx, next);
    }

    /// Sends a new admin message (header by the session, `body` fields,
    /// then the application's additions). Store failure closes.
    fn send_admin(
        &mut self,
        cx: &mut Cx<'_>,
        msg_type: &[u8],
        extra_header: &[(Tag, &[u8])],
        body: &mut dyn FnMut(&mut FieldWriter<'_>),
    ) -> bool {
        if self.closing == Some(Close::Now) {
            return false;
        }
        let r = outbound::send_new(
            &self.cfg,
            &mut self.ob,
            &mut self.store,
            cx.out,
            cx.now,
            msg_type,
            extra_header,
            body,
            Some(&mut *cx.app),
        );
        match r {
            Ok(_) => true,
            Err(_) => {
                self.close(cx, Close::Now, LogoutReason::StoreFailure);
                false
            }
        }
    }

    fn send_logout(&mut self, cx: &mut Cx<'_>, text: Option<&str>) {
        let sent = self.send_admin(cx, b"5", &[], &mut |w| {
            if let Some(t) = text {
                w.field(58, t.as_bytes());
            }
        });
        if sent {
            self.sent_logout = true;
            self.logout_sent_at = cx.now;
        }
    }

    fn send_heartbeat(&mut self, cx: &mut Cx<'_>, test_req_id: Option<&[u8]>) {
        self.send_admin(cx, b"0", &[], &mut |w| {
            if let Some(id) = test_req_id {
                w.field(112, id);
            }
        });
    }
}
