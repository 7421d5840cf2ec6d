//! Behaviour every `MessageStore` shares, run against each implementation.

use crate::store::{MemoryStore, MessageStore, MonoTime, StoreError, UtcTimestamp};

/// A monotonic instant (sync and upkeep deadlines).
pub(crate) fn mt(n: i64) -> MonoTime {
    MonoTime::from_nanos(n)
}

pub(crate) fn ts(n: i64) -> UtcTimestamp {
    UtcTimestamp::from_nanos(n)
}

pub(crate) fn msg(seq: u64) -> Vec<u8> {
    format!("8=FIX.4.4\x019=20\x0135=D\x0134={seq}\x0149=S\x0156=T\x0110=000\x01").into_bytes()
}

pub(crate) fn collect(store: &dyn MessageStore, b: u64, e: u64) -> Vec<(u64, Vec<u8>)> {
    let mut v = Vec::new();
    store
        .get_range(b, e, &mut |s, bytes| v.push((s, bytes.to_vec())))
        .unwrap();
    v
}

/// Runs the shared contract on a fresh store created at `ts(100)`.
pub(crate) fn check_contract(store: &mut dyn MessageStore) {
    assert_eq!(store.next_sender_seq(), 1);
    assert_eq!(store.next_target_seq(), 1);
    assert_eq!(store.creation_time(), ts(100));
    assert!(collect(store, 1, 0).is_empty());

    for seq in 1..=10 {
        store.append(seq, &msg(seq)).unwrap();
        store.incr_next_sender_seq().unwrap();
    }
    store.incr_next_target_seq().unwrap();
    store.incr_next_target_seq().unwrap();
    assert_eq!(store.next_sender_seq(), 11);
    assert_eq!(store.next_target_seq(), 3);

    let all = collect(store, 1, 0);
    assert_eq!(all.len(), 10);
    for (i, (s, b)) in all.iter().enumerate() {
        assert_eq!(*s, i as u64 + 1);
        assert_eq!(*b, msg(*s));
    }
    let mid: Vec<u64> = collect(store, 3, 5).iter().map(|p| p.0).collect();
    assert_eq!(mid, vec![3, 4, 5]);
    let tail: Vec<u64> = collect(store, 9, u64::MAX).iter().map(|p| p.0).collect();
    assert_eq!(tail, vec![9, 10]);
    assert!(collect(store, 11, 0).is_empty());
    assert!(collect(store, 5, 4).is_empty());

    // Replacing a stored sequence number keeps only the newest bytes.
    store.append(4, b"replaced").unwrap();
    assert_eq!(collect(store, 4, 4), vec![(4, b"replaced".to_vec())]);

    // Empty messages are stored as such.
    store.append(11, b"").unwrap();
    assert_eq!(collect(store, 11, 11), vec![(11, Vec::new())]);

    assert!(matches!(store.append(0, b"x"), Err(StoreError::ZeroSeq)));
    assert!(matches!(
        store.set_next_sender_seq(0),
        Err(StoreError::ZeroSeq)
    ));
    assert!(matches!(
        store.set_next_target_seq(0),
        Err(StoreError::ZeroSeq)
    ));

    store.set_next_sender_seq(500).unwrap();
    store.set_next_target_seq(42).unwrap();
    assert_eq!(store.next_sender_seq(), 500);
    assert_eq!(store.next_target_seq(), 42);

    store.reset(ts(200)).unwrap();
    assert_eq!(store.next_sender_seq(), 1);
    assert_eq!(store.next_target_seq(), 1);
    assert_eq!(store.creation_time(), ts(200));
    assert!(collect(store, 1, 0).is_empty());
    store.append(1, &msg(1)).unwrap();
    assert_eq!(collect(store, 0, 0), vec![(1, msg(1))]);
    store.sync(mt(300)).unwrap();
}

#[test]
fn memory_store_contract() {
    let mut store = MemoryStore::new(ts(100));
    check_contract(&mut store);
    assert_eq!(store.sync_deadline(), None);
}

#[test]
fn store_is_object_safe_and_send() {
    fn send<T: Send + ?Sized>(_: &T) {}
    let store: Box<dyn MessageStore> = Box::new(MemoryStore::new(ts(1)));
    send(&*store);
}

#[test]
fn sample_message_is_172_bytes_with_valid_checksum() {
    use crate::store::bench::SAMPLE_MESSAGE;
    assert_eq!(SAMPLE_MESSAGE.len(), 172);
    let body_end = SAMPLE_MESSAGE.len() - 7; // "10=NNN\x01"
    let sum: u32 = SAMPLE_MESSAGE[..body_end]
        .iter()
        .map(|&b| u32::from(b))
        .sum();
    let trailer = format!("10={:03}\x01", sum % 256);
    assert_eq!(&SAMPLE_MESSAGE[body_end..], trailer.as_bytes());
}
