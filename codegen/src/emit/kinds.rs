//! Per value kind: the Rust type a getter returns, and how a setter takes
//! and writes the value.

use crate::model::{Field, Kind, Model};
use ringfix_codec::Tag;

/// The getter's value type and whether reading it can fail.
pub fn value_type(f: &Field) -> (String, bool) {
    match f.kind {
        Kind::Bytes | Kind::Data { .. } => ("&'a [u8]".into(), false),
        Kind::Enum => (format!("field::{}<'a>", f.name), false),
        Kind::MultiEnum => (format!("rt::Multi<'a, field::{}<'a>>", f.name), false),
        Kind::Char => ("u8".into(), true),
        Kind::Int => ("i64".into(), true),
        Kind::UInt => ("u64".into(), true),
        Kind::Decimal => ("rt::Decimal".into(), true),
        Kind::Bool => ("bool".into(), true),
        Kind::Timestamp => ("rt::UtcTimestamp".into(), true),
    }
}

/// A getter's signature tail and body (`self` implements `FieldSource`).
pub fn getter(f: &Field, required: bool) -> (String, String) {
    let (ty, fallible) = value_type(f);
    let tag = f.tag;
    if required {
        return (
            format!("Result<{ty}, rt::FieldError>"),
            format!("rt::FieldSource::req(self, {tag})"),
        );
    }
    match (f.kind, fallible) {
        (Kind::Enum, _) => (
            format!("Option<{ty}>"),
            format!("rt::FieldSource::enumerated(self, {tag})"),
        ),
        (Kind::MultiEnum, _) => (
            format!("Option<{ty}>"),
            format!("rt::FieldSource::raw(self, {tag}).map(rt::Multi::new)"),
        ),
        (_, false) => (
            format!("Option<{ty}>"),
            format!("rt::FieldSource::raw(self, {tag})"),
        ),
        (_, true) => (
            format!("Result<Option<{ty}>, rt::FieldError>"),
            format!("rt::FieldSource::opt(self, {tag})"),
        ),
    }
}

/// A setter's parameter type and the statement writing `v` through the
/// `Sink` expression `e`.
pub fn setter(f: &Field, e: &str) -> (String, String) {
    let t = f.tag;
    match f.kind {
        Kind::Bytes => (
            "impl AsRef<[u8]>".into(),
            format!("rt::put_bytes({e}, {t}, v.as_ref());"),
        ),
        Kind::Data { len } => (
            "impl AsRef<[u8]>".into(),
            format!("rt::put_data({e}, {t}, {len}, v.as_ref());"),
        ),
        Kind::Enum => (
            format!("field::{}<'_>", f.name),
            format!("rt::put_enum({e}, {t}, rt::Enumerated::as_bytes(v));"),
        ),
        Kind::MultiEnum => (
            format!("&[field::{}<'_>]", f.name),
            format!("rt::put_values({e}, {t}, v);"),
        ),
        Kind::Char => ("u8".into(), format!("rt::put_char({e}, {t}, v);")),
        Kind::Int => ("i64".into(), format!("rt::put_int({e}, {t}, v);")),
        Kind::UInt => ("u64".into(), format!("rt::put_uint({e}, {t}, v);")),
        Kind::Decimal => (
            "rt::Decimal".into(),
            format!("rt::put_decimal({e}, {t}, v);"),
        ),
        Kind::Bool => ("bool".into(), format!("rt::put_bool({e}, {t}, v);")),
        Kind::Timestamp => (
            "impl Into<rt::Stamp>".into(),
            format!("rt::put_stamp({e}, {t}, v.into());"),
        ),
    }
}

/// Whether a tag's setter is left out in a scope: a LENGTH field whose
/// DATA field is in the same scope (the DATA setter writes both).
pub fn no_setter(model: &Model, tag: Tag, scope: &[Tag]) -> bool {
    model
        .field(tag)
        .and_then(|f| f.length_of)
        .is_some_and(|data| scope.contains(&data))
}

/// `Name (tag)`, for docs.
pub fn doc_name(model: &Model, tag: Tag) -> String {
    match model.field(tag) {
        Some(f) => format!("{} ({tag})", f.name),
        None => format!("tag {tag}"),
    }
}
