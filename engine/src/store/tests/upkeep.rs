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
    let start = store.journal_prefaulted();
    loop {
        let before = store.journal_prefaulted();
        let more = store.upkeep_step(mt(1)).unwrap();
        let done = store.journal_prefaulted() - before;
        assert!(done <= STEP, "one step faulted in {done} bytes");
        assert!(store.last_upkeep_bytes() as u64 <= STEP);
        steps += 1;
        if !more {
            break;
        }
        assert!(steps < 1000, "upkeep never ends");
    }
    // 300 KiB of window to refill, at most 16 KiB a step.
    assert!(store.journal_prefaulted() - start >= 300 << 10);
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
    // One bounded step per call (an index chunk may come first).
    let before = store.journal_prefaulted();
    for t in 2..6 {
        store.sync(mt(t)).unwrap();
    }
    let done = store.journal_prefaulted() - before;
    assert!(done > 0 && done <= 4 * STEP, "{done}");
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
    let mut steps = 0;
    while store.upkeep_step(mt(1)).unwrap() {
        steps += 1;
        assert!(steps < 100, "gives up at its first journal step");
    }
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

/// Across segment growth (allocated a piece per step, then mapped) and
/// moves to larger reservations (the old one unmapped a piece per step),
/// no step works on more than its bound, and appends never grow the
/// journal themselves while upkeep runs between them.
#[test]
fn every_step_is_bounded_through_growth_and_moves() {
    use crate::store::file::upkeep::{ALLOC_STEP, IDLE_STEP, RELEASE_STEP};
    let dir = tempfile::tempdir().unwrap();
    let o = FileStoreOptions {
        segment_bytes: 4 << 20,
        max_journal_bytes: 256 << 20,
        ..FileStoreOptions::default()
    };
    let mut store = FileStore::open(files(&dir), o.clone(), ts(0)).unwrap();
    let body = [b'y'; 500];
    let mut largest = 0;
    let mut steps = 0u64;
    for seq in 1..=100_000u64 {
        let before = store.journal_allocated();
        store.append(seq, &body).unwrap();
        assert_eq!(
            store.journal_allocated(),
            before,
            "append {seq} grew the journal"
        );
        if seq % 64 == 0 {
            while store.upkeep_step(mt(1)).unwrap() {
                largest = largest.max(store.last_upkeep_bytes());
                steps += 1;
            }
        }
    }
    assert!(
        store.journal_allocated() >= 48 << 20,
        "moved past 16 and 32 MiB"
    );
    assert!(
        largest <= ALLOC_STEP.max(RELEASE_STEP).max(IDLE_STEP),
        "{largest}"
    );
    assert!(steps > 1000);
    drop(store);
    let store = FileStore::open(files(&dir), o, ts(0)).unwrap();
    assert_eq!(super::contract::collect(&store, 1, 0).len(), 100_000);
}

/// Pages of `path` in `0..len` dirty or under writeback (cachestat).
fn unsynced_pages(path: &std::path::Path, len: u64) -> u64 {
    use std::os::fd::AsRawFd;
    #[repr(C)]
    struct Range {
        off: u64,
        len: u64,
    }
    #[repr(C)]
    #[derive(Default)]
    struct Stat {
        cache: u64,
        dirty: u64,
        writeback: u64,
        evicted: u64,
        recently_evicted: u64,
    }
    let f = std::fs::File::open(path).unwrap();
    let range = Range { off: 0, len };
    let mut st = Stat::default();
    // SAFETY: cachestat (syscall 451) reads `range` and writes `st`, both
    // live and laid out as the kernel's structs.
    let rc = unsafe { libc::syscall(451, f.as_raw_fd(), &range, &mut st, 0u32) };
    assert_eq!(rc, 0, "cachestat: {}", std::io::Error::last_os_error());
    st.dirty + st.writeback
}

/// Group commit asks a thread to flush and returns: the deadline is met
/// at once, and the records reach the disk shortly after.
#[test]
fn group_commit_is_flushed_by_a_thread() {
    let dir = tempfile::tempdir().unwrap();
    let o = FileStoreOptions {
        fsync: FsyncPolicy::EveryMillis(1),
        ..big_opts()
    };
    let mut store = FileStore::open(files(&dir), o, ts(0)).unwrap();
    let mut seq = 1;
    fill(&mut store, &mut seq, 64 << 10);
    store.set_next_target_seq(9).unwrap();
    let due = store.sync_deadline().unwrap();
    store.sync(due).unwrap();
    assert_eq!(store.sync_deadline(), None, "asked for: nothing left to do");
    let whole_pages = store.journal_used() / 4096 * 4096;
    let journal = store.files().journal();
    let seqnums = store.files().seqnums();
    let start = std::time::Instant::now();
    while unsynced_pages(&journal, whole_pages) + unsynced_pages(&seqnums, 4096) > 0 {
        assert!(start.elapsed().as_secs() < 20, "never flushed");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// Waits (bounded) until `cond` holds.
fn eventually(what: &str, mut cond: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !cond() {
        assert!(start.elapsed().as_secs() < 20, "{what}: never");
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// StoreUpkeepThread: the helper thread allocates each next segment and
/// faults pages in ahead of the writer; the owner's steps only map what
/// it allocated (no bytes of work of their own), and appends never grow
/// the journal themselves.
#[test]
fn the_upkeep_thread_allocates_and_faults_in_ahead() {
    let dir = tempfile::tempdir().unwrap();
    let o = FileStoreOptions {
        segment_bytes: 1 << 20,
        upkeep_thread: true,
        ..big_opts()
    };
    let mut store = FileStore::open(files(&dir), o.clone(), ts(0)).unwrap();
    assert!(store.thread_faulted().is_some(), "attached");
    let mut seq = 1;
    for _ in 0..40 {
        let before = store.journal_allocated();
        fill(&mut store, &mut seq, 100 << 10);
        assert_eq!(
            store.journal_allocated(),
            before,
            "an append grew the journal"
        );
        // The owner maps what the thread allocated; the thread faults in.
        eventually("segment ahead", || {
            while store.upkeep_step(mt(1)).unwrap() {
                assert_eq!(store.last_upkeep_bytes(), 0, "the owner only maps");
            }
            // A quarter of a segment: when the next one is due.
            store.journal_allocated() - store.journal_used() >= 256 << 10
        });
        let pos = store.journal_used() as usize;
        eventually("window faulted in", || {
            store.thread_faulted().unwrap()
                >= (pos + (512 << 10)).min(store.journal_allocated() as usize)
        });
    }
    // Only at open (the first segment): the thread did the rest.
    assert_eq!(store.journal_prefaulted(), 1 << 20);
    assert!(store.journal_allocated() >= 4 << 20);
    let last = seq - 1;
    drop(store);
    let store = FileStore::open(files(&dir), o, ts(0)).unwrap();
    assert_eq!(super::contract::collect(&store, 1, 0).len() as u64, last);
}
