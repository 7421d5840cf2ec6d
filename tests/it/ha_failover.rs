//! Issue 29's failover tests: two nodes, etcd and a counterparty in
//! network namespaces, reactors in block mode, each scenario in sync and
//! async mode. Each fails unless, by the counterparty's record, no
//! acknowledged message is lost (every order gets its ExecutionReport, no
//! GapFill covers an application message it saw), no sequence number is
//! reused, no application message arrives twice without PossDupFlag, and
//! every takeover (kill -> the new leader's Logon complete) takes at most
//! HaLeaseTtl + 1 s.

use std::time::{Duration, Instant};

use crate::crash_support::record::Record;
use crate::ha_support::cluster::{ready_at, Cluster, A, B, ETCD, TTL};

/// The counterparty's verdict.
fn check(c: &Cluster, rec: &Record) {
    let unanswered: Vec<u64> = rec
        .orders
        .iter()
        .filter(|(_, &n)| n == 0)
        .map(|(&k, _)| k)
        .collect();
    assert!(
        rec.violations.is_empty(),
        "[{}] {} violations, first: {}\n--- a:\n{}\n{}\n--- b:\n{}\n{}",
        c.mode,
        rec.violations.len(),
        rec.violations[0],
        c.log(0),
        c.fix_log(0, 40),
        c.log(1),
        c.fix_log(1, 40)
    );
    assert!(
        unanswered.is_empty(),
        "[{}] orders without an ExecutionReport: {unanswered:?}",
        c.mode
    );
    assert!(
        rec.stats.orders > 100,
        "[{}] too few orders: {}",
        c.mode,
        rec.stats.orders
    );
    eprintln!(
        "[ha/{}] orders {}, engine messages {}, resent/PossDup received {}, gap-filled {}, duplicate reports {}",
        c.mode,
        rec.stats.orders,
        rec.stats.engine_msgs,
        rec.stats.resent_received,
        rec.stats.gap_filled,
        rec.stats.duplicate_reports
    );
}

/// The takeover after `from` by node `new`: until it listens (the
/// engine's part, at most HaLeaseTtl + 1 s) and until the counterparty's
/// Logon completed with it (that plus at most the counterparty's
/// ReconnectInterval of 1 s, which it waits between rounds).
fn takeover(c: &Cluster, from: Instant, logons: usize, new: usize) -> Duration {
    let ready = ready_at(c, new, Duration::from_secs(15)).expect("the new leader listens");
    let (at, node) = c.next_logon(logons, Duration::from_secs(15));
    let (engine, logon) = (ready - from, at - from);
    eprintln!(
        "[ha/{}] takeover by node {new}: listening after {engine:?}, Logon complete after {logon:?}",
        c.mode
    );
    assert_eq!(node, new, "[{}] logged on with the wrong node", c.mode);
    assert!(
        engine <= TTL + Duration::from_secs(1) && logon <= engine + Duration::from_millis(1100),
        "[{}] takeover took {engine:?} (Logon after {logon:?})\n--- a:\n{}\n--- b:\n{}",
        c.mode,
        c.log(0),
        c.log(1)
    );
    engine
}

fn kill_the_leader(mode: &'static str) {
    let (mut c, _one) = Cluster::new(mode);
    c.bring_up(0);
    c.start_peer();
    c.next_logon(0, Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(1));
    let at = c.kill(0);
    takeover(&c, at, 1, 1);
    std::thread::sleep(Duration::from_secs(1));
    let rec = c.finish();
    check(&c, &rec);
}

#[test]
fn kill_the_leader_sync() {
    kill_the_leader("sync");
}

#[test]
fn kill_the_leader_async() {
    kill_the_leader("async");
}

fn cut_the_leader_from_etcd(mode: &'static str) {
    let (mut c, _one) = Cluster::new(mode);
    c.bring_up(0);
    c.start_peer();
    c.next_logon(0, Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(1));
    let at = Instant::now();
    c.net.cut(A, ETCD);
    takeover(&c, at, 1, 1);
    // a stopped sending within the lease TTL (it still reaches the
    // counterparty: only etcd is cut off).
    let last = c.seen.lock().unwrap().last_recv[0].expect("a sent");
    assert!(
        last <= at + TTL,
        "[{mode}] a sent {:?} after the cut",
        last - at
    );
    c.net.heal(A, ETCD);
    // a comes back as a standby and catches up.
    c.wait("a back in sync", Duration::from_secs(15), |c| {
        c.insync().len() == 2
    });
    std::thread::sleep(Duration::from_secs(1));
    let rec = c.finish();
    check(&c, &rec);
}

#[test]
fn cut_the_leader_from_etcd_sync() {
    cut_the_leader_from_etcd("sync");
}

#[test]
fn cut_the_leader_from_etcd_async() {
    cut_the_leader_from_etcd("async");
}

fn cut_the_standby_off(mode: &'static str) {
    let (mut c, _one) = Cluster::new(mode);
    c.bring_up(0);
    c.start_peer();
    c.next_logon(0, Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(1));
    c.net.cut(A, B);
    c.net.cut(B, A);
    // After HaSyncTimeout without an acknowledgement b is dropped from the
    // in-sync set (sync: the fallback to async), and orders go on.
    c.wait("b dropped", Duration::from_secs(5), |c| c.insync() == ["a"]);
    if mode == "sync" {
        assert!(c.log(0).contains("falls back to async"), "{}", c.log(0));
        // The statistics say so too (the status file, every 0.5 s).
        c.wait("the fallback in ha status", Duration::from_secs(3), |c| {
            c.status(0)["sessions"][0]["fallback"] == true
        });
    }
    let answered = |c: &Cluster| c.seen.lock().unwrap().last_recv[0];
    let before = answered(&c);
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        answered(&c) > before,
        "[{mode}] the leader stalled without its standby"
    );
    c.net.heal(A, B);
    c.net.heal(B, A);
    c.wait("b caught up", Duration::from_secs(15), |c| {
        c.insync().len() == 2
    });
    let status = c.status(0);
    assert_eq!(status["sessions"][0]["leader"], "a", "{status}");
    assert!(
        status["sessions"][0]["token"].as_u64().is_some(),
        "{status}"
    );
    assert!(
        status["sessions"][0]["standbys"][0]["lag_records"]
            .as_u64()
            .is_some(),
        "{status}"
    );
    std::thread::sleep(Duration::from_secs(1));
    let rec = c.finish();
    check(&c, &rec);
    // b holds every message a stored.
    std::thread::sleep(Duration::from_millis(500));
    let (a, b) = (c.journal(0), c.journal(1));
    let missing: Vec<&u64> = a.keys().filter(|k| !b.contains_key(*k)).collect();
    assert!(missing.is_empty(), "[{mode}] b lacks {missing:?}");
}

#[test]
fn cut_the_standby_off_then_heal_sync() {
    cut_the_standby_off("sync");
}

#[test]
fn cut_the_standby_off_then_heal_async() {
    cut_the_standby_off("async");
}

fn restart_the_old_leader(mode: &'static str) {
    let (mut c, _one) = Cluster::new(mode);
    c.bring_up(0);
    c.start_peer();
    c.next_logon(0, Duration::from_secs(10));
    std::thread::sleep(Duration::from_secs(1));
    let at = c.kill(0);
    takeover(&c, at, 1, 1);
    c.start(0);
    // a rejoins as a standby and catches up before it may win.
    c.wait("a back in sync", Duration::from_secs(15), |c| {
        c.insync().len() == 2
    });
    assert_eq!(c.leader().map(|l| l.0), Some(1));
    std::thread::sleep(Duration::from_secs(1));
    let at = c.kill(1);
    takeover(&c, at, 2, 0);
    std::thread::sleep(Duration::from_secs(1));
    let rec = c.finish();
    check(&c, &rec);
}

#[test]
fn restart_the_old_leader_sync() {
    restart_the_old_leader("sync");
}

#[test]
fn restart_the_old_leader_async() {
    restart_the_old_leader("async");
}

fn flap(mode: &'static str) {
    let (mut c, _one) = Cluster::new(mode);
    c.bring_up(0);
    c.start_peer();
    c.next_logon(0, Duration::from_secs(10));
    for n in 0..20 {
        c.wait("both in sync", Duration::from_secs(15), |c| {
            c.insync().len() == 2
        });
        let logons = c.logons();
        let at = Instant::now();
        let old = c.revoke_leader().expect("a leader");
        let took = takeover(&c, at, logons, 1 - old);
        eprintln!("[ha/{mode}] flap {n}: {took:?}");
    }
    std::thread::sleep(Duration::from_secs(1));
    let rec = c.finish();
    check(&c, &rec);
}

#[test]
fn flap_leadership_20_times_sync() {
    flap("sync");
}

#[test]
fn flap_leadership_20_times_async() {
    flap("async");
}

#[test]
fn a_second_process_with_a_live_node_name_exits_1() {
    let (mut c, _one) = Cluster::new("sync");
    c.start(0);
    c.wait("a leads", Duration::from_secs(10), |c| {
        c.leader().map(|l| l.0) == Some(0)
    });
    let (status, stderr) = c.run_again(0);
    assert_eq!(status.and_then(|s| s.code()), Some(1), "{stderr}");
    assert!(stderr.contains("HaNodeName a is already live"), "{stderr}");
    // The first one still leads.
    assert_eq!(c.leader().map(|l| l.0), Some(0));
}
