//! Every pass/fail rule of the soak, in one place, each printing its
//! arithmetic so that a failure explains itself:
//!
//! - memory: after the first minute the acceptor's RssAnon stays within
//!   the first-minute value plus 5 % plus the store's sequence index
//!   (8 B per message stored since). The journal is a shared file mapping:
//!   its pages are page cache, counted in RssFile, and printed beside it.
//! - fds: the count with every session logged on is the same after every
//!   reconnect and rollover as at the start, and drops by one per session
//!   once all have logged out.
//! - journal: at every sample each journal file is within one
//!   preallocated segment of its records (16 B header and the message
//!   padded to 8, per message the counterparty accounted for), no stale
//!   journal is left behind by a rollover, and at the end the records are
//!   exactly what was received.
//! - nothing lost: the counterparty's records (every period closed without
//!   a gap, every order answered once, no number reused, no duplicate
//!   without PossDupFlag), and at the end the store agrees with them.

use super::driver::Outcome;
use super::{Kind, SEGMENT};

/// One sample of the acceptor, every 10 s.
#[derive(Clone, Debug, Default)]
pub struct Sample {
    /// Seconds since the start.
    pub t: f64,
    /// /proc/PID/status, kB.
    pub vm_rss: u64,
    pub rss_anon: u64,
    pub rss_file: u64,
    pub fds: u64,
    /// Total length of the store directory's journal files, and how many.
    pub journal: u64,
    pub journal_files: usize,
    /// Most the journals may take: each session's records rounded up to a
    /// segment, plus one segment mapped ahead.
    pub journal_bound: u64,
    /// Total length of the message logs.
    pub logs: u64,
    /// Engine messages stored so far, all sessions and periods.
    pub stored: u64,
    /// Sessions logged on.
    pub up: usize,
}

/// The fd count once every session had been logged on for a while after
/// a reconnect or rollover.
#[derive(Clone, Debug)]
pub struct FdCheck {
    pub t: f64,
    pub relogons: u64,
    pub fds: u64,
}

/// The store of one session after the engine exited.
#[derive(Clone, Debug)]
pub struct StoreEnd {
    pub next_sender: u64,
    pub next_target: u64,
    pub messages: u64,
    pub journal_used: u64,
    pub generation: u64,
}

/// Everything the run measured.
pub struct Run {
    pub secs: f64,
    pub samples: Vec<Sample>,
    /// Fd count with every session logged on, first time.
    pub fd_start: Option<FdCheck>,
    pub fd_checks: Vec<FdCheck>,
    /// Reconnects and rollovers after which no steady moment came.
    pub relogons_unchecked: u64,
    /// Fd count once every session had logged out at the end.
    pub fd_after_logout: Option<u64>,
    pub outcomes: Vec<Outcome>,
    /// Per outcome: the store read after the engine exited.
    pub stores: Vec<Result<StoreEnd, String>>,
    pub exit: Option<i32>,
    /// WARN and ERROR lines of the engine's log.
    pub engine_warnings: Vec<String>,
}

/// The result: lines to print, and the failures among them.
#[derive(Default)]
pub struct Verdict {
    pub lines: Vec<String>,
    pub failures: Vec<String>,
}

impl Verdict {
    fn say(&mut self, line: String) {
        self.lines.push(line);
    }

    fn fail(&mut self, line: String) {
        self.lines.push(format!("FAIL {line}"));
        self.failures.push(line);
    }

    fn check(&mut self, ok: bool, line: String) {
        if ok {
            self.say(format!("ok   {line}"));
        } else {
            self.fail(line);
        }
    }
}

/// Index bytes per stored message (the store's dense sequence index).
const INDEX_BYTES: u64 = 8;
/// Growth allowed beyond the index, in percent of the first-minute value.
const SLACK_PERCENT: u64 = 5;

pub fn judge(run: &Run) -> Verdict {
    let mut v = Verdict::default();
    table(&mut v, run);
    memory(&mut v, run);
    fds(&mut v, run);
    journal(&mut v, run);
    sessions(&mut v, run);
    v
}

fn table(v: &mut Verdict, run: &Run) {
    v.say(
        "    t s  VmRSS kB  RssAnon kB  RssFile kB  fds  up  stored msgs  journal B (files, bound)  logs B"
            .to_owned(),
    );
    for s in &run.samples {
        v.say(format!(
            "{:7.1}  {:8}  {:10}  {:10}  {:3}  {:2}  {:11}  {} ({}, {})  {}",
            s.t,
            s.vm_rss,
            s.rss_anon,
            s.rss_file,
            s.fds,
            s.up,
            s.stored,
            s.journal,
            s.journal_files,
            s.journal_bound,
            s.logs
        ));
    }
}

fn memory(v: &mut Verdict, run: &Run) {
    let (Some(first), Some(base), Some(last)) = (
        run.samples.first(),
        run.samples.iter().find(|s| s.t >= 60.0),
        run.samples.last(),
    ) else {
        v.fail("memory: no sample after the first minute (the run must last over 1 minute)".into());
        return;
    };
    let bound = |s: &Sample| {
        base.rss_anon * (100 + SLACK_PERCENT) / 100
            + (s.stored.saturating_sub(base.stored) * INDEX_BYTES).div_ceil(1024)
    };
    let worst = run
        .samples
        .iter()
        .filter(|s| s.t > base.t)
        .max_by_key(|s| s.rss_anon as i64 - bound(s) as i64)
        .unwrap_or(base);
    v.say(format!(
        "memory: RssAnon at start {} kB (t {:.0} s), after the first minute {} kB (t {:.0} s, \
         {} messages stored), final {} kB (t {:.0} s, {} stored)",
        first.rss_anon,
        first.t,
        base.rss_anon,
        base.t,
        base.stored,
        last.rss_anon,
        last.t,
        last.stored
    ));
    v.say(format!(
        "memory: VmRSS {} -> {} -> {} kB, RssFile (journal and log pages mapped) {} -> {} -> {} kB",
        first.vm_rss, base.vm_rss, last.vm_rss, first.rss_file, base.rss_file, last.rss_file
    ));
    v.check(
        worst.rss_anon <= bound(worst),
        format!(
            "memory: RssAnon {} kB at t {:.0} s <= bound {} kB = {} kB x {}% + {} B x {} messages \
             stored since the first minute (closest sample to the bound; final {} kB vs {} kB)",
            worst.rss_anon,
            worst.t,
            bound(worst),
            base.rss_anon,
            100 + SLACK_PERCENT,
            INDEX_BYTES,
            worst.stored.saturating_sub(base.stored),
            last.rss_anon,
            bound(last)
        ),
    );
}

fn fds(v: &mut Verdict, run: &Run) {
    let Some(start) = &run.fd_start else {
        v.fail("fds: every session was never logged on at once".into());
        return;
    };
    let sessions = run.outcomes.len() as u64;
    v.say(format!(
        "fds: {} with all {sessions} sessions logged on at t {:.0} s (the start value)",
        start.fds, start.t
    ));
    let bad: Vec<&FdCheck> = run
        .fd_checks
        .iter()
        .filter(|c| c.fds != start.fds)
        .collect();
    let relogons = run.fd_checks.last().map_or(0, |c| c.relogons);
    v.check(
        bad.is_empty(),
        format!(
            "fds: back to {} after every reconnect and rollover: {} checks over {relogons} relogons \
             ({} relogons with no steady moment after them){}",
            start.fds,
            run.fd_checks.len(),
            run.relogons_unchecked,
            bad.first().map_or(String::new(), |c| format!(
                "; {} checks differ, first at t {:.0} s: {} fds after {} relogons",
                bad.len(),
                c.t,
                c.fds,
                c.relogons
            ))
        ),
    );
    if relogons > 0 && run.fd_checks.is_empty() {
        v.fail("fds: reconnects happened but none was followed by a steady moment".into());
    }
    match run.fd_after_logout {
        Some(n) => v.check(
            n + sessions == start.fds,
            format!(
                "fds: {n} once every session logged out at the end = {} - {sessions} connections",
                start.fds
            ),
        ),
        None => v.fail("fds: not every session logged out at the end".into()),
    }
}

fn journal(v: &mut Verdict, run: &Run) {
    let sessions = run.outcomes.len();
    let over: Vec<&Sample> = run
        .samples
        .iter()
        .filter(|s| s.journal > s.journal_bound)
        .collect();
    let stale: Vec<&Sample> = run
        .samples
        .iter()
        .filter(|s| s.journal_files != sessions)
        .collect();
    let last = run.samples.last().cloned().unwrap_or_default();
    v.check(
        over.is_empty(),
        format!(
            "journal: every sample within its bound (records of the messages stored, per session \
             rounded up to a {} MiB segment, plus one segment ahead); final {} B <= {} B{}",
            SEGMENT >> 20,
            last.journal,
            last.journal_bound,
            over.first().map_or(String::new(), |s| format!(
                "; {} samples over, first at t {:.0} s: {} B > {} B",
                over.len(),
                s.t,
                s.journal,
                s.journal_bound
            ))
        ),
    );
    v.check(
        stale.is_empty(),
        format!(
            "journal: one journal file per session in every sample ({sessions}){}",
            stale.first().map_or(String::new(), |s| format!(
                "; {} at t {:.0} s",
                s.journal_files, s.t
            ))
        ),
    );
    let (mut used, mut msgs) = (0u64, 0u64);
    for (o, st) in run.outcomes.iter().zip(&run.stores) {
        let Ok(st) = st else { continue };
        used += st.journal_used;
        msgs += st.messages;
        // The records of what we received, exactly: a 16-byte header and
        // the message padded to 8; those whose original we did not see
        // (gap-filled, or first seen as a PossDup copy) at most the longest.
        let s = &o.rec.stats;
        let unsized_ = st.messages.saturating_sub(s.engine_sized);
        let low = 64 + s.engine_bytes + 16 * st.messages;
        let high = 64 + s.engine_bytes + 23 * st.messages + unsized_ * s.engine_max_len as u64;
        v.check(
            (low..=high).contains(&st.journal_used),
            format!(
                "journal: {} holds {} records in {} B, within {low}..={high} B for the {} B of \
                 the {} originals received ({unsized_} others)",
                o.plan.name, st.messages, st.journal_used, s.engine_bytes, s.engine_sized
            ),
        );
    }
    if msgs > 0 {
        v.say(format!(
            "journal: {used} B for {msgs} records at the end: {:.1} B per message",
            used as f64 / msgs as f64
        ));
    }
}

fn sessions(v: &mut Verdict, run: &Run) {
    v.check(
        run.exit == Some(0),
        format!("engine: exit status {:?} after SIGTERM", run.exit),
    );
    if run.engine_warnings.is_empty() {
        v.say("engine: no WARN or ERROR in its log".into());
    } else {
        v.say(format!(
            "engine: {} WARN/ERROR lines in its log, first: {}",
            run.engine_warnings.len(),
            run.engine_warnings
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join(" / ")
        ));
    }
    let errors = run
        .engine_warnings
        .iter()
        .filter(|l| l.contains("ERROR"))
        .count();
    v.check(
        errors == 0,
        format!("engine: {errors} ERROR lines in its log"),
    );
    let secs = run.secs;
    for (o, st) in run.outcomes.iter().zip(&run.stores) {
        session(v, o, st, secs);
    }
}

fn session(v: &mut Verdict, o: &Outcome, st: &Result<StoreEnd, String>, secs: f64) {
    let name = &o.plan.name;
    let orders = o.total(|p| p.orders);
    let in_flight = o.total(|p| p.in_flight_at_rollover);
    let sum = |f: &dyn Fn(&crate::crash_support::record::Stats) -> u64| {
        o.periods.iter().map(|p| f(&p.stats)).sum::<u64>()
    };
    v.say(format!(
        "{name} ({:?}): {orders} orders, {} engine messages in {} period(s), heartbeats {} in / {} \
         out, TestRequests in {}, resend requests ours {} / engine's {}, resent to us {}, \
         gap-filled {}, leaves logout/close/lossy {:?}, logons unanswered {}, in flight at a \
         rollover {in_flight}",
        kind_name(o.plan.kind),
        o.total(|p| p.engine_msgs),
        o.periods.len(),
        sum(&|s| s.engine_heartbeats),
        sum(&|s| s.heartbeats_sent),
        sum(&|s| s.engine_test_requests),
        sum(&|s| s.our_resend_requests),
        sum(&|s| s.engine_resend_requests),
        sum(&|s| s.resent_received),
        sum(&|s| s.gap_filled),
        o.leaves,
        o.logons_unanswered,
    ));
    v.check(
        o.violations.is_empty(),
        format!(
            "{name}: nothing lost by the counterparty's record{}",
            o.violations.first().map_or(String::new(), |f| format!(
                ": {} violations, first: {f}",
                o.violations.len()
            ))
        ),
    );
    v.check(
        o.logged_out_at_end,
        format!("{name}: settled and logged out at the end"),
    );
    match st {
        Ok(st) => v.check(
            st.next_sender == o.rec.recv_max() + 1 && st.next_target == o.rec.next_sender,
            format!(
                "{name}: the store agrees: next sender {} (we got up to {}), next target {} (we \
                 sent up to {})",
                st.next_sender,
                o.rec.recv_max(),
                st.next_target,
                o.rec.next_sender - 1
            ),
        ),
        Err(e) => v.fail(format!("{name}: store unreadable after the run: {e}")),
    }
    // The run did what it is for.
    match o.plan.kind {
        Kind::Trade => v.check(orders > 0, format!("{name}: traded ({orders} orders)")),
        Kind::Idle => {
            let (hin, hout) = (sum(&|s| s.engine_heartbeats), sum(&|s| s.heartbeats_sent));
            let want = (secs / 2.0) as u64;
            v.check(
                hin >= want && hout >= want,
                format!("{name}: heartbeats both ways at HeartBtInt=1: {hin} in, {hout} out (>= {want} each)"),
            );
        }
        Kind::Reconnect => {
            let n: u32 = o.leaves.iter().sum();
            v.check(
                secs < 90.0 || o.leaves.iter().all(|&k| k > 0),
                format!("{name}: reconnected {n} times, every way of leaving at least once"),
            );
        }
        Kind::Rollover { at } => {
            let skews: Vec<f64> = o
                .periods
                .iter()
                .filter_map(|p| p.rollover_skew_us.map(|us| us as f64 / 1000.0))
                .collect();
            v.check(
                o.periods.len() == 2 && skews.len() == 1,
                format!(
                    "{name}: rolled over once at StartTime=EndTime {} UTC (Logout {skews:?} ms from it), \
                     store generation {}",
                    super::hms(at),
                    st.as_ref().map_or(0, |s| s.generation)
                ),
            );
        }
    }
}

fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::Trade => "trading",
        Kind::Idle => "idle, HeartBtInt=1",
        Kind::Reconnect => "reconnecting",
        Kind::Rollover { .. } => "24-hour schedule",
    }
}

/// The rules themselves, on made-up runs: each fails when it should.
#[test]
fn rules_fail_on_growth_fd_leaks_and_stale_journals() {
    let sample = |t: f64, rss_anon: u64, fds: u64, stored: u64| Sample {
        t,
        rss_anon,
        fds,
        stored,
        journal: SEGMENT,
        journal_files: 0,
        journal_bound: 2 * SEGMENT,
        ..Sample::default()
    };
    let run = |last_anon: u64, fd_after: u64, journal_files: usize| {
        let mut samples = vec![
            sample(0.0, 9000, 10, 0),
            sample(60.0, 10_000, 12, 1000),
            sample(120.0, last_anon, 12, 129_000),
        ];
        for s in &mut samples {
            s.journal_files = journal_files;
        }
        Run {
            secs: 120.0,
            samples,
            fd_start: Some(FdCheck {
                t: 2.0,
                relogons: 0,
                fds: 12,
            }),
            fd_checks: vec![FdCheck {
                t: 30.0,
                relogons: 1,
                fds: fd_after,
            }],
            relogons_unchecked: 0,
            fd_after_logout: Some(12),
            outcomes: Vec::new(),
            stores: Vec::new(),
            exit: Some(0),
            engine_warnings: Vec::new(),
        }
    };
    let failures = |r: &Run| judge(r).failures;
    // 10 000 kB x 105 % + 8 B x 128 000 messages = 11 500 kB.
    assert!(failures(&run(11_500, 12, 0)).is_empty());
    let f = failures(&run(11_501, 12, 0));
    assert!(f.len() == 1 && f[0].contains("bound 11500 kB"), "{f:?}");
    let f = failures(&run(11_000, 13, 0));
    assert!(
        f.len() == 1 && f[0].contains("13 fds after 1 relogons"),
        "{f:?}"
    );
    let f = failures(&run(11_000, 12, 1));
    assert!(
        f.len() == 1 && f[0].contains("one journal file per session"),
        "{f:?}"
    );
}
