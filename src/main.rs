//! The `ringfix` command line: one module per subcommand, this file only dispatches.
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "ringfix", version, about = "FIX engine on io_uring: tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Decode FIX messages from a capture (pcap/pcapng), a FIX log or a raw stream.
    Decode(ringfix::decode::cli::DecodeArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Decode(args) => ringfix::decode::cli::run(&args),
    }
}
