//! ringfix-bench: latency and throughput harness.
//!
//! Each subcommand is a module that measures a set of rows and prints them
//! through [`report`]: one JSON object per line with `--json`, else a table.

mod codec;
mod messages;
mod report;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(about = "ringfix benchmarks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Codec: parse (frame + checksum + index) and encode (typed fields).
    Codec(report::Options),
}

fn main() {
    let cli = Cli::parse();
    match cli.command {
        Command::Codec(opts) => report::print(&opts, &codec::run(&opts)),
    }
}
