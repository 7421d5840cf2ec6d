//! One validation pass over a message in wire order.
//!
//! QuickFIX parses into header/body/trailer maps sorted by tag and stops at
//! the first failing check, phase by phase (structure, MsgType, required
//! fields, then header, trailer and body fields in tag order). This pass
//! visits each field once and keeps, per phase, the candidate with the
//! smallest tag, so the answer is the one QuickFIX gives without sorting.

use super::model::{Dictionary, FieldDef, MessageDef};
use super::reject::reason;
use super::validate::{is_admin_msg_type, Options, Scratch};
use super::FieldType;
use super::Reject;

const HEADER: u32 = 1;
const BODY: u32 = 2;
const TRAILER: u32 = 3;
const USER_MIN: i64 = 5000;

/// An open repeating group while its instances are read.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Frame {
    group: u32,
    /// The group id refers to the session dictionary (header group).
    in_session: bool,
    header: bool,
    /// A top-level body group: QuickFIX checks its count.
    top: bool,
    count_tag: u32,
    root_count_tag: u32,
    declared: i64,
    instances: i64,
    inst_id: u32,
}

/// QuickFIX's fixed header tags (Message::isHeaderField) or the dictionary's.
#[inline]
pub(crate) fn is_header_tag(session: &Dictionary, tag: i64) -> bool {
    matches!(
        tag,
        8 | 9
            | 35
            | 49
            | 56
            | 115
            | 128
            | 90
            | 91
            | 34
            | 50
            | 142
            | 57
            | 143
            | 116
            | 144
            | 129
            | 145
            | 43
            | 97
            | 52
            | 122
            | 212
            | 213
            | 347
            | 369
            | 370
            | 1128
            | 1129
            | 1156
            | 627
            | 628
            | 629
            | 630
    ) || u32::try_from(tag).is_ok_and(|t| session.is_header_field(t))
}

#[inline]
fn is_trailer_tag(session: &Dictionary, tag: i64) -> bool {
    matches!(tag, 93 | 89 | 10) || u32::try_from(tag).is_ok_and(|t| session.is_trailer_field(t))
}

fn parse_count(v: &[u8]) -> i64 {
    if !super::types::is_int(v) || v.len() > 18 {
        return -1;
    }
    let (neg, d) = match v.strip_prefix(b"-") {
        Some(d) => (true, d),
        None => (false, v),
    };
    let n = d.iter().fold(0i64, |a, &b| a * 10 + i64::from(b - b'0'));
    if neg {
        -n
    } else {
        n
    }
}

/// Smallest-tag candidate of one phase.
#[derive(Debug, Default, Clone, Copy)]
struct Best(Option<(i64, Reject)>);

impl Best {
    #[inline]
    fn improves(&self, tag: i64) -> bool {
        self.0.is_none_or(|(t, _)| tag < t)
    }

    #[inline]
    fn offer(&mut self, tag: i64, r: Reject) {
        if self.improves(tag) {
            self.0 = Some((tag, r));
        }
    }
}

enum Step {
    Consumed,
    NotMember,
}

pub(crate) struct Pass<'p> {
    session: &'p Dictionary,
    body: Option<&'p Dictionary>,
    msg: Option<&'p MessageDef>,
    opts: &'p Options,
    s: &'p mut Scratch,
    is_app: bool,
    section: u32,
    out_of_order: Option<i64>,
    hdr: Best,
    trl: Best,
    bdy: Best,
    grp_req: Best,
    grp_ext: Option<Reject>,
}

impl<'p> Pass<'p> {
    pub fn new(
        session: &'p Dictionary,
        body: Option<&'p Dictionary>,
        opts: &'p Options,
        s: &'p mut Scratch,
        msg_type: Option<&[u8]>,
    ) -> Self {
        let msg = match (body, msg_type) {
            (Some(d), Some(mt)) => d.message(mt),
            _ => None,
        };
        Pass {
            session,
            body,
            msg,
            opts,
            s,
            is_app: !msg_type.is_some_and(is_admin_msg_type),
            section: HEADER,
            out_of_order: None,
            hdr: Best::default(),
            trl: Best::default(),
            bdy: Best::default(),
            grp_req: Best::default(),
            grp_ext: None,
        }
    }

    #[inline]
    fn should_check_tag(&self, tag: i64) -> bool {
        if tag < USER_MIN {
            !self.opts.allow_unknown_msg_fields
        } else {
            self.opts.validate_user_defined_fields
        }
    }

    /// Marks `tag` present in a section; true when it already was.
    #[inline]
    fn mark(&mut self, tag: i64, section: u32) -> bool {
        let stamp = (self.s.gen << 2) | section;
        let slot = usize::try_from(tag)
            .ok()
            .and_then(|t| self.s.sec_stamp.get_mut(t));
        match slot {
            Some(slot) => std::mem::replace(slot, stamp) == stamp,
            None => {
                let seen = self.s.extra.iter().any(|&(t, st)| t == tag && st == stamp);
                if !seen {
                    self.s.extra.push((tag, stamp));
                }
                seen
            }
        }
    }

    fn present(&self, tag: u32, section: u32) -> bool {
        let stamp = (self.s.gen << 2) | section;
        self.s
            .sec_stamp
            .get(tag as usize)
            .is_some_and(|&s| s == stamp)
    }

    /// QuickFIX's per-field checks (iterate): repeated, empty, format, enum,
    /// known tag, tag allowed in this message.
    fn check(
        &self,
        dict: Option<&Dictionary>,
        fd: Option<&FieldDef>,
        in_body: bool,
        tag: i64,
        value: &[u8],
        repeated: bool,
    ) -> Option<Reject> {
        if repeated {
            return Some(Reject::session(
                reason::TAG_APPEARS_MORE_THAN_ONCE,
                Some(tag),
            ));
        }
        if self.opts.validate_fields_have_values && value.is_empty() {
            return Some(Reject::session(reason::TAG_WITHOUT_VALUE, Some(tag)));
        }
        let dict = dict?;
        let t32 = u32::try_from(tag).ok();
        if let Some(fd) = fd {
            if !fd.field_type.accepts(value, self.opts.strict_date_formats) {
                return Some(Reject::session(reason::INCORRECT_DATA_FORMAT, Some(tag)));
            }
            if !fd.value_allowed(value) {
                return Some(Reject::session(reason::VALUE_OUT_OF_RANGE, Some(tag)));
            }
        }
        if self.should_check_tag(tag) {
            let Some(t) = t32.filter(|_| fd.is_some()) else {
                return Some(Reject::session(reason::INVALID_TAG_NUMBER, Some(tag)));
            };
            if in_body && self.msg.is_some_and(|m| !dict.is_message_field(m, t)) {
                return Some(Reject::session(
                    reason::TAG_NOT_DEFINED_FOR_MESSAGE,
                    Some(tag),
                ));
            }
        }
        None
    }

    /// Feeds the next field in wire order.
    pub fn field(&mut self, tag: i64, value: &[u8]) {
        while !self.s.stack.is_empty() {
            match self.group_step(tag, value) {
                Step::Consumed => return,
                Step::NotMember => self.pop_group(),
            }
        }
        self.section_field(tag, value);
    }

    fn section_field(&mut self, tag: i64, value: &[u8]) {
        let session = self.session;
        let t32 = u32::try_from(tag).ok();
        if is_header_tag(session, tag) {
            if self.section != HEADER {
                self.out_of_order.get_or_insert(tag);
            }
            let repeated = self.mark(tag, HEADER);
            if self.hdr.improves(tag) {
                let fd = t32.and_then(|t| session.field(t));
                if let Some(r) = self.check(Some(session), fd, false, tag, value, repeated) {
                    self.hdr.offer(tag, r);
                }
            }
            if let Some(g) = t32.and_then(|t| session.header.groups.iter().find(|g| g.0 == t)) {
                self.push(g.1, true, true, false, g.0, g.0, value);
            }
        } else if is_trailer_tag(session, tag) {
            self.section = TRAILER;
            let repeated = self.mark(tag, TRAILER);
            if self.trl.improves(tag) {
                let fd = t32.and_then(|t| session.field(t));
                if let Some(r) = self.check(Some(session), fd, false, tag, value, repeated) {
                    self.trl.offer(tag, r);
                }
            }
        } else {
            if self.section == TRAILER {
                self.out_of_order.get_or_insert(tag);
            }
            self.section = BODY;
            let repeated = self.mark(tag, BODY);
            let dict = self.body;
            let fd = match (dict, t32) {
                (Some(d), Some(t)) => d.field(t),
                _ => None,
            };
            if self.bdy.improves(tag) {
                if let Some(r) = self.check(dict, fd, true, tag, value, repeated) {
                    self.bdy.offer(tag, r);
                }
            }
            let group = match (self.msg, fd) {
                (Some(m), Some(f)) if f.field_type == FieldType::NumInGroup => m
                    .section
                    .groups
                    .binary_search_by_key(&f.tag, |g| g.0)
                    .ok()
                    .and_then(|i| m.section.groups.get(i)),
                _ => None,
            };
            if let Some(&(count, id)) = group {
                self.push(id, false, false, true, count, count, value);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        group: u32,
        in_session: bool,
        header: bool,
        top: bool,
        count_tag: u32,
        root: u32,
        value: &[u8],
    ) {
        self.s.stack.push(Frame {
            group,
            in_session,
            header,
            top,
            count_tag,
            root_count_tag: root,
            declared: parse_count(value),
            instances: 0,
            inst_id: 0,
        });
    }

    fn frame_dict(&self, f: &Frame) -> Option<&'p Dictionary> {
        if f.in_session {
            Some(self.session)
        } else {
            self.body
        }
    }

    /// QuickFIX's Message::setGroup rule: the delimiter, or a member already
    /// set in the current instance, starts a new instance; a non-member ends the group.
    fn group_step(&mut self, tag: i64, value: &[u8]) -> Step {
        let Some(mut f) = self.s.stack.last().copied() else {
            return Step::NotMember;
        };
        let Some(g) = self.frame_dict(&f).and_then(|d| d.group_def(f.group)) else {
            return Step::NotMember;
        };
        let Ok(t) = u32::try_from(tag) else {
            return Step::NotMember;
        };
        let member = g.is_member(t);
        let stamp = self.s.inst_stamp.get(t as usize).copied().unwrap_or(0);
        let starts = t == g.delimiter || (member && (f.inst_id == 0 || stamp == f.inst_id));
        if starts {
            if f.inst_id != 0 {
                self.close_instance(&f);
            }
            if t != g.delimiter && self.opts.validate_group_delimiter {
                self.grp_ext.get_or_insert(Reject::session(
                    reason::GROUP_FIELDS_OUT_OF_ORDER,
                    Some(tag),
                ));
            }
            f.inst_id = self.s.next_instance();
            f.instances += 1;
        } else if !member {
            return Step::NotMember;
        }
        if let Some(slot) = self.s.inst_stamp.get_mut(t as usize) {
            *slot = f.inst_id;
        }
        if let Some(top) = self.s.stack.last_mut() {
            *top = f;
        }
        if self.opts.validate_group_members && self.grp_ext.is_none() {
            let dict = self.frame_dict(&f);
            let fd = dict.and_then(|d| d.field(t));
            if let Some(r) = self.check(dict, fd, false, tag, value, false) {
                self.grp_ext = Some(r);
            }
        }
        if let Some(&(count, id)) = g.nested.iter().find(|n| n.0 == t) {
            self.push(
                id,
                f.in_session,
                f.header,
                false,
                count,
                f.root_count_tag,
                value,
            );
        }
        Step::Consumed
    }

    /// Required members of the instance that just ended (body groups only, like QuickFIX).
    fn close_instance(&mut self, f: &Frame) {
        if f.header {
            return;
        }
        let Some(g) = self.frame_dict(f).and_then(|d| d.group_def(f.group)) else {
            return;
        };
        let missing = g
            .required
            .iter()
            .find(|&&r| self.s.inst_stamp.get(r as usize).copied() != Some(f.inst_id));
        if let Some(&r) = missing {
            let rej = Reject::session(reason::REQUIRED_TAG_MISSING, Some(i64::from(r)));
            self.grp_req.offer(i64::from(f.root_count_tag), rej);
        }
    }

    fn pop_group(&mut self) {
        let Some(f) = self.s.stack.pop() else { return };
        if f.inst_id != 0 {
            self.close_instance(&f);
        }
        if f.declared == f.instances {
            return;
        }
        let tag = i64::from(f.count_tag);
        let rej = Reject::session(reason::INCORRECT_NUM_IN_GROUP, Some(tag));
        if f.top {
            if self.should_check_tag(tag) {
                self.bdy.offer(tag, rej);
            }
        } else if self.opts.validate_group_members {
            self.grp_ext.get_or_insert(rej);
        }
    }

    /// Ends the message and returns the first problem in QuickFIX's order.
    pub fn finish(mut self) -> Result<(), Reject> {
        while !self.s.stack.is_empty() {
            self.pop_group();
        }
        let bs = self.session.version().as_bytes();
        // Session::next looks for SenderCompID and TargetCompID before validating.
        for tag in [49u32, 56] {
            if !self.present(tag, HEADER) {
                return Err(Reject::missing_header_field(bs, self.is_app, tag));
            }
        }
        if let (true, Some(tag)) = (self.opts.validate_fields_out_of_order, self.out_of_order) {
            return Err(Reject::session(reason::TAG_OUT_OF_ORDER, Some(tag)));
        }
        if self.body.is_some() {
            let Some(msg) = self.msg else {
                return Err(Reject::session(reason::INVALID_MSG_TYPE, None));
            };
            if let Some(&r) = msg.required().iter().find(|&&r| !self.present(r, BODY)) {
                return Err(Reject::session(
                    reason::REQUIRED_TAG_MISSING,
                    Some(i64::from(r)),
                ));
            }
        }
        for best in [self.grp_req, self.hdr, self.trl, self.bdy] {
            if let Some((_, r)) = best.0 {
                return Err(r);
            }
        }
        if let Some(r) = self.grp_ext {
            return Err(r);
        }
        // Session::verify reads SendingTime, then MsgSeqNum.
        let required = self.session.required_header_fields();
        let rest = required
            .iter()
            .copied()
            .filter(|t| !matches!(t, 8 | 9 | 35 | 49 | 56 | 52 | 34));
        for tag in [52u32, 34].into_iter().chain(rest) {
            if !self.present(tag, HEADER) {
                return Err(Reject::missing_header_field(bs, self.is_app, tag));
            }
        }
        Ok(())
    }
}
