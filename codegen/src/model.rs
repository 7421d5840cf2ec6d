//! What the emitters need from a dictionary: fields with their Rust value
//! kinds and enums, messages and components with their direct members,
//! and every group definition with its owner, entry layout and required
//! members. Built once from `ringfix_codec::dict` (no second XML parser).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use ringfix_codec::data_fields::len_tag_for;
use ringfix_codec::dict::{Dictionary, FieldType, GroupTree, Member, Version};
use ringfix_codec::Tag;

use crate::names::{escape, snake, variants};
use crate::Error;

/// How a field's value is read and written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Text and everything kept as bytes (`&[u8]`).
    Bytes,
    /// DATA written with its length field (`len`) in one call.
    Data { len: Tag },
    /// A listed value: the field's enum.
    Enum,
    /// Space-separated listed values.
    MultiEnum,
    /// One byte.
    Char,
    /// `i64`.
    Int,
    /// `u64` (SeqNum, Length, NumInGroup).
    UInt,
    /// `Decimal`.
    Decimal,
    /// `Y`/`N`.
    Bool,
    /// `UtcTimestamp`.
    Timestamp,
}

/// One field of the dictionary.
#[derive(Debug)]
pub struct Field {
    pub tag: Tag,
    pub name: String,
    /// Getter/setter name (escaped).
    pub method: String,
    pub kind: Kind,
    /// The dictionary's type.
    pub ty: FieldType,
    /// Variants (escaped) with wire value and description, for `Enum`/`MultiEnum`.
    pub variants: Vec<(String, Vec<u8>, String)>,
    /// The DATA field this LENGTH field announces (no setter of its own).
    pub length_of: Option<Tag>,
}

/// A direct member of a message, component or group.
#[derive(Debug, Clone, Copy)]
pub enum Item {
    Field { tag: Tag, required: bool },
    Group { id: usize, required: bool },
    Component { index: usize },
}

/// Where a group's types are defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    Message(usize),
    Component(usize),
}

/// What every entry of a group starts with.
#[derive(Debug, Clone, Copy)]
pub enum First {
    Field(Tag),
    Group(usize),
}

/// One group definition (nested ones have their root's owner).
#[derive(Debug)]
pub struct Group {
    pub count_tag: Tag,
    /// The count field's name: the base of the group's type names.
    pub name: String,
    pub owner: Owner,
    pub items: Vec<Item>,
    pub first: First,
    /// Entry-level tags, components flattened (nested count tags included).
    pub members: Vec<Tag>,
    /// Groups nested in an entry, components flattened.
    pub nested: Vec<usize>,
    /// Required members checked when an entry closes (bit `i` is `required[i]`).
    pub required: Vec<Tag>,
}

/// One component.
#[derive(Debug)]
pub struct Component {
    pub name: String,
    pub module: String,
    pub items: Vec<Item>,
}

/// One message.
#[derive(Debug)]
pub struct Message {
    pub name: String,
    /// The marker type and dispatch variant (escaped name).
    pub marker: String,
    pub module: String,
    pub msg_type: Vec<u8>,
    pub items: Vec<Item>,
    /// Required top-level tags (QuickFIX's rules), sorted.
    pub required: Vec<Tag>,
}

/// A dictionary prepared for the emitters.
#[derive(Debug)]
pub struct Model {
    pub version: Version,
    /// The dictionary's version string (`FIX.4.4`).
    pub version_string: String,
    pub fields: BTreeMap<Tag, Field>,
    pub components: Vec<Component>,
    pub messages: Vec<Message>,
    pub groups: Vec<Group>,
}

/// Names the root of a generated module reserves.
pub const ROOT_RESERVED: &[&str] = &[
    "Message",
    "Unknown",
    "dispatch",
    "field",
    "component",
    "prelude",
    "rt",
    "BEGIN_STRING",
    "VERSION",
];

impl Model {
    pub fn new(dict: &Dictionary) -> Result<Model, Error> {
        let version = Version::from_version_string(dict.version()).ok_or_else(|| {
            Error::Dictionary(format!(
                "{}: version {} is not one ringfix knows",
                dict.source(),
                dict.version()
            ))
        })?;
        let mut m = Model {
            version,
            version_string: dict.version().to_string(),
            fields: BTreeMap::new(),
            components: Vec::new(),
            messages: Vec::new(),
            groups: Vec::new(),
        };
        m.read_fields(dict);
        for (i, c) in dict.components().iter().enumerate() {
            let items = m.items(&c.members, Owner::Component(i))?;
            m.components.push(Component {
                name: c.name.to_string(),
                module: escape(snake(&c.name), &[]),
                items,
            });
        }
        let mut messages: Vec<_> = dict.messages().iter().collect();
        messages.sort_by(|a, b| a.name.cmp(&b.name));
        for (i, msg) in messages.into_iter().enumerate() {
            let items = m.items(msg.members(), Owner::Message(i))?;
            m.messages.push(Message {
                name: msg.name.to_string(),
                marker: escape(msg.name.to_string(), ROOT_RESERVED),
                module: escape(snake(&msg.name), ROOT_RESERVED),
                msg_type: msg.msg_type.to_vec(),
                items,
                required: msg.required().to_vec(),
            });
        }
        m.pair_lengths(dict);
        m.layout_groups();
        m.check_names()?;
        Ok(m)
    }

    fn read_fields(&mut self, dict: &Dictionary) {
        for f in dict.fields() {
            let data = matches!(f.field_type, FieldType::Data | FieldType::XmlData);
            let kind = match f.field_type {
                _ if f.has_values() && f.field_type.is_multiple_value() => Kind::MultiEnum,
                _ if f.has_values() => Kind::Enum,
                FieldType::Char => Kind::Char,
                FieldType::Int | FieldType::DayOfMonth => Kind::Int,
                FieldType::SeqNum | FieldType::Length | FieldType::NumInGroup => Kind::UInt,
                FieldType::Price
                | FieldType::Amt
                | FieldType::Qty
                | FieldType::Float
                | FieldType::PriceOffset
                | FieldType::Percentage => Kind::Decimal,
                FieldType::Boolean => Kind::Bool,
                FieldType::UtcTimestamp => Kind::Timestamp,
                _ if data => Kind::Data { len: 0 },
                _ => Kind::Bytes,
            };
            let values: Vec<(&[u8], &str)> = f
                .values
                .iter()
                .map(|v| (&*v.value, &*v.description))
                .collect();
            let names = variants(&values);
            self.fields.insert(
                f.tag,
                Field {
                    tag: f.tag,
                    name: f.name.to_string(),
                    method: escape(snake(&f.name), METHOD_RESERVED),
                    kind,
                    ty: f.field_type,
                    variants: names
                        .into_iter()
                        .zip(&values)
                        .map(|(n, (w, d))| (n, w.to_vec(), d.to_string()))
                        .collect(),
                    length_of: None,
                },
            );
        }
    }

    fn items(&mut self, members: &[Member], owner: Owner) -> Result<Vec<Item>, Error> {
        let mut out: Vec<Item> = Vec::with_capacity(members.len());
        for m in members {
            // A field listed twice (FIX.4.3's RegistrationInstructions has
            // OwnershipType twice) is one member, where first listed,
            // required if either listing is.
            if let Member::Field { tag, required } = m {
                let first = out.iter_mut().find_map(|i| match i {
                    Item::Field { tag: t, required } if t == tag => Some(required),
                    _ => None,
                });
                if let Some(r) = first {
                    *r |= *required;
                    continue;
                }
            }
            out.push(match m {
                Member::Field { tag, required } => Item::Field {
                    tag: *tag,
                    required: *required,
                },
                Member::Component { index, .. } => Item::Component {
                    index: *index as usize,
                },
                Member::Group(g) => Item::Group {
                    id: self.group(g, owner)?,
                    required: g.required,
                },
            });
        }
        Ok(out)
    }

    fn group(&mut self, g: &GroupTree, owner: Owner) -> Result<usize, Error> {
        let items = self.items(&g.members, owner)?;
        let name = self
            .fields
            .get(&g.count_tag)
            .map(|f| f.name.clone())
            .unwrap_or_else(|| format!("Group{}", g.count_tag));
        let required = items
            .iter()
            .filter_map(|i| match *i {
                Item::Field {
                    tag,
                    required: true,
                } => Some(tag),
                Item::Group { id, required: true } => self.groups.get(id).map(|g| g.count_tag),
                _ => None,
            })
            .collect::<Vec<_>>();
        if required.len() > 64 {
            return Err(Error::Dictionary(format!(
                "group {name} has more than 64 required members"
            )));
        }
        self.groups.push(Group {
            count_tag: g.count_tag,
            name,
            owner,
            items,
            first: First::Field(0),
            members: Vec::new(),
            nested: Vec::new(),
            required,
        });
        Ok(self.groups.len() - 1)
    }

    /// Components flattened: fields (with required flags as written) and
    /// groups of `items`, in order.
    ///
    /// A field or group listed twice (FIX.4.3's RegistrationInstructions
    /// has OwnershipType twice) appears once, where first listed, required
    /// if either listing is.
    pub fn flat(&self, items: &[Item]) -> Vec<Item> {
        let mut all = Vec::new();
        self.flatten(items, &mut all, 0);
        let mut out: Vec<Item> = Vec::with_capacity(all.len());
        let mut fields: HashMap<Tag, usize> = HashMap::new();
        let mut groups: HashMap<usize, usize> = HashMap::new();
        for item in all {
            let seen = match item {
                Item::Field { tag, .. } => fields.get(&tag).copied(),
                Item::Group { id, .. } => groups.get(&id).copied(),
                Item::Component { .. } => None,
            };
            if let Some(i) = seen {
                if let (
                    Some(Item::Field { required: r, .. } | Item::Group { required: r, .. }),
                    Item::Field { required, .. } | Item::Group { required, .. },
                ) = (out.get_mut(i), item)
                {
                    *r |= required;
                }
                continue;
            }
            match item {
                Item::Field { tag, .. } => {
                    fields.insert(tag, out.len());
                }
                Item::Group { id, .. } => {
                    groups.insert(id, out.len());
                }
                Item::Component { .. } => {}
            }
            out.push(item);
        }
        out
    }

    fn flatten(&self, items: &[Item], out: &mut Vec<Item>, depth: usize) {
        for i in items {
            match *i {
                Item::Component { index } if depth < 64 => {
                    if let Some(c) = self.components.get(index) {
                        self.flatten(&c.items, out, depth + 1);
                    }
                }
                Item::Component { .. } => {}
                other => out.push(other),
            }
        }
    }

    /// Components reachable from `items` without entering a group.
    pub fn closure(&self, items: &[Item]) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<usize> = Vec::new();
        let direct = |items: &[Item], stack: &mut Vec<usize>| {
            for i in items {
                if let Item::Component { index } = *i {
                    stack.push(index);
                }
            }
        };
        direct(items, &mut stack);
        while let Some(c) = stack.pop() {
            if seen.insert(c) {
                if let Some(comp) = self.components.get(c) {
                    direct(&comp.items, &mut stack);
                }
            }
        }
        seen
    }

    fn layout_groups(&mut self) {
        for id in 0..self.groups.len() {
            let flat = self.flat(&self.groups[id].items);
            let mut members = Vec::new();
            let mut nested = Vec::new();
            for i in &flat {
                match *i {
                    Item::Field { tag, .. } => members.push(tag),
                    Item::Group { id, .. } => {
                        members.push(self.groups[id].count_tag);
                        nested.push(id);
                    }
                    Item::Component { .. } => {}
                }
            }
            let first = match flat.first() {
                Some(Item::Group { id, .. }) => First::Group(*id),
                Some(Item::Field { tag, .. }) => First::Field(*tag),
                _ => First::Field(0),
            };
            let g = &mut self.groups[id];
            g.members = members;
            g.nested = nested;
            g.first = first;
        }
    }

    /// DATA fields learn their LENGTH field: the codec's table of shipped
    /// pairs, else a LENGTH field written just before the DATA field.
    fn pair_lengths(&mut self, dict: &Dictionary) {
        let mut pairs: HashMap<Tag, Tag> = HashMap::new();
        let mut lists: Vec<&[Member]> = dict.messages().iter().map(|m| m.members()).collect();
        lists.extend(dict.components().iter().map(|c| &*c.members));
        let mut groups: Vec<&GroupTree> = Vec::new();
        for l in &lists {
            collect_groups(l, &mut groups);
        }
        lists.extend(groups.iter().map(|g| &*g.members));
        for l in lists {
            for w in l.windows(2) {
                if let [Member::Field { tag: len, .. }, Member::Field { tag: data, .. }] = w {
                    let is_len = dict
                        .field(*len)
                        .is_some_and(|f| f.field_type == FieldType::Length);
                    if is_len {
                        pairs.entry(*data).or_insert(*len);
                    }
                }
            }
        }
        let data_tags: Vec<Tag> = self
            .fields
            .values()
            .filter(|f| matches!(f.kind, Kind::Data { .. }))
            .map(|f| f.tag)
            .collect();
        for data in data_tags {
            let len = len_tag_for(data)
                .filter(|t| self.fields.contains_key(t))
                .or_else(|| pairs.get(&data).copied().filter(|&t| t != 0));
            match len {
                Some(len) => {
                    if let Some(f) = self.fields.get_mut(&data) {
                        f.kind = Kind::Data { len };
                    }
                    if let Some(f) = self.fields.get_mut(&len) {
                        f.length_of = Some(data);
                    }
                }
                None => {
                    if let Some(f) = self.fields.get_mut(&data) {
                        f.kind = Kind::Bytes;
                    }
                }
            }
        }
    }

    /// Generated names must not collide (modules, markers, methods in a scope).
    fn check_names(&self) -> Result<(), Error> {
        let mut seen = HashMap::new();
        for c in &self.components {
            if let Some(other) = seen.insert(c.module.clone(), c.name.clone()) {
                return Err(Error::Collision(format!(
                    "components {other} and {} both map to module {}",
                    c.name, c.module
                )));
            }
        }
        let mut seen = HashMap::new();
        for m in &self.messages {
            for key in [m.module.clone(), m.marker.clone()] {
                if let Some(other) = seen.insert(key.clone(), m.name.clone()) {
                    return Err(Error::Collision(format!(
                        "messages {other} and {} both map to {key}",
                        m.name
                    )));
                }
            }
        }
        let scopes = self
            .messages
            .iter()
            .map(|m| (&m.name, &m.items))
            .chain(self.groups.iter().map(|g| (&g.name, &g.items)));
        for (name, items) in scopes {
            let mut methods = HashMap::new();
            for i in self.flat(items) {
                let (tag, method) = match i {
                    Item::Field { tag, .. } => (tag, self.method(tag)),
                    Item::Group { id, .. } => (
                        self.groups[id].count_tag,
                        self.method(self.groups[id].count_tag),
                    ),
                    Item::Component { .. } => continue,
                };
                if let Some(other) = methods.insert(method.clone(), tag) {
                    if other != tag {
                        return Err(Error::Collision(format!(
                            "{name}: fields {other} and {tag} both map to method {method}"
                        )));
                    }
                }
            }
        }
        Ok(())
    }

    /// The getter/setter name of a tag.
    pub fn method(&self, tag: Tag) -> String {
        self.fields
            .get(&tag)
            .map_or_else(|| format!("tag_{tag}"), |f| f.method.clone())
    }

    /// The field of a tag (every member tag is declared: the loader checks).
    pub fn field(&self, tag: Tag) -> Option<&Field> {
        self.fields.get(&tag)
    }

    /// The Rust path of a group's types from the version's root module.
    pub fn group_path(&self, id: usize) -> String {
        match self.groups[id].owner {
            Owner::Message(m) => self.messages[m].module.clone(),
            Owner::Component(c) => format!("component::{}", self.components[c].module),
        }
    }
}

fn collect_groups<'d>(members: &'d [Member], out: &mut Vec<&'d GroupTree>) {
    for m in members {
        if let Member::Group(g) = m {
            out.push(g);
            collect_groups(&g.members, out);
        }
    }
}

/// Method names generated code defines beside the fields' (escaped when a
/// field's name gives one of them).
pub const METHOD_RESERVED: &[&str] = &[
    "new",
    "message",
    "send",
    "entry",
    "end",
    "start",
    "raw",
    "opt",
    "req",
    "group",
    "sink",
    "position_of",
    "enumerated",
    "extra_field",
    "encode_with",
];

#[cfg(test)]
mod tests {
    use ringfix_codec::dict::Dictionary;

    /// A message listing a field twice (FIX.4.3's RegistrationInstructions
    /// does) gets one getter and one setter, and the field is required in
    /// the builder's type when either listing says so.
    #[test]
    fn a_field_listed_twice_is_generated_once() {
        let xml = "<fix type='FIX' major='4' minor='4' servicepack='0'>
 <header>
  <field name='BeginString' required='Y' /><field name='BodyLength' required='Y' />
  <field name='MsgType' required='Y' />
 </header>
 <messages>
  <message name='Twice' msgtype='U9' msgcat='app'>
   <field name='Account' required='N' />
   <field name='Text' required='N' />
   <field name='Account' required='Y' />
  </message>
 </messages>
 <trailer><field name='CheckSum' required='Y' /></trailer>
 <components />
 <fields>
  <field number='1' name='Account' type='STRING' />
  <field number='8' name='BeginString' type='STRING' />
  <field number='9' name='BodyLength' type='LENGTH' />
  <field number='10' name='CheckSum' type='STRING' />
  <field number='35' name='MsgType' type='STRING' />
  <field number='58' name='Text' type='STRING' />
 </fields>
</fix>";
        let dict = Dictionary::parse(xml, "twice.xml").unwrap();
        let code = crate::generate(&dict, "::ringfix_codec").unwrap();
        assert_eq!(code.matches("pub fn account(&self)").count(), 1, "{code}");
        assert_eq!(code.matches("pub fn account(mut self").count(), 1, "{code}");
        assert!(
            code.contains(
                "type Empty<'b, D: rt::Draft<'b>> = twice::Builder<'b, D, (rt::Unset,)>;"
            ),
            "Account required once: {code}"
        );
    }
}
