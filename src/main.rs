//! The `ringfix` command line: one module per subcommand, this file only dispatches.
use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod codegen_cmd;
mod config_cmd;
mod decode;
mod ha_cmd;
mod passwd;
mod replay;
mod run;
mod stats_cmd;
mod store_cmd;
#[cfg(test)]
mod tests;

#[derive(Parser)]
#[command(name = "ringfix", version, about = "FIX engine on io_uring: tools")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check a configuration without starting anything: settings in effect, schedules, files.
    Config(config_cmd::ConfigArgs),
    /// Decode FIX messages from a capture (pcap/pcapng), a FIX log, a raw stream or a store journal.
    Decode(decode::cli::DecodeArgs),
    /// Replay a capture: offline through the session layer, or live against a counterparty.
    Replay(replay::cli::ReplayArgs),
    /// Run the acceptor sessions of a QuickFIX-style configuration.
    Acceptor(run::acceptor::AcceptorArgs),
    /// Run the initiator sessions of a configuration, sending orders.
    Initiator(run::initiator::InitiatorArgs),
    /// Acceptor and initiator in one process on loopback: order round trips.
    Demo(run::demo::DemoArgs),
    /// Inspect and repair session stores: show, set-seq, reset, dump.
    Store(store_cmd::StoreArgs),
    /// Live statistics of running engines (per session state, counters, reads).
    Stats(stats_cmd::StatsArgs),
    /// Hot standby: leaders, fencing tokens, standby lag (`ha status`).
    Ha(ha_cmd::HaArgs),
    /// Typed message modules from QuickFIX XML dictionaries.
    Codegen(codegen_cmd::CodegenArgs),
    /// Hash a password (read from stdin) for a LogonCredentialsFile line.
    Passwd(passwd::PasswdArgs),
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Config(args) => config_cmd::run(&args),
        Command::Decode(args) => decode::cli::run(&args),
        Command::Replay(args) => replay::cli::run(&args),
        Command::Acceptor(args) => run::acceptor::run(&args),
        Command::Initiator(args) => run::initiator::run(&args),
        Command::Demo(args) => run::demo::run(&args),
        Command::Store(args) => store_cmd::run(&args),
        Command::Stats(args) => stats_cmd::run(&args),
        Command::Ha(args) => ha_cmd::run(&args),
        Command::Codegen(args) => codegen_cmd::run(&args),
        Command::Passwd(args) => passwd::run(&args),
    }
}
