//! The reactor: the only code that makes syscalls. One thread pinned to a
//! core owns one io_uring ring and many connections, and drives a
//! [`ConnectionHandler`] per connection.
//!
//! Design:
//! - **Deadlines.** Every Recv is submitted linked to a LinkTimeout at the
//!   handler's deadline (absolute, CLOCK_BOOTTIME: the monotonic clock of
//!   every deadline, which a wall-clock step does not move), so a trickle
//!   of bytes never moves it; only the handler does. Handlers get both
//!   clocks ([`Now`]): the wall clock only stamps. When the deadline
//!   changes without a read (after a send, a notify), the in-flight timeout is
//!   moved with a link-timeout update. Counted invariant ([`StatsSnapshot`]):
//!   `recvs_linked == recvs_submitted`, and `invariant_violations` counts open
//!   connections found without a Recv in flight (audited every busy turn in
//!   debug builds, every 4096 turns in release).
//! - **Receive buffers.** One per connection slot, in prefaulted mappings of
//!   64 slots (transparent huge pages advised) added as connections come, up
//!   to `max_connections`; an accepted connection past it is closed at once.
//!   Frames are handed out in place; a partial frame stays where it is and
//!   the next Recv appends after it; only when little room is left is the
//!   partial tail copied to the front.
//! - **Writes.** Handlers append to `out`; the in-flight Send owns `wire`; the
//!   two swap when `wire` is done (capacities kept: no allocation in steady
//!   state). A backlog grows them; once drained and no more than
//!   `outbound_capacity` was queued for `outbound_calm` (1 s), both shrink back to it
//!   (at the connection's next event), as they do when the slot is freed.
//!   Sends are linked to the deadline; large ones use SendZc. Queued bytes
//!   above `max_outbound_queue_bytes` reset that connection only.
//! - **Closing.** Close-now: cancel all on the fd, one non-blocking Send of
//!   what is queued; if all was taken shutdown + close, else SO_LINGER 0 +
//!   close. Graceful: stop reading, flush until the handler's deadline (a
//!   standalone timer bounds it), then the same. Cancel, shutdown/linger and
//!   close are hard-linked ring operations; no path waits for the peer's EOF.
//! - **Spin mode** enters the kernel only when there are submissions or the
//!   ring flags task work (DEFER_TASKRUN) or CQ overflow: a CQ-only poll would
//!   starve. **Block mode** waits in `io_uring_enter`; other threads wake it
//!   through an eventfd read by the ring. Commands (listen, connect, notify,
//!   stop) are drained every loop turn, and so are the lock-free wake marks
//!   of [`Remote::wake`] (one load when there are none).
//! - **Teardown.** However the reactor ends (stop, error, panic), its drop
//!   cancels every operation in flight and reaps until none is, before any
//!   buffer or fd is released ([`StatsSnapshot::teardown_in_flight`],
//!   [`StatsSnapshot::teardown_left`]). Sockets are `OwnedFd`s from
//!   creation until their Close is handed to the ring.
//! - **TLS** (rustls 0.23, `ring`; [`Remote::add_tls_listener`],
//!   [`Remote::connect_tls`]) runs on the reactor thread between the socket
//!   and the same buffers: the linked Recv lands in an 18 KiB ciphertext
//!   buffer, rustls decrypts straight into the receive buffer where frames
//!   are parsed in place; handlers still append plaintext to `out`, which is
//!   encrypted into `wire` when `wire` is free. `on_open` waits for the
//!   handshake, whose deadline ([`TlsServer::with_handshake_timeout`]) is
//!   the Recv's linked timeout meanwhile; failures close with
//!   [`CloseReason::Tls`] after rustls' alert. Without TLS nothing changes.

mod buffers;
mod close;
mod config;
mod conn;
mod control;
mod event_loop;
mod handler;
mod idle;
mod io;
mod open;
mod peer_cert;
pub mod probe;
mod ring;
mod sockopt;
mod stats;
mod sys;
mod teardown;
mod tls;
mod tls_io;
mod wake;

pub use config::{ConnectSpec, ListenSpec, Mode, ReactorConfig, ReactorError};
pub use control::{Factory, ReactorHandle, Remote};
pub use handler::{
    AcceptInfo, CloseMode, CloseReason, ConnId, ConnectionHandler, Ctx, Framed, MonoTime, Now,
    UtcTimestamp,
};
pub use peer_cert::PeerCertificate;
pub use sockopt::{AllowedPeers, SocketOptions};
pub use stats::{ReactorStats, StatsSnapshot};
pub use tls::{
    acceptor_uses_tls, load_certs, load_key, TlsClient, TlsConfigError, TlsFailure, TlsServer,
    DEFAULT_HANDSHAKE_TIMEOUT,
};

use control::Shared;
use std::sync::{mpsc, Arc};

/// A [`Remote`] with no reactor behind it: its commands are queued and
/// never served (a harness that drives a handler without a ring).
pub(crate) fn detached_remote<H>() -> Result<Remote<H>, ReactorError> {
    Ok(Remote {
        shared: Arc::new(Shared::new(Mode::Block, 1)?),
    })
}

/// Starts a reactor on its own thread (pinned to `config.core` if set).
pub fn spawn<H: ConnectionHandler + Send + 'static>(
    config: ReactorConfig,
) -> Result<ReactorHandle<H>, ReactorError> {
    let shared = Arc::new(Shared::new(config.mode, config.max_connections)?);
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
            if config.mlockall {
                // SAFETY: mlockall takes no pointers.
                let r = unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE) };
                if r != 0 {
                    tracing::warn!(error = %std::io::Error::last_os_error(), "mlockall");
                }
            }
            // The ring is built on this thread: it is its single issuer.
            match event_loop::Reactor::new(config, shared) {
                Ok(mut r) => {
                    let _ = tx.send(Ok(()));
                    let result = r.run();
                    // On every way out (this, an error, a panic unwinding)
                    // the drop cancels and reaps what is in flight before
                    // buffers and fds go (teardown.rs).
                    drop(r);
                    result
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
