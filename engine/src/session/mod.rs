//! FIX session state machine: messages, connection events and the current
//! time in; bytes (appended to the caller's outbound buffer), application
//! callbacks, a [`Disposition`], the next deadline and queued [`Event`]s
//! out. No I/O, no clock reads (quinn-proto style).
//!
//! The lifecycle is one private enum (`state::Phase`: disconnected,
//! awaiting the Logon, logged on, closing) changed only by named
//! transitions; what the session decides is queued as events the caller
//! polls ([`Session::poll_event`]).
//!
//! One module per concern: `inbound` (dispatch and the QuickFIX `verify`
//! checks), `logon`, `sequence` (gaps, queueing, SequenceReset), `resend`
//! (answering ResendRequests), `timers` (deadlines), `reject`, `outbound`
//! (header order, store-before-send), `router` (acceptor session lookup),
//! `event` (the decisions, in QuickFIX's words).

mod app;
mod draft;
mod encode;
mod event;
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

use std::collections::{BTreeMap, VecDeque};

use ringfix_codec::Parser;

pub use app::{AppVerdict, Application, LogonDecision, LogonPeer, ResendDecision};
pub use draft::SessionDraft;
pub use encode::FieldWriter;
pub use event::{Event, RejectInfo, RejectWay};
pub use incoming::{
    is_admin_type, is_header_tag, parse_u64, FieldIter, Header, Incoming, Tag, SOH,
};
pub use outbound::{SendError, Sender};
pub use router::{RouteError, Router};
pub use settings::{ErrorPolicy, Role, Secret, SessionSettings, Version};
pub use state::{Close, Disposition, FatalError, LogoutReason, SessionState, Transition};
pub use time::{parse_timestamp, write_timestamp};
pub use validate::{reason, reason_text, RejectKind, ValidationError, Validator};

use crate::store::MessageStore;
use crate::time::{MonoTime, Now};
use outbound::OutState;
use state::Phase;

const NANOS: i64 = 1_000_000_000;
/// QuickFIX/J's Text (58) for a rejected garbled message.
const GARBLED_TEXT: &str = "Message failed basic validity check";

/// Events kept before the caller polls (more only in a burst of decisions,
/// e.g. a long resend: the queue grows, off the in-order message path).
const EVENTS_KEPT: usize = 32;

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
    now: Now,
}

/// One FIX session. Owns its store (sequence numbers and sent messages).
pub struct Session<S: MessageStore> {
    cfg: SessionSettings,
    store: S,
    validator: Option<Box<dyn Validator + Send>>,
    ob: OutState,
    next_target: u64,
    /// The lifecycle (changed only by the transition methods below).
    phase: Phase,
    hb_nanos: i64,
    last_recv: MonoTime,
    test_requests: u32,
    resend: Option<ResendPending>,
    /// The last number a satisfied request left to ask for (see
    /// `continue_resend`).
    resend_rest: Option<u64>,
    queue: BTreeMap<u64, Vec<u8>>,
    /// Indexes queued and stored messages (the codec's parser: one path).
    /// Taken out while in use (`with_parser`).
    parser: Option<Box<Parser>>,
    last_resend_answered: Option<(u64, u64)>,
    /// Decisions not yet polled.
    events: VecDeque<Event>,
    /// The state last reported as an [`Event::State`].
    shown: SessionState,
    /// Our Logon of this connection carried NextExpectedMsgSeqNum (789).
    sent_next_expected: bool,
    /// ResetOnError logged out: sequence numbers go back to 1 when the
    /// logout ends.
    reset_pending: bool,
}

impl<S: MessageStore> Session<S> {
    /// A disconnected session over `store`, validating inbound messages
    /// with `validator` when given.
    pub fn new(
        cfg: SessionSettings,
        store: S,
        validator: Option<Box<dyn Validator + Send>>,
    ) -> Self {
        let mut cfg = cfg;
        cfg.sync_version();
        let next_sender = store.next_sender_seq();
        let next_target = store.next_target_seq();
        let hb_nanos = i64::from(cfg.heart_bt_int) * NANOS;
        Self {
            cfg,
            store,
            validator,
            ob: OutState {
                next_sender,
                last_sent: MonoTime::ZERO,
                stopped: false,
                last_processed: next_target.saturating_sub(1),
            },
            next_target,
            phase: Phase::Disconnected,
            hb_nanos,
            last_recv: MonoTime::ZERO,
            test_requests: 0,
            resend: None,
            resend_rest: None,
            queue: BTreeMap::new(),
            parser: Some(Box::new(Parser::new())),
            last_resend_answered: None,
            events: VecDeque::with_capacity(EVENTS_KEPT),
            shown: SessionState::Disconnected,
            sent_next_expected: false,
            reset_pending: false,
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

    /// Whether the Logon exchange completed on this connection (and the
    /// session is not closing it).
    pub fn is_logged_on(&self) -> bool {
        matches!(self.phase, Phase::LoggedOn { .. })
    }

    /// The current state.
    pub fn state(&self) -> SessionState {
        match self.phase {
            Phase::Disconnected => SessionState::Disconnected,
            Phase::AwaitingLogon { .. } => SessionState::AwaitingLogon,
            Phase::LoggedOn {
                logout_sent: Some(_),
            } => SessionState::LogoutSent,
            Phase::LoggedOn { .. } if self.resend.is_some() => SessionState::AwaitingResend,
            Phase::LoggedOn { .. } => SessionState::Active,
            Phase::Closing { shown, .. } => shown,
        }
    }

    /// The next decision not yet polled (oldest first). Poll after every
    /// call until `None`.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// A connection opened (accepted, or connected for an initiator, which
    /// then sends its Logon).
    pub fn connected(
        &mut self,
        now: Now,
        out: &mut Vec<u8>,
        app: &mut dyn Application,
    ) -> Disposition {
        self.step(now, out, app, |s, cx| {
            s.reset_connection();
            s.phase = Phase::AwaitingLogon {
                since: cx.now.mono,
                sent: None,
            };
            s.last_recv = cx.now.mono;
            s.ob.last_sent = cx.now.mono;
            s.hb_nanos = i64::from(s.cfg.heart_bt_int) * NANOS;
            if s.cfg.role == Role::Initiator {
                s.send_logon(cx, false, None);
            }
        })
    }

    /// A complete inbound message.
    pub fn on_message(
        &mut self,
        msg: &Incoming<'_>,
        now: Now,
        out: &mut Vec<u8>,
        app: &mut dyn Application,
    ) -> Disposition {
        self.step(now, out, app, |s, cx| {
            if s.is_open() {
                s.process(cx, msg);
                if s.is_open() {
                    s.drain_queue(cx);
                    s.continue_resend(cx);
                }
            }
        })
    }

    /// The framer dropped garbled bytes. Ignored, as QuickFIX does: only
    /// complete messages count.
    pub fn on_garbled(&mut self, _now: Now) -> Disposition {
        self.disposition()
    }

    /// A complete frame that is garbled (wrong CheckSum, fields that do not
    /// parse). Ignored like [`Session::on_garbled`], unless
    /// `reject_garbled_message`: then a logged-on session answers with a
    /// Reject "Message failed basic validity check" (QuickFIX/J), which
    /// counts the message when its MsgSeqNum was the one expected.
    pub fn on_garbled_message(
        &mut self,
        raw: &[u8],
        now: Now,
        out: &mut Vec<u8>,
        app: &mut dyn Application,
    ) -> Disposition {
        if !self.cfg.reject_garbled_message {
            return self.on_garbled(now);
        }
        self.step(now, out, app, |s, cx| {
            if matches!(s.phase, Phase::LoggedOn { .. }) {
                // A frame whose fields do not parse has no header to
                // answer to: ignored, as without the setting.
                let _ = Incoming::parse_with(raw, |m| {
                    s.send_text_reject(cx, m, GARBLED_TEXT, false);
                });
            }
        })
    }

    /// The deadline passed (or any time: early calls do nothing).
    pub fn on_timer(
        &mut self,
        now: Now,
        out: &mut Vec<u8>,
        app: &mut dyn Application,
    ) -> Disposition {
        self.step(now, out, app, |s, cx| {
            if s.is_open() {
                s.check_timers(cx);
            }
        })
    }

    /// The connection is gone.
    pub fn disconnected(&mut self, now: Now, app: &mut dyn Application) {
        if self.phase == Phase::Disconnected {
            return;
        }
        if self.is_logged_on() {
            self.report_logout(app, LogoutReason::Disconnected);
        }
        self.phase = Phase::Disconnected;
        if self.cfg.reset_on_disconnect || self.reset_pending {
            let _ = self.reset_store(now, app);
        }
        self.reset_connection();
        self.emit_transition(now);
    }

    /// Starts a graceful logout (LogoutTimeout bounds the wait).
    pub fn logout(
        &mut self,
        text: Option<&str>,
        now: Now,
        out: &mut Vec<u8>,
        app: &mut dyn Application,
    ) -> Disposition {
        self.step(now, out, app, |s, cx| {
            if matches!(s.phase, Phase::LoggedOn { logout_sent: None }) {
                s.send_logout(cx, text, false);
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
        now: Now,
        out: &mut Vec<u8>,
    ) -> Result<u64, SendError> {
        let logged_on = self.is_logged_on();
        let next_target = self.next_target;
        let mut sender = Sender::new(
            &self.cfg,
            &mut self.ob,
            &mut self.store,
            out,
            now,
            logged_on,
            next_target,
        );
        let r = sender.send(msg_type, extra_header, body);
        if self.ob.stopped && self.is_open() {
            self.close_at(now, Close::Now);
            self.events
                .push_back(Event::Closing(LogoutReason::StoreFailure));
        }
        r
    }

    /// Lets the application act on its own initiative
    /// ([`Application::poll`]): a no-op unless logged on.
    pub fn poll_app(
        &mut self,
        now: Now,
        out: &mut Vec<u8>,
        app: &mut dyn Application,
    ) -> Disposition {
        self.step(now, out, app, |s, cx| {
            if s.is_logged_on() {
                if let Some(((), true)) = s.call_app(cx, |app, _, out| app.poll(out)) {
                    s.app_logout(cx);
                }
            }
        })
    }

    /// Calls the application with a [`Sender`] (`f`); `None` when a send
    /// in it failed to store (the session is then closing), else its
    /// result and whether it asked for a logout.
    pub(crate) fn call_app<R>(
        &mut self,
        cx: &mut Cx<'_>,
        f: impl FnOnce(&mut dyn Application, &SessionSettings, &mut Sender<'_>) -> R,
    ) -> Option<(R, bool)> {
        let logged_on = self.is_logged_on();
        let next_target = self.next_target;
        let mut sender = Sender::new(
            &self.cfg,
            &mut self.ob,
            &mut self.store,
            cx.out,
            cx.now,
            logged_on,
            next_target,
        );
        let r = f(&mut *cx.app, &self.cfg, &mut sender);
        let logout = sender.logout;
        if self.ob.stopped {
            self.close(cx, Close::Now, LogoutReason::StoreFailure);
            return None;
        }
        Some((r, logout))
    }

    /// When [`on_timer`](Self::on_timer) must be called next, on the
    /// monotonic clock; always `Some` while connected.
    pub fn deadline(&self) -> Option<MonoTime> {
        match self.phase {
            Phase::Disconnected => None,
            Phase::Closing { at, .. } => Some(at),
            Phase::AwaitingLogon { since, sent } => {
                let base = sent.map_or(since, |(t, _)| t);
                Some(base.add_secs(i64::from(self.cfg.logon_timeout)))
            }
            Phase::LoggedOn { logout_sent } => Some(self.active_deadline(logout_sent)),
        }
    }

    /// Connected and not closing: messages and timers are processed.
    fn is_open(&self) -> bool {
        matches!(
            self.phase,
            Phase::AwaitingLogon { .. } | Phase::LoggedOn { .. }
        )
    }

    /// Per-connection state back to that of a fresh connection.
    fn reset_connection(&mut self) {
        self.resend = None;
        self.resend_rest = None;
        self.queue.clear();
        self.last_resend_answered = None;
        self.test_requests = 0;
        self.sent_next_expected = false;
    }

    /// Runs `f` with the session's parser (a fresh one if it is already in
    /// use further up the stack).
    pub(crate) fn with_parser<R>(&mut self, f: impl FnOnce(&mut Self, &mut Parser) -> R) -> R {
        let mut parser = self.parser.take().unwrap_or_default();
        let r = f(self, &mut parser);
        self.parser = Some(parser);
        r
    }

    /// What the caller must do with the connection now (the verdict the
    /// last call returned, unless something since closed it).
    pub fn disposition(&self) -> Disposition {
        match self.phase {
            Phase::Closing { mode, .. } => Disposition {
                close: mode,
                reconnect: self.cfg.reconnect,
            },
            _ => Disposition::KEEP,
        }
    }

    /// One input: runs `f` with the caller's buffer, application and
    /// clock, then reports the state transition and the disposition.
    fn step(
        &mut self,
        now: Now,
        out: &mut Vec<u8>,
        app: &mut dyn Application,
        f: impl FnOnce(&mut Self, &mut Cx<'_>),
    ) -> Disposition {
        let mut cx = Cx { out, app, now };
        f(self, &mut cx);
        self.emit_transition(now);
        self.disposition()
    }

    fn emit_transition(&mut self, now: Now) {
        let to = self.state();
        if to != self.shown {
            let t = Transition {
                from: self.shown,
                to,
                at: now.wall.as_nanos(),
            };
            self.shown = to;
            self.events.push_back(Event::State(t));
        }
    }

    /// Transition: the peer's Logon is accepted (and ours sent or about
    /// to be answered in this step).
    fn logged_on(&mut self) {
        if !self.is_logged_on() {
            self.phase = Phase::LoggedOn { logout_sent: None };
        }
    }

    /// Transition to `Closing` (a stronger close replaces a weaker one).
    fn close_at(&mut self, now: Now, mode: Close) {
        let shown = self.state();
        match self.phase {
            Phase::Closing {
                mode: Close::AfterFlush,
                at,
                shown,
            } if mode == Close::Now => {
                self.phase = Phase::Closing { mode, at, shown };
            }
            Phase::Closing { .. } | Phase::Disconnected => {}
            _ => {
                self.phase = Phase::Closing {
                    mode,
                    at: now.mono,
                    shown,
                }
            }
        }
    }

    /// Decides to close; a logged-on session reports its logout once
    /// (leaving `LoggedOn` is the once).
    fn close(&mut self, cx: &mut Cx<'_>, mode: Close, reason: LogoutReason) {
        let was_logged_on = self.is_logged_on();
        let closing = matches!(self.phase, Phase::Closing { .. });
        self.close_at(cx.now, mode);
        if !closing {
            self.events.push_back(Event::Closing(reason));
        }
        if was_logged_on {
            self.report_logout(cx.app, reason);
        }
    }

    fn report_logout(&mut self, app: &mut dyn Application, reason: LogoutReason) {
        app.on_logout(&self.cfg, reason);
        self.events.push_back(Event::LoggedOut(reason));
    }

    fn fatal(&mut self, cx: &mut Cx<'_>, e: FatalError) {
        self.close(cx, Close::Now, LogoutReason::Fatal(e));
    }

    /// Store reset: both sequence numbers back to 1, queue and gaps gone.
    fn reset_store(&mut self, now: Now, app: &mut dyn Application) -> bool {
        self.queue.clear();
        self.resend = None;
        self.resend_rest = None;
        self.last_resend_answered = None;
        self.ob.next_sender = 1;
        self.next_target = 1;
        self.ob.last_processed = 0;
        self.reset_pending = false;
        app.on_reset(&self.cfg);
        self.events.push_back(Event::Reset);
        match self.store.reset(now.wall) {
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
        self.ob.last_processed = seq.saturating_sub(1);
        if self.store.set_next_target_seq(seq).is_err() {
            self.ob.stopped = true;
            self.close(cx, Close::Now, LogoutReason::StoreFailure);
        }
    }

    fn incr_target(&mut self, cx: &mut Cx<'_>) {
        let next = self.next_target.saturating_add(1);
        self.set_next_target(cx, next);
    }
}
