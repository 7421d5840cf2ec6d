//! What the session decided (`session::Event`), acted on by the runtime:
//! one line each in the event log (FileLog's event file and tracing), the
//! counters of the session report, the statistics page, and what the end
//! of the connection is judged by.

use std::sync::atomic::Ordering;

use super::core::SessionCore;
use crate::session::{Event, LogoutReason, RejectWay};
use crate::time::Now;

/// What the runtime learnt of the current connection from the events.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Seen {
    /// The Logon exchange completed.
    pub logged_on: bool,
    /// The application was told of a logout, for this reason.
    pub logout: Option<LogoutReason>,
}

impl SessionCore {
    /// Takes every event the session queued.
    pub(crate) fn drain_events(&mut self, now: Now) {
        while let Some(e) = self.session.poll_event() {
            self.on_event(&e, now);
        }
    }

    fn on_event(&mut self, e: &Event, now: Now) {
        let c = &self.counters;
        let stats = self.stats.as_mut();
        match e {
            Event::State(t) => {
                // The statistics page shows states; the event log does not.
                tracing::debug!(
                    session = &*self.name,
                    "{} -> {}",
                    t.from.name(),
                    t.to.name()
                );
                return;
            }
            Event::LoggedOn => {
                c.logons.fetch_add(1, Ordering::Relaxed);
                self.xslot.set_logged_on(true);
                self.seen.logged_on = true;
            }
            Event::LoggedOut(reason) => self.seen.logout = Some(*reason),
            Event::Reject(r) => {
                let counter = match r.way {
                    RejectWay::Sent => Some(&c.rejects_sent),
                    RejectWay::Received => Some(&c.rejects_received),
                    RejectWay::NotSent => None,
                };
                if let Some(counter) = counter {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                if r.validation {
                    c.validation_failures.fetch_add(1, Ordering::Relaxed);
                }
                if let Some(s) = stats {
                    if r.way != RejectWay::NotSent {
                        s.reject(r.way == RejectWay::Received);
                    }
                    if r.validation {
                        s.validation_failure();
                    }
                }
            }
            Event::ResendRequestSent { .. } => {
                c.resend_requests_sent.fetch_add(1, Ordering::Relaxed);
                if let Some(s) = stats {
                    s.resend_request(false);
                }
            }
            Event::ResendRequestReceived { .. } => {
                c.resend_requests_received.fetch_add(1, Ordering::Relaxed);
                if let Some(s) = stats {
                    s.resend_request(true);
                }
            }
            Event::SeqTooHigh { new_gap: true, .. } => {
                c.sequence_gaps.fetch_add(1, Ordering::Relaxed);
                if let Some(s) = stats {
                    s.sequence_gap();
                }
            }
            _ => {}
        }
        let warn = matches!(
            e,
            Event::Reject(_)
                | Event::Closing(_)
                | Event::SeqTooLow { .. }
                | Event::StoredUnreadable { .. }
        );
        if warn {
            tracing::warn!(session = &*self.name, event = e.name(), "{e}");
        } else {
            tracing::info!(session = &*self.name, event = e.name(), "{e}");
        }
        if let Some(log) = &self.log {
            log.event(now.wall, &e.to_string());
        }
    }
}
