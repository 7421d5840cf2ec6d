//! One validation pass over a message in wire order.
//!
//! QuickFIX parses into header/body/trailer maps sorted by tag and stops at
//! the first failing check, phase by phase (structure, MsgType, required
//! fields, then header, trailer and body fields in tag order). This pass
//! visits each field once and keeps, per phase, the candidate with the
//! smallest tag, so the answer is the one QuickFIX gives without sorting.

use super::model::{Dictionary, FieldDef, MessageDef, FLAG_COUNT, FLAG_HEADER, FLAG_TRAILER};
use super::reject::reason;
use super::validate::{is_admin_msg_type, Options, Scratch};
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
    /// The tag that starts an instance (the dictionary's delimiter, or the
    /// first member seen with `first_field_in_group_is_delimiter`; 0: not yet).
    delimiter: u32,
    /// Dictionary position of the instance's latest member after the one
    /// that started it (QuickFIX/J's ordering check skips that one).
    last_pos: Option<usize>,
}

/// Header field per the session dictionary or QuickFIX's fixed list.
#[inline]
pub(crate) fn is_header_tag(session: &Dictionary, tag: i64) -> bool {
    session.classify(tag).1 & FLAG_HEADER != 0
}

pub(crate) fn parse_count(v: &[u8]) -> i64 {
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
struct Best(Option<(i64, i64, u32)>);

impl Best {
    #[inline]
    fn improves(&self, tag: i64) -> bool {
        self.0.is_none_or(|(t, _, _)| tag < t)
    }

    #[inline]
    /// A candidate ordered by `key`, reporting `reason` for `ref_tag`.
    fn offer(&mut self, key: i64, ref_tag: i64, reason: u32) {
        if self.improves(key) {
            self.0 = Some((key, ref_tag, reason));
        }
    }

    fn reject(&self) -> Option<Reject> {
        self.0.map(|(_, t, r)| Reject::session(r, Some(t)))
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
    /// MsgType is a value of field 35 but has no message definition.
    unsupported: bool,
    section: u32,
    out_of_order: Option<i64>,
    hdr: Best,
    trl: Best,
    bdy: Best,
    grp_req: Best,
    grp_ext: Option<Reject>,
    /// First group member out of dictionary order (QuickFIX/J reports it
    /// while parsing, before any other check).
    grp_order: Option<Reject>,
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
            unsupported: msg.is_none()
                && match (body, msg_type) {
                    (Some(d), Some(mt)) => d
                        .field(35)
                        .is_some_and(|f| f.has_values() && f.value_allowed(mt)),
                    _ => false,
                },
            section: HEADER,
            out_of_order: None,
            hdr: Best::default(),
            trl: Best::default(),
            bdy: Best::default(),
            grp_req: Best::default(),
            grp_ext: None,
            grp_order: None,
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
    #[inline(always)]
    fn check(
        &self,
        dict: Option<&Dictionary>,
        fd: Option<&FieldDef>,
        body_index: Option<Option<usize>>,
        tag: i64,
        value: &[u8],
        repeated: bool,
    ) -> Option<u32> {
        if repeated {
            return Some(reason::TAG_APPEARS_MORE_THAN_ONCE);
        }
        if self.opts.validate_fields_have_values && value.is_empty() {
            return Some(reason::TAG_WITHOUT_VALUE);
        }
        dict?;
        if let Some(fd) = fd {
            if !fd.field_type.accepts(value, self.opts.strict_date_formats) {
                return Some(reason::INCORRECT_DATA_FORMAT);
            }
            if !fd.value_allowed(value) {
                return Some(reason::VALUE_OUT_OF_RANGE);
            }
        }
        if self.should_check_tag(tag) {
            if fd.is_none() {
                return Some(reason::INVALID_TAG_NUMBER);
            }
            if let (Some(Some(i)), Some(m)) = (body_index, self.msg) {
                if !Dictionary::message_allows(m, i) {
                    return Some(reason::TAG_NOT_DEFINED_FOR_MESSAGE);
                }
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

    #[inline(always)]
    fn section_field(&mut self, tag: i64, value: &[u8]) {
        let session = self.session;
        let t32 = u32::try_from(tag).ok();
        let (di, flags) = session.classify(tag);
        if flags & FLAG_HEADER != 0 {
            if self.section != HEADER {
                self.out_of_order.get_or_insert(tag);
            }
            let repeated = self.mark(tag, HEADER);
            if self.hdr.improves(tag) {
                let fd = di.and_then(|i| session.field_at(i));
                if let Some(r) = self.check(Some(session), fd, None, tag, value, repeated) {
                    self.hdr.offer(tag, tag, r);
                }
            }
            if flags & FLAG_COUNT != 0 {
                if let Some(g) = t32.and_then(|t| session.header.groups.iter().find(|g| g.0 == t)) {
                    self.push(g.1, true, true, false, g.0, g.0, value);
                }
            }
        } else if flags & FLAG_TRAILER != 0 {
            self.section = TRAILER;
            let repeated = self.mark(tag, TRAILER);
            if self.trl.improves(tag) {
                let fd = di.and_then(|i| session.field_at(i));
                if let Some(r) = self.check(Some(session), fd, None, tag, value, repeated) {
                    self.trl.offer(tag, tag, r);
                }
            }
        } else {
            if self.section == TRAILER {
                self.out_of_order.get_or_insert(tag);
            }
            self.section = BODY;
            let repeated = self.mark(tag, BODY);
            let dict = self.body;
            // FIX.4.x: the body dictionary is the session one, so reuse the lookup.
            let (bdi, bflags) = match dict {
                Some(d) if std::ptr::eq(d, session) => (di, flags),
                Some(d) => d.classify(tag),
                None => (None, 0),
            };
            let fd = match (dict, bdi) {
                (Some(d), Some(i)) => d.field_at(i),
                _ => None,
            };
            if self.bdy.improves(tag) {
                if let Some(r) = self.check(dict, fd, Some(bdi), tag, value, repeated) {
                    self.bdy.offer(tag, tag, r);
                }
            }
            let group = match (self.msg, fd) {
                (Some(m), Some(f)) if bflags & FLAG_COUNT != 0 => m
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
            delimiter: 0,
            last_pos: None,
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
        let first_delimits = self.opts.first_field_in_group_is_delimiter;
        if f.delimiter == 0 {
            f.delimiter = if first_delimits && member {
                t
            } else {
                g.delimiter
            };
        }
        let starts = if first_delimits {
            t == f.delimiter
        } else {
            let repeated = stamp == f.inst_id && !self.opts.validate_unordered_group_fields;
            t == g.delimiter || (member && (f.inst_id == 0 || repeated))
        };
        if self.opts.validate_unordered_group_fields && member {
            let pos = g.members.iter().position(|&m| m == t);
            if starts {
                f.last_pos = None;
            } else if pos <= f.last_pos && f.inst_id != 0 {
                self.grp_order.get_or_insert(Reject::session(
                    reason::GROUP_FIELDS_OUT_OF_ORDER,
                    Some(tag),
                ));
            } else {
                f.last_pos = pos;
            }
        }
        if starts {
            if f.inst_id != 0 {
                self.close_instance(&f);
            }
            if t != f.delimiter && self.opts.validate_group_delimiter {
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
            if let Some(r) = self.check(dict, fd, None, tag, value, false) {
                self.grp_ext = Some(Reject::session(r, Some(tag)));
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
            // QuickFIX walks groups by count tag, then instances depth-first:
            // instance ids grow in start order, which is that pre-order.
            self.grp_req.offer(
                (i64::from(f.root_count_tag) << 32) | i64::from(f.inst_id),
                i64::from(r),
                reason::REQUIRED_TAG_MISSING,
            );
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
        if f.top {
            if self.should_check_tag(tag) {
                self.bdy.offer(tag, tag, reason::INCORRECT_NUM_IN_GROUP);
            }
        } else if self.opts.validate_group_members {
            self.grp_ext
                .get_or_insert(Reject::session(reason::INCORRECT_NUM_IN_GROUP, Some(tag)));
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
        if let Some(r) = self.grp_order {
            return Err(r);
        }
        if let (true, Some(tag)) = (self.opts.validate_fields_out_of_order, self.out_of_order) {
            return Err(Reject::session(reason::TAG_OUT_OF_ORDER, Some(tag)));
        }
        if self.body.is_some() {
            let Some(msg) = self.msg else {
                if self.unsupported {
                    return Err(Reject::unsupported_message_type(bs));
                }
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
            if let Some(r) = best.reject() {
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
