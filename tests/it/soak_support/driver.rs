//! One session's counterparty for the whole soak: connects, logs on,
//! trades, idles, drops and reconnects, rolls over, and keeps the crash
//! trials' record (`crash_support::record`) of everything, one record per
//! schedule period. Every wait is bounded.

use std::net::TcpStream;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant, SystemTime};

use crate::crash_support::peer::{Conn, Role};
use crate::crash_support::record::{Record, Stats};

use super::{Kind, Live, Plan, Shared};

/// Engine numbers, our messages and answered orders the record keeps in
/// full (older ones are settled and forgotten: memory stays flat).
const KEEP: u64 = 5_000;
/// Between a connection's end and the next connect.
const PAUSE: Duration = Duration::from_millis(300);
/// Reconnect sessions stay logged on this long (plus up to 10 s jitter).
const UP_FOR: Duration = Duration::from_secs(15);
/// A Logon must be answered, a Logout exchange finished, within this.
const ANSWER_WITHIN: Duration = Duration::from_secs(10);
/// The engine's Logout at a rollover: at most this early (clock skew
/// between us and the engine) or late (its schedule check's cadence).
const ROLLOVER_EARLY: Duration = Duration::from_secs(1);
const ROLLOVER_LATE: Duration = Duration::from_secs(10);
/// The final phase: settle, log out.
const FINAL_WITHIN: Duration = Duration::from_secs(60);
/// Of a lossy disconnect: how long our sends are lost before the close.
const MUTE_FOR: Duration = Duration::from_millis(200);

/// How a reconnect session leaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Leave {
    /// Logout exchange, then the engine closes.
    Logout,
    /// We close at once (what the engine sent meanwhile is lost).
    Close,
    /// Our last messages are lost in flight, then we close without
    /// reading: gaps on both sides, filled after the next logon.
    Lossy,
}

const LEAVES: [Leave; 3] = [Leave::Logout, Leave::Close, Leave::Lossy];

/// How one schedule period ended.
#[derive(Clone, Debug)]
pub struct Period {
    pub orders: u64,
    /// Orders sent in the last moments before a rollover that the engine
    /// never processed: the new period starts over, so they are not
    /// answered, legitimately.
    pub in_flight_at_rollover: u64,
    /// Engine messages (its last MsgSeqNum).
    pub engine_msgs: u64,
    pub stats: Stats,
    /// When the engine's Logout came, relative to StartTime=EndTime (µs,
    /// negative if before).
    pub rollover_skew_us: Option<i64>,
}

/// A session's result.
pub struct Outcome {
    pub plan: Plan,
    /// Finished periods (rollovers), then the last one.
    pub periods: Vec<Period>,
    /// The last period's record (to compare with the store at the end).
    pub rec: Record,
    pub leaves: [u32; 3],
    /// Logons refused or unanswered (the engine closed the connection
    /// before answering; we reconnected).
    pub logons_unanswered: u32,
    pub logged_out_at_end: bool,
    pub violations: Vec<String>,
}

impl Outcome {
    pub fn total(&self, f: impl Fn(&Period) -> u64) -> u64 {
        self.periods.iter().map(f).sum()
    }
}

struct Driver<'a> {
    plan: Plan,
    live: &'a Live,
    shared: &'a Shared,
    port: u16,
    rec: Record,
    period: u32,
    /// Engine messages of finished periods.
    stored_before: u64,
    out: Outcome,
    conn: Option<Conn>,
    connected_at: Instant,
    logged_on_this_conn: bool,
    logons: u32,
    next_connect: Instant,
    /// Reconnect: when to leave next, and how far a leave has got.
    leave_at: Option<Instant>,
    leaving: Option<(Leave, Instant)>,
    leaves_done: usize,
    logout_seen_at: Option<SystemTime>,
    final_until: Option<Instant>,
    finished: bool,
    /// The last period's journal bound, until the engine has replaced
    /// that journal (at the first logon of the new period).
    old_journal_bound: u64,
    jitter: u64,
}

/// Runs session `i` until the final phase ends.
pub fn run(plan: Plan, i: usize, port: u16, shared: &Shared) -> Outcome {
    let label = format!("{} period 1", plan.name);
    let mut d = Driver {
        live: &shared.live[i],
        shared,
        port,
        rec: Record::new(label),
        period: 1,
        stored_before: 0,
        out: Outcome {
            plan: plan.clone(),
            periods: Vec::new(),
            rec: Record::new(String::new()),
            leaves: [0; 3],
            logons_unanswered: 0,
            logged_out_at_end: false,
            violations: Vec::new(),
        },
        conn: None,
        connected_at: Instant::now(),
        logged_on_this_conn: false,
        logons: 0,
        next_connect: Instant::now(),
        leave_at: None,
        leaving: None,
        leaves_done: 0,
        logout_seen_at: None,
        final_until: None,
        finished: false,
        old_journal_bound: 0,
        jitter: 0x9E37_79B9 * (i as u64 + 1),
        plan,
    };
    let mut last_prune = Instant::now();
    while !d.finished {
        d.step();
        if last_prune.elapsed() > Duration::from_secs(1) {
            last_prune = Instant::now();
            d.rec.prune(KEEP);
        }
        d.publish();
    }
    d.live.up.store(false, Ordering::Relaxed);
    d.end_period(true);
    d.out.rec = d.rec;
    d.out
}

impl Driver<'_> {
    fn violation(&mut self, what: String) {
        self.rec.violation(what);
    }

    fn step(&mut self) {
        let now = Instant::now();
        if self.shared.stop.load(Ordering::Relaxed) && self.final_until.is_none() {
            self.final_until = Some(now + FINAL_WITHIN);
            if let Some(c) = self.conn.as_mut() {
                c.orders_stop = true;
            }
        }
        if self.final_until.is_some_and(|t| now > t) {
            let what = format!(
                "final phase: not settled and logged out within {FINAL_WITHIN:?} (connected {}, \
                 logged on {}, engine numbers next {} max {}, unanswered orders {})",
                self.conn.is_some(),
                self.logged_on_this_conn,
                self.rec.recv_next(),
                self.rec.recv_max(),
                self.rec.orders.values().filter(|&&n| n == 0).count()
            );
            self.violation(what);
            self.finished = true;
            return;
        }
        if self.conn.is_none() {
            if now >= self.next_connect {
                self.connect();
            } else {
                std::thread::sleep(Duration::from_millis(5));
            }
            return;
        }
        self.poll_conn();
    }

    fn connect(&mut self) {
        let addr = ([127, 0, 0, 1], self.port).into();
        let s = match TcpStream::connect_timeout(&addr, Duration::from_secs(2)) {
            Ok(s) => s,
            Err(e) => {
                self.violation(format!("connect failed: {e}"));
                self.next_connect = Instant::now() + PAUSE;
                return;
            }
        };
        let mut c = Conn::new(Role::Acceptor, s).with_ids(&self.plan.name, "EXEC");
        c.heart_bt_int = self.plan.heart_bt_int;
        c.heartbeats = true;
        c.order_rate = self.plan.rate;
        c.orders_stop = self.final_until.is_some();
        if matches!(self.plan.kind, Kind::Rollover { .. }) {
            c.logout_expected = self.in_rollover_window();
        }
        // The crash trials check where the engine asks from against its
        // store after a kill; here the engine was not killed and we do not
        // read its store while it runs: no such check (the final store
        // comparison and the order answers cover what it would catch).
        self.rec.engine_next_target = self.rec.next_sender;
        c.send_logon(&mut self.rec);
        self.connected_at = Instant::now();
        self.logged_on_this_conn = false;
        self.logout_seen_at = None;
        self.conn = Some(c);
    }

    fn in_rollover_window(&self) -> bool {
        match self.plan.kind {
            Kind::Rollover { at } => {
                let now = SystemTime::now();
                now + ROLLOVER_EARLY >= at && now <= at + ROLLOVER_LATE && self.period == 1
            }
            _ => false,
        }
    }

    fn poll_conn(&mut self) {
        let window = self.in_rollover_window();
        let jitter = Duration::from_millis(self.next_jitter() % 10_000);
        let Some(c) = self.conn.as_mut() else { return };
        match self.leaving {
            // Lossy: orders go out but nothing is read (the engine's
            // answers are lost at the close), then orders are lost too.
            Some((Leave::Lossy, since)) => {
                c.mute = since.elapsed() >= MUTE_FOR / 2;
                c.send_orders(&mut self.rec);
                std::thread::sleep(Duration::from_millis(5));
            }
            _ => c.poll(&mut self.rec, Duration::from_millis(5)),
        }
        let now = Instant::now();
        if c.logout_received && self.logout_seen_at.is_none() {
            self.logout_seen_at = Some(SystemTime::now());
        }
        if c.logged_on && !self.logged_on_this_conn {
            self.logged_on_this_conn = true;
            self.old_journal_bound = 0;
            self.logons += 1;
            if self.logons > 1 {
                self.live.relogons.fetch_add(1, Ordering::Relaxed);
            }
            if self.plan.kind == Kind::Reconnect {
                let wait = if self.logons == 1 {
                    self.plan.first_drop
                } else {
                    UP_FOR + jitter
                };
                self.leave_at = Some(now + wait);
            }
        }
        let up = c.logged_on && !c.logout_sent && !c.logout_received && self.leaving.is_none();
        self.live.up.store(up, Ordering::Relaxed);
        if window {
            c.logout_expected = true;
        }
        if !c.logged_on && !c.eof && now - self.connected_at > ANSWER_WITHIN {
            let what = format!("Logon not answered within {ANSWER_WITHIN:?}");
            self.violation(what);
            self.conn = None;
            self.next_connect = now + PAUSE;
            return;
        }
        if self.final_until.is_some() {
            self.final_phase();
        } else {
            self.maybe_leave(now);
            self.check_rollover_late();
        }
        self.progress_leave(now);
        self.on_eof(now);
    }

    fn next_jitter(&mut self) -> u64 {
        self.jitter ^= self.jitter << 13;
        self.jitter ^= self.jitter >> 7;
        self.jitter ^= self.jitter << 17;
        self.jitter
    }

    /// Reconnect sessions: time to leave?
    fn maybe_leave(&mut self, now: Instant) {
        if self.leaving.is_some() || self.leave_at.is_none_or(|t| now < t) {
            return;
        }
        let Some(c) = self.conn.as_mut() else { return };
        let k = self.leaves_done % LEAVES.len();
        let how = LEAVES[k];
        self.leaves_done += 1;
        self.out.leaves[k] += 1;
        self.leave_at = None;
        self.live.up.store(false, Ordering::Relaxed);
        match how {
            Leave::Logout => c.send_logout(&mut self.rec),
            Leave::Close => {}
            Leave::Lossy => {}
        }
        self.leaving = Some((how, now));
    }

    fn progress_leave(&mut self, now: Instant) {
        let Some((how, since)) = self.leaving else {
            return;
        };
        let done = match how {
            Leave::Close => true,
            Leave::Lossy => now - since >= MUTE_FOR,
            Leave::Logout => {
                let c = self.conn.as_ref();
                if now - since > ANSWER_WITHIN {
                    let what = format!(
                        "our Logout: no Logout answer and close within {ANSWER_WITHIN:?} \
                         (answered {})",
                        c.is_some_and(|c| c.logout_received)
                    );
                    self.violation(what);
                    true
                } else {
                    c.is_none_or(|c| c.eof)
                }
            }
        };
        if done {
            self.leaving = None;
            // Unread bytes make the close a reset: lost in flight.
            self.conn = None;
            self.next_connect = now + PAUSE;
        }
    }

    /// Rollover sessions: the engine must log out at StartTime=EndTime.
    fn check_rollover_late(&mut self) {
        let Kind::Rollover { at } = self.plan.kind else {
            return;
        };
        if self.period == 1 && SystemTime::now() > at + ROLLOVER_LATE + ANSWER_WITHIN {
            let what = format!(
                "no rollover: the engine did not log out at StartTime=EndTime {} (+{:?})",
                super::hms(at),
                ROLLOVER_LATE
            );
            self.violation(what);
            // Count it once: continue as if in the next period.
            self.period += 1;
        }
    }

    /// Time is up: stop orders, wait until nothing is in flight, log out.
    fn final_phase(&mut self) {
        if self.leaving.is_some() {
            return;
        }
        let Some(c) = self.conn.as_mut() else { return };
        c.orders_stop = true;
        c.logout_expected = false;
        if !c.logged_on || c.logout_sent {
            return;
        }
        let settled =
            self.rec.recv_next() > self.rec.recv_max() && self.rec.orders.values().all(|&n| n > 0);
        if settled {
            c.send_logout(&mut self.rec);
        }
    }

    /// The connection ended: expected (our leave, a rollover, the final
    /// Logout) or not.
    fn on_eof(&mut self, now: Instant) {
        let Some(c) = self.conn.as_ref() else { return };
        if !c.eof {
            return;
        }
        if !c.logged_on {
            // Closed before our Logon was answered (the engine may still
            // have held the previous connection): try again.
            self.out.logons_unanswered += 1;
        } else if self.final_until.is_some() && c.logout_sent && c.logout_received {
            self.out.logged_out_at_end = true;
            self.finished = true;
        } else if c.logout_received
            && c.logout_expected
            && self.period == 1
            && matches!(self.plan.kind, Kind::Rollover { .. })
        {
            self.rollover();
        } else {
            let what = format!(
                "the engine closed the connection (Logout received {}, sent {})",
                c.logout_received, c.logout_sent
            );
            self.violation(what);
        }
        self.live.up.store(false, Ordering::Relaxed);
        self.conn = None;
        self.leaving = None;
        self.next_connect = now + PAUSE;
    }

    /// The engine logged out at StartTime=EndTime: the period is over.
    fn rollover(&mut self) {
        let Kind::Rollover { at } = self.plan.kind else {
            return;
        };
        let seen = self.logout_seen_at.unwrap_or_else(SystemTime::now);
        let skew = match seen.duration_since(at) {
            Ok(d) => d.as_micros() as i64,
            Err(e) => -(e.duration().as_micros() as i64),
        };
        eprintln!(
            "[soak] {}: rollover at {} UTC, the engine's Logout {:+.1} ms from it",
            self.plan.name,
            super::hms(at),
            skew as f64 / 1000.0
        );
        self.end_period(false);
        if let Some(p) = self.out.periods.last_mut() {
            p.rollover_skew_us = Some(skew);
        }
        // The engine replaces the old journal only at the next logon.
        self.old_journal_bound = self.live.journal_bound.load(Ordering::Relaxed);
        self.period += 1;
        self.rec = Record::new(format!("{} period {}", self.plan.name, self.period));
    }

    /// Closes the current period's books: no gap left in the engine's
    /// numbers, every order answered once, except (at a rollover) those
    /// sent after the last one the engine answered.
    fn end_period(&mut self, last: bool) {
        let rec = &mut self.rec;
        if rec.recv_next() <= rec.recv_max() {
            rec.violation(format!(
                "period ended with engine numbers missing: {}..{} not received",
                rec.recv_next(),
                rec.recv_max()
            ));
        }
        let last_answered = rec
            .orders
            .iter()
            .rev()
            .find(|(_, &n)| n > 0)
            .map(|(&o, _)| o);
        let unanswered: Vec<u64> = rec
            .orders
            .iter()
            .filter(|(_, &n)| n == 0)
            .map(|(&o, _)| o)
            .collect();
        let (lost, in_flight): (Vec<u64>, Vec<u64>) = unanswered
            .iter()
            .partition(|&&o| last || last_answered.is_some_and(|a| o < a));
        if !lost.is_empty() {
            rec.violation(format!(
                "{} orders never answered{}, first P{}",
                lost.len(),
                if last { "" } else { " though later ones were" },
                lost[0]
            ));
        }
        if rec.stats.duplicate_reports > 0 {
            rec.violation(format!(
                "{} orders answered more than once",
                rec.stats.duplicate_reports
            ));
        }
        let p = Period {
            orders: rec.next_order,
            in_flight_at_rollover: in_flight.len() as u64,
            engine_msgs: rec.recv_max(),
            stats: rec.stats.clone(),
            rollover_skew_us: None,
        };
        self.stored_before += p.engine_msgs;
        self.out.violations.extend(
            rec.violations
                .drain(..)
                .map(|v| format!("{}: {v}", rec.label)),
        );
        self.out.periods.push(p);
    }

    fn publish(&self) {
        let rec = &self.rec;
        self.live
            .stored
            .store(self.stored_before + rec.recv_max(), Ordering::Relaxed);
        // A record is 16 header bytes and the message padded to 8; numbers
        // whose original we did not see count as the longest message.
        let s = &rec.stats;
        let unsized_ = rec.recv_max().saturating_sub(s.engine_sized);
        let bound = 64 + s.engine_bytes + 23 * rec.recv_max() + unsized_ * s.engine_max_len as u64;
        self.live
            .journal_bound
            .store(bound.max(self.old_journal_bound), Ordering::Relaxed);
    }
}
