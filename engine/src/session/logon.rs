//! Logon: our Logon (initiator) or the answer (acceptor), ResetSeqNumFlag
//! both ways, ResetOnLogon, HeartBtInt, gaps on Logon.

use super::incoming::Incoming;
use super::settings::Role;
use super::state::FatalError;
use super::{Cx, Session, NANOS};
use crate::store::MessageStore;

impl<S: MessageStore> Session<S> {
    /// Writes our Logon. `answer_reset`: the peer asked for a reset.
    pub(crate) fn send_logon(&mut self, cx: &mut Cx<'_>, answer_reset: bool) {
        let initiating = self.cfg.role == Role::Initiator && !self.received_logon;
        if initiating && self.cfg.reset_on_logon {
            self.reset_seqs(cx);
            self.sent_reset = true;
        }
        let reset = answer_reset || self.sent_reset;
        let hb = self.hb_nanos / NANOS;
        let version = self.cfg.version();
        let next_expected = if self.cfg.enable_next_expected_msg_seq_num && self.cfg.version() >= 44
        {
            Some(if initiating {
                self.next_target
            } else {
                self.next_target + 1
            })
        } else {
            None
        };
        let appl_ver = if self.cfg.is_fixt() {
            self.cfg.default_appl_ver_id.clone()
        } else {
            None
        };
        let sent = self.send_admin(cx, b"A", &[], &mut |w| {
            w.field(98, b"0");
            w.field_i64(108, hb);
            // FIX.4.0 has no ResetSeqNumFlag (fuzz finding).
            if reset && version >= 41 {
                w.field(141, b"Y");
            }
            if let Some(n) = next_expected {
                w.field_u64(789, n);
            }
            if let Some(v) = &appl_ver {
                w.field(1137, v.as_bytes());
            }
        });
        if sent {
            self.sent_logon = true;
            self.logon_sent_at = cx.now;
        }
    }

    /// QuickFIX `nextLogon`.
    pub(crate) fn next_logon(&mut self, cx: &mut Cx<'_>, msg: &Incoming<'_>) {
        let reset_flag = msg.get(141) == Some(b"Y");
        self.received_reset = reset_flag;
        if reset_flag && !self.sent_reset {
            self.reset_seqs(cx);
        }
        if self.cfg.role == Role::Initiator && !self.sent_logon && !reset_flag {
            // A Logon answer before we asked.
            self.fatal(cx, FatalError::BadLogonState);
            return;
        }
        if self.cfg.role == Role::Acceptor && self.cfg.reset_on_logon && !reset_flag {
            self.reset_seqs(cx);
        }
        if !self.verify(cx, msg, false, true) {
            return;
        }
        // IgnoreAbsenceOf141tag=N (QuickFIX/J): the answer to our reset
        // must confirm it (FIX.4.0 has no ResetSeqNumFlag).
        let unconfirmed = self.sent_reset && !reset_flag && self.cfg.version() >= 41;
        if unconfirmed && !self.cfg.ignore_absence_of_141_tag {
            self.fatal(cx, FatalError::BadLogon);
            return;
        }
        self.received_logon = true;
        let mut answer_seq = None;
        if self.cfg.role == Role::Acceptor || (self.received_reset && !self.sent_reset) {
            answer_seq = Some(self.ob.next_sender);
            if let Some(hb) = msg.get_u64(108) {
                self.hb_nanos = i64::try_from(hb).unwrap_or(0).saturating_mul(NANOS);
            }
            let answer_reset = self.received_reset;
            self.send_logon(cx, answer_reset);
        }
        self.sent_reset = false;
        self.received_reset = false;
        cx.app.on_admin(&self.cfg, msg);
        if self.cfg.enable_next_expected_msg_seq_num && !self.next_expected_ok(cx, msg, answer_seq)
        {
            return;
        }
        let seq = msg.header().seq.unwrap_or(0);
        if seq > self.next_target && !reset_flag {
            self.do_target_too_high(cx, msg, seq);
        } else {
            self.incr_target(cx);
            self.drain_queue(cx);
        }
        if self.is_logged_on() && self.closing.is_none() {
            cx.app.on_logon(&self.cfg);
        }
    }

    /// NextExpectedMsgSeqNum (789) on a Logon: resend what the peer missed
    /// before our Logon answer (`answer_seq`), or log out when it expects a
    /// number we never sent.
    fn next_expected_ok(
        &mut self,
        cx: &mut Cx<'_>,
        msg: &Incoming<'_>,
        answer_seq: Option<u64>,
    ) -> bool {
        let Some(expected) = msg.get_u64(789) else {
            return true;
        };
        let next = answer_seq.unwrap_or(self.ob.next_sender);
        if expected > next {
            let text = format!(
                "Tag 789 (NextExpectedMsgSeqNum) is higher than expected. Expected {next}, Received {expected}"
            );
            self.send_logout(cx, Some(&text));
            self.fatal(cx, FatalError::BadLogon);
            return false;
        }
        if expected < next {
            self.answer_resend(cx, expected, next - 1);
        }
        true
    }
}
