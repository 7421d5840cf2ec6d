use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ringfix_codec::UtcTimestamp;

use super::*;
use crate::session::SessionState;

fn msg(body: &str) -> Vec<u8> {
    let body = body.replace('|', "\x01");
    let mut m = format!("8=FIX.4.4\x019={}\x01{body}", body.len()).into_bytes();
    m.extend_from_slice(b"10=000\x01");
    m
}

fn ids(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("FIX.4.4:S{i}->T")).collect()
}

const T0: UtcTimestamp = UtcTimestamp::from_secs(1_700_000_000);

fn at(ms: i64) -> UtcTimestamp {
    UtcTimestamp::from_nanos(T0.as_nanos() + ms * 1_000_000)
}

#[test]
fn published_values_are_read_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = StatsPublisher::create_in(dir.path(), &ids(2), T0).unwrap();
    let mut s = p.session(1).unwrap();
    assert!(p.session(1).is_none(), "one writer per slot");
    s.connected();
    s.state(SessionState::AwaitingLogon, at(1));
    s.inbound(&msg("35=A|34=1|"), at(2));
    s.inbound(&msg("35=2|34=2|7=1|16=0|"), at(3));
    let mut out = msg("35=A|34=1|");
    out.extend(msg("35=4|34=1|43=Y|123=Y|36=5|"));
    out.extend(msg("35=3|34=5|45=2|"));
    s.outbound(&out, at(4));
    // What the messages mean comes from the session's events.
    s.resend_request(true);
    s.reject(false);
    s.sequence_gap();
    s.validation_failure();
    s.validation_failure();
    s.state(SessionState::Active, at(5));
    s.state(SessionState::Active, at(6));
    s.seqnums(6, 3);
    s.read_deadline(Some(at(30_000)));
    s.publish(at(7));

    let r = StatsReader::open(p.path()).unwrap();
    assert_eq!(r.pid(), std::process::id());
    assert_eq!(r.session_ids(), ids(2));
    let snap = r.snapshot().unwrap();
    assert!(snap.live);
    assert_eq!(snap.started_at, T0);
    let untouched = &snap.sessions[0].counters;
    assert_eq!(*untouched, SessionCounters::new(T0));
    let c = &snap.sessions[1].counters;
    assert_eq!(snap.sessions[1].id, "FIX.4.4:S1->T");
    assert_eq!(c.state, SessionState::Active);
    assert_eq!(c.state_since, at(5), "unchanged state keeps its start");
    assert_eq!((c.messages_in, c.messages_out), (2, 3));
    assert_eq!(c.bytes_out, out.len() as u64);
    assert_eq!(
        c.bytes_in,
        (msg("35=A|34=1|").len() + msg("35=2|34=2|7=1|16=0|").len()) as u64
    );
    assert_eq!((c.resend_requests_received, c.resend_requests), (1, 0));
    assert_eq!(c.messages_resent, 1);
    assert_eq!((c.rejects_received, c.rejects_sent), (0, 1));
    assert_eq!((c.sequence_gaps, c.validation_failures), (1, 2));
    assert_eq!(
        (c.last_inbound, c.last_outbound),
        (Some(at(3)), Some(at(4)))
    );
    assert_eq!((c.next_sender_seq, c.next_target_seq), (6, 3));
    assert_eq!((c.reads_in_flight, c.read_deadline), (1, Some(at(30_000))));
    assert_eq!((c.connections, c.updated_at), (1, at(7)));

    s.disconnected(at(8));
    s.publish(at(8));
    let c = r.snapshot().unwrap().sessions[1].counters;
    assert_eq!(
        (c.state, c.state_since),
        (SessionState::Disconnected, at(8))
    );
    assert_eq!((c.reads_in_flight, c.read_deadline), (0, None));
}

#[test]
fn nothing_is_visible_before_publish() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = StatsPublisher::create_in(dir.path(), &ids(1), T0).unwrap();
    let mut s = p.session(0).unwrap();
    s.inbound(&msg("35=0|"), at(1));
    let r = StatsReader::open(p.path()).unwrap();
    assert_eq!(r.snapshot().unwrap().sessions[0].counters.messages_in, 0);
    s.publish(at(2));
    assert_eq!(r.snapshot().unwrap().sessions[0].counters.messages_in, 1);
}

#[test]
fn pages_are_found_and_removed_on_drop() {
    let dir = tempfile::tempdir().unwrap();
    let a = StatsPublisher::create_in(dir.path(), &ids(1), T0).unwrap();
    let b = StatsPublisher::create_in(dir.path(), &ids(3), T0).unwrap();
    assert_ne!(a.path(), b.path());
    let found = find_pages(dir.path()).unwrap();
    assert_eq!(found.len(), 2);
    assert!(found.contains(&a.path().to_owned()) && found.contains(&b.path().to_owned()));
    let path = a.path().to_owned();
    drop(a);
    assert!(!path.exists());
    assert_eq!(find_pages(dir.path()).unwrap(), vec![b.path().to_owned()]);
    assert!(find_pages(&dir.path().join("missing")).unwrap().is_empty());
}

#[test]
fn a_page_without_its_engine_is_not_live() {
    let dir = tempfile::tempdir().unwrap();
    let p = StatsPublisher::create_in(dir.path(), &ids(1), T0).unwrap();
    // A copy is what a crashed engine leaves: the data without the lock.
    let left = dir.path().join("ringfix-1.stats");
    std::fs::copy(p.path(), &left).unwrap();
    let r = StatsReader::open(&left).unwrap();
    assert!(!r.is_live().unwrap());
    assert!(!r.snapshot().unwrap().live);
    assert!(StatsReader::open(p.path()).unwrap().is_live().unwrap());
    // Checking liveness twice must not leave a lock behind.
    assert!(!r.is_live().unwrap());
}

#[test]
fn other_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("ringfix-9.stats");
    std::fs::write(&f, vec![7u8; 4096]).unwrap();
    assert!(matches!(
        StatsReader::open(&f),
        Err(StatsError::NotAPage { .. })
    ));
    std::fs::write(&f, b"short").unwrap();
    assert!(matches!(
        StatsReader::open(&f),
        Err(StatsError::NotAPage { .. })
    ));
    assert!(matches!(
        StatsReader::open(&dir.path().join("none")),
        Err(StatsError::Io { .. })
    ));
}

#[test]
fn long_ids_are_cut_on_a_char_boundary() {
    let dir = tempfile::tempdir().unwrap();
    let long = format!("FIX.4.4:{}->T", "é".repeat(200));
    let p = StatsPublisher::create_in(dir.path(), std::slice::from_ref(&long), T0).unwrap();
    let id = &StatsReader::open(p.path()).unwrap().session_ids()[0];
    assert!(id.len() <= 208 && long.starts_with(id.as_str()));
}

#[test]
fn snapshots_are_consistent_under_a_concurrent_writer() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = StatsPublisher::create_in(dir.path(), &ids(1), T0).unwrap();
    let mut s = p.session(0).unwrap();
    let r = StatsReader::open(p.path()).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = Arc::clone(&stop);
    let hb = msg("35=0|");
    let writer = std::thread::spawn(move || {
        let mut n = 0i64;
        while !stop2.load(Ordering::Relaxed) {
            n += 1;
            s.inbound(&hb, at(n));
            s.seqnums(n as u64, n as u64);
            s.publish(at(n));
            // One publish per event, as the runtime does (at a few hundred
            // thousand events a second): a writer publishing back to back
            // leaves a reader on another core no window between two writes
            // (a seqlock livelock no engine produces).
            for _ in 0..256 {
                std::hint::spin_loop();
            }
        }
    });
    let hb_len = msg("35=0|").len() as u64;
    let mut last = 0;
    for _ in 0..20_000 {
        let c = r.snapshot().unwrap().sessions[0].counters;
        // Every field of one publish moves together.
        assert_eq!(c.bytes_in, c.messages_in * hb_len);
        assert_eq!(c.next_sender_seq, c.messages_in);
        assert_eq!(c.next_target_seq, c.messages_in);
        assert_eq!(c.updated_at, at(c.messages_in as i64));
        assert!(c.messages_in >= last);
        last = c.messages_in;
    }
    stop.store(true, Ordering::Relaxed);
    writer.join().unwrap();
    assert!(last > 0);
}

/// Runtimes of one process created at once (parallel tests do this) get a
/// page each: before, two picked the same name and the second truncated the
/// file the first had mapped (SIGBUS in the first).
#[test]
fn publishers_created_concurrently_in_one_process_get_distinct_pages() {
    let dir = tempfile::tempdir().unwrap();
    let publishers: Vec<StatsPublisher> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..8)
            .map(|_| s.spawn(|| StatsPublisher::create_in(dir.path(), &ids(3), T0).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut paths: Vec<_> = publishers.iter().map(|p| p.path().to_path_buf()).collect();
    paths.sort();
    paths.dedup();
    assert_eq!(paths.len(), 8, "every publisher has its own page");
    for p in &paths {
        let snap = StatsReader::open(p).unwrap().snapshot().unwrap();
        assert_eq!(snap.sessions.len(), 3);
    }
}
