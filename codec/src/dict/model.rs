//! The loaded dictionary: compact, immutable tables built once from XML.

use super::tree::{ComponentDef, Member, Tree};
use super::types::FieldType;

use crate::{GroupLayout, Tag};
/// Marks a tag with no field in `tag_index`.
pub(crate) const NO_DENSE_INDEX: u16 = u16::MAX;

/// One `<value enum=... description=...>` of a field.
#[derive(Debug, Clone)]
pub struct EnumValue {
    /// The wire value (`enum`).
    pub value: Box<[u8]>,
    /// The `description` attribute (e.g. `BUY`).
    pub description: Box<str>,
}

/// One `<field>` of the `<fields>` section.
#[derive(Debug, Clone)]
pub struct FieldDef {
    /// Tag number.
    pub tag: Tag,
    /// Field name (e.g. `MsgSeqNum`).
    pub name: Box<str>,
    /// Data type as QuickFIX interprets it.
    pub field_type: FieldType,
    /// Enumerated values, sorted by value (empty: any value).
    pub values: Box<[EnumValue]>,
    /// When every value is one ASCII byte: a bitmap of them (fast enum check).
    pub(crate) char_mask: Option<[u64; 2]>,
    /// Values of up to 7 bytes packed by [`pack7`], sorted (no memcmp on the hot path).
    pub(crate) short_keys: Box<[u64]>,
}

/// Packs up to 7 bytes and the length into one `u64` (a unique key per value).
#[inline]
pub(crate) fn pack7(v: &[u8]) -> Option<u64> {
    match *v {
        [a] => return Some(1 << 56 | u64::from(a)),
        [a, b] => return Some(2 << 56 | u64::from(a) | u64::from(b) << 8),
        _ if v.len() > 7 => return None,
        _ => {}
    }
    let mut k = (v.len() as u64) << 56;
    for (i, &b) in v.iter().enumerate() {
        k |= u64::from(b) << (i * 8);
    }
    Some(k)
}

impl FieldDef {
    /// True when the field declares enumerated values.
    pub fn has_values(&self) -> bool {
        !self.values.is_empty()
    }

    /// The description of one enumerated value.
    pub fn value_description(&self, value: &[u8]) -> Option<&str> {
        self.values
            .binary_search_by(|v| (*v.value).cmp(value))
            .ok()
            .and_then(|i| self.values.get(i))
            .map(|v| &*v.description)
    }

    /// Whether `value` is allowed (always true for fields without enums).
    /// Multi-value types check each space-separated token, like QuickFIX.
    #[inline]
    pub fn value_allowed(&self, value: &[u8]) -> bool {
        if self.values.is_empty() {
            return true;
        }
        if self.field_type.is_multiple_value() {
            return value
                .split(|&b| b == b' ')
                .all(|tok| self.single_allowed(tok));
        }
        self.single_allowed(value)
    }

    #[inline]
    fn single_allowed(&self, value: &[u8]) -> bool {
        if let Some(mask) = self.char_mask {
            return match value {
                [b] if *b < 128 => mask[usize::from(*b >> 6)] & (1u64 << (b & 63)) != 0,
                _ => false,
            };
        }
        match pack7(value) {
            Some(k) => self.short_keys.binary_search(&k).is_ok(),
            None => self
                .values
                .binary_search_by(|v| (*v.value).cmp(value))
                .is_ok(),
        }
    }
}

/// A repeating group as laid out in the dictionary (components flattened).
#[derive(Debug, Clone)]
pub struct GroupDef {
    /// The NumInGroup tag that starts the group.
    pub count_tag: Tag,
    /// The first field of every instance.
    pub delimiter: Tag,
    /// Member tags in dictionary order (nested count tags included, nested members not).
    pub members: Box<[Tag]>,
    /// Tags every instance must carry (QuickFIX: only when the group itself is required).
    pub required: Box<[Tag]>,
    pub(crate) nested: Box<[(Tag, u32)]>,
    /// The validator's lookup of a tag in this group: two bits per tag
    /// from `lo` to the largest member ([`GROUP_MEMBER`], [`GROUP_NESTED`]),
    /// one load instead of a search per field.
    pub(crate) lo: Tag,
    pub(crate) kinds: Box<[u64]>,
}

/// [`GroupDef::kind`] bit: the tag is a direct member of the group.
pub(crate) const GROUP_MEMBER: u8 = 1;
/// [`GroupDef::kind`] bit: the tag is the count of a nested group.
pub(crate) const GROUP_NESTED: u8 = 2;

impl GroupDef {
    /// Builds a definition and its lookup table.
    pub(crate) fn new(
        count_tag: Tag,
        delimiter: Tag,
        members: Box<[Tag]>,
        required: Box<[Tag]>,
        nested: Box<[(Tag, u32)]>,
    ) -> Self {
        let lo = members.iter().copied().min().unwrap_or(0);
        let hi = members.iter().copied().max().unwrap_or(0);
        let span = (hi - lo) as usize + 1;
        let mut kinds = vec![0u64; (2 * span).div_ceil(64)];
        let mut mark = |tag: Tag, bit: u8| {
            let i = (tag - lo) as usize;
            if let Some(w) = kinds.get_mut(i >> 5) {
                *w |= u64::from(bit) << (2 * (i & 31));
            }
        };
        for &t in members.iter() {
            mark(t, GROUP_MEMBER);
        }
        for &(t, _) in nested.iter().filter(|n| n.0 >= lo && n.0 <= hi) {
            mark(t, GROUP_NESTED);
        }
        GroupDef {
            count_tag,
            delimiter,
            members,
            required,
            nested,
            lo,
            kinds: kinds.into(),
        }
    }

    /// [`GROUP_MEMBER`] and [`GROUP_NESTED`] bits of `tag` (0: not in the group).
    #[inline(always)]
    pub(crate) fn kind(&self, tag: Tag) -> u8 {
        let i = tag.wrapping_sub(self.lo) as usize;
        let word = self.kinds.get(i >> 5).copied().unwrap_or(0);
        ((word >> (2 * (i & 31))) & 3) as u8
    }

    /// True when `tag` belongs directly to an instance of this group.
    pub fn is_member(&self, tag: Tag) -> bool {
        self.kind(tag) & GROUP_MEMBER != 0
    }
}

/// A handle on a group definition, able to reach nested groups.
#[derive(Debug, Clone, Copy)]
pub struct GroupRef<'d> {
    dict: &'d Dictionary,
    def: &'d GroupDef,
    id: u32,
}

impl<'d> GroupRef<'d> {
    /// The group's definition (count tag, delimiter, members, required tags).
    pub fn def(&self) -> &'d GroupDef {
        self.def
    }

    /// The codec's layout of this group (nested groups included), built at load time.
    pub fn layout(&self) -> &'d GroupLayout {
        self.dict.layout_at(self.id)
    }

    /// A group nested in this one, by its count tag.
    pub fn nested(&self, count_tag: Tag) -> Option<GroupRef<'d>> {
        self.dict.group_in(&self.def.nested, count_tag)
    }

    /// All groups nested directly in this one.
    pub fn nested_groups(&self) -> impl Iterator<Item = GroupRef<'d>> + 'd {
        let dict = self.dict;
        self.def
            .nested
            .iter()
            .filter_map(move |&(_, id)| dict.group_at(id))
    }
}

/// The part of a dictionary shared by header, trailer and each message type.
#[derive(Debug, Clone, Default)]
pub(crate) struct Section {
    /// Fields allowed here: bitset over dense field indexes.
    pub bits: Box<[u64]>,
    /// Required tags (component rules of QuickFIX), sorted.
    pub required: Box<[Tag]>,
    /// Top-level groups: (count tag, group id), sorted by count tag.
    pub groups: Box<[(Tag, u32)]>,
    /// Field and group tags in dictionary order (components flattened).
    pub order: Box<[Tag]>,
}

/// One `<message>`.
#[derive(Debug, Clone)]
pub struct MessageDef {
    /// MsgType (35) value.
    pub msg_type: Box<[u8]>,
    /// Message name (e.g. `NewOrderSingle`).
    pub name: Box<str>,
    /// `msgcat` attribute: true for `admin`.
    pub admin: bool,
    pub(crate) section: Section,
    /// The members as written (components by reference).
    pub(crate) members: Box<[Member]>,
    /// Two bits per dense field index: allowed in this message (even bit),
    /// required (odd bit); the fast path reads both with one load.
    pub(crate) presence: Box<[u64]>,
}

impl MessageDef {
    /// Required body tags (top level), sorted.
    pub fn required(&self) -> &[Tag] {
        &self.section.required
    }

    /// Body tags in dictionary order (components flattened, group members excluded).
    pub fn field_order(&self) -> &[Tag] {
        &self.section.order
    }

    /// The body's members as written: fields, groups (with their own
    /// members) and components by reference, with the declared required flags.
    pub fn members(&self) -> &[Member] {
        &self.members
    }
}

/// A QuickFIX data dictionary for one FIX version (or the FIXT.1.1 transport).
#[derive(Debug, Clone)]
pub struct Dictionary {
    pub(crate) source: Box<str>,
    pub(crate) version: Box<str>,
    pub(crate) transport: bool,
    /// `pack7(msg_type)` per message, same order as `messages`; u64::MAX when longer.
    pub(crate) msg_keys: Box<[u64]>,
    /// Index in `messages` of each one-byte MsgType (`NO_DENSE_INDEX`: none).
    pub(crate) msg_by_byte: Box<[u16]>,
    pub(crate) fields: Box<[FieldDef]>,
    pub(crate) tag_index: Box<[u16]>,
    pub(crate) messages: Box<[MessageDef]>,
    pub(crate) header: Section,
    pub(crate) groups: Box<[GroupDef]>,
    /// The codec layout of each group, by group id.
    pub(crate) layouts: Box<[GroupLayout]>,
    /// Per dense index: FLAG_* bits (one load classifies a field).
    pub(crate) flags: Box<[u8]>,
    /// Components, header and trailer as written (not used by validation).
    pub(crate) tree: Box<Tree>,
    /// Per tag (up to the largest declared): the fast path's word of dense
    /// index, FLAG_* bits, value class and byte set (see `quick`).
    pub(crate) tag_info: Box<[u64]>,
    /// The required header fields are among 8, 9, 35, 49, 56, 52, 34 (the
    /// ones every parsed message is checked for anyway).
    pub(crate) usual_header: bool,
    /// BeginString (8) needs no check, BodyLength (9) is an integer and
    /// MsgType (35) is checked against its enumeration by type: what the
    /// parser verified of the first three fields is all there is to check.
    pub(crate) plain_preamble: bool,
    /// The byte sets of one-byte enumerations.
    pub(crate) char_sets: Box<[[u64; 2]]>,
}

impl Dictionary {
    /// Where it was loaded from (a path or `builtin:FIX44.xml`).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Version string as QuickFIX builds it: `FIX.4.4`, `FIXT.1.1`, `FIX.5.0SP2`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The ApplVerID (1128) value of this dictionary's version (None for FIXT.1.1
    /// or an unknown version).
    pub fn appl_ver_id(&self) -> Option<&'static [u8]> {
        super::Version::from_version_string(&self.version)?.appl_ver_id()
    }

    /// True for the FIXT transport dictionary.
    #[inline]
    pub fn is_transport(&self) -> bool {
        self.transport
    }

    /// Definition of a tag, if the dictionary declares it.
    #[inline]
    pub fn field(&self, tag: Tag) -> Option<&FieldDef> {
        let i = self.dense(tag)?;
        self.fields.get(i)
    }

    #[inline]
    pub(crate) fn dense(&self, tag: Tag) -> Option<usize> {
        let i = *self.tag_index.get(usize::try_from(tag).ok()?)?;
        (i != NO_DENSE_INDEX).then_some(usize::from(i))
    }

    /// All declared fields, sorted by tag.
    pub fn fields(&self) -> &[FieldDef] {
        &self.fields
    }

    /// Largest declared tag.
    pub fn max_tag(&self) -> Tag {
        self.fields.last().map_or(0, |f| f.tag)
    }

    /// True when `tag` starts a repeating group in some message, header or group.
    #[inline]
    pub fn is_group_count_tag(&self, tag: Tag) -> bool {
        self.flags_of(tag) & FLAG_COUNT != 0
    }

    /// Field name of a tag.
    pub fn field_name(&self, tag: Tag) -> Option<&str> {
        self.field(tag).map(|f| &*f.name)
    }

    /// Tag of a field name (linear; not for the hot path).
    pub fn tag_of(&self, name: &str) -> Option<Tag> {
        self.fields.iter().find(|f| &*f.name == name).map(|f| f.tag)
    }

    /// Description of an enumerated value (e.g. (54, `1`) -> `BUY`).
    pub fn value_description(&self, tag: Tag, value: &[u8]) -> Option<&str> {
        self.field(tag)?.value_description(value)
    }

    /// Message definition by MsgType bytes (packed-key binary search, no allocation).
    #[inline]
    pub fn message(&self, msg_type: &[u8]) -> Option<&MessageDef> {
        if let [b] = msg_type {
            let i = *self.msg_by_byte.get(usize::from(*b))?;
            return self.messages.get(usize::from(i));
        }
        match pack7(msg_type) {
            Some(k) => {
                let i = self.msg_keys.binary_search(&k).ok()?;
                self.messages.get(i)
            }
            None => self.messages.iter().find(|m| *m.msg_type == *msg_type),
        }
    }

    /// All message definitions (ordered by packed MsgType key).
    pub fn messages(&self) -> &[MessageDef] {
        &self.messages
    }

    /// True when `tag` is a header field: declared in the dictionary's header
    /// or one of QuickFIX's fixed header tags.
    pub fn is_header_field(&self, tag: Tag) -> bool {
        self.flags_of(tag) & FLAG_HEADER != 0
    }

    /// True when `tag` is a trailer field (dictionary trailer, or 93/89/10).
    pub fn is_trailer_field(&self, tag: Tag) -> bool {
        self.flags_of(tag) & FLAG_TRAILER != 0
    }

    #[inline]
    fn flags_of(&self, tag: Tag) -> u8 {
        self.classify(i64::from(tag)).1
    }

    /// Dense index and FLAG_* bits of a tag in one lookup.
    #[inline]
    pub(crate) fn classify(&self, tag: i64) -> (Option<usize>, u8) {
        let dense = u32::try_from(tag).ok().and_then(|t| self.dense(t));
        match dense {
            Some(i) => (Some(i), self.flags.get(i).copied().unwrap_or(0)),
            None => (None, static_flags(tag)),
        }
    }

    /// The field at a dense index.
    #[inline]
    pub(crate) fn field_at(&self, i: usize) -> Option<&FieldDef> {
        self.fields.get(i)
    }

    /// Whether a message allows the field at a dense index.
    #[inline]
    pub(crate) fn message_allows(msg: &MessageDef, i: usize) -> bool {
        bit(&msg.section.bits, i)
    }

    /// The `<components>` section as written, in document order
    /// ([`Member::Component`] indexes it).
    pub fn components(&self) -> &[ComponentDef] {
        &self.tree.components
    }

    /// A component by its index in [`Dictionary::components`].
    pub fn component(&self, index: u32) -> Option<&ComponentDef> {
        self.tree.components.get(usize::try_from(index).ok()?)
    }

    /// The header's members as written.
    pub fn header_members(&self) -> &[Member] {
        &self.tree.header
    }

    /// The trailer's members as written.
    pub fn trailer_members(&self) -> &[Member] {
        &self.tree.trailer
    }

    /// Header tags marked required='Y', sorted.
    pub fn required_header_fields(&self) -> &[Tag] {
        &self.header.required
    }

    /// Header tags in dictionary order.
    pub fn header_order(&self) -> &[Tag] {
        &self.header.order
    }

    /// Whether a message type allows `tag` in its body (top level or in a component).
    #[inline]
    pub fn is_message_field(&self, msg: &MessageDef, tag: Tag) -> bool {
        self.dense(tag).is_some_and(|i| bit(&msg.section.bits, i))
    }

    /// The repeating group started by `count_tag` at the top level of a message body.
    pub fn group(&self, msg_type: &[u8], count_tag: Tag) -> Option<GroupRef<'_>> {
        let msg = self.message(msg_type)?;
        self.group_in(&msg.section.groups, count_tag)
    }

    /// A header repeating group (e.g. NoHops).
    pub fn header_group(&self, count_tag: Tag) -> Option<GroupRef<'_>> {
        self.group_in(&self.header.groups, count_tag)
    }

    /// All top-level groups of a message type.
    pub fn message_groups<'d>(
        &'d self,
        msg: &'d MessageDef,
    ) -> impl Iterator<Item = GroupRef<'d>> + 'd {
        msg.section
            .groups
            .iter()
            .filter_map(move |&(_, id)| self.group_at(id))
    }

    pub(crate) fn group_in(&self, table: &[(Tag, u32)], count_tag: Tag) -> Option<GroupRef<'_>> {
        let i = table.binary_search_by_key(&count_tag, |&(t, _)| t).ok()?;
        self.group_at(table.get(i)?.1)
    }

    pub(crate) fn group_at(&self, id: u32) -> Option<GroupRef<'_>> {
        let def = self.groups.get(usize::try_from(id).ok()?)?;
        Some(GroupRef {
            dict: self,
            def,
            id,
        })
    }

    /// Layout of a message's top-level group, for [`crate::MessageView::group`].
    pub fn group_layout(&self, msg_type: &[u8], count_tag: Tag) -> Option<&GroupLayout> {
        self.group(msg_type, count_tag).map(|g| g.layout())
    }

    /// Layout of a header group (e.g. NoHops).
    pub fn header_group_layout(&self, count_tag: Tag) -> Option<&GroupLayout> {
        self.header_group(count_tag).map(|g| g.layout())
    }

    /// Layouts of all top-level groups of a message type.
    pub fn group_layouts<'d>(
        &'d self,
        msg_type: &[u8],
    ) -> impl Iterator<Item = &'d GroupLayout> + 'd {
        let groups: &'d [(Tag, u32)] = self.message(msg_type).map_or(&[], |m| &m.section.groups);
        groups.iter().map(move |&(_, id)| self.layout_at(id))
    }

    fn layout_at(&self, id: u32) -> &GroupLayout {
        static EMPTY: GroupLayout = GroupLayout {
            count_tag: 0,
            delimiter: 0,
            members: Vec::new(),
            nested: Vec::new(),
        };
        usize::try_from(id)
            .ok()
            .and_then(|i| self.layouts.get(i))
            .unwrap_or(&EMPTY)
    }

    pub(crate) fn group_def(&self, id: u32) -> Option<&GroupDef> {
        self.groups.get(usize::try_from(id).ok()?)
    }
}

/// Header field (dictionary header or QuickFIX's fixed list).
pub(crate) const FLAG_HEADER: u8 = 1;
/// Trailer field (dictionary trailer or 93/89/10).
pub(crate) const FLAG_TRAILER: u8 = 2;
/// Starts a repeating group somewhere (older dictionaries type counts as
/// INT, so the type cannot tell).
pub(crate) const FLAG_COUNT: u8 = 4;

/// QuickFIX's fixed header and trailer tags (Message::isHeaderField / isTrailerField).
pub(crate) fn static_flags(tag: i64) -> u8 {
    match tag {
        8 | 9 | 35 | 49 | 56 | 115 | 128 | 90 | 91 | 34 | 50 | 142 | 57 | 143 | 116 | 144 | 129
        | 145 | 43 | 97 | 52 | 122 | 212 | 213 | 347 | 369 | 370 | 1128 | 1129 | 1156 | 627
        | 628 | 629 | 630 => FLAG_HEADER,
        93 | 89 | 10 => FLAG_TRAILER,
        _ => 0,
    }
}

#[inline]
pub(crate) fn bit(bits: &[u64], i: usize) -> bool {
    bits.get(i >> 6)
        .is_some_and(|w| w & (1u64 << (i & 63)) != 0)
}

pub(crate) fn set_bit(bits: &mut [u64], i: usize) {
    if let Some(w) = bits.get_mut(i >> 6) {
        *w |= 1u64 << (i & 63);
    }
}
