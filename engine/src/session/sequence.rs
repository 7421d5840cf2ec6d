//! Sequence numbers: gaps (ResendRequest, chunked; later messages queued),
//! too-low messages (PossDup checks or a fatal Logout), SequenceReset.

use ringfix_codec::fields;

use super::event::Event;
use super::incoming::Incoming;
use super::settings::Version;
use super::state::FatalError;
use super::time::parse_timestamp;
use super::validate::reason;
use super::{Cx, ResendPending, Session};
use crate::store::MessageStore;

/// Most out-of-order messages kept while a gap is being filled.
const MAX_QUEUED: usize = 100_000;

impl<S: MessageStore> Session<S> {
    /// MsgSeqNum higher than expected: queue it and ask for the gap
    /// (unless a ResendRequest covering it is outstanding).
    pub(crate) fn do_target_too_high(&mut self, cx: &mut Cx<'_>, msg: &Incoming<'_>, seq: u64) {
        let covered = self
            .resend
            .is_some_and(|p| !self.cfg.send_redundant_resend_requests && seq >= p.begin);
        self.events.push_back(Event::SeqTooHigh {
            expected: self.next_target,
            received: seq,
            new_gap: !covered,
        });
        // Bounded: beyond the limit the message is asked for again later.
        if self.queue.len() < MAX_QUEUED {
            self.queue.insert(seq, msg.raw().to_vec());
        }
        if let Some(p) = self.resend {
            if !self.cfg.send_redundant_resend_requests && seq >= p.begin {
                self.events.push_back(Event::ResendRequestPending {
                    begin: p.begin,
                    end: p.end,
                });
                if seq.saturating_sub(1) > p.target_end {
                    self.resend = Some(ResendPending {
                        target_end: seq - 1,
                        ..p
                    });
                }
                return;
            }
        }
        let begin = self.next_target;
        self.send_resend_request(cx, begin, seq - 1);
    }

    /// Asks for `begin..=last` (in chunks when ResendRequestChunkSize is set).
    pub(crate) fn send_resend_request(&mut self, cx: &mut Cx<'_>, begin: u64, last: u64) {
        let chunk = self.cfg.resend_request_chunk_size;
        let (end, wire_end) = if chunk > 0 && last - begin + 1 > chunk {
            let e = begin + chunk - 1;
            (e, e)
        } else if self.cfg.closed_resend_interval {
            (last, last)
        } else if self.cfg.version() >= Version::Fix42 {
            (last, 0)
        } else {
            (last, 999_999)
        };
        let sent = self.send_admin(cx, b"2", &[], &mut |w| {
            w.field_u64(fields::BEGIN_SEQ_NO, begin);
            w.field_u64(fields::END_SEQ_NO, wire_end);
        });
        if sent {
            self.events.push_back(Event::ResendRequestSent {
                begin,
                end: wire_end,
            });
            self.resend = Some(ResendPending {
                begin,
                end,
                target_end: last,
            });
        }
    }

    /// Everything up to `seq` is accounted for: is the outstanding request
    /// answered? What it did not cover (a chunk's rest, messages missed
    /// since) is asked for by [`continue_resend`](Self::continue_resend)
    /// once the queue is drained, from the number then expected: asking
    /// at once, from `seq + 1`, asked again for what a GapFill's NewSeqNo
    /// or the queue already covered (issue 24).
    pub(crate) fn check_resend_satisfied(&mut self, seq: u64) {
        let Some(p) = self.resend else { return };
        if seq < p.end {
            return;
        }
        self.resend = None;
        self.events.push_back(Event::ResendSatisfied {
            begin: p.begin,
            end: p.end,
        });
        if p.target_end > seq {
            self.resend_rest = Some(p.target_end);
        }
    }

    /// After a message and the queue behind it: asks for what is still
    /// missing of a satisfied request's range.
    pub(crate) fn continue_resend(&mut self, cx: &mut Cx<'_>) {
        let Some(last) = self.resend_rest.take() else {
            return;
        };
        if self.resend.is_none() && self.is_open() && self.next_target <= last {
            let begin = self.next_target;
            self.send_resend_request(cx, begin, last);
        }
    }

    /// MsgSeqNum lower than expected: without PossDupFlag a fatal Logout;
    /// with it, QuickFIX's PossDup checks, then the message is dropped.
    pub(crate) fn do_target_too_low(&mut self, cx: &mut Cx<'_>, msg: &Incoming<'_>, seq: u64) {
        let h = *msg.header();
        if !h.poss_dup {
            let expected = self.next_target;
            self.events.push_back(Event::SeqTooLow {
                expected,
                received: seq,
            });
            let text = format!("MsgSeqNum too low, expecting {expected} but received {seq}");
            self.send_logout(cx, Some(&text), false);
            self.fatal(
                cx,
                FatalError::SeqNumTooLow {
                    expected,
                    received: seq,
                },
            );
            return;
        }
        if msg.msg_type() == b"4" {
            return;
        }
        let Some(orig) = h.orig_sending_time else {
            if self.cfg.requires_orig_sending_time {
                let tag = i64::from(ringfix_codec::tags::ORIG_SENDING_TIME);
                self.send_reject(cx, msg, reason::REQUIRED_TAG_MISSING, Some(tag));
            }
            return;
        };
        let sending = h.sending_time.and_then(parse_timestamp);
        match (parse_timestamp(orig), sending) {
            (Some(o), Some(s)) if o > s => {
                self.send_reject(cx, msg, reason::SENDING_TIME_ACCURACY, None);
                self.send_logout(cx, None, false);
            }
            (None, _) => self.send_reject(cx, msg, reason::INCORRECT_DATA_FORMAT, Some(122)),
            _ => {}
        }
    }

    /// SequenceReset: GapFill mode is sequence-checked, Reset mode is not;
    /// a NewSeqNo below the expected number is rejected.
    pub(crate) fn next_sequence_reset(&mut self, cx: &mut Cx<'_>, msg: &Incoming<'_>) {
        let gap_fill = msg.get(fields::GAP_FILL_FLAG) == Some(b"Y");
        // Unchecked numbers: a GapFill is applied as a Reset (QuickFIX/J).
        let checked = gap_fill && self.cfg.validate_sequence_numbers;
        if !self.verify(cx, msg, checked, checked) {
            return;
        }
        cx.app.on_admin(&self.cfg, msg);
        let Some(new_seq) = msg.get_u64(fields::NEW_SEQ_NO) else {
            let tag = i64::from(fields::NEW_SEQ_NO);
            self.send_reject(cx, msg, reason::REQUIRED_TAG_MISSING, Some(tag));
            return;
        };
        self.events.push_back(Event::SequenceResetReceived {
            gap_fill,
            from: self.next_target,
            new_seq_no: new_seq,
        });
        if new_seq > self.next_target {
            self.skip_queued_below(new_seq);
            self.set_next_target(cx, new_seq);
        } else if new_seq < self.next_target {
            self.send_reject(cx, msg, reason::VALUE_OUT_OF_RANGE, None);
        }
        // Judged after NewSeqNo is applied (verify left this to us):
        // everything below the number now expected is accounted for.
        self.check_resend_satisfied(self.next_target.saturating_sub(1));
    }

    /// Drops queued messages below `new_seq`: the counterparty will not
    /// send them again (QuickFIX `clearQueueUpTo`).
    fn skip_queued_below(&mut self, new_seq: u64) {
        let (mut count, mut first, mut last) = (0u64, 0u64, 0u64);
        while let Some((&seq, _)) = self.queue.first_key_value() {
            if seq >= new_seq {
                break;
            }
            self.queue.pop_first();
            if count == 0 {
                first = seq;
            }
            last = seq;
            count += 1;
        }
        if count > 0 {
            self.events
                .push_back(Event::QueueSkipped { count, first, last });
        }
    }

    /// Processes queued messages that are now in sequence.
    pub(crate) fn drain_queue(&mut self, cx: &mut Cx<'_>) {
        while self.is_open() {
            let expected = self.next_target;
            while let Some((&first, _)) = self.queue.first_key_value() {
                if first >= expected {
                    break;
                }
                self.queue.pop_first();
            }
            let Some(raw) = self.queue.remove(&expected) else {
                break;
            };
            self.events
                .push_back(Event::QueuedProcessed { seq: expected });
            self.with_parser(|s, parser| match parser.parse_framed(&raw) {
                Ok(view) => {
                    let msg = Incoming::from_view(&view);
                    if matches!(msg.msg_type(), b"A" | b"2") {
                        // Already acted on when it arrived.
                        s.incr_target(cx);
                    } else {
                        s.process(cx, &msg);
                    }
                }
                // It parsed when it arrived: cannot happen; skip it.
                Err(_) => s.incr_target(cx),
            });
            if self.next_target == expected {
                break;
            }
        }
    }
}
