//! Group commit off the caller's thread: one process-wide thread forces
//! store files to disk when asked (`StoreFsync=<N>ms`). A flush waits for
//! the disk (0.1 ms to many ms): on a reactor that would be a step of
//! unbounded length; asking is two atomic operations and a wake-up.
//!
//! The thread only blocks in `fdatasync` (no CPU work to speak of), so it
//! does not compete with a pinned reactor the way CPU-heavy upkeep would.
//! It allocates nothing per flush: stores register once (at open), the
//! thread walks the registry under its lock.

use std::fs::File;
use std::io;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::thread::Thread;

/// One store's files and the state of its flush requests.
#[derive(Debug)]
struct Job {
    /// Duplicates of the journal's and seqnum file's descriptors.
    files: Mutex<[Option<File>; 2]>,
    /// Requests made (a counter).
    requested: AtomicU64,
    /// Requests covered by a finished flush.
    done: AtomicU64,
    /// errno of the last failed flush, 0 if none since last taken.
    error: AtomicI32,
}

impl Job {
    /// Flushes both files; every request up to `upto` is then covered.
    fn run(&self, upto: u64) {
        let files = lock(&self.files);
        for f in files.iter().flatten() {
            if let Err(e) = f.sync_data() {
                self.error
                    .store(e.raw_os_error().unwrap_or(libc::EIO), Ordering::Relaxed);
            }
        }
        drop(files);
        self.done.store(upto, Ordering::Release);
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// The flushing thread and the stores it serves.
struct Syncer {
    jobs: Mutex<Vec<Weak<Job>>>,
    thread: Thread,
}

fn syncer() -> Option<&'static Syncer> {
    static SYNCER: OnceLock<Option<Syncer>> = OnceLock::new();
    SYNCER
        .get_or_init(|| {
            let spawned = std::thread::Builder::new()
                .name("ringfix-sync".into())
                .spawn(|| loop {
                    std::thread::park();
                    if let Some(s) = syncer() {
                        s.drain();
                    }
                });
            match spawned {
                Ok(handle) => Some(Syncer {
                    jobs: Mutex::new(Vec::new()),
                    thread: handle.thread().clone(),
                }),
                Err(e) => {
                    tracing::warn!(error = %e, "store: no group commit thread, flushing inline");
                    None
                }
            }
        })
        .as_ref()
}

impl Syncer {
    /// Flushes every store with a request pending, until none is.
    fn drain(&self) {
        loop {
            let mut any = false;
            let mut jobs = lock(&self.jobs);
            jobs.retain(|j| j.strong_count() > 0);
            for job in jobs.iter().filter_map(Weak::upgrade) {
                let upto = job.requested.load(Ordering::Acquire);
                if upto > job.done.load(Ordering::Acquire) {
                    any = true;
                    job.run(upto);
                }
            }
            drop(jobs);
            if !any {
                return;
            }
        }
    }
}

/// A store's handle on group commit.
#[derive(Debug)]
pub(crate) struct GroupCommit {
    job: Arc<Job>,
    /// No thread: requests are flushed inline.
    inline: bool,
}

impl GroupCommit {
    /// Registers the store whose files are `journal` and `seqnums`.
    pub(crate) fn new(journal: &File, seqnums: &File) -> io::Result<Self> {
        let job = Arc::new(Job {
            files: Mutex::new([Some(journal.try_clone()?), Some(seqnums.try_clone()?)]),
            requested: AtomicU64::new(0),
            done: AtomicU64::new(0),
            error: AtomicI32::new(0),
        });
        let inline = match syncer() {
            Some(s) => {
                lock(&s.jobs).push(Arc::downgrade(&job));
                false
            }
            None => true,
        };
        Ok(Self { job, inline })
    }

    /// Points the flushes at new files (after a reset or a refresh);
    /// waits for a flush of the old ones in progress.
    pub(crate) fn replace(&self, journal: &File, seqnums: &File) -> io::Result<()> {
        let new = [Some(journal.try_clone()?), Some(seqnums.try_clone()?)];
        *lock(&self.job.files) = new;
        Ok(())
    }

    /// Asks for both files to be flushed; returns the request's number
    /// (see [`done`](Self::done)). Never waits for the disk (unless there
    /// is no flushing thread).
    pub(crate) fn request(&self) -> u64 {
        let n = self.job.requested.fetch_add(1, Ordering::AcqRel) + 1;
        match syncer() {
            Some(s) if !self.inline => s.thread.unpark(),
            _ => self.job.run(n),
        }
        n
    }

    /// Every request up to this number is on disk.
    pub(crate) fn done(&self) -> u64 {
        self.job.done.load(Ordering::Acquire)
    }

    /// The error of a flush that failed since the last call, if any.
    pub(crate) fn take_error(&self) -> Option<io::Error> {
        match self.job.error.swap(0, Ordering::Relaxed) {
            0 => None,
            errno => Some(io::Error::from_raw_os_error(errno)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_flushed_by_the_thread() {
        let dir = tempfile::tempdir().unwrap();
        let a = File::create(dir.path().join("a")).unwrap();
        let b = File::create(dir.path().join("b")).unwrap();
        let g = GroupCommit::new(&a, &b).unwrap();
        assert_eq!(g.done(), 0);
        let mut last = 0;
        for _ in 0..50 {
            last = g.request();
        }
        let start = std::time::Instant::now();
        while g.done() < last {
            assert!(start.elapsed().as_secs() < 10, "flush never done");
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        assert!(g.take_error().is_none());
    }
}
