//! Import of QuickFIX FileStore files.

use super::contract::{collect, msg, ts};
use super::file::open;
use crate::store::{import_quickfix, MemoryStore, MessageStore, StoreError, StoreId, UtcTimestamp};

/// Writes QuickFIX-style files for `msgs` (seq, bytes) the way its
/// FileStore does.
fn write_quickfix(dir: &std::path::Path, prefix: &str, seqnums: &str, msgs: &[(u64, Vec<u8>)]) {
    let mut body = Vec::new();
    let mut header = String::new();
    for (seq, bytes) in msgs {
        header.push_str(&format!("{seq},{},{} ", body.len(), bytes.len()));
        body.extend_from_slice(bytes);
    }
    let p = |ext: &str| dir.join(format!("{prefix}.{ext}"));
    std::fs::write(p("body"), body).unwrap();
    std::fs::write(p("header"), header).unwrap();
    std::fs::write(p("seqnums"), seqnums).unwrap();
    std::fs::write(p("session"), "20261124-05:00:01").unwrap();
}

#[test]
fn imports_quickfix_store_into_file_store() {
    let qf = tempfile::tempdir().unwrap();
    let prefix = StoreId::new("FIX.4.2", "BANZAI", "EXEC").file_prefix();
    assert_eq!(prefix, "FIX.4.2-BANZAI-EXEC", "same naming as QuickFIX");
    let mut msgs: Vec<(u64, Vec<u8>)> = (1..=5).map(|s| (s, msg(s))).collect();
    msgs.push((3, b"3 again".to_vec())); // later entry wins, as in QuickFIX
    write_quickfix(qf.path(), &prefix, "0000000006 : 0000000004", &msgs);

    let dir = tempfile::tempdir().unwrap();
    let mut store = open(&dir);
    store.append(1, b"old contents").unwrap();
    let summary = import_quickfix(qf.path(), &prefix, &mut store, ts(1)).unwrap();
    assert_eq!(summary.messages, 5);
    assert_eq!(summary.next_sender, 6);
    assert_eq!(summary.next_target, 4);
    let created = UtcTimestamp::parse(b"20261124-05:00:01").unwrap();
    assert_eq!(summary.creation_time, created);
    drop(store);

    let store = open(&dir);
    assert_eq!(store.next_sender_seq(), 6);
    assert_eq!(store.next_target_seq(), 4);
    assert_eq!(store.creation_time(), created);
    let got = collect(&store, 1, 0);
    assert_eq!(got.len(), 5);
    assert_eq!(got[2], (3, b"3 again".to_vec()));
    assert_eq!(got[4], (5, msg(5)));
}

#[test]
fn lagging_quickfix_seqnums_are_raised() {
    let qf = tempfile::tempdir().unwrap();
    let msgs: Vec<(u64, Vec<u8>)> = (1..=7).map(|s| (s, msg(s))).collect();
    write_quickfix(qf.path(), "P", "0000000007 : 0000000002", &msgs);
    let mut store = MemoryStore::new(ts(0));
    let summary = import_quickfix(qf.path(), "P", &mut store, ts(1)).unwrap();
    assert_eq!(summary.next_sender, 8);
    assert_eq!(store.next_sender_seq(), 8);
}

#[test]
fn damaged_quickfix_files_are_errors() {
    let qf = tempfile::tempdir().unwrap();
    let msgs: Vec<(u64, Vec<u8>)> = (1..=2).map(|s| (s, msg(s))).collect();
    write_quickfix(qf.path(), "P", "2 : 1", &msgs);
    let mut store = MemoryStore::new(ts(0));
    import_quickfix(qf.path(), "P", &mut store, ts(1)).unwrap();

    let header = qf.path().join("P.header");
    let good = std::fs::read_to_string(&header).unwrap();
    std::fs::write(&header, format!("{good}3,0,99999 ")).unwrap();
    match import_quickfix(qf.path(), "P", &mut store, ts(1)) {
        Err(StoreError::Corrupt { path, offset, .. }) => {
            assert_eq!(path, header);
            assert_eq!(offset as usize, good.len());
        }
        other => panic!("expected Corrupt, got {other:?}"),
    }
    std::fs::write(&header, "1,0").unwrap();
    assert!(import_quickfix(qf.path(), "P", &mut store, ts(1)).is_err());
    std::fs::write(&header, good).unwrap();

    std::fs::write(qf.path().join("P.seqnums"), "garbage").unwrap();
    assert!(import_quickfix(qf.path(), "P", &mut store, ts(1)).is_err());
    std::fs::remove_file(qf.path().join("P.seqnums")).unwrap();
    assert!(import_quickfix(qf.path(), "P", &mut store, ts(1)).is_err());
}
