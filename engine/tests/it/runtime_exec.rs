//! The `exec` application: its ExecutionReports pass the data dictionary
//! of the session's version, carry the fill, and cost no allocation beyond
//! the memory store's amortized growth.

use ringfix_codec::dict::{Options, Validator};
use ringfix_codec::Parser;
use ringfix_engine::apps::exec::Exec;
use ringfix_engine::session::{Incoming, Role, Session, SessionSettings};
use ringfix_engine::store::{MemoryStore, UtcTimestamp};
use ringfix_engine::time::Now;

use ringfix_testkit::alloc as alloc_support;

use alloc_support::allocs;

fn wire(begin: &str, seq: u64, msg_type: &str, extra: &str) -> Vec<u8> {
    let body = format!(
        "35={msg_type}\x0134={seq}\x0149=TW\x0152=20260101-00:00:00.000\x0156=ISLD\x01{extra}"
    );
    let mut m = format!("8={begin}\x019={}\x01{body}", body.len()).into_bytes();
    let sum = m.iter().map(|&b| u32::from(b)).sum::<u32>() % 256;
    m.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
    m
}

fn now() -> Now {
    Now::same(UtcTimestamp::from_nanos(1_767_225_600 * 1_000_000_000))
}

fn logged_on(begin: &str, app: &mut Exec, out: &mut Vec<u8>) -> Session<MemoryStore> {
    let cfg = SessionSettings::new(Role::Acceptor, begin, "ISLD", "TW");
    let v = Validator::builtin(begin.as_bytes(), None, Options::default()).unwrap();
    let mut s = Session::new(cfg, MemoryStore::new(now().wall), Some(Box::new(v)));
    s.connected(now(), out, app);
    let logon = wire(begin, 1, "A", "98=0\x01108=30\x01");
    let mut parser = Parser::new();
    let view = parser.parse(&logon).unwrap();
    s.on_message(&Incoming::from_view(&view), now(), out, app);
    assert!(s.is_logged_on());
    out.clear();
    s
}

fn order(begin: &str, seq: u64) -> Vec<u8> {
    wire(
        begin,
        seq,
        "D",
        "11=ORD7\x0121=1\x0138=250\x0140=2\x0144=101.5\x0154=2\x0155=RFIX\x0160=20260101-00:00:00.000\x01",
    )
}

fn field<'a>(msg: &'a [u8], tag: &str) -> Option<&'a [u8]> {
    let prefix = format!("{tag}=");
    msg.split(|&b| b == 1)
        .find_map(|f| f.strip_prefix(prefix.as_bytes()))
}

#[test]
fn execution_reports_pass_the_dictionary() {
    for (begin, exec_type) in [("FIX.4.2", "2"), ("FIX.4.3", "F"), ("FIX.4.4", "F")] {
        let mut app = Exec::new();
        let mut out = Vec::new();
        let mut s = logged_on(begin, &mut app, &mut out);
        let order = order(begin, 2);
        let mut parser = Parser::new();
        let view = parser.parse(&order).unwrap();
        s.on_message(&Incoming::from_view(&view), now(), &mut out, &mut app);
        let mut v = Validator::builtin(begin.as_bytes(), None, Options::default()).unwrap();
        assert_eq!(
            v.validate_bytes(&out),
            Ok(()),
            "{begin}: {:?}",
            String::from_utf8_lossy(&out)
        );
        for (tag, want) in [
            ("35", "8"),
            ("11", "ORD7"),
            ("39", "2"),
            ("150", exec_type),
            ("54", "2"),
            ("55", "RFIX"),
            ("38", "250"),
            ("32", "250"),
            ("14", "250"),
            ("151", "0"),
            ("31", "101.5"),
            ("6", "101.5"),
            ("37", "1"),
            ("17", "1"),
        ] {
            assert_eq!(field(&out, tag), Some(want.as_bytes()), "{begin} tag {tag}");
        }
        assert!(field(&out, "60").is_some());
    }
}

#[test]
fn filling_orders_allocates_only_for_store_growth() {
    let mut app = Exec::new();
    let mut out = Vec::with_capacity(1 << 20);
    let mut s = logged_on("FIX.4.4", &mut app, &mut out);
    let orders: Vec<Vec<u8>> = (2..1002).map(|seq| order("FIX.4.4", seq)).collect();
    let mut parser = Parser::new();
    let before = allocs();
    for m in &orders {
        out.clear();
        let view = parser.parse(m).unwrap();
        let d = s.on_message(&Incoming::from_view(&view), now(), &mut out, &mut app);
        assert!(!d.is_close());
        assert!(out.starts_with(b"8=FIX.4.4\x01") && out.windows(6).any(|w| w == b"\x0135=8\x01"));
    }
    let allocs = allocs() - before;
    assert_eq!(s.next_sender_seq(), 1002, "1000 reports sent and stored");
    // The memory store's buffer and index double as they grow: O(log n).
    assert!(allocs <= 24, "{allocs} allocations for 1000 fills");
}
