//! Deadlines (QuickFIX rules): Heartbeat after HeartBtInt of silence from
//! us, TestRequest after 1.2 x HeartBtInt without a complete inbound
//! message, disconnect at 2.4 x; LogonTimeout and LogoutTimeout.

use super::state::{Close, LogoutReason};
use super::{Cx, Session, NANOS};
use crate::store::MessageStore;

impl<S: MessageStore> Session<S> {
    /// When the next TestRequest is due (1.2 x HeartBtInt per outstanding
    /// request plus one).
    fn test_request_due(&self) -> i64 {
        let n = i64::from(self.test_requests) + 1;
        self.last_recv
            .saturating_add(self.hb_nanos.saturating_mul(12 * n) / 10)
    }

    fn heartbeat_timeout(&self) -> i64 {
        self.last_recv
            .saturating_add(self.hb_nanos.saturating_mul(24) / 10)
    }

    /// The earliest deadline of a logged-on session.
    pub(crate) fn active_deadline(&self) -> i64 {
        let mut d = i64::MAX;
        if self.sent_logout {
            d = d.min(
                self.logout_sent_at
                    .saturating_add(i64::from(self.cfg.logout_timeout) * NANOS),
            );
        }
        if self.hb_nanos > 0 {
            d = d.min(self.heartbeat_timeout()).min(self.test_request_due());
            if self.test_requests == 0 {
                d = d.min(self.ob.last_sent.saturating_add(self.hb_nanos));
            }
        }
        d
    }

    /// QuickFIX `next(now)`.
    pub(crate) fn check_timers(&mut self, cx: &mut Cx<'_>) {
        let now = cx.now;
        if !self.received_logon || !self.sent_logon {
            let base = if self.sent_logon {
                self.logon_sent_at
            } else {
                self.connected_at
            };
            if now >= base.saturating_add(i64::from(self.cfg.logon_timeout) * NANOS) {
                self.close(cx, Close::Now, LogoutReason::LogonTimeout);
            }
            return;
        }
        if self.sent_logout
            && now
                >= self
                    .logout_sent_at
                    .saturating_add(i64::from(self.cfg.logout_timeout) * NANOS)
        {
            self.close(cx, Close::Now, LogoutReason::LogoutTimeout);
            return;
        }
        if self.hb_nanos <= 0 {
            return;
        }
        if now >= self.heartbeat_timeout() {
            self.close(cx, Close::Now, LogoutReason::HeartbeatTimeout);
        } else if now >= self.test_request_due() {
            self.send_admin(cx, b"1", &[], &mut |w| {
                w.field(112, b"TEST");
            });
            self.test_requests += 1;
        } else if self.test_requests == 0 && now - self.ob.last_sent >= self.hb_nanos {
            self.send_heartbeat(cx, None);
        }
    }
}
