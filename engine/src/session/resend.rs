//! Answering a ResendRequest from the store: application messages resent
//! with PossDupFlag=Y and OrigSendingTime, admin messages (and messages
//! the application declines) replaced by SequenceReset-GapFill, adjacent
//! gaps merged, NewSeqNo always the number after the gap.

use super::app::{Application, ResendDecision};
use super::encode::FieldWriter;
use super::event::Event;
use super::incoming::{is_header_tag, Incoming, Tag};
use super::outbound::{write_header, Resent};
use super::settings::{SessionSettings, Version};
use super::state::{Close, LogoutReason};
use super::validate::reason;
use super::{Cx, Session};
use crate::store::MessageStore;
use crate::time::UtcTimestamp;
use std::collections::VecDeque;

use ringfix_codec::data_fields::data_tag_for;
use ringfix_codec::fields;

/// A header field of a stored message: (sort key, tag, value).
type Keyed<'a> = ((Tag, usize, u8), Tag, &'a [u8]);

/// Which stored messages a resend range turns into: `Resend(seq)` or
/// `GapFill { begin, new_seq_no }`. Pure planning, used by the session and
/// exposed for tests and tools.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResendStep {
    /// Resend stored message `seq`.
    Resend(u64),
    /// SequenceReset-GapFill with MsgSeqNum `begin` and NewSeqNo `new_seq_no`.
    GapFill {
        /// First sequence number covered.
        begin: u64,
        /// The number after the gap.
        new_seq_no: u64,
    },
}

/// Incremental planner over `begin..=end`: feed stored messages in
/// ascending order (`resend` says whether each is resent), then `finish`.
#[derive(Debug)]
pub struct ResendPlan {
    cursor: u64,
    end: u64,
    gap: Option<u64>,
}

impl ResendPlan {
    /// A plan for `begin..=end`.
    pub fn new(begin: u64, end: u64) -> Self {
        Self {
            cursor: begin,
            end,
            gap: None,
        }
    }

    /// Stored message `seq`; returns the steps to emit now (at most two).
    pub fn message(&mut self, seq: u64, resend: bool) -> [Option<ResendStep>; 2] {
        if seq < self.cursor || seq > self.end {
            return [None, None];
        }
        if seq > self.cursor && self.gap.is_none() {
            self.gap = Some(self.cursor);
        }
        self.cursor = seq + 1;
        if !resend {
            self.gap.get_or_insert(seq);
            return [None, None];
        }
        let fill = self.gap.take().map(|begin| ResendStep::GapFill {
            begin,
            new_seq_no: seq,
        });
        [fill, Some(ResendStep::Resend(seq))]
    }

    /// The store failed part way: the gap pending, if any, up to the first
    /// number not yet seen, and that number.
    pub fn abort(self) -> (Option<ResendStep>, u64) {
        let fill = self.gap.map(|begin| ResendStep::GapFill {
            begin,
            new_seq_no: self.cursor,
        });
        (fill, self.cursor)
    }

    /// The trailing gap, if any.
    pub fn finish(mut self) -> Option<ResendStep> {
        if self.cursor <= self.end && self.gap.is_none() {
            self.gap = Some(self.cursor);
        }
        self.gap.map(|begin| ResendStep::GapFill {
            begin,
            new_seq_no: self.end + 1,
        })
    }
}

fn write_gap_fill(
    out: &mut Vec<u8>,
    cfg: &SessionSettings,
    now: UtcTimestamp,
    begin: u64,
    new_seq_no: u64,
    processed: Option<u64>,
) {
    let mut w = FieldWriter::begin(out, cfg.begin_string.as_bytes(), b"4");
    write_header(&mut w, cfg, begin, now, Some(Resent::Now), &[], processed);
    w.field_u64(fields::NEW_SEQ_NO, new_seq_no)
        .field(fields::GAP_FILL_FLAG, b"Y");
    let range = w.finish();
    in_dictionary_order(out, cfg, range);
}

/// PreserveMessageFieldsOrder: QuickFIX rebuilds what it resends in
/// dictionary order.
fn in_dictionary_order(out: &mut [u8], cfg: &SessionSettings, range: std::ops::Range<usize>) {
    if let (Some(order), Some(bytes)) = (&cfg.field_order, out.get_mut(range)) {
        order.apply(bytes);
    }
}

/// Rewrites a stored message as a possible duplicate: same MsgSeqNum and
/// body, new SendingTime, OrigSendingTime = the original SendingTime.
fn write_resent(
    out: &mut Vec<u8>,
    cfg: &SessionSettings,
    now: UtcTimestamp,
    stored: &Incoming<'_>,
) {
    // Sorted by tag, a data field right behind its length field (fuzz
    // finding: repeated 90/91 pairs sorted apart made the resend unparsable).
    let mut keyed: Vec<Keyed<'_>> = Vec::new();
    let mut pair: Option<(Tag, Tag, usize)> = None;
    for (i, (tag, v)) in stored.fields().enumerate() {
        let key = match pair.take() {
            Some((data, len, at)) if data == tag => (len, at, 1),
            _ => (tag, i, 0),
        };
        pair = data_tag_for(tag).map(|data| (data, tag, i));
        match tag {
            8 | 9 | 10 | 34 | 35 | 43 | 49 | 52 | 56 | 122 => {}
            t if is_header_tag(t) => keyed.push((key, t, v)),
            _ => {}
        }
    }
    keyed.sort_by_key(|e| e.0);
    let extra: Vec<(Tag, &[u8])> = keyed.into_iter().map(|(_, t, v)| (t, v)).collect();
    let orig = stored.header().sending_time.unwrap_or_default();
    let seq = stored.header().seq.unwrap_or_default();
    let mut w = FieldWriter::begin(out, cfg.begin_string.as_bytes(), stored.msg_type());
    write_header(
        &mut w,
        cfg,
        seq,
        now,
        Some(Resent::Orig(orig)),
        &extra,
        None,
    );
    for (tag, v) in stored.fields() {
        if !is_header_tag(tag) && tag != 10 {
            w.field(tag, v);
        }
    }
    let range = w.finish();
    in_dictionary_order(out, cfg, range);
}

/// A Heartbeat with PossDupFlag=Y standing in for message `seq` the store
/// cannot give (ForceResendWhenCorruptedStore, as QuickFIX/J).
fn write_stand_in(
    out: &mut Vec<u8>,
    cfg: &SessionSettings,
    now: UtcTimestamp,
    seq: u64,
    processed: Option<u64>,
) {
    let mut w = FieldWriter::begin(out, cfg.begin_string.as_bytes(), b"0");
    write_header(&mut w, cfg, seq, now, Some(Resent::Now), &[], processed);
    w.finish();
}

/// What one resend answer sent.
#[derive(Default)]
struct Answered {
    resent: u64,
    ranges: Vec<(u64, u64)>,
}

impl Answered {
    fn gap_fill(&mut self, events: &mut VecDeque<Event>, begin: u64, new_seq_no: u64) {
        self.ranges.push((begin, new_seq_no.saturating_sub(1)));
        events.push_back(Event::GapFillSent { begin, new_seq_no });
    }
}

impl<S: MessageStore> Session<S> {
    /// QuickFIX `nextResendRequest` (not sequence-checked: answered even
    /// while we wait for a gap of our own).
    pub(crate) fn next_resend_request(&mut self, cx: &mut Cx<'_>, msg: &Incoming<'_>) {
        if !self.verify(cx, msg, false, false) {
            return;
        }
        cx.app.on_admin(&self.cfg, msg);
        let (begin_tag, end_tag) = (fields::BEGIN_SEQ_NO, fields::END_SEQ_NO);
        let (Some(begin), Some(end)) = (msg.get_u64(begin_tag), msg.get_u64(end_tag)) else {
            let tag = if msg.get(begin_tag).is_none() {
                begin_tag
            } else {
                end_tag
            };
            self.send_reject(cx, msg, reason::REQUIRED_TAG_MISSING, Some(i64::from(tag)));
            return;
        };
        self.events
            .push_back(Event::ResendRequestReceived { begin, end });
        // A GapFill answering it names it in 369.
        self.answering(msg);
        let repeat = msg.header().poss_dup && self.last_resend_answered == Some((begin, end));
        if !repeat {
            self.answer_resend(cx, begin, end);
            self.last_resend_answered = Some((begin, end));
        }
        if msg.header().seq == Some(self.next_target) {
            self.incr_target(cx);
        }
    }

    pub(crate) fn answer_resend(&mut self, cx: &mut Cx<'_>, begin: u64, end_req: u64) {
        let last = self.ob.next_sender.saturating_sub(1);
        let infinite = end_req == 0 || (self.cfg.version() <= Version::Fix42 && end_req == 999_999);
        let end = if infinite || end_req > last {
            last
        } else {
            end_req
        };
        if begin == 0 || begin > end {
            return;
        }
        let mut plan = ResendPlan::new(begin, end);
        let mut answered = Answered::default();
        let processed = self.ob.processed(&self.cfg);
        let result = self.with_parser(|s, parser| {
            let cfg = &s.cfg;
            let now = cx.now.wall;
            let out = &mut *cx.out;
            let app: &mut dyn Application = &mut *cx.app;
            let events = &mut s.events;
            s.store.get_range(begin, end, &mut |seq, stored| {
                // Stored messages are read by the codec, as inbound ones;
                // one that does not parse (a damaged store) is gap-filled.
                let parsed = parser.parse_framed(stored).map(|v| Incoming::from_view(&v));
                if parsed.is_err() {
                    events.push_back(Event::StoredUnreadable { seq });
                }
                let resend = parsed.as_ref().is_ok_and(|m| {
                    !m.is_admin()
                        && app.resend_decision(cfg, seq, m.msg_type(), stored)
                            == ResendDecision::Resend
                });
                for step in plan.message(seq, resend).into_iter().flatten() {
                    match (step, &parsed) {
                        (ResendStep::GapFill { begin, new_seq_no }, _) => {
                            write_gap_fill(out, cfg, now, begin, new_seq_no, processed);
                            answered.gap_fill(events, begin, new_seq_no);
                        }
                        (ResendStep::Resend(seq), Ok(m)) => {
                            write_resent(out, cfg, now, m);
                            answered.resent += 1;
                            events.push_back(Event::Resent { seq });
                        }
                        (ResendStep::Resend(_), Err(_)) => {}
                    }
                }
            })
        });
        if result.is_err() {
            if !self.cfg.force_resend_when_corrupted_store {
                self.ob.stopped = true;
                self.close(cx, Close::Now, LogoutReason::StoreFailure);
                return;
            }
            // Heartbeats stand in for what the store cannot give.
            let (fill, from) = plan.abort();
            if let Some(ResendStep::GapFill { begin, new_seq_no }) = fill {
                write_gap_fill(cx.out, &self.cfg, cx.now.wall, begin, new_seq_no, processed);
                answered.gap_fill(&mut self.events, begin, new_seq_no);
            }
            self.events
                .push_back(Event::StoreUnreadableResend { begin: from, end });
            for seq in from..=end {
                write_stand_in(cx.out, &self.cfg, cx.now.wall, seq, processed);
                answered.resent += 1;
            }
            plan = ResendPlan::new(end + 1, end);
        }
        if let Some(ResendStep::GapFill { begin, new_seq_no }) = plan.finish() {
            write_gap_fill(cx.out, &self.cfg, cx.now.wall, begin, new_seq_no, processed);
            answered.gap_fill(&mut self.events, begin, new_seq_no);
        }
        self.events.push_back(Event::ResendAnswered {
            begin,
            end,
            resent: answered.resent,
            gap_filled: answered.ranges,
        });
        self.ob.last_sent = cx.now.mono;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(begin: u64, end: u64, stored: &[(u64, bool)]) -> Vec<ResendStep> {
        let mut p = ResendPlan::new(begin, end);
        let mut steps = Vec::new();
        for &(seq, resend) in stored {
            steps.extend(p.message(seq, resend).into_iter().flatten());
        }
        steps.extend(p.finish());
        steps
    }

    #[test]
    fn admin_run_then_apps_then_admin_tail() {
        let stored = [
            (2, false),
            (3, false),
            (4, false),
            (5, true),
            (6, true),
            (7, false),
            (8, false),
        ];
        assert_eq!(
            plan(2, 8, &stored),
            vec![
                ResendStep::GapFill {
                    begin: 2,
                    new_seq_no: 5
                },
                ResendStep::Resend(5),
                ResendStep::Resend(6),
                ResendStep::GapFill {
                    begin: 7,
                    new_seq_no: 9
                },
            ]
        );
    }

    #[test]
    fn missing_messages_merge_with_admin_gaps() {
        let stored = [(1, false), (4, true)];
        assert_eq!(
            plan(1, 6, &stored),
            vec![
                ResendStep::GapFill {
                    begin: 1,
                    new_seq_no: 4
                },
                ResendStep::Resend(4),
                ResendStep::GapFill {
                    begin: 5,
                    new_seq_no: 7
                },
            ]
        );
    }

    #[test]
    fn all_resent_no_gap() {
        assert_eq!(
            plan(2, 3, &[(2, true), (3, true)]),
            vec![ResendStep::Resend(2), ResendStep::Resend(3)]
        );
    }
}
