//! What a live replay sends and when: our side's captured application
//! messages, each due at its captured offset (scaled by the speed) and not
//! before the counterparty has answered as often as it had in the capture
//! by then (a cancel waits for the order's acknowledgement).

use ringfix_codec::Parser;
use ringfix_engine::session::{is_admin_type, Incoming, Tag};

use super::capture::{CapMsg, Capture, Side};
use super::diff::Answer;
use super::pacing::Speed;

/// Whether a captured message of the counterparty is an answer to compare:
/// application messages and session Rejects, not resent copies.
pub(crate) fn is_answer(inc: &Incoming<'_>) -> bool {
    (inc.msg_type() == b"3" || !is_admin_type(inc.msg_type())) && !inc.header().poss_dup
}

/// The sends and the answers expected.
pub(crate) struct Plan<'a> {
    /// Our captured application messages (resent copies left out).
    pub sends: Vec<&'a CapMsg>,
    /// Per send: answers the capture had seen before it.
    pub needs: Vec<usize>,
    /// The counterparty's captured answers.
    pub answers: Vec<Answer>,
}

/// When a send may go.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Due {
    /// At this time (ns); `None`: at once.
    At(Option<i64>),
    /// After more answers arrive.
    Gated,
}

impl<'a> Plan<'a> {
    /// The plan for playing `side` of `cap`.
    pub(crate) fn new(cap: &'a Capture, side: Side, keys: &[Tag]) -> Plan<'a> {
        let mut plan = Plan {
            sends: Vec::new(),
            needs: Vec::new(),
            answers: Vec::new(),
        };
        let mut parser = Parser::new();
        for m in &cap.messages {
            let Some(inc) = m.incoming(&mut parser) else {
                continue;
            };
            if m.from == Some(side) {
                if !is_admin_type(inc.msg_type()) && !inc.header().poss_dup {
                    plan.sends.push(m);
                    plan.needs.push(plan.answers.len());
                }
            } else if m.from == Some(side.other()) && is_answer(&inc) {
                plan.answers.push(Answer::of(m.ts, &m.bytes, keys));
            }
        }
        plan
    }

    /// When send `i` is due: `base` is when the replay started sending,
    /// `live` the answers so far.
    pub(crate) fn due(&self, i: usize, base: i64, speed: Speed, live: &[Answer]) -> Due {
        let (Some(m), Some(&needs)) = (self.sends.get(i), self.needs.get(i)) else {
            return Due::At(None);
        };
        if live.len() < needs {
            return Due::Gated;
        }
        let first = self.sends.first().map_or(m.ts, |f| f.ts);
        let scheduled = speed.scheduled(m.ts - first).map(|o| base + o);
        // Keep the captured think time after the answer it waited for.
        let trigger = needs
            .checked_sub(1)
            .and_then(|k| Some((self.answers.get(k)?, live.get(k)?)))
            .and_then(|(cap, got)| speed.scheduled(m.ts - cap.at).map(|o| got.at + o));
        Due::At(scheduled.max(trigger))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::{Message, Position, Timestamp};

    /// A well-formed frame (real BodyLength and CheckSum) around `body`.
    fn wire(body: &str) -> Vec<u8> {
        let head = format!("8=FIX.4.4\x019={}\x01{body}\x01", body.len() + 1);
        let sum = head.bytes().fold(0u8, |a, b| a.wrapping_add(b));
        format!("{head}10={sum:03}\x01").into_bytes()
    }

    fn msg(ts: i64, body: &str) -> Message {
        let body = body.replace('|', "\x01");
        Message {
            ts: Some(Timestamp::from_nanos(ts, 9)),
            src: None,
            dst: None,
            bytes: wire(&body),
            at: Position::Line(1),
            connection: None,
        }
    }

    #[test]
    fn a_cancel_waits_for_the_ack_and_keeps_its_think_time() {
        let raw = vec![
            msg(0, "35=A|34=1|49=C|56=S"),
            msg(1, "35=A|34=1|49=S|56=C"),
            msg(100, "35=D|34=2|49=C|56=S|11=1"),
            msg(150, "35=8|34=2|49=S|56=C|11=1|39=0"),
            msg(170, "35=F|34=3|49=C|56=S|11=2|41=1"),
        ];
        let cap = Capture::from_messages(raw, Vec::new()).unwrap();
        let plan = Plan::new(&cap, Side::Initiator, &[11]);
        assert_eq!(plan.sends.len(), 2);
        assert_eq!(plan.needs, vec![0, 1]);
        let x1 = Speed::Factor(1.0);
        assert_eq!(plan.due(0, 1000, x1, &[]), Due::At(Some(1000)));
        assert_eq!(plan.due(1, 1000, x1, &[]), Due::Gated);
        // The ack came back live at 5000: the cancel goes 20 ns later.
        let ack = Answer {
            at: 5000,
            ..plan.answers[0].clone()
        };
        assert_eq!(
            plan.due(1, 1000, x1, std::slice::from_ref(&ack)),
            Due::At(Some(5020))
        );
        assert_eq!(plan.due(1, 1000, Speed::Max, &[ack]), Due::At(None));
    }
}
