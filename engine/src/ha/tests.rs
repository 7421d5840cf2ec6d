//! The standby side without etcd: fencing tokens, idempotent catch-up
//! records, released sessions.

use super::replica::Replica;
use super::wire::RecordKind;
use crate::store::{FileStoreOptions, StoreFiles, StoreReader, UtcTimestamp};

fn replica(dir: &std::path::Path) -> (Replica, StoreFiles) {
    let files = StoreFiles::with_prefix(dir, "S");
    let r = Replica::new(vec![(
        "S".into(),
        files.clone(),
        FileStoreOptions {
            segment_bytes: 1 << 16,
            prefault: false,
            ..FileStoreOptions::default()
        },
    )]);
    (r, files)
}

#[test]
fn older_tokens_are_refused_and_newer_ones_take_over() {
    let dir = tempfile::tempdir().unwrap();
    let (r, files) = replica(dir.path());
    let st = r.join(0, 10).unwrap();
    assert_eq!((st.next_sender, st.next_target, st.max_seq), (1, 1, 0));
    r.apply(0, 10, RecordKind::Append, 1, b"one").unwrap();
    r.apply(0, 10, RecordKind::SenderSeq, 2, &[]).unwrap();
    // A newer leader joins: the old one's records are stale from then on.
    r.join(0, 12).unwrap();
    let e = r.apply(0, 10, RecordKind::Append, 2, b"old").unwrap_err();
    assert!(e.contains("stale fencing token 10"), "{e}");
    assert!(r.join(0, 11).is_err());
    r.apply(0, 12, RecordKind::Append, 2, b"two").unwrap();
    // A token seen in etcd fences too.
    r.observe(0, 20);
    assert!(r.apply(0, 12, RecordKind::Append, 3, b"x").is_err());
    drop(r.release(0, 20));
    let reader = StoreReader::open(files).unwrap();
    let mut got = Vec::new();
    reader.get_range(1, u64::MAX, &mut |seq, b| got.push((seq, b.to_vec())));
    assert_eq!(got, [(1, b"one".to_vec()), (2, b"two".to_vec())]);
}

#[test]
fn copies_and_older_sequence_numbers_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (r, files) = replica(dir.path());
    r.join(0, 1).unwrap();
    for seq in 1..=5 {
        r.apply(0, 1, RecordKind::Append, seq, format!("m{seq}").as_bytes())
            .unwrap();
        r.apply(0, 1, RecordKind::SenderSeq, seq + 1, &[]).unwrap();
    }
    r.apply(0, 1, RecordKind::TargetSeq, 9, &[]).unwrap();
    // Catch-up overlapping the live stream: the same records again, and
    // sequence numbers from before.
    r.apply(0, 1, RecordKind::Append, 4, b"m4").unwrap();
    r.apply(0, 1, RecordKind::SenderSeq, 3, &[]).unwrap();
    r.apply(0, 1, RecordKind::TargetSeq, 2, &[]).unwrap();
    let st = r.join(0, 1).unwrap();
    assert_eq!((st.next_sender, st.next_target, st.max_seq), (6, 9, 5));
    // A reset to the same creation time is the one already applied.
    let creation = st.creation as u64;
    r.apply(0, 1, RecordKind::Reset, creation, &[]).unwrap();
    assert_eq!(r.join(0, 1).unwrap().max_seq, 5);
    // A new creation time starts over.
    let later = UtcTimestamp::from_nanos(st.creation + 1_000).as_nanos() as u64;
    r.apply(0, 1, RecordKind::Reset, later, &[]).unwrap();
    let st = r.join(0, 1).unwrap();
    assert_eq!((st.next_sender, st.next_target, st.max_seq), (1, 1, 0));
    assert_eq!(st.creation as u64, later);
    drop(r.release(0, 1));
    assert_eq!(StoreReader::open(files).unwrap().message_count(), 0);
}

#[test]
fn a_released_session_refuses_streams_until_adopted() {
    let dir = tempfile::tempdir().unwrap();
    let (r, _) = replica(dir.path());
    r.join(0, 3).unwrap();
    drop(r.release(0, 4));
    let e = r.join(0, 5).unwrap_err();
    assert!(e.contains("leads"), "{e}");
    assert!(r.apply(0, 5, RecordKind::Append, 1, b"x").is_err());
    r.adopt(0);
    // Older than what this node held as leader: still stale.
    assert!(r.join(0, 3).is_err());
    r.join(0, 5).unwrap();
}
