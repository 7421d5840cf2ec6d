//! FileStore behaviour: persistence, segments, reset, locking, policies.

use super::contract::{check_contract, collect, msg, mt, ts};
use crate::store::{
    is_locked, FailingStore, FileStore, FileStoreOptions, FsyncPolicy, MessageStore, StoreError,
    StoreFiles, StoreId, StoreReader,
};

pub(crate) fn opts() -> FileStoreOptions {
    FileStoreOptions {
        segment_bytes: 4096,
        max_journal_bytes: 1 << 20,
        ..FileStoreOptions::default()
    }
}

pub(crate) fn files(dir: &tempfile::TempDir) -> StoreFiles {
    StoreFiles::new(dir.path(), &StoreId::new("FIX.4.4", "SENDER", "TARGET"))
}

pub(crate) fn open(dir: &tempfile::TempDir) -> FileStore {
    FileStore::open(files(dir), opts(), ts(100)).unwrap()
}

#[test]
fn file_store_is_send() {
    fn send<T: Send>() {}
    send::<FileStore>();
    send::<FailingStore<FileStore>>();
    send::<StoreReader>();
}

#[test]
fn file_store_contract() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    check_contract(&mut store);
}

#[test]
fn file_store_contract_default_options() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = FileStore::open(files(&dir), FileStoreOptions::default(), ts(100)).unwrap();
    check_contract(&mut store);
    assert_eq!(store.journal_allocated(), 16 << 20);
}

#[test]
fn reopen_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = open(&dir);
        for seq in 1..=300 {
            store.append(seq, &msg(seq)).unwrap();
            store.incr_next_sender_seq().unwrap();
        }
        store.set_next_target_seq(77).unwrap();
        assert!(store.journal_allocated() > 4096, "must span segments");
    }
    let mut store = FileStore::open(files(&dir), opts(), ts(999)).unwrap();
    assert_eq!(store.creation_time(), ts(100), "creation time is stored");
    assert_eq!(store.next_sender_seq(), 301);
    assert_eq!(store.next_target_seq(), 77);
    assert_eq!(store.seq_range(), Some((1, 300)));
    let got = collect(&store, 100, 0);
    assert_eq!(got.len(), 201);
    for (seq, bytes) in &got {
        assert_eq!(*bytes, msg(*seq));
    }
    // Resend ranges across a second restart, after more appends.
    for seq in 301..=310 {
        store.append(seq, &msg(seq)).unwrap();
    }
    drop(store);
    let store = open(&dir);
    let seqs: Vec<u64> = collect(&store, 295, 305).iter().map(|p| p.0).collect();
    assert_eq!(seqs, (295..=305).collect::<Vec<_>>());
    assert_eq!(store.next_sender_seq(), 311, "raised past the journal");
}

#[test]
fn journal_moves_to_larger_regions_as_it_grows() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    // 16 KiB reserved at first; this needs several doublings.
    for seq in 1..=3000 {
        store.append(seq, &msg(seq)).unwrap();
        if seq % 500 == 0 {
            // Everything stays readable across each move.
            assert_eq!(collect(&store, 1, 0).len() as u64, seq);
        }
    }
    assert!(store.journal_allocated() > 128 << 10);
    let got = collect(&store, 2990, 0);
    assert_eq!(got.len(), 11);
    assert_eq!(got[0], (2990, msg(2990)));
    drop(store);
    assert_eq!(collect(&open(&dir), 1, 0).len(), 3000);
}

#[test]
fn messages_larger_than_a_segment() {
    let dir = tempfile::tempdir().unwrap();
    let big: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
    {
        let mut store = open(&dir);
        store.append(1, b"small").unwrap();
        store.append(2, &big).unwrap();
        store.append(3, b"after").unwrap();
    }
    let store = open(&dir);
    let got = collect(&store, 1, 0);
    assert_eq!(got[1], (2, big));
    assert_eq!(got[2], (3, b"after".to_vec()));
}

#[test]
fn sender_seq_never_below_stored() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = open(&dir);
        for seq in 1..=5 {
            store.append(seq, &msg(seq)).unwrap();
        }
        // Crash before the seqnum update of the last sends.
        assert_eq!(store.next_sender_seq(), 1);
    }
    assert_eq!(open(&dir).next_sender_seq(), 6);
}

#[test]
fn lowering_the_sender_seq_persists() {
    let dir = tempfile::tempdir().unwrap();
    {
        let mut store = open(&dir);
        for seq in 1..=10 {
            store.append(seq, &msg(seq)).unwrap();
            store.incr_next_sender_seq().unwrap();
        }
        store.set_next_sender_seq(3).unwrap(); // e.g. `ringfix store set-seq`
    }
    let mut store = open(&dir);
    assert_eq!(store.next_sender_seq(), 3, "deliberate set-seq kept");
    assert_eq!(StoreReader::open(files(&dir)).unwrap().next_sender_seq(), 3);
    // Still crash safe after it: stored but not counted -> raised.
    store.append(3, &msg(3)).unwrap();
    store.append(4, &msg(4)).unwrap();
    drop(store);
    let mut store = open(&dir);
    assert_eq!(store.next_sender_seq(), 5);
    // Raising never moves the floor: stored numbers still count.
    store.set_next_sender_seq(20).unwrap();
    store.append(20, &msg(20)).unwrap();
    drop(store);
    assert_eq!(open(&dir).next_sender_seq(), 21);
}

#[test]
fn lock_refuses_second_owner() {
    let dir = tempfile::tempdir().unwrap();
    let f = files(&dir);
    assert!(!is_locked(&f).unwrap());
    let store = open(&dir);
    assert!(is_locked(&f).unwrap());
    match FileStore::open(f.clone(), opts(), ts(1)) {
        Err(StoreError::Locked { path }) => assert_eq!(path, f.lock()),
        other => panic!("expected Locked, got {other:?}"),
    }
    // Inspection works while locked.
    let reader = StoreReader::open(f.clone()).unwrap();
    assert!(reader.is_locked().unwrap());
    drop(store);
    assert!(!is_locked(&f).unwrap());
    drop(FileStore::open(f, opts(), ts(1)).unwrap());
}

/// A lock let go shortly after the open began (as when a child being
/// spawned briefly holds a copy of the descriptor) is waited for.
#[test]
fn a_lock_released_within_the_grace_period_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let first = open(&dir);
    let holder = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(15));
        drop(first);
    });
    let second = FileStore::open(files(&dir), opts(), ts(1));
    holder.join().unwrap();
    assert!(second.is_ok(), "{:?}", second.err());
}

#[test]
fn reset_rolls_journal_and_optionally_archives() {
    let dir = tempfile::tempdir().unwrap();
    let f = files(&dir);
    let mut o = opts();
    o.archive_on_reset = true;
    let mut store = FileStore::open(f.clone(), o, ts(100)).unwrap();
    store.append(1, b"old").unwrap();
    store.set_next_sender_seq(2).unwrap();
    assert_eq!(store.generation(), 1);
    store.reset(ts(500)).unwrap();
    assert_eq!(store.generation(), 2);
    assert!(f.archived_journal(1).exists());
    store.append(1, b"new").unwrap();
    drop(store);
    let store = open(&dir);
    assert_eq!(store.creation_time(), ts(500));
    assert_eq!(collect(&store, 1, 0), vec![(1, b"new".to_vec())]);
    drop(store);

    // Default: the old journal is deleted.
    let mut store = open(&dir);
    store.reset(ts(600)).unwrap();
    assert!(!f.archived_journal(2).exists());
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 4, "{names:?}"); // journal, seqnums, lock, journal.1
}

#[test]
fn reset_cut_short_is_completed_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let f = files(&dir);
    let mut store = open(&dir);
    store.append(1, b"x").unwrap();
    store.set_next_sender_seq(2).unwrap();
    store.set_next_target_seq(9).unwrap();
    let seq_before = std::fs::read(f.seqnums()).unwrap();
    store.reset(ts(700)).unwrap();
    drop(store);
    // Crash between the new journal and the seqnum file update.
    std::fs::write(f.seqnums(), &seq_before).unwrap();
    let store = open(&dir);
    assert_eq!(store.generation(), 2);
    assert_eq!(store.creation_time(), ts(700));
    assert_eq!(store.next_sender_seq(), 1);
    assert_eq!(store.next_target_seq(), 1);
    assert!(collect(&store, 1, 0).is_empty());
}

#[test]
fn refresh_reloads_files() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let mut store = open(&a);
    store.append(1, b"mine").unwrap();
    {
        let mut other = open(&b);
        for seq in 1..=3 {
            other.append(seq, &msg(seq)).unwrap();
        }
        other.set_next_target_seq(5).unwrap();
    }
    // Another host's state lands in our directory (shared storage).
    for p in [files(&b).journal(), files(&b).seqnums()] {
        let name = p.file_name().unwrap().to_owned();
        std::fs::rename(&p, a.path().join(name)).unwrap();
    }
    store.refresh().unwrap();
    assert_eq!(store.next_sender_seq(), 4);
    assert_eq!(store.next_target_seq(), 5);
    assert_eq!(collect(&store, 1, 0).len(), 3);
}

#[test]
fn fsync_policies() {
    for (policy, group) in [
        (FsyncPolicy::Never, false),
        (FsyncPolicy::Always, false),
        (FsyncPolicy::EveryMillis(5), true),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let mut o = opts();
        o.fsync = policy;
        let mut store = FileStore::open(files(&dir), o, ts(0)).unwrap();
        assert_eq!(store.fsync_policy(), policy);
        assert_eq!(store.sync_deadline(), None, "{policy}: nothing pending");
        store.append(1, &msg(1)).unwrap();
        store.incr_next_sender_seq().unwrap();
        if !group {
            assert_eq!(store.sync_deadline(), None, "{policy}");
            store.sync(mt(1)).unwrap();
            continue;
        }
        // First sync: no earlier sync, so the deadline has passed.
        assert!(store.sync_deadline().unwrap() <= mt(1_000_000_000));
        store.sync(mt(1_000_000_000)).unwrap();
        assert_eq!(store.sync_deadline(), None);
        store.append(2, &msg(2)).unwrap();
        assert_eq!(store.sync_deadline(), Some(mt(1_005_000_000)));
        store.sync(mt(1_004_999_999)).unwrap();
        assert_eq!(store.sync_deadline(), Some(mt(1_005_000_000)), "too early");
        store.set_next_target_seq(3).unwrap();
        store.sync(mt(1_005_000_000)).unwrap();
        assert_eq!(store.sync_deadline(), None);
        store.set_next_target_seq(4).unwrap();
        assert_eq!(store.sync_deadline(), Some(mt(1_010_000_000)));
    }
}

#[test]
fn upkeep_is_announced_and_done_by_sync() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    store.sync(mt(50)).unwrap();
    assert_eq!(store.sync_deadline(), None);
    let mut seq = 1;
    while store.sync_deadline().is_none() {
        store.append(seq, &msg(seq)).unwrap();
        seq += 1;
    }
    assert_eq!(store.journal_allocated(), 4096);
    assert_eq!(
        store.sync_deadline(),
        Some(mt(50)),
        "due at the last sync time"
    );
    // One bounded step per call: the segment is allocated, then mapped.
    let mut calls = 0;
    while store.sync_deadline().is_some() {
        store.sync(mt(60)).unwrap();
        calls += 1;
        assert!(calls <= 4, "{calls} calls");
    }
    assert_eq!(store.journal_allocated(), 8192, "next segment mapped ahead");
}

#[test]
fn prefault_keeps_working_with_odd_sizes() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts();
    o.segment_bytes = 8 << 20;
    o.max_journal_bytes = 32 << 20;
    let mut store = FileStore::open(files(&dir), o, ts(0)).unwrap();
    for seq in 1..=20_000u64 {
        let body = vec![b'x'; (seq % 97) as usize];
        store.append(seq, &body).unwrap();
        if seq % 10 == 0 {
            store.sync(mt(seq as i64)).unwrap();
        }
    }
    assert!(store.prefaulting(), "a prefault call failed (alignment?)");
    assert!(store.journal_used() > 1 << 20);
}

#[test]
fn journal_full_is_a_typed_error_and_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts();
    o.max_journal_bytes = 8192;
    let mut store = FileStore::open(files(&dir), o.clone(), ts(0)).unwrap();
    let mut seq = 1;
    let err = loop {
        match store.append(seq, &msg(seq)) {
            Ok(()) => seq += 1,
            Err(e) => break e,
        }
    };
    assert!(err.is_disk_full(), "{err}");
    assert!(matches!(err, StoreError::JournalFull { limit: 8192, .. }));
    drop(store);
    let store = FileStore::open(files(&dir), o, ts(0)).unwrap();
    assert_eq!(collect(&store, 1, 0).len() as u64, seq - 1);
    assert_eq!(store.next_sender_seq(), seq);
}

#[test]
fn injected_failures_on_file_store() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = FailingStore::new(open(&dir));
    let faults = store.handle();
    store.append(1, &msg(1)).unwrap();
    faults.fail_next_append();
    assert!(store.append(2, &msg(2)).unwrap_err().is_disk_full());
    drop(store);
    let store = open(&dir);
    assert_eq!(collect(&store, 1, 0).len(), 1);
}

#[test]
fn reader_inspects_without_changing() {
    let dir = tempfile::tempdir().unwrap();
    let f = files(&dir);
    let mut store = open(&dir);
    for seq in 1..=4 {
        store.append(seq, &msg(seq)).unwrap();
        store.incr_next_sender_seq().unwrap();
    }
    store.append(2, b"again").unwrap();
    let used = store.journal_used();
    let r = StoreReader::open(f.clone()).unwrap();
    assert_eq!(r.seq_range(), Some((1, 4)));
    assert_eq!(r.message_count(), 4);
    assert_eq!(r.next_sender_seq(), 5);
    assert_eq!(r.creation_time(), ts(100));
    assert_eq!(r.journal_used(), used);
    assert_eq!(r.journal_file_len(), store.journal_allocated());
    assert_eq!(r.torn_tail(), None);
    let mut all = Vec::new();
    r.for_each_record(&mut |seq, _, _| all.push(seq));
    assert_eq!(all, vec![1, 2, 3, 4, 2]);
    let mut newest = Vec::new();
    r.get_range(2, 2, &mut |_, b| newest.push(b.to_vec()));
    assert_eq!(newest, vec![b"again".to_vec()]);
    assert_eq!(StoreFiles::list(dir.path()).unwrap(), vec![f]);
}

#[test]
fn file_prefix_follows_quickfix() {
    let mut id = StoreId::new("FIX.4.2", "BANZAI", "EXEC");
    assert_eq!(id.file_prefix(), "FIX.4.2-BANZAI-EXEC");
    id.sender_sub_id = "DESK".into();
    id.sender_location_id = "NY".into();
    id.target_sub_id = "T1".into();
    id.qualifier = "q2".into();
    assert_eq!(id.file_prefix(), "FIX.4.2-BANZAI_DESK_NY-EXEC_T1-q2");
    let odd = StoreId::new("FIXT.1.1", "A/B", "C D");
    assert_eq!(odd.file_prefix(), "FIXT.1.1-A%2FB-C%20D");
}
