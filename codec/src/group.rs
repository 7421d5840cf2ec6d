//! Repeating groups: a `GroupLayout` (plain data, built by the dictionary or
//! by hand) tells how to walk a group's entries in a `MessageView`.

use crate::error::GroupError;
use crate::value::parse_u64;
use crate::view::{Fields, MessageView};
use crate::Tag;

/// Shape of one repeating group.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupLayout {
    /// The NumInGroup tag (e.g. 453 NoPartyIDs).
    pub count_tag: Tag,
    /// The first tag of every entry (e.g. 448 PartyID).
    pub delimiter: Tag,
    /// Every tag an entry may hold at this level, in dictionary order,
    /// including the delimiter and the count tags of nested groups.
    pub members: Vec<Tag>,
    /// Groups nested in an entry.
    pub nested: Vec<GroupLayout>,
}

impl GroupLayout {
    /// A layout without nested groups; `members` should start with `delimiter`.
    pub fn new(count_tag: Tag, delimiter: Tag, members: impl Into<Vec<Tag>>) -> Self {
        GroupLayout {
            count_tag,
            delimiter,
            members: members.into(),
            nested: Vec::new(),
        }
    }

    /// Add a nested group (its count tag becomes a member if it is not one).
    pub fn with_nested(mut self, nested: GroupLayout) -> Self {
        if !self.members.contains(&nested.count_tag) {
            self.members.push(nested.count_tag);
        }
        self.nested.push(nested);
        self
    }

    /// Whether `tag` may appear in an entry at this level.
    pub fn is_member(&self, tag: Tag) -> bool {
        tag == self.delimiter || self.members.contains(&tag)
    }

    /// The nested layout whose count tag is `tag`.
    pub fn nested_for(&self, tag: Tag) -> Option<&GroupLayout> {
        self.nested.iter().find(|g| g.count_tag == tag)
    }
}

/// One occurrence of a repeating group in a message.
#[derive(Debug, Clone, Copy)]
pub struct Group<'a, 'l> {
    view: MessageView<'a>,
    layout: &'l GroupLayout,
    count_position: usize,
    declared: usize,
    end: usize,
}

impl<'a, 'l> Group<'a, 'l> {
    /// Walk the group whose count field is at `count_position`.
    pub fn at(
        view: MessageView<'a>,
        layout: &'l GroupLayout,
        count_position: usize,
    ) -> Result<Self, GroupError> {
        let bad = GroupError::BadCount {
            tag: layout.count_tag,
        };
        let count_field = view.field(count_position).ok_or(bad)?;
        let declared = parse_u64(count_field.value).map_err(|_| bad)?;
        let declared = usize::try_from(declared).map_err(|_| bad)?;
        let (end, found) = walk(&view, layout, count_position + 1);
        if found != declared {
            return Err(GroupError::CountMismatch {
                tag: layout.count_tag,
                declared,
                found,
            });
        }
        Ok(Group {
            view,
            layout,
            count_position,
            declared,
            end,
        })
    }

    /// NumInGroup as declared (and verified).
    pub fn len(&self) -> usize {
        self.declared
    }
    /// Whether the group has no entries (NumInGroup = 0).
    pub fn is_empty(&self) -> bool {
        self.declared == 0
    }
    /// Position of the NumInGroup field.
    pub fn count_position(&self) -> usize {
        self.count_position
    }
    /// Position just after the group's last field.
    pub fn end_position(&self) -> usize {
        self.end
    }
    /// The layout this group was walked with.
    pub fn layout(&self) -> &'l GroupLayout {
        self.layout
    }

    /// The entries, in wire order.
    pub fn entries(&self) -> Entries<'a, 'l> {
        Entries {
            view: self.view,
            layout: self.layout,
            next: self.count_position + 1,
            end: self.end,
        }
    }
}

/// Walk entries starting at `pos`: returns the end position and entry count.
fn walk(view: &MessageView<'_>, layout: &GroupLayout, mut pos: usize) -> (usize, usize) {
    let mut found = 0;
    while view.field(pos).map(|f| f.tag) == Some(layout.delimiter) {
        found += 1;
        pos = entry_end(view, layout, pos + 1);
    }
    (pos, found)
}

/// End of the entry whose fields continue at `pos`.
fn entry_end(view: &MessageView<'_>, layout: &GroupLayout, mut pos: usize) -> usize {
    while let Some(f) = view.field(pos) {
        if f.tag == layout.delimiter {
            break;
        }
        if let Some(nested) = layout.nested_for(f.tag) {
            pos = walk(view, nested, pos + 1).0;
        } else if layout.is_member(f.tag) {
            pos += 1;
        } else {
            break;
        }
    }
    pos
}

/// Iterator over a group's entries.
#[derive(Debug, Clone)]
pub struct Entries<'a, 'l> {
    view: MessageView<'a>,
    layout: &'l GroupLayout,
    next: usize,
    end: usize,
}

impl<'a, 'l> Iterator for Entries<'a, 'l> {
    type Item = GroupEntry<'a, 'l>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let start = self.next;
        let end = entry_end(&self.view, self.layout, start + 1).min(self.end);
        self.next = end;
        Some(GroupEntry {
            view: self.view,
            layout: self.layout,
            start,
            end,
        })
    }
}

/// One entry of a repeating group: the fields at positions `start..end`.
#[derive(Debug, Clone, Copy)]
pub struct GroupEntry<'a, 'l> {
    view: MessageView<'a>,
    layout: &'l GroupLayout,
    start: usize,
    end: usize,
}

impl<'a, 'l> GroupEntry<'a, 'l> {
    /// Position of the entry's first field (the delimiter).
    pub fn start_position(&self) -> usize {
        self.start
    }
    /// Position just after the entry's last field.
    pub fn end_position(&self) -> usize {
        self.end
    }
    /// The entry's fields (nested groups included) in wire order.
    pub fn fields(&self) -> Fields<'a> {
        self.view.fields_in(self.start, self.end)
    }
    /// Value of the first `tag` at this entry's level (not inside nested groups).
    pub fn get(&self, tag: Tag) -> Option<&'a [u8]> {
        let mut pos = self.start;
        while pos < self.end {
            let f = self.view.field(pos)?;
            if f.tag == tag {
                return Some(f.value);
            }
            pos = match self.layout.nested_for(f.tag) {
                Some(nested) => walk(&self.view, nested, pos + 1).0,
                None => pos + 1,
            };
        }
        None
    }
    /// A group nested in this entry.
    pub fn group(&self, layout: &'l GroupLayout) -> Result<Option<Group<'a, 'l>>, GroupError> {
        match self.view.position_from(layout.count_tag, self.start) {
            Some(p) if p < self.end => Group::at(self.view, layout, p).map(Some),
            _ => Ok(None),
        }
    }
}

impl<'a> MessageView<'a> {
    /// The first occurrence of the group `layout` describes (`None` when its
    /// count tag is absent).
    pub fn group<'l>(&self, layout: &'l GroupLayout) -> Result<Option<Group<'a, 'l>>, GroupError> {
        match self.position(layout.count_tag) {
            Some(p) => Group::at(*self, layout, p).map(Some),
            None => Ok(None),
        }
    }
}
