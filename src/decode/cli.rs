//! `ringfix decode FILE|- [--dict F] [--filter TAG=VALUE]... [--json] [-v]`.

use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use super::expand::{Expander, Style};
use ringfix_codec::redact::Redaction;
use ringfix_codec::Parser;

use super::fields::message_fields;
use super::output::{matches, write_json, write_line, Filter};
use super::MAX_MESSAGE;
use super::{Decoder, Item, Message};

/// Problems printed before the rest are only counted.
const SHOWN_PROBLEMS: u64 = 200;

/// Arguments of `ringfix decode`.
#[derive(Debug, Clone, clap::Args)]
#[command(after_help = "\
Input kinds are detected from the content: pcap and pcapng captures (Ethernet,
VLAN, Linux cooked v1/v2, loopback, raw IP; IPv4 and IPv6; TCP reassembled per
direction), QuickFIX FileLog message logs (with or without timestamps; `|` for
SOH accepted), raw FIX byte streams and ringfix store journals. Problems in the
input go to stderr with their position; exit status 1 only when no message at
all could be decoded.

Examples:
  ringfix decode incident.pcap --filter 35=D --filter 55=IBM
  tcpdump -i any -w - port 9878 | ringfix decode - -v
  ringfix decode FIX.4.4-ME-YOU.messages.log --json | jq .")]
pub struct DecodeArgs {
    /// Capture (pcap, pcapng), FIX log (QuickFIX FileLog), raw FIX stream or store journal; `-` reads stdin.
    #[arg(value_name = "FILE")]
    pub file: String,
    /// QuickFIX XML data dictionary for the names in --expand, asked before
    /// the shipped one for each message's BeginString/ApplVerID.
    #[arg(long, value_name = "F")]
    pub dict: Option<PathBuf>,
    /// Only messages with field TAG (a number or a name: MsgType=D) equal to VALUE;
    /// repeat to require several.
    #[arg(long, value_name = "TAG=VALUE")]
    pub filter: Vec<Filter>,
    /// One JSON object per message: {"ts", "src", "dst", "fields": [[tag, "value"], ...]}.
    #[arg(long, conflicts_with = "expand")]
    pub json: bool,
    /// One field per line, with field names and enum meanings.
    #[arg(short = 'v', long)]
    pub expand: bool,
    /// Print passwords as they are: without it, Password (554),
    /// NewPassword (925), EncryptedPassword (1402) and
    /// EncryptedNewPassword (1404) are shown as `***`.
    #[arg(long)]
    pub show_secrets: bool,
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
        redact: if args.show_secrets {
            Redaction::none()
        } else {
            Redaction::default()
        },
        problems: 0,
        // A pipe may be live (`tcpdump -w - | ringfix decode -`): show each message at once.
        live: args.file == "-" || io::stdout().is_terminal(),
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
    if printer.problems > 0 {
        let plural = |n: u64, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
        eprintln!(
            "{name}: {} decoded, {}",
            plural(decoder.messages(), "message"),
            plural(printer.problems, "problem")
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
    /// The password tags, unless `--show-secrets`.
    redact: Redaction,
    problems: u64,
    live: bool,
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
        let masked = msg.redacted(&self.redact);
        let msg = masked.as_ref().unwrap_or(msg);
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
            write_json(out, msg, &fields)?;
        } else if let Some(x) = &mut self.expander {
            x.write(out, msg, &fields)?;
        } else {
            write_line(out, msg)?;
        }
        if self.live {
            out.flush()?;
        }
        Ok(())
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
