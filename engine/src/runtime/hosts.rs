//! Which connect address an initiator's next attempt takes
//! (`HostSelectionPolicy`; the addresses are `SocketConnectHost`,
//! `SocketConnectHost1`, ...).

use crate::config::HostSelection;
use crate::time::MonoTime;

/// An initiator's place among its addresses.
#[derive(Debug)]
pub(super) struct Hosts {
    policy: HostSelection,
    count: usize,
    current: usize,
    last_attempt: Option<MonoTime>,
}

impl Hosts {
    pub(super) fn new(policy: HostSelection, count: usize) -> Self {
        Self {
            policy,
            count: count.max(1),
            current: 0,
            last_attempt: None,
        }
    }

    /// The address an attempt beginning at `now` takes. Asking changes
    /// nothing: an attempt postponed before it reached the address (store
    /// not ready, hot standby) asks again.
    pub(super) fn next(&self, now: MonoTime) -> usize {
        match (self.policy, self.last_attempt) {
            (HostSelection::Priority { start_over }, Some(last)) => {
                if now.duration_since(last) >= start_over {
                    0
                } else {
                    (self.current + 1) % self.count
                }
            }
            _ => self.current,
        }
    }

    /// An attempt at address `index` began at `now`.
    pub(super) fn tried(&mut self, index: usize, now: MonoTime) {
        self.current = index % self.count;
        self.last_attempt = Some(now);
    }

    /// The connection of the last attempt ended (`logged_on`: it had
    /// logged on) or the address could not be resolved. The default policy
    /// moves on after a failed attempt and stays after a session;
    /// PRIORITY decides at the next attempt.
    pub(super) fn ended(&mut self, logged_on: bool) {
        if self.policy == HostSelection::Failover && !logged_on {
            self.current = (self.current + 1) % self.count;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn at(s: i64) -> MonoTime {
        MonoTime::from_secs(s)
    }

    /// Runs `attempts` (start second, logged on): the addresses taken.
    fn run(policy: HostSelection, attempts: &[(i64, bool)]) -> Vec<usize> {
        let mut h = Hosts::new(policy, 3);
        attempts
            .iter()
            .map(|&(s, logged_on)| {
                let i = h.next(at(s));
                h.tried(i, at(s));
                h.ended(logged_on);
                i
            })
            .collect()
    }

    #[test]
    fn the_default_moves_on_after_failures_and_stays_after_a_session() {
        let got = run(
            HostSelection::Failover,
            &[
                (0, false),
                (1, false),
                (2, true),
                (500, false),
                (501, false),
            ],
        );
        assert_eq!(got, [0, 1, 2, 2, 0]);
    }

    #[test]
    fn priority_starts_over_after_the_interval_and_rotates_within_it() {
        let p = HostSelection::Priority {
            start_over: Duration::from_secs(120),
        };
        // A session on the backup (attempt 2) that lasted past the
        // interval: the next attempt is the primary's.
        let got = run(
            p,
            &[
                (0, false),
                (1, false),
                (2, true),
                (300, false),
                (301, true),
                (302, false),
            ],
        );
        assert_eq!(got, [0, 1, 2, 0, 1, 2]);
        let got = run(p, &[(0, false), (1, false), (2, false), (3, false)]);
        assert_eq!(got, [0, 1, 2, 0]);
    }
}
