//! The application interface: callbacks for inbound messages and session
//! events, hooks on outbound admin messages and resends.

use super::encode::FieldWriter;
use super::event::RejectInfo;
use super::incoming::{Incoming, Tag};
use super::outbound::Sender;
use super::settings::SessionSettings;
use super::state::LogoutReason;
use crate::time::MonoTime;

/// What the application says about an inbound application message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppVerdict {
    /// Processed (or ignored); the session moves on.
    Accept,
    /// Answer with BusinessMessageReject (35=j; session Reject before
    /// FIX.4.2): BusinessRejectReason (380), optional RefTagID, Text (58).
    BusinessReject {
        /// BusinessRejectReason (380).
        reason: u32,
        /// Tag the reject is about (appended to Text as ` (tag)`).
        ref_tag: Option<Tag>,
        /// Text (58); `None` uses the standard text of `reason`.
        text: Option<&'static str>,
    },
    /// Answer with a session-level Reject (35=3).
    SessionReject {
        /// SessionRejectReason (373).
        reason: u32,
        /// RefTagID (371).
        ref_tag: Option<Tag>,
    },
}

/// Whether a stored application message is resent or gap-filled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResendDecision {
    /// Resend it with PossDupFlag=Y and OrigSendingTime.
    Resend,
    /// Replace it with SequenceReset-GapFill (e.g. a stale order).
    GapFill,
}

/// Who sent an inbound Logon: what an acceptor knows of the connection.
#[derive(Clone, Copy, Debug, Default)]
pub struct LogonPeer<'a> {
    /// The peer's address.
    pub addr: Option<std::net::SocketAddr>,
    /// The TLS client certificate's subject (RFC 4514), when one was
    /// presented.
    pub subject: Option<&'a str>,
    /// Its subject alternative names (`DNS:host`, `IP:addr`, ...).
    pub sans: &'a [String],
}

/// The application's answer to an inbound Logon.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogonDecision {
    /// The session goes on with it (its own checks still apply).
    Accept,
    /// Answered with a Logout carrying this Text (58), then closed; the
    /// session's sequence numbers and store are left as they were.
    Refuse(String),
}

/// Callbacks of one or more sessions. All have defaults except
/// [`on_app`](Application::on_app).
pub trait Application {
    /// An inbound application message, in sequence. `out` sends in
    /// response (the message numbers follow the inbound one).
    fn on_app(
        &mut self,
        session: &SessionSettings,
        msg: &Incoming<'_>,
        out: &mut Sender<'_>,
    ) -> AppVerdict;

    /// An inbound Logon, before the session accepts it (acceptor): all its
    /// fields in `msg`, the peer's address and TLS client certificate in
    /// `peer`. The default accepts.
    fn on_logon_request(
        &mut self,
        _session: &SessionSettings,
        _msg: &Incoming<'_>,
        _peer: &LogonPeer<'_>,
    ) -> LogonDecision {
        LogonDecision::Accept
    }

    /// An inbound admin message that passed the session checks.
    fn on_admin(&mut self, _session: &SessionSettings, _msg: &Incoming<'_>) {}

    /// The Logon exchange completed. `out` sends (the first orders of the
    /// day, a subscription...).
    fn on_logon(&mut self, _session: &SessionSettings, _out: &mut Sender<'_>) {}

    /// The session logged out or lost its connection.
    fn on_logout(&mut self, _session: &SessionSettings, _reason: LogoutReason) {}

    /// Sequence numbers were reset (forget per-session-epoch state).
    fn on_reset(&mut self, _session: &SessionSettings) {}

    /// Add body fields to an outbound admin message (e.g. Username 553 /
    /// Password 554 on Logon). They follow the session's own body fields.
    fn on_admin_out(
        &mut self,
        _session: &SessionSettings,
        _msg_type: &[u8],
        _w: &mut FieldWriter<'_>,
    ) {
    }

    /// Resend or gap-fill the stored application message `seq`.
    fn resend_decision(
        &mut self,
        _session: &SessionSettings,
        _seq: u64,
        _msg_type: &[u8],
        _stored: &[u8],
    ) -> ResendDecision {
        ResendDecision::Resend
    }

    /// A Reject (35=3) or BusinessMessageReject (35=j) was sent or
    /// received, or an inbound message was refused (by the data
    /// dictionary: [`RejectInfo::validation`]). A received
    /// BusinessMessageReject also reaches [`on_app`](Self::on_app); a
    /// received Reject also [`on_admin`](Self::on_admin).
    fn on_reject(&mut self, _session: &SessionSettings, _reject: &RejectInfo) {}

    /// The application's own initiative: called after every event while the
    /// session is logged on, and when [`wake_at`](Self::wake_at) is
    /// reached. Send through `out`; `out.logout()` ends the session.
    fn poll(&mut self, _out: &mut Sender<'_>) {}

    /// When [`poll`](Self::poll) must run next (the monotonic clock of
    /// [`Sender::now`]), if the application has a timer of its own.
    fn wake_at(&self) -> Option<MonoTime> {
        None
    }

    /// The application is done: the session is not reconnected after it
    /// ends (an initiator's runtime then stops).
    fn finished(&self) -> bool {
        false
    }

    /// Hot standby: this node became the session's leader (fencing
    /// `token`), before it connects or listens. `history` is the store
    /// replicated from the old leader: the outbound messages (for
    /// resends) and the sequence numbers.
    fn on_became_leader(&mut self, _token: u64, _history: &dyn crate::store::MessageStore) {}
}
