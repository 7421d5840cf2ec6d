//! Idle upkeep of the file store: small bounded steps, the deadline only
//! as a fallback, off for good after a prefault error.

use super::contract::{mt, ts};
use super::file::files;
use crate::store::{FileStore, FileStoreOptions, FsyncPolicy, MessageStore};

/// Bytes one idle step may fault in (`journal::IDLE_STEP`).
const STEP: u64 = 16 << 10;

fn big_opts() -> FileStoreOptions {
    FileStoreOptions {
        fsync: FsyncPolicy::Never,
        segment_bytes: 8 << 20,
        max_journal_bytes: 64 << 20,
        ..FileStoreOptions::default()
    }
}

/// Appends records of 200 bytes until `bytes` more are used.
fn fill(store: &mut FileStore, seq: &mut u64, bytes: u64) {
    let end = store.journal_used() + bytes;
    let body = [b'x'; 200];
    while store.journal_used() < end {
        store.append(*seq, &body).unwrap();
        *seq += 1;
    }
}

#[test]
fn upkeep_steps_are_small_and_end() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = FileStore::open(files(&dir), big_opts(), ts(0)).unwrap();
    assert!(!store.upkeep_due(), "open faults in the whole window");
    let mut seq = 1;
    fill(&mut store, &mut seq, 300 << 10);
    assert!(store.upkeep_due());
    let mut steps = 0;
    loop {
        let before = store.journal_prefaulted();
        let more = store.upkeep_step(mt(1)).unwrap();
        let done = store.journal_prefaulted() - before;
        assert!(done <= STEP, "one step faulted in {done} bytes");
        steps += 1;
        if !more {
            break;
        }
        assert!(done > 0, "a step that claims more must make progress");
    }
    // 300 KiB of window to refill, at most 16 KiB a step.
    assert!(steps >= (300 << 10) / STEP, "{steps} steps");
    assert!(!store.upkeep_due());
    assert!(!store.upkeep_step(mt(2)).unwrap(), "nothing left");
    assert!(store.prefaulting());
}

#[test]
fn deadline_is_only_a_fallback() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = FileStore::open(files(&dir), big_opts(), ts(0)).unwrap();
    store.sync(mt(0)).unwrap();
    let mut seq = 1;
    // Idle upkeep keeping up: the deadline never asks for upkeep.
    for _ in 0..40 {
        fill(&mut store, &mut seq, 64 << 10);
        while store.upkeep_step(mt(1)).unwrap() {}
        assert_eq!(store.sync_deadline(), None);
    }
    // No idle time at all: once half the window is used, the deadline
    // path takes over and sync refills it.
    fill(&mut store, &mut seq, (1 << 20) + (16 << 10));
    assert_eq!(store.sync_deadline(), Some(mt(1)), "due at once");
    let before = store.journal_prefaulted();
    store.sync(mt(2)).unwrap();
    assert!(store.journal_prefaulted() > before);
}

#[test]
fn next_segment_is_mapped_by_upkeep() {
    let dir = tempfile::tempdir().unwrap();
    let o = FileStoreOptions {
        segment_bytes: 64 << 10,
        ..big_opts()
    };
    let mut store = FileStore::open(files(&dir), o, ts(0)).unwrap();
    let mut seq = 1;
    fill(&mut store, &mut seq, 50 << 10);
    assert_eq!(store.journal_allocated(), 64 << 10);
    assert!(store.upkeep_due());
    assert_eq!(store.sync_deadline(), None, "not behind yet");
    while store.upkeep_step(mt(1)).unwrap() {}
    assert_eq!(store.journal_allocated(), 128 << 10, "next segment mapped");
}

#[test]
fn prefault_error_turns_upkeep_off() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = FileStore::open(files(&dir), big_opts(), ts(0)).unwrap();
    let mut seq = 1;
    fill(&mut store, &mut seq, 64 << 10);
    assert!(store.upkeep_due());
    // Pages past the end of the file cannot be faulted in (EFAULT).
    let f = std::fs::OpenOptions::new()
        .write(true)
        .open(store.files().journal())
        .unwrap();
    f.set_len(1 << 20).unwrap();
    assert!(!store.upkeep_step(mt(1)).unwrap(), "gives up at once");
    assert!(!store.prefaulting(), "prefault turned off");
    assert!(!store.upkeep_due());
    assert_eq!(store.sync_deadline(), None, "no fallback either");
}

#[test]
fn no_prefault_means_no_upkeep() {
    let dir = tempfile::tempdir().unwrap();
    let o = FileStoreOptions {
        prefault: false,
        ..big_opts()
    };
    let mut store = FileStore::open(files(&dir), o, ts(0)).unwrap();
    let mut seq = 1;
    fill(&mut store, &mut seq, 256 << 10);
    assert!(!store.upkeep_due());
    assert!(!store.upkeep_step(mt(1)).unwrap());
    assert_eq!(store.journal_prefaulted(), 0);
}

/// Upkeep writes zeros ahead of the write position before faulting pages
/// in: interleaved with appends, across a segment boundary, it never
/// touches a stored record.
#[test]
fn upkeep_between_appends_keeps_every_record() {
    let dir = tempfile::tempdir().unwrap();
    let o = FileStoreOptions {
        segment_bytes: 256 << 10,
        ..big_opts()
    };
    let mut store = FileStore::open(files(&dir), o.clone(), ts(0)).unwrap();
    let mut seq = 1;
    for round in 0..40u64 {
        fill(&mut store, &mut seq, 20 << 10);
        // Some rounds run upkeep dry, others one step only.
        if round % 3 == 0 {
            while store.upkeep_step(mt(1)).unwrap() {}
        } else {
            store.upkeep_step(mt(1)).unwrap();
        }
    }
    assert!(store.journal_allocated() > 512 << 10, "crossed segments");
    assert!(store.prefaulting());
    let last = seq - 1;
    drop(store);
    let store = FileStore::open(files(&dir), o, ts(0)).unwrap();
    let got = super::contract::collect(&store, 1, last);
    assert_eq!(got.len() as u64, last);
    for (s, body) in got {
        assert_eq!(body, vec![b'x'; 200], "seq {s}");
    }
}
