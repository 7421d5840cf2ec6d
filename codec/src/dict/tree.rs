//! The dictionary's structure as written: messages, components and groups
//! with their members in order, required flags as declared, components
//! by reference. For code generators and tools; validation uses the
//! flattened tables of [`super::model`] and never reads this.

use crate::Tag;

/// One member of a message, component, group, header or trailer, in
/// dictionary order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Member {
    /// `<field name=... required=...>`.
    Field {
        /// The field's tag.
        tag: Tag,
        /// `required='Y'` as written (QuickFIX applies it only where the
        /// enclosing components are required too).
        required: bool,
    },
    /// `<group name=... required=...>` with its own members.
    Group(GroupTree),
    /// `<component name=... required=...>`.
    Component {
        /// Index into [`super::Dictionary::components`].
        index: u32,
        /// `required='Y'` as written.
        required: bool,
    },
}

/// A repeating group as written: its NumInGroup tag and its members.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupTree {
    /// The NumInGroup field's tag.
    pub count_tag: Tag,
    /// `required='Y'` as written.
    pub required: bool,
    /// The members of one entry, in order (the first one delimits entries).
    pub members: Box<[Member]>,
}

/// One `<component>` of the `<components>` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ComponentDef {
    /// The component's name (e.g. `Instrument`).
    pub name: Box<str>,
    /// Its members, in order.
    pub members: Box<[Member]>,
}

/// The header, trailer and components as written.
#[derive(Debug, Clone, Default)]
pub(crate) struct Tree {
    pub components: Box<[ComponentDef]>,
    pub header: Box<[Member]>,
    pub trailer: Box<[Member]>,
}
