//! Session Reject (35=3) and BusinessMessageReject (35=j) as QuickFIX
//! builds them: reversed routing header, RefSeqNum, version-dependent
//! RefMsgType/SessionRejectReason/RefTagID, the standard texts.

use super::event::{Event, RejectInfo, RejectWay};
use super::incoming::{Incoming, Tag};
use super::settings::Version;
use super::state::{FatalError, Phase};
use super::validate::reason_text;
use super::{Cx, Session};
use crate::store::MessageStore;
use ringfix_codec::dict::{business_reason, Reject};
use ringfix_codec::fields;

/// Routing fields swapped when answering (QuickFIX `reverseRoute`).
fn reversed(tag: Tag) -> Option<Tag> {
    Some(match tag {
        115 => 128,
        128 => 115,
        116 => 129,
        129 => 116,
        144 => 145,
        145 => 144,
        _ => return None,
    })
}

/// Reversed routing header of `msg`, sorted by tag.
fn reverse_route<'a>(msg: &Incoming<'a>, version: Version) -> ([(Tag, &'a [u8]); 6], usize) {
    let mut out: [(Tag, &[u8]); 6] = [(0, &[]); 6];
    let mut n = 0;
    for (tag, v) in msg.fields() {
        let Some(r) = reversed(tag) else { continue };
        if v.is_empty() || (version < Version::Fix41 && matches!(tag, 144 | 145)) || n == out.len()
        {
            continue;
        }
        if out[..n].iter().any(|&(t, _)| t == r) {
            continue;
        }
        out[n] = (r, v);
        n += 1;
    }
    out[..n].sort_by_key(|&(t, _)| t);
    (out, n)
}

impl<S: MessageStore> Session<S> {
    /// QuickFIX `generateReject`. Counts the rejected message as received
    /// when it was the expected one (except Logon and SequenceReset).
    pub(crate) fn send_reject(
        &mut self,
        cx: &mut Cx<'_>,
        msg: &Incoming<'_>,
        reason: u32,
        ref_tag: Option<i64>,
    ) {
        self.send_reject_as(cx, msg, reason, ref_tag, false);
    }

    /// [`send_reject`](Self::send_reject); `validation`: the data
    /// dictionary refused the message.
    pub(crate) fn send_reject_as(
        &mut self,
        cx: &mut Cx<'_>,
        msg: &Incoming<'_>,
        reason: u32,
        ref_tag: Option<i64>,
        validation: bool,
    ) {
        let h = *msg.header();
        let msg_type = msg.msg_type();
        if msg_type != b"A" && msg_type != b"4" && h.seq == Some(self.next_target) {
            self.incr_target(cx);
        }
        let version = self.cfg.version();
        let text = reason_text(reason);
        let with_tag = text.is_some() && (ref_tag.is_some() || reason == 0);
        let tag = ref_tag.unwrap_or(0);
        let mut info = RejectInfo {
            way: RejectWay::Sent,
            business: false,
            reason: Some(reason),
            ref_seq: h.seq,
            ref_tag: with_tag.then_some(tag),
            ref_msg_type: String::from_utf8_lossy(msg_type).into_owned(),
            text: text.map(str::to_owned),
            validation,
        };
        if !matches!(self.phase, Phase::LoggedOn { .. }) {
            // No session to reject in: QuickFIX drops the connection.
            info.way = RejectWay::NotSent;
            self.rejected(cx, info);
            self.fatal(cx, FatalError::BadLogon);
            return;
        }
        self.answering(msg);
        let (route, n) = reverse_route(msg, version);
        let mut combined = String::new();
        if with_tag && version < Version::Fix42 {
            combined = format!("{} ({tag})", text.unwrap_or_default());
        }
        let sent = self.send_admin(cx, b"3", &route[..n], &mut |w| {
            // RefSeqNum only from a numeric MsgSeqNum (fuzz finding: the
            // raw text made an invalid 45).
            if let Some(s) = h.seq.and(h.seq_raw) {
                w.field(fields::REF_SEQ_NUM, s);
            }
            if let Some(t) = text {
                if with_tag && version < Version::Fix42 {
                    w.field(fields::TEXT, combined.as_bytes());
                } else {
                    w.field(fields::TEXT, t.as_bytes());
                }
            }
            if with_tag && version >= Version::Fix42 {
                w.field_i64(fields::REF_TAG_ID, tag);
            }
            if version >= Version::Fix42 && !msg_type.is_empty() {
                w.field(fields::REF_MSG_TYPE, msg_type);
            }
            if (version == Version::Fix42 && reason <= 11) || version > Version::Fix42 {
                w.field_u64(fields::SESSION_REJECT_REASON, u64::from(reason));
            }
        });
        if sent {
            self.rejected(cx, info);
        }
    }

    /// A reject decided: the application hears of it, the event is queued.
    fn rejected(&mut self, cx: &mut Cx<'_>, info: RejectInfo) {
        cx.app.on_reject(&self.cfg, &info);
        self.events.push_back(Event::Reject(info));
    }

    /// QuickFIX `generateReject` with a text instead of a reason: a session
    /// Reject carrying RefSeqNum, RefMsgType (from FIX.4.2 on) and `text`.
    pub(crate) fn send_text_reject(
        &mut self,
        cx: &mut Cx<'_>,
        msg: &Incoming<'_>,
        text: &str,
        validation: bool,
    ) {
        let h = *msg.header();
        let msg_type = msg.msg_type();
        if msg_type != b"A" && msg_type != b"4" && h.seq == Some(self.next_target) {
            self.incr_target(cx);
        }
        let version = self.cfg.version();
        let (route, n) = reverse_route(msg, version);
        let sent = self.send_admin(cx, b"3", &route[..n], &mut |w| {
            if let Some(s) = h.seq.and(h.seq_raw) {
                w.field(fields::REF_SEQ_NUM, s);
            }
            w.field(fields::TEXT, text.as_bytes());
            if version >= Version::Fix42 && !msg_type.is_empty() {
                w.field(fields::REF_MSG_TYPE, msg_type);
            }
        });
        if sent {
            let info = RejectInfo {
                way: RejectWay::Sent,
                business: false,
                reason: None,
                ref_seq: h.seq,
                ref_tag: None,
                ref_msg_type: String::from_utf8_lossy(msg_type).into_owned(),
                text: Some(text.to_owned()),
                validation,
            };
            self.rejected(cx, info);
        }
    }

    /// QuickFIX `generateBusinessReject`. FIX.4.0/4.1 have no
    /// BusinessMessageReject: there QuickFIX answers a missing field with a
    /// session Reject "Required tag missing" and an unsupported type with a
    /// session Reject whose only reason is its Text ("Unsupported message
    /// type"); any other reason gets its text the same way.
    pub(crate) fn send_business_reject(
        &mut self,
        cx: &mut Cx<'_>,
        msg: &Incoming<'_>,
        reason: u32,
        ref_tag: Option<Tag>,
        text: Option<&'static str>,
        validation: bool,
    ) {
        let h = *msg.header();
        if self.cfg.version() < Version::Fix42 {
            let begin = self.cfg.begin_string.as_bytes();
            let text = match reason {
                business_reason::CONDITIONALLY_REQUIRED_FIELD_MISSING => {
                    let tag = ref_tag.map(i64::from);
                    let missing = super::validate::reason::REQUIRED_TAG_MISSING;
                    self.send_reject_as(cx, msg, missing, tag, validation);
                    return;
                }
                business_reason::UNSUPPORTED_MESSAGE_TYPE => {
                    Reject::unsupported_message_type(begin).text
                }
                _ => text
                    .or_else(|| business_reason::text(reason))
                    .unwrap_or("Other"),
            };
            self.send_text_reject(cx, msg, text, validation);
            return;
        }
        self.incr_target(cx);
        let text = text.or_else(|| business_reason::text(reason));
        let text = match (text, ref_tag) {
            (Some(t), Some(tag)) => Some(format!("{t} ({tag})")),
            (Some(t), None) => Some(t.to_owned()),
            (None, _) => None,
        };
        let appl_ver = if self.cfg.is_fixt() {
            self.cfg.default_appl_ver_id.clone()
        } else {
            None
        };
        let msg_type = msg.msg_type();
        let sent = self.send_admin(cx, b"j", &[], &mut |w| {
            // RefSeqNum only from a numeric MsgSeqNum (fuzz finding: the
            // raw text made an invalid 45).
            if let Some(s) = h.seq.and(h.seq_raw) {
                w.field(fields::REF_SEQ_NUM, s);
            }
            if let Some(t) = &text {
                w.field(fields::TEXT, t.as_bytes());
            }
            w.field(fields::REF_MSG_TYPE, msg_type);
            w.field_u64(fields::BUSINESS_REJECT_REASON, u64::from(reason));
            if let Some(v) = &appl_ver {
                w.field(fields::DEFAULT_APPL_VER_ID, v.as_bytes());
            }
        });
        if sent {
            let info = RejectInfo {
                way: RejectWay::Sent,
                business: true,
                reason: Some(reason),
                ref_seq: h.seq,
                ref_tag: ref_tag.map(i64::from),
                ref_msg_type: String::from_utf8_lossy(msg_type).into_owned(),
                text,
                validation,
            };
            self.rejected(cx, info);
        }
    }
}
