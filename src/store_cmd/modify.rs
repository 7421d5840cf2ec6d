//! `ringfix store set-seq` and `ringfix store reset`: open the store as the
//! engine does (taking its lock), so a running engine makes them refuse.

use std::time::SystemTime;

use ringfix_engine::store::{
    FileStore, FileStoreOptions, FsyncPolicy, MessageStore, StoreError, UtcTimestamp,
};
use ringfix_engine::time::MonoTime;

use super::{rfc3339, select, show::write_out, StoreCmdError, Target, Which};

fn now() -> UtcTimestamp {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));
    UtcTimestamp::from_nanos(nanos)
}

/// Opens the one selected store for writing.
fn open(which: &Which, archive: bool) -> Result<(Target, FileStore), StoreCmdError> {
    let target = select(which, true)?
        .into_iter()
        .next()
        .ok_or_else(|| StoreCmdError::Usage("no session selected".into()))?;
    let files = target.file_store()?.clone();
    // As the engine opens it (a reset writes a journal of the configured
    // segment size), but a tool's change must survive a power cut before
    // the engine starts.
    // The old journal goes where the engine's reset would put it
    // (FileStoreBackupPath), else next to the store; `--discard` deletes it.
    let options = FileStoreOptions {
        fsync: FsyncPolicy::Always,
        archive_on_reset: archive,
        backup_dir: target.options.backup_dir.clone().filter(|_| archive),
        prefault: false,
        ..target.options.clone()
    };
    match FileStore::open(files, options, now()) {
        Ok(store) => Ok((target, store)),
        Err(StoreError::Locked { path }) => Err(StoreCmdError::Locked(format!(
            "{}: the store is in use by a running engine (lock {} held); \
             stop the engine first, nothing was changed",
            target.id,
            path.display()
        ))),
        Err(e) => Err(StoreCmdError::Failed(format!("{}: {e}", target.id))),
    }
}

fn failed(target: &Target, e: StoreError) -> StoreCmdError {
    StoreCmdError::Failed(format!("{}: {e}", target.id))
}

pub(crate) fn set_seq(
    which: &Which,
    sender: Option<u64>,
    target_seq: Option<u64>,
) -> Result<(), StoreCmdError> {
    let (target, mut store) = open(which, false)?;
    let (old_s, old_t) = (store.next_sender_seq(), store.next_target_seq());
    if let Some(n) = sender {
        store
            .set_next_sender_seq(n)
            .map_err(|e| failed(&target, e))?;
    }
    if let Some(n) = target_seq {
        store
            .set_next_target_seq(n)
            .map_err(|e| failed(&target, e))?;
    }
    store
        .sync(MonoTime::now())
        .map_err(|e| failed(&target, e))?;
    let (new_s, new_t) = (store.next_sender_seq(), store.next_target_seq());
    drop(store);
    write_out(&format!(
        "{}: next sender {old_s} -> {new_s}, next target {old_t} -> {new_t}\n",
        target.id
    ))
}

pub(crate) fn reset(which: &Which, discard: bool) -> Result<(), StoreCmdError> {
    let (target, mut store) = open(which, !discard)?;
    let generation = store.generation();
    let messages = store.seq_range();
    let archived = match &target.options.backup_dir {
        Some(dir) => store.files().backup_journal(dir, generation),
        None => store.files().archived_journal(generation),
    };
    let at = now();
    store.reset(at).map_err(|e| failed(&target, e))?;
    store
        .sync(MonoTime::now())
        .map_err(|e| failed(&target, e))?;
    drop(store);
    let kept = match (messages, discard) {
        (None, _) => "no stored messages".to_owned(),
        (Some(_), true) => "old journal deleted".to_owned(),
        (Some(_), false) => format!("old journal kept as {}", archived.display()),
    };
    write_out(&format!(
        "{}: reset: next sender 1, next target 1, created {}; {kept}\n",
        target.id,
        rfc3339(at.as_nanos(), 3)
    ))
}
