//! FileStoreBackupPath: a reset moves the replaced journal, and a copy of
//! the sequence numbers it ended with, into the backup directory.

use super::contract::{collect, msg, ts};
use super::file::{files, opts};
use crate::store::file::format::{newest_slot, scan};
use crate::store::{FileStore, FileStoreOptions, MessageStore};

fn stored_seqs(journal: &std::path::Path) -> Vec<u64> {
    let bytes = std::fs::read(journal).unwrap();
    let mut seqs = Vec::new();
    scan(&bytes, |seq, _| seqs.push(seq));
    seqs
}

fn names(dir: &std::path::Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    v.sort();
    v
}

fn reset_into(backup: &std::path::Path) {
    let dir = tempfile::tempdir().unwrap();
    let f = files(&dir);
    let o = FileStoreOptions {
        backup_dir: Some(backup.join("old")),
        ..opts()
    };
    let mut store = FileStore::open(f.clone(), o.clone(), ts(100)).unwrap();
    for seq in 1..=3 {
        store.append(seq, &msg(seq)).unwrap();
        store.incr_next_sender_seq().unwrap();
    }
    store.set_next_target_seq(8).unwrap();
    store.reset(ts(200)).unwrap();
    store.append(1, b"new").unwrap();
    store.reset(ts(300)).unwrap();

    let old = backup.join("old");
    let prefix = f.prefix();
    assert_eq!(
        names(&old),
        [
            format!("{prefix}.journal.1"),
            format!("{prefix}.journal.2"),
            format!("{prefix}.seqnums.1"),
            format!("{prefix}.seqnums.2"),
        ]
    );
    assert_eq!(stored_seqs(&f.backup_journal(&old, 1)), [1, 2, 3]);
    assert_eq!(stored_seqs(&f.backup_journal(&old, 2)), [1]);
    let image = std::fs::read(f.backup_seqnums(&old, 1)).unwrap();
    let (_, _, state) = newest_slot(&image).unwrap();
    assert_eq!(
        (
            state.generation,
            state.creation,
            state.next_sender,
            state.next_target
        ),
        (1, 100, 4, 8)
    );
    // Nothing of the old sessions is left beside the store.
    assert_eq!(
        names(dir.path()),
        [
            format!("{prefix}.journal"),
            format!("{prefix}.lock"),
            format!("{prefix}.seqnums"),
        ]
    );
    drop(store);
    let store = FileStore::open(f, o, ts(400)).unwrap();
    assert_eq!(store.creation_time(), ts(300));
    assert!(collect(&store, 1, 0).is_empty());
}

#[test]
fn reset_moves_the_journal_and_seqnums_to_the_backup_path() {
    let backup = tempfile::tempdir().unwrap();
    reset_into(backup.path());
}

/// /dev/shm is another filesystem than the temp dir: no hard link, a copy.
#[test]
fn a_backup_path_on_another_filesystem_gets_a_copy() {
    let shm = std::path::Path::new("/dev/shm");
    assert!(shm.is_dir(), "this test needs /dev/shm");
    let backup = tempfile::tempdir_in(shm).unwrap();
    reset_into(backup.path());
}

/// A reset cut short after the journal was kept leaves that copy: the
/// next reset replaces it instead of failing on it.
#[test]
fn a_backup_left_by_an_interrupted_reset_is_replaced() {
    let dir = tempfile::tempdir().unwrap();
    let backup = tempfile::tempdir().unwrap();
    let f = files(&dir);
    let o = FileStoreOptions {
        backup_dir: Some(backup.path().to_owned()),
        ..opts()
    };
    std::fs::write(f.backup_journal(backup.path(), 1), b"stale").unwrap();
    let mut store = FileStore::open(f.clone(), o, ts(100)).unwrap();
    store.append(1, &msg(1)).unwrap();
    store.reset(ts(200)).unwrap();
    assert_eq!(stored_seqs(&f.backup_journal(backup.path(), 1)), [1]);
}
