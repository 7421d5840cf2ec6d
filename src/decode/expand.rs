//! The expanded form: a header line, then one field per line with its name
//! and enum meaning from the data dictionary.

use std::io::{self, Write};
use std::path::Path;

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

/// Field and enum names for a message.
pub trait Names {
    /// Name of a field (`54` -> `Side`).
    fn field(&self, begin_string: &[u8], appl_ver_id: Option<&[u8]>, tag: u32) -> Option<String>;
    /// Meaning of an enum value (`54=1` -> `BUY`).
    fn value(
        &self,
        begin_string: &[u8],
        appl_ver_id: Option<&[u8]>,
        tag: u32,
        value: &[u8],
    ) -> Option<String>;
}

/// Writes messages in the expanded form.
pub struct Expander {
    style: Style,
    names: Option<Box<dyn Names>>,
}

/// Why the expanded form cannot be set up.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ExpandError(String);

impl Expander {
    /// An expander with the built-in dictionaries, or the one in `dict`.
    pub fn new(dict: Option<&Path>, style: Style) -> Result<Self, ExpandError> {
        let names = super::names::load(dict).map_err(ExpandError)?;
        Ok(Expander { style, names })
    }

    /// An expander using the given names.
    pub fn with_names(names: Option<Box<dyn Names>>, style: Style) -> Self {
        Expander { style, names }
    }

    fn paint(&self, w: &mut dyn Write, color: &str, text: &str) -> io::Result<()> {
        match self.style {
            Style::Plain => w.write_all(text.as_bytes()),
            Style::Color => write!(w, "{color}{text}{RESET}"),
        }
    }

    /// Writes one message.
    pub fn write(
        &mut self,
        w: &mut dyn Write,
        msg: &Message,
        fields: &[Field<'_>],
    ) -> io::Result<()> {
        let begin = field(fields, 8).unwrap_or(b"");
        let appl = field(fields, 1128);
        let mut head = String::new();
        if let Some(ts) = msg.ts {
            head.push_str(&ts.to_string());
        }
        if let (Some(s), Some(d)) = (msg.src, msg.dst) {
            if !head.is_empty() {
                head.push(' ');
            }
            head.push_str(&format!("{s} -> {d}"));
        }
        if let Some(t) = field(fields, 35) {
            let name = self.lookup_value(begin, appl, 35, t);
            let t = String::from_utf8_lossy(t);
            if !head.is_empty() {
                head.push(' ');
            }
            match name {
                Some(n) => head.push_str(&format!("{n} ({t})")),
                None => head.push_str(&format!("MsgType {t}")),
            }
        }
        self.paint(w, YELLOW, &head)?;
        w.write_all(b"\n")?;
        let width = fields
            .iter()
            .filter_map(|(t, _)| self.lookup_field(begin, appl, *t))
            .map(|n| n.len())
            .max()
            .unwrap_or(0);
        for &(tag, value) in fields {
            self.paint(w, DIM, &format!("{tag:>6} "))?;
            let name = self.lookup_field(begin, appl, tag).unwrap_or_default();
            self.paint(w, CYAN, &format!("{name:<width$}"))?;
            w.write_all(b" = ")?;
            if self.style == Style::Color {
                w.write_all(BOLD.as_bytes())?;
            }
            write_visible(w, value)?;
            if self.style == Style::Color {
                w.write_all(RESET.as_bytes())?;
            }
            if let Some(meaning) = self.lookup_value(begin, appl, tag, value) {
                w.write_all(b" ")?;
                self.paint(w, GREEN, &format!("({meaning})"))?;
            }
            w.write_all(b"\n")?;
        }
        w.write_all(b"\n")
    }

    fn lookup_field(&self, begin: &[u8], appl: Option<&[u8]>, tag: u32) -> Option<String> {
        self.names.as_ref()?.field(begin, appl, tag)
    }

    fn lookup_value(
        &self,
        begin: &[u8],
        appl: Option<&[u8]>,
        tag: u32,
        value: &[u8],
    ) -> Option<String> {
        self.names.as_ref()?.value(begin, appl, tag, value)
    }
}

/// First value of `tag`.
fn field<'a>(fields: &[Field<'a>], tag: u32) -> Option<&'a [u8]> {
    fields.iter().find(|(t, _)| *t == tag).map(|(_, v)| *v)
}
