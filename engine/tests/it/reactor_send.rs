//! Large zero-copy sends and the SQPOLL ring mode.

use crate::reactor_support;

use reactor_support::*;
use ringfix_engine::reactor::Mode;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| b'a' + (i % 23) as u8).collect()
}

#[test]
fn large_replies_go_out_zero_copy_intact() {
    let _g = serial();
    if isolated(module_path!(), "large_replies_go_out_zero_copy_intact") {
        return;
    }
    with_timeout(20, || {
        let log = new_log();
        let (r, addr) = scripted(config(Mode::Block), &log, move |s| {
            s.trigger = Some((b"Fbig\n".to_vec(), pattern(2 << 20), None, None));
        });
        let base = fd_count();
        let mut peer = TcpStream::connect(addr).unwrap();
        for _ in 0..3 {
            peer.write_all(b"Fbig\n").unwrap();
        }
        let mut got = vec![0u8; 6 << 20];
        peer.read_exact(&mut got).unwrap();
        let want = pattern(2 << 20);
        for chunk in got.chunks(2 << 20) {
            assert!(chunk == &want[..], "payload corrupted");
        }
        let st = r.stats().snapshot();
        assert!(st.sends_zc >= 1, "{st:?}");
        assert_eq!(st.bytes_out, 6 << 20);
        drop(peer);
        assert!(wait_until(Duration::from_secs(2), || closed_reason(&log).is_some()));
        assert_clean(addr.port(), base);
        shutdown(r);
    });
}

#[test]
fn sqpoll_ring_echoes_and_times_out() {
    let _g = serial();
    if isolated(module_path!(), "sqpoll_ring_echoes_and_times_out") {
        return;
    }
    with_timeout(20, || {
        let log = new_log();
        let mut cfg = config(Mode::Spin);
        cfg.sqpoll_idle_ms = Some(10);
        let (r, addr) = scripted(cfg, &log, move |s| {
            s.echo = true;
            s.initial_deadline = Duration::from_millis(300);
            s.trigger = Some((
                b"Fp\n".to_vec(),
                Vec::new(),
                None,
                Some(Duration::from_millis(300)),
            ));
        });
        let base = fd_count();
        let mut peer = TcpStream::connect(addr).unwrap();
        let mut b = [0u8; 3];
        for i in 0..200 {
            if i % 50 == 0 {
                // Let the SQ thread go idle: the reactor must wake it.
                std::thread::sleep(Duration::from_millis(30));
            }
            peer.write_all(b"Fp\n").unwrap();
            peer.read_exact(&mut b).unwrap();
        }
        assert!(wait_until(Duration::from_secs(5), || closed_reason(&log).is_some()));
        assert_eq!(count(&log, |e| *e == Event::Deadline), 1);
        let st = r.stats().snapshot();
        assert_recvs_linked(&st);
        assert_closes_clean(r, peer, addr.port(), base);
    });
}
