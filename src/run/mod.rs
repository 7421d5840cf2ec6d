//! The engine subcommands: `acceptor`, `initiator`, `demo`. Shared here:
//! tracing set-up, configuration loading (exit 1 with file:line), signal
//! handling (SIGINT/SIGTERM -> graceful stop), exit codes.

pub mod acceptor;
pub mod demo;
pub mod initiator;
pub mod report;

use std::path::Path;
use std::process::ExitCode;

use ringfix_engine::config::{ConfigWarning, EngineConfig};
use ringfix_engine::runtime::{Exit, Stopper};

/// Exit code for configuration and start-up errors.
pub const EXIT_CONFIG: u8 = 1;

/// Logs to stderr, filtered by `RUST_LOG` (default `default`).
pub fn init_tracing(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Loads the configuration; on error prints it (`file:line: ...`).
pub fn load_config(path: &Path) -> Result<EngineConfig, ExitCode> {
    match EngineConfig::load(path) {
        Ok(cfg) => {
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

/// Stops the runtime gracefully on SIGINT or SIGTERM.
pub fn stop_on_signals(stopper: Stopper) -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
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
