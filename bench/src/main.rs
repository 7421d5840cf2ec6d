//! ringfix-bench: latency and throughput harness.
//!
//! Each subcommand is a module that measures a set of rows and prints them
//! through [`report`]: one JSON object per line with `--json`, else a table.

mod codec;
mod ha;
mod handle;
mod hops;
mod latency;
mod pipeline;
mod report;
mod sessions;
mod table;
mod throughput;
mod typed;
mod xsend;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

#[global_allocator]
static GLOBAL: ringfix_testkit::alloc::Counting = ringfix_testkit::alloc::Counting;

#[derive(Parser)]
#[command(about = "ringfix benchmarks")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Codec: parse (frame + checksum + index) and encode (typed fields);
    /// generated message types (view, build) against them; then dictionary
    /// validation, the session's inbound path, store append.
    Codec(report::Options),
    /// Round-trip latency through an initiator and an acceptor vs raw TCP.
    Latency(latency::Args),
    /// Messages per second through one session, one direction, journal on.
    Throughput(throughput::Args),
    /// CPU of one reactor holding many idle logged-on sessions.
    Sessions(sessions::Args),
    /// Cross-thread send (SessionSender queue to wire) beside a send from the callback.
    Xsend(xsend::Args),
    /// Hot standby: round trips through an HA sync leader beside a plain acceptor.
    Ha(ha::Args),
    /// The receive and send paths without a ring, for scripts/hops.sh.
    Hops(hops::Args),
    /// The markdown summary of a results directory (scripts/bench.sh).
    Table(table::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Codec(opts) => {
            let mut rows = codec::run(&opts);
            typed::run(&opts)
                .and_then(|more| {
                    rows.extend(more);
                    pipeline::run(&opts)
                })
                .and_then(|more| {
                    rows.extend(more);
                    handle::run(&opts)
                })
                .map(|more| {
                    rows.extend(more);
                    report::print(&opts, &rows);
                })
        }
        Command::Latency(args) => latency::run(&args),
        Command::Throughput(args) => throughput::run(&args),
        Command::Sessions(args) => sessions::run(&args),
        Command::Xsend(args) => xsend::run(&args),
        Command::Ha(args) => ha::run(&args),
        Command::Hops(args) => hops::run(&args),
        Command::Table(args) => table::run(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ringfix-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
