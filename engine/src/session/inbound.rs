//! Inbound dispatch and QuickFIX's `verify`: logon state, SendingTime,
//! CompIDs, sequence numbers - in that order.

use super::app::AppVerdict;
use super::incoming::{is_admin_type, Incoming};
use super::outbound::Sender;
use super::state::{Close, FatalError, LogoutReason};
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
        for (tag, present) in [(49, h.sender.is_some()), (56, h.target.is_some())] {
            if present {
                continue;
            }
            if self.cfg.version() >= 42 && !is_admin_type(msg_type) {
                self.send_business_reject(cx, msg, 5, Some(tag), None);
            } else {
                self.send_reject(cx, msg, reason::REQUIRED_TAG_MISSING, Some(i64::from(tag)));
                if msg_type == b"A" {
                    self.fatal(cx, FatalError::BadLogon);
                }
            }
            return;
        }
        if begin != self.cfg.begin_string.as_bytes() {
            if msg_type == b"5" && self.received_logon {
                self.next_logout(cx, msg);
            } else {
                if self.received_logon {
                    self.send_logout(cx, Some("Incorrect BeginString"));
                    self.incr_target(cx);
                }
                self.fatal(cx, FatalError::BeginStringMismatch);
            }
            return;
        }
        if msg_type == b"A" && self.cfg.is_fixt() && msg.get(1137).is_none() {
            // No DefaultApplVerID: no application version to talk in.
            self.fatal(cx, FatalError::BadLogon);
            return;
        }
        if let Some(v) = self.validator.as_mut() {
            if let Err(e) = v.validate(msg) {
                match e.kind {
                    RejectKind::Session(r) => self.send_reject(cx, msg, r, e.ref_tag),
                    RejectKind::Business(r) => {
                        let tag = e.ref_tag.and_then(|t| u32::try_from(t).ok());
                        self.send_business_reject(cx, msg, r, tag, None)
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
                    cx.app.on_admin(&self.cfg, msg);
                    self.incr_target(cx);
                }
            }
            b"4" => self.next_sequence_reset(cx, msg),
            b"5" => self.next_logout(cx, msg),
            _ => self.next_app(cx, msg),
        }
    }

    fn next_test_request(&mut self, cx: &mut Cx<'_>, msg: &Incoming<'_>) {
        if !self.verify(cx, msg, true, true) {
            return;
        }
        cx.app.on_admin(&self.cfg, msg);
        // Never an empty 112 (fuzz finding: `112=` is an invalid field).
        self.send_heartbeat(cx, msg.get(112).filter(|id| !id.is_empty()));
        self.incr_target(cx);
    }

    pub(crate) fn next_logout(&mut self, cx: &mut Cx<'_>, msg: &Incoming<'_>) {
        if !self.verify(cx, msg, false, false) {
            return;
        }
        cx.app.on_admin(&self.cfg, msg);
        let reason = if self.sent_logout {
            LogoutReason::OurLogout
        } else {
            self.send_logout(cx, None);
            LogoutReason::PeerLogout
        };
        self.incr_target(cx);
        if self.cfg.reset_on_logout {
            self.reset_seqs(cx);
        }
        self.close(cx, Close::AfterFlush, reason);
    }

    fn next_app(&mut self, cx: &mut Cx<'_>, msg: &Incoming<'_>) {
        if !self.verify(cx, msg, true, true) {
            return;
        }
        let mut sender = Sender {
            cfg: &self.cfg,
            st: &mut self.ob,
            store: &mut self.store,
            out: cx.out,
            now: cx.now,
            logged_on: true,
        };
        let verdict = cx.app.on_app(&self.cfg, msg, &mut sender);
        if self.ob.stopped {
            self.close(cx, Close::Now, LogoutReason::StoreFailure);
            return;
        }
        match verdict {
            AppVerdict::Accept => self.incr_target(cx),
            AppVerdict::BusinessReject {
                reason,
                ref_tag,
                text,
            } => self.send_business_reject(cx, msg, reason, ref_tag, text),
            AppVerdict::SessionReject { reason, ref_tag } => {
                self.send_reject(cx, msg, reason, ref_tag.map(i64::from))
            }
        }
    }

    /// QuickFIX `validLogonState`: is this message type allowed now?
    fn valid_logon_state(&self, msg_type: &[u8]) -> bool {
        let logon = msg_type == b"A";
        (logon && self.sent_reset)
            || self.received_reset
            || (logon && !self.received_logon)
            || (!logon && self.received_logon)
            || (msg_type == b"5" && self.sent_logon)
            || (msg_type != b"5" && self.sent_logout)
            || msg_type == b"4"
            || msg_type == b"3"
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
        if !self.valid_logon_state(msg_type) {
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
                    if self.received_logon {
                        self.send_logout(cx, None);
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
            self.send_logout(cx, None);
            self.fatal(cx, FatalError::CompIdMismatch);
            return false;
        }
        if too_high || too_low {
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
