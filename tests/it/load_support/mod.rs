//! Load generator: many raw FIX.4.4 sessions driven by a few threads over
//! nonblocking sockets, each sending NewOrderSingles at a fixed rate to a
//! `ringfix acceptor --app exec` and checking every ExecutionReport
//! (MsgSeqNum contiguous, ClOrdID the next one expected, fill content):
//! lost and duplicated messages are counted, not guessed.
#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::os::fd::AsRawFd;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::runtime_support::now_fix;

/// What to run.
#[derive(Clone, Copy, Debug)]
pub struct LoadSpec {
    /// Sessions (TargetCompIDs L0..L{n-1} on the acceptor).
    pub sessions: usize,
    /// Orders per second per session.
    pub rate: u64,
    /// Seconds of sending.
    pub secs: u64,
    /// Generator threads.
    pub threads: usize,
    /// Orders due are sent every tick (one write per session).
    pub tick: Duration,
}

impl LoadSpec {
    /// Orders each session sends.
    pub fn per_session(&self) -> u64 {
        self.rate * self.secs
    }
}

/// What one generator thread saw.
#[derive(Debug)]
pub struct LoadResult {
    pub sent: u64,
    pub answered: u64,
    /// Reports whose ClOrdID was already answered.
    pub duplicated: u64,
    /// Reports out of order, with wrong content or a MsgSeqNum gap.
    pub errors: Vec<String>,
    /// Order -> report round trips (µs).
    pub rtt_us: Histogram<u64>,
    /// Largest lag of an order behind its schedule.
    pub max_send_lag: Duration,
    /// When the last report arrived.
    pub answered_at: Option<Instant>,
    /// Sessions that answered the TestRequest sent after the calm period
    /// after the last report (the event after which the acceptor gives
    /// back buffers a backlog grew).
    pub drained: usize,
}

impl LoadResult {
    fn new() -> Self {
        Self {
            sent: 0,
            answered: 0,
            duplicated: 0,
            errors: Vec::new(),
            rtt_us: Histogram::new(3).unwrap(),
            max_send_lag: Duration::ZERO,
            answered_at: None,
            drained: 0,
        }
    }

    /// Adds another thread's result.
    pub fn merge(&mut self, o: LoadResult) {
        self.sent += o.sent;
        self.answered += o.answered;
        self.duplicated += o.duplicated;
        self.errors.extend(o.errors);
        self.rtt_us.add(&o.rtt_us).unwrap();
        self.max_send_lag = self.max_send_lag.max(o.max_send_lag);
        self.answered_at = self.answered_at.max(o.answered_at);
        self.drained += o.drained;
    }
}

struct Sess {
    name: String,
    stream: TcpStream,
    out: Vec<u8>,
    out_off: usize,
    body: Vec<u8>,
    inbuf: Vec<u8>,
    seq: u64,
    logged_on: bool,
    expect_in: u64,
    sent: u64,
    answered: u64,
    /// The Heartbeat answering our TestRequest `DRAIN` came.
    drained: bool,
    /// Send times of unanswered orders, oldest first.
    inflight: VecDeque<Instant>,
}

impl Sess {
    /// Appends our next message: `fields` writes what follows MsgSeqNum
    /// (each field ending with SOH). No allocation in steady state.
    fn push(&mut self, msg_type: &str, ts: &str, fields: impl FnOnce(&mut Vec<u8>)) {
        self.body.clear();
        let _ = write!(
            self.body,
            "35={msg_type}\x0134={}\x0149={}\x0152={ts}\x0156=EXEC\x01",
            self.seq, self.name
        );
        fields(&mut self.body);
        self.seq += 1;
        let start = self.out.len();
        let _ = write!(self.out, "8=FIX.4.4\x019={}\x01", self.body.len());
        self.out.extend_from_slice(&self.body);
        let sum = self.out[start..]
            .iter()
            .fold(0u32, |a, &b| a + u32::from(b))
            % 256;
        let _ = write!(self.out, "10={sum:03}\x01");
    }

    /// Writes what the socket takes; false on a socket error.
    fn flush(&mut self) -> bool {
        while self.out_off < self.out.len() {
            match self.stream.write(&self.out[self.out_off..]) {
                Ok(0) => return false,
                Ok(n) => self.out_off += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(_) => return false,
            }
        }
        if self.out_off == self.out.len() {
            self.out.clear();
            self.out_off = 0;
        }
        true
    }

    /// Reads what is there; false at EOF or on an error.
    fn fill(&mut self, chunk: &mut [u8]) -> Result<(), String> {
        loop {
            match self.stream.read(chunk) {
                Ok(0) => return Err(format!("{}: closed by the acceptor", self.name)),
                Ok(n) => self.inbuf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => return Ok(()),
                Err(e) => return Err(format!("{}: read: {e}", self.name)),
            }
        }
    }
}

/// The fields of an inbound message the generator checks (one pass).
#[derive(Default)]
struct Fields<'a> {
    seq: u64,
    msg_type: &'a [u8],
    cl_ord_id: &'a [u8],
    ord_status: &'a [u8],
    symbol: &'a [u8],
    qty: &'a [u8],
    test_req_id: &'a [u8],
}

fn parse_u64(v: &[u8]) -> Option<u64> {
    if v.is_empty() || v.len() > 19 {
        return None;
    }
    v.iter().try_fold(0u64, |a, &b| {
        b.is_ascii_digit().then(|| a * 10 + u64::from(b - b'0'))
    })
}

fn fields(msg: &[u8]) -> Fields<'_> {
    let mut f = Fields::default();
    for field in msg.split(|&b| b == 1) {
        let Some(eq) = field.iter().position(|&b| b == b'=') else {
            continue;
        };
        let (tag, v) = (&field[..eq], &field[eq + 1..]);
        match tag {
            b"34" => f.seq = parse_u64(v).unwrap_or(0),
            b"35" => f.msg_type = v,
            b"11" => f.cl_ord_id = v,
            b"39" => f.ord_status = v,
            b"55" => f.symbol = v,
            b"38" => f.qty = v,
            b"112" => f.test_req_id = v,
            _ => {}
        }
    }
    f
}

/// A minimal epoll set: tokens are session indexes.
struct Poll(i32);

impl Poll {
    fn new() -> Self {
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        assert!(fd >= 0, "epoll_create1");
        Self(fd)
    }

    fn add(&self, fd: i32, token: u64) {
        let mut ev = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: token,
        };
        let rc = unsafe { libc::epoll_ctl(self.0, libc::EPOLL_CTL_ADD, fd, &mut ev) };
        assert_eq!(rc, 0, "epoll_ctl");
    }

    /// Ready tokens into `ready` (waits at most `timeout`, 1 ms steps).
    fn wait(&self, events: &mut [libc::epoll_event], timeout: Duration, ready: &mut Vec<u64>) {
        let ms = timeout.as_millis().min(100) as i32;
        let n = unsafe { libc::epoll_wait(self.0, events.as_mut_ptr(), events.len() as i32, ms) };
        ready.clear();
        ready.extend(events.iter().take(n.max(0) as usize).map(|e| e.u64));
    }
}

impl Drop for Poll {
    fn drop(&mut self) {
        unsafe { libc::close(self.0) };
    }
}

fn open(port: u16, i: usize, poll: &Poll, k: usize) -> Sess {
    let stream = crate::runtime_support::connect(port, Duration::from_secs(10));
    stream.set_nonblocking(true).unwrap();
    poll.add(stream.as_raw_fd(), k as u64);
    let mut s = Sess {
        name: format!("L{i}"),
        stream,
        out: Vec::with_capacity(64 * 1024),
        out_off: 0,
        body: Vec::with_capacity(512),
        inbuf: Vec::with_capacity(64 * 1024),
        seq: 1,
        logged_on: false,
        expect_in: 1,
        sent: 0,
        answered: 0,
        drained: false,
        inflight: VecDeque::new(),
    };
    s.push("A", &now_fix(), |w| {
        w.extend_from_slice(b"98=0\x01108=30\x01")
    });
    assert!(s.flush(), "logon write failed");
    s
}

/// Runs the generator for sessions `ids` until every order is answered or
/// `spec.secs + 20` seconds pass. Every `spec.tick` the orders due go out
/// (one write per session); reads follow epoll. Sending starts once every
/// thread's sessions are logged on (`ready` counts those threads).
fn drive(port: u16, ids: Vec<usize>, spec: LoadSpec, ready: Arc<AtomicUsize>) -> LoadResult {
    let mut r = LoadResult::new();
    let poll = Poll::new();
    let mut sessions: Vec<Sess> = ids
        .iter()
        .enumerate()
        .map(|(k, &i)| open(port, i, &poll, k))
        .collect();
    let total = spec.per_session();
    let mut chunk = vec![0u8; 256 * 1024];
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 256];
    let mut readable = Vec::new();
    let mut started: Option<Instant> = None;
    let mut counted = false;
    let setup = Instant::now();
    let mut next_tick = Instant::now();
    let mut tail = Vec::with_capacity(256);
    'run: loop {
        if !counted && sessions.iter().all(|s| s.logged_on) {
            counted = true;
            ready.fetch_add(1, Ordering::SeqCst);
        }
        if started.is_none() && ready.load(Ordering::SeqCst) == spec.threads {
            started = Some(Instant::now());
            next_tick = Instant::now();
        }
        if started.is_none() && setup.elapsed() > Duration::from_secs(30) {
            r.errors.push("logons not all answered in 30 s".into());
            break 'run;
        }
        let now = Instant::now();
        if let Some(t0) = started.filter(|_| now >= next_tick) {
            let e = now.duration_since(t0);
            let due = (e.as_nanos() * u128::from(spec.rate) / 1_000_000_000).min(u128::from(total))
                as u64;
            let ts = now_fix();
            for s in sessions.iter_mut() {
                if s.sent < due {
                    let planned = t0 + Duration::from_nanos(s.sent * 1_000_000_000 / spec.rate);
                    r.max_send_lag = r.max_send_lag.max(now.saturating_duration_since(planned));
                }
                while s.sent < due {
                    tail.clear();
                    let _ = write!(
                        tail,
                        "11={}-{}\x0121=1\x0138=100\x0140=2\x0144=10\x0154=1\x0155=RFIX\x0160={ts}\x01",
                        s.name, s.sent
                    );
                    s.push("D", &ts, |w| w.extend_from_slice(&tail));
                    s.inflight.push_back(now);
                    s.sent += 1;
                }
                if !s.flush() {
                    r.errors.push(format!("{}: write failed", s.name));
                    break 'run;
                }
            }
            while next_tick <= now {
                next_tick += spec.tick;
            }
        }
        let wait = if started.is_some() {
            next_tick.saturating_duration_since(Instant::now())
        } else {
            Duration::from_millis(10)
        };
        poll.wait(&mut events, wait, &mut readable);
        for &k in &readable {
            let Some(s) = sessions.get_mut(k as usize) else {
                continue;
            };
            if let Err(e) = s.fill(&mut chunk) {
                r.errors.push(e);
                break 'run;
            }
            let mut inbuf = std::mem::take(&mut s.inbuf);
            let mut consumed = 0;
            while let Some(pos) = memchr::memmem::find(&inbuf[consumed..], b"\x0110=") {
                let end = consumed + pos + 8;
                if end > inbuf.len() {
                    // The checksum's digits are still on the way.
                    break;
                }
                check(s, &inbuf[consumed..end], &mut r);
                consumed = end;
            }
            inbuf.drain(..consumed);
            s.inbuf = inbuf;
            // Heartbeats answering TestRequests, a partial write's rest.
            if !s.flush() {
                r.errors.push(format!("{}: write failed", s.name));
                break 'run;
            }
        }
        if started.is_some() && sessions.iter().all(|s| s.answered == total) {
            break 'run;
        }
        if started.is_some_and(|t| t.elapsed() > Duration::from_secs(spec.secs + 20)) {
            r.errors.push("not all answered 20 s after the end".into());
            break 'run;
        }
        if r.errors.len() > 20 {
            break 'run;
        }
    }
    if r.errors.is_empty() && sessions.iter().all(|s| s.answered == total) {
        r.answered_at = Some(Instant::now());
        drain(&mut sessions, &poll, &mut r);
    }
    for s in &sessions {
        r.sent += s.sent;
        r.answered += s.answered;
        r.drained += usize::from(s.drained);
    }
    r
}

/// After the last report: the acceptor's calm period (OutboundCalmPeriod=200
/// ms) and a little, then a TestRequest on every
/// session, and its Heartbeat read back (at most 10 s).
fn drain(sessions: &mut [Sess], poll: &Poll, r: &mut LoadResult) {
    std::thread::sleep(Duration::from_millis(250));
    let ts = now_fix();
    for s in sessions.iter_mut() {
        s.push("1", &ts, |w| w.extend_from_slice(b"112=DRAIN\x01"));
        if !s.flush() {
            r.errors.push(format!("{}: write failed", s.name));
            return;
        }
    }
    let mut chunk = vec![0u8; 64 * 1024];
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; 256];
    let mut readable = Vec::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(30) && !sessions.iter().all(|s| s.drained) {
        poll.wait(&mut events, Duration::from_millis(50), &mut readable);
        for &k in &readable {
            let Some(s) = sessions.get_mut(k as usize) else {
                continue;
            };
            if let Err(e) = s.fill(&mut chunk) {
                r.errors.push(e);
                return;
            }
            let mut inbuf = std::mem::take(&mut s.inbuf);
            let mut consumed = 0;
            while let Some(pos) = memchr::memmem::find(&inbuf[consumed..], b"\x0110=") {
                let end = consumed + pos + 8;
                if end > inbuf.len() {
                    break;
                }
                check(s, &inbuf[consumed..end], r);
                consumed = end;
            }
            inbuf.drain(..consumed);
            s.inbuf = inbuf;
        }
    }
}

/// One inbound message of session `s`.
fn check(s: &mut Sess, msg: &[u8], r: &mut LoadResult) {
    let f = fields(msg);
    if f.seq != s.expect_in {
        r.errors.push(format!(
            "{}: MsgSeqNum {}, expected {}",
            s.name, f.seq, s.expect_in
        ));
    }
    s.expect_in = f.seq + 1;
    match f.msg_type {
        b"A" => s.logged_on = true,
        b"8" => {
            // ClOrdID `<name>-<n>`: n must be the next one to be answered.
            let n = f
                .cl_ord_id
                .strip_prefix(s.name.as_bytes())
                .and_then(|v| v.strip_prefix(b"-"))
                .and_then(parse_u64);
            match n {
                Some(n) if n == s.answered => {}
                Some(n) if n < s.answered => {
                    r.duplicated += 1;
                    return;
                }
                _ => r.errors.push(format!(
                    "{}: report for {:?}, expected {}-{}",
                    s.name,
                    String::from_utf8_lossy(f.cl_ord_id),
                    s.name,
                    s.answered
                )),
            }
            let filled = f.ord_status == b"2" && f.symbol == b"RFIX" && f.qty == b"100";
            if !filled {
                r.errors.push(format!("{}: wrong fill content", s.name));
            }
            s.answered += 1;
            if let Some(t) = s.inflight.pop_front() {
                let us = t.elapsed().as_micros().max(1) as u64;
                let _ = r.rtt_us.record(us);
            }
        }
        b"1" => {
            let id = f.test_req_id.to_vec();
            s.push("0", &now_fix(), |w| {
                w.extend_from_slice(b"112=");
                w.extend_from_slice(&id);
                w.push(1);
            });
        }
        b"0" => s.drained |= f.test_req_id == b"DRAIN",
        other => r.errors.push(format!(
            "{}: unexpected {:?}",
            s.name,
            String::from_utf8_lossy(other)
        )),
    }
}

/// Runs `spec` against the acceptor on `port`; returns the merged result.
pub fn run(port: u16, spec: LoadSpec) -> LoadResult {
    let ready = Arc::new(AtomicUsize::new(0));
    let handles: Vec<_> = (0..spec.threads)
        .map(|t| {
            let ids: Vec<usize> = (0..spec.sessions)
                .filter(|i| i % spec.threads == t)
                .collect();
            let b = Arc::clone(&ready);
            std::thread::spawn(move || drive(port, ids, spec, b))
        })
        .collect();
    let mut total = LoadResult::new();
    for h in handles {
        total.merge(h.join().unwrap());
    }
    total
}

/// User + system CPU time of a process, in clock ticks (/proc/<pid>/stat).
pub fn cpu_ticks(pid: u32) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the ")" of the command name: state is field 3; utime 14, stime 15.
    let rest = s.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<&str> = rest.split_whitespace().collect();
    let num = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
    num(11) + num(12)
}
