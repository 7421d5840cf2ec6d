//! Deadlines (QuickFIX rules): Heartbeat after HeartBtInt of silence from
//! us, TestRequest after (1 + TestRequestDelayMultiplier) x HeartBtInt
//! without a complete inbound message (1.2 x), disconnect at (1 +
//! HeartBeatTimeoutMultiplier) x (2.4 x) unless DisableHeartBeatCheck;
//! LogonTimeout and LogoutTimeout. All on the monotonic clock: a
//! wall-clock step moves none of them.

use ringfix_codec::fields;

use super::event::Event;
use super::state::{Close, LogoutReason, Phase};
use super::{Cx, Session};
use crate::store::MessageStore;
use crate::time::MonoTime;

impl<S: MessageStore> Session<S> {
    /// When the next TestRequest is due ((1 + TestRequestDelayMultiplier)
    /// x HeartBtInt per outstanding request plus one; 1.2 x by default).
    fn test_request_due(&self) -> MonoTime {
        let n = i64::from(self.test_requests) + 1;
        let factor = (1000 + i64::from(self.cfg.test_request_delay_multiplier)) * n;
        self.last_recv
            .add_nanos(self.hb_nanos.saturating_mul(factor) / 1000)
    }

    /// When silence drops the connection ((1 + HeartBeatTimeoutMultiplier)
    /// x HeartBtInt; 2.4 x by default); never with DisableHeartBeatCheck.
    fn heartbeat_timeout(&self) -> MonoTime {
        if self.cfg.disable_heartbeat_check {
            return MonoTime::MAX;
        }
        let factor = 1000 + i64::from(self.cfg.heartbeat_timeout_multiplier);
        self.last_recv
            .add_nanos(self.hb_nanos.saturating_mul(factor) / 1000)
    }

    fn logout_timeout(&self, sent: MonoTime) -> MonoTime {
        sent.add_secs(i64::from(self.cfg.logout_timeout))
    }

    /// The earliest deadline of a logged-on session.
    pub(crate) fn active_deadline(&self, logout_sent: Option<MonoTime>) -> MonoTime {
        let mut d = MonoTime::MAX;
        if let Some(sent) = logout_sent {
            d = d.min(self.logout_timeout(sent));
        }
        if self.hb_nanos > 0 {
            d = d.min(self.heartbeat_timeout()).min(self.test_request_due());
            if self.test_requests == 0 {
                d = d.min(self.ob.last_sent.add_nanos(self.hb_nanos));
            }
        }
        d
    }

    /// QuickFIX `next(now)`.
    pub(crate) fn check_timers(&mut self, cx: &mut Cx<'_>) {
        let now = cx.now.mono;
        let logout_sent = match self.phase {
            Phase::AwaitingLogon { since, sent } => {
                let base = sent.map_or(since, |(t, _)| t);
                if now >= base.add_secs(i64::from(self.cfg.logon_timeout)) {
                    self.close(cx, Close::Now, LogoutReason::LogonTimeout);
                }
                return;
            }
            Phase::LoggedOn { logout_sent } => logout_sent,
            Phase::Disconnected | Phase::Closing { .. } => return,
        };
        if logout_sent.is_some_and(|t| now >= self.logout_timeout(t)) {
            self.close(cx, Close::Now, LogoutReason::LogoutTimeout);
            return;
        }
        if self.hb_nanos <= 0 {
            return;
        }
        if now >= self.heartbeat_timeout() {
            self.close(cx, Close::Now, LogoutReason::HeartbeatTimeout);
        } else if now >= self.test_request_due() {
            let sent = self.send_admin(cx, b"1", &[], &mut |w| {
                w.field(fields::TEST_REQ_ID, b"TEST");
            });
            self.test_requests += 1;
            if sent {
                self.events.push_back(Event::TestRequestSent);
            }
        } else if self.test_requests == 0 && now.nanos_since(self.ob.last_sent) >= self.hb_nanos {
            self.send_heartbeat(cx, None);
        }
    }
}
