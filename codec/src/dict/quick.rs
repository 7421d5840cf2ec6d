//! The validator's fast path: one lean pass that only answers "valid".
//!
//! It applies every check of the exact pass ([`super::pass::Pass`]): the
//! same rules on the same tables, groups walked the same way. But it keeps
//! no candidates and stops at the first doubt, answering `false`; the exact
//! pass then finds the reject QuickFIX would send. A valid message costs
//! this pass alone, an invalid one both. Options that change how groups are
//! read always take the exact pass.

use super::layout::{
    class_of, dense_of, flags_of, in_set, set_of, CHAR1, CHAR_SET, DECIMAL, FLAG_UNKNOWN, INT,
    MSG_TYPE, NONE, TIMESTAMP, UNKNOWN_INFO,
};
use super::model::{Dictionary, MessageDef, FLAG_COUNT, FLAG_HEADER, FLAG_TRAILER};
use super::syntax::{digits8, is_decimal_word, is_utc_timestamp, load};
use super::types::is_int;
use super::validate::{Options, Scratch};
use crate::view::Entry;
use crate::Tag;

const HEADER: u32 = 1;
const BODY: u32 = 2;
const TRAILER: u32 = 3;
const USER_MIN: Tag = 5000;

/// An open repeating group (as the exact pass's frame, without what only
/// reports need).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Open {
    group: u32,
    in_session: bool,
    header: bool,
    top: bool,
    count_tag: Tag,
    declared: i64,
    instances: i64,
    inst_id: u32,
}

pub(crate) struct Quick<'p> {
    session: &'p Dictionary,
    /// The body's dictionary (the session one for FIX.4.x).
    body: &'p Dictionary,
    msg: &'p MessageDef,
    opts: &'p Options,
    /// Tags below 5000 / from 5000 on are checked against the dictionary.
    check_low: bool,
    check_high: bool,
    /// MsgType's value is one the session dictionary lists for field 35.
    type_listed: bool,
}

impl<'p> Quick<'p> {
    pub fn new(
        session: &'p Dictionary,
        body: &'p Dictionary,
        msg: &'p MessageDef,
        opts: &'p Options,
        type_listed: bool,
    ) -> Self {
        Quick {
            session,
            body,
            msg,
            opts,
            check_low: !opts.allow_unknown_msg_fields,
            check_high: opts.validate_user_defined_fields,
            type_listed,
        }
    }

    /// Whether this pass can decide under `opts` (options that change how
    /// groups are read leave every message to the exact pass).
    pub fn applies(opts: &Options) -> bool {
        !(opts.validate_group_members
            || opts.validate_group_delimiter
            || opts.validate_unordered_group_fields
            || opts.first_field_in_group_is_delimiter)
    }

    #[inline(always)]
    fn checked(&self, tag: Tag) -> bool {
        if tag < USER_MIN {
            self.check_low
        } else {
            self.check_high
        }
    }

    /// True when every check passes. `buf` and `entries` are a parsed
    /// message's bytes and index. Header, body and trailer are walked in
    /// turn: a field out of that order (or a header group) is left to the
    /// exact pass.
    pub fn run(&self, s: &mut Scratch, buf: &[u8], entries: &[Entry]) -> bool {
        s.next_message();
        s.open.clear();
        let gen = s.gen << 2;
        // The parser put 8, 9, 35 first, BeginString non-empty and
        // BodyLength digits: when the dictionary asks no more of them, only
        // MsgType's listing remains.
        let preamble = self.session.plain_preamble
            && matches!(entries, [a, b, c, ..] if (a.tag, b.tag, c.tag) == (8, 9, 35));
        let (first, low) = match preamble {
            true if !self.type_listed => return false,
            true => (3, 1 << 8 | 1 << 9 | 1 << 35),
            false => (0, 0),
        };
        let header = self.edge(
            &mut s.sec_stamp,
            gen | HEADER,
            FLAG_HEADER,
            buf,
            entries,
            first,
            low,
        );
        let Some((i, header)) = header else {
            return false;
        };
        let defaults = self.check_low && self.check_high && self.opts.validate_fields_have_values;
        let body = match (std::ptr::eq(self.session, self.body), defaults) {
            (true, true) => self.body_fields::<false, true>(s, gen | BODY, buf, entries, i),
            (true, false) => self.body_fields::<false, false>(s, gen | BODY, buf, entries, i),
            (false, true) => self.body_fields::<true, true>(s, gen | BODY, buf, entries, i),
            (false, false) => self.body_fields::<true, false>(s, gen | BODY, buf, entries, i),
        };
        let Some((i, required)) = body else {
            return false;
        };
        let trailer = self.edge(
            &mut s.sec_stamp,
            gen | TRAILER,
            FLAG_TRAILER,
            buf,
            entries,
            i,
            0,
        );
        trailer.is_some_and(|(end, _)| end == entries.len())
            && required == self.msg.required().len()
            && self.complete(&s.sec_stamp, gen, header)
    }

    /// The header (`section` FLAG_HEADER) or trailer fields from `entries[i]`
    /// on, as far as they go: where they end and which tags below 64 they
    /// hold; `None` when a check fails.
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    fn edge(
        &self,
        stamps: &mut [u32],
        mark: u32,
        section: u8,
        buf: &[u8],
        entries: &[Entry],
        mut i: usize,
        mut low: u64,
    ) -> Option<(usize, u64)> {
        let table: &[u64] = &self.session.tag_info;
        let no_empty = self.opts.validate_fields_have_values;
        while let Some(e) = entries.get(i) {
            let info = table.get(e.tag as usize).copied().unwrap_or(UNKNOWN_INFO);
            if flags_of(info) & section == 0 {
                break;
            }
            // An undeclared tag, or a header group (NoHops): the exact pass's.
            if (no_empty && e.start == e.end)
                || flags_of(info) & (FLAG_COUNT | FLAG_UNKNOWN) != 0
                || !once(&mut low, stamps, e.tag, mark)
                || !self.value_ok(self.session, info, buf, e)
            {
                return None;
            }
            i += 1;
        }
        Some((i, low))
    }

    /// The body fields from `entries[i]` on, up to the trailer: where they
    /// end and how many of the message's required fields they hold; `None`
    /// when a check fails (or a header field comes late). With `FIXT` the
    /// body's dictionary is not the session's; `DEFAULTS` says that the
    /// options are QuickFIX's defaults (empty values refused, every tag
    /// checked), so the loop need not ask.
    fn body_fields<const FIXT: bool, const DEFAULTS: bool>(
        &self,
        s: &mut Scratch,
        mark: u32,
        buf: &[u8],
        entries: &[Entry],
        mut i: usize,
    ) -> Option<(usize, usize)> {
        let session: &[u64] = &self.session.tag_info;
        let body: &[u64] = &self.body.tag_info;
        let presence: &[u64] = &self.msg.presence;
        let mut required = 0;
        let mut low = 0;
        let no_empty = DEFAULTS || self.opts.validate_fields_have_values;
        while let Some(e) = entries.get(i) {
            let tag = e.tag;
            let sinfo = session.get(tag as usize).copied().unwrap_or(UNKNOWN_INFO);
            let info = match FIXT {
                true => body.get(tag as usize).copied().unwrap_or(UNKNOWN_INFO),
                false => sinfo,
            };
            // One test for the unusual: the session's header or trailer
            // field, an undeclared tag, a group's count.
            let unusual = flags_of(sinfo) & (FLAG_HEADER | FLAG_TRAILER)
                | flags_of(info) & (FLAG_COUNT | FLAG_UNKNOWN);
            if unusual & (FLAG_HEADER | FLAG_TRAILER) != 0 {
                if unusual & FLAG_TRAILER != 0 {
                    break;
                }
                return None;
            }
            // (A negative tag, INVALID_TAG, is past every table: no stamp.)
            if (no_empty && e.start == e.end) || !once(&mut low, &mut s.sec_stamp, tag, mark) {
                return None;
            }
            i += 1;
            let checked = DEFAULTS || self.checked(tag);
            if unusual & FLAG_UNKNOWN != 0 {
                if checked {
                    return None;
                }
                continue;
            }
            // Allowed in this message (when checked), and required?
            let dense = dense_of(info);
            let word = presence.get(dense >> 5).copied().unwrap_or(0);
            let bits = word >> (2 * (dense & 31));
            if (checked && bits & 1 == 0) || !self.value_ok(self.body, info, buf, e) {
                return None;
            }
            required += ((bits >> 1) & 1) as usize;
            if unusual & FLAG_COUNT != 0 {
                let value = buf
                    .get(e.start as usize..e.end as usize)
                    .unwrap_or_default();
                i = self.group(s, buf, entries, i, tag, value)?;
            }
        }
        Some((i, required))
    }

    /// The required header fields: SenderCompID, TargetCompID, SendingTime
    /// and MsgSeqNum (which the session reads) and the dictionary's.
    fn complete(&self, stamps: &[u32], gen: u32, low: u64) -> bool {
        let present = |tag: Tag| match tag {
            0..=63 => low & 1 << tag != 0,
            _ => stamps.get(tag as usize) == Some(&(gen | HEADER)),
        };
        let usual = |t: Tag| matches!(t, 8 | 9 | 35 | 49 | 56 | 52 | 34);
        const SESSION: u64 = 1 << 49 | 1 << 56 | 1 << 52 | 1 << 34;
        low & SESSION == SESSION
            && (self.session.usual_header
                || self
                    .session
                    .required_header_fields()
                    .iter()
                    .all(|&t| present(t) || usual(t)))
    }

    /// A top-level count field at `entries[at - 1]`: if it opens one of the
    /// message's groups, walks the groups' fields (nested ones too) and
    /// returns where the body continues; `None` when a check fails.
    #[inline(never)]
    fn group(
        &self,
        s: &mut Scratch,
        buf: &[u8],
        entries: &[Entry],
        at: usize,
        tag: Tag,
        value: &[u8],
    ) -> Option<usize> {
        let groups = &self.msg.section.groups;
        let Ok(g) = groups.binary_search_by_key(&tag, |g| g.0) else {
            return Some(at);
        };
        let &(count, id) = groups.get(g)?;
        s.open.push(open(id, false, false, true, count, value));
        let mut i = at;
        while let Some(e) = entries.get(i) {
            if !self.group_field(s, e.tag)? {
                return Some(i);
            }
            // Member values are QuickFIX-unchecked, except that the parse
            // must have given each its bytes.
            buf.get(e.start as usize..e.end as usize)?;
            i += 1;
        }
        while let Some(f) = s.open.pop() {
            if !self.close(s, &f) {
                return None;
            }
        }
        Some(i)
    }

    /// The value checks of one field (syntax, enumeration): the class in
    /// its info word decides without its definition, except `GENERAL`.
    #[inline(always)]
    fn value_ok(&self, dict: &Dictionary, info: u64, buf: &[u8], e: &Entry) -> bool {
        let class = class_of(info);
        if class == NONE {
            return true;
        }
        if class == CHAR_SET {
            // One byte of the set.
            let set = dict.char_sets.get(set_of(info));
            let byte = buf.get(e.start as usize).copied().unwrap_or(0x80);
            return e.end == e.start + 1 && set.is_some_and(|m| in_set(m, byte));
        }
        let (start, end) = (e.start as usize, e.end as usize);
        let value = buf.get(start..end).unwrap_or_default();
        match class {
            MSG_TYPE => self.type_listed,
            CHAR1 => value.len() == 1,
            INT => match load(buf, start, value.len(), b'0') {
                Some(w) if !value.is_empty() && value[0] != b'-' => digits8(w),
                _ => is_int(value),
            },
            DECIMAL => match load(buf, start, value.len(), b'0') {
                Some(w) if !value.is_empty() && value[0] != b'-' => is_decimal_word(w, value),
                _ => super::types::is_decimal(value),
            },
            TIMESTAMP => is_utc_timestamp(value),
            _ => self.general(dict, dense_of(info), value),
        }
    }

    #[cold]
    #[inline(never)]
    fn general(&self, dict: &Dictionary, dense: usize, value: &[u8]) -> bool {
        dict.field_at(dense).is_some_and(|fd| {
            fd.field_type.accepts(value, self.opts.strict_date_formats) && fd.value_allowed(value)
        })
    }

    /// A field while groups are open: `Some(true)` consumed by a group,
    /// `Some(false)` not a member of any (the groups closed), `None` a check failed.
    fn group_field(&self, s: &mut Scratch, tag: Tag) -> Option<bool> {
        while let Some(mut f) = s.open.last().copied() {
            let dict = if f.in_session {
                self.session
            } else {
                self.body
            };
            let g = dict.group_def(f.group)?;
            let member = g.is_member(tag);
            let stamp = s.inst_stamp.get(tag as usize).copied().unwrap_or(0);
            let starts = tag == g.delimiter || (member && (f.inst_id == 0 || stamp == f.inst_id));
            if starts {
                if f.inst_id != 0 && !self.instance_complete(s, &f) {
                    return None;
                }
                f.inst_id = s.next_instance();
                f.instances += 1;
            } else if !member {
                s.open.pop();
                if !self.close(s, &f) {
                    return None;
                }
                continue;
            }
            if let Some(slot) = s.inst_stamp.get_mut(tag as usize) {
                *slot = f.inst_id;
            }
            if let Some(top) = s.open.last_mut() {
                *top = f;
            }
            if let Some(&(count, id)) = g.nested.iter().find(|n| n.0 == tag) {
                // The nested count's value is checked by neither pass
                // (QuickFIX leaves group members alone): it only counts.
                let declared = -1;
                s.open.push(Open {
                    group: id,
                    in_session: f.in_session,
                    header: f.header,
                    top: false,
                    count_tag: count,
                    declared,
                    instances: 0,
                    inst_id: 0,
                });
            }
            return Some(true);
        }
        Some(false)
    }

    /// Required members of an ending instance (body groups, as QuickFIX).
    fn instance_complete(&self, s: &Scratch, f: &Open) -> bool {
        if f.header {
            return true;
        }
        let dict = if f.in_session {
            self.session
        } else {
            self.body
        };
        let Some(g) = dict.group_def(f.group) else {
            return true;
        };
        g.required
            .iter()
            .all(|&r| s.inst_stamp.get(r as usize).copied() == Some(f.inst_id))
    }

    /// A group ends: its last instance complete, a top-level count right.
    fn close(&self, s: &Scratch, f: &Open) -> bool {
        if f.inst_id != 0 && !self.instance_complete(s, f) {
            return false;
        }
        !f.top || f.declared == f.instances || !self.checked(f.count_tag)
    }
}

/// Marks `tag` present in a section: in the word `low` for tags below 64
/// (most of a message's), else with stamp `mark`; false when it already was.
#[inline(always)]
fn once(low: &mut u64, stamps: &mut [u32], tag: Tag, mark: u32) -> bool {
    if tag < 64 {
        let bit = 1u64 << tag;
        let fresh = *low & bit == 0;
        *low |= bit;
        fresh
    } else {
        stamp(stamps, tag, mark)
    }
}

/// Marks `tag` present in a section (stamp `mark`); false when it already was.
#[inline(always)]
fn stamp(stamps: &mut [u32], tag: Tag, mark: u32) -> bool {
    match stamps.get_mut(tag as usize) {
        Some(slot) if *slot != mark => {
            *slot = mark;
            true
        }
        _ => false,
    }
}

fn open(group: u32, in_session: bool, header: bool, top: bool, count_tag: Tag, v: &[u8]) -> Open {
    Open {
        group,
        in_session,
        header,
        top,
        count_tag,
        declared: super::pass::parse_count(v),
        instances: 0,
        inst_id: 0,
    }
}
