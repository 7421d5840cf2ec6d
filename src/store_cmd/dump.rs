//! `ringfix store dump`: the stored messages through `ringfix decode`'s
//! printers (one line, `--json`, `-v`), so both tools print alike.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;

use ringfix_codec::Parser;
use ringfix_engine::store::StoreReader;

use super::{select, StoreCmdError, Which};
use crate::decode::expand::{Expander, Style};
use crate::decode::fields::message_fields;
use crate::decode::output::{write_json, write_line};
use crate::decode::{Message, Position, MAX_MESSAGE};

/// What to print.
pub(crate) struct Options {
    pub from: u64,
    pub to: Option<u64>,
    pub json: bool,
    pub expand: bool,
    pub dict: Option<PathBuf>,
    pub show_secrets: bool,
}

pub(crate) fn run(which: &Which, o: &Options) -> Result<(), StoreCmdError> {
    if let Some(to) = o.to {
        if to < o.from {
            return Err(StoreCmdError::Usage(format!(
                "--to {to} is below --from {}",
                o.from
            )));
        }
    }
    let target = select(which, true)?
        .into_iter()
        .next()
        .ok_or_else(|| StoreCmdError::Usage("no session selected".into()))?;
    let files = target.file_store()?.clone();
    if !files.seqnums().exists() {
        return Err(StoreCmdError::Failed(format!(
            "{}: no store at {} (the engine has not run with it)",
            target.id,
            files.dir().join(files.prefix()).display()
        )));
    }
    let reader = StoreReader::open(files)
        .map_err(|e| StoreCmdError::Failed(format!("{}: {e}", target.id)))?;
    let mut expander = if o.expand {
        Some(
            Expander::new(o.dict.as_deref(), style())
                .map_err(|e| StoreCmdError::Usage(e.to_string()))?,
        )
    } else {
        None
    };
    let mut parser = Parser::with_max_len(MAX_MESSAGE);
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut printed = 0u64;
    let mut result = Ok(());
    // `0` is the store's "no upper bound".
    reader.get_range(o.from, o.to.unwrap_or(0), &mut |seq, bytes| {
        if result.is_err() {
            return;
        }
        printed += 1;
        let msg = Message {
            ts: None,
            src: None,
            dst: None,
            bytes: bytes.to_vec(),
            at: Position::Byte(0),
            connection: None,
        };
        let masked = (!o.show_secrets)
            .then(|| msg.redacted(&target.redact))
            .flatten();
        let msg = masked.as_ref().unwrap_or(&msg);
        result = print(&mut out, &mut parser, expander.as_mut(), o.json, seq, msg);
    });
    match result.and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            return Err(StoreCmdError::Failed(format!("writing output: {e}")))
        }
        _ => {}
    }
    if printed == 0 {
        let stored = reader
            .seq_range()
            .map_or_else(|| "none".to_owned(), |(lo, hi)| format!("{lo}..={hi}"));
        let to = o.to.map_or_else(|| "end".to_owned(), |t| t.to_string());
        eprintln!(
            "ringfix store: {}: no stored message in {}..={to} (stored: {stored})",
            target.id, o.from
        );
    }
    Ok(())
}

fn print(
    out: &mut dyn Write,
    parser: &mut Parser,
    expander: Option<&mut Expander>,
    json: bool,
    seq: u64,
    msg: &Message,
) -> io::Result<()> {
    let (fields, error) = message_fields(parser, &msg.bytes);
    if let Some(e) = error {
        out.flush()?;
        eprintln!("ringfix store: seq {seq}: malformed message: {e}");
    }
    if json {
        write_json(out, msg, &fields)
    } else if let Some(x) = expander {
        x.write(out, msg, &fields)
    } else {
        write_line(out, msg)
    }
}

/// Colours only on a terminal without NO_COLOR, as `ringfix decode -v`.
fn style() -> Style {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    if io::stdout().is_terminal() && !no_color {
        Style::Color
    } else {
        Style::Plain
    }
}
