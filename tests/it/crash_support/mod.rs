//! kill -9 trials: a `ringfix` process (acceptor with `exec`, or
//! initiator with `orders`) streams with a raw-TCP counterparty written
//! here, is killed with SIGKILL at a random moment, restarted on the same
//! FileStorePath and logged on again without a reset, many times; then a
//! last run ends cleanly and the whole history is checked. Seeded (the
//! seed is printed; `CRASH_SEED` replays one), every wait bounded.
#![allow(dead_code)]

pub mod peer;
pub mod record;
pub mod tear;

use std::fs::File;
use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ringfix_engine::store::{StoreFiles, StoreId, StoreReader};

use peer::{Conn, Role};
use record::{show, Record, Recv};
use tear::{check_tear_repaired, inject_tear, pending_tear, PendingTear};

const BIN: &str = env!("CARGO_BIN_EXE_ringfix");

/// splitmix64: small, seedable, good enough to pick kill moments.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo).max(1)
    }
}

/// The seed: `CRASH_SEED` if set, else from the clock.
pub fn seed_for(test: &str) -> u64 {
    let base = std::env::var("CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    eprintln!(
        "[{test}] seed {base} (replay: CRASH_SEED={base} cargo test --test crash_kill {test})"
    );
    base
}

/// Trials per test: `CRASH_TRIALS` or `default`.
pub fn trials(default: u32) -> u32 {
    std::env::var("CRASH_TRIALS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// One session's setup: role, StoreFsync, files.
pub struct Setup {
    pub role: Role,
    pub fsync: String,
    pub dir: tempfile::TempDir,
    pub port: u16,
    listener: Option<TcpListener>,
}

impl Setup {
    pub fn new(role: Role, fsync: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let (port, listener) = match role {
            Role::Acceptor => {
                let l = TcpListener::bind("127.0.0.1:0").unwrap();
                (l.local_addr().unwrap().port(), None)
            }
            Role::Initiator => {
                let l = TcpListener::bind("127.0.0.1:0").unwrap();
                l.set_nonblocking(true).unwrap();
                (l.local_addr().unwrap().port(), Some(l))
            }
        };
        Self {
            role,
            fsync: fsync.to_owned(),
            dir,
            port,
            listener,
        }
    }

    pub fn store_dir(&self) -> PathBuf {
        self.dir.path().join("store")
    }

    pub fn files(&self) -> StoreFiles {
        let id = match self.role {
            Role::Acceptor => StoreId::new("FIX.4.4", "EXEC", "ORDERS"),
            Role::Initiator => StoreId::new("FIX.4.4", "ORDERS", "EXEC"),
        };
        StoreFiles::new(self.store_dir(), &id)
    }

    fn config(&self) -> PathBuf {
        let path = self.dir.path().join("engine.cfg");
        let common = format!(
            "NonStopSession=Y\nFileStorePath={}\nFileLogPath={}\nStoreFsync={}\nResetOnLogon=N\n\
             ResetOnLogout=N\nResetOnDisconnect=N\nPersistMessages=Y\n",
            self.store_dir().display(),
            self.dir.path().join("log").display(),
            self.fsync
        );
        let text = match self.role {
            Role::Acceptor => format!(
                "[DEFAULT]\nConnectionType=acceptor\n{common}\n[SESSION]\nBeginString=FIX.4.4\n\
                 SenderCompID=EXEC\nTargetCompID=ORDERS\nSocketAcceptHost=127.0.0.1\n\
                 SocketAcceptPort={}\n",
                self.port
            ),
            Role::Initiator => format!(
                "[DEFAULT]\nConnectionType=initiator\nHeartBtInt=30\nReconnectInterval=1\n{common}\n\
                 [SESSION]\nBeginString=FIX.4.4\nSenderCompID=ORDERS\nTargetCompID=EXEC\n\
                 SocketConnectHost=127.0.0.1\nSocketConnectPort={}\n",
                self.port
            ),
        };
        File::create(&path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        path
    }

    /// Starts the engine; its stderr goes to `log`.
    fn spawn(&self, log: &Path, count: u64, rate: u32) -> Child {
        let args = match self.role {
            Role::Acceptor => vec!["--app".to_owned(), "exec".to_owned()],
            Role::Initiator => ["--app", "orders", "--rate", &rate.to_string()]
                .iter()
                .map(|s| s.to_string())
                .chain(["--count".to_owned(), count.to_string()])
                .collect(),
        };
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.spawn_with(log, &args, Stdio::null())
    }

    /// Starts the engine with `args` (after the role and before
    /// `--config`); its stderr goes to `log`.
    pub fn spawn_with(&self, log: &Path, args: &[&str], stdout: Stdio) -> Child {
        self.forget_dead_engine();
        let role = match self.role {
            Role::Acceptor => "acceptor",
            Role::Initiator => "initiator",
        };
        Command::new(BIN)
            .arg(role)
            .args(args)
            .arg("--config")
            .arg(self.config())
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(File::create(log).unwrap())
            .spawn()
            .unwrap()
    }

    /// The next engine starts at once, as a supervisor restarts a crashed
    /// one. As acceptor, the killed engine's listening socket can outlive
    /// the process for some milliseconds (its io_uring is torn down after
    /// the exit, and the pending accept holds the socket): the new engine
    /// retries its bind meanwhile (SocketAcceptRetryTimeout), and a
    /// connection we make then lands on the dying socket and is reset
    /// unanswered: callers reconnect ([`Conn::landed_on_dead_listener`]).
    ///
    /// As initiator, the connection the killed engine made before the kill
    /// (or its connect completing during that teardown) waits in *our*
    /// listener's queue and would read as closed once accepted, blamed on
    /// the next engine. That is the test peer's own listen queue, not what
    /// the engine's restart does, so it stays: accept and drop until none
    /// has arrived for 20 ms.
    fn forget_dead_engine(&self) {
        let Some(l) = &self.listener else {
            return;
        };
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut quiet_since = Instant::now();
        while Instant::now() < deadline && quiet_since.elapsed() < Duration::from_millis(20) {
            if l.accept().is_ok() {
                quiet_since = Instant::now();
            } else {
                std::thread::sleep(Duration::from_millis(2));
            }
        }
    }

    /// A new connection, if one is there now.
    pub fn try_connect(&self) -> Option<TcpStream> {
        match &self.listener {
            Some(l) => l.accept().ok().map(|(s, _)| {
                s.set_nonblocking(false).unwrap();
                s
            }),
            None => TcpStream::connect_timeout(
                &([127, 0, 0, 1], self.port).into(),
                Duration::from_millis(50),
            )
            .ok(),
        }
    }
}

/// Runs `n` kill trials and the clean last run; returns the record.
pub fn run(role: Role, fsync: &str, n: u32, seed: u64) -> Record {
    let setup = Setup::new(role, fsync);
    let mut rng = Rng::new(seed);
    let mut rec = Record::new(format!("{role:?}/{fsync}/seed {seed}"));
    let started = Instant::now();
    for trial in 0..n {
        kill_trial(&setup, &mut rec, &mut rng, trial);
    }
    final_run(&setup, &mut rec, &mut rng);
    eprintln!(
        "[{}] {n} trials + final run in {:.1}s: {:?}",
        rec.label,
        started.elapsed().as_secs_f64(),
        rec.stats
    );
    if !rec.violations.is_empty() {
        // Keep the store and the engine logs for a look.
        let kept = setup.dir.keep();
        eprintln!("[{}] store and logs kept in {}", rec.label, kept.display());
    }
    rec
}

fn kill_trial(setup: &Setup, rec: &mut Record, rng: &mut Rng, trial: u32) {
    rec.stats.trials += 1;
    let log = setup.dir.path().join(format!("trial{trial}.log"));
    let tear: PendingTear = pending_tear(setup);
    let mut child = setup.spawn(&log, 1_000_000, 2000);
    let spawned = Instant::now();
    // One kill in five during start-up and logon (store open, first
    // messages); the rest while streaming, up to 300 ms after the logon.
    let early = rng.range(0, 5) == 0;
    let mut kill_at = early.then(|| spawned + Duration::from_millis(rng.range(1, 300)));
    let after_logon = Duration::from_millis(rng.range(0, 300));
    // Every other trial, what was in flight at the kill is lost: we stop
    // reading shortly before it and drop the unread bytes.
    let lossy = rng.range(0, 2) == 0;
    let stall = Duration::from_millis(rng.range(2, 40));
    let reask = rng.range(0, 4) == 0;
    let mut conn: Option<Conn> = None;
    let mut last: Option<Conn> = None;
    let mut killed = false;
    let mut reached_logon = false;
    let bound = spawned + Duration::from_secs(20);
    loop {
        let now = Instant::now();
        if !killed && kill_at.is_some_and(|t| now >= t) {
            child.kill().unwrap();
            killed = true;
            if conn.as_ref().is_some_and(|c| c.logged_on) {
                rec.stats.kills_after_logon += 1;
            } else {
                rec.stats.kills_before_logon += 1;
            }
        }
        if now > bound {
            rec.violation(format!(
                "trial {trial}: no logon, or the connection did not end after the kill"
            ));
            let _ = child.kill();
            break;
        }
        match conn.as_mut() {
            None if killed => break,
            Some(_) if lossy && kill_at.is_some_and(|t| now + stall >= t) => {
                if killed {
                    rec.stats.lossy_kills += 1;
                    last = conn.take();
                    break;
                }
                std::thread::sleep(Duration::from_millis(1));
            }
            None => match setup.try_connect() {
                Some(s) => {
                    let mut c = Conn::new(setup.role, s);
                    c.order_rate = 1000;
                    if setup.role == Role::Acceptor {
                        c.send_logon(rec);
                    }
                    conn = Some(c);
                }
                None => std::thread::sleep(Duration::from_millis(2)),
            },
            Some(c) => {
                c.poll(rec, Duration::from_millis(2));
                if c.logged_on && !reached_logon {
                    reached_logon = true;
                    kill_at.get_or_insert(now + after_logon);
                    // One trial in four asks again for the last few
                    // hundred numbers it already has.
                    let have = rec.recv_next() - 1;
                    if reask && have > 0 {
                        c.request_again(rec, have.saturating_sub(300).max(1), have);
                    }
                }
                if c.landed_on_dead_listener() && !killed {
                    rec.stats.dead_listener_resets += 1;
                    conn = None;
                } else if c.eof {
                    // Drain what the kernel still delivered, then drop.
                    c.poll(rec, Duration::from_millis(1));
                    last = conn.take();
                    if !killed {
                        rec.violation(format!(
                            "trial {trial}: engine closed the connection before the kill"
                        ));
                    }
                }
            }
        }
    }
    let _ = child.wait();
    check_logon_resend(rec, last.as_ref().or(conn.as_ref()), false, trial);
    drop(conn);
    drop(last);
    let reader = rec.snapshot(&setup.files());
    if let Some(off) = tear {
        check_tear_repaired(rec, &log, off, reached_logon);
    }
    if let Some(t) = reader.as_ref().and_then(StoreReader::torn_tail) {
        if reached_logon || tear != Some(t) {
            rec.stats.torn_tails_natural += 1;
        }
    }
    if let Some(r) = reader {
        if rng.range(0, 3) == 0 {
            inject_tear(setup, rec, &r, rng);
        }
    }
}

/// The engine must ask from what it had not processed when we log on
/// ahead of it (checked strictly in the final run, where it has time).
fn check_logon_resend(rec: &mut Record, conn: Option<&Conn>, strict: bool, trial: u32) {
    let Some(c) = conn else { return };
    let Some(expected) = c.must_rr else { return };
    let long = c
        .logged_on_at
        .is_some_and(|t| t.elapsed() > Duration::from_secs(2));
    if !c.rr_seen && (strict || long) {
        rec.violation(format!(
            "trial {trial}: logged on at {} ahead of the engine's {expected}, no ResendRequest",
            rec.next_sender
        ));
    }
}

/// The last run: not killed. Streams a little, lets every gap close and
/// every order be answered, logs out, and checks the whole history.
fn final_run(setup: &Setup, rec: &mut Record, rng: &mut Rng) {
    let log = setup.dir.path().join("final.log");
    let tear = pending_tear(setup);
    // The initiator either finishes by itself (`--count 20`: it logs out
    // once its orders are answered, which must not happen before it has
    // processed everything: reports resent from the killed runs must not
    // count), or streams slowly (5/s) so that quiet moments come, and is
    // stopped with SIGTERM (a Logout) once everything is settled.
    let by_count = setup.role == Role::Initiator && rng.range(0, 2) == 0;
    rec.stats.final_by_count = by_count;
    let mut child = if by_count {
        setup.spawn(&log, 20, 200)
    } else {
        setup.spawn(&log, 1_000_000, 5)
    };
    let bound = Instant::now() + Duration::from_secs(60);
    let mut conn: Option<Conn> = None;
    let mut orders_sent = 0;
    let mut finished = false;
    let mut next_check = Instant::now();
    while Instant::now() < bound {
        match conn.as_mut() {
            None => match setup.try_connect() {
                Some(s) => {
                    let mut c = Conn::new(setup.role, s);
                    c.logout_expected = by_count;
                    if setup.role == Role::Acceptor {
                        c.send_logon(rec);
                    }
                    conn = Some(c);
                }
                None => std::thread::sleep(Duration::from_millis(5)),
            },
            Some(c) => {
                c.poll(rec, Duration::from_millis(5));
                if setup.role == Role::Acceptor && c.logged_on && orders_sent < 20 {
                    c.send_order(rec);
                    orders_sent += 1;
                }
                if c.logged_on
                    && !c.logout_sent
                    && !c.logout_expected
                    && Instant::now() >= next_check
                {
                    next_check = Instant::now() + Duration::from_millis(20);
                    if settled(setup, rec, c) {
                        match setup.role {
                            Role::Acceptor if orders_sent == 20 => c.send_logout(rec),
                            Role::Acceptor => {}
                            Role::Initiator => {
                                c.logout_expected = true;
                                let _ = Command::new("kill")
                                    .args(["-TERM", &child.id().to_string()])
                                    .status();
                            }
                        }
                    }
                }
                if c.landed_on_dead_listener() {
                    rec.stats.dead_listener_resets += 1;
                    conn = None;
                    continue;
                }
                if c.eof || c.logout_received && c.logout_sent {
                    finished = c.logout_received;
                    // Wait for the engine to close the connection.
                    let drain = Instant::now() + Duration::from_secs(5);
                    while !c.eof && Instant::now() < drain {
                        c.poll(rec, Duration::from_millis(5));
                    }
                    break;
                }
            }
        }
    }
    if !finished {
        rec.violation(format!(
            "final run did not settle and log out within 60 s (recv_next {}, max {}, \
             unanswered orders {})",
            rec.recv_next(),
            rec.recv_max(),
            rec.orders.values().filter(|&&n| n == 0).count()
        ));
    }
    check_logon_resend(rec, conn.as_ref(), finished, u32::MAX);
    drop(conn);
    if setup.role == Role::Acceptor {
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
    }
    match wait_exit(&mut child, Duration::from_secs(10)) {
        None => rec.violation("engine did not exit after the final run".to_owned()),
        Some(status) if status.code() != Some(0) => {
            rec.violation(format!("engine exit status {status:?}"))
        }
        Some(_) => {}
    }
    if let Some(off) = tear {
        check_tear_repaired(rec, &log, off, true);
    }
    let Some(reader) = rec.snapshot(&setup.files()) else {
        rec.violation("no store after the final run".to_owned());
        return;
    };
    final_checks(rec, &reader);
}

/// Nothing in flight: no gap on our side, every order answered, and
/// (live, from the store) the engine has processed all we sent and we
/// have accounted for all it sent.
fn settled(setup: &Setup, rec: &Record, c: &Conn) -> bool {
    if rec.recv_next() <= rec.recv_max() || rec.orders.values().any(|&n| n == 0) {
        return false;
    }
    if c.must_rr.is_some() && !c.rr_seen {
        return false;
    }
    let Ok(r) = StoreReader::open(setup.files()) else {
        return false;
    };
    r.next_target_seq() == rec.next_sender && r.next_sender_seq() == rec.recv_max() + 1
}

/// Nothing lost over the whole history.
fn final_checks(rec: &mut Record, reader: &StoreReader) {
    let last = reader.next_sender_seq() - 1;
    let holes: Vec<u64> = (1..=last).filter(|s| !rec.recv.contains_key(s)).collect();
    if !holes.is_empty() {
        rec.violation(format!(
            "engine messages never received nor gap-filled: {} of {last}, first {:?}",
            holes.len(),
            &holes[..holes.len().min(10)]
        ));
    }
    if rec.recv_max() > last {
        rec.violation(format!(
            "peer saw {} but the store ends at {last}",
            rec.recv_max()
        ));
    }
    if !rec.gap_filled_unverified.is_empty() {
        rec.violation(format!(
            "gap-filled numbers the journal never held: {:?}",
            &rec.gap_filled_unverified[..rec.gap_filled_unverified.len().min(10)]
        ));
    }
    if reader.next_target_seq() != rec.next_sender {
        rec.violation(format!(
            "engine processed up to {} but we sent up to {}",
            reader.next_target_seq() - 1,
            rec.next_sender - 1
        ));
    }
    // Every stored application message reached us as a message.
    let lost: Vec<u64> = rec
        .journal
        .iter()
        .filter(|(s, b)| {
            record::Msg::from_stored(b).is_ok_and(|m| !m.is_admin())
                && !matches!(rec.recv.get(s), Some(Recv::Msg(_)))
        })
        .map(|(s, _)| *s)
        .collect();
    if !lost.is_empty() {
        let first = rec
            .journal
            .get(&lost[0])
            .map(|b| show(b))
            .unwrap_or_default();
        rec.violation(format!(
            "{} stored application messages never delivered, first {}: {first}",
            lost.len(),
            lost[0]
        ));
    }
    let unanswered = rec.orders.values().filter(|&&n| n == 0).count();
    if unanswered > 0 {
        rec.violation(format!("{unanswered} of our orders never answered"));
    }
}

/// Waits (bounded) for the child; kills it on timeout.
pub fn wait_exit(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let bound = Instant::now() + within;
    while Instant::now() < bound {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}
