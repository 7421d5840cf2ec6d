//! `ringfix replay`: argument parsing and output; the work is in
//! [`offline`](super::offline) and `live`.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use serde_json::json;

use super::capture::{Capture, Side};
use super::live_cli::{check_report, run_live};
use super::offline::{replay_offline, OfflineOptions, OfflineSummary};
use super::pacing::Speed;
use super::settings::{self, Dictionaries};
use super::ReplayError;
use ringfix_engine::runtime::session_settings;
use ringfix_engine::session::Tag;

/// Arguments of `ringfix replay`.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Exit status: 0 done (live: no differences), 1 live differences, 2 error (live: also no logon)."
)]
pub struct ReplayArgs {
    /// Capture to replay: pcap/pcapng, QuickFIX FileLog, raw FIX stream, ringfix journal (`-`: stdin).
    pub file: String,
    /// Run the captured inbound stream through the session layer on the
    /// captured clock and print what ringfix would do (no network; no config needed).
    #[arg(long, conflicts_with_all = ["to", "report"])]
    pub offline: bool,
    /// The side ringfix plays. Offline default: the side that accepted
    /// the connection (from the SYN, else the first Logon's destination);
    /// live default: initiator.
    #[arg(long, value_enum)]
    pub side: Option<Side>,
    /// Live: the counterparty's address (side initiator: connect to it;
    /// side acceptor: listen on it for the counterparty to connect).
    #[arg(long, value_name = "HOST:PORT")]
    pub to: Option<String>,
    /// Live: configuration whose session we play (CompIDs, version,
    /// timers). Offline (optional): the timers, resets and validation of
    /// the session with the captured CompIDs (else of our side's role).
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Live: pacing of the captured messages: 1x, 10x, ... or max.
    #[arg(long, default_value = "1x")]
    pub speed: Speed,
    /// Live: a key field compared in the answers (repeatable; replaces the
    /// default ClOrdID, OrigClOrdID, OrdStatus, ExecType, Side, Symbol,
    /// OrderQty, CumQty, LeavesQty, CxlRejReason, 373, 380).
    #[arg(long = "key", value_name = "TAG")]
    pub keys: Vec<Tag>,
    /// Live: a body timestamp field set to the send time, e.g. 60
    /// (TransactTime) for a counterparty that checks it (repeatable).
    #[arg(long, value_name = "TAG")]
    pub restamp: Vec<Tag>,
    /// Live: write the full diff report here (JSON with --json); stdout
    /// gets a summary.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Live: seconds of quiet to wait for answers after the last send.
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub wait: f64,
    /// Offline: one JSON object per event, then a summary object. Live:
    /// the report as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Offline: keep the clock running SECS after the last captured
    /// message (shows a silent peer's TestRequest and timeout).
    #[arg(long, value_name = "SECS", default_value_t = 0.0)]
    pub tail: f64,
    /// Offline: no dictionary validation of inbound messages.
    #[arg(long)]
    pub no_validate: bool,
    /// Offline: do not check SendingTime against the captured clock.
    #[arg(long)]
    pub no_latency_check: bool,
}

/// Runs `ringfix replay`.
pub fn run(args: &ReplayArgs) -> ExitCode {
    let result = if args.offline {
        run_offline(args)
    } else if let Some(to) = &args.to {
        match &args.report {
            Some(r) => check_report(r).and_then(|()| run_live(args, to)),
            None => run_live(args, to),
        }
    } else {
        Err(ReplayError::Config(
            "say --offline, or --to HOST:PORT --config FILE --side SIDE for a live replay".into(),
        ))
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("ringfix replay: {e}");
            ExitCode::from(2)
        }
    }
}

fn run_offline(args: &ReplayArgs) -> Result<ExitCode, ReplayError> {
    let cap = Capture::load(&args.file)?;
    for p in &cap.problems {
        eprintln!("warning: {p}");
    }
    if cap.profile.basis == "first-message" && args.side.is_none() {
        eprintln!(
            "warning: no Logon and no TCP handshake in the capture: the receiver of the \
             first message is taken as the acceptor (say --side to choose)"
        );
    }
    let side = args.side.unwrap_or(Side::Acceptor);
    let mut opts = OfflineOptions {
        side,
        check_latency: !args.no_latency_check,
        tail_nanos: (args.tail.max(0.0) * 1e9) as i64,
        ..OfflineOptions::default()
    };
    if let Some(path) = &args.config {
        let cfg = settings::load(path)?;
        let ids = (cap.profile.comp_id(side), cap.profile.comp_id(side.other()));
        let s = settings::pick(&cfg, path, side, Some(ids))?;
        opts.settings = Some(session_settings(s));
        opts.validate = Dictionaries::of(s);
    }
    if args.no_validate {
        opts.validate = None;
    }
    let stdout = io::stdout();
    let mut w = io::BufWriter::new(stdout.lock());
    let mut failed: Option<io::Error> = None;
    let json = args.json;
    let summary = replay_offline(&cap, &opts, &mut |e| {
        if failed.is_none() {
            let r = if json {
                writeln!(w, "{}", e.json())
            } else {
                writeln!(w, "{}", e.text())
            };
            failed = r.err();
        }
    })?;
    if let Some(e) = failed {
        return Err(e.into());
    }
    write_summary(&mut w, &summary, &opts, cap.profile.basis, json)?;
    w.flush()?;
    Ok(ExitCode::SUCCESS)
}

fn write_summary(
    w: &mut dyn Write,
    s: &OfflineSummary,
    opts: &OfflineOptions,
    basis: &str,
    json: bool,
) -> io::Result<()> {
    if json {
        let v = json!({
            "event": "summary",
            "session": s.session,
            "side": opts.side.name(),
            "sides_from": basis,
            "received": s.received,
            "sent": s.sent,
            "rejects": s.rejects,
            "timers": s.timers,
            "closes": s.closes,
            "ignored": s.ignored,
            "final_state": s.final_state,
            "next_sender_seq": s.next_sender_seq,
            "next_target_seq": s.next_target_seq,
        });
        writeln!(w, "{v}")
    } else {
        writeln!(
            w,
            "replayed {} as {} (sides from {basis}): {} received, {} sent, {} rejects, \
             {} timers, {} closes, {} ignored; final state {}, next MsgSeqNum out {} in {}",
            s.session,
            opts.side.name(),
            s.received,
            s.sent,
            s.rejects,
            s.timers,
            s.closes,
            s.ignored,
            s.final_state,
            s.next_sender_seq,
            s.next_target_seq
        )
    }
}
