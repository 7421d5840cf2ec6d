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
    /// Decode FIX messages from a capture (pcap/pcapng), a FIX log, a raw stream or a store journal.
    Decode(ringfix::decode::cli::DecodeArgs),
    /// Replay a capture: offline through the session layer, or live against a counterparty.
    Replay(ringfix::replay::cli::ReplayArgs),
    /// Run the acceptor sessions of a QuickFIX-style configuration.
    Acceptor(ringfix::run::acceptor::AcceptorArgs),
    /// Run the initiator sessions of a configuration, sending orders.
    Initiator(ringfix::run::initiator::InitiatorArgs),
    /// Acceptor and initiator in one process on loopback: order round trips.
    Demo(ringfix::run::demo::DemoArgs),
    /// Inspect and repair session stores: show, set-seq, reset, dump.
    Store(ringfix::store_cmd::StoreArgs),
    /// Live statistics of running engines (per session state, counters, reads).
    Stats(ringfix::stats_cmd::StatsArgs),
    /// Typed message modules from QuickFIX XML dictionaries.
    Codegen(ringfix::codegen_cmd::CodegenArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Decode(args) => ringfix::decode::cli::run(&args),
        Command::Replay(args) => ringfix::replay::cli::run(&args),
        Command::Acceptor(args) => ringfix::run::acceptor::run(&args),
        Command::Initiator(args) => ringfix::run::initiator::run(&args),
        Command::Demo(args) => ringfix::run::demo::run(&args),
        Command::Store(args) => ringfix::store_cmd::run(&args),
        Command::Stats(args) => ringfix::stats_cmd::run(&args),
        Command::Codegen(args) => ringfix::codegen_cmd::run(&args),
    }
}
