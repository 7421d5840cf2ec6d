//! Builders: a message's `Builder` (required fields in its type), a
//! group's `…Group` and `…Entry` builders, a component's setter trait.

use std::fmt::Write as _;

use ringfix_codec::Tag;

use super::kinds::{doc_name, no_setter, setter};
use crate::model::{First, Item, Kind, Model};
use crate::names::upper;

const SELF_SINK: &str = "rt::Sink::sink(&mut self)";

/// Tags of a flat item list (fields and group counts).
fn tags(model: &Model, flat: &[Item]) -> Vec<Tag> {
    flat.iter()
        .filter_map(|i| match *i {
            Item::Field { tag, .. } => Some(tag),
            Item::Group { id, .. } => Some(model.groups[id].count_tag),
            Item::Component { .. } => None,
        })
        .collect()
}

/// One setter: `mark` runs after the write, `tail` is the returned value.
#[allow(clippy::too_many_arguments)]
fn field_setter(
    model: &Model,
    tag: Tag,
    vis: &str,
    ret: &str,
    mark: &str,
    tail: &str,
    required: bool,
    o: &mut String,
) {
    let Some(f) = model.field(tag) else { return };
    let (param, write) = setter(f, SELF_SINK);
    let _ = writeln!(
        o,
        "/// {}{}.\n#[inline]\n{vis}fn {}(mut self, v: {param}) -> {ret} {{ {write} {mark}{tail} }}",
        doc_name(model, tag),
        if required { ", required" } else { "" },
        f.method
    );
}

/// One group starter returning `…Group<parent>` (the parent made by `expr`).
fn group_starter(
    model: &Model,
    id: usize,
    root: &str,
    vis: &str,
    parent: &str,
    expr: &str,
    o: &mut String,
) {
    let g = &model.groups[id];
    let path = format!("{root}{}", model.group_path(id));
    let _ = writeln!(
        o,
        "/// Starts {}: add entries, then `end` writes NumInGroup.\n#[inline]\n\
         {vis}fn {}(self) -> {path}::{}Group<{parent}> {{ {path}::{}Group::start({expr}) }}",
        doc_name(model, g.count_tag),
        model.method(g.count_tag),
        g.name,
        g.name
    );
}

/// `impl component::x::Build for T {}` for every component `items` reach.
fn component_impls(
    model: &Model,
    items: &[Item],
    root: &str,
    generics: &str,
    ty: &str,
    o: &mut String,
) {
    for c in model.closure(items) {
        let _ = writeln!(
            o,
            "impl<'b, {generics}> {root}component::{}::Build<'b> for {ty} {{}}",
            model.components[c].module
        );
    }
}

/// A message's `Builder` (inside its module); returns the type of the
/// empty builder (`Builder<'b, D, (rt::Unset, ...)>`).
pub fn message(model: &Model, index: usize, o: &mut String) -> String {
    let m = &model.messages[index];
    let flat = model.flat(&m.items);
    let scope = tags(model, &flat);
    // The required setters, in order: each is one position of the state.
    let required = |t: Tag| {
        m.required.contains(&t)
            || matches!(model.field(t).map(|f| f.kind), Some(Kind::Data { len }) if m.required.contains(&len))
    };
    let slots: Vec<&Item> = flat
        .iter()
        .filter(|i| match **i {
            Item::Field { tag, .. } => !no_setter(model, tag, &scope) && required(tag),
            Item::Group { id, .. } => required(model.groups[id].count_tag),
            Item::Component { .. } => false,
        })
        .collect();
    let n = slots.len();
    let state = |fill: &dyn Fn(usize) -> String| match n {
        0 => "()".to_string(),
        1 => format!("({},)", fill(0)),
        _ => format!("({})", (0..n).map(fill).collect::<Vec<_>>().join(", ")),
    };
    let unset = state(&|_| "rt::Unset".into());
    let set = state(&|_| "rt::Set".into());
    let generic = state(&|i| format!("S{i}"));
    let names: Vec<String> = slots
        .iter()
        .map(|i| match **i {
            Item::Field { tag, .. } => format!("`{}`", model.method(tag)),
            Item::Group { id, .. } => format!("`{}`", model.method(model.groups[id].count_tag)),
            Item::Component { .. } => String::new(),
        })
        .collect();
    let _ = writeln!(
        o,
        "/// Builds {} (35={}) into a draft: each setter writes its field at once.\n\
         /// `send` exists once the required fields are set ({}).\n\
         pub struct Builder<'b, D, S> {{ draft: D, _s: core::marker::PhantomData<(&'b (), S)> }}\n\
         impl<'b, D: rt::Draft<'b>> Builder<'b, D, {unset}> {{\n\
         /// Starts over a draft whose header is written.\n#[inline(always)]\n\
         pub fn new(draft: D) -> Self {{ Builder {{ draft, _s: core::marker::PhantomData }} }}\n}}\n\
         impl<'b, D: rt::Draft<'b>, S> rt::Sink<'b> for Builder<'b, D, S> {{\n#[inline(always)]\n\
         fn sink(&mut self) -> &mut rt::Encoder<'b> {{ rt::Draft::encoder(&mut self.draft) }}\n}}\n\
         impl<'b, D: rt::Draft<'b>, S> Builder<'b, D, S> {{",
        m.name,
        String::from_utf8_lossy(&m.msg_type),
        if names.is_empty() { "none".to_string() } else { names.join(", ") },
    );
    if n > 0 {
        o.push_str(
            "#[inline(always)]\nfn __retype<T>(self) -> Builder<'b, D, T> { \
             Builder { draft: self.draft, _s: core::marker::PhantomData } }\n",
        );
    }
    for i in &m.items {
        match *i {
            Item::Field { tag, .. } if !required(tag) && !no_setter(model, tag, &scope) => {
                field_setter(model, tag, "pub ", "Self", "", "self", false, o)
            }
            Item::Group { id, .. } if !required(model.groups[id].count_tag) => {
                group_starter(model, id, "super::", "pub ", "Self", "self", o)
            }
            _ => {}
        }
    }
    o.push_str("}\n");
    if n > 0 {
        let _ = writeln!(
            o,
            "#[allow(clippy::type_complexity)]\nimpl<'b, D: rt::Draft<'b>, {}> Builder<'b, D, {generic}> {{",
            (0..n)
                .map(|i| format!("S{i}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
        for (k, item) in slots.iter().enumerate() {
            let next = state(&|i| {
                if i == k {
                    "rt::Set".into()
                } else {
                    format!("S{i}")
                }
            });
            let ret = format!("Builder<'b, D, {next}>");
            match **item {
                Item::Field { tag, .. } => {
                    field_setter(model, tag, "pub ", &ret, "", "self.__retype()", true, o)
                }
                Item::Group { id, .. } => {
                    group_starter(model, id, "super::", "pub ", &ret, "self.__retype()", o)
                }
                Item::Component { .. } => {}
            }
        }
        o.push_str("}\n");
    }
    let _ = writeln!(
        o,
        "impl<'b, D: rt::Draft<'b>> Builder<'b, D, {set}> {{\n\
         /// Completes and sends the message.\n#[inline(always)]\n\
         pub fn send(self) -> D::Sent {{ rt::Draft::send(self.draft) }}\n}}"
    );
    component_impls(
        model,
        &m.items,
        "super::",
        "D: rt::Draft<'b>, S",
        "Builder<'b, D, S>",
        o,
    );
    format!("Builder<'b, D, {unset}>")
}

/// The `…Group` and `…Entry` builders of group `id` (in its owner's module).
pub fn entry(model: &Model, id: usize, root: &str, o: &mut String) {
    let g = &model.groups[id];
    let name = &g.name;
    let up = upper(name);
    let mask: u64 = if g.required.len() >= 64 {
        u64::MAX
    } else {
        (1u64 << g.required.len()) - 1
    };
    let req_tags: Vec<String> = g.required.iter().map(|t| t.to_string()).collect();
    let mark = |t: Tag| -> String {
        let mut s = String::new();
        let mut ts = vec![t];
        if let Some(Kind::Data { len }) = model.field(t).map(|f| f.kind) {
            ts.push(len);
        }
        for t in ts {
            if let Some(i) = g.required.iter().position(|&r| r == t) {
                s.push_str(&format!("self.g.mark(1 << {i}); "));
            }
        }
        s
    };
    let scope = g.members.clone();
    let _ = writeln!(
        o,
        "const {up}_REQUIRED: &[rt::Tag] = &[{}];\n\
         /// Writes {doc}: `entry` starts each entry, `end` closes the group and\n\
         /// writes NumInGroup (the number of entries added).\n\
         pub struct {name}Group<P> {{ parent: P, g: rt::GroupState }}\n\
         /// One entry of {doc} being written.\n\
         pub struct {name}Entry<P> {{ parent: P, g: rt::GroupState }}\n\
         impl<'b, P: rt::Sink<'b>> rt::Sink<'b> for {name}Entry<P> {{\n#[inline(always)]\n\
         fn sink(&mut self) -> &mut rt::Encoder<'b> {{ rt::Sink::sink(&mut self.parent) }}\n}}\n\
         impl<'b, P: rt::Sink<'b>> {name}Group<P> {{\n#[inline(always)]\n\
         pub(crate) fn start(mut parent: P) -> Self {{ let g = rt::GroupState::start(rt::Sink::sink(&mut parent), {ct}); {name}Group {{ parent, g }} }}\n\
         /// Closes the group with no entries.\n#[inline]\n\
         pub fn end(mut self) -> P {{ let _ = self.g.finish(rt::Sink::sink(&mut self.parent), 0, &[]); self.parent }}",
        req_tags.join(", "),
        doc = doc_name(model, g.count_tag),
        ct = g.count_tag,
    );
    let next = format!("self.g.next_entry({mask}, {up}_REQUIRED);");
    // `entry`: the first member is written by it.
    let (skip, entry_param, entry_write, entry_mark) = match g.first {
        First::Field(d) => {
            let (t, f) = match model.field(d) {
                Some(f) => match f.length_of {
                    Some(data) if scope.contains(&data) => (data, model.field(data)),
                    _ => (d, Some(f)),
                },
                None => (d, None),
            };
            match f {
                Some(f) => {
                    let (param, write) = setter(f, "rt::Sink::sink(&mut self.parent)");
                    (Some(t), format!("v: {param}"), write, mark(t))
                }
                None => (None, String::new(), String::new(), String::new()),
            }
        }
        First::Group(n) => (
            Some(model.groups[n].count_tag),
            String::new(),
            String::new(),
            mark(model.groups[n].count_tag),
        ),
    };
    let entry_doc = format!(
        "/// Starts an entry{}.\n#[inline]\n",
        match skip {
            Some(t) => format!(" with its {}", doc_name(model, t)),
            None => String::new(),
        }
    );
    match g.first {
        First::Group(n) => {
            let ng = &model.groups[n];
            let npath = format!("{root}{}", model.group_path(n));
            let _ = writeln!(
                o,
                "{entry_doc}pub fn entry(mut self) -> {npath}::{nn}Group<{name}Entry<P>> {{ {next} {entry_mark}\
                 {npath}::{nn}Group::start({name}Entry {{ parent: self.parent, g: self.g }}) }}\n}}\n\
                 impl<'b, P: rt::Sink<'b>> {name}Entry<P> {{\n\
                 {entry_doc}pub fn entry(mut self) -> {npath}::{nn}Group<Self> {{ {next} {entry_mark}{npath}::{nn}Group::start(self) }}",
                nn = ng.name
            );
        }
        First::Field(_) => {
            let self_write = entry_write.replace("rt::Sink::sink(&mut self.parent)", SELF_SINK);
            let _ = writeln!(
                o,
                "{entry_doc}pub fn entry(mut self, {entry_param}) -> {name}Entry<P> {{ {next} {entry_write} {entry_mark}\
                 {name}Entry {{ parent: self.parent, g: self.g }} }}\n}}\n\
                 impl<'b, P: rt::Sink<'b>> {name}Entry<P> {{\n\
                 {entry_doc}pub fn entry(mut self, {entry_param}) -> Self {{ {next} {self_write} {entry_mark}self }}"
            );
        }
    }
    let _ = writeln!(
        o,
        "/// Closes the last entry and the group, writing NumInGroup; an error\n\
         /// names the first entry that lacks a required field.\n#[inline]\n\
         pub fn end(mut self) -> Result<P, rt::EntryError> {{ let g = self.g; \
         g.finish(rt::Sink::sink(&mut self.parent), {mask}, {up}_REQUIRED)?; Ok(self.parent) }}"
    );
    for i in &g.items {
        match *i {
            Item::Field { tag, .. } if Some(tag) != skip && !no_setter(model, tag, &scope) => {
                let req = g.required.contains(&tag);
                field_setter(model, tag, "pub ", "Self", &mark(tag), "self", req, o)
            }
            Item::Group { id: n, .. } if Some(model.groups[n].count_tag) != skip => {
                let ct = model.groups[n].count_tag;
                let m = mark(ct);
                let expr = if m.is_empty() {
                    "self".to_string()
                } else {
                    format!("{{ let mut s = self; {} s }}", m.replace("self.", "s."))
                };
                group_starter(model, n, root, "pub ", "Self", &expr, o)
            }
            _ => {}
        }
    }
    o.push_str("}\n");
    component_impls(
        model,
        &g.items,
        root,
        "P: rt::Sink<'b>",
        &format!("{name}Entry<P>"),
        o,
    );
}

/// A component's setter trait (inside its module).
pub fn component(model: &Model, index: usize, o: &mut String) {
    let c = &model.components[index];
    let scope = tags(model, &model.flat(&c.items));
    let _ = writeln!(
        o,
        "/// The setters of the {} component's fields, on every builder and entry\n\
         /// that holds it (in scope through the version's `prelude`).\n\
         pub trait Build<'b>: rt::Sink<'b> + Sized {{",
        c.name
    );
    for i in &c.items {
        match *i {
            Item::Field { tag, .. } if !no_setter(model, tag, &scope) => {
                field_setter(model, tag, "", "Self", "", "self", false, o)
            }
            Item::Group { id, .. } => {
                group_starter(model, id, "super::super::", "", "Self", "self", o)
            }
            _ => {}
        }
    }
    o.push_str("}\n");
}
