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

/// One group starter: `f` adds the entries. On a message builder it
/// returns `Result<ret, EntryError>` (`tail` made from `self`); on an entry
/// (`entry_mark` set) it returns `Self` and records the error in the
/// enclosing group.
fn group_starter(
    model: &Model,
    id: usize,
    root: &str,
    ret: &str,
    tail: &str,
    entry_mark: Option<&str>,
    o: &mut String,
) {
    let g = &model.groups[id];
    let path = format!("{root}{}", model.group_path(id));
    let doc = doc_name(model, g.count_tag);
    let method = model.method(g.count_tag);
    let ty = format!("{path}::{}Group", g.name);
    match entry_mark {
        None => {
            let _ = writeln!(
                o,
                "/// Writes {doc}: `f` adds the entries (`g.entry(..)`), NumInGroup is\n\
                 /// their number; an error names the first entry without a required field.\n\
                 #[inline]\npub fn {method}(mut self, f: impl FnOnce(&mut {ty}<'_, 'b>)) -> Result<{ret}, rt::EntryError> {{ \
                 {ty}::write(rt::Sink::sink(&mut self), f)?; Ok({tail}) }}"
            );
        }
        Some(mark) => {
            let _ = writeln!(
                o,
                "/// Writes {doc} in this entry: `f` adds its entries.\n#[inline]\n\
                 pub fn {method}(self, f: impl FnOnce(&mut {ty}<'_, 'b>)) -> Self {{ \
                 if let Err(e) = {ty}::write(&mut *self.enc, f) {{ self.g.record(e); }} {mark}self }}"
            );
        }
    }
}

/// `impl component::x::Build for T {}` for every component `items` reach.
fn component_impls(model: &Model, items: &[Item], root: &str, ty: &str, o: &mut String) {
    for c in model.closure(items) {
        let _ = writeln!(
            o,
            "impl<'b, {}> {root}component::{}::Build<'b> for {ty} {{}}",
            if ty.starts_with("Builder") {
                "D: rt::Draft<'b>, S"
            } else {
                ""
            },
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

            _ => {}
        }
    }
    for i in &flat {
        if let Item::Group { id, .. } = *i {
            if !required(model.groups[id].count_tag) {
                group_starter(model, id, "super::", "Self", "self", None, o);
            }
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
                    group_starter(model, id, "super::", &ret, "self.__retype()", None, o)
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
    component_impls(model, &m.items, "super::", "Builder<'b, D, S>", o);
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
    let doc = doc_name(model, g.count_tag);
    let _ = writeln!(
        o,
        "const {up}_REQUIRED: &[rt::Tag] = &[{}];\n\
         /// Writes the entries of {doc} (`entry` adds one).\n\
         pub struct {name}Group<'g, 'b> {{ enc: &'g mut rt::Encoder<'b>, g: rt::GroupState }}\n\
         /// One entry of {doc} being written; it closes when dropped (checking\n\
         /// its required fields).\n\
         pub struct {name}Entry<'e, 'b> {{ enc: &'e mut rt::Encoder<'b>, g: &'e mut rt::GroupState }}\n\
         impl Drop for {name}Entry<'_, '_> {{\n#[inline(always)]\n\
         fn drop(&mut self) {{ self.g.close({mask}, {up}_REQUIRED); }}\n}}\n\
         impl<'b> rt::Sink<'b> for {name}Entry<'_, 'b> {{\n#[inline(always)]\n\
         fn sink(&mut self) -> &mut rt::Encoder<'b> {{ self.enc }}\n}}\n\
         impl<'g, 'b> {name}Group<'g, 'b> {{\n\
         /// Writes `count_tag=`, runs `f`, writes the number of entries it added.\n#[inline(always)]\n#[allow(dead_code)]\n\
         pub(crate) fn write(enc: &'g mut rt::Encoder<'b>, f: impl FnOnce(&mut Self)) -> Result<(), rt::EntryError> {{ \
         let g = rt::GroupState::start(enc, {ct}); let mut this = {name}Group {{ enc, g }}; f(&mut this); this.g.finish(this.enc) }}",
        req_tags.join(", "),
        ct = g.count_tag,
    );
    // `entry`: the first member is written by it.
    let skip = match g.first {
        First::Field(d) => {
            let t = match model.field(d).and_then(|f| f.length_of) {
                Some(data) if scope.contains(&data) => data,
                _ => d,
            };
            let Some(f) = model.field(t) else {
                o.push_str("}\n}\n");
                return;
            };
            let (param, write) = setter(f, "self.enc");
            let _ = writeln!(
                o,
                "/// Starts an entry with its {}; it closes when dropped.\n#[inline]\n\
                 pub fn entry(&mut self, v: {param}) -> {name}Entry<'_, 'b> {{ self.g.open(); {write} {}\
                 {name}Entry {{ enc: &mut *self.enc, g: &mut self.g }} }}\n}}",
                doc_name(model, t),
                mark(t),
            );
            t
        }
        First::Group(n) => {
            let ng = &model.groups[n];
            let ty = format!("{root}{}::{}Group", model.group_path(n), ng.name);
            let _ = writeln!(
                o,
                "/// Starts an entry with its {} (`f` adds those entries); it closes when dropped.\n#[inline]\n\
                 pub fn entry(&mut self, f: impl FnOnce(&mut {ty}<'_, 'b>)) -> {name}Entry<'_, 'b> {{ self.g.open(); \
                 if let Err(e) = {ty}::write(&mut *self.enc, f) {{ self.g.record(e); }} {}\
                 {name}Entry {{ enc: &mut *self.enc, g: &mut self.g }} }}\n}}",
                doc_name(model, ng.count_tag),
                mark(ng.count_tag),
            );
            ng.count_tag
        }
    };
    let _ = writeln!(o, "impl<'e, 'b> {name}Entry<'e, 'b> {{");
    for i in &g.items {
        if let Item::Field { tag, .. } = *i {
            if tag != skip && !no_setter(model, tag, &scope) {
                let req = g.required.contains(&tag);
                field_setter(model, tag, "pub ", "Self", &mark(tag), "self", req, o)
            }
        }
    }
    for i in model.flat(&g.items) {
        if let Item::Group { id: n, .. } = i {
            let ct = model.groups[n].count_tag;
            if ct != skip {
                group_starter(model, n, root, "Self", "self", Some(&mark(ct)), o);
            }
        }
    }
    o.push_str("}\n");
    component_impls(model, &g.items, root, &format!("{name}Entry<'_, 'b>"), o);
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
            _ => {}
        }
    }
    o.push_str("}\n");
}
