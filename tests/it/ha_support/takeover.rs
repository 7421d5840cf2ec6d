//! Where a takeover's time goes: from the fault (a kill, a cut, a
//! revocation) to the election key's deletion in etcd (an `etcdctl watch`
//! beside the cluster), the new leader winning the key and listening (its
//! log's timestamps), the counterparty's TCP connect and its Logon
//! complete (its own record).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

/// When a fault was made, on both clocks (node logs carry wall-clock
/// stamps, the counterparty's record monotonic instants).
#[derive(Clone, Copy, Debug)]
pub struct Mark {
    pub at: Instant,
    pub wall: SystemTime,
}

impl Mark {
    pub fn now() -> Self {
        Self {
            at: Instant::now(),
            wall: SystemTime::now(),
        }
    }

    fn since(&self, t: Instant) -> Option<Duration> {
        t.checked_duration_since(self.at)
    }
}

/// Every DELETE of an election key, timestamped as `etcdctl watch`
/// prints it.
pub struct KeyWatch {
    child: Child,
    pub deletes: Arc<Mutex<Vec<Instant>>>,
}

impl KeyWatch {
    /// Watches `prefix` with `etcdctl` run by `cmd` (already pointed at
    /// the etcd host's namespace).
    pub fn start(mut cmd: Command, url: &str, prefix: &str) -> Self {
        let mut child = cmd
            .env("ETCDCTL_API", "3")
            .arg(format!("--endpoints={url}"))
            .args(["watch", "--prefix", prefix])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("etcdctl watch");
        let out = child.stdout.take().expect("piped");
        let deletes = Arc::new(Mutex::new(Vec::new()));
        let d = deletes.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { return };
                if line == "DELETE" {
                    d.lock().unwrap().push(Instant::now());
                }
            }
        });
        Self { child, deletes }
    }
}

impl Drop for KeyWatch {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The first line of `log` at or after `from` containing `marker`: its
/// time after `from`.
pub fn logged_after(log: &str, from: SystemTime, marker: &str) -> Option<Duration> {
    log.lines()
        .filter(|l| l.contains(marker))
        .filter_map(stamp)
        .find_map(|t| t.duration_since(from).ok())
}

/// The leading RFC 3339 stamp of a tracing line (ANSI colours removed).
fn stamp(line: &str) -> Option<SystemTime> {
    let mut plain = String::with_capacity(40);
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            // ESC [ ... m
            for c in chars.by_ref() {
                if c == 'm' {
                    break;
                }
            }
            continue;
        }
        if c.is_whitespace() && !plain.is_empty() {
            break;
        }
        if !c.is_whitespace() {
            plain.push(c);
        }
    }
    let t: jiff::Timestamp = plain.parse().ok()?;
    Some(SystemTime::from(t))
}

/// One takeover's steps, each after the fault.
#[derive(Clone, Debug, Default)]
pub struct Breakdown {
    /// The old election key deleted in etcd.
    pub key_gone: Option<Duration>,
    /// The new leader's log: the standby revoked a lapsed lease.
    pub revoked: Option<Duration>,
    /// The new leader's log: key won.
    pub won: Option<Duration>,
    /// The new leader's log: listening.
    pub listening: Option<Duration>,
    /// The counterparty's TCP connect to the new leader.
    pub connect: Option<Duration>,
    /// The counterparty's Logon complete.
    pub logon: Duration,
}

impl Breakdown {
    pub fn new(
        mark: &Mark,
        deletes: &[Instant],
        log: &str,
        connects: &[(Instant, usize)],
        node: usize,
        logon: Instant,
    ) -> Self {
        Self {
            key_gone: deletes.iter().find_map(|&t| mark.since(t)),
            revoked: logged_after(log, mark.wall, "ha: revoked the lapsed lease"),
            won: logged_after(log, mark.wall, "ha: leading"),
            listening: logged_after(log, mark.wall, "ha_listening"),
            connect: connects
                .iter()
                .filter(|c| c.1 == node)
                .find_map(|c| mark.since(c.0)),
            logon: logon - mark.at,
        }
    }
}

impl std::fmt::Display for Breakdown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ms = |d: Option<Duration>| d.map_or("-".to_owned(), |d| format!("{}", d.as_millis()));
        write!(
            f,
            "key gone {} ms (revoked by the standby {}), won {}, listening {}, connect {}, Logon {} ms",
            ms(self.key_gone),
            ms(self.revoked),
            ms(self.won),
            ms(self.listening),
            ms(self.connect),
            self.logon.as_millis()
        )
    }
}
