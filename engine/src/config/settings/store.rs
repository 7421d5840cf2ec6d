//! Store and log settings (`FileStorePath`, `StoreFsync`, ...).

use std::path::PathBuf;

use crate::store::{FileMode, FsyncPolicy};

/// Message store and log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreSettings {
    /// `FileStorePath`: directory of the durable store; memory store if
    /// `None`.
    pub file_store_path: Option<PathBuf>,
    /// `FileLogPath`: directory of message logs; no file log if `None`.
    pub file_log_path: Option<PathBuf>,
    /// `PersistMessages` (default Y): keep sent messages for resends.
    pub persist_messages: bool,
    /// `StoreFsync` (ringfix): `never`, `always` or `<N>ms`; or
    /// QuickFIX/J's `FileStoreSync` (`Y` = always, `N` = never).
    pub fsync: FsyncPolicy,
    /// `StoreSegmentSize` (ringfix, default 16M): bytes the journal grows
    /// by, each step fallocated; from 64K to 1G, rounded up to a page. A
    /// journal keeps the size it was created with (it is in its header).
    pub segment_bytes: u64,
    /// `FileStoreBackupPath` (QuickFIX/J): where a reset moves the
    /// replaced journal (and a copy of the sequence numbers it ended
    /// with); `None` deletes it.
    pub backup_path: Option<PathBuf>,
    /// `FilePermissions` (ringfix, octal, default `0600`): mode of the
    /// store and log files the engine creates; directories it makes get
    /// the same with execute wherever read is set (`0640` -> `0750`). The
    /// statistics page is always `0600`.
    pub file_permissions: FileMode,
    /// `StoreUpkeepThread` (ringfix, default N): a helper thread allocates
    /// journal space and faults its pages in ahead of the writer instead
    /// of the reactor's idle time. For hosts with a core to spare: on two
    /// vCPUs the helper competes with a pinned reactor.
    pub upkeep_thread: bool,
}

/// Default `StoreSegmentSize`: 16 MiB.
pub const DEFAULT_SEGMENT_BYTES: u64 = 16 << 20;

impl Default for StoreSettings {
    fn default() -> Self {
        Self {
            file_store_path: None,
            file_log_path: None,
            persist_messages: false,
            fsync: FsyncPolicy::default(),
            segment_bytes: DEFAULT_SEGMENT_BYTES,
            backup_path: None,
            file_permissions: FileMode::PRIVATE,
            upkeep_thread: false,
        }
    }
}
