//! `ringfix store show|set-seq|reset|dump`: inspect and repair the file
//! stores of a configuration's sessions, for the night a counterparty says
//! the sequence numbers are wrong.
//!
//! Exit codes: 0 done, 1 failure (config or store unreadable), 2 usage
//! (unknown session, several sessions and no `--session`), 3 the store is
//! held by a running engine (set-seq and reset refuse to touch it).

mod dump;
mod modify;
mod select;
mod show;

use std::path::PathBuf;
use std::process::ExitCode;

pub use select::{select, Target};

/// Arguments of `ringfix store`.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// What to do.
    #[command(subcommand)]
    pub command: StoreCommand,
}

/// Config file and session, common to every store command.
#[derive(Debug, Clone, clap::Args)]
pub struct Which {
    /// QuickFIX-style session configuration (.cfg) of the engine.
    #[arg(long, value_name = "F")]
    pub config: PathBuf,
    /// Session: `FIX.4.4:SENDER->TARGET` (as the engine names it), the store
    /// file prefix `FIX.4.4-SENDER-TARGET`, or `SENDER->TARGET` when unique.
    #[arg(long, value_name = "ID")]
    pub session: Option<String>,
}

/// The store subcommands.
#[derive(Debug, Clone, clap::Subcommand)]
pub enum StoreCommand {
    /// Sequence numbers, creation time, journal size and range, lock state.
    Show {
        /// Which store.
        #[command(flatten)]
        which: Which,
        /// One JSON object: {"sessions": [...]}.
        #[arg(long)]
        json: bool,
    },
    /// Set the next sender and/or target sequence number (engine stopped).
    #[command(group(clap::ArgGroup::new("seq").required(true).multiple(true)))]
    SetSeq {
        /// Which store.
        #[command(flatten)]
        which: Which,
        /// Next MsgSeqNum this side sends.
        #[arg(long, value_name = "N", group = "seq", value_parser = clap::value_parser!(u64).range(1..))]
        sender: Option<u64>,
        /// Next MsgSeqNum expected from the counterparty.
        #[arg(long, value_name = "N", group = "seq", value_parser = clap::value_parser!(u64).range(1..))]
        target: Option<u64>,
    },
    /// Start a new sequence: both numbers 1, stored messages dropped
    /// (the old journal is kept as `<prefix>.journal.<generation>`).
    Reset {
        /// Which store.
        #[command(flatten)]
        which: Which,
        /// Delete the old journal instead of keeping it.
        #[arg(long)]
        discard: bool,
    },
    /// Print stored (sent) messages as `ringfix decode` does.
    Dump {
        /// Which store.
        #[command(flatten)]
        which: Which,
        /// First MsgSeqNum (default: the lowest stored).
        #[arg(long, value_name = "N", default_value_t = 1)]
        from: u64,
        /// Last MsgSeqNum (default: the highest stored).
        #[arg(long, value_name = "N")]
        to: Option<u64>,
        /// One JSON object per message, as `ringfix decode --json`.
        #[arg(long, conflicts_with = "expand")]
        json: bool,
        /// One field per line with names, as `ringfix decode -v`.
        #[arg(short = 'v', long)]
        expand: bool,
        /// QuickFIX XML data dictionary for the names in --expand.
        #[arg(long, value_name = "F")]
        dict: Option<PathBuf>,
        /// Print the session's RedactFieldsInLogs tags as they are stored
        /// (a stored Logon's password is masked in the journal itself).
        #[arg(long)]
        show_secrets: bool,
    },
}

/// What went wrong, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum StoreCmdError {
    /// Bad input from the user.
    #[error("{0}")]
    Usage(String),
    /// An engine holds the store.
    #[error("{0}")]
    Locked(String),
    /// Anything else.
    #[error("{0}")]
    Failed(String),
}

impl StoreCmdError {
    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            Self::Failed(_) => 1,
            Self::Usage(_) => 2,
            Self::Locked(_) => 3,
        }
    }
}

/// Runs `ringfix store ...`.
pub fn run(args: &StoreArgs) -> ExitCode {
    let result = match &args.command {
        StoreCommand::Show { which, json } => show::run(which, *json),
        StoreCommand::SetSeq {
            which,
            sender,
            target,
        } => modify::set_seq(which, *sender, *target),
        StoreCommand::Reset { which, discard } => modify::reset(which, *discard),
        StoreCommand::Dump {
            which,
            from,
            to,
            json,
            expand,
            dict,
            show_secrets,
        } => dump::run(
            which,
            &dump::Options {
                from: *from,
                to: *to,
                json: *json,
                expand: *expand,
                dict: dict.clone(),
                show_secrets: *show_secrets,
            },
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ringfix store: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// `2026-11-24T05:00:00.123Z` (RFC 3339, as `ringfix decode` prints times).
pub(crate) fn rfc3339(nanos: i64, digits: u8) -> String {
    crate::decode::Timestamp::from_nanos(nanos, digits).to_string()
}

/// [`rfc3339`] of a [`UtcTimestamp`](ringfix_codec::UtcTimestamp).
pub(crate) fn rfc3339_ts(t: ringfix_codec::UtcTimestamp, digits: u8) -> String {
    rfc3339(t.as_nanos(), digits)
}
