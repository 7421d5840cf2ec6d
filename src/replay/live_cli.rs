//! `ringfix replay --to`: configuration to [`LiveOptions`], the report.

use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use ringfix_engine::runtime::session_settings;
use serde_json::json;

use super::capture::{Capture, Side};
use super::cli::ReplayArgs;
use super::diff::DEFAULT_KEYS;
use super::live::{replay_live, LiveOptions, LiveOutcome};
use super::pacing::human;
use super::settings::{load, pick, Dictionaries};
use super::ReplayError;

/// Differences shown on stdout when the full report goes to a file.
const SHOWN: usize = 20;

/// Runs a live replay; exit 0 clean, 1 differences, 2 no logon.
pub(crate) fn run_live(args: &ReplayArgs, to: &str) -> Result<ExitCode, ReplayError> {
    let side = args.side.unwrap_or(Side::Initiator);
    let path = args
        .config
        .as_deref()
        .ok_or_else(|| ReplayError::Config("--to needs --config (our session)".into()))?;
    let cfg = load(path)?;
    let session = pick(&cfg, path, side, None)?;
    let cap = Capture::load(&args.file)?;
    for p in &cap.problems {
        eprintln!("warning: {p}");
    }
    let opts = LiveOptions {
        to: to.to_owned(),
        side,
        speed: args.speed,
        keys: if args.keys.is_empty() {
            DEFAULT_KEYS.to_vec()
        } else {
            args.keys.clone()
        },
        restamp: args.restamp.clone(),
        settings: session_settings(session),
        validator: match Dictionaries::of(session) {
            Some(d) => Some(d.validator(
                &session.id.begin_string,
                session.dictionaries.default_appl_ver_id.map(|v| v.code()),
            )?),
            None => None,
        },
        wait_nanos: (args.wait.max(0.0) * 1e9) as i64,
        progress: io::stderr().is_terminal(),
    };
    let mut outcome = replay_live(&cap, opts)?;
    outcome.diff.redact(&session.security.redact);
    let stdout = io::stdout();
    let mut w = stdout.lock();
    let header = format!(
        "replay of {} as {side_name} {} against {to}, speed {}",
        args.file,
        outcome.session,
        args.speed,
        side_name = side.name()
    );
    match &args.report {
        Some(file) => {
            let mut f = io::BufWriter::new(std::fs::File::create(file)?);
            if args.json {
                writeln!(f, "{}", report_json(&header, &outcome))?;
            } else {
                write_report(&mut f, &header, &outcome, usize::MAX)?;
            }
            f.flush()?;
            write_report(&mut w, &header, &outcome, SHOWN)?;
            writeln!(w, "report: {}", file.display())?;
        }
        None if args.json => writeln!(w, "{}", report_json(&header, &outcome))?,
        None => write_report(&mut w, &header, &outcome, usize::MAX)?,
    }
    Ok(if !outcome.logged_on {
        ExitCode::from(2)
    } else if outcome.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn write_report(w: &mut dyn Write, header: &str, o: &LiveOutcome, shown: usize) -> io::Result<()> {
    writeln!(w, "{header}")?;
    writeln!(
        w,
        "sent {}/{} captured messages; answers: {} live, {} captured, {} matched; logged on: {}; end: {}",
        o.sent,
        o.to_send,
        o.diff.live,
        o.diff.captured,
        o.diff.matched,
        if o.logged_on { "yes" } else { "no" },
        if o.end.is_empty() { "-" } else { &o.end }
    )?;
    let p = &o.pacing;
    if p.sends == 0 {
        writeln!(w, "pacing: no scheduled sends (max speed)")?;
    } else {
        writeln!(
            w,
            "pacing (lateness against schedule over {} sends): p50 {} p99 {} max {}",
            p.sends,
            human(p.p50),
            human(p.p99),
            human(p.max)
        )?;
    }
    if o.ungated > 0 {
        writeln!(
            w,
            "{} sends did not get the answer that preceded them in the capture",
            o.ungated
        )?;
    }
    writeln!(w, "differences: {}", o.diff.entries.len())?;
    for e in o.diff.entries.iter().take(shown) {
        writeln!(w, "  {}", e.text())?;
    }
    if o.diff.entries.len() > shown {
        writeln!(w, "  ... {} more", o.diff.entries.len() - shown)?;
    }
    Ok(())
}

fn report_json(header: &str, o: &LiveOutcome) -> serde_json::Value {
    json!({
        "replay": header,
        "session": o.session,
        "sent": o.sent,
        "ungated": o.ungated,
        "to_send": o.to_send,
        "logged_on": o.logged_on,
        "end": o.end,
        "answers": {"live": o.diff.live, "captured": o.diff.captured, "matched": o.diff.matched},
        "pacing_ns": {"sends": o.pacing.sends, "p50": o.pacing.p50, "p99": o.pacing.p99, "max": o.pacing.max},
        "differences": o.diff.entries.iter().map(|e| e.json()).collect::<Vec<_>>(),
    })
}

/// Whether `path` names a file that can be written (checked before a long replay).
pub(crate) fn check_report(path: &Path) -> Result<(), ReplayError> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map(drop)
        .map_err(|e| ReplayError::Config(format!("--report {}: {e}", path.display())))
}
