//! `ringfix decode FILE|- [--dict F] [--filter TAG=VALUE]... [--json] [-v]`.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use super::expand::{Expander, Style};
use ringfix_codec::Parser;

use super::fields::message_fields;
use super::output::{matches, write_json, write_line, Filter};
use super::MAX_MESSAGE;
use super::{Decoder, Item, Message};

/// Problems printed before the rest are only counted.
const SHOWN_PROBLEMS: u64 = 200;

/// Arguments of `ringfix decode`.
#[derive(Debug, Clone, clap::Args)]
pub struct DecodeArgs {
    /// Capture (pcap, pcapng), FIX log (QuickFIX FileLog) or raw FIX stream; `-` reads stdin.
    #[arg(value_name = "FILE")]
    pub file: String,
    /// QuickFIX XML data dictionary for the names in --expand, asked before
    /// the shipped one for each message's BeginString/ApplVerID.
    #[arg(long, value_name = "F")]
    pub dict: Option<PathBuf>,
    /// Only messages with field TAG equal to VALUE; repeat to require several.
    #[arg(long, value_name = "TAG=VALUE")]
    pub filter: Vec<Filter>,
    /// One JSON object per message: {"ts", "src", "dst", "fields": [[tag, "value"], ...]}.
    #[arg(long, conflicts_with = "expand")]
    pub json: bool,
    /// One field per line, with field names and enum meanings.
    #[arg(short = 'v', long)]
    pub expand: bool,
}

/// Runs `ringfix decode`: exit 0 when at least one message was decoded.
pub fn run(args: &DecodeArgs) -> ExitCode {
    let name = if args.file == "-" {
        "<stdin>"
    } else {
        &args.file
    };
    let decoder = match Decoder::open_arg(&args.file) {
        Ok(d) => d,
        Err(e) => {
            eprintln!("ringfix decode: {name}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let expander = if args.expand {
        match Expander::new(args.dict.as_deref(), style()) {
            Ok(x) => Some(x),
            Err(e) => {
                eprintln!("ringfix decode: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        None
    };
    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    let mut printer = Printer {
        args,
        name,
        expander,
        parser: Parser::with_max_len(MAX_MESSAGE),
        problems: 0,
    };
    let mut decoder = decoder;
    let result = printer
        .print_all(&mut decoder, &mut out)
        .and_then(|()| out.flush());
    match result {
        Ok(()) => {}
        // `ringfix decode x.pcap | head`: not an error.
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ringfix decode: writing output: {e}");
            return ExitCode::FAILURE;
        }
    }
    if printer.problems > SHOWN_PROBLEMS {
        eprintln!(
            "{name}: {} more problems not shown",
            printer.problems - SHOWN_PROBLEMS
        );
    }
    if decoder.messages() == 0 {
        eprintln!("ringfix decode: {name}: no FIX message found");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}

/// Colours only on a terminal, and never with NO_COLOR set.
fn style() -> Style {
    choose_style(
        io::stdout().is_terminal(),
        std::env::var_os("NO_COLOR").as_deref(),
    )
}

/// <https://no-color.org>: a non-empty NO_COLOR turns colours off.
fn choose_style(terminal: bool, no_color: Option<&std::ffi::OsStr>) -> Style {
    if terminal && no_color.is_none_or(|v| v.is_empty()) {
        Style::Color
    } else {
        Style::Plain
    }
}

struct Printer<'a> {
    args: &'a DecodeArgs,
    name: &'a str,
    expander: Option<Expander>,
    parser: Parser,
    problems: u64,
}

impl Printer<'_> {
    fn print_all(&mut self, decoder: &mut Decoder, out: &mut dyn Write) -> io::Result<()> {
        for item in decoder {
            match item {
                Item::Message(m) => self.message(&m, out)?,
                Item::Problem(p) => {
                    self.problems += 1;
                    if self.problems <= SHOWN_PROBLEMS {
                        // Keep stdout and stderr in order on a terminal.
                        out.flush()?;
                        eprintln!("{}: {p}", self.name);
                    }
                }
            }
        }
        Ok(())
    }

    fn message(&mut self, msg: &Message, out: &mut dyn Write) -> io::Result<()> {
        let (fields, error) = message_fields(&mut self.parser, &msg.bytes);
        if !matches(&self.args.filter, &fields) {
            return Ok(());
        }
        if let Some(e) = &error {
            self.problems += 1;
            if self.problems <= SHOWN_PROBLEMS {
                out.flush()?;
                eprintln!("{}: {}: malformed message: {e}", self.name, msg.at);
            }
        }
        if self.args.json {
            write_json(out, msg, &fields)
        } else if let Some(x) = &mut self.expander {
            x.write(out, msg, &fields)
        } else {
            write_line(out, msg)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ffi::OsStr;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert_eq!(choose_style(true, None), Style::Color);
        assert_eq!(choose_style(true, Some(OsStr::new(""))), Style::Color);
        assert_eq!(choose_style(true, Some(OsStr::new("1"))), Style::Plain);
        assert_eq!(choose_style(false, None), Style::Plain);
    }
}
