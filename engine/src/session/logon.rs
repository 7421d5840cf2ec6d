//! Logon: our Logon (initiator) or the answer (acceptor), ResetSeqNumFlag
//! both ways, ResetOnLogon, HeartBtInt, gaps on Logon.

use ringfix_codec::fields;

use super::event::Event;
use super::incoming::Incoming;
use super::settings::{Role, Version};
use super::state::{FatalError, Phase};
use super::{Cx, Session, NANOS};
use crate::store::MessageStore;

impl<S: MessageStore> Session<S> {
    /// Whether our Logon of this connection asked for a reset.
    fn sent_reset(&self) -> bool {
        matches!(
            self.phase,
            Phase::AwaitingLogon {
                sent: Some((_, true)),
                ..
            }
        )
    }

    /// Writes our Logon. `answer_reset`: the peer asked for a reset.
    pub(crate) fn send_logon(&mut self, cx: &mut Cx<'_>, answer_reset: bool) {
        let initiating = matches!(self.phase, Phase::AwaitingLogon { .. });
        let mut sent_reset = self.sent_reset();
        if initiating && self.cfg.reset_on_logon {
            self.reset_seqs(cx);
            sent_reset = true;
        }
        let reset = answer_reset || sent_reset;
        let hb = self.hb_nanos / NANOS;
        let version = self.cfg.version();
        let next_expected =
            if self.cfg.enable_next_expected_msg_seq_num && version >= Version::Fix44 {
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
            w.field(fields::ENCRYPT_METHOD, b"0");
            w.field_i64(fields::HEART_BT_INT, hb);
            // FIX.4.0 has no ResetSeqNumFlag (fuzz finding).
            if reset && version >= Version::Fix41 {
                w.field(fields::RESET_SEQ_NUM_FLAG, b"Y");
            }
            if let Some(n) = next_expected {
                w.field_u64(fields::NEXT_EXPECTED_MSG_SEQ_NUM, n);
            }
            if let Some(v) = &appl_ver {
                w.field(fields::DEFAULT_APPL_VER_ID, v.as_bytes());
            }
        });
        if !sent {
            return;
        }
        self.events.push_back(Event::LogonSent {
            answer: !initiating,
        });
        if let Phase::AwaitingLogon { sent, .. } = &mut self.phase {
            *sent = Some((cx.now.mono, sent_reset));
        }
    }

    /// QuickFIX `nextLogon`.
    pub(crate) fn next_logon(&mut self, cx: &mut Cx<'_>, msg: &Incoming<'_>) {
        let reset_flag = msg.get(fields::RESET_SEQ_NUM_FLAG) == Some(b"Y");
        let sent_reset = self.sent_reset();
        let awaiting = matches!(self.phase, Phase::AwaitingLogon { .. });
        let sent_ours = matches!(self.phase, Phase::AwaitingLogon { sent: Some(_), .. });
        if reset_flag {
            self.events.push_back(Event::LogonReset);
            if !sent_reset {
                self.reset_seqs(cx);
            }
        }
        if self.cfg.role == Role::Initiator && awaiting && !sent_ours && !reset_flag {
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
        // We answer: an acceptor always, an initiator when the peer asks
        // for a reset we did not ask for (a reset while logged on).
        let answering = self.cfg.role == Role::Acceptor || (reset_flag && !sent_reset);
        self.events
            .push_back(Event::LogonReceived { answer: !answering });
        self.logged_on();
        let mut answer_seq = None;
        if answering {
            answer_seq = Some(self.ob.next_sender);
            if let Some(hb) = msg.get_u64(fields::HEART_BT_INT) {
                self.hb_nanos = i64::try_from(hb).unwrap_or(0).saturating_mul(NANOS);
            }
            self.send_logon(cx, reset_flag);
        }
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
        if self.is_logged_on() {
            self.events.push_back(Event::LoggedOn);
            if let Some(((), true)) = self.call_app(cx, |app, cfg, out| app.on_logon(cfg, out)) {
                self.app_logout(cx);
            }
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
        let Some(expected) = msg.get_u64(fields::NEXT_EXPECTED_MSG_SEQ_NUM) else {
            return true;
        };
        let next = answer_seq.unwrap_or(self.ob.next_sender);
        if expected > next {
            let text = format!(
                "Tag 789 (NextExpectedMsgSeqNum) is higher than expected. Expected {next}, Received {expected}"
            );
            self.send_logout(cx, Some(&text), false);
            self.fatal(cx, FatalError::BadLogon);
            return false;
        }
        if expected < next {
            self.answer_resend(cx, expected, next - 1);
        }
        true
    }
}
