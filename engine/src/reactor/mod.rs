//! The reactor: the only code that makes syscalls. One thread pinned to a
//! core owns one io_uring ring and many connections, and drives a
//! [`ConnectionHandler`] per connection.
//!
//! Invariant (counted in [`StatsSnapshot`]): every open connection has a Recv
//! linked to a timeout at the handler's deadline in flight, or is closing.

mod buffers;
mod close;
mod config;
mod conn;
mod control;
mod event_loop;
mod handler;
mod io;
mod ring;
mod stats;
mod sys;

pub use config::{Mode, ReactorConfig, ReactorError};
pub use control::{Factory, ReactorHandle, Remote};
pub use handler::{
    AcceptInfo, CloseMode, CloseReason, ConnId, ConnectionHandler, Ctx, Framed, UtcTimestamp,
};
pub use stats::{ReactorStats, StatsSnapshot};

use control::Shared;
use std::sync::{mpsc, Arc};

/// Starts a reactor on its own thread (pinned to `config.core` if set).
pub fn spawn<H: ConnectionHandler + Send + 'static>(
    config: ReactorConfig,
) -> Result<ReactorHandle<H>, ReactorError> {
    let shared = Arc::new(Shared::new(config.mode)?);
    let remote = Remote {
        shared: Arc::clone(&shared),
    };
    let (tx, rx) = mpsc::sync_channel(1);
    let thread = std::thread::Builder::new()
        .name("ringfix-reactor".into())
        .spawn(move || {
            if let Some(core) = config.core {
                if !core_affinity::set_for_current(core_affinity::CoreId { id: core }) {
                    tracing::warn!(core, "could not pin the reactor thread");
                }
            }
            if config.mlockall
                && unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE) } != 0
            {
                tracing::warn!(error = %std::io::Error::last_os_error(), "mlockall");
            }
            // The ring is built on this thread: it is its single issuer.
            match event_loop::Reactor::new(config, shared) {
                Ok(mut r) => {
                    let _ = tx.send(Ok(()));
                    r.run()
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                    Ok(())
                }
            }
        })
        .map_err(config::io_err("spawn reactor thread"))?;
    match rx.recv() {
        Ok(Ok(())) => Ok(ReactorHandle {
            remote,
            thread: Some(thread),
        }),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(ReactorError::Stopped),
    }
}
