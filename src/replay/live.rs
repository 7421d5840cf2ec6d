//! Live replay: one side of a capture played against a real counterparty.
//! A blocking socket loop around the engine's [`Session`] (the replay tool
//! is not the latency path): the session does the admin layer (Logon,
//! heartbeats, ResendRequests answered from its store), the captured
//! application messages are sent again on the captured schedule (renumbered,
//! re-stamped, our CompIDs), and the counterparty's answers are collected
//! for [`diff`](super::diff).

use std::io::{self, ErrorKind, Read, Write};
use std::net::{TcpListener, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use ringfix_codec::{frame, Frame};
use ringfix_engine::session::{
    AppVerdict, Application, Disposition, Incoming, LogoutReason, Role, Sender, Session,
    SessionSettings, Tag, Validator,
};
use ringfix_engine::store::MemoryStore;
use ringfix_engine::time::{MonoTime, Now};

use super::capture::{Capture, Side};
use super::diff::{compare, Answer, Diff};
use super::offline::reason_text;
use super::pacing::{Pacing, PacingReport, Speed};
use super::plan::{Due, Plan};
use super::wire::Parts;
use super::ReplayError;

/// Largest inbound message accepted.
const MAX_MESSAGE: usize = 1 << 20;
/// At most this many sends per loop turn at max speed (then read).
const BATCH: usize = 64;
/// Waits shorter than this end by polling (see `Live::read`).
const PRECISE_WAIT: Duration = Duration::from_millis(5);
/// Sleep between polls of a short wait.
const POLL_STEP: Duration = Duration::from_micros(200);
/// How long an acceptor-side replay waits for the counterparty.
const ACCEPT_WAIT: Duration = Duration::from_secs(60);
/// How long to keep trying to connect.
const CONNECT_WAIT: Duration = Duration::from_secs(10);

/// How to replay live.
pub struct LiveOptions {
    /// `HOST:PORT`: connect there (initiator) or listen there (acceptor).
    pub to: String,
    /// The captured side we play.
    pub side: Side,
    /// Pacing.
    pub speed: Speed,
    /// Key fields compared.
    pub keys: Vec<Tag>,
    /// Body timestamp fields set to the send time (e.g. TransactTime 60).
    pub restamp: Vec<Tag>,
    /// Our session (CompIDs, version, timers) from the configuration.
    pub settings: SessionSettings,
    /// Inbound validation, when the configuration asks for it.
    pub validator: Option<Box<dyn Validator + Send>>,
    /// Quiet time to wait for answers after the last send (ns).
    pub wait_nanos: i64,
    /// Show a progress bar on stderr.
    pub progress: bool,
}

/// What a live replay found.
#[derive(Clone, Debug)]
pub struct LiveOutcome {
    /// Captured messages of our side to send.
    pub to_send: usize,
    /// Of those, sent.
    pub sent: usize,
    /// Sent without the answer that preceded them in the capture (after
    /// waiting the quiet time for it).
    pub ungated: usize,
    /// Whether the Logon exchange completed.
    pub logged_on: bool,
    /// How the session ended.
    pub end: String,
    /// Captured answers against live ones.
    pub diff: Diff,
    /// Lateness of sends against the schedule.
    pub pacing: PacingReport,
    /// The session played, `BEGIN:OURS->THEIRS`.
    pub session: String,
}

impl LiveOutcome {
    /// Whether the counterparty answered as captured and everything was sent.
    pub fn is_clean(&self) -> bool {
        self.diff.is_empty() && self.sent == self.to_send && self.logged_on
    }
}

/// Collects the counterparty's answers (application messages and session Rejects).
struct Collector {
    keys: Vec<Tag>,
    now: i64,
    answers: Vec<Answer>,
    logged_on: bool,
    logout: Option<String>,
}

impl Application for Collector {
    fn on_app(
        &mut self,
        _: &SessionSettings,
        msg: &Incoming<'_>,
        _: &mut Sender<'_>,
    ) -> AppVerdict {
        self.answers
            .push(Answer::of(self.now, msg.raw(), &self.keys));
        AppVerdict::Accept
    }

    fn on_admin(&mut self, _: &SessionSettings, msg: &Incoming<'_>) {
        if msg.msg_type() == b"3" {
            self.answers
                .push(Answer::of(self.now, msg.raw(), &self.keys));
        }
    }

    fn on_logon(&mut self, _: &SessionSettings, _: &mut Sender<'_>) {
        self.logged_on = true;
    }

    fn on_logout(&mut self, _: &SessionSettings, reason: LogoutReason) {
        self.logout = Some(reason_text(reason));
    }
}

/// The monotonic clock (pacing and the session's deadlines).
fn now_nanos() -> i64 {
    MonoTime::now().as_nanos()
}

/// Connects (retrying while the counterparty is not listening yet, up to
/// [`CONNECT_WAIT`]) or accepts one connection.
fn open(to: &str, side: Side) -> Result<TcpStream, ReplayError> {
    let stream = match side {
        Side::Initiator => {
            let addrs: Vec<_> = to.to_socket_addrs()?.collect();
            let started = Instant::now();
            let mut last = io::Error::new(ErrorKind::NotFound, format!("{to}: no address"));
            let mut found = None;
            'retry: while started.elapsed() < CONNECT_WAIT {
                for addr in &addrs {
                    match TcpStream::connect_timeout(addr, CONNECT_WAIT) {
                        Ok(s) => {
                            found = Some(s);
                            break 'retry;
                        }
                        Err(e) => last = e,
                    }
                }
                if last.kind() != ErrorKind::ConnectionRefused {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            found.ok_or_else(|| io::Error::new(last.kind(), format!("connect {to}: {last}")))?
        }
        Side::Acceptor => accept(to)?,
    };
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Listens on `to` for the counterparty's connection, up to [`ACCEPT_WAIT`].
fn accept(to: &str) -> Result<TcpStream, ReplayError> {
    let listener = TcpListener::bind(to)?;
    listener.set_nonblocking(true)?;
    let started = Instant::now();
    loop {
        match listener.accept() {
            Ok((s, _)) => {
                s.set_nonblocking(false)?;
                return Ok(s);
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock && started.elapsed() < ACCEPT_WAIT => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => {
                return Err(ReplayError::Session(format!(
                    "no counterparty connected to {to} within {} s",
                    ACCEPT_WAIT.as_secs()
                )))
            }
            Err(e) => return Err(e.into()),
        }
    }
}

/// Plays `opts.side` of `cap` against the counterparty at `opts.to`.
pub fn replay_live(cap: &Capture, opts: LiveOptions) -> Result<LiveOutcome, ReplayError> {
    let plan = Plan::new(cap, opts.side, &opts.keys);
    let role = match opts.side {
        Side::Initiator => Role::Initiator,
        Side::Acceptor => Role::Acceptor,
    };
    let mut settings = opts.settings;
    settings.role = role;
    settings.reconnect = false;
    let session_name = format!(
        "{}:{}->{}",
        settings.begin_string, settings.sender_comp_id, settings.target_comp_id
    );
    let stream = open(&opts.to, opts.side)?;
    let start = now_nanos();
    let session = Session::new(settings, MemoryStore::new(Now::read().wall), opts.validator);
    let bar = if opts.progress {
        let bar = ProgressBar::new(plan.sends.len() as u64);
        if let Ok(style) =
            ProgressStyle::with_template("{bar:40} {pos}/{len} sent  {per_sec}  eta {eta}  {msg}")
        {
            bar.set_style(style);
        }
        bar
    } else {
        ProgressBar::hidden()
    };
    let mut run = Live {
        stream,
        session,
        app: Collector {
            keys: opts.keys.clone(),
            now: start,
            answers: Vec::new(),
            logged_on: false,
            logout: None,
        },
        out: Vec::new(),
        inbuf: Vec::new(),
        closed: None,
    };
    let mut pacing = Pacing::new();
    let mut next = 0usize;
    let mut base: Option<i64> = None;
    let mut last_activity = start;
    let mut logout_sent = false;
    let mut gated_since: Option<i64> = None;
    let mut ungated = 0usize;
    let d = run
        .session
        .connected(Now::read(), &mut run.out, &mut run.app);
    run.flush(d)?;
    while run.closed.is_none() {
        let now = now_nanos();
        run.app.now = now;
        if run.session.deadline().is_some_and(|d| d.as_nanos() <= now) {
            let d = run
                .session
                .on_timer(Now::read(), &mut run.out, &mut run.app);
            run.flush(d)?;
            continue;
        }
        let mut wake = run.session.deadline().map_or(i64::MAX, |d| d.as_nanos());
        if run.session.is_logged_on() && !logout_sent {
            let base = *base.get_or_insert(now);
            let mut batch = 0;
            while let Some(m) = plan.sends.get(next) {
                let due = match plan.due(next, base, opts.speed, &run.app.answers) {
                    Due::Gated => {
                        let until = gated_since
                            .get_or_insert(now)
                            .saturating_add(opts.wait_nanos);
                        if now < until {
                            wake = wake.min(until);
                            break;
                        }
                        ungated += 1;
                        None
                    }
                    Due::At(d) => d,
                };
                if batch == BATCH || due.is_some_and(|d| d > now) {
                    wake = wake.min(due.unwrap_or(now));
                    break;
                }
                gated_since = None;
                let sent_at = Now::read();
                if let Err(e) =
                    Parts::of(&m.bytes).send(&mut run.session, sent_at, &opts.restamp, &mut run.out)
                {
                    return Err(ReplayError::Session(format!("send failed: {e}")));
                }
                run.flush(Disposition::KEEP)?;
                if let Some(due) = due {
                    pacing.record(due, now_nanos());
                }
                next += 1;
                batch += 1;
                last_activity = now;
                bar.inc(1);
            }
            let all_sent = next == plan.sends.len();
            let answered = run.app.answers.len() >= plan.answers.len();
            let quiet = if answered {
                opts.wait_nanos.min(250_000_000)
            } else {
                opts.wait_nanos
            };
            if all_sent {
                let done_at = last_activity.saturating_add(quiet);
                if now >= done_at {
                    logout_sent = true;
                    bar.set_message("logging out");
                    let d = run
                        .session
                        .logout(None, Now::read(), &mut run.out, &mut run.app);
                    run.flush(d)?;
                    continue;
                }
                wake = wake.min(done_at);
            }
        }
        let before = run.app.answers.len();
        run.read(wake.saturating_sub(now))?;
        if run.app.answers.len() != before {
            last_activity = now_nanos();
        }
    }
    bar.finish_and_clear();
    let end = run
        .app
        .logout
        .clone()
        .or(run.closed.clone())
        .unwrap_or_default();
    Ok(LiveOutcome {
        to_send: plan.sends.len(),
        sent: next,
        ungated,
        logged_on: run.app.logged_on,
        end,
        diff: compare(&plan.answers, &run.app.answers),
        pacing: pacing.report(),
        session: session_name,
    })
}

struct Live {
    stream: TcpStream,
    session: Session<MemoryStore>,
    app: Collector,
    out: Vec<u8>,
    inbuf: Vec<u8>,
    /// Why the connection ended, once it has.
    closed: Option<String>,
}

impl Live {
    /// Writes what the session produced; carries out its disposition.
    fn flush(&mut self, d: Disposition) -> Result<(), ReplayError> {
        if !self.out.is_empty() {
            let r = self.stream.write_all(&self.out);
            self.out.clear();
            if let Err(e) = r {
                self.gone(format!("write failed: {e}"));
                return Ok(());
            }
        }
        if d.is_close() {
            let _ = self.stream.shutdown(std::net::Shutdown::Both);
            self.gone("closed by the session".into());
        }
        Ok(())
    }

    fn gone(&mut self, why: String) {
        if self.closed.is_none() {
            self.session.disconnected(Now::read(), &mut self.app);
            self.closed = Some(why);
        }
    }

    /// Reads for at most `wait_ns` and feeds complete messages to the session.
    fn read(&mut self, wait_ns: i64) -> Result<(), ReplayError> {
        // Socket timeouts tick in jiffies (up to 4 ms late): block only
        // for long waits, and end short ones by polling with sleeps
        // (hrtimer precision), so paced sends go out on time.
        let wait = Duration::from_nanos(u64::try_from(wait_ns).unwrap_or(0));
        let short = wait < PRECISE_WAIT;
        self.stream.set_nonblocking(short)?;
        if !short {
            let block = wait
                .saturating_sub(PRECISE_WAIT)
                .clamp(Duration::from_millis(1), Duration::from_secs(1));
            self.stream.set_read_timeout(Some(block))?;
        }
        let mut buf = [0u8; 64 * 1024];
        match self.stream.read(&mut buf) {
            Ok(0) => {
                self.gone("the counterparty closed the connection".into());
                return Ok(());
            }
            Ok(n) => self
                .inbuf
                .extend_from_slice(buf.get(..n).unwrap_or_default()),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                if short {
                    std::thread::sleep(wait.clamp(Duration::from_micros(20), POLL_STEP));
                }
                return Ok(());
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => return Ok(()),
            Err(e) => {
                self.gone(format!("read failed: {e}"));
                return Ok(());
            }
        }
        let mut at = 0;
        while self.closed.is_none() {
            let rest = self.inbuf.get(at..).unwrap_or_default();
            match frame(rest, MAX_MESSAGE) {
                Frame::Complete(n) => {
                    let now = now_nanos();
                    self.app.now = now;
                    let msg = rest.get(..n).unwrap_or_default();
                    let (session, out, app) = (&mut self.session, &mut self.out, &mut self.app);
                    let d = Incoming::parse_with(msg, |inc| {
                        session.on_message(inc, Now::read(), out, app)
                    })
                    .unwrap_or_else(|_| session.on_garbled(Now::read()));
                    at += n;
                    self.flush(d)?;
                }
                Frame::Incomplete => break,
                Frame::Garbled { skip, .. } => {
                    let d = self.session.on_garbled(Now::read());
                    at += skip.max(1);
                    self.flush(d)?;
                }
            }
        }
        self.inbuf.drain(..at.min(self.inbuf.len()));
        Ok(())
    }
}
