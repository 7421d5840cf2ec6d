//! Drives the `exec` application through a logged-on session (memory
//! store) with N NewOrderSingles, for callgrind's instruction counts of
//! `Exec::on_app` (reading the order and encoding its ExecutionReport):
//!
//! ```text
//! cargo build --release -p ringfix-engine --example exec_cost
//! valgrind --tool=callgrind --toggle-collect='*Exec*on_app*' \
//!     target/release/examples/exec_cost 10000
//! ```

use ringfix_codec::Parser;
use ringfix_engine::apps::exec::Exec;
use ringfix_engine::session::{Incoming, Role, Session, SessionSettings};
use ringfix_engine::store::{MemoryStore, UtcTimestamp};
use ringfix_engine::time::Now;

fn wire(seq: u64, msg_type: &str, extra: &str) -> Vec<u8> {
    let body = format!(
        "35={msg_type}\x0134={seq}\x0149=TW\x0152=20260101-00:00:00.000\x0156=ISLD\x01{extra}"
    );
    let mut m = format!("8=FIX.4.4\x019={}\x01{body}", body.len()).into_bytes();
    let sum = m.iter().map(|&b| u32::from(b)).sum::<u32>() % 256;
    m.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
    m
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(10_000);
    let now = Now::same(UtcTimestamp::from_nanos(1_767_225_600 * 1_000_000_000));
    let cfg = SessionSettings::new(Role::Acceptor, "FIX.4.4", "ISLD", "TW");
    let mut app = Exec::new();
    let mut out = Vec::with_capacity(1 << 20);
    let mut s = Session::new(cfg, MemoryStore::new(now.wall), None);
    let mut parser = Parser::new();
    s.connected(now, &mut out, &mut app);
    let logon = wire(1, "A", "98=0\x01108=30\x01");
    if let Ok(view) = parser.parse(&logon) {
        s.on_message(&Incoming::from_view(&view), now, &mut out, &mut app);
    }
    let mut sent = 0usize;
    for seq in 2..n + 2 {
        let order = wire(
            seq,
            "D",
            "11=ORD7\x0121=1\x0138=250\x0140=2\x0144=101.5\x0154=2\x0155=RFIX\x0160=20260101-00:00:00.000\x01",
        );
        out.clear();
        if let Ok(view) = parser.parse(&order) {
            s.on_message(&Incoming::from_view(&view), now, &mut out, &mut app);
        }
        sent += out.len();
    }
    println!(
        "exec_cost: {n} orders, {sent} bytes out, next seq {}",
        s.next_sender_seq()
    );
}
