//! The expanded form: a header line, then one field per line with its name
//! and enum meaning, repeating groups indented.

use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use ringfix_codec::dict::{Dictionary, GroupRef};

use super::names::Dicts;
use super::output::{write_visible, Field};
use super::Message;

/// Whether to colour the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// No escape codes.
    Plain,
    /// ANSI colours (stdout is a terminal and NO_COLOR is unset).
    Color,
}

const DIM: &str = "\x1b[2m";
const BOLD: &str = "\x1b[1m";
const CYAN: &str = "\x1b[36m";
const GREEN: &str = "\x1b[32m";
const YELLOW: &str = "\x1b[33m";
const RESET: &str = "\x1b[0m";

/// Writes messages in the expanded form.
pub struct Expander {
    style: Style,
    dicts: Dicts,
}

/// The dictionary given with `--dict` cannot be loaded.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ExpandError(String);

/// One line of the expanded form.
struct Line<'a> {
    tag: u32,
    value: &'a [u8],
    depth: usize,
    name: Option<String>,
    meaning: Option<String>,
}

impl Expander {
    /// An expander with the shipped dictionaries, `dict` (a QuickFIX XML file) first if given.
    pub fn new(dict: Option<&Path>, style: Style) -> Result<Self, ExpandError> {
        Ok(Expander {
            style,
            dicts: Dicts::load(dict).map_err(ExpandError)?,
        })
    }

    fn paint(&self, w: &mut dyn Write, color: &str, text: &str) -> io::Result<()> {
        match self.style {
            Style::Plain => w.write_all(text.as_bytes()),
            Style::Color => write!(w, "{color}{text}{RESET}"),
        }
    }

    /// Writes one message: a header line, its fields, a blank line.
    pub fn write(
        &mut self,
        w: &mut dyn Write,
        msg: &Message,
        fields: &[Field<'_>],
    ) -> io::Result<()> {
        let chain = self.dicts.chain(msg, fields);
        let msg_type = fields.iter().find(|(t, _)| *t == 35).map(|(_, v)| *v);
        let mut head = Vec::new();
        if let Some(ts) = msg.ts {
            head.push(ts.to_string());
        }
        if let (Some(s), Some(d)) = (msg.src, msg.dst) {
            head.push(format!("{s} -> {d}"));
        }
        if let Some(t) = msg_type {
            let name = chain
                .iter()
                .find_map(|d| d.message(t).map(|m| m.name.to_string()));
            let t = String::from_utf8_lossy(t);
            head.push(match name {
                Some(n) => format!("{n} ({t})"),
                None => format!("MsgType {t}"),
            });
        }
        self.paint(w, YELLOW, &head.join(" "))?;
        w.write_all(b"\n")?;
        let lines = lines(&chain, msg_type.unwrap_or(b""), fields);
        let width = lines
            .iter()
            .map(|l| 2 * l.depth + l.name.as_deref().map_or(0, str::len))
            .max()
            .unwrap_or(0);
        for l in &lines {
            self.paint(w, DIM, &format!("{:>6} ", l.tag))?;
            let name = format!(
                "{}{}",
                "  ".repeat(l.depth),
                l.name.as_deref().unwrap_or("")
            );
            self.paint(w, CYAN, &format!("{name:<width$}"))?;
            w.write_all(b" = ")?;
            if self.style == Style::Color {
                w.write_all(BOLD.as_bytes())?;
            }
            write_visible(w, l.value)?;
            if self.style == Style::Color {
                w.write_all(RESET.as_bytes())?;
            }
            if let Some(m) = &l.meaning {
                w.write_all(b" ")?;
                self.paint(w, GREEN, &format!("({m})"))?;
            }
            w.write_all(b"\n")?;
        }
        w.write_all(b"\n")
    }
}

/// Names, meanings and group depth of every field.
fn lines<'a>(chain: &[Arc<Dictionary>], msg_type: &[u8], fields: &[Field<'a>]) -> Vec<Line<'a>> {
    // Open groups, innermost last.
    let mut open: Vec<GroupRef<'_>> = Vec::new();
    let mut out = Vec::with_capacity(fields.len());
    for &(tag, value) in fields {
        while let Some(g) = open.last() {
            if g.def().is_member(tag) || g.def().delimiter == tag {
                break;
            }
            open.pop();
        }
        let depth = open.len();
        out.push(Line {
            tag,
            value,
            depth,
            name: chain
                .iter()
                .find_map(|d| d.field_name(tag).map(str::to_string)),
            meaning: chain
                .iter()
                .find_map(|d| d.value_description(tag, value).map(str::to_string)),
        });
        // A count tag opens its group (nested in the open one, or at message level).
        let group = match open.last() {
            Some(g) => g.nested(tag),
            None => chain
                .iter()
                .find_map(|d| d.group(msg_type, tag).or_else(|| d.header_group(tag))),
        };
        if let Some(g) = group {
            open.push(g);
        }
    }
    out
}
