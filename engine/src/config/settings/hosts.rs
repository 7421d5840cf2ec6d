//! `HostSelectionPolicy` (QuickFIX C++ 1.16): which of an initiator's
//! connect addresses (`SocketConnectHost`, `SocketConnectHost<n>`) the next
//! attempt takes.

use std::time::Duration;

/// Default `HostSelectionPolicyPriorityStartOverInterval` (QuickFIX C++'s).
pub const DEFAULT_START_OVER_INTERVAL: Duration = Duration::from_secs(120);

/// How an initiator picks the address of its next connection attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostSelection {
    /// Default: the first address; the next one after an attempt that did
    /// not log on (wrapping round); the same one again after a session
    /// that logged on.
    Failover,
    /// `HostSelectionPolicy=PRIORITY`: every attempt takes the next
    /// address (wrapping round), except that an attempt begun `start_over`
    /// (`HostSelectionPolicyPriorityStartOverInterval`, seconds, default
    /// 120) or longer after the previous one starts over at the first
    /// (primary) address: after a quiet spell, such as a session that
    /// stayed up on a backup, the primary is tried first again.
    Priority {
        /// `HostSelectionPolicyPriorityStartOverInterval`.
        start_over: Duration,
    },
}

impl HostSelection {
    /// The policy's name as `HostSelectionPolicy` spells it (`None`: the
    /// default, which has no name).
    pub fn name(&self) -> Option<&'static str> {
        match self {
            HostSelection::Failover => None,
            HostSelection::Priority { .. } => Some("PRIORITY"),
        }
    }
}
