//! Deadlines: every Recv is linked to the handler's deadline, in every state.

use crate::reactor_support;

use reactor_support::*;
use ringfix_engine::reactor::{CloseMode, CloseReason, Mode};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

#[test]
fn silent_peer_gets_the_deadline_and_is_closed() {
    let _g = serial();
    if isolated(
        module_path!(),
        "silent_peer_gets_the_deadline_and_is_closed",
    ) {
        return;
    }
    with_timeout(20, || {
        let log = new_log();
        let (r, addr) = scripted(config(Mode::Block), &log, move |s| {
            s.initial_deadline = Duration::from_millis(200);
        });
        let base = fd_count();
        let peer = TcpStream::connect(addr).unwrap();
        let t0 = Instant::now();
        assert!(wait_until(Duration::from_secs(5), || closed_reason(&log).is_some()));
        let dl = first(&log, |e| *e == Event::Deadline).unwrap();
        let closed = first(&log, |e| matches!(e, Event::Closed(_))).unwrap();
        assert_between(dl - t0, 150, 500, "deadline");
        assert!(closed - dl < Duration::from_millis(50));
        assert_eq!(
            closed_reason(&log),
            Some(CloseReason::Requested(CloseMode::Now))
        );
        let st = r.stats().snapshot();
        assert!(st.recv_timeouts_fired >= 1);
        assert_recvs_linked(&st);
        assert_closes_clean(r, peer, addr.port(), base);
    });
}

#[test]
fn half_a_frame_and_a_trickle_do_not_move_the_deadline() {
    let _g = serial();
    if isolated(
        module_path!(),
        "half_a_frame_and_a_trickle_do_not_move_the_deadline",
    ) {
        return;
    }
    with_timeout(20, || {
        let log = new_log();
        let (r, addr) = scripted(config(Mode::Block), &log, move |s| {
            s.initial_deadline = Duration::from_millis(400);
        });
        let base = fd_count();
        let mut peer = TcpStream::connect(addr).unwrap();
        let t0 = Instant::now();
        peer.write_all(b"F8=FIX.4.4|9=").unwrap();
        // A byte every 40 ms, never a whole frame.
        while closed_reason(&log).is_none() && t0.elapsed() < Duration::from_secs(3) {
            std::thread::sleep(Duration::from_millis(40));
            if peer.write_all(b"1").is_err() {
                break;
            }
        }
        let dl = first(&log, |e| *e == Event::Deadline).expect("deadline fired");
        assert_between(dl - t0, 380, 700, "deadline");
        assert_eq!(count(&log, |e| matches!(e, Event::Frame(_))), 0);
        let st = r.stats().snapshot();
        assert!(st.recvs_submitted >= 5, "each byte re-armed the Recv");
        assert_recvs_linked(&st);
        drop(peer);
        assert_clean(addr.port(), base);
        shutdown(r);
    });
}

#[test]
fn deadline_moved_earlier_without_a_read_updates_the_inflight_timeout() {
    let _g = serial();
    if isolated(
        module_path!(),
        "deadline_moved_earlier_without_a_read_updates_the_inflight_timeout",
    ) {
        return;
    }
    with_timeout(20, || {
        let log = new_log();
        let (r, addr) = scripted(config(Mode::Block), &log, move |s| {
            s.initial_deadline = Duration::from_secs(10);
            s.on_notify = Some((b"Fhb\n".to_vec(), Duration::from_millis(150)));
        });
        let base = fd_count();
        let mut peer = TcpStream::connect(addr).unwrap();
        assert!(wait_until(Duration::from_secs(5), || open_id(&log).is_some()));
        let t0 = Instant::now();
        r.notify(open_id(&log).unwrap()).unwrap();
        let mut buf = [0u8; 4];
        peer.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"Fhb\n");
        assert!(wait_until(Duration::from_secs(5), || closed_reason(&log).is_some()));
        let dl = first(&log, |e| *e == Event::Deadline).unwrap();
        assert_between(dl - t0, 140, 500, "deadline");
        let st = r.stats().snapshot();
        assert!(st.deadline_updates >= 1);
        assert_recvs_linked(&st);
        drop(peer);
        assert_clean(addr.port(), base);
        shutdown(r);
    });
}

#[test]
fn frames_are_delivered_in_place_with_garbage_reported_and_partials_carried() {
    let _g = serial();
    if isolated(
        module_path!(),
        "frames_are_delivered_in_place_with_garbage_reported_and_partials_carried",
    ) {
        return;
    }
    with_timeout(20, || {
        let log = new_log();
        let (r, addr) = scripted(config(Mode::Block), &log, move |s| {
            s.echo = true;
        });
        let base = fd_count();
        let mut peer = TcpStream::connect(addr).unwrap();
        peer.write_all(b"xx#Fhello\nFwor").unwrap();
        std::thread::sleep(Duration::from_millis(20));
        peer.write_all(b"ld\n").unwrap();
        let mut buf = [0u8; 13];
        peer.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"Fhello\nFworld");
        // Many frames of varied size through a 4 KiB buffer: carry-over works.
        let mut sent = Vec::new();
        for i in 0..400 {
            let f = format!("F{}\n", "y".repeat(i % 97));
            sent.extend_from_slice(f.as_bytes());
        }
        peer.write_all(&sent).unwrap();
        let mut echoed = vec![0u8; 1 + sent.len()];
        peer.read_exact(&mut echoed).unwrap();
        assert_eq!(&echoed[1..], &sent[..]);
        let ev = events(&log);
        assert_eq!(
            ev.iter()
                .filter(|(_, e)| matches!(e, Event::Garbled(_)))
                .count(),
            1
        );
        assert!(ev
            .iter()
            .any(|(_, e)| *e == Event::Garbled(b"xx#".to_vec())));
        assert_eq!(count(&log, |e| matches!(e, Event::Frame(_))), 402);
        let st = r.stats().snapshot();
        assert!(st.carried_bytes > 0);
        assert_eq!(st.garbled_bytes, 3);
        drop(peer);
        assert!(wait_until(Duration::from_secs(2), || closed_reason(&log).is_some()));
        assert_eq!(closed_reason(&log), Some(CloseReason::PeerClosed));
        assert_clean(addr.port(), base);
        shutdown(r);
    });
}

#[test]
fn without_a_handler_deadline_the_default_holds_and_the_reactor_sleeps() {
    let _g = serial();
    if isolated(
        module_path!(),
        "without_a_handler_deadline_the_default_holds_and_the_reactor_sleeps",
    ) {
        return;
    }
    with_timeout(20, || {
        let log = new_log();
        let mut cfg = config(Mode::Block);
        cfg.default_deadline = Duration::from_millis(400);
        let (r, addr) = scripted(cfg, &log, move |s| {
            s.no_deadline = true;
            s.echo = true;
        });
        let base = fd_count();
        let mut peer = TcpStream::connect(addr).unwrap();
        let t0 = Instant::now();
        peer.write_all(b"Fa\n").unwrap();
        let mut buf = [0u8; 3];
        peer.read_exact(&mut buf).unwrap();
        // Idle: the default deadline is not renewed on every service (each
        // renewal updated the linked timeout, whose completion serviced the
        // connection again: the reactor never slept).
        std::thread::sleep(Duration::from_millis(100));
        let before = r.stats().snapshot();
        std::thread::sleep(Duration::from_millis(200));
        let after = r.stats().snapshot();
        assert!(
            after.loop_turns - before.loop_turns < 20,
            "the reactor spins: {} turns in 200 ms",
            after.loop_turns - before.loop_turns
        );
        assert!(after.deadline_updates - before.deadline_updates < 5);
        // The default is still a deadline: it passes, no on_deadline call
        // (the handler has none), and a new default is linked to the next Recv.
        assert!(wait_until(Duration::from_secs(3), || {
            r.stats().snapshot().recv_timeouts_fired >= 1
        }));
        assert!(t0.elapsed() >= Duration::from_millis(350));
        assert_eq!(count(&log, |e| *e == Event::Deadline), 0);
        peer.write_all(b"Fb\n").unwrap();
        peer.read_exact(&mut buf).unwrap();
        assert_eq!(&buf, b"Fb\n");
        assert_recvs_linked(&r.stats().snapshot());
        // Only the peer ends it.
        drop(peer);
        assert!(wait_until(Duration::from_secs(3), || {
            closed_reason(&log) == Some(CloseReason::PeerClosed)
        }));
        assert_clean(addr.port(), base);
        shutdown(r);
    });
}
