//! Crash recovery: torn tails at every offset, garbage tails, corruption
//! in the middle, damaged seqnum slots, and a real kill -9.

use std::path::Path;

use super::contract::{collect, msg, ts};
use super::file::{files, open, opts};
use crate::store::{is_locked, FileStore, MessageStore, StoreError, StoreFiles, StoreReader};

/// A store with records of varied sizes; returns (journal bytes in use,
/// seqnum file bytes, record spans `(seq, offset, end_of_body)`).
/// `(seq, record offset, end of body)`.
type Span = (u64, usize, usize);

fn sample(dir: &tempfile::TempDir) -> (Vec<u8>, Vec<u8>, Vec<Span>) {
    let mut store = open(dir);
    for seq in 1..=6u64 {
        let body = vec![b'a' + seq as u8; (seq as usize * 7) % 23];
        store.append(seq, &body).unwrap();
        store.incr_next_sender_seq().unwrap();
    }
    drop(store);
    let f = files(dir);
    let r = StoreReader::open(f.clone()).unwrap();
    let mut spans = Vec::new();
    r.for_each_record(&mut |seq, off, body| {
        spans.push((seq, off as usize, off as usize + 16 + body.len()))
    });
    let used = r.journal_used() as usize;
    let journal = std::fs::read(f.journal()).unwrap()[..used].to_vec();
    (journal, std::fs::read(f.seqnums()).unwrap(), spans)
}

fn install(dir: &tempfile::TempDir, journal: &[u8], seqnums: &[u8]) -> StoreFiles {
    let f = files(dir);
    std::fs::write(f.journal(), journal).unwrap();
    std::fs::write(f.seqnums(), seqnums).unwrap();
    f
}

fn seqs(store: &dyn MessageStore) -> Vec<u64> {
    collect(store, 1, 0).iter().map(|p| p.0).collect()
}

#[test]
fn truncated_at_every_offset() {
    let src = tempfile::tempdir().unwrap();
    let (journal, seqnums, spans) = sample(&src);
    for cut in 0..=journal.len() {
        let dir = tempfile::tempdir().unwrap();
        install(&dir, &journal[..cut], &seqnums);
        let mut store = FileStore::open(files(&dir), opts(), ts(1))
            .unwrap_or_else(|e| panic!("cut at {cut}: {e}"));
        let expect: Vec<u64> = spans
            .iter()
            .filter(|&&(_, _, end)| end <= cut)
            .map(|s| s.0)
            .collect();
        assert_eq!(seqs(&store), expect, "cut at {cut}");
        assert_eq!(store.next_sender_seq(), 7, "cut at {cut}");
        assert_eq!(store.creation_time(), ts(100), "cut at {cut}");
        store.append(7, &msg(7)).unwrap();
        drop(store);
        let store = open(&dir);
        assert_eq!(seqs(&store).last(), Some(&7), "cut at {cut}");
    }
}

/// Deterministic pseudo-random bytes (xorshift).
fn noise(seed: u64, n: usize) -> Vec<u8> {
    let mut x = seed | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

#[test]
fn garbage_tails_are_discarded() {
    let src = tempfile::tempdir().unwrap();
    let (journal, seqnums, _) = sample(&src);
    for (i, n) in [1usize, 7, 8, 16, 17, 100, 1000].into_iter().enumerate() {
        for lead_zeros in [0usize, 8, 13] {
            let dir = tempfile::tempdir().unwrap();
            let mut bytes = journal.clone();
            bytes.extend(std::iter::repeat_n(0u8, lead_zeros));
            bytes.extend(noise(i as u64 * 31 + lead_zeros as u64, n));
            let f = install(&dir, &bytes, &seqnums);
            let reader = StoreReader::open(f.clone()).unwrap();
            assert_eq!(reader.torn_tail(), Some(journal.len() as u64));
            drop(reader);
            let mut store = open(&dir);
            assert_eq!(seqs(&store), (1..=6).collect::<Vec<_>>(), "n={n}");
            assert_eq!(store.journal_used(), journal.len() as u64);
            drop(store);
            let on_disk = std::fs::read(f.journal()).unwrap();
            assert!(
                on_disk[journal.len()..].iter().all(|&b| b == 0),
                "tail zeroed (n={n})"
            );
            store = open(&dir);
            store.append(7, &msg(7)).unwrap();
            drop(store);
            assert_eq!(seqs(&open(&dir)).len(), 7);
        }
    }
}

fn expect_corrupt(err: StoreError, path: &Path, offset: usize) {
    match err {
        StoreError::Corrupt {
            path: p, offset: o, ..
        } => {
            assert_eq!(p, path);
            assert_eq!(o, offset as u64);
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

#[test]
fn flipped_byte_in_the_middle_is_an_error_with_offset() {
    let src = tempfile::tempdir().unwrap();
    let (journal, seqnums, spans) = sample(&src);
    let (_, last_off, _) = *spans.last().unwrap();
    for &(_, off, end) in &spans {
        for at in off..end {
            let dir = tempfile::tempdir().unwrap();
            let mut bytes = journal.clone();
            bytes[at] ^= 0x20;
            let f = install(&dir, &bytes, &seqnums);
            let result = FileStore::open(f.clone(), opts(), ts(1));
            if off == last_off {
                // Indistinguishable from a torn write: the last record goes.
                let store = result.unwrap();
                assert_eq!(seqs(&store), (1..=5).collect::<Vec<_>>());
                assert_eq!(store.next_sender_seq(), 7);
            } else {
                let err = result.expect_err("corruption must not open");
                let text = err.to_string();
                assert!(text.contains(&off.to_string()), "{text}");
                expect_corrupt(err, &f.journal(), off);
                let err = StoreReader::open(f.clone()).unwrap_err();
                expect_corrupt(err, &f.journal(), off);
            }
        }
    }
}

#[test]
fn damaged_journal_header_with_records_is_an_error() {
    let src = tempfile::tempdir().unwrap();
    let (journal, seqnums, _) = sample(&src);
    for at in [0usize, 9, 20, 41] {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = journal.clone();
        bytes[at] ^= 1;
        let f = install(&dir, &bytes, &seqnums);
        let err = FileStore::open(f.clone(), opts(), ts(1)).unwrap_err();
        expect_corrupt(err, &f.journal(), 0);
    }
}

#[test]
fn zeroed_header_in_the_middle_is_an_error() {
    let src = tempfile::tempdir().unwrap();
    let (journal, seqnums, spans) = sample(&src);
    let (_, off, _) = spans[2];
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = journal.clone();
    bytes[off..off + 16].fill(0);
    let f = install(&dir, &bytes, &seqnums);
    let err = FileStore::open(f.clone(), opts(), ts(1)).unwrap_err();
    expect_corrupt(err, &f.journal(), off);
}

#[test]
fn seqnum_slots_fall_back_then_fail() {
    let dir = tempfile::tempdir().unwrap();
    let f = files(&dir);
    {
        let mut store = open(&dir);
        store.set_next_target_seq(5).unwrap(); // slot 1, counter 2
        store.set_next_target_seq(6).unwrap(); // slot 0, counter 3
    }
    let mut bytes = std::fs::read(f.seqnums()).unwrap();
    bytes[64 + 35] ^= 0xff; // newest slot's next target
    std::fs::write(f.seqnums(), &bytes).unwrap();
    assert_eq!(open(&dir).next_target_seq(), 5, "falls back to older slot");

    let mut bytes = std::fs::read(f.seqnums()).unwrap();
    bytes[64 + 3] ^= 0xff;
    bytes[128 + 3] ^= 0xff;
    std::fs::write(f.seqnums(), &bytes).unwrap();
    let err = FileStore::open(f.clone(), opts(), ts(1)).unwrap_err();
    expect_corrupt(err, &f.seqnums(), 0);

    std::fs::remove_file(f.seqnums()).unwrap();
    let err = FileStore::open(f.clone(), opts(), ts(1)).unwrap_err();
    assert!(err.to_string().contains("seqnum file missing"), "{err}");
}

const CHILD_ENV: &str = "RINGFIX_STORE_KILL9_DIR";

/// The kill -9 store's options: room for the appends the child makes while
/// the parent's refused open waits out the lock's grace period.
fn kill9_opts() -> crate::store::FileStoreOptions {
    crate::store::FileStoreOptions {
        max_journal_bytes: 64 << 20,
        ..opts()
    }
}

/// Child half of `survives_kill_9`: appends until killed, printing each
/// sequence number once `append` returned Ok. A no-op in a normal run.
#[test]
fn kill9_child() {
    let Some(dir) = std::env::var_os(CHILD_ENV) else {
        return;
    };
    let f = StoreFiles::with_prefix(dir, "KILL9");
    let mut store = FileStore::open(f, kill9_opts(), ts(1)).unwrap();
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for _ in 0..1_000_000 {
        let seq = store.next_sender_seq();
        store.append(seq, &msg(seq)).unwrap();
        writeln!(out, "ACK {seq}").unwrap();
        out.flush().unwrap();
        store.incr_next_sender_seq().unwrap();
    }
}

#[test]
fn survives_kill_9() {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    let dir = tempfile::tempdir().unwrap();
    let mut acked = Vec::new();
    for round in 0..3 {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "store::tests::crash::kill9_child", "--nocapture"])
            .env(CHILD_ENV, dir.path())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        let mut this_round = 0;
        for line in out.lines() {
            let line = line.unwrap();
            if let Some(n) = line.strip_prefix("ACK ") {
                acked.push(n.parse::<u64>().unwrap());
                this_round += 1;
                if this_round == 400 + round * 150 {
                    // The running child owns the store: a second process
                    // is refused.
                    let f = StoreFiles::with_prefix(dir.path(), "KILL9");
                    assert!(is_locked(&f).unwrap());
                    assert!(matches!(
                        FileStore::open(f, kill9_opts(), ts(1)),
                        Err(StoreError::Locked { .. })
                    ));
                    child.kill().unwrap(); // SIGKILL, mid-loop
                    break;
                }
            }
        }
        child.wait().unwrap();
        let f = StoreFiles::with_prefix(dir.path(), "KILL9");
        assert!(!is_locked(&f).unwrap(), "lock dies with the process");
        let store = FileStore::open(f, kill9_opts(), ts(1)).unwrap();
        let stored: std::collections::HashMap<u64, Vec<u8>> =
            collect(&store, 1, 0).into_iter().collect();
        for seq in &acked {
            assert_eq!(stored.get(seq), Some(&msg(*seq)), "acked {seq} lost");
        }
        assert!(store.next_sender_seq() > *acked.last().unwrap());
    }
    // Never reused across crashes (a stored but unacknowledged one may be
    // skipped: it is in the journal, so recovery moves past it).
    assert!(acked.windows(2).all(|w| w[1] > w[0]), "seqnums reused");
}

const FSIZE_ENV: &str = "RINGFIX_STORE_FSIZE_DIR";

/// Child half of `real_write_failure_is_typed`: with RLIMIT_FSIZE the
/// kernel refuses to extend the journal (EFBIG), a real syscall failure.
#[test]
fn fsize_child() {
    let Some(dir) = std::env::var_os(FSIZE_ENV) else {
        return;
    };
    let limit = libc::rlimit {
        rlim_cur: 64 << 10,
        rlim_max: 64 << 10,
    };
    // SAFETY: plain syscalls in a child process that does nothing else;
    // SIGXFSZ ignored so the failing call returns EFBIG instead of killing.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
        assert_eq!(libc::setrlimit(libc::RLIMIT_FSIZE, &limit), 0);
    }
    let f = StoreFiles::with_prefix(dir, "FSIZE");
    let mut store = FileStore::open(f.clone(), opts(), ts(1)).unwrap();
    let mut seq = 1;
    let err = loop {
        match store.append(seq, &msg(seq)) {
            Ok(()) => {
                store.incr_next_sender_seq().unwrap();
                seq += 1;
            }
            Err(e) => break e,
        }
    };
    match &err {
        StoreError::NoSpace { needed, source, .. } => {
            assert_eq!(
                *needed,
                opts().segment_bytes as u64,
                "one segment asked for"
            );
            assert_eq!(source.raw_os_error(), Some(libc::EFBIG));
            assert!(err.is_disk_full());
        }
        other => panic!("expected NoSpace, got {other:?}"),
    }
    assert_eq!(
        store.next_sender_seq(),
        seq,
        "failed append consumed nothing"
    );
    drop(store);
    let store = FileStore::open(f, opts(), ts(1)).unwrap();
    assert_eq!(seqs(&store).len() as u64, seq - 1);
    println!("FSIZE-OK {}", seq - 1);
}

#[test]
fn real_write_failure_is_typed() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "store::tests::crash::fsize_child", "--nocapture"])
        .env(FSIZE_ENV, dir.path())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stored: u64 = stdout
        .lines()
        .find_map(|l| l.strip_prefix("FSIZE-OK "))
        .expect("child ran")
        .trim()
        .parse()
        .unwrap();
    assert!(stored > 100, "{stored}");
}
