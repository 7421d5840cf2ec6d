//! QuickFIX-compatible FileLog, written off the latency path.
//!
//! The reactor appends records to a preallocated buffer under a mutex held
//! only for a copy; a logging thread swaps the buffer out every few
//! milliseconds and writes `<prefix>.messages.current.log` and
//! `<prefix>.event.current.log` lines (`YYYYMMDD-HH:MM:SS.sss : text`).
//! When the buffer is full the record is dropped and counted: the reactor
//! never waits for the disk.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use ringfix_codec::{TimePrecision, UtcTimestamp};

use crate::store::FileMode;

/// Bytes buffered between two writer passes before records are dropped.
const BUFFER_BYTES: usize = 4 << 20;
/// Record header: session (4), kind (1), time (8), length (4).
const HEADER: usize = 17;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Message = 0,
    Event = 1,
}

struct Shared {
    buf: Mutex<Vec<u8>>,
    dropped: AtomicU64,
    stop: AtomicBool,
}

/// Where one session's log records go (cheap to clone, used on the
/// reactor thread).
#[derive(Clone)]
pub struct LogSink {
    shared: Arc<Shared>,
    session: u32,
}

impl LogSink {
    /// Logs one FIX message (inbound or outbound).
    pub fn message(&self, now: UtcTimestamp, bytes: &[u8]) {
        self.record(Kind::Message, now, bytes);
    }

    /// Logs an event line.
    pub fn event(&self, now: UtcTimestamp, text: &str) {
        self.record(Kind::Event, now, text.as_bytes());
    }

    fn record(&self, kind: Kind, now: UtcTimestamp, bytes: &[u8]) {
        let Ok(len) = u32::try_from(bytes.len()) else {
            return;
        };
        let Ok(mut buf) = self.shared.buf.lock() else {
            return;
        };
        if buf.len() + HEADER + bytes.len() > BUFFER_BYTES {
            drop(buf);
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        buf.extend_from_slice(&self.session.to_le_bytes());
        buf.push(kind as u8);
        buf.extend_from_slice(&now.as_nanos().to_le_bytes());
        buf.extend_from_slice(&len.to_le_bytes());
        buf.extend_from_slice(bytes);
    }
}

struct Files {
    messages: BufWriter<File>,
    events: BufWriter<File>,
}

/// The logging thread and the files of every session it serves.
pub struct FileLog {
    shared: Arc<Shared>,
    paths: Vec<Option<(PathBuf, String, FileMode)>>,
    thread: Option<JoinHandle<()>>,
}

impl Default for FileLog {
    fn default() -> Self {
        Self::new()
    }
}

impl FileLog {
    /// A log with no session yet; [`start`](Self::start) runs the writer.
    pub fn new() -> Self {
        Self {
            shared: Arc::new(Shared {
                buf: Mutex::new(Vec::with_capacity(BUFFER_BYTES)),
                dropped: AtomicU64::new(0),
                stop: AtomicBool::new(false),
            }),
            paths: Vec::new(),
            thread: None,
        }
    }

    /// Registers a session logging under `dir` with file prefix `prefix`,
    /// its files (and `dir`, if made) created with `mode`.
    pub fn sink(&mut self, dir: &Path, prefix: &str, mode: FileMode) -> LogSink {
        let session = u32::try_from(self.paths.len()).unwrap_or(u32::MAX);
        self.paths
            .push(Some((dir.to_owned(), prefix.to_owned(), mode)));
        LogSink {
            shared: Arc::clone(&self.shared),
            session,
        }
    }

    /// Whether any session logs to files.
    pub fn is_empty(&self) -> bool {
        self.paths.is_empty()
    }

    /// Records dropped because the buffer was full.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Opens the files (appending) and starts the writer thread.
    pub fn start(&mut self) -> std::io::Result<()> {
        if self.paths.is_empty() {
            return Ok(());
        }
        let mut files = Vec::with_capacity(self.paths.len());
        for p in &self.paths {
            let Some((dir, prefix, mode)) = p else {
                files.push(None);
                continue;
            };
            mode.create_dir_all(dir)?;
            let open = |suffix: &str| -> std::io::Result<BufWriter<File>> {
                let mut options = mode.options();
                options.create(true).append(true);
                let f = mode.open(&options, &dir.join(format!("{prefix}.{suffix}")))?;
                Ok(BufWriter::new(f))
            };
            files.push(Some(Files {
                messages: open("messages.current.log")?,
                events: open("event.current.log")?,
            }));
        }
        let shared = Arc::clone(&self.shared);
        let thread = std::thread::Builder::new()
            .name("ringfix-log".into())
            .spawn(move || writer(&shared, files))?;
        self.thread = Some(thread);
        Ok(())
    }

    /// Writes what is buffered and stops the writer thread.
    pub fn stop(&mut self) {
        self.shared.stop.store(true, Ordering::Release);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for FileLog {
    fn drop(&mut self) {
        self.stop();
    }
}

fn writer(shared: &Shared, mut files: Vec<Option<Files>>) {
    let mut spare: Vec<u8> = Vec::with_capacity(BUFFER_BYTES);
    let mut line = Vec::with_capacity(256);
    loop {
        let stopping = shared.stop.load(Ordering::Acquire);
        if let Ok(mut buf) = shared.buf.lock() {
            std::mem::swap(&mut *buf, &mut spare);
        }
        write_records(&spare, &mut files, &mut line);
        spare.clear();
        for f in files.iter_mut().flatten() {
            let _ = f.messages.flush();
            let _ = f.events.flush();
        }
        if stopping {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn write_records(mut rest: &[u8], files: &mut [Option<Files>], line: &mut Vec<u8>) {
    while rest.len() >= HEADER {
        let (head, tail) = rest.split_at(HEADER);
        let session = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = head[4];
        let mut t = [0u8; 8];
        t.copy_from_slice(&head[5..13]);
        let now = UtcTimestamp::from_nanos(i64::from_le_bytes(t));
        let len = u32::from_le_bytes([head[13], head[14], head[15], head[16]]) as usize;
        let Some(body) = tail.get(..len) else {
            return;
        };
        rest = &tail[len..];
        line.clear();
        now.push(TimePrecision::Millis, line);
        line.extend_from_slice(b" : ");
        line.extend_from_slice(body);
        line.push(b'\n');
        if let Some(Some(f)) = files.get_mut(session) {
            let w = if kind == Kind::Message as u8 {
                &mut f.messages
            } else {
                &mut f.events
            };
            let _ = w.write_all(line);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_quickfix_lines() {
        let dir = tempfile::tempdir().unwrap();
        let mut log = FileLog::new();
        let sink = log.sink(dir.path(), "FIX.4.4-A-B", FileMode::PRIVATE);
        log.start().unwrap();
        let t = UtcTimestamp::from_nanos(1_700_000_000_123_000_000);
        sink.message(t, b"8=FIX.4.4\x019=5\x0135=0\x0110=000\x01");
        sink.event(t, "Logon");
        log.stop();
        let m =
            std::fs::read_to_string(dir.path().join("FIX.4.4-A-B.messages.current.log")).unwrap();
        assert_eq!(
            m,
            "20231114-22:13:20.123 : 8=FIX.4.4\x019=5\x0135=0\x0110=000\x01\n"
        );
        let e = std::fs::read_to_string(dir.path().join("FIX.4.4-A-B.event.current.log")).unwrap();
        assert_eq!(e, "20231114-22:13:20.123 : Logon\n");
    }
}
