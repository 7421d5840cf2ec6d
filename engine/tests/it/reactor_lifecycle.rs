//! Outbound connections, graceful stop, and no leaked fds or sockets.

use crate::reactor_support;

use reactor_support::*;
use ringfix_engine::reactor::{self, CloseMode, CloseReason, Mode};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::time::Duration;

#[test]
fn initiator_connects_exchanges_and_closes() {
    let _g = serial();
    if isolated(module_path!(), "initiator_connects_exchanges_and_closes") {
        return;
    }
    with_timeout(20, || {
        let base = fd_count();
        let server_log = new_log();
        let (r, addr) = scripted(config(Mode::Block), &server_log, |s| s.echo = true);
        let client_log = new_log();
        let mut client = Script::new(&client_log);
        client.greeting = b"Fhello\n".to_vec();
        client.trigger = Some((
            b"Fhello\n".to_vec(),
            b"Fbye\n".to_vec(),
            Some(CloseMode::Graceful),
            None,
        ));
        r.connect(addr, Duration::from_secs(2), client).unwrap();
        assert!(wait_until(Duration::from_secs(5), || closed_reason(
            &client_log
        )
        .is_some()));
        assert_eq!(
            closed_reason(&client_log),
            Some(CloseReason::Requested(CloseMode::Graceful))
        );
        assert!(wait_until(Duration::from_secs(5), || closed_reason(
            &server_log
        )
        .is_some()));
        let frames = count(&server_log, |e| matches!(e, Event::Frame(_)));
        assert!(frames >= 1, "server got the greeting");
        let st = r.stats().snapshot();
        assert_eq!(st.connected, 1);
        assert_eq!(st.accepted, 1);
        shutdown(r);
        // Ring, eventfd, listener and both sockets are gone.
        assert_clean(addr.port(), base);
    });
}

#[test]
fn refused_and_timed_out_connects_are_reported() {
    let _g = serial();
    if isolated(
        module_path!(),
        "refused_and_timed_out_connects_are_reported",
    ) {
        return;
    }
    with_timeout(20, || {
        let base = fd_count();
        let r = reactor::spawn::<Script>(config(Mode::Block)).unwrap();
        // Refused: a port nobody listens on.
        let free = TcpListener::bind("127.0.0.1:0").unwrap();
        let refused_addr = free.local_addr().unwrap();
        drop(free);
        let log = new_log();
        r.connect(refused_addr, Duration::from_secs(2), Script::new(&log))
            .unwrap();
        assert!(wait_until(Duration::from_secs(5), || closed_reason(&log).is_some()));
        assert_eq!(
            closed_reason(&log),
            Some(CloseReason::ConnectFailed(libc::ECONNREFUSED))
        );
        // Timed out: a listener whose accept queue is full drops our SYN.
        let full = TcpListener::bind("127.0.0.1:0").unwrap();
        let full_addr = full.local_addr().unwrap();
        unsafe { libc::listen(std::os::fd::AsRawFd::as_raw_fd(&full), 0) };
        let mut fillers = Vec::new();
        for _ in 0..4 {
            if let Ok(s) = TcpStream::connect_timeout(&full_addr, Duration::from_millis(100)) {
                fillers.push(s);
            }
        }
        let log = new_log();
        r.connect(full_addr, Duration::from_millis(200), Script::new(&log))
            .unwrap();
        assert!(wait_until(Duration::from_secs(5), || closed_reason(&log).is_some()));
        assert_eq!(closed_reason(&log), Some(CloseReason::ConnectTimeout));
        assert_eq!(r.stats().snapshot().connect_failed, 2);
        shutdown(r);
        drop(fillers);
        drop(full);
        assert!(wait_until(Duration::from_secs(2), || fd_count() == base));
    });
}

#[test]
fn stop_closes_every_connection_and_the_thread_ends() {
    let _g = serial();
    if isolated(
        module_path!(),
        "stop_closes_every_connection_and_the_thread_ends",
    ) {
        return;
    }
    with_timeout(20, || {
        let base = fd_count();
        let log = new_log();
        let (r, addr) = scripted(config(Mode::Spin), &log, move |s| {
            s.echo = true;
        });
        let mut peers: Vec<TcpStream> = (0..5).map(|_| TcpStream::connect(addr).unwrap()).collect();
        for p in &mut peers {
            p.write_all(b"Fx\n").unwrap();
            let mut b = [0u8; 3];
            p.read_exact(&mut b).unwrap();
        }
        shutdown(r);
        assert_eq!(
            count(&log, |e| *e
                == Event::Closed(CloseReason::Requested(CloseMode::Graceful))),
            5
        );
        // Each peer sees EOF: we closed, not them.
        for p in &mut peers {
            let mut b = [0u8; 1];
            p.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
            assert_eq!(p.read(&mut b).unwrap(), 0);
        }
        assert!(wait_until(Duration::from_secs(2), || {
            let st = tcp_states_local_port(addr.port());
            !st.iter()
                .any(|s| *s == TCP_ESTABLISHED || *s == TCP_CLOSE_WAIT)
        }));
        drop(peers);
        assert_clean(addr.port(), base);
    });
}

/// Silences the panic hook for [`SCRIPTED_PANIC`] while `f` runs.
fn quiet_scripted_panics(f: impl FnOnce()) {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let p = info.payload();
        let msg = p
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| p.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if !msg.contains(SCRIPTED_PANIC) {
            default(info);
        }
    }));
    f();
    let _ = std::panic::take_hook();
}

#[test]
fn teardown_reaps_every_operation_before_release_hundreds_of_times() {
    let _g = serial();
    if isolated(
        module_path!(),
        "teardown_reaps_every_operation_before_release_hundreds_of_times",
    ) {
        return;
    }
    with_timeout(240, || {
        let base = fd_count();
        quiet_scripted_panics(|| {
            for round in 0..200u32 {
                let cfg = reactor::ReactorConfig {
                    mode: if round % 2 == 0 {
                        Mode::Block
                    } else {
                        Mode::Spin
                    },
                    // Every third round the big send is zero-copy.
                    send_zc_min_bytes: (round % 3 == 0).then_some(64 * 1024),
                    ..config(Mode::Block)
                };
                let log = new_log();
                let (r, addr) = scripted(cfg, &log, |s| {
                    s.trigger = Some((b"Fbig\n".to_vec(), vec![b'x'; 4 << 20], None, None));
                    s.panic_on = Some(b"Fboom\n".to_vec());
                });
                let remote = r.remote();
                // Mid-Recv: connected, half a frame sent.
                let mut reader = TcpStream::connect(addr).unwrap();
                reader.write_all(b"Fhal").unwrap();
                // Mid-Send: 4 MiB queued for a peer that does not read.
                let mut sender = TcpStream::connect(addr).unwrap();
                sender.write_all(b"Fbig\n").unwrap();
                assert!(wait_until(Duration::from_secs(5), || {
                    let st = remote.stats().snapshot();
                    st.bytes_in >= 9 && st.sends_submitted >= 1
                }));
                // A handler panics: the reactor thread unwinds.
                let mut killer = TcpStream::connect(addr).unwrap();
                killer.write_all(b"Fboom\n").unwrap();
                assert!(r.join().is_err(), "the reactor thread panicked");
                let st = remote.stats().snapshot();
                // Two Recvs, each linked to a timeout, and the Accept, at
                // the least; usually the Send (or its notification) too,
                // unless its partial completion was reaped in the turn the
                // handler panicked, before the rest was submitted again.
                assert!(
                    st.teardown_in_flight >= 5,
                    "round {round}: {} in flight",
                    st.teardown_in_flight
                );
                assert_eq!(st.teardown_left, 0, "round {round}");
                drop((reader, sender, killer));
            }
        });
        // Every socket, ring and eventfd is closed.
        assert!(wait_until(Duration::from_secs(5), || fd_count() == base));
    });
}
