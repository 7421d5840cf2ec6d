//! Printing decoded messages: one line, JSON, or expanded with field names.

use std::fmt;
use std::io::{self, Write};
use std::str::FromStr;

use super::Message;

/// `--filter TAG=VALUE`: the message has a field `TAG` equal to `VALUE` (any occurrence).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    /// Tag to look at.
    pub tag: u32,
    /// Value it must have.
    pub value: Vec<u8>,
}

impl FromStr for Filter {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (tag, value) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}` is not TAG=VALUE"))?;
        let tag = tag
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|t| *t > 0)
            .ok_or_else(|| format!("`{tag}` is not a tag number"))?;
        Ok(Filter {
            tag,
            value: value.as_bytes().to_vec(),
        })
    }
}

impl fmt::Display for Filter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.tag, String::from_utf8_lossy(&self.value))
    }
}

/// One `tag=value` of a message, in wire order.
pub type Field<'a> = (u32, &'a [u8]);

/// Whether every filter matches some field.
pub fn matches(filters: &[Filter], fields: &[Field<'_>]) -> bool {
    filters.iter().all(|f| {
        fields
            .iter()
            .any(|(t, v)| *t == f.tag && *v == f.value.as_slice())
    })
}

/// `ts src -> dst ` before a message, the parts that are known.
fn write_prefix(w: &mut dyn Write, msg: &Message) -> io::Result<()> {
    if let Some(ts) = msg.ts {
        write!(w, "{ts} ")?;
    }
    match (msg.src, msg.dst) {
        (Some(s), Some(d)) => write!(w, "{s} -> {d} "),
        _ => Ok(()),
    }
}

/// Writes bytes for a person: SOH as `|`, other control bytes as `\xNN`.
pub fn write_visible(w: &mut dyn Write, bytes: &[u8]) -> io::Result<()> {
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b < 0x20 || b == 0x7f {
            w.write_all(bytes.get(start..i).unwrap_or(&[]))?;
            if b == 0x01 {
                w.write_all(b"|")?;
            } else {
                write!(w, "\\x{b:02x}")?;
            }
            start = i + 1;
        }
    }
    w.write_all(bytes.get(start..).unwrap_or(&[]))
}

/// Default form: `2024-01-02T03:04:05.123456Z 10.0.0.1:5001 -> 10.0.0.2:9878 8=FIX.4.4|9=…|10=123|`.
pub fn write_line(w: &mut dyn Write, msg: &Message) -> io::Result<()> {
    write_prefix(w, msg)?;
    write_visible(w, &msg.bytes)?;
    w.write_all(b"\n")
}

/// `--json`: `{"ts": …, "src": …, "dst": …, "fields": [[tag, "value"], …]}` on one line.
/// Values that are not UTF-8 have their bad bytes replaced (U+FFFD).
pub fn write_json(w: &mut dyn Write, msg: &Message, fields: &[Field<'_>]) -> io::Result<()> {
    fn text(w: &mut dyn Write, v: Option<String>) -> io::Result<()> {
        match v {
            Some(s) => json_string(w, &s),
            None => w.write_all(b"null"),
        }
    }
    w.write_all(b"{\"ts\": ")?;
    text(w, msg.ts.map(|t| t.to_string()))?;
    w.write_all(b", \"src\": ")?;
    text(w, msg.src.map(|a| a.to_string()))?;
    w.write_all(b", \"dst\": ")?;
    text(w, msg.dst.map(|a| a.to_string()))?;
    w.write_all(b", \"fields\": [")?;
    for (i, (tag, value)) in fields.iter().enumerate() {
        if i > 0 {
            w.write_all(b", ")?;
        }
        write!(w, "[{tag}, ")?;
        json_string(w, &String::from_utf8_lossy(value))?;
        w.write_all(b"]")?;
    }
    w.write_all(b"]}\n")
}

/// A JSON string literal.
fn json_string(w: &mut dyn Write, s: &str) -> io::Result<()> {
    serde_json::to_writer(w, s).map_err(io::Error::other)
}
