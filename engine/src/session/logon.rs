//! Logon: our Logon (initiator) or the answer (acceptor), ResetSeqNumFlag
//! both ways, ResetOnLogon, HeartBtInt, gaps on Logon.

use ringfix_codec::fields;

use super::event::Event;
use super::incoming::Incoming;
use super::settings::{Role, Version};
use super::state::{FatalError, Phase};
use super::{Cx, ResendPending, Session, NANOS};
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

    /// Writes our Logon. `answer_reset`: the peer asked for a reset;
    /// `peer_seq`: the MsgSeqNum of the Logon we answer.
    pub(crate) fn send_logon(
        &mut self,
        cx: &mut Cx<'_>,
        answer_reset: bool,
        peer_seq: Option<u64>,
    ) {
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
                // Answering, the peer's Logon is not counted yet: it will be
                // unless it is beyond a gap (then the gap is what we expect).
                Some(match peer_seq {
                    Some(seq) if seq <= self.next_target => self.next_target + 1,
                    _ => self.next_target,
                })
            } else {
                None
            };
        let appl_ver = if self.cfg.is_fixt() {
            self.cfg.default_appl_ver_id.clone()
        } else {
            None
        };
        // Cloned (a Logon is rare; empty clones allocate nothing): the
        // application's on_admin_out still sees the whole settings.
        let logon_tags = self.cfg.logon_tags.clone();
        if let Some(seq) = peer_seq {
            self.ob.last_processed = seq;
        }
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
            for (tag, v) in &logon_tags {
                w.field(*tag, v.as_bytes());
            }
        });
        if !sent {
            return;
        }
        if next_expected.is_some() {
            self.sent_next_expected = true;
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
        // IgnoreAbsenceOf141tag=N (QuickFIX/J): the answer to our reset
        // must confirm it (FIX.4.0 has no ResetSeqNumFlag).
        let unconfirmed = sent_reset && !reset_flag && self.cfg.version() >= Version::Fix41;
        if unconfirmed && !self.cfg.ignore_absence_of_141_tag {
            self.fatal(cx, FatalError::BadLogon);
            return;
        }
        // We answer: an acceptor always, an initiator when the peer asks
        // for a reset we did not ask for (a reset while logged on).
        let answering = self.cfg.role == Role::Acceptor || (reset_flag && !sent_reset);
        // The number our next message carries: what a 789 may ask for.
        let next_out = self.ob.next_sender;
        let peer_expects = msg
            .get_u64(fields::NEXT_EXPECTED_MSG_SEQ_NUM)
            .filter(|_| self.cfg.enable_next_expected_msg_seq_num);
        if peer_expects.is_some_and(|e| e > next_out) {
            self.next_expected_too_high(cx, next_out, peer_expects.unwrap_or_default());
            return;
        }
        self.events
            .push_back(Event::LogonReceived { answer: !answering });
        self.logged_on();
        let seq = msg.header().seq.unwrap_or(0);
        if answering {
            if let Some(hb) = msg.get_u64(fields::HEART_BT_INT) {
                self.hb_nanos = i64::try_from(hb).unwrap_or(0).saturating_mul(NANOS);
            }
            self.send_logon(cx, reset_flag, Some(seq));
        }
        cx.app.on_admin(&self.cfg, msg);
        if let Some(expected) = peer_expects.filter(|e| *e < next_out) {
            // The peer missed what we sent before this Logon exchange.
            self.events.push_back(Event::NextExpectedResend {
                begin: expected,
                end: next_out - 1,
            });
            self.answer_resend(cx, expected, next_out - 1);
        }
        if seq > self.next_target && !reset_flag && self.cfg.validate_sequence_numbers {
            if self.sent_next_expected {
                // Our 789 asked for the gap: the peer resends it unasked.
                self.expect_retransmits(msg, seq);
            } else {
                self.do_target_too_high(cx, msg, seq);
            }
        } else {
            if seq > self.next_target && !reset_flag {
                // ValidateSequenceNumbers=N: the peer's number is taken.
                self.set_next_target(cx, seq);
            }
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

    /// NextExpectedMsgSeqNum (789) on a Logon above the number our next
    /// message carries: we cannot resend what we never sent. Logout with
    /// QuickFIX/J's text, before any Logon answer, and disconnect.
    fn next_expected_too_high(&mut self, cx: &mut Cx<'_>, next: u64, expected: u64) {
        let text = format!(
            "Tag 789 (NextExpectedMsgSeqNum) is higher than expected. Expected {next}, Received {expected}"
        );
        self.send_logout(cx, Some(&text), false);
        self.fatal(cx, FatalError::BadLogon);
    }

    /// The peer's Logon is beyond a gap and our Logon carried 789: the
    /// peer resends the gap without a ResendRequest (QuickFIX C++ and /J).
    /// The Logon is queued and the gap marked as asked for.
    fn expect_retransmits(&mut self, msg: &Incoming<'_>, seq: u64) {
        let begin = self.next_target;
        self.events.push_back(Event::ExpectingRetransmits {
            begin,
            end: seq - 1,
        });
        self.queue.insert(seq, msg.raw().to_vec());
        self.resend = Some(ResendPending {
            begin,
            end: seq - 1,
            target_end: seq - 1,
        });
    }
}
