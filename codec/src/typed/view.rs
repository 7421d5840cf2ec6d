//! Reading side of generated messages: typed values from wire bytes, the
//! static shape of a repeating group, and lookups that stay at one level
//! of a message (the body, or one group entry) without a dictionary.

use std::fmt;
use std::marker::PhantomData;

use crate::error::{FieldError, GroupError, ValueError};
use crate::value::{parse_bool, parse_char, parse_i64, parse_u64};
use crate::{Decimal, MessageView, Tag, UtcTimestamp};

/// A field value type read from its wire bytes (no copy).
pub trait FromWire<'a>: Sized {
    /// Converts the raw value.
    fn from_wire(v: &'a [u8]) -> Result<Self, ValueError>;
}

impl<'a> FromWire<'a> for &'a [u8] {
    #[inline(always)]
    fn from_wire(v: &'a [u8]) -> Result<Self, ValueError> {
        Ok(v)
    }
}

macro_rules! from_wire {
    ($($t:ty => $f:expr),* $(,)?) => {$(
        impl FromWire<'_> for $t {
            #[inline(always)]
            fn from_wire(v: &[u8]) -> Result<Self, ValueError> {
                $f(v)
            }
        }
    )*};
}

from_wire!(
    Decimal => Decimal::parse,
    i64 => parse_i64,
    u64 => parse_u64,
    u8 => parse_char,
    bool => parse_bool,
    UtcTimestamp => UtcTimestamp::parse,
);

/// A generated enumeration of a field's values (with a variant for bytes
/// the dictionary does not list): read and written as wire bytes.
pub trait Enumerated<'a>: Copy {
    /// The variant for `v` (the unknown-bytes variant when `v` is not listed).
    fn from_bytes(v: &'a [u8]) -> Self;
    /// The wire value.
    fn as_bytes(self) -> &'a [u8];
}

impl<'a, E: Enumerated<'a>> FromWire<'a> for E {
    #[inline(always)]
    fn from_wire(v: &'a [u8]) -> Result<Self, ValueError> {
        Ok(E::from_bytes(v))
    }
}

/// The values of a multiple-value field (space separated), as enum variants.
#[derive(Clone, Copy)]
pub struct Multi<'a, E> {
    rest: &'a [u8],
    _e: PhantomData<E>,
}

impl<'a, E> Multi<'a, E> {
    /// The values in `v`.
    #[inline]
    pub fn new(v: &'a [u8]) -> Self {
        Multi {
            rest: v,
            _e: PhantomData,
        }
    }

    /// The raw value.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.rest
    }
}

impl<'a, E: Enumerated<'a>> FromWire<'a> for Multi<'a, E> {
    #[inline(always)]
    fn from_wire(v: &'a [u8]) -> Result<Self, ValueError> {
        Ok(Multi::new(v))
    }
}

impl<'a, E: Enumerated<'a>> Iterator for Multi<'a, E> {
    type Item = E;

    fn next(&mut self) -> Option<E> {
        let rest = self.rest;
        if rest.is_empty() {
            return None;
        }
        let (token, next) = match rest.iter().position(|&b| b == b' ') {
            Some(i) => (rest.get(..i)?, rest.get(i + 1..)?),
            None => (rest, &[][..]),
        };
        self.rest = next;
        Some(E::from_bytes(token))
    }
}

impl<'a, E: Enumerated<'a> + fmt::Debug> fmt::Debug for Multi<'a, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(*self).finish()
    }
}

/// The shape of a repeating group, as a generated module carries it
/// (`static`, no dictionary at run time).
#[derive(Debug)]
pub struct GroupSpec {
    /// The NumInGroup tag.
    pub count_tag: Tag,
    /// The first tag of every entry.
    pub delimiter: Tag,
    /// Every tag an entry holds at its own level (nested count tags included).
    pub members: &'static [Tag],
    /// The groups nested in an entry.
    pub nested: &'static [&'static GroupSpec],
}

impl GroupSpec {
    #[inline]
    fn is_member(&self, tag: Tag) -> bool {
        self.members.contains(&tag)
    }

    #[inline]
    fn nested_for(&self, tag: Tag) -> Option<&'static GroupSpec> {
        self.nested.iter().copied().find(|g| g.count_tag == tag)
    }
}

/// Walk the entries from `pos`: the end position and the number of entries.
fn walk(msg: &MessageView<'_>, spec: &GroupSpec, mut pos: usize) -> (usize, usize) {
    let mut found = 0;
    while msg.field(pos).map(|f| f.tag) == Some(spec.delimiter) {
        found += 1;
        pos = entry_end(msg, spec, after_delimiter(msg, spec, pos));
    }
    (pos, found)
}

/// The position after an entry's first field at `pos`. An entry can begin
/// with a nested group (FIX.5.0SP2's NoPhysicalSettlTerms begins with
/// NoPhysicalSettlDeliverableObligations): then its entries follow the
/// delimiter and belong to this entry.
fn after_delimiter(msg: &MessageView<'_>, spec: &GroupSpec, pos: usize) -> usize {
    match spec.nested_for(spec.delimiter) {
        Some(nested) => walk(msg, nested, pos + 1).0,
        None => pos + 1,
    }
}

/// The end of the entry whose fields continue at `pos`.
fn entry_end(msg: &MessageView<'_>, spec: &GroupSpec, mut pos: usize) -> usize {
    while let Some(f) = msg.field(pos) {
        if f.tag == spec.delimiter {
            break;
        }
        if let Some(nested) = spec.nested_for(f.tag) {
            pos = walk(msg, nested, pos + 1).0;
        } else if spec.is_member(f.tag) {
            pos += 1;
        } else {
            break;
        }
    }
    pos
}

/// Position of `tag` among positions `pos..end`, skipping the entries of
/// the groups in `nested`.
fn position_in(
    msg: &MessageView<'_>,
    nested: &[&'static GroupSpec],
    mut pos: usize,
    end: usize,
    tag: Tag,
) -> Option<usize> {
    while pos < end {
        let f = msg.field(pos)?;
        if f.tag == tag {
            return Some(pos);
        }
        pos = match nested.iter().find(|g| g.count_tag == f.tag) {
            Some(g) => walk(msg, g, pos + 1).0,
            None => pos + 1,
        };
    }
    None
}

/// Position of `tag` in a message outside the entries of its top-level
/// `groups` (for messages whose groups reuse a body tag).
pub fn top_level_position(
    msg: &MessageView<'_>,
    groups: &[&'static GroupSpec],
    tag: Tag,
) -> Option<usize> {
    position_in(msg, groups, 0, msg.len(), tag)
}

/// One level of a message a generated view reads: the body, or an entry.
pub trait FieldSource<'a> {
    /// The whole message.
    fn message(&self) -> MessageView<'a>;
    /// Position of `tag` at this level (not inside a nested group).
    fn position_of(&self, tag: Tag) -> Option<usize>;

    /// Raw value of `tag` at this level.
    #[inline(always)]
    fn raw(&self, tag: Tag) -> Option<&'a [u8]> {
        let p = self.position_of(tag)?;
        self.message().field(p).map(|f| f.value)
    }

    /// Typed value of an optional field.
    #[inline(always)]
    fn opt<T: FromWire<'a>>(&self, tag: Tag) -> Result<Option<T>, FieldError> {
        match self.raw(tag) {
            None => Ok(None),
            Some(v) => T::from_wire(v)
                .map(Some)
                .map_err(|error| FieldError::Invalid { tag, error }),
        }
    }

    /// Enumerated value of an optional field (never an error: bytes the
    /// dictionary does not list are the unknown variant).
    #[inline(always)]
    fn enumerated<E: Enumerated<'a>>(&self, tag: Tag) -> Option<E> {
        self.raw(tag).map(E::from_bytes)
    }

    /// Typed value of a required field (`Missing` when absent).
    #[inline(always)]
    fn req<T: FromWire<'a>>(&self, tag: Tag) -> Result<T, FieldError> {
        let v = self.raw(tag).ok_or(FieldError::Missing(tag))?;
        T::from_wire(v).map_err(|error| FieldError::Invalid { tag, error })
    }

    /// The entries of a group at this level (none when its count is absent).
    #[inline]
    fn group<E: Entry<'a>>(&self, spec: &'static GroupSpec) -> Result<Entries<'a, E>, GroupError> {
        let msg = self.message();
        match self.position_of(spec.count_tag) {
            None => Ok(Entries {
                msg,
                spec,
                next: 0,
                end: 0,
                left: 0,
                _e: PhantomData,
            }),
            Some(p) => Entries::at(msg, spec, p),
        }
    }
}

/// The fields of one group entry: positions `start..end` of a message.
#[derive(Clone, Copy)]
pub struct Span<'a> {
    msg: MessageView<'a>,
    spec: &'static GroupSpec,
    start: usize,
    end: usize,
}

impl<'a> Span<'a> {
    /// The whole message.
    #[inline(always)]
    pub fn message(&self) -> MessageView<'a> {
        self.msg
    }

    /// Position of `tag` in this entry, outside its nested groups.
    #[inline]
    pub fn position_of(&self, tag: Tag) -> Option<usize> {
        position_in(&self.msg, self.spec.nested, self.start, self.end, tag)
    }

    /// Positions of the entry's first field and just after its last.
    pub fn positions(&self) -> (usize, usize) {
        (self.start, self.end)
    }
}

impl fmt::Debug for Span<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut l = f.debug_list();
        for field in self.msg.fields_in(self.start, self.end) {
            l.entry(&format_args!(
                "{}={}",
                field.tag,
                String::from_utf8_lossy(field.value)
            ));
        }
        l.finish()
    }
}

/// A generated entry view: made from the span of one entry.
pub trait Entry<'a>: Sized {
    /// The view of the entry at `span`.
    fn from_span(span: Span<'a>) -> Self;
}

/// The entries of a group, in wire order.
#[derive(Clone)]
pub struct Entries<'a, E> {
    msg: MessageView<'a>,
    spec: &'static GroupSpec,
    next: usize,
    end: usize,
    left: usize,
    _e: PhantomData<E>,
}

impl<'a, E> Entries<'a, E> {
    /// The group whose NumInGroup field is at `count_position`; its count
    /// must match the entries found.
    pub fn at(
        msg: MessageView<'a>,
        spec: &'static GroupSpec,
        count_position: usize,
    ) -> Result<Self, GroupError> {
        let bad = GroupError::BadCount {
            tag: spec.count_tag,
        };
        let count = msg.field(count_position).ok_or(bad)?;
        let declared = parse_u64(count.value).map_err(|_| bad)?;
        let declared = usize::try_from(declared).map_err(|_| bad)?;
        let (end, found) = walk(&msg, spec, count_position + 1);
        if found != declared {
            return Err(GroupError::CountMismatch {
                tag: spec.count_tag,
                declared,
                found,
            });
        }
        Ok(Entries {
            msg,
            spec,
            next: count_position + 1,
            end,
            left: found,
            _e: PhantomData,
        })
    }
}

impl<'a, E: Entry<'a>> Iterator for Entries<'a, E> {
    type Item = E;

    #[inline]
    fn next(&mut self) -> Option<E> {
        if self.left == 0 {
            return None;
        }
        let start = self.next;
        let end = entry_end(
            &self.msg,
            self.spec,
            after_delimiter(&self.msg, self.spec, start),
        )
        .min(self.end);
        self.next = end;
        self.left -= 1;
        Some(E::from_span(Span {
            msg: self.msg,
            spec: self.spec,
            start,
            end,
        }))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<'a, E: Entry<'a>> ExactSizeIterator for Entries<'a, E> {}

impl<E> fmt::Debug for Entries<'_, E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Entries")
            .field("count_tag", &self.spec.count_tag)
            .field("left", &self.left)
            .finish()
    }
}
