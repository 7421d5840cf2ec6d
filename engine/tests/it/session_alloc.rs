//! The in-order path allocates nothing: a counting global allocator around
//! a run of application messages and heartbeats through a logged-on session.

use ringfix_codec::Parser;
use ringfix_engine::session::{
    AppVerdict, Application, Incoming, Role, Sender, Session, SessionSettings,
};
use ringfix_engine::store::{MemoryStore, UtcTimestamp};
use ringfix_engine::time::Now;

use ringfix_testkit::alloc as alloc_support;

use alloc_support::allocs;

struct Nop;

impl Application for Nop {
    fn on_app(
        &mut self,
        _s: &SessionSettings,
        _m: &Incoming<'_>,
        _o: &mut Sender<'_>,
    ) -> AppVerdict {
        AppVerdict::Accept
    }
}

fn wire(seq: u64, msg_type: &str, extra: &str) -> Vec<u8> {
    let body = format!(
        "35={msg_type}\x0134={seq}\x0149=TW\x0152=20260101-00:00:00.000\x0156=ISLD\x01{extra}"
    );
    let mut m = format!("8=FIX.4.4\x019={}\x01{body}", body.len()).into_bytes();
    let sum = m.iter().map(|&b| u32::from(b)).sum::<u32>() % 256;
    m.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
    m
}

fn logged_on(now: Now, out: &mut Vec<u8>) -> Session<MemoryStore> {
    let cfg = SessionSettings::new(Role::Acceptor, "FIX.4.4", "ISLD", "TW");
    let mut s = Session::new(cfg, MemoryStore::new(now.wall), None);
    s.connected(now, out, &mut Nop);
    let logon = wire(1, "A", "98=0\x01108=30\x01");
    let mut parser = Parser::new();
    let view = parser.parse(&logon).unwrap();
    s.on_message(&Incoming::from_view(&view), now, out, &mut Nop);
    assert!(s.is_logged_on());
    s
}

fn now() -> Now {
    Now::same(UtcTimestamp::from_nanos(1_767_225_600 * 1_000_000_000))
}

#[test]
fn in_order_application_messages_do_not_allocate() {
    let mut out = Vec::with_capacity(1 << 20);
    let mut s = logged_on(now(), &mut out);
    let msgs: Vec<Vec<u8>> = (2..2002)
        .map(|seq| wire(seq, "D", "11=ID\x0121=1\x0140=1\x0154=1\x0155=X\x01"))
        .collect();
    // One parser, as a connection has: its index is reused.
    let mut parser = Parser::new();
    for m in &msgs[..1000] {
        let view = parser.parse(m).unwrap();
        s.on_message(&Incoming::from_view(&view), now(), &mut out, &mut Nop);
    }
    let before = allocs();
    for m in &msgs[1000..] {
        let view = parser.parse(m).unwrap();
        let d = s.on_message(&Incoming::from_view(&view), now(), &mut out, &mut Nop);
        assert!(!d.is_close());
    }
    let allocs = allocs() - before;
    assert_eq!(s.next_target_seq(), 2002);
    assert_eq!(allocs, 0, "allocations on the in-order path");
}

#[test]
fn answering_test_requests_allocates_only_for_store_growth() {
    let mut out = Vec::with_capacity(1 << 20);
    let mut s = logged_on(now(), &mut out);
    let msgs: Vec<Vec<u8>> = (2..1002)
        .map(|seq| wire(seq, "1", "112=ping\x01"))
        .collect();
    let mut parser = Parser::new();
    let before = allocs();
    for m in &msgs {
        let view = parser.parse(m).unwrap();
        s.on_message(&Incoming::from_view(&view), now(), &mut out, &mut Nop);
    }
    let allocs = allocs() - before;
    assert_eq!(s.next_sender_seq(), 1002, "1000 heartbeats sent and stored");
    // The memory store's buffer and index double as they grow: O(log n).
    assert!(allocs <= 24, "{allocs} allocations for 1000 heartbeats");
}

/// The file store in steady state allocates nothing: 100 000 appends with
/// their sequence number updates, idle upkeep between them (journal pages
/// and segments ahead, the sequence index grown in its reserved range)
/// and group commit, counted on this thread.
#[test]
fn file_store_appends_and_upkeep_do_not_allocate() {
    use ringfix_engine::store::{
        FileStore, FileStoreOptions, FsyncPolicy, MessageStore, StoreFiles,
    };
    let dir = tempfile::tempdir().unwrap();
    let options = FileStoreOptions {
        fsync: FsyncPolicy::EveryMillis(1),
        segment_bytes: 1 << 20,
        ..FileStoreOptions::default()
    };
    let files = StoreFiles::with_prefix(dir.path(), "ALLOC");
    let mut store = FileStore::open(files, options, now().wall).unwrap();
    let msg = wire(
        1,
        "8",
        "37=1\x0111=ID\x0117=1\x01150=0\x0139=0\x0155=X\x0154=1\x01",
    );
    let mut t = now();
    let step = |store: &mut FileStore, t: Now| {
        let t = t.mono;
        while store.upkeep_step(t).unwrap() {}
        if store.sync_deadline().is_some_and(|d| d <= t) {
            store.sync(t).unwrap();
        }
    };
    // Warm up: the first segment's window and index chunk are made at open.
    for seq in 1..=1_000u64 {
        store.append(seq, &msg).unwrap();
        store.set_next_sender_seq(seq + 1).unwrap();
    }
    step(&mut store, t);
    let before = allocs();
    for seq in 1_001..=101_000u64 {
        store.append(seq, &msg).unwrap();
        store.set_next_sender_seq(seq + 1).unwrap();
        if seq % 32 == 0 {
            t = t.add_nanos(200_000);
            step(&mut store, t);
        }
    }
    let allocs = allocs() - before;
    assert!(store.journal_allocated() > 8 << 20, "crossed many segments");
    assert_eq!(allocs, 0, "allocations in 100 000 appends");
}
