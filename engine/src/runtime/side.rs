//! Work an accepted connection must wait for but a reactor must never do:
//! checking a Logon's password (Argon2id: tens of milliseconds by
//! design), making a session from an `AcceptorTemplate` (its store and log
//! files). A small pool of side threads takes jobs from a bounded
//! crossbeam channel; each job's answer goes into its [`Reply`] and wakes
//! the connection through the reactor's lock-free wake path
//! ([`Remote::wake`]), whose `on_notify` picks it up. The connection
//! meanwhile waits in a "logon pending" state bounded by LogonTimeout;
//! the reactor serves its other connections.
//!
//! An answer for a connection that is gone does nothing: the reply cell
//! is dropped with the last `Arc`, and the wake lands on the connection
//! slot, whose next occupant (if any) finds no answer of its own.

use std::sync::{Arc, Mutex};

use crossbeam_channel::{Sender, TrySendError};

use super::conn::Conn;
use crate::reactor::{ConnId, Remote};

/// One job for a side thread.
pub(crate) type Job = Box<dyn FnOnce() + Send>;

/// Jobs waiting at most (a full queue refuses the Logon at once rather
/// than let it wait out LogonTimeout behind the others).
const QUEUE: usize = 1024;

/// The side threads of one runtime. They end when the last clone of this
/// is dropped (the listeners' tables, when their reactors stop).
#[derive(Clone)]
pub(crate) struct SideWorkers {
    tx: Sender<Job>,
}

impl SideWorkers {
    /// Starts `threads` side threads (at least one).
    pub(crate) fn start(threads: usize) -> std::io::Result<Self> {
        let (tx, rx) = crossbeam_channel::bounded::<Job>(QUEUE);
        for i in 0..threads.max(1) {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("ringfix-side-{i}"))
                .spawn(move || {
                    while let Ok(job) = rx.recv() {
                        job();
                    }
                })?;
        }
        Ok(Self { tx })
    }

    /// Queues `job`; false when the queue is full (or the threads are gone).
    pub(crate) fn submit(&self, job: Job) -> bool {
        match self.tx.try_send(job) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => false,
        }
    }
}

/// Where a side job leaves its answer for one connection.
pub(crate) struct Reply<T> {
    cell: Arc<Mutex<Option<T>>>,
    remote: Remote<Conn>,
    id: ConnId,
}

impl<T> Reply<T> {
    /// A reply to connection `id` of the reactor behind `remote`, and the
    /// cell the connection reads it from.
    pub(crate) fn new(remote: Remote<Conn>, id: ConnId) -> (Self, Answer<T>) {
        let cell = Arc::new(Mutex::new(None));
        let answer = Answer(Arc::clone(&cell));
        (Self { cell, remote, id }, answer)
    }

    /// Publishes `value`, then wakes the connection.
    pub(crate) fn deliver(self, value: T) {
        if let Ok(mut c) = self.cell.lock() {
            *c = Some(value);
        }
        self.remote.wake(self.id);
    }
}

/// The connection's side of a [`Reply`].
pub(crate) struct Answer<T>(Arc<Mutex<Option<T>>>);

impl<T> Answer<T> {
    /// The answer, once there is one (taken: asked again, `None`).
    pub(crate) fn take(&self) -> Option<T> {
        self.0.lock().ok().and_then(|mut c| c.take())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_arrives_and_wakes_the_connection() {
        let workers = SideWorkers::start(1).unwrap();
        let remote = Remote::<Conn>::unstarted(64);
        let id = ConnId {
            slot: 7,
            generation: 1,
        };
        let (reply, answer) = Reply::new(remote.clone(), id);
        assert!(answer.take().is_none());
        assert!(workers.submit(Box::new(move || reply.deliver(42u32))));
        let start = std::time::Instant::now();
        let got = loop {
            if let Some(v) = answer.take() {
                break v;
            }
            assert!(start.elapsed() < std::time::Duration::from_secs(5));
            std::thread::sleep(std::time::Duration::from_millis(1));
        };
        assert_eq!(got, 42);
        assert_eq!(remote.take_wakes(), vec![7]);
        assert!(answer.take().is_none(), "taken once");
    }

    #[test]
    fn an_answer_for_a_connection_gone_is_dropped() {
        let workers = SideWorkers::start(1).unwrap();
        let remote = Remote::<Conn>::unstarted(64);
        let id = ConnId {
            slot: 3,
            generation: 1,
        };
        let (reply, answer) = Reply::new(remote.clone(), id);
        drop(answer);
        let (done_tx, done_rx) = std::sync::mpsc::channel();
        assert!(workers.submit(Box::new(move || {
            reply.deliver(1u8);
            let _ = done_tx.send(());
        })));
        done_rx
            .recv_timeout(std::time::Duration::from_secs(5))
            .unwrap();
        // Only a wake of the slot, which a later occupant tolerates.
        assert_eq!(remote.take_wakes(), vec![3]);
    }
}
