//! `field::*`: one enum per field with listed values.

use std::fmt::Write as _;

use crate::model::{Kind, Model};

/// The `field` module.
pub fn emit(model: &Model, o: &mut String) {
    let v = &model.version_string;
    let _ = writeln!(
        o,
        "/// One enum per field with listed values: exactly {v}'s values, and\n\
         /// `Unknown` for bytes {v} does not list.\n\
         pub mod field {{\nuse super::rt;"
    );
    for f in model.fields.values() {
        if !matches!(f.kind, Kind::Enum | Kind::MultiEnum) {
            continue;
        }
        let name = &f.name;
        let _ = writeln!(
            o,
            "/// {name} ({}).\n#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]\n\
             #[allow(non_camel_case_types)]\npub enum {name}<'a> {{",
            f.tag
        );
        for (variant, wire, desc) in &f.variants {
            let _ = writeln!(o, "/// `{}`: {desc}\n{variant},", lit_doc(wire));
        }
        let _ = writeln!(
            o,
            "/// A value {v} does not list.\nUnknown(&'a [u8]),\n}}\n\
             impl<'a> rt::Enumerated<'a> for {name}<'a> {{\n\
             #[inline]\nfn from_bytes(v: &'a [u8]) -> Self {{\nmatch v {{"
        );
        for (variant, wire, _) in &f.variants {
            let _ = writeln!(o, "{} => Self::{variant},", lit(wire));
        }
        let _ = writeln!(
            o,
            "_ => Self::Unknown(v),\n}}\n}}\n#[inline]\nfn as_bytes(self) -> &'a [u8] {{\nmatch self {{"
        );
        for (variant, wire, _) in &f.variants {
            let _ = writeln!(o, "Self::{variant} => {},", lit(wire));
        }
        o.push_str("Self::Unknown(v) => v,\n}\n}\n}\n");
    }
    o.push_str("}\n");
}

/// A byte-string literal.
pub fn lit(bytes: &[u8]) -> String {
    let mut s = String::from("b\"");
    for &b in bytes {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(char::from(b)),
            _ => s.push_str(&format!("\\x{b:02x}")),
        }
    }
    s.push('"');
    s
}

/// A wire value inside a doc comment's backticks.
fn lit_doc(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace('`', "'")
}
