//! Test plumbing shared by the reactor and TLS test supports: a lock that
//! runs tests serially, a per-test timeout, and polling for a condition.
#![allow(dead_code)]

use std::sync::{mpsc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

static SERIAL: Mutex<()> = Mutex::new(());

/// Tests share fds, ports, cores and log capture: run one at a time.
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs the calling test again, alone, in a child process: the fd and
/// socket counts the reactor tests compare are process-wide, and the other
/// tests of this binary open and close fds meanwhile. True in the parent
/// (the child passed: return), false in the child (run the test there).
/// Call it holding [`serial`], so the children run one at a time.
pub fn isolated(module: &str, test: &str) -> bool {
    let module = module.strip_prefix("it::").unwrap_or(module);
    ringfix_testkit::alloc::alone(&format!("{module}::{test}"))
}

/// Runs `f` on a thread; fails the test if it takes longer than `secs`.
pub fn with_timeout<F: FnOnce() + Send + 'static>(secs: u64, f: F) {
    let (tx, rx) = mpsc::channel();
    let t = std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    match rx.recv_timeout(Duration::from_secs(secs)) {
        Ok(()) => t.join().unwrap(),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(p) = t.join() {
                std::panic::resume_unwind(p)
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("test timed out after {secs} s"),
    }
}

/// Polls `cond` every millisecond until it holds or `timeout` passes.
pub fn wait_until(timeout: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(1));
    }
    cond()
}
