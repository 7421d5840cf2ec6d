//! `ringfix config check FILE [--json] [--at TIME]`: parse and validate a
//! configuration without starting anything, and say what it would do.
//!
//! Prints, per session, the settings in effect (defaults resolved), the
//! schedule's next open and close (UTC and local time), the store and log
//! files, and every ignored key with its line and why. Exit 0 when the
//! engine would start, 1 otherwise; every problem names file, line and
//! key, as start-up errors do. "Would start" includes certificate, key and
//! dictionary files readable and valid and store and log directories
//! writable; no port is bound.

mod check;
mod report;

use std::path::PathBuf;
use std::process::ExitCode;

use ringfix_engine::config::{ConfigWarning, EngineConfig, SessionSource, UtcTimestamp};

/// Arguments of `ringfix config`.
#[derive(Debug, Clone, clap::Args)]
pub struct ConfigArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: ConfigCommand,
}

/// The config subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum ConfigCommand {
    /// Parse and validate a configuration without starting anything.
    Check(CheckArgs),
}

/// Arguments of `ringfix config check`.
#[derive(Debug, Clone, clap::Args)]
pub struct CheckArgs {
    /// QuickFIX-style session configuration (.cfg).
    pub file: PathBuf,
    /// One JSON object: {"sessions": [...], "ignored": [...], ...}.
    #[arg(long)]
    pub json: bool,
    /// Evaluate the schedules at this instant (RFC 3339, e.g.
    /// 2026-06-11T08:00:00Z) instead of now.
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
}

/// Exit code when the engine would not start.
const EXIT_FAIL: u8 = 1;

/// Runs `ringfix config ...`.
pub fn run(args: &ConfigArgs) -> ExitCode {
    match &args.command {
        ConfigCommand::Check(a) => check_file(a),
    }
}

/// What `config check` found, for either output form.
pub struct Checked {
    /// The file as named on the command line.
    pub file: String,
    /// When the schedules were evaluated.
    pub at: UtcTimestamp,
    /// The parsed configuration (`None` when it does not parse).
    pub config: Option<(EngineConfig, Vec<SessionSource>)>,
    /// Problems that stop the engine from starting, each naming file, line
    /// and key.
    pub problems: Vec<String>,
}

impl Checked {
    fn would_start(&self) -> bool {
        self.problems.is_empty()
            && self
                .config
                .as_ref()
                .is_some_and(|(c, _)| !c.sessions.is_empty())
    }
}

fn check_file(args: &CheckArgs) -> ExitCode {
    let file = args.file.display().to_string();
    let at = match &args.at {
        None => UtcTimestamp::now(),
        Some(text) => match text.parse::<jiff::Timestamp>() {
            Ok(t) => UtcTimestamp::from_nanos(i64::try_from(t.as_nanosecond()).unwrap_or(0)),
            Err(e) => {
                eprintln!("ringfix: --at {text:?}: expected an RFC 3339 time: {e}");
                return ExitCode::from(2);
            }
        },
    };
    let mut checked = Checked {
        file: file.clone(),
        at,
        config: None,
        problems: Vec::new(),
    };
    let parsed = std::fs::read_to_string(&args.file)
        .map_err(|e| format!("{file}:0: cannot read: {e}"))
        .and_then(|text| EngineConfig::parse_with_sources(&text, &file).map_err(|e| e.to_string()));
    match parsed {
        Ok((config, sources)) => {
            if config.sessions.is_empty() {
                let skipped = config
                    .warnings
                    .iter()
                    .any(|w| matches!(w, ConfigWarning::SkippedSession { .. }));
                checked.problems.push(if skipped {
                    format!("{file}:0: every session was left out")
                } else {
                    format!("{file}:0: no [SESSION] section")
                });
            }
            for (s, source) in config.sessions.iter().zip(&sources) {
                checked
                    .problems
                    .extend(check::session(&file, s, source, at));
            }
            checked.config = Some((config, sources));
        }
        Err(e) => checked.problems.push(e),
    }
    for p in &checked.problems {
        eprintln!("ringfix: configuration error: {p}");
    }
    if args.json {
        println!("{}", report::json(&checked));
    } else {
        print!("{}", report::text(&checked));
    }
    if checked.would_start() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FAIL)
    }
}
