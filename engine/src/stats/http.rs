//! The `MetricsListen` server: `GET /metrics` (the Prometheus text format
//! of the engine's stats page) and `GET /health` (see [`health`]).
//!
//! One side thread, never a reactor: it only reads the stats page. It
//! serves every connection from one non-blocking `poll(2)` loop, so a
//! slow or silent client holds nothing but its own connection: each
//! request is answered as soon as its bytes arrive, whatever others do.
//! A connection must deliver its request within [`READ_DEADLINE`] and take
//! its answer within [`WRITE_DEADLINE`]; at most [`MAX_CONNECTIONS`] are
//! held, and a new one beyond that closes the oldest still unanswered.
//!
//! [`health`]: super::health

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream, ToSocketAddrs};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ringfix_codec::UtcTimestamp;

use super::health::{self, HealthSpec};
use super::prometheus;
use super::reader::StatsReader;
use crate::config::HostPort;

/// How long a client may take to send its request.
pub const READ_DEADLINE: Duration = Duration::from_secs(2);
/// How long a client may take to read its answer.
pub const WRITE_DEADLINE: Duration = Duration::from_secs(10);
/// Connections held at once.
pub const MAX_CONNECTIONS: usize = 64;
/// Longest request head read.
const MAX_REQUEST: usize = 8192;
/// Longest poll: how late a stop is noticed at worst.
const TICK: Duration = Duration::from_millis(100);

/// A bound, not yet serving, metrics listener: binding first lets a
/// `MetricsListen` that cannot be bound fail the start before any session
/// runs.
#[derive(Debug)]
pub struct MetricsListener {
    listener: TcpListener,
    addr: SocketAddr,
}

impl MetricsListener {
    /// Binds `hp` (port 0: any free port).
    pub fn bind(hp: &HostPort) -> io::Result<Self> {
        let addr = (hp.host.as_str(), hp.port)
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "address does not resolve"))?;
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        Ok(Self { listener, addr })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Serves the stats page at `page` (this engine's) on a new thread;
    /// `specs` are its sessions' roles and schedules in slot order.
    pub fn serve(self, page: &Path, specs: Vec<HealthSpec>) -> io::Result<MetricsServer> {
        let reader = StatsReader::open(page).map_err(io::Error::other)?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let addr = self.addr;
        let thread = std::thread::Builder::new()
            .name("ringfix-metrics".into())
            .spawn(move || {
                let mut server = Server {
                    listener: self.listener,
                    reader,
                    specs,
                    conns: Vec::new(),
                };
                server.run(&flag);
            })?;
        Ok(MetricsServer {
            addr,
            stop,
            thread: Some(thread),
        })
    }
}

/// The running server; dropping it stops it.
#[derive(Debug)]
pub struct MetricsServer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// Where it listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops serving and waits for the thread.
    pub fn stop(&mut self) {
        self.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            // Wakes the poll at once instead of at its next tick.
            let mut wake = self.addr;
            if wake.ip().is_unspecified() {
                wake.set_ip(if wake.is_ipv4() {
                    std::net::Ipv4Addr::LOCALHOST.into()
                } else {
                    std::net::Ipv6Addr::LOCALHOST.into()
                });
            }
            let _ = TcpStream::connect_timeout(&wake, TICK);
            let _ = t.join();
        }
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.stop();
    }
}

struct Conn {
    stream: TcpStream,
    /// The request head so far, then nothing.
    request: Vec<u8>,
    /// The answer, once the request is in.
    answer: Option<Vec<u8>>,
    written: usize,
    deadline: Instant,
    done: bool,
}

struct Server {
    listener: TcpListener,
    reader: StatsReader,
    specs: Vec<HealthSpec>,
    /// Oldest first.
    conns: Vec<Conn>,
}

impl Server {
    fn run(&mut self, stop: &AtomicBool) {
        let mut fds: Vec<libc::pollfd> = Vec::with_capacity(MAX_CONNECTIONS + 1);
        while !stop.load(Ordering::Acquire) {
            let now = Instant::now();
            let wait = self
                .conns
                .iter()
                .map(|c| c.deadline.saturating_duration_since(now))
                .min()
                .unwrap_or(TICK)
                .min(TICK);
            fds.clear();
            fds.push(pollfd(&self.listener, libc::POLLIN));
            for c in &self.conns {
                let events = if c.answer.is_some() {
                    libc::POLLOUT
                } else {
                    libc::POLLIN
                };
                fds.push(pollfd(&c.stream, events));
            }
            if let Err(e) = poll(&mut fds, wait) {
                tracing::error!(error = %e, "metrics server: poll failed; stopping");
                return;
            }
            // fds[1 + i] is conns[i]: serve before accepting moves them.
            for (i, fd) in fds.iter().skip(1).enumerate() {
                if fd.revents != 0 {
                    self.serve(i);
                }
            }
            if fds.first().is_some_and(|f| f.revents != 0) {
                self.accept();
            }
            let now = Instant::now();
            self.conns.retain(|c| !c.done && c.deadline > now);
        }
    }

    fn accept(&mut self) {
        loop {
            match self.listener.accept() {
                Ok((stream, _)) => {
                    if stream.set_nonblocking(true).is_err() {
                        continue;
                    }
                    if self.conns.len() >= MAX_CONNECTIONS {
                        // The oldest unanswered client gives way.
                        let oldest = self.conns.iter().position(|c| c.answer.is_none());
                        self.conns.remove(oldest.unwrap_or(0));
                    }
                    self.conns.push(Conn {
                        stream,
                        request: Vec::new(),
                        answer: None,
                        written: 0,
                        deadline: Instant::now() + READ_DEADLINE,
                        done: false,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    // EMFILE and the like: try again at the next turn.
                    tracing::warn!(error = %e, "metrics server: accept failed");
                    return;
                }
            }
        }
    }

    /// Reads or writes what connection `i` allows without blocking.
    fn serve(&mut self, i: usize) {
        let Some(c) = self.conns.get_mut(i) else {
            return;
        };
        if c.answer.is_none() {
            let mut chunk = [0u8; 2048];
            loop {
                match c.stream.read(&mut chunk) {
                    Ok(0) => {
                        c.done = true;
                        return;
                    }
                    Ok(n) => {
                        c.request
                            .extend_from_slice(chunk.get(..n).unwrap_or_default());
                        if head_end(&c.request).is_some() || c.request.len() > MAX_REQUEST {
                            break;
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => {
                        c.done = true;
                        return;
                    }
                }
            }
            let request = std::mem::take(&mut c.request);
            c.answer = Some(respond(&request, &self.reader, &self.specs));
            c.deadline = Instant::now() + WRITE_DEADLINE;
        }
        let Some(answer) = c.answer.as_ref() else {
            return;
        };
        while c.written < answer.len() {
            match c.stream.write(answer.get(c.written..).unwrap_or_default()) {
                Ok(0) => break,
                Ok(n) => c.written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => break,
            }
        }
        let _ = c.stream.shutdown(std::net::Shutdown::Write);
        c.done = true;
    }
}

/// Where the request head ends (`\r\n\r\n` or a bare `\n\n`).
fn head_end(buf: &[u8]) -> Option<usize> {
    let crlf = buf.windows(4).position(|w| w == b"\r\n\r\n");
    let lf = buf.windows(2).position(|w| w == b"\n\n");
    crlf.into_iter().chain(lf).min()
}

/// The whole HTTP answer to `request` (a head, possibly cut short).
fn respond(request: &[u8], reader: &StatsReader, specs: &[HealthSpec]) -> Vec<u8> {
    if head_end(request).is_none() {
        return answer(431, "text/plain", b"request head too large\n", true);
    }
    let line = request
        .split(|&b| b == b'\n')
        .next()
        .map(|l| String::from_utf8_lossy(l).trim_end().to_owned())
        .unwrap_or_default();
    let mut parts = line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return answer(400, "text/plain", b"bad request line\n", true);
    };
    if !version.starts_with("HTTP/1.") {
        return answer(400, "text/plain", b"HTTP/1.x only\n", true);
    }
    let with_body = match method {
        "GET" => true,
        "HEAD" => false,
        _ => return answer(405, "text/plain", b"GET or HEAD\n", true),
    };
    let path = target.split('?').next().unwrap_or_default();
    let snap = match path {
        "/metrics" | "/health" => match reader.snapshot() {
            Ok(s) => s,
            Err(e) => {
                let body = format!("statistics unreadable: {e}\n");
                return answer(500, "text/plain", body.as_bytes(), with_body);
            }
        },
        _ => return answer(404, "text/plain", b"try /metrics or /health\n", with_body),
    };
    if path == "/metrics" {
        let mut text = String::new();
        prometheus::encode(std::slice::from_ref(&snap), &mut text);
        answer(200, prometheus::CONTENT_TYPE, text.as_bytes(), with_body)
    } else {
        let h = health::check(&snap, specs, UtcTimestamp::now());
        answer(h.status, "application/json", h.body.as_bytes(), with_body)
    }
}

fn answer(status: u16, content_type: &str, body: &[u8], with_body: bool) -> Vec<u8> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Internal Server Error",
    };
    let allow = if status == 405 {
        "Allow: GET, HEAD\r\n"
    } else {
        ""
    };
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\n\
         Content-Length: {}\r\n{allow}Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if with_body {
        out.extend_from_slice(body);
    }
    out
}

fn pollfd(fd: &impl AsRawFd, events: libc::c_short) -> libc::pollfd {
    libc::pollfd {
        fd: fd.as_raw_fd(),
        events,
        revents: 0,
    }
}

/// `poll(2)`; an interrupted call counts as a timeout.
fn poll(fds: &mut [libc::pollfd], wait: Duration) -> io::Result<()> {
    let ms = i32::try_from(wait.as_millis()).unwrap_or(i32::MAX).max(1);
    // SAFETY: `fds` is an exclusively borrowed, initialised slice of
    // pollfd that outlives the call; the length is its own.
    let rc = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, ms) };
    if rc < 0 {
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_heads_end_with_a_blank_line() {
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"), Some(23));
        assert_eq!(head_end(b"GET / HTTP/1.0\n\n"), Some(14));
        assert_eq!(head_end(b"GET / HTTP/1.1\r\nHost: x\r\n"), None);
    }

    #[test]
    fn answers_name_status_length_and_type() {
        let a = String::from_utf8(answer(405, "text/plain", b"no\n", true)).unwrap();
        assert!(a.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"), "{a}");
        assert!(a.contains("Content-Length: 3\r\n") && a.contains("Allow: GET, HEAD\r\n"));
        assert!(a.ends_with("\r\n\r\nno\n"));
        let head = String::from_utf8(answer(200, "x", b"body", false)).unwrap();
        assert!(head.contains("Content-Length: 4\r\n") && head.ends_with("\r\n\r\n"));
    }
}
