//! Inbound dispatch and QuickFIX's `verify`: logon state, SendingTime,
//! CompIDs, sequence numbers - in that order.

use std::panic::AssertUnwindSafe;

use ringfix_codec::{fields, frame, tags, Frame};

use super::app::AppVerdict;
use super::event::{Event, RejectInfo, RejectWay};
use super::incoming::{is_admin_type, Incoming};
use super::settings::{ErrorPolicy, Version};
use super::state::{Close, FatalError, LogoutReason, Phase};
use super::time::parse_timestamp;
use super::validate::{reason, RejectKind};
use super::{Cx, Session, NANOS};
use crate::store::MessageStore;

impl<S: MessageStore> Session<S> {
    /// One inbound message (fresh or dequeued).
    pub(crate) fn process(&mut self, cx: &mut Cx<'_>, msg: &Incoming<'_>) {
        let h = *msg.header();
        let (Some(msg_type), Some(begin)) = (h.msg_type, h.begin_string) else {
            return;
        };
        for (tag, present) in [
            (tags::SENDER_COMP_ID, h.sender.is_some()),
            (tags::TARGET_COMP_ID, h.target.is_some()),
        ] {
            if present {
                continue;
            }
            if self.on_error_policy(cx, msg) {
                return;
            }
            if self.cfg.version() >= Version::Fix42 && !is_admin_type(msg_type) {
                self.send_business_reject(cx, msg, 5, Some(tag), None, false);
            } else {
                self.send_reject(cx, msg, reason::REQUIRED_TAG_MISSING, Some(i64::from(tag)));
                if msg_type == b"A" {
                    self.fatal(cx, FatalError::BadLogon);
                }
            }
            return;
        }
        if begin != self.cfg.begin_string.as_bytes() {
            if msg_type == b"5" && self.is_logged_on() {
                self.next_logout(cx, msg);
            } else {
                if self.is_logged_on() {
                    self.send_logout(cx, Some("Incorrect BeginString"), false);
                    self.incr_target(cx);
                }
                self.fatal(cx, FatalError::BeginStringMismatch);
            }
            return;
        }
        if msg_type == b"A" && self.cfg.is_fixt() && msg.get(fields::DEFAULT_APPL_VER_ID).is_none()
        {
            // No DefaultApplVerID: no application version to talk in.
            self.fatal(cx, FatalError::BadLogon);
            return;
        }
        if let Some(v) = self.validator.as_mut() {
            if let Err(e) = v.validate(msg) {
                if self.on_error_policy(cx, msg) {
                    return;
                }
                match e.kind {
                    RejectKind::Session(r) => {
                        self.send_reject_as(cx, msg, r, e.ref_tag, true);
                    }
                    RejectKind::Business(r) => {
                        let tag = e.ref_tag.and_then(|t| u32::try_from(t).ok());
                        self.send_business_reject(cx, msg, r, tag, None, true)
                    }
                }
                if msg_type == b"A" {
                    self.fatal(cx, FatalError::BadLogon);
                }
                return;
            }
        }
        match msg_type {
            b"A" => self.next_logon(cx, msg),
            b"0" => {
                if self.verify(cx, msg, true, true) {
                    cx.app.on_admin(&self.cfg, msg);
                    self.incr_target(cx);
                }
            }
            b"1" => self.next_test_request(cx, msg),
            b"2" => self.next_resend_request(cx, msg),
            b"3" => {
                if self.verify(cx, msg, true, true) {
                    self.reject_received(cx, msg, false);
                    cx.app.on_admin(&self.cfg, msg);
                    self.incr_target(cx);
                }
            }
            b"4" => self.next_sequence_reset(cx, msg),
            b"5" => self.next_logout(cx, msg),
            _ => self.next_app(cx, msg),
        }
    }

    /// A Reject or BusinessMessageReject from the counterparty: told to the
    /// application and queued.
    fn reject_received(&mut self, cx: &mut Cx<'_>, msg: &Incoming<'_>, business: bool) {
        let reason_tag = if business {
            fields::BUSINESS_REJECT_REASON
        } else {
            fields::SESSION_REJECT_REASON
        };
        let text = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
        let info = RejectInfo {
            way: RejectWay::Received,
            business,
            reason: msg.get_u64(reason_tag).and_then(|r| u32::try_from(r).ok()),
            ref_seq: msg.get_u64(fields::REF_SEQ_NUM),
            ref_tag: msg
                .get(fields::REF_TAG_ID)
                .and_then(|v| std::str::from_utf8(v).ok()?.parse().ok()),
            ref_msg_type: msg.get(fields::REF_MSG_TYPE).map(text).unwrap_or_default(),
            text: msg.get(fields::TEXT).map(text),
            validation: false,
        };
        cx.app.on_reject(&self.cfg, &info);
        self.events.push_back(Event::Reject(info));
    }

    fn next_test_request(&mut self, cx: &mut Cx<'_>, msg: &Incoming<'_>) {
        if !self.verify(cx, msg, true, true) {
            return;
        }
        cx.app.on_admin(&self.cfg, msg);
        // Never an empty 112 (fuzz finding: `112=` is an invalid field).
        let id = msg.get(fields::TEST_REQ_ID).filter(|id| !id.is_empty());
        self.answering(msg);
        self.send_heartbeat(cx, id);
        self.incr_target(cx);
    }

    pub(crate) fn next_logout(&mut self, cx: &mut Cx<'_>, msg: &Incoming<'_>) {
        if !self.verify(cx, msg, false, false) {
            return;
        }
        cx.app.on_admin(&self.cfg, msg);
        let ours = matches!(
            self.phase,
            Phase::LoggedOn {
                logout_sent: Some(_)
            }
        );
        let text = msg
            .get(fields::TEXT)
            .map(|t| String::from_utf8_lossy(t).into_owned());
        self.events
            .push_back(Event::LogoutReceived { answer: ours, text });
        let reason = if ours {
            LogoutReason::OurLogout
        } else {
            self.answering(msg);
            self.send_logout(cx, None, true);
            LogoutReason::PeerLogout
        };
        self.incr_target(cx);
        if self.cfg.reset_on_logout || self.reset_pending {
            self.reset_seqs(cx);
        }
        self.close(cx, Close::AfterFlush, reason);
    }

    fn next_app(&mut self, cx: &mut Cx<'_>, msg: &Incoming<'_>) {
        if !self.verify(cx, msg, true, true) {
            return;
        }
        if msg.msg_type() == b"j" {
            self.reject_received(cx, msg, true);
        }
        let mark = cx.out.len();
        let called = self.call_app(cx, |app, cfg, out| {
            // A panic in the application is QuickFIX/J's unhandled
            // exception: caught, and RejectMessageOnUnhandledException says
            // what follows.
            std::panic::catch_unwind(AssertUnwindSafe(|| app.on_app(cfg, msg, out)))
        });
        let Some((result, logout)) = called else {
            return;
        };
        let verdict = match result {
            Ok(v) => v,
            Err(payload) => {
                self.app_panicked(cx, msg, mark, payload.as_ref());
                return;
            }
        };
        if verdict != AppVerdict::Accept && self.on_error_policy(cx, msg) {
            return;
        }
        match verdict {
            AppVerdict::Accept => self.incr_target(cx),
            AppVerdict::BusinessReject {
                reason,
                ref_tag,
                text,
            } => self.send_business_reject(cx, msg, reason, ref_tag, text, false),
            AppVerdict::SessionReject { reason, ref_tag } => {
                self.send_reject(cx, msg, reason, ref_tag.map(i64::from))
            }
        }
        if logout {
            self.app_logout(cx);
        }
    }

    /// The application panicked on `msg`. Messages it sent before stay
    /// (stored and counted); a message it was writing is removed (its
    /// bytes after `mark` that are not a complete frame). Then, as
    /// QuickFIX/J: with RejectMessageOnUnhandledException the message is
    /// rejected (BusinessMessageReject ApplicationNotAvailable; a Reject
    /// "Other" before FIX.4.2), after ResetOnError/DisconnectOnError have
    /// their say; without it the message is not counted, so the next one
    /// asks for it again.
    fn app_panicked(
        &mut self,
        cx: &mut Cx<'_>,
        msg: &Incoming<'_>,
        mark: usize,
        payload: &(dyn std::any::Any + Send),
    ) {
        let mut end = mark;
        while let Frame::Complete(n) = frame(&cx.out[end..], usize::MAX) {
            end += n;
        }
        cx.out.truncate(end);
        let text = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        let rejected = self.cfg.reject_message_on_unhandled_exception;
        self.events.push_back(Event::AppPanicked {
            seq: msg.header().seq.unwrap_or(0),
            rejected,
            text,
        });
        if !rejected || self.on_error_policy(cx, msg) {
            return;
        }
        if self.cfg.version() >= Version::Fix42 {
            self.send_business_reject(cx, msg, 4, None, None, false);
        } else {
            // SessionRejectReason 99: Other.
            self.send_reject(cx, msg, 99, None);
        }
    }

    /// ResetOnError / DisconnectOnError (QuickFIX/J): an application
    /// message we would reject while logged on. `true`: handled instead
    /// of the reject (the message is not counted; the session ends).
    fn on_error_policy(&mut self, cx: &mut Cx<'_>, msg: &Incoming<'_>) -> bool {
        let Phase::LoggedOn { logout_sent } = self.phase else {
            return false;
        };
        if is_admin_type(msg.msg_type()) {
            return false;
        }
        let seq = msg.header().seq.unwrap_or(0);
        match self.cfg.on_error {
            ErrorPolicy::Reject => return false,
            ErrorPolicy::Reset => {
                self.events
                    .push_back(Event::ErrorPolicy { reset: true, seq });
                self.reset_pending = true;
                if logout_sent.is_none() {
                    self.send_logout(cx, Some("Session reset"), false);
                }
            }
            ErrorPolicy::Disconnect => {
                self.events
                    .push_back(Event::ErrorPolicy { reset: false, seq });
                self.close(cx, Close::Now, LogoutReason::ErrorPolicy);
            }
        }
        true
    }

    /// What we send next answers `msg`: LastMsgSeqNumProcessed (369) names
    /// it (QuickFIX/J).
    pub(crate) fn answering(&mut self, msg: &Incoming<'_>) {
        if let Some(seq) = msg.header().seq {
            self.ob.last_processed = seq;
        }
    }

    /// The application asked for a graceful logout (`Sender::logout`).
    pub(crate) fn app_logout(&mut self, cx: &mut Cx<'_>) {
        if matches!(self.phase, Phase::LoggedOn { logout_sent: None }) {
            self.send_logout(cx, None, false);
        }
    }

    /// QuickFIX `validLogonState`: is this message type allowed now? Before
    /// the peer's Logon: a Logon, a SequenceReset, a Reject, or a Logout
    /// answering ours; a Logon with ResetSeqNumFlag=Y always. Logged on:
    /// anything but a second Logon (which only a reset or a pending Logout
    /// of ours makes acceptable).
    fn valid_logon_state(&self, msg: &Incoming<'_>) -> bool {
        let msg_type = msg.msg_type();
        let logon = msg_type == b"A";
        let received_reset = logon && msg.get(fields::RESET_SEQ_NUM_FLAG) == Some(b"Y");
        match self.phase {
            Phase::AwaitingLogon { sent, .. } => {
                logon || matches!(msg_type, b"3" | b"4") || (msg_type == b"5" && sent.is_some())
            }
            Phase::LoggedOn { logout_sent } => !logon || received_reset || logout_sent.is_some(),
            Phase::Disconnected | Phase::Closing { .. } => false,
        }
    }

    /// QuickFIX `verify`. `false`: the message was handled here (rejected,
    /// queued, dropped or fatal) and must not be processed further.
    pub(crate) fn verify(
        &mut self,
        cx: &mut Cx<'_>,
        msg: &Incoming<'_>,
        too_high: bool,
        too_low: bool,
    ) -> bool {
        let h = *msg.header();
        let msg_type = msg.msg_type();
        if !self.valid_logon_state(msg) {
            self.fatal(cx, FatalError::BadLogonState);
            return false;
        }
        match h.sending_time.map(parse_timestamp) {
            None => {
                self.send_reject(cx, msg, reason::REQUIRED_TAG_MISSING, Some(52));
                return false;
            }
            Some(None) => {
                self.send_reject(cx, msg, reason::INCORRECT_DATA_FORMAT, Some(52));
                return false;
            }
            Some(Some(t)) => {
                // SendingTime is wall time: compared with our wall clock.
                let max = i64::from(self.cfg.max_latency) * NANOS;
                let wall = cx.now.wall.as_nanos();
                if self.cfg.check_latency && wall.saturating_sub(t).saturating_abs() > max {
                    self.send_reject(cx, msg, reason::SENDING_TIME_ACCURACY, None);
                    if self.is_logged_on() {
                        self.send_logout(cx, None, false);
                    } else {
                        self.fatal(cx, FatalError::BadLogon);
                    }
                    return false;
                }
            }
        }
        if h.sender != Some(self.cfg.target_comp_id.as_bytes())
            || h.target != Some(self.cfg.sender_comp_id.as_bytes())
        {
            self.send_reject(cx, msg, reason::COMP_ID_PROBLEM, None);
            self.send_logout(cx, None, false);
            self.fatal(cx, FatalError::CompIdMismatch);
            return false;
        }
        if (too_high || too_low) && !self.cfg.validate_sequence_numbers {
            // ValidateSequenceNumbers=N: the peer's number is the next.
            if let Some(seq) = h.seq.filter(|s| *s != self.next_target) {
                self.set_next_target(cx, seq);
            }
        } else if too_high || too_low {
            let Some(seq) = h.seq else {
                self.send_reject(cx, msg, reason::REQUIRED_TAG_MISSING, Some(34));
                return false;
            };
            if too_high && seq > self.next_target {
                self.do_target_too_high(cx, msg, seq);
                return false;
            }
            if too_low && seq < self.next_target {
                self.do_target_too_low(cx, msg, seq);
                return false;
            }
            // A GapFill is judged after its NewSeqNo is applied.
            if msg_type != b"4" {
                self.check_resend_satisfied(seq);
            }
        }
        self.last_recv = cx.now.mono;
        self.test_requests = 0;
        true
    }
}
