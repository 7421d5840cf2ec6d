//! The engine subcommands: `acceptor`, `initiator`, `demo`. Shared here:
//! tracing set-up, configuration loading (exit 1 with file:line), signal
//! handling (SIGINT/SIGTERM -> graceful stop), exit codes.

pub mod acceptor;
pub mod demo;
pub mod initiator;
mod json_log;
pub mod report;

use std::path::Path;
use std::process::ExitCode;

use ringfix_engine::config::{ConfigWarning, EngineConfig};
use ringfix_engine::runtime::{Exit, Stopper, TraceRedaction};

/// Exit code for configuration and start-up errors.
pub const EXIT_CONFIG: u8 = 1;

/// How the event log and tracing are written to stderr.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line: ts, level, session, event, text and the
    /// event's fields.
    Json,
}

/// The tags masked in tracing output: the default password tags until a
/// configuration is loaded, then every session's `RedactFieldsInLogs`.
static TRACE_REDACTION: std::sync::LazyLock<TraceRedaction> =
    std::sync::LazyLock::new(TraceRedaction::default);

/// Logs to stderr in `format`, filtered by `RUST_LOG` (default `default`),
/// with the `RedactFieldsInLogs` tags' values masked.
pub fn init_tracing(default: &str, format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // A write error is dropped: tracing-subscriber would report it with
    // eprintln!, which panics when stderr is a closed pipe, killing the
    // thread that logged (a reactor, the signal handler).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(|| TRACE_REDACTION.writer(std::io::stderr()))
        .log_internal_errors(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .with_ansi(false)
            .event_format(json_log::JsonLines)
            .try_init(),
    };
}

/// Loads the configuration; on error prints it (`file:line: ...`).
pub fn load_config(path: &Path) -> Result<EngineConfig, ExitCode> {
    match EngineConfig::load(path) {
        Ok(cfg) => {
            TRACE_REDACTION.set(cfg.sessions.iter().map(|s| &s.security.redact));
            for w in &cfg.warnings {
                if matches!(w, ConfigWarning::NoEffect { .. }) {
                    tracing::info!("{w}");
                } else {
                    tracing::warn!("{w}");
                }
            }
            Ok(cfg)
        }
        Err(e) => {
            eprintln!("ringfix: configuration error: {e}");
            Err(ExitCode::from(EXIT_CONFIG))
        }
    }
}

/// Catches SIGINT and SIGTERM from now on: called before the runtime
/// starts, so a signal during start-up stops it gracefully once it is up
/// (the default action would kill the process and leave its stats page).
pub fn catch_signals() -> std::io::Result<signal_hook::iterator::Signals> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
}

/// Stops the runtime gracefully on the signals `catch_signals` caught.
pub fn stop_on_signals(
    mut signals: signal_hook::iterator::Signals,
    stopper: Stopper,
) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name("ringfix-signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                tracing::info!(signal = sig, "signal received: stopping");
                stopper.stop();
            }
        })?;
    Ok(())
}

/// A start-up failure: printed, exit 1.
pub fn startup_error(e: &dyn std::fmt::Display) -> ExitCode {
    eprintln!("ringfix: cannot start: {e}");
    ExitCode::from(EXIT_CONFIG)
}

/// The process exit code of a runtime's end.
pub fn exit_code(exit: &Exit) -> ExitCode {
    if let Exit::Fatal(id) = exit {
        eprintln!("ringfix: session {id} ended on a fatal error (StopOnFatalError=Y)");
    }
    ExitCode::from(exit.code())
}
