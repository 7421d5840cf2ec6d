//! `ringfix store show|set-seq|reset`.
use crate::ops_support;

use ops_support::*;
use ringfix::engine::store::{MessageStore, StoreReader};
use serde_json::Value;

fn show_json(cfg: &str, extra: &[&str]) -> Value {
    let mut args = vec!["store", "show", "--config", cfg, "--json"];
    args.extend_from_slice(extra);
    let o = ringfix(&args);
    assert!(o.status.success(), "{}", stderr(&o));
    serde_json::from_str(&stdout(&o)).unwrap()
}

#[test]
fn show_reports_every_session_of_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    fill(dir.path(), "B", 3, 7);
    let cfg = cfg.to_str().unwrap();
    let v = show_json(cfg, &[]);
    let sessions = v["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 3);

    let b = &sessions[0];
    assert_eq!(b["session"], "FIX.4.4:A->B");
    assert_eq!(b["store"], "file");
    assert_eq!(b["exists"], true);
    assert_eq!(b["next_sender_seq"], 4);
    assert_eq!(b["next_target_seq"], 7);
    assert_eq!(b["messages"], 3);
    assert_eq!(b["seq_range"], serde_json::json!([1, 3]));
    assert_eq!(b["generation"], 1);
    assert_eq!(b["creation_time"], "2026-11-18T11:06:40.000000000Z");
    assert_eq!(b["locked"], false);
    assert!(b["journal_bytes"].as_u64().unwrap() > 3 * order(1).len() as u64);
    assert!(b["journal_file_bytes"].as_u64() >= b["journal_bytes"].as_u64());
    assert!(b["path"].as_str().unwrap().ends_with("store/FIX.4.4-A-B"));

    // Never opened: no files yet.
    assert_eq!(sessions[1]["session"], "FIX.4.4:A->C");
    assert_eq!(sessions[1]["exists"], false);
    assert!(sessions[1].get("next_sender_seq").is_none());
    // No FileStorePath.
    assert_eq!(sessions[2]["store"], "memory");
    assert_eq!(sessions[2]["path"], Value::Null);

    let o = ringfix(&["store", "show", "--config", cfg]);
    assert!(o.status.success());
    let text = stdout(&o);
    for want in [
        "FIX.4.4:A->B\n",
        "  next sender:  4\n",
        "  next target:  7\n",
        "  created:      2026-11-18T11:06:40.000Z (generation 1)\n",
        "3 messages, seq 1..=3\n",
        "  locked:       no\n",
        "FIX.4.4:A->C\n  store:",
        "no store yet",
        "memory (no FileStorePath)",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
}

#[test]
fn show_tells_when_an_engine_holds_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    fill(dir.path(), "B", 1, 1);
    let held = open(dir.path(), "B");
    let v = show_json(cfg.to_str().unwrap(), &["--session", "FIX.4.4:A->B"]);
    assert_eq!(v["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(v["sessions"][0]["locked"], true);
    let o = ringfix(&[
        "store",
        "show",
        "--config",
        cfg.to_str().unwrap(),
        "--session",
        "A->B",
    ]);
    assert!(stdout(&o).contains("  locked:       yes, by a running engine\n"));
    drop(held);
    let v = show_json(cfg.to_str().unwrap(), &["--session", "A->B"]);
    assert_eq!(v["sessions"][0]["locked"], false);
}

#[test]
fn sessions_are_named_as_quickfix_as_the_files_or_without_begin_string() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let cfg = cfg.to_str().unwrap();
    for name in ["FIX.4.4:A->C", "FIX.4.4-A-C", "A->C"] {
        let v = show_json(cfg, &["--session", name]);
        assert_eq!(v["sessions"][0]["session"], "FIX.4.4:A->C", "{name}");
    }
}

#[test]
fn an_unknown_session_is_a_usage_error_listing_the_known_ones() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let cfg = cfg.to_str().unwrap();
    for cmd in [
        vec!["show"],
        vec!["set-seq", "--sender", "5"],
        vec!["reset"],
        vec!["dump"],
    ] {
        let mut args = vec!["store"];
        args.extend(cmd.iter());
        args.extend(["--config", cfg, "--session", "FIX.4.2:A->B"]);
        let o = ringfix(&args);
        assert_eq!(o.status.code(), Some(2), "{cmd:?}");
        let err = stderr(&o);
        assert!(err.contains("unknown session `FIX.4.2:A->B`"), "{err}");
        assert!(
            err.contains("FIX.4.4:A->B, FIX.4.4:A->C, FIX.4.4:A->D"),
            "{err}"
        );
    }
}

#[test]
fn a_missing_config_fails() {
    let o = ringfix(&["store", "show", "--config", "/nonexistent/x.cfg"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("config"), "{}", stderr(&o));
}

#[test]
fn set_seq_changes_either_or_both_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = single_config(dir.path());
    let cfg = cfg.to_str().unwrap();
    fill(dir.path(), "B", 5, 9);

    let o = ringfix(&["store", "set-seq", "--config", cfg, "--target", "42"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "FIX.4.4:A->B: next sender 6 -> 6, next target 9 -> 42\n"
    );
    let o = ringfix(&[
        "store", "set-seq", "--config", cfg, "--sender", "100", "--target", "43",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r = StoreReader::open(files(dir.path(), "B")).unwrap();
    assert_eq!((r.next_sender_seq(), r.next_target_seq()), (100, 43));
    assert_eq!(r.seq_range(), Some((1, 5)), "messages kept");

    // Lowering the sender number below the journal (the counterparty lost
    // messages) sticks when the engine opens the store.
    let o = ringfix(&["store", "set-seq", "--config", cfg, "--sender", "3"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let engine = open(dir.path(), "B");
    assert_eq!(engine.next_sender_seq(), 3);
    assert_eq!(engine.next_target_seq(), 43);
}

#[test]
fn set_seq_needs_a_number_and_rejects_zero() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = single_config(dir.path());
    let cfg = cfg.to_str().unwrap();
    let o = ringfix(&["store", "set-seq", "--config", cfg]);
    assert_eq!(o.status.code(), Some(2));
    let o = ringfix(&["store", "set-seq", "--config", cfg, "--sender", "0"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        !files(dir.path(), "B").seqnums().exists(),
        "nothing created"
    );
}

#[test]
fn changes_need_session_when_the_config_has_several() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let cfg = cfg.to_str().unwrap();
    fill(dir.path(), "B", 2, 2);
    for args in [
        vec!["store", "set-seq", "--config", cfg, "--sender", "9"],
        vec!["store", "reset", "--config", cfg],
    ] {
        let o = ringfix(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(stderr(&o).contains("has 3 sessions: name one with --session"));
    }
    let r = StoreReader::open(files(dir.path(), "B")).unwrap();
    assert_eq!(r.next_sender_seq(), 3);
    let o = ringfix(&[
        "store",
        "set-seq",
        "--config",
        cfg,
        "--session",
        "A->B",
        "--sender",
        "9",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
}

#[test]
fn changes_refuse_while_an_engine_holds_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = single_config(dir.path());
    let cfg = cfg.to_str().unwrap();
    fill(dir.path(), "B", 4, 4);
    let engine = open(dir.path(), "B");
    for args in [
        vec![
            "store", "set-seq", "--config", cfg, "--sender", "1", "--target", "1",
        ],
        vec!["store", "reset", "--config", cfg],
    ] {
        let o = ringfix(&args);
        assert_eq!(o.status.code(), Some(3), "{args:?}");
        let err = stderr(&o);
        assert!(
            err.contains("FIX.4.4:A->B: the store is in use by a running engine")
                && err.contains("stop the engine first, nothing was changed"),
            "{err}"
        );
    }
    assert_eq!(engine.next_sender_seq(), 5);
    drop(engine);
    let r = StoreReader::open(files(dir.path(), "B")).unwrap();
    assert_eq!((r.next_sender_seq(), r.next_target_seq()), (5, 4));
    assert_eq!(r.seq_range(), Some((1, 4)));
}

#[test]
fn reset_starts_over_and_keeps_the_old_journal_unless_discarded() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = single_config(dir.path());
    let cfg = cfg.to_str().unwrap();
    fill(dir.path(), "B", 3, 8);
    let f = files(dir.path(), "B");

    let o = ringfix(&["store", "reset", "--config", cfg]);
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("FIX.4.4:A->B: reset: next sender 1, next target 1, created "));
    let kept = f.archived_journal(1);
    assert!(
        out.contains(&format!("old journal kept as {}", kept.display())),
        "{out}"
    );
    assert!(kept.exists());
    let r = StoreReader::open(f.clone()).unwrap();
    assert_eq!((r.next_sender_seq(), r.next_target_seq()), (1, 1));
    assert_eq!((r.seq_range(), r.generation()), (None, 2));
    assert!(r.creation_time() > CREATED);

    fill(dir.path(), "B", 2, 2);
    let o = ringfix(&["store", "reset", "--config", cfg, "--discard"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("old journal deleted"));
    assert!(!f.archived_journal(2).exists());
    assert_eq!(StoreReader::open(f).unwrap().generation(), 3);
}

#[test]
fn memory_stores_cannot_be_changed() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let o = ringfix(&[
        "store",
        "set-seq",
        "--config",
        cfg.to_str().unwrap(),
        "--session",
        "A->D",
        "--sender",
        "2",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("FIX.4.4:A->D: memory store"));
}

#[test]
fn show_and_dump_read_a_store_while_the_engine_appends() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let dir = tempfile::tempdir().unwrap();
    let cfg = single_config(dir.path());
    let cfg = cfg.to_str().unwrap();
    // Engine-sized segments: the reader's look past the last record
    // takes long enough for appends to land meanwhile.
    let options = ringfix::engine::store::FileStoreOptions {
        prefault: false,
        ..Default::default()
    };
    let mut engine =
        ringfix::engine::store::FileStore::open(files(dir.path(), "B"), options, CREATED).unwrap();
    for seq in 1..=3 {
        engine.append(seq, &order(seq)).unwrap();
    }
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = Arc::clone(&stop);
    // The engine appends as fast as it can while the tools look.
    let writer = std::thread::spawn(move || {
        let mut seq = 4;
        while !stop2.load(Ordering::Relaxed) {
            if seq > 100_000 {
                // Enough journal; keep holding the store.
                std::thread::sleep(std::time::Duration::from_millis(1));
                continue;
            }
            engine.append(seq, &order(seq)).unwrap();
            engine.set_next_sender_seq(seq + 1).unwrap();
            seq += 1;
        }
        seq
    });
    let mut highest = 0;
    for _ in 0..8 {
        let v = show_json(cfg, &[]);
        let s = &v["sessions"][0];
        assert_eq!(s["locked"], true);
        let range = s["seq_range"].as_array().unwrap();
        assert_eq!(range[0], 1);
        let hi = range[1].as_u64().unwrap();
        assert!(hi >= highest && hi >= 3);
        highest = hi;
        let o = ringfix(&["store", "dump", "--config", cfg, "--from", "2", "--to", "3"]);
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(stdout(&o).lines().count(), 2);
    }
    stop.store(true, Ordering::Relaxed);
    let written = writer.join().unwrap();
    assert!(written > 4, "the writer ran");
}

#[test]
fn set_seq_before_the_first_start_creates_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path());
    let o = ringfix(&[
        "store",
        "set-seq",
        "--config",
        cfg.to_str().unwrap(),
        "--session",
        "A->C",
        "--sender",
        "50",
        "--target",
        "60",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "FIX.4.4:A->C: next sender 1 -> 50, next target 1 -> 60\n"
    );
    let engine = open(dir.path(), "C");
    assert_eq!(
        (engine.next_sender_seq(), engine.next_target_seq()),
        (50, 60)
    );
}

/// Journals of any segment size: `show` names it, `dump` reads it, and
/// `reset` writes a journal of the configuration's StoreSegmentSize (as
/// the engine would), not the default 16 MiB.
#[test]
fn journals_of_any_segment_size_and_resets_of_the_configured_one() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = single_config(dir.path());
    let text = std::fs::read_to_string(&cfg).unwrap();
    std::fs::write(&cfg, format!("{text}StoreSegmentSize=128K\n")).unwrap();
    let cfg = cfg.to_str().unwrap();
    let dump = || {
        let o = ringfix(&["store", "dump", "--config", cfg]);
        assert!(o.status.success(), "{}", stderr(&o));
        stdout(&o).lines().count()
    };

    // Written with 64 KiB segments (ops_support), 1 MiB, then 4 KiB ones.
    for (segment, n) in [(64 << 10, 300), (1 << 20, 5), (4 << 10, 40)] {
        let options = ringfix::engine::store::FileStoreOptions {
            segment_bytes: segment,
            prefault: false,
            ..Default::default()
        };
        let files = files(dir.path(), "B");
        for name in [files.journal(), files.seqnums()] {
            let _ = std::fs::remove_file(name);
        }
        let mut s = ringfix::engine::store::FileStore::open(files, options, CREATED).unwrap();
        for seq in 1..=n {
            s.append(seq, &order(seq)).unwrap();
        }
        drop(s);
        let v = show_json(cfg, &[]);
        let b = &v["sessions"][0];
        assert_eq!(b["segment_bytes"], segment, "{segment}");
        assert_eq!(b["messages"], n);
        assert_eq!(
            b["journal_file_bytes"].as_u64().unwrap() % segment as u64,
            0
        );
        assert_eq!(dump(), n as usize, "{segment}");
    }
    let o = ringfix(&["store", "show", "--config", cfg]);
    assert!(
        stdout(&o).contains("  segment:      4096 bytes"),
        "{}",
        stdout(&o)
    );

    let o = ringfix(&["store", "reset", "--config", cfg, "--discard"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v = show_json(cfg, &[]);
    assert_eq!(v["sessions"][0]["segment_bytes"], 128 << 10);
    assert_eq!(v["sessions"][0]["journal_file_bytes"], 128 << 10);
    assert_eq!(dump(), 0);
}

/// `reset` puts the old journal where the engine's reset would: the
/// configured FileStoreBackupPath (with the sequence numbers it ended with).
#[test]
fn reset_moves_the_old_journal_to_the_backup_path() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = single_config(dir.path());
    let text = std::fs::read_to_string(&cfg).unwrap();
    let backup = dir.path().join("backup");
    std::fs::write(
        &cfg,
        format!("{text}FileStoreBackupPath={}\n", backup.display()),
    )
    .unwrap();
    fill(dir.path(), "B", 3, 5);
    let o = ringfix(&["store", "reset", "--config", cfg.to_str().unwrap()]);
    assert!(o.status.success(), "{}", stderr(&o));
    let kept = backup.join("FIX.4.4-A-B.journal.1");
    assert!(
        stdout(&o).contains(&format!("old journal kept as {}", kept.display())),
        "{}",
        stdout(&o)
    );
    let decoded = ringfix(&["decode", kept.to_str().unwrap()]);
    assert_eq!(stdout(&decoded).lines().count(), 3);
    assert!(backup.join("FIX.4.4-A-B.seqnums.1").is_file());
    assert!(!files(dir.path(), "B").archived_journal(1).exists());
}
