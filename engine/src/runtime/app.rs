//! The application seam of the runtime: the session's [`Application`]
//! callbacks plus what a running engine adds (the current time, a timer,
//! sending on its own initiative, finishing).

use crate::session::{
    AppVerdict, Application, FieldWriter, Incoming, LogoutReason, ResendDecision, SendError,
    Sender, Session, SessionSettings, Tag, Transition,
};
use crate::store::UtcTimestamp;

use super::log::LogSink;
use super::store::RuntimeStore;

/// An application run by the runtime, one instance per session.
pub trait EngineApp: Application + Send {
    /// The time of the event about to be delivered (called before every
    /// session event, so callbacks can stamp TransactTime and measure).
    fn set_now(&mut self, _now: UtcTimestamp) {}

    /// Called after every event while the session is logged on, and when
    /// [`wake_at`](Self::wake_at) is reached: send here on your own
    /// initiative.
    fn poll(&mut self, _io: &mut AppIo<'_>) {}

    /// When [`poll`](Self::poll) must run next, if the application has a
    /// timer of its own.
    fn wake_at(&self) -> Option<UtcTimestamp> {
        None
    }

    /// Hot standby: this node became the session's leader (fencing
    /// `token`), before it connects or listens. `history` is the store
    /// replicated from the old leader: the outbound messages (for
    /// resends) and the sequence numbers.
    fn on_became_leader(&mut self, _token: u64, _history: &dyn crate::store::MessageStore) {}

    /// The application is done: the session is not reconnected after it
    /// ends (an initiator's runtime then stops).
    fn finished(&self) -> bool {
        false
    }
}

/// What [`EngineApp::poll`] may do: send, log out.
pub struct AppIo<'a> {
    pub(crate) session: &'a mut Session<RuntimeStore>,
    pub(crate) out: &'a mut Vec<u8>,
    pub(crate) now: UtcTimestamp,
    pub(crate) logout: &'a mut bool,
}

impl AppIo<'_> {
    /// The current time.
    pub fn now(&self) -> UtcTimestamp {
        self.now
    }

    /// The session's settings.
    pub fn settings(&self) -> &SessionSettings {
        self.session.settings()
    }

    /// Whether the session is logged on.
    pub fn is_logged_on(&self) -> bool {
        self.session.is_logged_on()
    }

    /// Sends an application message (see [`Session::send`]).
    pub fn send(
        &mut self,
        msg_type: &[u8],
        extra_header: &[(Tag, &[u8])],
        body: impl FnMut(&mut FieldWriter<'_>),
    ) -> Result<u64, SendError> {
        self.session
            .send(msg_type, extra_header, body, self.now, self.out)
    }

    /// Starts a graceful logout once this call returns.
    pub fn logout(&mut self) {
        *self.logout = true;
    }

    /// MsgSeqNum of the next message we send.
    pub fn next_sender_seq(&self) -> u64 {
        self.session.next_sender_seq()
    }

    /// MsgSeqNum expected next from the peer.
    pub fn next_target_seq(&self) -> u64 {
        self.session.next_target_seq()
    }
}

/// What the runtime learns from the callbacks of one event.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Observed {
    pub logged_on: bool,
    pub logout: Option<LogoutReason>,
    pub transition: Option<Transition>,
    pub reset: bool,
}

/// Wraps the application to observe logons, logouts and transitions (and
/// to write them to the event log).
pub(crate) struct Tap<'a> {
    pub app: &'a mut dyn EngineApp,
    pub seen: &'a mut Observed,
    pub log: Option<&'a LogSink>,
    pub name: &'a str,
    pub now: UtcTimestamp,
}

impl Tap<'_> {
    fn event(&self, text: std::fmt::Arguments<'_>) {
        tracing::info!(session = self.name, "{text}");
        if let Some(log) = self.log {
            log.event(self.now, &text.to_string());
        }
    }
}

impl Application for Tap<'_> {
    fn on_app(
        &mut self,
        session: &SessionSettings,
        msg: &Incoming<'_>,
        out: &mut Sender<'_>,
    ) -> AppVerdict {
        self.app.on_app(session, msg, out)
    }
    fn on_admin(&mut self, session: &SessionSettings, msg: &Incoming<'_>) {
        self.app.on_admin(session, msg);
    }
    fn on_logon(&mut self, session: &SessionSettings) {
        self.seen.logged_on = true;
        self.event(format_args!("Logon complete"));
        self.app.on_logon(session);
    }
    fn on_logout(&mut self, session: &SessionSettings, reason: LogoutReason) {
        self.seen.logout = Some(reason);
        self.event(format_args!("Logout: {reason:?}"));
        self.app.on_logout(session, reason);
    }
    fn on_reset(&mut self, session: &SessionSettings) {
        self.seen.reset = true;
        self.event(format_args!("Sequence numbers reset"));
        self.app.on_reset(session);
    }
    fn on_admin_out(
        &mut self,
        session: &SessionSettings,
        msg_type: &[u8],
        w: &mut FieldWriter<'_>,
    ) {
        self.app.on_admin_out(session, msg_type, w);
    }
    fn resend_decision(
        &mut self,
        session: &SessionSettings,
        seq: u64,
        msg_type: &[u8],
        stored: &[u8],
    ) -> ResendDecision {
        self.app.resend_decision(session, seq, msg_type, stored)
    }
    fn on_transition(&mut self, session: &SessionSettings, t: Transition) {
        self.seen.transition = Some(t);
        tracing::debug!(session = self.name, "{} -> {}", t.from.name(), t.to.name());
        self.app.on_transition(session, t);
    }
}

/// The echo application runs as is.
impl EngineApp for crate::apps::echo::Echo {}
