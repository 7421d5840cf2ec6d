//! Helpers for the runtime and CLI end-to-end tests: raw FIX peers over
//! loopback TCP, bounded in time.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A FIX message from `|`-separated fields (no 9/10): BodyLength and
/// CheckSum added.
pub fn fix(fields: &str) -> Vec<u8> {
    let fields = fields.replace('|', "\x01");
    let (begin, body) = fields.split_once('\x01').expect("8=... first");
    let body = format!("{body}\x01");
    let mut out = format!("{begin}\x019={}\x01{body}", body.len()).into_bytes();
    let sum: u32 = out.iter().map(|&b| u32::from(b)).sum::<u32>() % 256;
    out.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
    out
}

/// Now as a FIX UTCTimestamp (seconds).
pub fn now_fix() -> String {
    ringfix_codec::UtcTimestamp::now().to_string()
}

/// A free loopback port (bound then released).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Connects, retrying while the listener comes up (at most `within`).
pub fn connect(port: u16, within: Duration) -> TcpStream {
    let start = Instant::now();
    loop {
        match TcpStream::connect(("127.0.0.1", port)) {
            Ok(s) => {
                s.set_nodelay(true).unwrap();
                return s;
            }
            Err(e) if start.elapsed() < within => {
                let _ = e;
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => panic!("connect to {port}: {e}"),
        }
    }
}

/// Reads one complete message (up to and including `10=xxx<SOH>`), or
/// `None` at EOF or after `timeout`.
pub struct Peer {
    pub stream: TcpStream,
    buf: Vec<u8>,
    pub eof: bool,
}

impl Peer {
    pub fn new(stream: TcpStream) -> Self {
        Self {
            stream,
            buf: Vec::new(),
            eof: false,
        }
    }

    pub fn send(&mut self, fields: &str) {
        self.stream.write_all(&fix(fields)).unwrap();
    }

    fn take_message(&mut self) -> Option<Vec<u8>> {
        let pos = self.buf.windows(4).position(|w| w == b"\x0110=")?;
        let end = pos + 8;
        if self.buf.len() < end {
            return None;
        }
        Some(self.buf.drain(..end).collect())
    }

    pub fn read(&mut self, timeout: Duration) -> Option<Vec<u8>> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(m) = self.take_message() {
                return Some(m);
            }
            if self.eof {
                return None;
            }
            let left = deadline.checked_duration_since(Instant::now())?;
            self.stream
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .unwrap();
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) => self.eof = true,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    return None
                }
                Err(_) => self.eof = true,
            }
        }
    }

    /// Reads messages until EOF (or `timeout`); returns them and whether
    /// EOF was seen.
    pub fn read_to_eof(&mut self, timeout: Duration) -> (Vec<Vec<u8>>, bool) {
        let deadline = Instant::now() + timeout;
        let mut msgs = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.read(left) {
                Some(m) => msgs.push(m),
                None => return (msgs, self.eof),
            }
            if left.is_zero() {
                return (msgs, self.eof);
            }
        }
    }
}

/// The value of `tag` in a raw message.
pub fn field(msg: &[u8], tag: u32) -> Option<String> {
    let prefix = format!("{tag}=");
    msg.split(|&b| b == 1)
        .find_map(|f| f.strip_prefix(prefix.as_bytes()))
        .map(|v| String::from_utf8_lossy(v).into_owned())
}

/// Writes `text` to `dir/name` (a config file, a PEM); returns the path.
pub fn write_file(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Waits for the child to exit (bounded); kills it on timeout.
pub fn wait_exit(child: &mut Child, within: Duration) -> Option<i32> {
    let start = Instant::now();
    while start.elapsed() < within {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

/// `ringfix acceptor --app exec --config <cfg>`, stderr discarded.
pub fn spawn_exec_acceptor(cfg: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_ringfix"))
        .args(["acceptor", "--app", "exec", "--config"])
        .arg(cfg)
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// Sends SIGTERM and waits (10 s at most) for the exit code.
pub fn terminate(child: &mut Child) -> Option<i32> {
    let _ = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    wait_exit(child, Duration::from_secs(10))
}

/// This process's TCP socket bound to `local` and, when given, connected
/// to `peer` (the engine's own sockets, in-process tests), as a raw fd.
pub fn own_socket(
    local: std::net::SocketAddr,
    peer: Option<std::net::SocketAddr>,
) -> Option<std::os::fd::RawFd> {
    use std::os::fd::FromRawFd;
    for e in std::fs::read_dir("/proc/self/fd").ok()?.flatten() {
        let Ok(fd) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let is_socket =
            std::fs::read_link(e.path()).is_ok_and(|l| l.to_string_lossy().starts_with("socket:"));
        if !is_socket {
            continue;
        }
        // SAFETY: borrowed for two getsockname/getpeername calls only;
        // ManuallyDrop never closes it.
        let s = std::mem::ManuallyDrop::new(unsafe { TcpStream::from_raw_fd(fd) });
        if s.local_addr().ok() == Some(local) && (peer.is_none() || s.peer_addr().ok() == peer) {
            return Some(fd);
        }
    }
    None
}

/// An integer socket option of `fd`.
pub fn sockopt(fd: std::os::fd::RawFd, level: i32, name: i32) -> i32 {
    let mut v: i32 = 0;
    let mut len = std::mem::size_of::<i32>() as libc::socklen_t;
    // SAFETY: `v` and `len` are valid for writes of an int and its length.
    let r = unsafe { libc::getsockopt(fd, level, name, (&mut v as *mut i32).cast(), &mut len) };
    assert_eq!(r, 0, "getsockopt: {}", std::io::Error::last_os_error());
    v
}

/// SO_LINGER of `fd`: (on, seconds).
pub fn sockopt_linger(fd: std::os::fd::RawFd) -> (i32, i32) {
    let mut v = libc::linger {
        l_onoff: 0,
        l_linger: 0,
    };
    let mut len = std::mem::size_of::<libc::linger>() as libc::socklen_t;
    // SAFETY: `v` and `len` are valid for writes of a linger and its length.
    let r = unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_LINGER,
            (&mut v as *mut libc::linger).cast(),
            &mut len,
        )
    };
    assert_eq!(r, 0, "getsockopt: {}", std::io::Error::last_os_error());
    (v.l_onoff, v.l_linger)
}
