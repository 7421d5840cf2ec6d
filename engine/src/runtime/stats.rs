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
    match StatsPublisher::create_with_reactors(&dir, &ids, config.reactors().len(), now) {
        Ok(p) => {
            tracing::info!(event = "stats_page", page = %p.path().display(), "publishing live statistics");
            Some(p)
        }
        Err(e) => {
            tracing::warn!(error = %e, "no live statistics");
            None
        }
    }
}

/// Copies each reactor's counters into its page slot (the supervisor
/// calls this every pass: at most 200 ms old).
pub(crate) fn publish_reactors<'a>(
    writers: &mut [crate::stats::ReactorStatsWriter],
    reactors: impl Iterator<Item = &'a crate::reactor::ReactorStats>,
    cores: &[Option<usize>],
) {
    for (i, (w, r)) in writers.iter_mut().zip(reactors).enumerate() {
        let s = r.snapshot();
        w.publish(&crate::stats::ReactorCounters {
            core: cores.get(i).copied().flatten().map(|c| c as u64),
            loop_turns: s.loop_turns,
            uring_submissions: s.sqes_submitted,
            recv_timeouts: s.recv_timeouts_fired,
        });
    }
}

impl SessionCore {
    /// Before an event: bytes already queued for the connection.
    pub(crate) fn stats_queued_before(&mut self, bytes: usize) {
        if let Some(s) = &mut self.stats {
            s.queued_before(bytes as u64);
        }
    }

    /// A read reached its deadline.
    pub(crate) fn stats_recv_timeout(&mut self) {
        if let Some(s) = &mut self.stats {
            s.recv_timeout();
        }
    }

    /// One sample of the engine's own time (probe ticks).
    #[inline]
    pub(crate) fn stats_internal(&mut self, ticks: u64) {
        if let Some(s) = &mut self.stats {
            s.internal(ticks);
        }
    }

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
