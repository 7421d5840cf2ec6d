//! Reactor settings and errors.

use super::sockopt::{AllowedPeers, SocketOptions};
use super::tls::{TlsClient, TlsServer};
use std::net::SocketAddr;
use std::time::Duration;

/// How the reactor waits for completions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Busy-poll the completion queue (enter the kernel only when the ring
    /// asks: pending task work, CQ overflow, or submissions).
    Spin,
    /// Submit and wait for at least one completion (or `block_timeout`).
    Block,
}

/// Settings for one reactor (one thread, one ring).
#[derive(Debug, Clone)]
pub struct ReactorConfig {
    /// Spin or block.
    pub mode: Mode,
    /// Longest single wait in `Block` mode (a safety net; wake-ups use an eventfd).
    pub block_timeout: Duration,
    /// Use a kernel submission-polling thread with this idle time (ms).
    pub sqpoll_idle_ms: Option<u32>,
    /// Defer kernel task work to our own kernel entries (`DEFER_TASKRUN`,
    /// needs a single issuer; ignored with SQPOLL).
    pub defer_taskrun: bool,
    /// Pin the reactor thread to this core.
    pub core: Option<usize>,
    /// Submission queue entries (the completion queue is twice as large).
    pub ring_entries: u32,
    /// Most connections this reactor holds at once. Slots (state and a
    /// prefaulted receive buffer each) are added in chunks of 64 as needed;
    /// an accepted connection beyond this is closed at once.
    pub max_connections: usize,
    /// Receive buffer per connection; the largest frame that fits.
    pub recv_buffer_bytes: usize,
    /// Base capacity of each outbound buffer: kept and reused; a buffer a
    /// backlog grew past it shrinks back once drained and calm for
    /// [`outbound_calm`](Self::outbound_calm).
    pub outbound_capacity: usize,
    /// How long a connection's outbound buffers, grown by a backlog, must
    /// see no more than their base capacity queued before they are given
    /// back (`OutboundCalmPeriod`, default 1 s).
    pub outbound_calm: Duration,
    /// A connection whose unsent bytes exceed this is closed.
    pub max_outbound_queue_bytes: usize,
    /// Deadline used when a handler returns none.
    pub default_deadline: Duration,
    /// Ask for transparent huge pages for the buffer region.
    pub huge_pages: bool,
    /// Call `mlockall(MCL_CURRENT | MCL_FUTURE)` at start.
    pub mlockall: bool,
    /// Sends of at least this many bytes use SendZc (zero-copy pays only for
    /// large writes: it pins pages and costs an extra completion).
    pub send_zc_min_bytes: Option<usize>,
}

impl Default for ReactorConfig {
    fn default() -> Self {
        Self {
            mode: Mode::Block,
            block_timeout: Duration::from_secs(1),
            sqpoll_idle_ms: None,
            defer_taskrun: true,
            core: None,
            ring_entries: 1024,
            max_connections: 1024,
            recv_buffer_bytes: 64 * 1024,
            outbound_capacity: 64 * 1024,
            outbound_calm: Duration::from_secs(1),
            max_outbound_queue_bytes: 8 * 1024 * 1024,
            default_deadline: Duration::from_secs(30),
            huge_pages: true,
            mlockall: false,
            send_zc_min_bytes: Some(64 * 1024),
        }
    }
}

/// A listener: where, and how its socket is set up.
#[derive(Clone, Debug)]
pub struct ListenSpec {
    /// Address to bind (port 0 picks one).
    pub addr: SocketAddr,
    /// While the address is in use (EADDRINUSE), keep retrying the bind
    /// this long before giving up: a crashed predecessor's listening
    /// socket outlives it while the kernel tears its ring down
    /// (`SocketAcceptRetryTimeout`). Zero: fail at once.
    pub bind_retry: Duration,
    /// Options set on the listening socket, which accepted ones inherit.
    pub socket: SocketOptions,
    /// Only these peers: any other is closed at accept, before a byte is
    /// read (`AllowedRemoteAddresses`).
    pub allowed: Option<AllowedPeers>,
    /// TLS for every accepted connection.
    pub tls: Option<TlsServer>,
}

impl ListenSpec {
    /// Plain TCP on `addr`, no bind retry, default options, anyone.
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            bind_retry: Duration::ZERO,
            socket: SocketOptions::default(),
            allowed: None,
            tls: None,
        }
    }
}

/// An outbound connection: where to, from where, how.
#[derive(Clone, Debug)]
pub struct ConnectSpec {
    /// The peer.
    pub addr: SocketAddr,
    /// The Connect is linked to this timeout (`SocketConnectTimeout`).
    pub timeout: Duration,
    /// Bind the socket here before connecting (`SocketConnectSourceHost`/
    /// `Port`, `SocketLocalHost`/`Port`); a fixed port sets SO_REUSEADDR.
    pub local: Option<SocketAddr>,
    /// Options set before connecting.
    pub socket: SocketOptions,
    /// TLS after the connect, before `on_open`.
    pub tls: Option<TlsClient>,
}

impl ConnectSpec {
    /// Plain TCP to `addr` within `timeout`, from any local address.
    pub fn new(addr: SocketAddr, timeout: Duration) -> Self {
        Self {
            addr,
            timeout,
            local: None,
            socket: SocketOptions::default(),
            tls: None,
        }
    }
}

/// Reactor failures.
#[derive(Debug, thiserror::Error)]
pub enum ReactorError {
    /// A system call failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: &'static str,
        /// The OS error.
        source: std::io::Error,
    },
    /// The settings cannot work.
    #[error("invalid reactor config: {0}")]
    Config(&'static str),
    /// The address stayed in use for the whole bind retry time.
    #[error("listen on {addr}: address still in use after {waited:?} of retries (SocketAcceptRetryTimeout)")]
    AddressInUse {
        /// The address to bind.
        addr: SocketAddr,
        /// How long the bind was retried.
        waited: Duration,
    },
    /// The reactor thread is gone.
    #[error("reactor thread stopped")]
    Stopped,
}

pub(crate) fn io_err(context: &'static str) -> impl FnOnce(std::io::Error) -> ReactorError {
    move |source| ReactorError::Io { context, source }
}
