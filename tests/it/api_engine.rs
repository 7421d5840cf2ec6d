//! The embedding API end to end in one process: an acceptor and an
//! initiator built in code, orders from a strategy thread through a
//! `SessionSender` (a small queue, so `QueueFull` is met and retried),
//! tickets resolving to MsgSeqNums, no allocation per cross-thread order,
//! `NotLoggedOn` before a logon and `SessionClosed` after the stop; and a
//! sender first asked for after the session logged on (its queue is made
//! after the connection opened: it used to drop every wake-up).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ringfix::api::{
    AppVerdict, Application, Decimal, EngineBuilder, Exit, Incoming, ReactorMode, Sender,
    SessionConfig, SessionId, SessionSettings, TicketStatus, TrySendError,
};
use ringfix::codec::UtcTimestamp;
use ringfix::engine::apps::exec::Exec;
use ringfix::fix44::field::{OrdStatus, OrdType, Side};
use ringfix::fix44::prelude::*;
use ringfix::fix44::{self, Message};

use ringfix_testkit::alloc as alloc_support;

use alloc_support::allocs_all;

/// Counts the fills it sees (reactor thread).
struct Fills(Arc<AtomicU64>);

impl Application for Fills {
    fn on_app(
        &mut self,
        _: &SessionSettings,
        msg: &Incoming<'_>,
        _: &mut Sender<'_>,
    ) -> AppVerdict {
        let filled = match fix44::dispatch(*msg.view()) {
            Message::ExecutionReport(er) => er.ord_status() == Ok(OrdStatus::Filled),
            _ => false,
        };
        if filled {
            self.0.fetch_add(1, Ordering::Release);
        }
        AppVerdict::Accept
    }
}

fn wait_for(what: &str, within: Duration, mut done: impl FnMut() -> bool) {
    let end = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < end, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Sends orders `range` one after another (retrying on a full queue);
/// returns the last ticket's status right after its fill.
fn send_orders(
    tx: &mut ringfix::api::SessionSender,
    fills: &AtomicU64,
    range: std::ops::Range<u64>,
    full: &mut u64,
) -> Vec<TicketStatus> {
    let mut tickets = Vec::with_capacity(range.clone().count());
    let first = fills.load(Ordering::Acquire);
    let count = range.end - range.start;
    let give_up = Instant::now() + Duration::from_secs(10);
    for n in range {
        // ClOrdID in decimal without allocating.
        let mut id = [0u8; 20];
        let mut at = id.len();
        let mut k = n;
        loop {
            at -= 1;
            id[at] = b'0' + (k % 10) as u8;
            k /= 10;
            if k == 0 {
                break;
            }
        }
        loop {
            let sent = tx.try_start::<fix44::NewOrderSingle>().and_then(|order| {
                order
                    .cl_ord_id(&id[at..])
                    .symbol("RFIX")
                    .side(Side::Buy)
                    .order_qty(Decimal::new(5, 0))
                    .ord_type(OrdType::Limit)
                    .price(Decimal::new(101, 1))
                    .transact_time(UtcTimestamp::now())
                    .send()
            });
            match sent {
                Ok(t) => {
                    tickets.push(t);
                    break;
                }
                Err(TrySendError::QueueFull) => {
                    *full += 1;
                    assert!(
                        Instant::now() < give_up,
                        "order {n}: queue still full after 10 s ({} queued)",
                        tx.queued()
                    );
                    std::thread::yield_now();
                }
                Err(e) => panic!("order {n}: {e}"),
            }
        }
    }
    wait_for("fills", Duration::from_secs(30), || {
        fills.load(Ordering::Acquire) >= first + count
    });
    // Only the newest tickets are still in the completion ring.
    let keep = tickets.len().saturating_sub(tx.capacity());
    tickets[keep..].iter().map(|t| tx.status(*t)).collect()
}

/// An exchange engine and the id of its session.
fn exchange() -> (ringfix::api::Engine, SessionId) {
    let exchange_id = SessionId::new("FIX.4.4", "EXCHANGE", "CLIENT");
    let exchange = EngineBuilder::new()
        .session(SessionConfig::acceptor(exchange_id.clone(), 0))
        .start(|_s: &SessionConfig| Exec::new())
        .unwrap();
    (exchange, exchange_id)
}

#[test]
fn orders_through_the_session_sender() {
    // Allocations are counted process-wide.
    if alloc_support::alone("api_engine::orders_through_the_session_sender") {
        return;
    }
    let (mut exchange, exchange_id) = exchange();
    let port = exchange.listen_addrs()[0].port();
    // Nobody connected yet: refused, not queued.
    let mut to_client = exchange.sender(&exchange_id).unwrap();
    assert_eq!(
        to_client.try_send(b"D", |_| {}),
        Err(TrySendError::NotLoggedOn)
    );
    assert!(exchange
        .sender(&SessionId::new("FIX.4.4", "X", "Y"))
        .is_none());

    let id = SessionId::new("FIX.4.4", "CLIENT", "EXCHANGE");
    let mut s = SessionConfig::initiator(id.clone(), "127.0.0.1", port, Duration::from_secs(30));
    s.reset.on_logon = true;
    let fills = Arc::new(AtomicU64::new(0));
    let f = Arc::clone(&fills);
    let client = EngineBuilder::new()
        .session(s)
        .send_queue_capacity(16)
        .start(move |_s| Fills(Arc::clone(&f)))
        .unwrap();
    let mut tx = client.sender(&id).unwrap();
    assert_eq!(tx.capacity(), 16);
    assert!(tx.wait_logged_on(Duration::from_secs(10)));

    let mut full = 0;
    let warm = send_orders(&mut tx, &fills, 0..200, &mut full);
    assert!(
        warm.iter().all(|s| matches!(s, TicketStatus::Sent(_))),
        "{warm:?}"
    );
    let before = allocs_all();
    let statuses = send_orders(&mut tx, &fills, 200..2200, &mut full);
    let allocs = allocs_all() - before;
    // Store growth is logarithmic (about 17 here, 22 for 6000 orders); one
    // allocation per order anywhere on the path would be 2000 or more.
    assert!(
        allocs < 64,
        "{allocs} allocations for 2000 cross-thread orders"
    );
    assert!(full > 0, "the 16-slot queue never filled");

    // One producer: tickets resolve to consecutive sequence numbers.
    let seqs: Vec<u64> = statuses
        .iter()
        .map(|s| match s {
            TicketStatus::Sent(seq) => *seq,
            other => panic!("{other:?}"),
        })
        .collect();
    assert!(seqs.windows(2).all(|w| w[1] == w[0] + 1), "{seqs:?}");
    let report = &client.sessions()[0];
    assert_eq!(report.next_sender_seq, seqs[seqs.len() - 1] + 1);
    assert_eq!(fills.load(Ordering::Acquire), 2200);

    assert_eq!(client.stop_and_wait(), Exit::Clean);
    assert_eq!(tx.try_send(b"D", |_| {}), Err(TrySendError::SessionClosed));
    exchange.stop();
    assert_eq!(exchange.wait(), Exit::Clean);
}

/// The lost wake-up of issue 15, deterministically: the sender (and so the
/// queue) is first asked for once the session is already logged on. The
/// client's reactor spins here (the other test's blocks): its drains send
/// the first message of a wake alone and wake themselves for the rest.
#[test]
fn sender_made_after_the_logon() {
    let (mut exchange, _) = exchange();
    let port = exchange.listen_addrs()[0].port();
    let id = SessionId::new("FIX.4.4", "CLIENT", "EXCHANGE");
    let mut s = SessionConfig::initiator(id.clone(), "127.0.0.1", port, Duration::from_secs(30));
    s.reset.on_logon = true;
    s.reactor.mode = ReactorMode::Spin;
    let fills = Arc::new(AtomicU64::new(0));
    let f = Arc::clone(&fills);
    let client = EngineBuilder::new()
        .session(s)
        .send_queue_capacity(4)
        .start(move |_s| Fills(Arc::clone(&f)))
        .unwrap();
    wait_for("logon", Duration::from_secs(10), || {
        client.sessions()[0].logons == 1
    });
    let mut tx = client.sender(&id).unwrap();
    assert!(tx.wait_logged_on(Duration::from_secs(10)));
    let mut full = 0;
    let statuses = send_orders(&mut tx, &fills, 0..50, &mut full);
    assert!(
        statuses.iter().all(|s| matches!(s, TicketStatus::Sent(_))),
        "{statuses:?}"
    );
    assert_eq!(client.stop_and_wait(), Exit::Clean);
    exchange.stop();
    assert_eq!(exchange.wait(), Exit::Clean);
}
