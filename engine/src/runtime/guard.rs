//! `MaxFailedLogonsPerMinute`: a peer address whose Logons keep failing
//! on a listener is shut out for the rest of the minute. The first failure
//! opens a one-minute window; once the address has failed the limit's
//! number of times in it, its further connections are closed at accept
//! (logged once per window, counted) until the window ends.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The window a limit counts failures in.
const WINDOW: Duration = Duration::from_secs(60);
/// Addresses remembered at most: a flood of distinct addresses cannot
/// grow the table without bound (expired windows go first).
const MAX_PEERS: usize = 65_536;

/// Counts of every listener of a runtime.
#[derive(Debug, Default)]
pub struct LogonGuardStats {
    /// Logons refused (unknown CompIDs, outside session time, bad
    /// credentials, refused by the application).
    pub failed_logons: AtomicU64,
    /// Connections closed at accept because their address was past
    /// `MaxFailedLogonsPerMinute`.
    pub closed_at_accept: AtomicU64,
}

/// A snapshot of [`LogonGuardStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LogonGuardReport {
    /// Logons refused.
    pub failed_logons: u64,
    /// Connections closed at accept past `MaxFailedLogonsPerMinute`.
    pub closed_at_accept: u64,
}

impl LogonGuardStats {
    /// Reads both counters.
    pub fn report(&self) -> LogonGuardReport {
        LogonGuardReport {
            failed_logons: self.failed_logons.load(Ordering::Relaxed),
            closed_at_accept: self.closed_at_accept.load(Ordering::Relaxed),
        }
    }
}

struct Window {
    start: Instant,
    failures: u32,
    /// Whether the shut-out was logged in this window.
    logged: bool,
}

/// One listener's failures per peer address.
pub(crate) struct LogonGuard {
    /// Failures allowed per window; 0: no limit.
    limit: u32,
    peers: Mutex<HashMap<IpAddr, Window>>,
    stats: Arc<LogonGuardStats>,
}

impl LogonGuard {
    pub(crate) fn new(limit: u32, stats: Arc<LogonGuardStats>) -> Self {
        Self {
            limit,
            peers: Mutex::new(HashMap::new()),
            stats,
        }
    }

    /// Whether a connection from `peer` may be accepted at `now`; false
    /// (logged once per window, counted) while the address is shut out.
    pub(crate) fn admit(&self, peer: Option<IpAddr>, now: Instant) -> bool {
        let (Some(ip), true) = (peer, self.limit > 0) else {
            return true;
        };
        let Ok(mut peers) = self.peers.lock() else {
            return true;
        };
        let Some(w) = peers.get_mut(&ip) else {
            return true;
        };
        if now.duration_since(w.start) >= WINDOW {
            peers.remove(&ip);
            return true;
        }
        if w.failures < self.limit {
            return true;
        }
        self.stats.closed_at_accept.fetch_add(1, Ordering::Relaxed);
        if !w.logged {
            w.logged = true;
            let left = WINDOW.saturating_sub(now.duration_since(w.start));
            tracing::warn!(
                peer = %ip,
                failed_logons = w.failures,
                seconds_left = left.as_secs(),
                "MaxFailedLogonsPerMinute reached: closing this address's connections at accept \
                 for the rest of the minute"
            );
        }
        false
    }

    /// A Logon from `peer` was refused at `now`: counted, and towards
    /// the address's limit.
    pub(crate) fn failed(&self, peer: Option<IpAddr>, now: Instant) {
        self.stats.failed_logons.fetch_add(1, Ordering::Relaxed);
        let (Some(ip), true) = (peer, self.limit > 0) else {
            return;
        };
        let Ok(mut peers) = self.peers.lock() else {
            return;
        };
        if peers.len() >= MAX_PEERS && !peers.contains_key(&ip) {
            peers.retain(|_, w| now.duration_since(w.start) < WINDOW);
            if peers.len() >= MAX_PEERS {
                return;
            }
        }
        let w = peers.entry(ip).or_insert(Window {
            start: now,
            failures: 0,
            logged: false,
        });
        if now.duration_since(w.start) >= WINDOW {
            *w = Window {
                start: now,
                failures: 0,
                logged: false,
            };
        }
        w.failures = w.failures.saturating_add(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `f` logged through tracing on this thread.
    fn logged(f: impl FnOnce()) -> String {
        #[derive(Clone, Default)]
        struct Out(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Out {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        let out = Out::default();
        let o = out.clone();
        let sub = tracing_subscriber::fmt()
            .with_ansi(false)
            .with_writer(move || o.clone())
            .finish();
        tracing::subscriber::with_default(sub, f);
        let text = String::from_utf8(out.0.lock().unwrap().clone()).unwrap();
        text
    }

    #[test]
    fn shut_out_past_the_limit_for_the_rest_of_the_minute() {
        let stats = Arc::new(LogonGuardStats::default());
        let g = LogonGuard::new(3, Arc::clone(&stats));
        let a: Option<IpAddr> = Some([10, 0, 0, 1].into());
        let b: Option<IpAddr> = Some([10, 0, 0, 2].into());
        let t0 = Instant::now();
        for i in 0..3 {
            assert!(g.admit(a, t0), "attempt {i}");
            g.failed(a, t0 + Duration::from_secs(i));
        }
        // Closed at accept for the rest of the minute, logged once.
        let lines = logged(|| {
            assert!(!g.admit(a, t0 + Duration::from_secs(10)));
            assert!(!g.admit(a, t0 + Duration::from_secs(59)));
        });
        assert_eq!(
            lines.matches("MaxFailedLogonsPerMinute reached").count(),
            1,
            "{lines}"
        );
        assert!(lines.contains("peer=10.0.0.1"), "{lines}");
        assert!(g.admit(b, t0 + Duration::from_secs(10)), "another address");
        assert!(g.admit(None, t0), "no address known");
        // The minute is over: admitted again, with a fresh count.
        assert!(g.admit(a, t0 + Duration::from_secs(60)));
        g.failed(a, t0 + Duration::from_secs(61));
        assert!(g.admit(a, t0 + Duration::from_secs(61)));
        assert_eq!(
            stats.report(),
            LogonGuardReport {
                failed_logons: 4,
                closed_at_accept: 2
            }
        );
        // 0: no limit.
        let g = LogonGuard::new(0, Arc::clone(&stats));
        for _ in 0..100 {
            g.failed(a, t0);
        }
        assert!(g.admit(a, t0));
    }
}
