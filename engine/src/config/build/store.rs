//! The store and log keys of a session (`FileStorePath`, `StoreFsync` or
//! `FileStoreSync`, `StoreSegmentSize`, `FileStoreBackupPath`, ...).

use super::super::error::{ConfigError, ErrorKind};
use super::super::settings::StoreSettings;
use super::super::value;
use super::Reader;
use crate::store::FsyncPolicy;

/// Store and log keys.
pub(super) fn store(r: &Reader<'_>, st: &mut StoreSettings) -> Result<(), ConfigError> {
    st.file_store_path = r.path("FileStorePath")?;
    st.file_log_path = r.path("FileLogPath")?;
    r.set("PersistMessages", &mut st.persist_messages, value::boolean)?;
    st.fsync = fsync(r)?.unwrap_or(st.fsync);
    r.set(
        "StoreSegmentSize",
        &mut st.segment_bytes,
        value::segment_size,
    )?;
    st.backup_path = r.path("FileStoreBackupPath")?;
    r.set("StoreUpkeepThread", &mut st.upkeep_thread, value::boolean)?;
    r.set(
        "FilePermissions",
        &mut st.file_permissions,
        value::file_permissions,
    )?;
    // Accepted and checked, but there is nothing to size (keys::NO_EFFECT).
    r.get("FileStoreMaxCachedMsgs", value::non_negative)?;
    Ok(())
}

/// `StoreFsync`, or QuickFIX/J's `FileStoreSync` (`Y`: always, `N`:
/// never). A session's own line beats one from `[DEFAULT]`; two on the
/// same level must agree.
fn fsync(r: &Reader<'_>) -> Result<Option<FsyncPolicy>, ConfigError> {
    let ours = r.section.get("StoreFsync");
    let theirs = r.section.get("FileStoreSync");
    let ours_v = ours.map(|e| r.parse(e, value::store_fsync)).transpose()?;
    let theirs_v = theirs
        .map(|e| {
            r.parse(e, value::boolean).map(|on| {
                if on {
                    FsyncPolicy::Always
                } else {
                    FsyncPolicy::Never
                }
            })
        })
        .transpose()?;
    match (ours, ours_v, theirs, theirs_v) {
        (Some(a), Some(av), Some(b), Some(bv)) if av != bv => {
            if a.from_default != b.from_default {
                return Ok(Some(if a.from_default { bv } else { av }));
            }
            let later = if a.line > b.line { a } else { b };
            Err(ConfigError {
                location: r.location(later.line),
                key: Some(later.spelled.clone()),
                kind: ErrorKind::BadValue {
                    expected: "StoreFsync and FileStoreSync to agree (FileStoreSync=Y is StoreFsync=always, N is never)",
                    got: format!("StoreFsync={}, FileStoreSync={}", a.value, b.value),
                },
            })
        }
        (_, av, _, bv) => Ok(av.or(bv)),
    }
}
