//! Spin mode: completions that need kernel task work still arrive.

use crate::reactor_support;

use io_uring::{opcode, types, IoUring};
use reactor_support::*;
use ringfix_engine::reactor::{CloseMode, CloseReason, Mode};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::time::{Duration, Instant};

/// Why the reactor must enter the kernel when the ring says so: with
/// DEFER_TASKRUN, a completion is only posted inside the owner's own
/// io_uring_enter. Polling the CQ alone never sees it.
#[test]
fn deferred_completion_is_invisible_to_a_cq_only_poll() {
    let _g = serial();
    if isolated(
        module_path!(),
        "deferred_completion_is_invisible_to_a_cq_only_poll",
    ) {
        return;
    }
    with_timeout(10, || {
        let mut ring: IoUring = IoUring::builder()
            .setup_single_issuer()
            .setup_defer_taskrun()
            .setup_taskrun_flag()
            .build(8)
            .unwrap();
        let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
        let mut buf = [0u8; 8];
        let recv = opcode::Recv::new(types::Fd(a.as_raw_fd()), buf.as_mut_ptr(), 8)
            .build()
            .user_data(7);
        unsafe { ring.submission().push(&recv).unwrap() };
        ring.submit().unwrap();
        b.write_all(b"ping").unwrap();
        let t = Instant::now();
        let mut seen = false;
        while t.elapsed() < Duration::from_millis(100) {
            seen |= !ring.completion().is_empty();
        }
        assert!(!seen, "a CQ-only poll saw the deferred completion");
        assert!(
            ring.submission().taskrun(),
            "the ring flags pending task work"
        );
        ring.submit().unwrap(); // GETEVENTS: runs the task work
        let cqe = ring.completion().next().expect("completion after entering");
        assert_eq!((cqe.user_data(), cqe.result()), (7, 4));
    });
}

#[test]
fn spin_mode_ping_pong_and_deadlines_work_with_deferred_task_work() {
    let _g = serial();
    if isolated(
        module_path!(),
        "spin_mode_ping_pong_and_deadlines_work_with_deferred_task_work",
    ) {
        return;
    }
    with_timeout(30, || {
        let log = new_log();
        let mut cfg = config(Mode::Spin);
        cfg.defer_taskrun = true;
        let (r, addr) = scripted(cfg, &log, move |s| {
            s.echo = true;
            s.initial_deadline = Duration::from_millis(300);
            s.trigger = Some((
                b"Fping\n".to_vec(),
                Vec::new(),
                None,
                Some(Duration::from_millis(300)),
            ));
        });
        let base = fd_count();
        let mut peer = TcpStream::connect(addr).unwrap();
        peer.set_nodelay(true).unwrap();
        let mut buf = [0u8; 6];
        for _ in 0..2000 {
            peer.write_all(b"Fping\n").unwrap();
            peer.read_exact(&mut buf).unwrap();
            assert_eq!(&buf, b"Fping\n");
        }
        // Then silence: the deadline (a timer completion) must arrive too.
        let t0 = Instant::now();
        assert!(wait_until(Duration::from_secs(5), || closed_reason(&log).is_some()));
        assert!(t0.elapsed() >= Duration::from_millis(250));
        assert_eq!(
            closed_reason(&log),
            Some(CloseReason::Requested(CloseMode::Now))
        );
        let st = r.stats().snapshot();
        assert!(
            st.taskrun_enters > 0,
            "completions came through task-run entries"
        );
        assert_eq!(st.frames_in, 2000);
        assert_recvs_linked(&st);
        assert_closes_clean(r, peer, addr.port(), base);
    });
}
