//! Shared helpers for the reactor tests: a scriptable handler, fd and TCP
//! state checks, a per-test timeout, and a lock that runs tests serially.
#![allow(dead_code)]

use ringfix_engine::reactor::{
    self, CloseMode, CloseReason, ConnId, ConnectionHandler, Ctx, Framed, Mode, MonoTime, Now,
    ReactorConfig, ReactorHandle, StatsSnapshot,
};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::harness;
pub use harness::{isolated, serial, wait_until, with_timeout};

/// Open file descriptors of this process.
pub fn fd_count() -> usize {
    std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0)
}

/// TCP states (kernel numbering) of sockets whose local port is `port`, listeners excluded.
pub fn tcp_states_local_port(port: u16) -> Vec<u8> {
    let mut out = Vec::new();
    for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.len() < 4 {
                continue;
            }
            let local_port = cols[1]
                .rsplit(':')
                .next()
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            let state = u8::from_str_radix(cols[3], 16).unwrap_or(0);
            if local_port == Some(port) && state != 0x0A {
                out.push(state);
            }
        }
    }
    out
}

pub const TCP_ESTABLISHED: u8 = 0x01;
pub const TCP_CLOSE_WAIT: u8 = 0x08;

/// No socket with local `port` is ESTABLISHED or CLOSE-WAIT, and the fd
/// count is back to `base`.
pub fn assert_clean(port: u16, base_fds: usize) {
    let ok = wait_until(Duration::from_secs(2), || {
        let states = tcp_states_local_port(port);
        fd_count() == base_fds
            && !states
                .iter()
                .any(|s| *s == TCP_ESTABLISHED || *s == TCP_CLOSE_WAIT)
    });
    assert!(
        ok,
        "leak: fds {} (baseline {base_fds}), tcp states {:?}",
        fd_count(),
        tcp_states_local_port(port)
    );
}

/// What a handler saw, with the time it saw it.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    Open(ConnId),
    Frame(Vec<u8>),
    Garbled(Vec<u8>),
    Deadline,
    Notified,
    Closed(CloseReason),
}

pub type Log = Arc<Mutex<Vec<(Instant, Event)>>>;

pub fn new_log() -> Log {
    Arc::new(Mutex::new(Vec::new()))
}

pub fn events(log: &Log) -> Vec<(Instant, Event)> {
    log.lock().unwrap().clone()
}

pub fn first(log: &Log, pred: impl Fn(&Event) -> bool) -> Option<Instant> {
    log.lock()
        .unwrap()
        .iter()
        .find(|(_, e)| pred(e))
        .map(|(t, _)| *t)
}

pub fn open_id(log: &Log) -> Option<ConnId> {
    log.lock().unwrap().iter().find_map(|(_, e)| match e {
        Event::Open(id) => Some(*id),
        _ => None,
    })
}

pub fn count(log: &Log, pred: impl Fn(&Event) -> bool) -> usize {
    log.lock().unwrap().iter().filter(|(_, e)| pred(e)).count()
}

pub fn closed_reason(log: &Log) -> Option<CloseReason> {
    log.lock().unwrap().iter().find_map(|(_, e)| match e {
        Event::Closed(r) => Some(r.clone()),
        _ => None,
    })
}

/// (frame, reply, close mode, new deadline from now).
pub type Trigger = (Vec<u8>, Vec<u8>, Option<CloseMode>, Option<Duration>);

/// What the handler does on a deadline.
#[derive(Debug, Clone, Copy)]
pub enum OnDeadline {
    Close(CloseMode),
    /// Move the deadline this far and queue this many bytes.
    Extend(Duration, usize),
}

/// A scriptable handler. Frames are `F...\n`; anything before an `F` is garbage.
pub struct Script {
    pub log: Log,
    /// Deadline set at open (and kept unless something below moves it).
    pub initial_deadline: Duration,
    pub on_deadline: OnDeadline,
    /// Echo every frame back.
    pub echo: bool,
    /// Sent when the connection opens.
    pub greeting: Vec<u8>,
    /// On a frame equal to `trigger`: send `reply`, close with `mode`, and
    /// (when `Some`) set the deadline to now + this.
    pub trigger: Option<Trigger>,
    pub deadline: Option<MonoTime>,
    /// On notify: send these bytes and set the deadline to now + this.
    pub on_notify: Option<(Vec<u8>, Duration)>,
    /// On notify: ask to close.
    pub notify_close: Option<CloseMode>,
    /// No deadline at all (the reactor's default applies).
    pub no_deadline: bool,
    /// Panic (on the reactor thread) on a frame equal to this.
    pub panic_on: Option<Vec<u8>>,
}

/// The message of a [`Script::panic_on`] panic.
pub const SCRIPTED_PANIC: &str = "scripted handler panic";

impl Script {
    pub fn new(log: &Log) -> Self {
        Self {
            log: Arc::clone(log),
            initial_deadline: Duration::from_secs(10),
            on_deadline: OnDeadline::Close(CloseMode::Now),
            echo: false,
            greeting: Vec::new(),
            trigger: None,
            deadline: None,
            on_notify: None,
            notify_close: None,
            no_deadline: false,
            panic_on: None,
        }
    }

    fn push(&self, e: Event) {
        self.log.lock().unwrap().push((Instant::now(), e));
    }
}

fn ns(d: Duration) -> i64 {
    d.as_nanos() as i64
}

impl ConnectionHandler for Script {
    fn frame(&mut self, buf: &[u8], _max_len: usize) -> Framed {
        if buf.first() != Some(&b'F') {
            let skip = buf.iter().position(|b| *b == b'F').unwrap_or(buf.len());
            return Framed::Garbled { skip };
        }
        match buf.iter().position(|b| *b == b'\n') {
            Some(i) => Framed::Complete(i + 1),
            None => Framed::Incomplete,
        }
    }

    fn on_open(&mut self, ctx: &mut Ctx<'_>, now: Now) {
        self.deadline = (!self.no_deadline).then(|| now.mono.add_nanos(ns(self.initial_deadline)));
        ctx.outbound().extend_from_slice(&self.greeting);
        self.push(Event::Open(ctx.id()));
    }

    fn on_frame(&mut self, frame: &[u8], ctx: &mut Ctx<'_>, now: Now) {
        self.push(Event::Frame(frame.to_vec()));
        if self.panic_on.as_deref() == Some(frame) {
            panic!("{SCRIPTED_PANIC}");
        }
        if self.echo {
            ctx.outbound().extend_from_slice(frame);
        }
        if let Some((trigger, reply, close, deadline)) = &self.trigger {
            if frame == &trigger[..] {
                ctx.outbound().extend_from_slice(reply);
                if let Some(mode) = close {
                    ctx.close(*mode);
                }
                if let Some(d) = deadline {
                    self.deadline = Some(now.mono.add_nanos(ns(*d)));
                }
            }
        }
    }

    fn on_garbled(&mut self, skipped: &[u8], _ctx: &mut Ctx<'_>, _now: Now) {
        self.push(Event::Garbled(skipped.to_vec()));
    }

    fn on_deadline(&mut self, ctx: &mut Ctx<'_>, now: Now) {
        self.push(Event::Deadline);
        match self.on_deadline {
            OnDeadline::Close(mode) => {
                ctx.close(mode);
                self.deadline = Some(now.mono.add_nanos(ns(Duration::from_millis(200))));
            }
            OnDeadline::Extend(d, bytes) => {
                self.deadline = Some(now.mono.add_nanos(ns(d)));
                let out = ctx.outbound();
                out.resize(out.len() + bytes, b'x');
            }
        }
    }

    fn on_notify(&mut self, ctx: &mut Ctx<'_>, now: Now) {
        if let Some((bytes, d)) = &self.on_notify {
            ctx.outbound().extend_from_slice(bytes);
            self.deadline = Some(now.mono.add_nanos(ns(*d)));
        }
        if let Some(mode) = self.notify_close {
            self.push(Event::Notified);
            ctx.close(mode);
        }
    }

    fn deadline(&self) -> Option<MonoTime> {
        self.deadline
    }

    fn on_closed(&mut self, reason: &CloseReason, _now: Now) {
        self.push(Event::Closed(reason.clone()));
    }
}

pub fn config(mode: Mode) -> ReactorConfig {
    ReactorConfig {
        mode,
        max_connections: 8,
        recv_buffer_bytes: 4096,
        ..ReactorConfig::default()
    }
}

/// A reactor with one listener on loopback whose factory builds `make()`.
pub fn server(
    cfg: ReactorConfig,
    make: impl FnMut() -> Script + Send + 'static,
) -> (ReactorHandle<Script>, SocketAddr) {
    let r = reactor::spawn::<Script>(cfg).unwrap();
    let mut make = make;
    let addr = r
        .add_listener(
            "127.0.0.1:0".parse().unwrap(),
            Box::new(move |_info| Some(make())),
        )
        .unwrap();
    (r, addr)
}

/// A reactor whose every connection runs a [`Script`] logging to `log`,
/// configured by `setup`.
pub fn scripted(
    cfg: ReactorConfig,
    log: &Log,
    setup: impl Fn(&mut Script) + Send + 'static,
) -> (ReactorHandle<Script>, SocketAddr) {
    let log = log.clone();
    server(cfg, move || {
        let mut s = Script::new(&log);
        setup(&mut s);
        s
    })
}

/// `what` happened no earlier than `min_ms` and before `below_ms`.
pub fn assert_between(took: Duration, min_ms: u64, below_ms: u64, what: &str) {
    assert!(
        took >= Duration::from_millis(min_ms),
        "{what} early: {took:?}"
    );
    assert!(
        took < Duration::from_millis(below_ms),
        "{what} late: {took:?}"
    );
}

/// Every Recv was linked to a timeout and no invariant broke.
pub fn assert_recvs_linked(st: &StatsSnapshot) {
    assert_eq!(st.recvs_submitted, st.recvs_linked);
    assert_eq!(st.invariant_violations, 0);
}

/// The connection to `peer` holds one fd and no stray socket until the peer
/// goes, then nothing is left; stops the reactor.
pub fn assert_closes_clean(r: ReactorHandle<Script>, peer: TcpStream, port: u16, base_fds: usize) {
    assert_clean(port, base_fds + 1);
    drop(peer);
    assert_clean(port, base_fds);
    shutdown(r);
}

/// Stops the reactor and waits for it.
pub fn shutdown(r: ReactorHandle<Script>) {
    r.stop().unwrap();
    r.join().unwrap();
}
