//! Views: a message's `View`, a group's entry view, a component's getter
//! trait, and the static `GroupSpec` of every group.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use ringfix_codec::Tag;

use super::kinds::{doc_name, getter};
use crate::model::{First, Item, Model, Owner};
use crate::names::upper;

/// The getters of `items` (fields and groups): inherent (`pub`) or in a
/// trait; `required` says which tags get the required shape, `keep` which
/// items are emitted.
fn getters(
    model: &Model,
    items: &[Item],
    root: &str,
    vis: &str,
    required: &dyn Fn(Tag) -> bool,
    o: &mut String,
) {
    for item in items {
        match *item {
            Item::Field { tag, .. } => {
                let Some(f) = model.field(tag) else { continue };
                let req = required(tag);
                let (ret, body) = getter(f, req);
                let _ = writeln!(
                    o,
                    "/// {}{}.\n#[inline]\n{vis}fn {}(&self) -> {ret} {{ {body} }}",
                    doc_name(model, tag),
                    if req { ", required" } else { "" },
                    f.method
                );
            }
            Item::Group { id, .. } => {
                let g = &model.groups[id];
                let path = format!("{root}{}", model.group_path(id));
                let _ = writeln!(
                    o,
                    "/// The entries of {}.\n#[inline]\n{vis}fn {}(&self) -> \
                     Result<rt::Entries<'a, {path}::{}View<'a>>, rt::GroupError> {{ \
                     rt::FieldSource::group(self, &{path}::{}) }}",
                    doc_name(model, g.count_tag),
                    model.method(g.count_tag),
                    g.name,
                    upper(&g.name)
                );
            }
            Item::Component { .. } => {}
        }
    }
}

/// `impl component::x::View for T {}` for every component `items` reach.
fn component_impls(model: &Model, items: &[Item], root: &str, ty: &str, o: &mut String) {
    for c in model.closure(items) {
        let _ = writeln!(
            o,
            "impl<'a> {root}component::{}::View<'a> for {ty} {{}}",
            model.components[c].module
        );
    }
}

/// A message's `View` (inside its module).
pub fn message(model: &Model, index: usize, o: &mut String) {
    let m = &model.messages[index];
    let flat = model.flat(&m.items);
    let own: Vec<Item> = m
        .items
        .iter()
        .copied()
        .filter(|i| !matches!(i, Item::Component { .. }))
        .collect();
    // Own fields and groups, and the required fields components bring.
    let mut inherent = own.clone();
    for i in &flat {
        if let Item::Field { tag, .. } = *i {
            let is_own = own
                .iter()
                .any(|o| matches!(*o, Item::Field { tag: t, .. } if t == tag));
            if !is_own && m.required.contains(&tag) {
                inherent.push(*i);
            }
        }
    }
    let _ = writeln!(
        o,
        "/// {} (35={}) as received: borrows the message, reads on demand.\n\
         #[derive(Clone, Copy)]\npub struct View<'a>(rt::MessageView<'a>);\n\
         impl core::fmt::Debug for View<'_> {{\n#[inline]\nfn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {{ \
         f.debug_tuple(\"{}\").field(&self.0).finish() }}\n}}\n\
         impl<'a> View<'a> {{\n\
         /// The view of `msg` (its MsgType is not checked: [`super::dispatch`] does).\n\
         #[inline]\npub fn new(msg: rt::MessageView<'a>) -> Self {{ View(msg) }}\n\
         /// The whole message (header fields, raw access).\n\
         #[inline]\npub fn message(&self) -> rt::MessageView<'a> {{ self.0 }}",
        m.name,
        String::from_utf8_lossy(&m.msg_type),
        m.name
    );
    getters(
        model,
        &inherent,
        "super::",
        "pub ",
        &|t| m.required.contains(&t),
        o,
    );
    o.push_str("}\n");
    // Top-level lookups skip group entries only for tags the groups reuse.
    let top_groups: Vec<usize> = flat
        .iter()
        .filter_map(|i| match *i {
            Item::Group { id, .. } => Some(id),
            _ => None,
        })
        .collect();
    let mut inside = BTreeSet::new();
    for &g in &top_groups {
        group_tags(model, g, &mut inside, 0);
    }
    let ambiguous: Vec<Tag> = flat
        .iter()
        .filter_map(|i| match *i {
            Item::Field { tag, .. } => Some(tag),
            Item::Group { id, .. } => Some(model.groups[id].count_tag),
            Item::Component { .. } => None,
        })
        .filter(|t| inside.contains(t))
        .collect();
    let lookup = if ambiguous.is_empty() {
        "self.0.position(tag)".to_string()
    } else {
        let specs: Vec<String> = top_groups
            .iter()
            .map(|&g| {
                format!(
                    "&super::{}::{}",
                    model.group_path(g),
                    upper(&model.groups[g].name)
                )
            })
            .collect();
        let tags: Vec<String> = ambiguous.iter().map(|t| t.to_string()).collect();
        format!(
            "match tag {{ {} => rt::top_level_position(&self.0, &[{}], tag), _ => self.0.position(tag) }}",
            tags.join(" | "),
            specs.join(", ")
        )
    };
    let raw = if ambiguous.is_empty() {
        "\n#[inline(always)]\nfn raw(&self, tag: rt::Tag) -> Option<&'a [u8]> { self.0.get(tag) }"
    } else {
        ""
    };
    let _ = writeln!(
        o,
        "impl<'a> rt::FieldSource<'a> for View<'a> {{\n\
         #[inline(always)]\nfn message(&self) -> rt::MessageView<'a> {{ self.0 }}\n\
         #[inline(always)]\nfn position_of(&self, tag: rt::Tag) -> Option<usize> {{ {lookup} }}{raw}\n}}"
    );
    component_impls(model, &m.items, "super::", "View<'a>", o);
}

/// Every tag inside the entries of group `id` (nested groups included).
fn group_tags(model: &Model, id: usize, out: &mut BTreeSet<Tag>, depth: usize) {
    if depth > 64 {
        return;
    }
    let g = &model.groups[id];
    out.extend(g.members.iter().copied());
    for &n in &g.nested {
        group_tags(model, n, out, depth + 1);
    }
}

/// The `GroupSpec` static and the entry view of group `id` (inside its
/// owner's module, `root` leading back to the version's module).
pub fn entry(model: &Model, id: usize, root: &str, o: &mut String) {
    let g = &model.groups[id];
    let delimiter = match g.first {
        First::Field(t) => t,
        First::Group(n) => model.groups[n].count_tag,
    };
    let members: Vec<String> = g.members.iter().map(|t| t.to_string()).collect();
    let nested: Vec<String> = g
        .nested
        .iter()
        .map(|&n| {
            format!(
                "&{root}{}::{}",
                model.group_path(n),
                upper(&model.groups[n].name)
            )
        })
        .collect();
    let name = &g.name;
    let _ = writeln!(
        o,
        "/// The layout of {doc}.\npub static {up}: rt::GroupSpec = rt::GroupSpec {{ count_tag: {ct}, \
         delimiter: {delimiter}, members: &[{}], nested: &[{}] }};\n\
         /// One entry of {doc} as received.\n#[derive(Clone, Copy, Debug)]\n\
         pub struct {name}View<'a>(rt::Span<'a>);\n\
         impl<'a> rt::Entry<'a> for {name}View<'a> {{\n#[inline(always)]\n\
         fn from_span(span: rt::Span<'a>) -> Self {{ {name}View(span) }}\n}}\n\
         impl<'a> rt::FieldSource<'a> for {name}View<'a> {{\n\
         #[inline(always)]\nfn message(&self) -> rt::MessageView<'a> {{ self.0.message() }}\n\
         #[inline(always)]\nfn position_of(&self, tag: rt::Tag) -> Option<usize> {{ self.0.position_of(tag) }}\n}}\n\
         impl<'a> {name}View<'a> {{",
        members.join(", "),
        nested.join(", "),
        doc = doc_name(model, g.count_tag),
        up = upper(name),
        ct = g.count_tag,
    );
    let own: Vec<Item> = g.items.to_vec();
    getters(model, &own, root, "pub ", &|t| g.required.contains(&t), o);
    o.push_str("}\n");
    component_impls(model, &g.items, root, &format!("{name}View<'a>"), o);
}

/// A component's getter trait (inside its module).
pub fn component(model: &Model, index: usize, o: &mut String) {
    let c = &model.components[index];
    let _ = writeln!(
        o,
        "/// The getters of the {} component's fields, on every view that holds it\n\
         /// (in scope through the version's `prelude`).\n\
         pub trait View<'a>: rt::FieldSource<'a> {{",
        c.name
    );
    getters(model, &c.items, "super::super::", "", &|_| false, o);
    o.push_str("}\n");
}

/// Groups defined in `owner`'s module.
pub fn owned_groups(model: &Model, owner: Owner) -> Vec<usize> {
    (0..model.groups.len())
        .filter(|&g| model.groups[g].owner == owner)
        .collect()
}
