//! The runnable engine: from an [`EngineConfig`] to running sessions.
//!
//! [`Runtime::start`] builds one store per session (a `FileStore` under
//! `FileStorePath`, else a `MemoryStore`), a dictionary validator, an
//! application instance, an optional FileLog; one reactor per reactor group
//! (`ReactorCore` / `ReactorMode`); a listener per acceptor address and a
//! supervisor thread that connects initiators (connect timeout, reconnect
//! with the configured backoff, schedules) and decides when the runtime
//! ends. Sessions move between their slot (disconnected) and the
//! connection handler (connected), so the reactor thread never locks on the
//! message path. Only this module and the reactor read clocks.
//!
//! ```no_run
//! use ringfix_engine::config::EngineConfig;
//! use ringfix_engine::runtime::Runtime;
//! use ringfix_engine::session::Application;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let cfg = EngineConfig::load("acceptor.cfg".as_ref())?;
//! let rt = Runtime::start(&cfg, Box::new(|_s: &ringfix_engine::config::SessionSettings| {
//!     Box::new(ringfix_engine::apps::echo::Echo::new()) as Box<dyn Application + Send>
//! }))?;
//! let stop = rt.stopper(); // stop.stop() from a signal handler thread
//! let mut rt = rt;
//! let exit = rt.wait();
//! # let _ = (stop, exit); Ok(()) }
//! ```

mod build;
mod conn;
mod core;
mod events;
mod guard;
mod ha;
#[doc(hidden)]
pub mod hops;
mod listen;
mod log;
mod sockets;
mod stats;
mod store;
mod supervisor;
mod xsend;

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};
use std::thread::JoinHandle;

pub use self::build::{session_settings, store_id, store_options, ValidatorSpec};
pub use self::conn::Conn;
pub use self::core::Counters;
pub use self::guard::{LogonGuardReport, LogonGuardStats};
pub use self::log::{FileLog, LogSink, RedactingWriter, TraceRedaction};
pub use self::store::RuntimeStore;
pub use self::xsend::{SenderDraft, SessionSender, Ticket, TicketStatus, TrySendError};

use crate::config::{EngineConfig, SessionEnd, SessionId, SessionSettings};
use crate::reactor::ReactorError;
use crate::store::StoreError;

/// Builds the application of each session.
pub type AppFactory =
    Box<dyn FnMut(&SessionSettings) -> Box<dyn crate::session::Application + Send> + Send>;

/// Why the runtime could not start (or failed while running).
#[derive(Debug, thiserror::Error)]
pub enum RuntimeError {
    /// A data dictionary could not be loaded.
    #[error("data dictionary: {0}")]
    Dictionary(ringfix_codec::dict::DictError),
    /// A store could not be opened or reset.
    #[error("store of {session}: {source}")]
    Store {
        /// The session.
        session: String,
        /// The store error.
        source: StoreError,
    },
    /// A reactor could not start or listen.
    #[error("reactor: {0}")]
    Reactor(#[from] ReactorError),
    /// A session's TLS settings cannot be used (certificate, key or CA files).
    #[error("TLS settings of {session}: {source}")]
    Tls {
        /// The session.
        session: String,
        /// What is wrong.
        source: crate::reactor::TlsConfigError,
    },
    /// A `LogonCredentialsFile` or `LogonPasswordFile` cannot be used
    /// (its error names the file and line).
    #[error("security settings of {session}: {source}")]
    Secrets {
        /// The session.
        session: String,
        /// What is wrong, where.
        source: crate::config::CredentialsError,
    },
    /// An address did not resolve.
    #[error("address {0}: cannot resolve")]
    Resolve(String),
    /// A configured feature the runtime does not implement (refused
    /// rather than silently ignored).
    #[error("session {session}: {what} is not implemented by the runtime yet")]
    Unsupported {
        /// The session.
        session: String,
        /// The feature, e.g. `SocketUseSSL=Y`.
        what: &'static str,
    },
    /// The configuration has no session.
    #[error("the configuration has no session")]
    NoSession,
    /// Hot standby could not start (a duplicate HaNodeName, the
    /// replication address taken, ...).
    #[error("hot standby: {0}")]
    Ha(#[from] crate::ha::HaError),
    /// Log files or threads could not be created.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// `MetricsListen` cannot be served (cannot bind, or no statistics
    /// page to serve).
    #[error("MetricsListen={addr}: {source}")]
    MetricsListen {
        /// The configured `HOST:PORT`.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
}

/// How the runtime ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// Stopped on request, or every initiator session finished.
    Clean,
    /// A session ended on a fatal session error with `StopOnFatalError=Y`.
    Fatal(SessionId),
}

impl Exit {
    /// The process exit code a supervisor can tell apart: 0 clean, 2 fatal.
    pub fn code(&self) -> u8 {
        match self {
            Self::Clean => 0,
            Self::Fatal(_) => 2,
        }
    }
}

/// Messages to the supervisor thread.
pub(crate) enum Event {
    /// A session's connection ended.
    Ended {
        idx: usize,
        end: SessionEnd,
        logged_on: bool,
    },
    /// Stop every session gracefully.
    Stop,
    /// Hot standby: leadership changed.
    Ha(crate::ha::HaEvent),
}

/// Asks a running runtime to stop (cloneable, usable from any thread).
#[derive(Clone)]
pub struct Stopper {
    tx: mpsc::Sender<Event>,
}

impl Stopper {
    /// Graceful stop: every logged-on session logs out, stores are
    /// flushed, [`Runtime::wait`] returns.
    pub fn stop(&self) {
        let _ = self.tx.send(Event::Stop);
    }
}

/// A snapshot of one session's counters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionReport {
    /// The session.
    pub id: SessionId,
    /// Complete messages received.
    pub messages_in: u64,
    /// New messages sent.
    pub messages_out: u64,
    /// Next MsgSeqNum we send.
    pub next_sender_seq: u64,
    /// Next MsgSeqNum expected from the peer.
    pub next_target_seq: u64,
    /// Logons completed.
    pub logons: u64,
    /// Rejects (35=3) and BusinessMessageRejects (35=j) sent.
    pub rejects_sent: u64,
    /// Rejects and BusinessMessageRejects received.
    pub rejects_received: u64,
    /// Inbound messages the data dictionary refused.
    pub validation_failures: u64,
    /// ResendRequests sent.
    pub resend_requests_sent: u64,
    /// ResendRequests received.
    pub resend_requests_received: u64,
    /// MsgSeqNum gaps found.
    pub sequence_gaps: u64,
}

fn metrics_error(hp: &crate::config::HostPort, source: std::io::Error) -> RuntimeError {
    let addr = if hp.host.contains(':') {
        format!("[{}]:{}", hp.host, hp.port)
    } else {
        format!("{}:{}", hp.host, hp.port)
    };
    RuntimeError::MetricsListen { addr, source }
}

/// A running engine.
pub struct Runtime {
    stopper: Stopper,
    listen: Vec<SocketAddr>,
    sessions: Vec<(SessionId, Arc<Counters>, Arc<xsend::XSlot>)>,
    thread: Option<JoinHandle<Exit>>,
    exit: Exit,
    /// Live statistics page, removed when the runtime is dropped.
    stats: Option<crate::stats::StatsPublisher>,
    reactors: Vec<crate::reactor::Remote<conn::Conn>>,
    /// The `MetricsListen` server (`/metrics`, `/health`).
    metrics: Option<crate::stats::http::MetricsServer>,
    /// Refused Logons and connections closed at accept, every listener.
    logon_guard: Arc<LogonGuardStats>,
}

impl Runtime {
    /// Starts every session of `config`: reactors, listeners, initiator
    /// connections. `apps` builds each session's application.
    pub fn start(config: &EngineConfig, apps: AppFactory) -> Result<Self, RuntimeError> {
        // Bound before any session runs: a port in use fails the start.
        let metrics = config
            .metrics_listen()
            .map(|hp| {
                crate::stats::http::MetricsListener::bind(hp)
                    .map_err(|source| metrics_error(hp, source))
            })
            .transpose()?;
        let started = supervisor::start(config, apps)?;
        let mut rt = Self {
            stopper: Stopper { tx: started.tx },
            listen: started.listen,
            sessions: started.sessions,
            thread: Some(started.thread),
            exit: Exit::Clean,
            stats: started.stats,
            reactors: started.reactors,
            metrics: None,
            logon_guard: started.logon_guard,
        };
        if let (Some(listener), Some(hp)) = (metrics, config.metrics_listen()) {
            let specs = config
                .sessions
                .iter()
                .map(|s| crate::stats::health::HealthSpec {
                    role: s.role,
                    schedule: s.schedule.clone(),
                })
                .collect();
            let served = match rt.stats_page() {
                Some(page) => listener.serve(page, specs),
                None => Err(std::io::Error::other("no statistics page to serve")),
            };
            // Dropping `rt` stops the sessions just started.
            rt.metrics = Some(served.map_err(|source| metrics_error(hp, source))?);
        }
        Ok(rt)
    }

    /// Where `MetricsListen` serves `/metrics` and `/health` (port 0 in
    /// the configuration picks a free port: this tells which).
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics.as_ref().map(|m| m.local_addr())
    }

    /// Counters of every reactor (connections accepted, refused at accept
    /// by `MaxConnections` or `AllowedRemoteAddresses`, bytes, ...).
    pub fn reactor_stats(&self) -> Vec<crate::reactor::StatsSnapshot> {
        self.reactors.iter().map(|r| r.stats().snapshot()).collect()
    }

    /// Logons refused on the listeners (unknown CompIDs, outside session
    /// time, bad credentials, refused by the application) and connections
    /// closed at accept past `MaxFailedLogonsPerMinute`.
    pub fn logon_guard(&self) -> LogonGuardReport {
        self.logon_guard.report()
    }

    /// The bound listener addresses (port 0 in the configuration picks a
    /// free port: this tells which).
    pub fn listen_addrs(&self) -> &[SocketAddr] {
        &self.listen
    }

    /// The live statistics page `ringfix stats` reads, if it could be
    /// created (`ringfix_engine::stats`).
    pub fn stats_page(&self) -> Option<&std::path::Path> {
        self.stats.as_ref().map(|p| p.path())
    }

    /// A handle to stop the runtime from another thread.
    pub fn stopper(&self) -> Stopper {
        self.stopper.clone()
    }

    /// Live counters of every session, in configuration order.
    pub fn sessions(&self) -> Vec<SessionReport> {
        self.sessions
            .iter()
            .map(|(id, c, _)| SessionReport {
                id: id.clone(),
                messages_in: c.messages_in.load(Ordering::Relaxed),
                messages_out: c.messages_out.load(Ordering::Relaxed),
                next_sender_seq: c.next_sender_seq.load(Ordering::Relaxed),
                next_target_seq: c.next_target_seq.load(Ordering::Relaxed),
                logons: c.logons.load(Ordering::Relaxed),
                rejects_sent: c.rejects_sent.load(Ordering::Relaxed),
                rejects_received: c.rejects_received.load(Ordering::Relaxed),
                validation_failures: c.validation_failures.load(Ordering::Relaxed),
                resend_requests_sent: c.resend_requests_sent.load(Ordering::Relaxed),
                resend_requests_received: c.resend_requests_received.load(Ordering::Relaxed),
                sequence_gaps: c.sequence_gaps.load(Ordering::Relaxed),
            })
            .collect()
    }

    /// The live counters of every session, in configuration order (for
    /// instance their [`Counters::internal_latency`]).
    pub fn counters(&self) -> Vec<(SessionId, Arc<Counters>)> {
        self.sessions
            .iter()
            .map(|(id, c, _)| (id.clone(), Arc::clone(c)))
            .collect()
    }

    /// A lock-free sender to the session `id` from any thread (see
    /// [`SessionSender`]); the first call for a session makes its queue with
    /// `capacity` slots, later calls share it.
    pub fn sender(&self, id: &SessionId, capacity: usize) -> Option<SessionSender> {
        self.sessions
            .iter()
            .find(|(sid, _, _)| sid == id)
            .map(|(_, _, xslot)| xslot.sender(capacity))
    }

    /// Waits until the runtime ends: stopped through a [`Stopper`], every
    /// initiator session finished, or a fatal error with
    /// `StopOnFatalError=Y`. Sessions are logged out and stores flushed.
    /// [`sessions`](Self::sessions) still answers afterwards.
    pub fn wait(&mut self) -> Exit {
        if let Some(t) = self.thread.take() {
            self.exit = match t.join() {
                Ok(exit) => exit,
                Err(_) => Exit::Clean,
            };
            for (_, _, xslot) in &self.sessions {
                xslot.close();
            }
            if let Some(m) = &mut self.metrics {
                m.stop();
            }
        }
        self.exit.clone()
    }
}

impl Drop for Runtime {
    fn drop(&mut self) {
        if let Some(t) = self.thread.take() {
            self.stopper.stop();
            let _ = t.join();
        }
    }
}
