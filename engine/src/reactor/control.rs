//! The control surface other threads use: a command queue the reactor drains
//! every loop turn, and an eventfd (read through the ring) to wake it when it
//! blocks.

use super::config::{io_err, ConnectSpec, ListenSpec, Mode, ReactorError};
use super::handler::{AcceptInfo, ConnId};
use super::stats::ReactorStats;
use super::sys;
use super::tls::{TlsClient, TlsServer};
use super::wake::WakeSet;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// Builds the handler of a newly accepted connection (or refuses it).
pub type Factory<H> = Box<dyn FnMut(&AcceptInfo) -> Option<H> + Send>;

pub(crate) enum Command<H> {
    Listen {
        /// Closed if the command is dropped unserved (reactor gone).
        fd: OwnedFd,
        local: SocketAddr,
        factory: Factory<H>,
        spec: ListenSpec,
    },
    Connect {
        spec: ConnectSpec,
        handler: H,
    },
    Notify(ConnId),
    /// Close the listener bound to this address (connections stay).
    Unlisten(SocketAddr),
    Stop,
}

pub(crate) struct Shared<H> {
    pub(crate) queue: Mutex<Vec<Command<H>>>,
    pub(crate) pending: AtomicBool,
    /// The reactor is gone: commands are refused (and dropped, closing
    /// any socket they carry). Set under the queue lock.
    pub(crate) closed: AtomicBool,
    pub(crate) eventfd: OwnedFd,
    pub(crate) mode: Mode,
    pub(crate) stats: ReactorStats,
    /// Connections woken by [`Remote::wake`], polled every loop turn.
    pub(crate) wakes: WakeSet,
}

impl<H> Shared<H> {
    pub(crate) fn new(mode: Mode, max_connections: usize) -> Result<Self, ReactorError> {
        // SAFETY: eventfd takes no pointers.
        let fd = unsafe { libc::eventfd(0, libc::EFD_CLOEXEC | libc::EFD_NONBLOCK) };
        if fd < 0 {
            return Err(io_err("eventfd")(std::io::Error::last_os_error()));
        }
        // SAFETY: `fd` was just created by eventfd and nothing else owns it.
        let eventfd = unsafe { OwnedFd::from_raw_fd(fd) };
        let kick = (mode == Mode::Block).then_some(fd);
        Ok(Self {
            queue: Mutex::new(Vec::with_capacity(64)),
            pending: AtomicBool::new(false),
            closed: AtomicBool::new(false),
            eventfd,
            mode,
            stats: ReactorStats::default(),
            // The eventfd lives as long as the set: both are fields of `Self`.
            wakes: WakeSet::new(max_connections, kick),
        })
    }

    /// The reactor is gone: drops what is queued (closing the sockets of
    /// unserved listens) and refuses what comes later.
    pub(crate) fn close(&self) {
        let mut q = self
            .queue
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        self.closed.store(true, Ordering::Relaxed);
        let queued = std::mem::take(&mut *q);
        drop(q);
        drop(queued);
    }

    /// Swaps the queued commands into `into` (which must be empty).
    pub(crate) fn drain(&self, into: &mut Vec<Command<H>>) {
        if !self.pending.swap(false, Ordering::AcqRel) {
            return;
        }
        if let Ok(mut q) = self.queue.lock() {
            std::mem::swap(&mut *q, into);
        }
    }

    fn push(&self, cmd: Command<H>) -> Result<(), ReactorError> {
        let mut q = self.queue.lock().map_err(|_| ReactorError::Stopped)?;
        if self.closed.load(Ordering::Relaxed) {
            return Err(ReactorError::Stopped);
        }
        q.push(cmd);
        drop(q);
        self.pending.store(true, Ordering::Release);
        if self.mode == Mode::Block {
            let one: u64 = 1;
            // EAGAIN only if the counter is saturated: the reactor wakes anyway.
            // SAFETY: writes 8 bytes from a live u64 to our open eventfd.
            unsafe { libc::write(self.eventfd.as_raw_fd(), (&one as *const u64).cast(), 8) };
        }
        Ok(())
    }
}

/// A cloneable, thread-safe way to command a running reactor.
pub struct Remote<H> {
    pub(crate) shared: Arc<Shared<H>>,
}

impl<H> Clone for Remote<H> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<H: Send + 'static> Remote<H> {
    /// Binds and listens on `addr` (port 0 picks one); accepted connections
    /// get a handler from `factory`. Returns the bound address.
    pub fn add_listener(
        &self,
        addr: SocketAddr,
        factory: Factory<H>,
    ) -> Result<SocketAddr, ReactorError> {
        self.listen(ListenSpec::new(addr), factory)
    }

    /// As [`Self::add_listener`], with TLS: the handler's `on_open` comes
    /// once the handshake completes within `tls`' handshake timeout.
    pub fn add_tls_listener(
        &self,
        addr: SocketAddr,
        tls: TlsServer,
        factory: Factory<H>,
    ) -> Result<SocketAddr, ReactorError> {
        let spec = ListenSpec {
            tls: Some(tls),
            ..ListenSpec::new(addr)
        };
        self.listen(spec, factory)
    }

    /// Binds and listens as `spec` says (the bind happens here, on the
    /// caller's thread: an address in use is retried for
    /// `spec.bind_retry`); returns the bound address.
    pub fn listen(
        &self,
        spec: ListenSpec,
        factory: Factory<H>,
    ) -> Result<SocketAddr, ReactorError> {
        let (fd, local) = sys::listen_retrying(&spec, 1024)?;
        let cmd = Command::Listen {
            fd,
            local,
            factory,
            spec,
        };
        // On failure the command, and with it the socket, is dropped.
        self.shared.push(cmd)?;
        Ok(local)
    }

    /// Connects to `addr` within `timeout`; `handler` learns the outcome
    /// (`on_open`, or `on_closed` with a connect failure).
    pub fn connect(
        &self,
        addr: SocketAddr,
        timeout: Duration,
        handler: H,
    ) -> Result<(), ReactorError> {
        self.connect_with(ConnectSpec::new(addr, timeout), handler)
    }

    /// As [`Self::connect`], then a TLS handshake within `tls`' handshake
    /// timeout before `on_open`.
    pub fn connect_tls(
        &self,
        addr: SocketAddr,
        timeout: Duration,
        tls: TlsClient,
        handler: H,
    ) -> Result<(), ReactorError> {
        let spec = ConnectSpec {
            tls: Some(tls),
            ..ConnectSpec::new(addr, timeout)
        };
        self.connect_with(spec, handler)
    }

    /// Connects as `spec` says; `handler` learns the outcome.
    pub fn connect_with(&self, spec: ConnectSpec, handler: H) -> Result<(), ReactorError> {
        self.shared.push(Command::Connect { spec, handler })
    }

    /// Calls the connection's `on_notify` on the reactor thread (next turn).
    pub fn notify(&self, id: ConnId) -> Result<(), ReactorError> {
        self.shared.push(Command::Notify(id))
    }

    /// Closes the listener bound to `local` (as returned by
    /// [`add_listener`](Self::add_listener)); its accepted connections
    /// stay. Hot standby: a node that stops leading stops listening.
    pub fn remove_listener(&self, local: SocketAddr) -> Result<(), ReactorError> {
        self.shared.push(Command::Unlisten(local))
    }

    /// Graceful stop: listeners close, every connection gets `on_stop`, and
    /// the reactor thread ends once all connections are closed.
    pub fn stop(&self) -> Result<(), ReactorError> {
        self.shared.push(Command::Stop)
    }

    /// Live counters.
    pub fn stats(&self) -> &ReactorStats {
        &self.shared.stats
    }
}

/// Owns the reactor thread: commands it (through [`Remote`]) and joins it.
pub struct ReactorHandle<H> {
    pub(crate) remote: Remote<H>,
    pub(crate) thread: Option<JoinHandle<Result<(), ReactorError>>>,
}

impl<H: Send + 'static> ReactorHandle<H> {
    /// A cloneable remote for other threads.
    pub fn remote(&self) -> Remote<H> {
        self.remote.clone()
    }

    /// Waits for the reactor thread to end.
    pub fn join(mut self) -> Result<(), ReactorError> {
        match self.thread.take() {
            Some(t) => t.join().map_err(|_| ReactorError::Stopped)?,
            None => Ok(()),
        }
    }
}

impl<H> std::ops::Deref for ReactorHandle<H> {
    type Target = Remote<H>;
    fn deref(&self) -> &Remote<H> {
        &self.remote
    }
}
