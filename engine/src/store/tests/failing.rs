//! Fault injection through `FailingStore`.

use super::contract::{collect, msg, mt, ts};
use crate::store::{FailingStore, MemoryStore, MessageStore};

#[test]
fn injected_append_failures_look_like_disk_full() {
    let mut store = FailingStore::new(MemoryStore::new(ts(1)));
    let faults = store.handle();
    store.append(1, &msg(1)).unwrap();
    faults.fail_next_append();
    let err = store.append(2, &msg(2)).unwrap_err();
    assert!(err.is_disk_full(), "{err}");
    store.append(2, &msg(2)).unwrap();

    faults.fail_appends(2);
    assert!(store.append(3, &msg(3)).is_err());
    assert!(store.append(3, &msg(3)).is_err());
    store.append(3, &msg(3)).unwrap();

    faults.disk_full();
    for _ in 0..5 {
        assert!(store.append(4, &msg(4)).unwrap_err().is_disk_full());
    }
    assert!(store.incr_next_sender_seq().is_err());
    faults.clear();
    store.incr_next_sender_seq().unwrap();
    let seqs: Vec<u64> = collect(&store, 1, 0).iter().map(|p| p.0).collect();
    assert_eq!(seqs, vec![1, 2, 3], "a failed append must store nothing");

    faults.fail_syncs(true);
    assert!(store.sync(mt(5)).is_err());
    faults.fail_syncs(false);
    store.sync(mt(6)).unwrap();
}

#[test]
fn boxed_failing_store_keeps_handle() {
    let store = FailingStore::new(MemoryStore::new(ts(1)));
    let faults = store.handle();
    let mut boxed: Box<dyn MessageStore> = Box::new(store);
    faults.fail_next_append();
    assert!(boxed.append(1, b"x").is_err());
    boxed.append(1, b"x").unwrap();
}

#[test]
fn wraps_a_boxed_store() {
    let boxed: Box<dyn MessageStore> = Box::new(MemoryStore::new(ts(1)));
    let mut store = FailingStore::new(boxed);
    let faults = store.handle();
    store.append(1, &msg(1)).unwrap();
    faults.fail_next_append();
    assert!(store.append(2, &msg(2)).is_err());
    assert_eq!(collect(&store, 1, 0).len(), 1);
    assert_eq!(store.inner().creation_time(), ts(1));
}
