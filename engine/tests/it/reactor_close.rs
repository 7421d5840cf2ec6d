//! Closing paths against peers that never read and never close.

use crate::reactor_support;

use reactor_support::*;
use ringfix_engine::reactor::{CloseMode, CloseReason, Mode};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

/// Connects and sends `Fbye`; waits for the close. Returns the peer and
/// the time from the handler seeing `Fbye` to the close.
fn bye_until_closed(addr: SocketAddr, log: &Log) -> (TcpStream, Duration) {
    let mut peer = TcpStream::connect(addr).unwrap();
    peer.write_all(b"Fbye\n").unwrap();
    assert!(wait_until(Duration::from_secs(5), || closed_reason(log).is_some()));
    let got = first(log, |e| *e == Event::Frame(b"Fbye\n".to_vec())).unwrap();
    let closed = first(log, |e| matches!(e, Event::Closed(_))).unwrap();
    (peer, closed - got)
}

#[test]
fn close_now_writes_the_queued_message_and_closes_at_once() {
    let _g = serial();
    if isolated(
        module_path!(),
        "close_now_writes_the_queued_message_and_closes_at_once",
    ) {
        return;
    }
    with_timeout(20, || {
        let log = new_log();
        let (r, addr) = scripted(config(Mode::Block), &log, move |s| {
            s.trigger = Some((
                b"Fbye\n".to_vec(),
                b"FLOGOUT\n".to_vec(),
                Some(CloseMode::Now),
                None,
            ));
        });
        let base = fd_count();
        let (mut peer, took) = bye_until_closed(addr, &log);
        assert!(took < Duration::from_millis(50), "close took {took:?}");
        assert_eq!(
            closed_reason(&log),
            Some(CloseReason::Requested(CloseMode::Now))
        );
        // The peer never read while we closed; the message is there now.
        let mut buf = [0u8; 64];
        peer.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
        let n = peer.read(&mut buf).unwrap();
        assert_eq!(&buf[..n], b"FLOGOUT\n");
        // Our socket is gone while the peer still holds its end open.
        assert_clean(addr.port(), base + 1);
        drop(peer);
        assert_clean(addr.port(), base);
        let st = r.stats().snapshot();
        assert_eq!(st.closed, 1);
        assert_eq!(st.closed_aborted, 0);
        shutdown(r);
    });
}

#[test]
fn handler_waiting_for_a_silent_peer_closes_at_its_deadline() {
    let _g = serial();
    if isolated(
        module_path!(),
        "handler_waiting_for_a_silent_peer_closes_at_its_deadline",
    ) {
        return;
    }
    with_timeout(20, || {
        let log = new_log();
        // Logout sent, wait 300 ms for the answer, then close now.
        let (r, addr) = scripted(config(Mode::Block), &log, move |s| {
            s.trigger = Some((
                b"Fbye\n".to_vec(),
                b"FLOGOUT\n".to_vec(),
                None,
                Some(Duration::from_millis(300)),
            ));
        });
        let base = fd_count();
        let (peer, waited) = bye_until_closed(addr, &log);
        assert_between(waited, 290, 600, "close");
        assert_closes_clean(r, peer, addr.port(), base);
    });
}

#[test]
fn graceful_close_with_unsendable_bytes_ends_at_the_deadline() {
    graceful_close_at_deadline(
        "graceful_close_with_unsendable_bytes_ends_at_the_deadline",
        None,
    );
}

#[test]
fn graceful_close_with_unsendable_zero_copy_bytes_ends_at_the_deadline() {
    graceful_close_at_deadline(
        "graceful_close_with_unsendable_zero_copy_bytes_ends_at_the_deadline",
        Some(64 * 1024),
    );
}

fn graceful_close_at_deadline(test: &str, zc: Option<usize>) {
    let _g = serial();
    if isolated(module_path!(), test) {
        return;
    }
    with_timeout(20, move || {
        let log = new_log();
        let mut cfg = config(Mode::Block);
        cfg.max_outbound_queue_bytes = 64 << 20;
        cfg.send_zc_min_bytes = zc;
        // 32 MiB cannot fit in the socket buffers of a peer that never reads.
        let (r, addr) = scripted(cfg, &log, move |s| {
            s.trigger = Some((
                b"Fbye\n".to_vec(),
                vec![b'x'; 32 << 20],
                Some(CloseMode::Graceful),
                Some(Duration::from_millis(400)),
            ));
        });
        let base = fd_count();
        let (peer, waited) = bye_until_closed(addr, &log);
        assert_between(waited, 390, 900, "close");
        assert_eq!(
            closed_reason(&log),
            Some(CloseReason::Requested(CloseMode::Graceful))
        );
        let st = r.stats().snapshot();
        assert_eq!(
            st.closed_aborted, 1,
            "unsent bytes dropped with SO_LINGER 0"
        );
        assert_eq!(st.sends_zc > 0, zc.is_some());
        assert_closes_clean(r, peer, addr.port(), base);
    });
}

#[test]
fn peer_that_stops_reading_hits_the_queue_limit_and_others_are_not_delayed() {
    let _g = serial();
    if isolated(
        module_path!(),
        "peer_that_stops_reading_hits_the_queue_limit_and_others_are_not_delayed",
    ) {
        return;
    }
    with_timeout(30, || {
        let log = new_log();
        let mut cfg = config(Mode::Block);
        cfg.max_outbound_queue_bytes = 2 << 20;
        let (r, addr) = scripted(cfg, &log, move |s| {
            s.echo = true;
            s.trigger = Some((
                b"Fflood\n".to_vec(),
                Vec::new(),
                None,
                Some(Duration::from_millis(5)),
            ));
            s.on_deadline = OnDeadline::Extend(Duration::from_millis(5), 1 << 20);
        });
        let base = fd_count();
        let stuck = TcpStream::connect(addr).unwrap();
        let mut ok = TcpStream::connect(addr).unwrap();
        (&stuck).write_all(b"Fflood\n").unwrap();
        // While the stuck peer fills up, the other connection echoes promptly.
        let mut buf = [0u8; 16];
        for _ in 0..20 {
            let t = Instant::now();
            ok.write_all(b"Fping\n").unwrap();
            ok.read_exact(&mut buf[..6]).unwrap();
            assert_eq!(&buf[..6], b"Fping\n");
            assert!(t.elapsed() < Duration::from_millis(500));
            std::thread::sleep(Duration::from_millis(5));
        }
        assert!(wait_until(Duration::from_secs(10), || closed_reason(&log).is_some()));
        match closed_reason(&log) {
            Some(CloseReason::QueueLimit { queued, limit }) => {
                assert_eq!(limit, 2 << 20);
                assert!(queued > limit);
            }
            other => panic!("unexpected close: {other:?}"),
        }
        assert_eq!(r.stats().snapshot().closed_queue_limit, 1);
        ok.write_all(b"Fstill\n").unwrap();
        ok.read_exact(&mut buf[..7]).unwrap();
        assert_eq!(&buf[..7], b"Fstill\n");
        drop(ok);
        assert!(wait_until(Duration::from_secs(2), || r
            .stats()
            .snapshot()
            .closed
            == 2));
        assert_closes_clean(r, stuck, addr.port(), base);
    });
}

/// (On loopback the kernel copies SendZc data, so its notification comes at
/// once; on a NIC it waits for the peer's ACK, which this peer never sends.)
#[test]
fn close_now_while_a_large_send_is_stuck_resets_at_once() {
    let _g = serial();
    if isolated(
        module_path!(),
        "close_now_while_a_large_send_is_stuck_resets_at_once",
    ) {
        return;
    }
    with_timeout(20, || {
        let log = new_log();
        let mut cfg = config(Mode::Block);
        cfg.max_outbound_queue_bytes = 64 << 20;
        cfg.send_zc_min_bytes = Some(64 * 1024);
        let (r, addr) = scripted(cfg, &log, move |s| {
            s.trigger = Some((b"Fbig\n".to_vec(), vec![b'x'; 32 << 20], None, None));
            s.notify_close = Some(CloseMode::Now);
        });
        let base = fd_count();
        let mut peer = TcpStream::connect(addr).unwrap();
        peer.write_all(b"Fbig\n").unwrap();
        // Let the send fill both socket buffers and block.
        assert!(wait_until(Duration::from_secs(5), || r
            .stats()
            .snapshot()
            .sends_zc
            >= 1));
        std::thread::sleep(Duration::from_millis(100));
        r.notify(open_id(&log).unwrap()).unwrap();
        assert!(wait_until(Duration::from_secs(5), || closed_reason(&log).is_some()));
        let asked = first(&log, |e| *e == Event::Notified).unwrap();
        let closed = first(&log, |e| matches!(e, Event::Closed(_))).unwrap();
        assert!(
            closed - asked < Duration::from_millis(50),
            "close took {:?}",
            closed - asked
        );
        assert_eq!(
            closed_reason(&log),
            Some(CloseReason::Requested(CloseMode::Now))
        );
        assert_eq!(r.stats().snapshot().closed_aborted, 1);
        assert_closes_clean(r, peer, addr.port(), base);
    });
}
