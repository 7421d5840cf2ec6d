//! [`HaNode`]: starts and stops the HA threads of one node (elector,
//! keepalive, the standby listener, one stream thread per peer).

use std::io;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering::*};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use super::elector::{acquire, deadline_after, keepalive, Elector};
use super::etcd::Etcd;
use super::replica::{self, Replica};
use super::sender::Peer;
use super::shared::{NodeState, SessionHa, MAX_PEERS};
use crate::config::HaSettings;
use crate::store::{FileStoreOptions, StoreFiles};

/// One HA session as the node needs it.
#[derive(Clone, Debug)]
pub struct HaSessionSpec {
    /// The session's name (its ID's display form), the same on every node.
    pub name: String,
    /// Its store files.
    pub files: StoreFiles,
    /// Its store options (the standby opens the store with them).
    pub options: FileStoreOptions,
}

/// What the node tells the runtime.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HaEvent {
    /// This node now leads `session`: open its store (wrapped in a
    /// [`ReplicatedStore`](super::ReplicatedStore)), raise the next sender
    /// number by `raise_sender_by` (async mode: past every number the old
    /// leader may have used), connect or listen, and tell the application.
    BecameLeader {
        /// Index of the session (config order).
        session: usize,
        /// The fencing token.
        token: u64,
        /// Add this to the store's next sender sequence number first.
        raise_sender_by: u64,
    },
    /// This node no longer leads `session`: stop sending, close its
    /// connection (and listener), drop the store, then call
    /// [`HaNode::released`].
    SteppedDown {
        /// Index of the session.
        session: usize,
        /// Why.
        reason: String,
    },
    /// Another live node has this node's `HaNodeName` (found after start,
    /// when etcd was unreachable at start): this node never leads.
    Duplicate(String),
}

/// Errors starting a node.
#[derive(Debug, thiserror::Error)]
pub enum HaError {
    /// Another live node registered this `HaNodeName`.
    #[error("HaNodeName {0} is already live in etcd: another node runs with this name")]
    DuplicateNode(String),
    /// `HaReplicationListen` cannot be bound.
    #[error("HaReplicationListen {addr}: {source}")]
    Listen {
        /// The address.
        addr: String,
        /// Why.
        source: io::Error,
    },
    /// More `HaPeers` than supported.
    #[error("HaPeers lists more than {MAX_PEERS} peers")]
    TooManyPeers,
    /// A thread could not be started.
    #[error("cannot start an HA thread: {0}")]
    Thread(io::Error),
    /// No `HaReplicationListen`.
    #[error("HaReplicationListen is required when HaEnabled=Y")]
    NoListen,
}

/// Where a node writes its status (read by `ringfix ha status`).
pub fn status_file(dir: &Path, node: &str) -> PathBuf {
    dir.join(format!("ha-{node}.json"))
}

/// A running HA node.
pub struct HaNode {
    node: Arc<NodeState>,
    sessions: Vec<Arc<SessionHa>>,
    replica: Arc<Replica>,
    held: Arc<Vec<AtomicBool>>,
    leaders: super::shared::Leaders,
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
    listen: SocketAddr,
}

fn spawn(
    name: &str,
    threads: &mut Vec<JoinHandle<()>>,
    f: impl FnOnce() + Send + 'static,
) -> Result<(), HaError> {
    let t = std::thread::Builder::new()
        .name(name.into())
        .spawn(f)
        .map_err(HaError::Thread)?;
    threads.push(t);
    Ok(())
}

impl HaNode {
    /// Binds the replication listener, registers the node in etcd (a live
    /// duplicate name is an error; an unreachable etcd is not: the node
    /// stands by and retries) and starts the threads. Events come on the
    /// returned receiver.
    pub fn start(
        settings: &HaSettings,
        specs: Vec<HaSessionSpec>,
        tls: Option<super::tls::ReplicationTls>,
    ) -> Result<(Self, mpsc::Receiver<HaEvent>), HaError> {
        if settings.peers.len() > MAX_PEERS {
            return Err(HaError::TooManyPeers);
        }
        let listen_at = settings
            .replication_listen
            .clone()
            .ok_or(HaError::NoListen)?;
        let repl = format!("{}:{}", listen_at.host, listen_at.port);
        let me = settings.node_name.clone();
        let ttl = settings.lease_ttl;
        // Each etcd call gives up well within the lease.
        let timeout = (ttl / 5).max(Duration::from_millis(100));
        let mut etcd = Etcd::new(&settings.etcd_endpoints, timeout);
        let lease = Arc::new(AtomicI64::new(0));
        // The name first: a duplicate is refused before it takes any port.
        let registered = match acquire(&mut etcd, &me, &repl, ttl) {
            Ok(Some(got)) => Some(got),
            Ok(None) => return Err(HaError::DuplicateNode(me)),
            Err(e) => {
                tracing::warn!(error = %e, "ha: etcd unreachable at start: standing by, retrying with backoff");
                None
            }
        };
        let bound = TcpListener::bind((listen_at.host.as_str(), listen_at.port))
            .and_then(|l| l.local_addr().map(|a| (l, a)));
        let (listener, listen) = match bound {
            Ok(b) => b,
            Err(source) => {
                if let Some((id, _)) = registered {
                    let _ = etcd.revoke(id);
                }
                return Err(HaError::Listen { addr: repl, source });
            }
        };
        let node = Arc::new(NodeState::new(settings.peers.len()));
        let sessions: Vec<Arc<SessionHa>> = specs
            .iter()
            .enumerate()
            .map(|(i, spec)| {
                Arc::new(SessionHa::new(
                    i as u32,
                    spec.name.clone(),
                    spec.files.clone(),
                    node.clone(),
                    settings.mode,
                    settings.max_unacked,
                ))
            })
            .collect();
        let status_path = specs.first().map(|s| status_file(s.files.dir(), &me));
        let replica = Arc::new(Replica::new(
            specs
                .into_iter()
                .map(|s| (s.name, s.files, s.options))
                .collect(),
        ));
        if let Some((id, sent)) = registered {
            node.deadline.store(deadline_after(sent, ttl), Release);
            lease.store(id, Release);
            tracing::info!(node = me, lease = id, "ha: registered in etcd");
        }
        let stop = Arc::new(AtomicBool::new(false));
        let held = Arc::new(
            (0..sessions.len())
                .map(|_| AtomicBool::new(false))
                .collect(),
        );
        let leaders = Arc::new(Mutex::new(vec![None; sessions.len()]));
        let lost = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel();
        let mut threads = Vec::new();
        {
            let (replica, me, stop, tls) = (replica.clone(), me.clone(), stop.clone(), tls.clone());
            spawn("ha-listen", &mut threads, move || {
                replica::serve(listener, replica, me, stop, tls)
            })?;
        }
        {
            let etcd = Etcd::new(&settings.etcd_endpoints, timeout);
            let (node, lease, lost, stop) =
                (node.clone(), lease.clone(), lost.clone(), stop.clone());
            spawn("ha-keepalive", &mut threads, move || {
                keepalive(etcd, node, lease, lost, ttl, stop)
            })?;
        }
        let elector = Elector {
            me: me.clone(),
            repl,
            settings: settings.clone(),
            etcd,
            node: node.clone(),
            sessions: sessions.clone(),
            replica: replica.clone(),
            lease,
            lost,
            held: Arc::clone(&held),
            events: tx,
            stop: stop.clone(),
            status_path,
            leaders: leaders.clone(),
        };
        spawn("ha-elector", &mut threads, move || elector.run())?;
        for (index, addr) in settings.peers.iter().enumerate() {
            let peer = Peer {
                index,
                addr: addr.clone(),
                me: me.clone(),
                node: node.clone(),
                sessions: sessions.clone(),
                stop: stop.clone(),
                tls: tls.clone(),
            };
            spawn("ha-stream", &mut threads, move || peer.run())?;
        }
        let node = Self {
            node,
            sessions,
            replica,
            held,
            leaders,
            stop,
            threads,
            listen,
        };
        Ok((node, rx))
    }

    /// The sessions' HA state, in config order.
    pub fn sessions(&self) -> &[Arc<SessionHa>] {
        &self.sessions
    }

    /// Where the replication listener is bound.
    pub fn listen_addr(&self) -> SocketAddr {
        self.listen
    }

    /// The leader of session `i` as last seen in etcd: name and token.
    pub fn leader(&self, i: usize) -> Option<(String, u64)> {
        self.leaders.lock().ok()?.get(i).cloned().flatten()
    }

    /// True while the node's lease is confirmed.
    pub fn lease_valid(&self) -> bool {
        self.node.lease_valid(super::clock::boottime_ns())
    }

    /// The runtime closed session `i` after [`HaEvent::SteppedDown`] and
    /// dropped its store: the standby side takes the store again, and the
    /// node may campaign for the session again.
    pub fn released(&self, i: usize) {
        self.replica.adopt(i);
        if let Some(h) = self.held.get(i) {
            h.store(false, Release);
        }
    }

    /// Stops the threads; a led session's key goes with the revoked lease,
    /// so a standby takes over at once.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        if self.stop.swap(true, AcqRel) {
            return;
        }
        for t in &self.threads {
            t.thread().unpark();
        }
        // Wake the listener's accept.
        let _ = TcpStream::connect_timeout(&self.listen, Duration::from_millis(200));
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

impl Drop for HaNode {
    fn drop(&mut self) {
        self.shutdown();
    }
}
