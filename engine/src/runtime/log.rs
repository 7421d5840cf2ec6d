//! QuickFIX-compatible FileLog and ScreenLog, written off the latency path.
//!
//! The reactor appends records to a preallocated buffer under a mutex held
//! only for a copy; a logging thread swaps the buffer out every few
//! milliseconds and writes `<prefix>.messages.current.log` and
//! `<prefix>.event.current.log` lines (`YYYYMMDD-HH:MM:SS.sss : text`, as
//! QuickFIX C++; QuickFIX/J's `FileIncludeMilliseconds`,
//! `FileIncludeTimeStampForMessages` and `FileLogHeartbeats` change them)
//! and, for a session with a screen log, standard-output lines as
//! QuickFIX/J's ScreenLog: `<YYYYMMDD-HH:MM:SS, FIX.4.4:A->B, incoming>
//! (8=FIX.4.4|9=...)`, SOH shown as `|` as QuickFIX C++ does. When the
//! buffer is full the record is dropped and counted: the reactor never
//! waits for the disk or the terminal.
//!
//! With `FileLogBackupPath` set, the logs a previous run left and those of
//! a session period when the session resets move there as
//! `<prefix>.messages.backup.<n>.log` and `<prefix>.event.backup.<n>.log`
//! (QuickFIX C++'s `FileLog::backup`, `n` the first free number).
//!
//! The session's `RedactFieldsInLogs` tags are masked (`***`) by the
//! writer thread, in message lines (the message stays valid) and in event
//! lines alike, before anything reaches a file or the screen.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use ringfix_codec::redact::Redaction;
use ringfix_codec::{TimePrecision, UtcTimestamp};

use crate::config::{LogSettings, ScreenLogSettings, SessionSettings};
use crate::store::FileMode;

/// Bytes buffered between two writer passes before records are dropped.
const BUFFER_BYTES: usize = 4 << 20;
/// Record header: session (4), kind (1), time (8), length (4).
const HEADER: usize = 17;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Incoming = 0,
    Event = 1,
    Outgoing = 2,
    Backup = 3,
}

impl Kind {
    fn from_u8(b: u8) -> Option<Self> {
        [Self::Incoming, Self::Event, Self::Outgoing, Self::Backup]
            .into_iter()
            .find(|k| *k as u8 == b)
    }
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
    /// Logs a FIX message received.
    pub fn incoming(&self, now: UtcTimestamp, bytes: &[u8]) {
        self.record(Kind::Incoming, now, bytes);
    }

    /// Logs a FIX message sent.
    pub fn outgoing(&self, now: UtcTimestamp, bytes: &[u8]) {
        self.record(Kind::Outgoing, now, bytes);
    }

    /// Logs an event line.
    pub fn event(&self, now: UtcTimestamp, text: &str) {
        self.record(Kind::Event, now, text.as_bytes());
    }

    /// With `FileLogBackupPath`, moves the current files there and starts
    /// new ones: the session begins a new period. Records before it go to
    /// the old files. Without it, the logs go on.
    pub fn backup(&self, now: UtcTimestamp) {
        self.record(Kind::Backup, now, &[]);
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

/// One session's file log: where, and its open files once started.
struct FileTarget {
    dir: PathBuf,
    backup_dir: Option<PathBuf>,
    prefix: String,
    /// Permissions of the files and directories made (`FilePermissions`).
    mode: FileMode,
    files: Option<Files>,
}

struct Files {
    messages: BufWriter<File>,
    events: BufWriter<File>,
}

/// What the writer does with one session's records.
struct Target {
    file: Option<FileTarget>,
    screen: Option<ScreenLogSettings>,
    settings: LogSettings,
    /// Session id as QuickFIX shows it (screen log).
    name: String,
    /// `RedactFieldsInLogs`: values written as `***`.
    redact: Redaction,
}

type Screen = Box<dyn Write + Send>;

/// The logging thread and the logs of every session it serves.
pub struct FileLog {
    shared: Arc<Shared>,
    targets: Vec<Target>,
    screen: Option<Screen>,
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
            targets: Vec::new(),
            screen: None,
            thread: None,
        }
    }

    /// Writes screen logs to `out` instead of standard output.
    pub fn with_screen(mut self, out: Box<dyn Write + Send>) -> Self {
        self.screen = Some(out);
        self
    }

    fn add(&mut self, target: Target) -> LogSink {
        let session = u32::try_from(self.targets.len()).unwrap_or(u32::MAX);
        self.targets.push(target);
        LogSink {
            shared: Arc::clone(&self.shared),
            session,
        }
    }

    /// Registers a session logging under `dir` with file prefix `prefix`,
    /// default settings and no screen log; its files (and `dir`, if made)
    /// are created with `mode`.
    pub fn sink(&mut self, dir: &Path, prefix: &str, mode: FileMode) -> LogSink {
        self.add(Target {
            file: Some(FileTarget {
                dir: dir.to_owned(),
                backup_dir: None,
                prefix: prefix.to_owned(),
                mode,
                files: None,
            }),
            screen: None,
            settings: LogSettings::default(),
            name: prefix.to_owned(),
            redact: Redaction::default(),
        })
    }

    /// Registers a configured session: a file log under `FileLogPath`
    /// and a screen log as its settings say; `None` when it has neither.
    pub fn session(&mut self, s: &SessionSettings) -> Option<LogSink> {
        let file = s.store.file_log_path.as_ref().map(|dir| FileTarget {
            dir: dir.clone(),
            backup_dir: s.log.file_log_backup_path.clone(),
            prefix: super::store_id(&s.id).file_prefix(),
            mode: s.store.file_permissions,
            files: None,
        });
        if file.is_none() && s.log.screen.is_none() {
            return None;
        }
        Some(self.add(Target {
            file,
            screen: s.log.screen,
            settings: s.log.clone(),
            name: s.id.to_string(),
            redact: s.security.redact.clone(),
        }))
    }

    /// Whether any session logs.
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Records dropped because the buffer was full.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }

    /// Opens the files (appending; with a backup directory, what a previous
    /// run left is moved there first) and starts the writer thread.
    pub fn start(&mut self) -> std::io::Result<()> {
        if self.targets.is_empty() {
            return Ok(());
        }
        let mut targets = std::mem::take(&mut self.targets);
        for t in targets.iter_mut().filter_map(|t| t.file.as_mut()) {
            t.mode.create_dir_all(&t.dir)?;
            if let Some(b) = &t.backup_dir {
                t.mode.create_dir_all(b)?;
                t.backup()?;
            }
            t.open()?;
        }
        let shared = Arc::clone(&self.shared);
        let screen = self
            .screen
            .take()
            .unwrap_or_else(|| Box::new(std::io::stdout()));
        let thread = std::thread::Builder::new()
            .name("ringfix-log".into())
            .spawn(move || writer(&shared, targets, screen))?;
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

impl FileTarget {
    fn path(&self, dir: &Path, name: &str) -> PathBuf {
        dir.join(format!("{}.{name}", self.prefix))
    }

    /// Opens the current files, appending.
    fn open(&mut self) -> std::io::Result<()> {
        let open = |name: &str| -> std::io::Result<BufWriter<File>> {
            let mut options = self.mode.options();
            options.create(true).append(true);
            let f = self.mode.open(&options, &self.path(&self.dir, name))?;
            Ok(BufWriter::new(f))
        };
        self.files = Some(Files {
            messages: open("messages.current.log")?,
            events: open("event.current.log")?,
        });
        Ok(())
    }

    /// QuickFIX C++'s `FileLog::backup`: the current files become
    /// `<prefix>.{messages,event}.backup.<n>.log` under the backup
    /// directory, `n` the first number neither name uses. Empty logs, or
    /// no backup directory: nothing moves.
    fn backup(&mut self) -> std::io::Result<()> {
        if self.backup_dir.is_none() {
            return Ok(());
        }
        if let Some(mut f) = self.files.take() {
            f.messages.flush()?;
            f.events.flush()?;
        }
        let used =
            |name: &str| std::fs::metadata(self.path(&self.dir, name)).is_ok_and(|m| m.len() > 0);
        if !used("messages.current.log") && !used("event.current.log") {
            return Ok(());
        }
        let Some(dir) = self.backup_dir.clone() else {
            return Ok(());
        };
        for n in 1u32.. {
            let messages = self.path(&dir, &format!("messages.backup.{n}.log"));
            let events = self.path(&dir, &format!("event.backup.{n}.log"));
            if messages.exists() || events.exists() {
                continue;
            }
            for (current, backup) in [
                ("messages.current.log", messages),
                ("event.current.log", events),
            ] {
                let current = self.path(&self.dir, current);
                if current.exists() {
                    std::fs::rename(current, backup)?;
                }
            }
            break;
        }
        Ok(())
    }
}

fn writer(shared: &Shared, mut targets: Vec<Target>, mut screen: Screen) {
    let mut spare: Vec<u8> = Vec::with_capacity(BUFFER_BYTES);
    let mut line = Vec::with_capacity(256);
    let mut masked = Vec::with_capacity(256);
    loop {
        let stopping = shared.stop.load(Ordering::Acquire);
        if let Ok(mut buf) = shared.buf.lock() {
            std::mem::swap(&mut *buf, &mut spare);
        }
        write_records(&spare, &mut targets, &mut *screen, &mut line, &mut masked);
        spare.clear();
        for f in targets
            .iter_mut()
            .filter_map(|t| t.file.as_mut()?.files.as_mut())
        {
            let _ = f.messages.flush();
            let _ = f.events.flush();
        }
        let _ = screen.flush();
        if stopping {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// `body` with the masked tags' values replaced (in `masked` when one
/// was): a message as a message, an event line as text.
fn redacted<'a>(
    redact: &Redaction,
    kind: Kind,
    body: &'a [u8],
    masked: &'a mut Vec<u8>,
) -> &'a [u8] {
    masked.clear();
    match kind {
        Kind::Incoming | Kind::Outgoing => {
            if !redact.may_apply(body) || !redact.redact_into(body, masked) {
                return body;
            }
        }
        Kind::Event => match std::str::from_utf8(body).map(|t| redact.redact_text(t)) {
            Ok(std::borrow::Cow::Owned(t)) => masked.extend_from_slice(t.as_bytes()),
            _ => return body,
        },
        Kind::Backup => return body,
    }
    masked
}

/// Whether a message is a Heartbeat (MsgType is the third field).
fn is_heartbeat(msg: &[u8]) -> bool {
    memchr::memmem::find(msg, b"\x0135=0\x01").is_some()
}

fn stamp(line: &mut Vec<u8>, now: UtcTimestamp, millis: bool) {
    let precision = if millis {
        TimePrecision::Millis
    } else {
        TimePrecision::Seconds
    };
    now.push(precision, line);
}

fn write_records(
    mut rest: &[u8],
    targets: &mut [Target],
    screen: &mut dyn Write,
    line: &mut Vec<u8>,
    masked: &mut Vec<u8>,
) {
    while rest.len() >= HEADER {
        let (head, tail) = rest.split_at(HEADER);
        let session = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let kind = Kind::from_u8(head[4]);
        let mut t = [0u8; 8];
        t.copy_from_slice(&head[5..13]);
        let now = UtcTimestamp::from_nanos(i64::from_le_bytes(t));
        let len = u32::from_le_bytes([head[13], head[14], head[15], head[16]]) as usize;
        let Some(body) = tail.get(..len) else {
            return;
        };
        rest = &tail[len..];
        if let (Some(target), Some(kind)) = (targets.get_mut(session), kind) {
            let body = redacted(&target.redact, kind, body, masked);
            write_file(target, kind, now, body, line);
            write_screen(target, kind, now, body, screen, line);
        }
    }
}

fn write_file(target: &mut Target, kind: Kind, now: UtcTimestamp, body: &[u8], line: &mut Vec<u8>) {
    let s = &target.settings;
    let Some(file) = &mut target.file else {
        return;
    };
    if kind == Kind::Backup {
        if file.backup_dir.is_none() {
            return;
        }
        if let Err(e) = file.backup().and_then(|()| file.open()) {
            tracing::warn!(prefix = %file.prefix, error = %e, "log backup failed");
        }
        return;
    }
    let Some(f) = &mut file.files else {
        return;
    };
    let message = kind != Kind::Event;
    if message && !s.file_heartbeats && is_heartbeat(body) {
        return;
    }
    line.clear();
    if !message || s.file_message_timestamps {
        stamp(line, now, s.file_millis);
        line.extend_from_slice(b" : ");
    }
    line.extend_from_slice(body);
    line.push(b'\n');
    let w = if message {
        &mut f.messages
    } else {
        &mut f.events
    };
    let _ = w.write_all(line);
}

fn write_screen(
    target: &Target,
    kind: Kind,
    now: UtcTimestamp,
    body: &[u8],
    screen: &mut dyn Write,
    line: &mut Vec<u8>,
) {
    let Some(sc) = target.screen else {
        return;
    };
    let (shown, what) = match kind {
        Kind::Incoming => (sc.incoming, "incoming"),
        Kind::Outgoing => (sc.outgoing, "outgoing"),
        Kind::Event => (sc.events, "event"),
        Kind::Backup => return,
    };
    if !shown || (kind != Kind::Event && !sc.heartbeats && is_heartbeat(body)) {
        return;
    }
    line.clear();
    line.push(b'<');
    stamp(line, now, sc.millis);
    line.extend_from_slice(b", ");
    line.extend_from_slice(target.name.as_bytes());
    line.extend_from_slice(b", ");
    line.extend_from_slice(what.as_bytes());
    line.extend_from_slice(b"> (");
    line.extend(body.iter().map(|&b| if b == 0x01 { b'|' } else { b }));
    line.extend_from_slice(b")\n");
    let _ = screen.write_all(line);
}

mod trace_writer;
pub use trace_writer::{RedactingWriter, TraceRedaction};

#[cfg(test)]
mod tests;
