//! A standby ends a dead leader's lease instead of waiting for etcd to.
//!
//! etcd deletes the keys of an expired lease only when its lessor next
//! looks (every 500 ms), so a kill -9 costs up to TTL + 0.5 s before a
//! standby can win: more than a counterparty reconnecting every second can
//! absorb within `HaLeaseTtl` + 1 s. The standby can know earlier that the
//! old leader has stopped:
//!
//! - etcd reports a lease's time left in whole seconds, truncated: below
//!   [`HA_SAFETY_MARGIN`] (1 s) it reports 0. Every keepalive etcd took
//!   was sent by the leader before etcd took it, so the leader's local
//!   deadline (send time + TTL - margin) is at or before etcd's expiry
//!   less the margin: once etcd reports less than the margin left, the
//!   leader's deadline has passed.
//! - A leader never revives its deadline with a keepalive confirmed after
//!   the deadline passed (see `keepalive`), so a deadline passed is passed
//!   for good, whatever keepalive etcd takes later.
//!
//! So when etcd first reports less than the margin left on a leader's
//! lease, that leader has stopped; the standby waits [`TAKEOVER_GAP`] more
//! on its own clock (the old leader stopped at least that long before
//! anyone can win) and revokes the lease. Fencing keeps its order: the
//! leader stops before any other node can win.

use std::collections::HashMap;
use std::time::Duration;

use super::clock::boottime_ns;
use super::etcd::{Etcd, EtcdError};
use crate::config::HA_SAFETY_MARGIN;

/// How long after etcd first reported less than the safety margin left on
/// a leader's lease a standby revokes it: the least time between the old
/// leader's stop and another node's win.
pub const TAKEOVER_GAP: Duration = Duration::from_millis(500);

/// Per lease of another node's election key: since when (CLOCK_BOOTTIME
/// ns) etcd reports less than the margin left on it.
#[derive(Default)]
pub(crate) struct Lapses {
    since: HashMap<i64, u64>,
}

impl Lapses {
    /// Looks at each of `leases` (the leases holding election keys this
    /// node may take over) and revokes those past the gap; returns how
    /// many it revoked. Leases not listed are forgotten.
    pub(crate) fn check(&mut self, etcd: &mut Etcd, leases: &[i64]) -> Result<usize, EtcdError> {
        self.since.retain(|l, _| leases.contains(l));
        let margin = HA_SAFETY_MARGIN.as_secs() as i64;
        let gap = TAKEOVER_GAP.as_nanos() as u64;
        let mut revoked = 0;
        for &lease in leases {
            // Reported whole seconds, truncated: below `margin` means
            // less than the margin left (or gone: None).
            let lapsed = etcd.time_to_live(lease)?.is_none_or(|ttl| ttl < margin);
            if !lapsed {
                self.since.remove(&lease);
                continue;
            }
            // Read after etcd answered: the answer is older than this.
            let now = boottime_ns();
            let since = *self.since.entry(lease).or_insert(now);
            if now >= since + gap {
                etcd.revoke(lease)?;
                self.since.remove(&lease);
                revoked += 1;
                tracing::info!(
                    lease,
                    after_ms = (now - since) / 1_000_000,
                    "ha: revoked the lapsed lease of the leader (its deadline passed)"
                );
            }
        }
        Ok(revoked)
    }
}
