//! Load generator: many raw FIX.4.4 sessions driven by a few threads over
//! nonblocking sockets, each sending NewOrderSingles at a fixed rate to a
//! `ringfix acceptor --app exec` and checking every ExecutionReport
//! (MsgSeqNum contiguous, ClOrdID the next one expected, fill content):
//! lost and duplicated messages are counted, not guessed.
#![allow(dead_code)]

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::runtime_support::{fix, now_fix};

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
    }
}

struct Sess {
    name: String,
    stream: TcpStream,
    out: Vec<u8>,
    out_off: usize,
    inbuf: Vec<u8>,
    seq: u64,
    logged_on: bool,
    expect_in: u64,
    sent: u64,
    answered: u64,
    /// Send times of unanswered orders, oldest first.
    inflight: std::collections::VecDeque<Instant>,
}

impl Sess {
    fn push(&mut self, fields: &str) {
        let m = fix(&format!(
            "8=FIX.4.4|{}",
            fields.replacen("{seq}", &self.seq.to_string(), 1)
        ));
        self.seq += 1;
        self.out.extend_from_slice(&m);
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
}

/// The value of `tag` in `msg` (no allocation).
fn get<'a>(msg: &'a [u8], tag: &[u8]) -> Option<&'a [u8]> {
    msg.split(|&b| b == 1)
        .find_map(|f| f.strip_prefix(tag).and_then(|r| r.strip_prefix(b"=")))
}

fn num(v: Option<&[u8]>) -> u64 {
    v.and_then(|v| std::str::from_utf8(v).ok()?.parse().ok())
        .unwrap_or(0)
}

/// Runs the generator for sessions `ids` until every order is answered or
/// `spec.secs + 20` seconds pass. Sending starts once every thread's
/// sessions are logged on (`ready` counts those threads).
fn drive(port: u16, ids: Vec<usize>, spec: LoadSpec, ready: Arc<AtomicUsize>) -> LoadResult {
    let mut r = LoadResult::new();
    let mut sessions: Vec<Sess> = ids
        .iter()
        .map(|i| {
            let stream = crate::runtime_support::connect(port, Duration::from_secs(10));
            stream.set_nonblocking(true).unwrap();
            let mut s = Sess {
                name: format!("L{i}"),
                stream,
                out: Vec::with_capacity(64 * 1024),
                out_off: 0,
                inbuf: Vec::with_capacity(64 * 1024),
                seq: 1,
                logged_on: false,
                expect_in: 1,
                sent: 0,
                answered: 0,
                inflight: std::collections::VecDeque::new(),
            };
            let logon = format!(
                "35=A|34={{seq}}|49={}|52={}|56=EXEC|98=0|108=30",
                s.name,
                now_fix()
            );
            s.push(&logon);
            s
        })
        .collect();
    let total = spec.per_session();
    let mut chunk = vec![0u8; 256 * 1024];
    let mut started: Option<Instant> = None;
    let mut counted = false;
    let setup = Instant::now();
    let mut ts = now_fix();
    let mut ts_at = Instant::now();
    loop {
        let now = Instant::now();
        if now.duration_since(ts_at) >= Duration::from_millis(1) {
            ts = now_fix();
            ts_at = now;
        }
        if !counted && sessions.iter().all(|s| s.logged_on) {
            counted = true;
            ready.fetch_add(1, Ordering::SeqCst);
        }
        if started.is_none() && ready.load(Ordering::SeqCst) == spec.threads {
            started = Some(Instant::now());
        }
        if started.is_none() && setup.elapsed() > Duration::from_secs(30) {
            r.errors.push("logons not all answered in 30 s".into());
            return r;
        }
        let due = started.map_or(0, |t| {
            let e = t.elapsed();
            (e.as_nanos() * u128::from(spec.rate) / 1_000_000_000).min(u128::from(total)) as u64
        });
        let mut progress = false;
        for s in sessions.iter_mut() {
            if s.logged_on && s.sent < due {
                let lag_start =
                    started.unwrap() + Duration::from_nanos(s.sent * 1_000_000_000 / spec.rate);
                r.max_send_lag = r.max_send_lag.max(now.saturating_duration_since(lag_start));
                while s.sent < due {
                    let order = format!(
                        "35=D|34={{seq}}|49={}|52={ts}|56=EXEC|11={}-{}|21=1|38=100|40=2|44=10|54=1|55=RFIX|60={ts}",
                        s.name, s.name, s.sent
                    );
                    s.push(&order);
                    s.inflight.push_back(now);
                    s.sent += 1;
                }
                progress = true;
            }
            if !s.flush() {
                r.errors.push(format!("{}: write failed", s.name));
                return r;
            }
            loop {
                match s.stream.read(&mut chunk) {
                    Ok(0) => {
                        r.errors.push(format!("{}: closed by the acceptor", s.name));
                        return r;
                    }
                    Ok(n) => {
                        s.inbuf.extend_from_slice(&chunk[..n]);
                        progress = true;
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => {
                        r.errors.push(format!("{}: read: {e}", s.name));
                        return r;
                    }
                }
            }
            let mut inbuf = std::mem::take(&mut s.inbuf);
            let mut consumed = 0;
            while let Some(pos) = memchr::memmem::find(&inbuf[consumed..], b"\x0110=") {
                let end = consumed + pos + 8;
                if end > inbuf.len() {
                    break;
                }
                check(s, &inbuf[consumed..end], &mut r);
                consumed = end;
            }
            inbuf.drain(..consumed);
            s.inbuf = inbuf;
        }
        let done = started.is_some() && sessions.iter().all(|s| s.answered == total);
        if done {
            break;
        }
        if started.is_some_and(|t| t.elapsed() > Duration::from_secs(spec.secs + 20)) {
            r.errors.push("not all answered 20 s after the end".into());
            break;
        }
        if r.errors.len() > 20 {
            break;
        }
        if !progress {
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    for s in &sessions {
        r.sent += s.sent;
        r.answered += s.answered;
    }
    r
}

/// One inbound message of session `s`.
fn check(s: &mut Sess, msg: &[u8], r: &mut LoadResult) {
    let seq = num(get(msg, b"34"));
    if seq != s.expect_in {
        r.errors.push(format!(
            "{}: MsgSeqNum {seq}, expected {}",
            s.name, s.expect_in
        ));
    }
    s.expect_in = seq + 1;
    match get(msg, b"35") {
        Some(b"A") => s.logged_on = true,
        Some(b"8") => {
            let id = get(msg, b"11").unwrap_or_default();
            let want = format!("{}-{}", s.name, s.answered);
            if id != want.as_bytes() {
                // An id we already answered is a duplicate; else disorder.
                let n = std::str::from_utf8(id)
                    .ok()
                    .and_then(|v| v.rsplit('-').next()?.parse::<u64>().ok());
                if n.is_some_and(|n| n < s.answered) {
                    r.duplicated += 1;
                    return;
                }
                r.errors.push(format!(
                    "{}: report for {:?}, expected {want}",
                    s.name,
                    String::from_utf8_lossy(id)
                ));
            }
            let filled = get(msg, b"39") == Some(b"2")
                && get(msg, b"55") == Some(b"RFIX")
                && get(msg, b"38") == Some(b"100");
            if !filled {
                r.errors.push(format!("{}: wrong fill content", s.name));
            }
            s.answered += 1;
            if let Some(t) = s.inflight.pop_front() {
                let us = t.elapsed().as_micros().max(1) as u64;
                let _ = r.rtt_us.record(us);
            }
        }
        Some(b"1") => {
            let id = String::from_utf8_lossy(get(msg, b"112").unwrap_or_default()).into_owned();
            let hb = format!(
                "35=0|34={{seq}}|49={}|52={}|56=EXEC|112={id}",
                s.name,
                now_fix()
            );
            s.push(&hb);
        }
        Some(b"0") => {}
        other => r.errors.push(format!(
            "{}: unexpected {:?}",
            s.name,
            other.map(String::from_utf8_lossy)
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
