//! Memory the reactor takes and gives back. Connection slots grow in
//! chunks up to `max_connections`: every connection within it is accepted
//! and served; one beyond it is closed at once; freed slots are reused
//! without growing further. Outbound buffers a backlog grew shrink back
//! once it drained and its calm period (`outbound_calm`) passed.

use crate::reactor_support;

use reactor_support::*;
use ringfix_engine::reactor::Mode;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

const MAX: usize = 150;

fn echo(s: &mut TcpStream, frame: &[u8]) {
    s.write_all(frame).unwrap();
    let mut got = vec![0u8; frame.len()];
    s.read_exact(&mut got).unwrap();
    assert_eq!(got, frame);
}

#[test]
fn slots_grow_to_max_connections_and_the_next_is_closed_at_once() {
    let _g = serial();
    with_timeout(30, || {
        let log = new_log();
        let mut cfg = config(Mode::Block);
        cfg.max_connections = MAX;
        let (r, addr) = scripted(cfg, &log, |s| s.echo = true);
        assert_eq!(
            r.stats().snapshot().connection_slots,
            64,
            "one chunk up front"
        );
        // Past the first chunk (64) and the second (128): all served.
        let mut peers: Vec<TcpStream> = (0..MAX)
            .map(|i| {
                let mut s = TcpStream::connect(addr).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                echo(&mut s, format!("F{i}\n").as_bytes());
                s
            })
            .collect();
        let st = r.stats().snapshot();
        assert_eq!(st.accepted, MAX as u64);
        assert_eq!(st.connection_slots, MAX as u64);
        assert_eq!(st.accept_rejected, 0);
        // One more: accepted by the kernel, closed by the reactor at once.
        let mut extra = TcpStream::connect(addr).unwrap();
        extra
            .set_read_timeout(Some(Duration::from_secs(2)))
            .unwrap();
        let mut b = [0u8; 8];
        match extra.read(&mut b) {
            Ok(0) => {}
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {}
            other => panic!("connection past max_connections not closed: {other:?}"),
        }
        assert!(wait_until(Duration::from_secs(2), || r
            .stats()
            .snapshot()
            .accept_rejected
            == 1));
        // The open ones are unaffected.
        echo(&mut peers[MAX - 1], b"Fstill\n");
        // Freed slots are reused: no growth past MAX.
        peers.truncate(10);
        assert!(wait_until(Duration::from_secs(5), || r
            .stats()
            .snapshot()
            .closed
            == (MAX - 10) as u64));
        let mut again: Vec<TcpStream> = (0..MAX - 10)
            .map(|_| {
                let mut s = TcpStream::connect(addr).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                echo(&mut s, b"Fagain\n");
                s
            })
            .collect();
        let st = r.stats().snapshot();
        assert_eq!(st.connection_slots, MAX as u64);
        assert_eq!(st.accept_rejected, 1);
        assert_recvs_linked(&st);
        again.clear();
        drop(peers);
        shutdown(r);
    });
}

#[test]
fn outbound_buffers_shrink_once_a_backlog_drained_and_calm() {
    let _g = serial();
    with_timeout(30, || {
        let log = new_log();
        let mut cfg = config(Mode::Block);
        // Long enough for the exchanges right after the backlog to fall
        // inside it on a loaded machine, short enough to wait out.
        let calm = Duration::from_millis(300);
        cfg.outbound_calm = calm;
        let base = cfg.outbound_capacity;
        // 3 MiB greeting: far past the 64 KiB base, queued while the peer
        // does not read.
        let (r, addr) = scripted(cfg, &log, move |s| {
            s.echo = true;
            s.greeting = vec![b'x'; 3 << 20];
        });
        let mut peer = TcpStream::connect(addr).unwrap();
        peer.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        std::thread::sleep(Duration::from_millis(200));
        let mut got = vec![0u8; 3 << 20];
        peer.read_exact(&mut got).unwrap();
        // Small exchanges right after: the backlog is younger than `calm`.
        echo(&mut peer, b"Fsoon\n");
        assert_eq!(r.stats().snapshot().outbound_trims, 0);
        std::thread::sleep(calm + Duration::from_millis(50));
        // The next event after a calm period gives the buffers back.
        echo(&mut peer, b"Flater\n");
        assert!(wait_until(Duration::from_secs(2), || r
            .stats()
            .snapshot()
            .outbound_trims
            == 1));
        // A steady flow below the base size (frames fit the 4 KiB receive
        // buffer of this config) never trims again.
        assert!(base > 4096);
        for i in 0..50 {
            let frame = format!("F{}\n", "y".repeat(2000 + i));
            echo(&mut peer, frame.as_bytes());
        }
        std::thread::sleep(calm + Duration::from_millis(50));
        echo(&mut peer, b"Fend\n");
        let st = r.stats().snapshot();
        assert_eq!(st.outbound_trims, 1);
        assert_recvs_linked(&st);
        drop(peer);
        shutdown(r);
    });
}
