//! QuickFIX XML -> [`Dictionary`], following QuickFIX's reading rules
//! (component and group `required` semantics included).

use std::collections::HashMap;
use std::path::Path;

use roxmltree::{Document, Node};

use super::model::{
    bit, pack7, set_bit, static_flags, Dictionary, EnumValue, FieldDef, GroupDef, MessageDef,
    Section, FLAG_COUNT, FLAG_HEADER, FLAG_TRAILER, NO_DENSE_INDEX,
};
use super::tree::{ComponentDef, GroupTree, Member, Tree};
use super::types::FieldType;
use super::DictError;

use crate::{GroupLayout, Tag};

/// Nesting limit for components/groups: guards against recursive definitions.
const MAX_DEPTH: usize = 32;

/// Largest accepted tag number: tables are indexed by tag.
const MAX_TAG: Tag = 1_000_000;

impl Dictionary {
    /// Loads a QuickFIX data dictionary from a file.
    pub fn load(path: impl AsRef<Path>) -> Result<Dictionary, DictError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| DictError::Io {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Dictionary::parse(&text, &path.display().to_string())
    }

    /// Parses a QuickFIX data dictionary; `source` names it in errors.
    pub fn parse(xml: &str, source: &str) -> Result<Dictionary, DictError> {
        let doc = Document::parse(xml).map_err(|e| DictError::Xml {
            file: source.to_string(),
            reason: e.to_string(),
        })?;
        Builder::new(&doc, source)?.build()
    }
}

fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|n| n.has_tag_name(name))
}

fn is_y(node: Node<'_, '_>) -> bool {
    matches!(node.attribute("required"), Some("Y" | "y"))
}

/// Accumulates one section (header, trailer, a message body or a group).
struct SectionBuild {
    bits: Vec<u64>,
    required: Vec<Tag>,
    groups: Vec<(Tag, u32)>,
    order: Vec<Tag>,
}

impl SectionBuild {
    fn new(n_fields: usize) -> Self {
        SectionBuild {
            bits: vec![0; n_fields.div_ceil(64)],
            required: Vec::new(),
            groups: Vec::new(),
            order: Vec::new(),
        }
    }

    fn finish(mut self) -> Section {
        self.required.sort_unstable();
        self.required.dedup();
        self.groups.sort_unstable_by_key(|g| g.0);
        self.groups.dedup_by_key(|g| g.0);
        Section {
            bits: self.bits.into(),
            required: self.required.into(),
            groups: self.groups.into(),
            order: self.order.into(),
        }
    }
}

struct Builder<'a, 'i> {
    doc: &'a Document<'i>,
    source: &'a str,
    names: HashMap<&'a str, Tag>,
    components: HashMap<&'a str, Node<'a, 'i>>,
    /// Component name -> index in document order (for [`Member::Component`]).
    component_index: HashMap<&'a str, u32>,
    fields: Vec<FieldDef>,
    tag_index: Vec<u16>,
    groups: Vec<GroupDef>,
}

impl<'a, 'i> Builder<'a, 'i> {
    fn new(doc: &'a Document<'i>, source: &'a str) -> Result<Self, DictError> {
        let mut b = Builder {
            doc,
            source,
            names: HashMap::new(),
            components: HashMap::new(),
            component_index: HashMap::new(),
            fields: Vec::new(),
            tag_index: Vec::new(),
            groups: Vec::new(),
        };
        b.read_fields()?;
        if let Some(comps) = child(doc.root_element(), "components") {
            let mut index = 0u32;
            for c in comps.children().filter(|n| n.has_tag_name("component")) {
                let name = c
                    .attribute("name")
                    .ok_or_else(|| b.err("<component> without a name"))?;
                b.components.insert(name, c);
                // Every node gets the next index (as `tree` lists them); a
                // name defined twice means its last definition, as above.
                index += 1;
                b.component_index.insert(name, index - 1);
            }
        }
        Ok(b)
    }

    fn err(&self, reason: impl Into<String>) -> DictError {
        DictError::Invalid {
            file: self.source.to_string(),
            reason: reason.into(),
        }
    }

    fn version(&self) -> Result<String, DictError> {
        let root = self.doc.root_element();
        if !root.has_tag_name("fix") {
            return Err(self.err("no <fix> node found at root"));
        }
        let kind = root.attribute("type").unwrap_or("FIX");
        if kind != "FIX" && kind != "FIXT" {
            return Err(self.err("type attribute must be FIX or FIXT"));
        }
        let major = root
            .attribute("major")
            .ok_or_else(|| self.err("major attribute not found on <fix>"))?;
        let minor = root
            .attribute("minor")
            .ok_or_else(|| self.err("minor attribute not found on <fix>"))?;
        let mut v = format!("{kind}.{major}.{minor}");
        match root.attribute("servicepack") {
            None | Some("0") | Some("") => {}
            Some(sp) => v.push_str(&format!("SP{sp}")),
        }
        Ok(v)
    }

    fn read_fields(&mut self) -> Result<(), DictError> {
        let root = self.doc.root_element();
        let pre_fix42 = root.attribute("type").unwrap_or("FIX") == "FIX"
            && matches!(
                (root.attribute("major"), root.attribute("minor")),
                (Some("4"), Some("0" | "1")) | (Some("3"), _)
            );
        let fields = child(root, "fields").ok_or_else(|| self.err("<fields> section not found"))?;
        for f in fields.children().filter(|n| n.has_tag_name("field")) {
            let name = f
                .attribute("name")
                .ok_or_else(|| self.err("<field> without a name attribute"))?;
            let number = f
                .attribute("number")
                .and_then(|n| n.trim().parse::<Tag>().ok())
                .filter(|&n| n <= MAX_TAG)
                .ok_or_else(|| {
                    self.err(format!(
                        "<field> {name} has no valid number attribute (1..={MAX_TAG})"
                    ))
                })?;
            let ty = f.attribute("type").ok_or_else(|| {
                self.err(format!("<field> {name} does not have a type attribute"))
            })?;
            if self.names.insert(name, number).is_some() {
                return Err(self.err(format!("Field named {name} defined multiple times")));
            }
            let mut values: Vec<EnumValue> = Vec::new();
            for v in f.children().filter(|n| n.has_tag_name("value")) {
                let e = v.attribute("enum").ok_or_else(|| {
                    self.err(format!(
                        "<value> does not have enum attribute in field {name}"
                    ))
                })?;
                values.push(EnumValue {
                    value: e.as_bytes().into(),
                    description: v.attribute("description").unwrap_or("").into(),
                });
            }
            values.sort_by(|a, b| a.value.cmp(&b.value));
            values.dedup_by(|a, b| a.value == b.value);
            let char_mask = (!values.is_empty()
                && values.iter().all(|v| matches!(*v.value, [b] if b < 128)))
            .then(|| {
                let mut m = [0u64; 2];
                for v in &values {
                    if let [b] = *v.value {
                        set_bit(&mut m, usize::from(b));
                    }
                }
                m
            });
            let mut short_keys: Vec<u64> = values.iter().filter_map(|v| pack7(&v.value)).collect();
            short_keys.sort_unstable();
            self.fields.push(FieldDef {
                tag: number,
                name: name.into(),
                field_type: FieldType::from_xml(ty, pre_fix42),
                values: values.into(),
                char_mask,
                short_keys: short_keys.into(),
            });
        }
        self.fields.sort_by_key(|f| f.tag);
        if self
            .fields
            .windows(2)
            .any(|w| matches!(w, [a, b] if a.tag == b.tag))
        {
            return Err(self.err("a field number is defined twice"));
        }
        if self.fields.len() >= usize::from(NO_DENSE_INDEX) {
            return Err(self.err("too many fields"));
        }
        let max = self.fields.last().map_or(0, |f| f.tag as usize);
        self.tag_index = vec![NO_DENSE_INDEX; max + 1];
        for (i, f) in self.fields.iter().enumerate() {
            if let (Some(slot), Ok(i)) = (self.tag_index.get_mut(f.tag as usize), u16::try_from(i))
            {
                *slot = i;
            }
        }
        Ok(())
    }

    fn tag(&self, node: Node<'_, '_>) -> Result<Tag, DictError> {
        let name = node
            .attribute("name")
            .ok_or_else(|| self.err("element without a name attribute"))?;
        self.names
            .get(name)
            .copied()
            .ok_or_else(|| self.err(format!("Field {name} not defined in fields section")))
    }

    fn mark(&self, sec: &mut SectionBuild, tag: Tag) {
        if let Some(&i) = self.tag_index.get(tag as usize) {
            set_bit(&mut sec.bits, usize::from(i));
        }
        sec.order.push(tag);
    }

    fn component(&self, node: Node<'_, '_>) -> Result<Node<'a, 'i>, DictError> {
        let name = node
            .attribute("name")
            .ok_or_else(|| self.err("No name given to component"))?;
        self.components
            .get(name)
            .copied()
            .ok_or_else(|| self.err(format!("Component {name} not found")))
    }

    /// Children of a message, header, trailer or (flattened) component.
    /// `req_scope`: whether `required='Y'` on direct children counts.
    fn add_children(
        &mut self,
        parent: Node<'_, '_>,
        sec: &mut SectionBuild,
        req_scope: bool,
        depth: usize,
    ) -> Result<(), DictError> {
        if depth > MAX_DEPTH {
            return Err(self.err("components nested too deeply (recursive definition?)"));
        }
        for node in parent.children().filter(|n| n.is_element()) {
            match node.tag_name().name() {
                "field" => {
                    let tag = self.tag(node)?;
                    self.mark(sec, tag);
                    if req_scope && is_y(node) {
                        sec.required.push(tag);
                    }
                }
                "group" => {
                    let tag = self.tag(node)?;
                    self.mark(sec, tag);
                    if req_scope && is_y(node) {
                        sec.required.push(tag);
                    }
                    let id = self.group(node, tag, is_y(node), depth + 1)?;
                    sec.groups.push((tag, id));
                }
                "component" => {
                    let comp = self.component(node)?;
                    // QuickFIX: a component's own flag decides, not its parent's.
                    self.add_children(comp, sec, is_y(node), depth + 1)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn group(
        &mut self,
        node: Node<'_, '_>,
        count_tag: Tag,
        required: bool,
        depth: usize,
    ) -> Result<u32, DictError> {
        let mut sec = SectionBuild::new(0);
        self.group_children(node, &mut sec, required, depth)?;
        let members: Box<[Tag]> = sec.order.clone().into();
        let delimiter = *members
            .first()
            .ok_or_else(|| self.err(format!("group {count_tag} has no fields")))?;
        sec.required.sort_unstable();
        sec.required.dedup();
        sec.groups.sort_unstable_by_key(|g| g.0);
        sec.groups.dedup_by_key(|g| g.0);
        let id = u32::try_from(self.groups.len()).map_err(|_| self.err("too many groups"))?;
        self.groups.push(GroupDef::new(
            count_tag,
            delimiter,
            members,
            sec.required.into(),
            sec.groups.into(),
        ));
        Ok(id)
    }

    /// Group members: fields count as required only in a required group;
    /// components inside groups never make anything required (QuickFIX).
    fn group_children(
        &mut self,
        parent: Node<'_, '_>,
        sec: &mut SectionBuild,
        req_scope: bool,
        depth: usize,
    ) -> Result<(), DictError> {
        if depth > MAX_DEPTH {
            return Err(self.err("groups nested too deeply (recursive definition?)"));
        }
        for node in parent.children().filter(|n| n.is_element()) {
            match node.tag_name().name() {
                "field" => {
                    let tag = self.tag(node)?;
                    sec.order.push(tag);
                    if req_scope && is_y(node) {
                        sec.required.push(tag);
                    }
                }
                "group" => {
                    let tag = self.tag(node)?;
                    sec.order.push(tag);
                    if req_scope && is_y(node) {
                        sec.required.push(tag);
                    }
                    let id = self.group(node, tag, is_y(node), depth + 1)?;
                    sec.groups.push((tag, id));
                }
                "component" => {
                    let comp = self.component(node)?;
                    self.group_children(comp, sec, false, depth + 1)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// The members of a message, component, group, header or trailer as written.
    fn members(&self, parent: Node<'_, '_>, depth: usize) -> Result<Box<[Member]>, DictError> {
        if depth > MAX_DEPTH {
            return Err(self.err("components nested too deeply (recursive definition?)"));
        }
        let mut out = Vec::new();
        for node in parent.children().filter(|n| n.is_element()) {
            out.push(match node.tag_name().name() {
                "field" => Member::Field {
                    tag: self.tag(node)?,
                    required: is_y(node),
                },
                "group" => Member::Group(GroupTree {
                    count_tag: self.tag(node)?,
                    required: is_y(node),
                    members: self.members(node, depth + 1)?,
                }),
                "component" => {
                    let name = node
                        .attribute("name")
                        .ok_or_else(|| self.err("No name given to component"))?;
                    let index = *self
                        .component_index
                        .get(name)
                        .ok_or_else(|| self.err(format!("Component {name} not found")))?;
                    Member::Component {
                        index,
                        required: is_y(node),
                    }
                }
                _ => continue,
            });
        }
        Ok(out.into())
    }

    fn tree(&self) -> Result<Tree, DictError> {
        let root = self.doc.root_element();
        let mut components = Vec::new();
        if let Some(comps) = child(root, "components") {
            for c in comps.children().filter(|n| n.has_tag_name("component")) {
                components.push(ComponentDef {
                    name: c.attribute("name").unwrap_or("").into(),
                    members: self.members(c, 0)?,
                });
            }
        }
        let section = |name| match child(root, name) {
            Some(n) => self.members(n, 0),
            None => Ok(Box::default()),
        };
        Ok(Tree {
            components: components.into(),
            header: section("header")?,
            trailer: section("trailer")?,
        })
    }

    fn build(mut self) -> Result<Dictionary, DictError> {
        let version = self.version()?;
        let n = self.fields.len();
        let doc = self.doc;
        let root = doc.root_element();
        let mut header = SectionBuild::new(n);
        if let Some(h) = child(root, "header") {
            self.add_children(h, &mut header, true, 0)?;
        }
        let mut trailer = SectionBuild::new(n);
        if let Some(t) = child(root, "trailer") {
            self.add_children(t, &mut trailer, true, 0)?;
        }
        let msgs =
            child(root, "messages").ok_or_else(|| self.err("<messages> section not found"))?;
        let mut messages = Vec::new();
        for m in msgs.children().filter(|n| n.has_tag_name("message")) {
            let msg_type = m
                .attribute("msgtype")
                .ok_or_else(|| self.err("<message> does not have a msgtype attribute"))?;
            let mut sec = SectionBuild::new(n);
            self.add_children(m, &mut sec, true, 0)?;
            let section = sec.finish();
            messages.push(MessageDef {
                msg_type: msg_type.as_bytes().into(),
                name: m.attribute("name").unwrap_or("").into(),
                admin: m.attribute("msgcat") == Some("admin"),
                presence: super::layout::presence(&section, &self.tag_index),
                section,
                members: self.members(m, 0)?,
            });
        }
        let key = |m: &MessageDef| pack7(&m.msg_type).unwrap_or(u64::MAX);
        messages.sort_by(|a, b| {
            key(a)
                .cmp(&key(b))
                .then_with(|| a.msg_type.cmp(&b.msg_type))
        });
        messages.dedup_by(|a, b| a.msg_type == b.msg_type);
        let msg_keys: Vec<u64> = messages.iter().map(key).collect();
        let mut msg_by_byte = vec![super::model::NO_DENSE_INDEX; 256];
        for (i, m) in messages.iter().enumerate() {
            if let ([b], Ok(i)) = (&*m.msg_type, u16::try_from(i)) {
                msg_by_byte[usize::from(*b)] = i;
            }
        }
        let mut flags: Vec<u8> = self
            .fields
            .iter()
            .map(|f| static_flags(i64::from(f.tag)))
            .collect();
        for (i, fl) in flags.iter_mut().enumerate() {
            if bit(&header.bits, i) {
                *fl |= FLAG_HEADER;
            }
            if bit(&trailer.bits, i) {
                *fl |= FLAG_TRAILER;
            }
        }
        for g in &self.groups {
            if let Some(fl) = self
                .tag_index
                .get(g.count_tag as usize)
                .and_then(|&i| flags.get_mut(usize::from(i)))
            {
                *fl |= FLAG_COUNT;
            }
        }
        // Children get their ids before their parent, so one pass in id order works.
        let mut layouts: Vec<GroupLayout> = Vec::with_capacity(self.groups.len());
        for g in &self.groups {
            let nested = g
                .nested
                .iter()
                .filter_map(|&(_, id)| layouts.get(id as usize).cloned())
                .collect();
            layouts.push(GroupLayout {
                count_tag: g.count_tag,
                delimiter: g.delimiter,
                members: g.members.to_vec(),
                nested,
            });
        }
        let (tag_info, char_sets) = super::layout::layout(&self.fields, &flags, &self.tag_index);
        let header = header.finish();
        let usual_header = header
            .required
            .iter()
            .all(|t| matches!(t, 8 | 9 | 35 | 49 | 56 | 52 | 34));
        let class = |tag: usize| tag_info.get(tag).map(|&i| super::layout::class_of(i));
        let plain_preamble = class(8) == Some(super::layout::NONE)
            && class(9) == Some(super::layout::INT)
            && class(35) == Some(super::layout::MSG_TYPE);
        Ok(Dictionary {
            tree: Box::new(self.tree()?),
            plain_preamble,
            usual_header,
            layouts: layouts.into(),
            flags: flags.into(),
            tag_info,
            char_sets,
            source: self.source.into(),
            transport: version.starts_with("FIXT"),
            version: version.into(),
            msg_keys: msg_keys.into(),
            msg_by_byte: msg_by_byte.into(),
            fields: self.fields.into(),
            tag_index: self.tag_index.into(),
            messages: messages.into(),
            header,
            groups: self.groups.into(),
        })
    }
}
