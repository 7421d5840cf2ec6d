//! Memory comes back after a backlog: sessions whose peers stop reading
//! while their orders keep coming pile megabytes of reports into the
//! acceptor's outbound buffers; once the peers read everything, those
//! buffers shrink back to their base capacity (after a calm second, at the
//! next event on the connection) and the acceptor's anonymous memory
//! returns near where it was before. Nothing is lost on the way.
//!
//! `PersistMessages=N`, memory store: a store's copy of the messages (or
//! the file store's sequence index, 8 bytes per message) grows with every
//! message; `load_engine` accounts for that, this test isolates the
//! engine's buffers.

use crate::fault_support;
use crate::runtime_support;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use fault_support::{msg_type, status_kb, Acceptor, AcceptorSpec, Fix};
use runtime_support::field;

/// What the acceptor may keep after the backlog is gone: each session's
/// two outbound buffers at their base capacity (64 KiB each, untouched
/// before the backlog) ...
const KEPT_KB_PER_SESSION: u64 = 128;
/// ... and allocator bookkeeping and pages it keeps for reuse (arena
/// tops, partly used pages); measured 2-4 MB, next to backlogs of 60-90 MB
/// (all kept without the trim).
const KEPT_KB: u64 = 6 * 1024;

/// 16 sessions x 3 000 reports of ~3.2 kB (the exec app echoes the long
/// Symbol): ~9.6 MB of reports per session, of which the sockets hold a
/// few MB; the rest waits in the acceptor, in buffers of megabytes.
#[test]
fn outbound_memory_returns_after_large_backlogs_drain() {
    backlog(16, 3000, 3000);
}

/// 64 sessions x 600 reports of ~1.2 kB: backlogs of several hundred kB
/// per session, in buffers the allocator may place in its arenas.
#[test]
fn outbound_memory_returns_after_many_small_backlogs_drain() {
    backlog(64, 600, 1000);
}

/// A logged-on session whose socket receive buffer is small (set before
/// connecting: no autotuning), so what the peer does not read stays in the
/// acceptor rather than in socket buffers.
fn logon_small_window(port: u16, sender: &str) -> Fix {
    use std::os::fd::FromRawFd;
    let stream = unsafe {
        let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM | libc::SOCK_CLOEXEC, 0);
        assert!(fd >= 0);
        let size: libc::c_int = 16 * 1024;
        let rc = libc::setsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&size as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        );
        assert_eq!(rc, 0);
        let addr = libc::sockaddr_in {
            sin_family: libc::AF_INET as libc::sa_family_t,
            sin_port: port.to_be(),
            sin_addr: libc::in_addr {
                s_addr: u32::from(std::net::Ipv4Addr::LOCALHOST).to_be(),
            },
            sin_zero: [0; 8],
        };
        let rc = libc::connect(
            fd,
            (&addr as *const libc::sockaddr_in).cast(),
            std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
        );
        assert_eq!(rc, 0, "connect: {}", std::io::Error::last_os_error());
        std::net::TcpStream::from_raw_fd(fd)
    };
    let mut s = Fix {
        peer: runtime_support::Peer::new(stream),
        sender: sender.to_owned(),
        seq: 1,
    };
    // A long HeartBtInt: these peers send nothing while the reports pile up
    // and are read one session after another, which on a loaded machine
    // takes longer than 30 s; the engine would rightly TestRequest them.
    s.send("A|98=0|108=600");
    let answer = s.peer.read(Duration::from_secs(5)).expect("Logon answer");
    assert_eq!(msg_type(&answer), "A");
    s
}

fn backlog(sessions_n: usize, orders: usize, symbol_len: usize) {
    // A memory store that keeps nothing (PersistMessages=N): no journal to
    // create per session, so 64 sessions start quickly in a debug build.
    let defaults = "MaxOutboundQueueBytes=67108864\nPersistMessages=N\nOutboundCalmPeriod=200";
    let names: Vec<String> = (0..sessions_n).map(|i| format!("B{i}")).collect();
    let sessions: Vec<(&str, &str)> = names.iter().map(|n| (n.as_str(), "")).collect();
    let acc = Acceptor::spawn(&AcceptorSpec {
        defaults,
        sessions: &sessions,
        fsize_limit: None,
    });
    let pid = acc.pid();
    let mut peers: Vec<Fix> = names
        .iter()
        .map(|n| logon_small_window(acc.port, n))
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let base = status_kb(pid, "RssAnon");

    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let sampler = std::thread::spawn(move || {
        let mut peak = 0;
        while !flag.load(Ordering::Relaxed) {
            peak = peak.max(status_kb(pid, "RssAnon"));
            std::thread::sleep(Duration::from_millis(20));
        }
        peak
    });

    // Orders in, nobody reads the reports: they pile up in the acceptor.
    let symbol = "S".repeat(symbol_len);
    for (i, p) in peers.iter_mut().enumerate() {
        let mut batch = Vec::new();
        for n in 0..orders {
            batch.extend(p.encode(&format!(
                "D|11=B{i}-{n}|21=1|38=100|40=2|44=10|54=1|55={symbol}|60={}",
                runtime_support::now_fix()
            )));
        }
        p.peer.stream.write_all(&batch).unwrap();
    }
    // Let the acceptor answer them all (it reads regardless of the backlog).
    let mut last = 0;
    let settle = Instant::now();
    while settle.elapsed() < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(500));
        let now = status_kb(pid, "RssAnon");
        if now.abs_diff(last) < 512 {
            break;
        }
        last = now;
    }
    let backlog = status_kb(pid, "RssAnon");

    // Now read everything: every report, once, in order.
    for (i, p) in peers.iter_mut().enumerate() {
        let mut expect_seq = 2u64;
        let mut answered = 0usize;
        while answered < orders {
            let m = p
                .peer
                .read(Duration::from_secs(30))
                .unwrap_or_else(|| panic!("B{i}: only {answered} reports"));
            let seq: u64 = field(&m, 34).and_then(|v| v.parse().ok()).unwrap_or(0);
            assert_eq!(seq, expect_seq, "B{i}: MsgSeqNum");
            expect_seq += 1;
            match msg_type(&m).as_str() {
                "8" => {
                    assert_eq!(
                        field(&m, 11).as_deref(),
                        Some(format!("B{i}-{answered}").as_str()),
                        "B{i}: report order"
                    );
                    assert_eq!(field(&m, 55).map(|s| s.len()), Some(symbol_len));
                    answered += 1;
                }
                "0" => {}
                other => panic!("B{i}: unexpected message type {other}"),
            }
        }
    }
    let drained = status_kb(pid, "RssAnon");
    // The calm period (OutboundCalmPeriod=200 ms), then one more event per
    // connection (a Heartbeat; in production the next heartbeat at the
    // latest) lets the engine trim; the allocator gives the pages back
    // within a second or two (at a reactor turn: its block timeout is 1 s).
    std::thread::sleep(Duration::from_millis(250));
    for p in peers.iter_mut() {
        p.send("0");
    }
    let bound = base + KEPT_KB + sessions_n as u64 * KEPT_KB_PER_SESSION;
    let since = Instant::now();
    let mut after = status_kb(pid, "RssAnon");
    while after > bound && since.elapsed() < Duration::from_secs(4) {
        std::thread::sleep(Duration::from_millis(100));
        after = status_kb(pid, "RssAnon");
    }
    let returned_in = since.elapsed();
    stop.store(true, Ordering::Relaxed);
    let peak = sampler.join().unwrap().max(backlog);
    eprintln!(
        "FIGURE backlog {sessions_n} sessions x {orders} reports with a {symbol_len}-byte Symbol: RssAnon kB before {base}, backlog {backlog} (peak {peak}), all read {drained}, after the calm period {after} (+{:?})", returned_in
    );
    // The backlog really was in the acceptor's memory (else this proves nothing).
    assert!(
        peak >= base + 32 * 1024,
        "no backlog built up: {base} -> {peak} kB"
    );
    assert!(
        after <= bound,
        "RssAnon {after} kB after the backlog drained, {base} kB before (peak {peak} kB)"
    );
    // And the sessions still work.
    for p in peers.iter_mut() {
        p.send("1|112=STILL");
        // Our own Heartbeat may be answered first, or a timer Heartbeat
        // may be due: the answer is the first Heartbeat echoing 112.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let m = p.peer.read(Duration::from_secs(5)).expect("heartbeat");
            if field(&m, 112).as_deref() == Some("STILL") {
                assert_eq!(field(&m, 35).as_deref(), Some("0"));
                break;
            }
            assert!(
                Instant::now() < deadline,
                "no Heartbeat answered the TestRequest"
            );
        }
    }
    assert!(acc.log_lines(&["outbound queue limit"]).is_empty());
}
