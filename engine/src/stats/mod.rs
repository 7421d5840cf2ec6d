//! Live statistics of a running engine, read off the hot path by
//! `ringfix stats`.
//!
//! The engine publishes into a fixed-size shared page per process
//! (`ringfix-<pid>.stats` in [`stats_dir`]): a header and one slot per
//! session. Each slot is written by the one thread driving its session, as
//! a local copy copied in under a per-slot seqlock ([`SessionStats`]): no
//! lock, no allocation, no system call on the reactor thread. Readers in
//! any process map the file read-only and retry a slot until they see it
//! unchanged ([`StatsReader`]). The publisher holds an exclusive `flock`
//! on the file for its lifetime, so a reader tells a live engine from a
//! page left behind by a crash.
//!
//! [`prometheus`] turns snapshots into the Prometheus text format, and
//! [`http`] serves it (`GET /metrics`) with a health check (`GET /health`,
//! [`health`]) from a side thread that only reads the page.
//!
//! ```
//! use ringfix_engine::stats::{StatsPublisher, StatsReader};
//! use ringfix_engine::session::SessionState;
//! use ringfix_codec::UtcTimestamp;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = std::env::temp_dir().join(format!("rfx-doc-{}", std::process::id()));
//! let now = UtcTimestamp::from_secs(1_700_000_000);
//! let mut publisher = StatsPublisher::create_in(&dir, &["FIX.4.4:A->B".into()], now)?;
//! let mut s = publisher.session(0).ok_or("taken")?;
//! s.state(SessionState::Active, now);
//! s.publish(now);
//! let snap = StatsReader::open(publisher.path())?.snapshot()?;
//! assert_eq!(snap.sessions[0].counters.state, SessionState::Active);
//! # drop(publisher); let _ = std::fs::remove_dir(&dir); Ok(()) }
//! ```

mod classify;
pub mod health;
pub mod http;
mod leftovers;
mod page;
pub mod prometheus;
mod publisher;
mod reader;
mod values;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

pub use leftovers::prune;
pub use publisher::{ReactorStatsWriter, RoleWriter, SessionStats, StatsPublisher};
pub use reader::{find_pages, EngineSnapshot, SessionSnapshot, StatsReader};
pub use values::{
    InternalTime, ReactorCounters, SessionCounters, INTERNAL_BOUNDS_NS, INTERNAL_BUCKETS,
};

/// What an engine is in a hot-standby pair; a lone engine is `Primary`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum EngineRole {
    /// Runs the sessions.
    #[default]
    Primary,
    /// Replicates a primary and takes over when it fails.
    Standby,
}

impl EngineRole {
    /// `primary` or `standby`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Primary => "primary",
            Self::Standby => "standby",
        }
    }

    pub(crate) fn code(self) -> u64 {
        match self {
            Self::Primary => 0,
            Self::Standby => 1,
        }
    }

    pub(crate) fn from_code(code: u64) -> Self {
        if code == 1 {
            Self::Standby
        } else {
            Self::Primary
        }
    }
}

/// What this node is for one session under hot standby (`HaEnabled`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SessionHaRole {
    /// Not a hot standby session.
    #[default]
    None,
    /// This node leads the session: it connects or listens.
    Leader,
    /// Another node leads (or nobody yet): this node replicates and waits.
    Standby,
}

impl SessionHaRole {
    /// `none`, `leader` or `standby`.
    pub fn name(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Leader => "leader",
            Self::Standby => "standby",
        }
    }

    pub(crate) fn code(self) -> u64 {
        match self {
            Self::None => 0,
            Self::Leader => 1,
            Self::Standby => 2,
        }
    }

    pub(crate) fn from_code(code: u64) -> Self {
        match code {
            1 => Self::Leader,
            2 => Self::Standby,
            _ => Self::None,
        }
    }
}

/// Environment variable naming the stats directory (tests, or engines
/// that must not use `/dev/shm`).
pub const STATS_DIR_ENV: &str = "RINGFIX_STATS_DIR";

/// Where engines publish and tools look: `$RINGFIX_STATS_DIR`, else
/// `/dev/shm` (memory, never written back), else the temp directory.
pub fn stats_dir() -> PathBuf {
    if let Some(d) = std::env::var_os(STATS_DIR_ENV).filter(|d| !d.is_empty()) {
        return PathBuf::from(d);
    }
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_owned()
    } else {
        std::env::temp_dir()
    }
}

/// Why stats could not be published or read.
#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    /// A system call failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done.
        op: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not a stats page this version understands.
    #[error("{}: not a ringfix stats page: {reason}", path.display())]
    NotAPage {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// A slot stayed mid-write (its writer died during an update).
    #[error("{}: slot {slot} is being written and does not settle", path.display())]
    Busy {
        /// The file.
        path: PathBuf,
        /// The slot.
        slot: usize,
    },
}

impl StatsError {
    fn io(op: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            op,
            path: path.into(),
            source,
        }
    }
}
