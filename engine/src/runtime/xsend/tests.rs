//! The cross-thread queue without a reactor: tickets, wake marks, the
//! buffer pool, waiting and `try_` sends, typed drafts.

use super::*;
use ringfix_codec::typed::{Build, Draft};

fn slot() -> XSlot {
    XSlot::new(Version::Fix44, None)
}

fn body(n: u64) -> impl FnOnce(&mut FieldWriter<'_>) {
    move |w| {
        w.field_u64(11, n);
    }
}

/// What the reactor would send: MsgType and body, as text.
fn drained(slot: &XSlot, seq: &mut u64, into: &mut Vec<String>) -> usize {
    slot.drain(|m| {
        let (t, b) = m.parts();
        into.push(format!(
            "{}|{}",
            String::from_utf8_lossy(t),
            String::from_utf8_lossy(b).replace('\x01', "|")
        ));
        *seq += 1;
        Some(*seq)
    })
}

#[test]
fn tickets_complete_in_order_and_expire() {
    let slot = slot();
    let mut tx = slot.sender(2);
    assert_eq!(tx.try_send(b"D", body(1)), Err(TrySendError::NotLoggedOn));
    slot.set_logged_on(true);
    let a = tx.try_send(b"D", body(1)).unwrap();
    let b = tx.try_send(b"D", body(2)).unwrap();
    assert_eq!(tx.try_send(b"D", body(3)), Err(TrySendError::QueueFull));
    // Retries while full take no ticket (one was burned by the failed push).
    assert_eq!(tx.try_send(b"D", body(3)), Err(TrySendError::QueueFull));
    assert_eq!(tx.status(a), TicketStatus::Pending);
    let (mut seq, mut got) = (10, Vec::new());
    assert_eq!(drained(&slot, &mut seq, &mut got), 2);
    assert_eq!(got, vec!["D|11=1|", "D|11=2|"]);
    assert_eq!(tx.status(a), TicketStatus::Sent(11));
    assert_eq!(tx.status(b), TicketStatus::Sent(12));
    let c = tx.try_send(b"D", body(4)).unwrap();
    assert_eq!(c, Ticket(b.0 + 2));
    slot.drain(|_| Some(13));
    // The ring holds 8 completions: ticket a's slot is reused by a+8.
    for _ in 0..6 {
        tx.try_send(b"D", body(5)).unwrap();
        slot.drain(|_| None);
    }
    assert_eq!(tx.status(a), TicketStatus::Expired);
    assert_eq!(tx.try_send(b"", body(1)), Err(TrySendError::NoMsgType));
    tx.close();
    assert_eq!(tx.try_send(b"D", body(1)), Err(TrySendError::SessionClosed));
}

/// No size cap: a body of a megabyte goes through whole; the buffer is
/// not kept in the pool (a burst does not pin its memory), small ones are
/// reused (no allocation in steady state).
#[test]
fn any_size_goes_through_and_small_buffers_are_reused() {
    let slot = slot();
    let mut tx = slot.sender(4);
    slot.set_logged_on(true);
    let big = vec![b'x'; 1 << 20];
    tx.try_send(b"B", |w| {
        w.field(58, &big);
    })
    .unwrap();
    let mut len = 0;
    slot.drain(|m| {
        len = m.parts().1.len();
        Some(1)
    });
    assert_eq!(len, (1 << 20) + 4);
    let q = slot.queue.get().unwrap();
    assert_eq!(q.pool.len(), 0, "a megabyte buffer is not pooled");
    tx.try_send(b"D", body(1)).unwrap();
    slot.drain(|_| Some(2));
    assert_eq!(q.pool.len(), 1);
    let kept = q.pool.pop().unwrap();
    let ptr = kept.as_ptr();
    q.pool.push(kept).unwrap();
    tx.try_send(b"D", body(2)).unwrap();
    assert_eq!(q.pool.len(), 0, "the pooled buffer was taken");
    slot.drain(|m| {
        assert_eq!(m.buf.as_ptr(), ptr, "the same buffer again");
        Some(3)
    });
}

/// The waiting send: a producer sends more than the queue holds while the
/// reactor drains late; nothing is refused, order is kept.
#[test]
fn waiting_send_waits_for_room_and_keeps_order() {
    let slot = Arc::new(slot());
    let mut tx = slot.sender(1);
    slot.set_logged_on(true);
    let producer = std::thread::spawn(move || {
        (0..50)
            .map(|n| tx.send(b"D", body(n)).map(|_| n))
            .collect::<Vec<_>>()
    });
    let (mut seq, mut got) = (0, Vec::new());
    let start = Instant::now();
    while got.len() < 50 && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_micros(200));
        drained(&slot, &mut seq, &mut got);
    }
    let sent = producer.join().unwrap();
    assert!(sent.iter().all(Result::is_ok));
    let want: Vec<String> = (0..50).map(|n| format!("D|11={n}|")).collect();
    assert_eq!(got, want);
}

#[test]
fn waiting_send_gives_up_when_the_session_goes() {
    let slot = Arc::new(slot());
    let mut tx = slot.sender(1);
    slot.set_logged_on(true);
    tx.send(b"D", body(1)).unwrap();
    let s2 = Arc::clone(&slot);
    let waiter = std::thread::spawn(move || tx.send(b"D", body(2)));
    std::thread::sleep(Duration::from_millis(20));
    s2.detach();
    assert_eq!(waiter.join().unwrap(), Err(TrySendError::NotLoggedOn));
}

/// The lost wake-up of issue 15, deterministically: the connection opened
/// (attach) before the first sender made the queue.
#[test]
fn queue_made_after_attach_wakes_its_connection() {
    let remote = Remote::<Conn>::unstarted(16);
    let slot = slot();
    slot.attach(
        &remote,
        ConnId {
            slot: 5,
            generation: 3,
        },
    );
    slot.set_logged_on(true);
    let mut tx = slot.sender(2);
    tx.try_send(b"D", body(1)).unwrap();
    assert_eq!(remote.take_wakes(), vec![5]);
    tx.try_send(b"D", body(1)).unwrap();
    assert_eq!(remote.take_wakes(), vec![5]);
    // Full: the failed push wakes too (its drain clears `full`).
    assert_eq!(tx.try_send(b"D", body(1)), Err(TrySendError::QueueFull));
    assert_eq!(remote.take_wakes(), vec![5]);
    // A spinning reactor sends the first of a wake alone, then wakes
    // itself for the rest.
    assert_eq!(slot.drain(|_| Some(7)), 1);
    assert_eq!(remote.take_wakes(), vec![5]);
    assert_eq!(slot.drain(|_| Some(8)), 1);
    assert!(remote.take_wakes().is_empty(), "nothing left: no self-wake");
    // Detached: refused; what raced the disconnect is failed.
    tx.try_send(b"D", body(1)).unwrap();
    remote.take_wakes();
    slot.detach();
    assert_eq!(tx.try_send(b"D", body(1)), Err(TrySendError::NotLoggedOn));
    assert_eq!(tx.queued(), 0);
}

#[test]
fn close_and_detach_fail_queued_messages() {
    for close in [true, false] {
        let slot = slot();
        let mut tx = slot.sender(4);
        slot.set_logged_on(true);
        let t = tx.try_send(b"D", body(1)).unwrap();
        if close {
            slot.close();
        } else {
            slot.detach();
        }
        assert_eq!(tx.status(t), TicketStatus::Failed);
        assert_eq!(tx.wait(t, Duration::ZERO), TicketStatus::Failed);
        assert_eq!(tx.queued(), 0);
    }
}

#[test]
fn many_producers_every_message_drained_once() {
    let slot = Arc::new(slot());
    let tx = slot.sender(64);
    slot.set_logged_on(true);
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let mut tx = tx.clone();
            std::thread::spawn(move || {
                for n in 0..1000 {
                    while tx.try_send(b"D", body(n)).is_err() {}
                }
            })
        })
        .collect();
    let mut total = 0;
    while threads.iter().any(|t| !t.is_finished()) || tx.queued() > 0 {
        total += slot.drain(|_| Some(1));
    }
    for t in threads {
        t.join().unwrap();
    }
    total += slot.drain(|_| Some(1));
    assert_eq!(total, 4000);
}

/// A generated marker as the code generator writes them (one field).
struct Order<const V: u8>;
struct OrderBuilder<D>(D);
impl<'b, D: Draft<'b>> OrderBuilder<D> {
    fn id(mut self, v: u64) -> Self {
        self.0.encoder().uint(11, v);
        self
    }
    fn send(self) -> D::Sent {
        self.0.send()
    }
}
macro_rules! order {
    ($($v:literal => $ver:expr),*) => {$(
        impl Build for Order<$v> {
            const MSG_TYPE: &'static [u8] = b"D";
            const VERSION: Version = $ver;
            type Empty<'b, D: Draft<'b>> = OrderBuilder<D>;
            fn empty<'b, D: Draft<'b>>(draft: D) -> OrderBuilder<D> {
                OrderBuilder(draft)
            }
        }
    )*};
}
order!(44 => Version::Fix44, 42 => Version::Fix42, 50 => Version::Fix50, 92 => Version::Fix50Sp2);

#[test]
fn typed_drafts_check_the_version_and_queue_the_body() {
    let slot = slot();
    let mut tx = slot.sender(4);
    slot.set_logged_on(true);
    let t = tx.try_start::<Order<44>>().unwrap().id(7).send().unwrap();
    let t2 = tx.start::<Order<44>>().unwrap().id(8).send().unwrap();
    assert!(matches!(
        tx.start::<Order<42>>().err(),
        Some(TrySendError::VersionMismatch {
            message: Version::Fix42,
            session: Version::Fix44
        })
    ));
    // Started and dropped: nothing queued.
    drop(tx.try_start::<Order<44>>().unwrap().id(9));
    let (mut seq, mut got) = (0, Vec::new());
    drained(&slot, &mut seq, &mut got);
    assert_eq!(got, vec!["D|11=7|", "D|11=8|"]);
    assert_eq!(tx.status(t), TicketStatus::Sent(1));
    assert_eq!(tx.status(t2), TicketStatus::Sent(2));

    let fixt = XSlot::new(Version::Fixt11, Some(Version::Fix50Sp2));
    let mut tx = fixt.sender(4);
    fixt.set_logged_on(true);
    tx.start::<Order<92>>().unwrap().id(1).send().unwrap();
    tx.start::<Order<50>>().unwrap().id(2).send().unwrap();
    assert!(tx.start::<Order<44>>().is_err());
    let mut appl = Vec::new();
    fixt.drain(|m| {
        appl.push(m.appl_ver);
        Some(1)
    });
    assert_eq!(appl, vec![None, Some(&b"7"[..])]);
}
