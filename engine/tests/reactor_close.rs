//! Closing paths against peers that never read and never close.

mod reactor_support;

use reactor_support::*;
use ringfix_engine::reactor::{CloseMode, CloseReason, Mode};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

#[test]
fn close_now_writes_the_queued_message_and_closes_at_once() {
    let _g = serial();
    with_timeout(20, || {
        let log = new_log();
        let l2 = log.clone();
        let (r, addr) = server(config(Mode::Block), move || {
            let mut s = Script::new(&l2);
            s.trigger = Some((
                b"Fbye\n".to_vec(),
                b"FLOGOUT\n".to_vec(),
                Some(CloseMode::Now),
                None,
            ));
            s
        });
        let base = fd_count();
        let mut peer = TcpStream::connect(addr).unwrap();
        peer.write_all(b"Fbye\n").unwrap();
        assert!(wait_until(Duration::from_secs(5), || closed_reason(&log).is_some()));
        let got = first(&log, |e| *e == Event::Frame(b"Fbye\n".to_vec())).unwrap();
        let closed = first(&log, |e| matches!(e, Event::Closed(_))).unwrap();
        assert!(
            closed - got < Duration::from_millis(50),
            "close took {:?}",
            closed - got
        );
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
    with_timeout(20, || {
        let log = new_log();
        let l2 = log.clone();
        // Logout sent, wait 300 ms for the answer, then close now.
        let (r, addr) = server(config(Mode::Block), move || {
            let mut s = Script::new(&l2);
            s.trigger = Some((
                b"Fbye\n".to_vec(),
                b"FLOGOUT\n".to_vec(),
                None,
                Some(Duration::from_millis(300)),
            ));
            s
        });
        let base = fd_count();
        let mut peer = TcpStream::connect(addr).unwrap();
        peer.write_all(b"Fbye\n").unwrap();
        assert!(wait_until(Duration::from_secs(5), || closed_reason(&log).is_some()));
        let got = first(&log, |e| matches!(e, Event::Frame(_))).unwrap();
        let closed = first(&log, |e| matches!(e, Event::Closed(_))).unwrap();
        let waited = closed - got;
        assert!(
            waited >= Duration::from_millis(290),
            "closed early: {waited:?}"
        );
        assert!(
            waited < Duration::from_millis(600),
            "closed late: {waited:?}"
        );
        assert_clean(addr.port(), base + 1);
        drop(peer);
        assert_clean(addr.port(), base);
        shutdown(r);
    });
}

#[test]
fn graceful_close_with_unsendable_bytes_ends_at_the_deadline() {
    graceful_close_at_deadline(None);
}

#[test]
fn graceful_close_with_unsendable_zero_copy_bytes_ends_at_the_deadline() {
    graceful_close_at_deadline(Some(64 * 1024));
}

fn graceful_close_at_deadline(zc: Option<usize>) {
    let _g = serial();
    with_timeout(20, move || {
        let log = new_log();
        let l2 = log.clone();
        let mut cfg = config(Mode::Block);
        cfg.max_outbound_queue_bytes = 64 << 20;
        cfg.send_zc_min_bytes = zc;
        // 32 MiB cannot fit in the socket buffers of a peer that never reads.
        let (r, addr) = server(cfg, move || {
            let mut s = Script::new(&l2);
            s.trigger = Some((
                b"Fbye\n".to_vec(),
                vec![b'x'; 32 << 20],
                Some(CloseMode::Graceful),
                Some(Duration::from_millis(400)),
            ));
            s
        });
        let base = fd_count();
        let mut peer = TcpStream::connect(addr).unwrap();
        peer.write_all(b"Fbye\n").unwrap();
        assert!(wait_until(Duration::from_secs(5), || closed_reason(&log).is_some()));
        let got = first(&log, |e| matches!(e, Event::Frame(_))).unwrap();
        let closed = first(&log, |e| matches!(e, Event::Closed(_))).unwrap();
        let waited = closed - got;
        assert!(
            waited >= Duration::from_millis(390),
            "closed early: {waited:?}"
        );
        assert!(
            waited < Duration::from_millis(900),
            "closed late: {waited:?}"
        );
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
        assert_clean(addr.port(), base + 1);
        drop(peer);
        assert_clean(addr.port(), base);
        shutdown(r);
    });
}

#[test]
fn peer_that_stops_reading_hits_the_queue_limit_and_others_are_not_delayed() {
    let _g = serial();
    with_timeout(30, || {
        let log = new_log();
        let l2 = log.clone();
        let mut cfg = config(Mode::Block);
        cfg.max_outbound_queue_bytes = 2 << 20;
        let (r, addr) = server(cfg, move || {
            let mut s = Script::new(&l2);
            s.echo = true;
            s.trigger = Some((
                b"Fflood\n".to_vec(),
                Vec::new(),
                None,
                Some(Duration::from_millis(5)),
            ));
            s.on_deadline = OnDeadline::Extend(Duration::from_millis(5), 1 << 20);
            s
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
            assert!(t.elapsed() < Duration::from_millis(200));
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
        assert_clean(addr.port(), base + 1);
        drop(stuck);
        assert_clean(addr.port(), base);
        shutdown(r);
    });
}

/// (On loopback the kernel copies SendZc data, so its notification comes at
/// once; on a NIC it waits for the peer's ACK, which this peer never sends.)
#[test]
fn close_now_while_a_large_send_is_stuck_resets_at_once() {
    let _g = serial();
    with_timeout(20, || {
        let log = new_log();
        let l2 = log.clone();
        let mut cfg = config(Mode::Block);
        cfg.max_outbound_queue_bytes = 64 << 20;
        cfg.send_zc_min_bytes = Some(64 * 1024);
        let (r, addr) = server(cfg, move || {
            let mut s = Script::new(&l2);
            s.trigger = Some((b"Fbig\n".to_vec(), vec![b'x'; 32 << 20], None, None));
            s.notify_close = Some(CloseMode::Now);
            s
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
        assert_clean(addr.port(), base + 1);
        drop(peer);
        assert_clean(addr.port(), base);
        shutdown(r);
    });
}
