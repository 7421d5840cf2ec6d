//! Building, starting and stopping an engine; cross-thread senders.

use std::net::SocketAddr;
use std::path::Path;

use ringfix_engine::config::{
    ConfigError, EngineConfig, SessionId, SessionSettings, SettingsError,
};
use ringfix_engine::runtime::{Exit, Runtime, RuntimeError, SessionReport, SessionSender, Stopper};
use ringfix_engine::session::Application;

/// Queue slots per session for [`SessionSender`]s unless
/// [`EngineBuilder::send_queue_capacity`] says otherwise.
pub const DEFAULT_SEND_QUEUE_CAPACITY: usize = 1024;

/// Why an engine could not be built or started.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The configuration file could not be read or parsed.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// A session's settings contradict each other.
    #[error(transparent)]
    Settings(#[from] SettingsError),
    /// The runtime could not start (store, dictionary, socket...).
    #[error(transparent)]
    Runtime(#[from] RuntimeError),
}

/// Builds an [`Engine`]: from a QuickFIX-style `.cfg` file, from an
/// [`EngineConfig`], or session by session in code.
#[derive(Debug, Clone)]
pub struct EngineBuilder {
    config: EngineConfig,
    queue_capacity: usize,
}

impl Default for EngineBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl EngineBuilder {
    /// A builder without sessions (add them with [`session`](Self::session)).
    pub fn new() -> Self {
        Self::from_config(EngineConfig {
            sessions: Vec::new(),
            warnings: Vec::new(),
        })
    }

    /// The sessions of a `.cfg` file (QuickFIX syntax, `[DEFAULT]` and
    /// `[SESSION]` sections).
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self, Error> {
        Ok(Self::from_config(EngineConfig::load(path.as_ref())?))
    }

    /// The sessions of an already parsed configuration.
    pub fn from_config(config: EngineConfig) -> Self {
        Self {
            config,
            queue_capacity: DEFAULT_SEND_QUEUE_CAPACITY,
        }
    }

    /// Adds a session, e.g. `SessionSettings::initiator(..)` or
    /// `SessionSettings::acceptor(..)` with fields adjusted.
    pub fn session(mut self, settings: SessionSettings) -> Self {
        self.config.sessions.push(settings);
        self
    }

    /// The sessions so far, to adjust before starting.
    pub fn sessions_mut(&mut self) -> &mut [SessionSettings] {
        &mut self.config.sessions
    }

    /// The configuration so far (including the file's warnings).
    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Slots of each session's cross-thread send queue (default
    /// [`DEFAULT_SEND_QUEUE_CAPACITY`]); memory is taken only for sessions
    /// a [`SessionSender`] is asked for.
    pub fn send_queue_capacity(mut self, slots: usize) -> Self {
        self.queue_capacity = slots.max(1);
        self
    }

    /// Validates every session and starts the engine: reactor threads,
    /// listeners, initiator connections. `app` builds each session's
    /// application; its callbacks run on the session's reactor thread.
    pub fn start<A, F>(self, mut app: F) -> Result<Engine, Error>
    where
        A: Application + Send + 'static,
        F: FnMut(&SessionSettings) -> A + Send + 'static,
    {
        for s in &self.config.sessions {
            s.validate()?;
        }
        let factory =
            Box::new(move |s: &SessionSettings| Box::new(app(s)) as Box<dyn Application + Send>);
        let runtime = Runtime::start(&self.config, factory)?;
        let ids = self.config.sessions.iter().map(|s| s.id.clone()).collect();
        Ok(Engine {
            runtime,
            ids,
            queue_capacity: self.queue_capacity,
        })
    }
}

/// A running engine. Dropping it stops it (graceful logout) and waits.
pub struct Engine {
    runtime: Runtime,
    ids: Vec<SessionId>,
    queue_capacity: usize,
}

impl Engine {
    /// The configured sessions, in configuration order.
    pub fn session_ids(&self) -> &[SessionId] {
        &self.ids
    }

    /// A cloneable sender to session `id` usable from any thread, `None`
    /// for an unknown session. Every call shares the session's one queue.
    pub fn sender(&self, id: &SessionId) -> Option<SessionSender> {
        self.runtime.sender(id, self.queue_capacity)
    }

    /// The bound listener addresses (a configured port 0 picks a free port).
    pub fn listen_addrs(&self) -> &[SocketAddr] {
        self.runtime.listen_addrs()
    }

    /// Where `MetricsListen` serves `/metrics` and `/health`, if set.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.runtime.metrics_addr()
    }

    /// Live counters of every session.
    pub fn sessions(&self) -> Vec<SessionReport> {
        self.runtime.sessions()
    }

    /// A handle that stops the engine from any thread (e.g. a signal thread).
    pub fn stopper(&self) -> Stopper {
        self.runtime.stopper()
    }

    /// Asks for a graceful stop: logged-on sessions send Logout and wait
    /// for the answer (LogoutTimeout), stores are flushed. Returns at once;
    /// [`wait`](Self::wait) returns when it is done.
    pub fn stop(&self) {
        self.runtime.stopper().stop();
    }

    /// Blocks until the engine ends: stopped, every initiator session
    /// finished (its application said so), or a fatal error with
    /// `StopOnFatalError=Y`. Senders refuse with `SessionClosed` afterwards.
    pub fn wait(&mut self) -> Exit {
        self.runtime.wait()
    }

    /// [`stop`](Self::stop), then [`wait`](Self::wait).
    pub fn stop_and_wait(mut self) -> Exit {
        self.stop();
        self.wait()
    }
}
