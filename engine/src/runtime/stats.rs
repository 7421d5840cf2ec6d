//! The runtime's side of live statistics (`crate::stats`): one page per
//! runtime, one slot writer per session carried by its [`SessionCore`].
//! Kept apart so the hooks in the core are one line each.

use super::core::SessionCore;
use crate::config::EngineConfig;
use crate::stats::{stats_dir, StatsPublisher};
use crate::store::UtcTimestamp;
use crate::time::Now;

/// The runtime's stats page in [`stats_dir`]; `None` (with a warning) if
/// it cannot be created: statistics never stop an engine.
pub(crate) fn publisher(config: &EngineConfig, now: UtcTimestamp) -> Option<StatsPublisher> {
    let ids: Vec<String> = config.sessions.iter().map(|s| s.id.to_string()).collect();
    let dir = stats_dir();
    match StatsPublisher::create_in(&dir, &ids, now) {
        Ok(p) => {
            tracing::info!(page = %p.path().display(), "publishing live statistics");
            Some(p)
        }
        Err(e) => {
            tracing::warn!(error = %e, "no live statistics");
            None
        }
    }
}

impl SessionCore {
    /// A complete inbound message.
    pub(crate) fn stats_inbound(&mut self, frame: &[u8], now: UtcTimestamp) {
        if let Some(s) = &mut self.stats {
            s.inbound(frame, now);
        }
    }

    /// After an event: what it queued, the state, sequence numbers and the
    /// deadline the reactor links to the next read; then one publish.
    pub(crate) fn stats_after(&mut self, connected: bool, sent: &[u8], now: Now) {
        // Shown as a date: the monotonic deadline at today's wall offset.
        let deadline = self.deadline().map(|d| now.wall_at(d));
        let now = now.wall;
        let Some(s) = &mut self.stats else { return };
        if connected {
            s.connected();
        }
        s.outbound(sent, now);
        s.state(self.session.state(), now);
        s.seqnums(
            self.session.next_sender_seq(),
            self.session.next_target_seq(),
        );
        s.read_deadline(deadline);
        s.publish(now);
    }

    /// The connection is gone.
    pub(crate) fn stats_closed(&mut self, now: Now) {
        let now = now.wall;
        if let Some(s) = &mut self.stats {
            s.disconnected(now);
            s.seqnums(
                self.session.next_sender_seq(),
                self.session.next_target_seq(),
            );
            s.publish(now);
        }
    }
}
