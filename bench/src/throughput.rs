//! `throughput`: one session, one direction. A sender thread (a ringfix
//! `Session` over a `FileStore`: encode, journal, sequence numbers; written
//! to a blocking socket in batches) streams NewOrderSingle-sized messages
//! to a ringfix acceptor run by the runtime, which counts them as received
//! (framing, parsing, dictionary validation, session checks, delivery).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ringfix_codec::{frame, Frame, Parser, DEFAULT_MAX_MESSAGE_SIZE};
use ringfix_engine::config::{EngineConfig, SessionSettings as EngineSettings};
use ringfix_engine::runtime::Runtime;
use ringfix_engine::session::{
    AppVerdict, Application, Incoming, Role, Sender, Session, SessionSettings,
};
use ringfix_engine::store::{FileStore, FileStoreOptions, FsyncPolicy, MessageStore, StoreFiles};
use ringfix_engine::time::Now;
use serde_json::json;

use crate::latency::floor::Mode;

/// Options of `ringfix-bench throughput`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Seconds measured (after one second of warm-up).
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// StoreFsync of both stores: never, always or a period such as 5ms.
    #[arg(long, default_value = "never")]
    pub fsync: String,
    /// Reactor mode of the receiver (pinned to core 0; the sender on core 1).
    #[arg(long, value_enum, default_value = "spin")]
    pub mode: Mode,
    /// One JSON object.
    #[arg(long)]
    pub json: bool,
}

/// Messages per write on the sender.
const BATCH: usize = 128;
/// Journal size at which the sender starts a new one.
const ROLL_AT: u64 = 256 << 20;

/// Accepts everything, answers nothing.
struct Sink;

impl Application for Sink {
    fn on_app(
        &mut self,
        _s: &SessionSettings,
        _m: &Incoming<'_>,
        _o: &mut Sender<'_>,
    ) -> AppVerdict {
        AppVerdict::Accept
    }
}

/// Nothing to deliver on the sender side (it never reads after the logon).
struct Quiet;

impl Application for Quiet {
    fn on_app(
        &mut self,
        _s: &SessionSettings,
        _m: &Incoming<'_>,
        _o: &mut Sender<'_>,
    ) -> AppVerdict {
        AppVerdict::Accept
    }
}

fn now() -> Now {
    Now::read()
}

/// Connects, logs on, then streams until `stop`; returns the message size.
fn sender(
    port: u16,
    dir: &std::path::Path,
    fsync: FsyncPolicy,
    stop: &AtomicBool,
) -> Result<usize, String> {
    core_affinity::set_for_current(core_affinity::CoreId { id: 1 });
    let options = FileStoreOptions {
        fsync,
        ..FileStoreOptions::default()
    };
    let t = now();
    let store = FileStore::open(StoreFiles::with_prefix(dir, "SENDER"), options, t.wall)
        .map_err(|e| format!("sender store: {e}"))?;
    let cfg = SessionSettings::new(Role::Initiator, "FIX.4.4", "BENCH", "EXEC");
    let mut s = Session::new(cfg, store, None);
    let mut app = Quiet;
    let mut sock = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
    sock.set_nodelay(true).map_err(|e| e.to_string())?;
    let mut out = Vec::with_capacity(BATCH * 512);
    s.connected(t, &mut out, &mut app);
    sock.write_all(&out).map_err(|e| e.to_string())?;
    out.clear();
    // Read until the session is logged on.
    let mut inbuf = vec![0u8; 1 << 16];
    let mut have = 0;
    let mut parser = Parser::new();
    while !s.is_logged_on() {
        let n = sock.read(&mut inbuf[have..]).map_err(|e| e.to_string())?;
        if n == 0 {
            return Err("the acceptor closed during logon".into());
        }
        have += n;
        while let Frame::Complete(len) = frame(&inbuf[..have], DEFAULT_MAX_MESSAGE_SIZE) {
            if let Ok(view) = parser.parse(&inbuf[..len]) {
                s.on_message(&Incoming::from_view(&view), now(), &mut out, &mut app);
            }
            inbuf.copy_within(len..have, 0);
            have -= len;
        }
        sock.write_all(&out).map_err(|e| e.to_string())?;
        out.clear();
    }
    let mut id = 0u64;
    let mut size = 0;
    let mut batches = 0u64;
    while !stop.load(Relaxed) {
        let t = now();
        for _ in 0..BATCH {
            id += 1;
            let sent = s.send(
                b"D",
                &[],
                |w| {
                    w.field_u64(11, id)
                        .field(21, b"1")
                        .field(38, b"100")
                        .field(40, b"2")
                        .field(44, b"100.25")
                        .field(54, b"1")
                        .field(55, b"RFIX")
                        .field_time(60, t.wall.as_nanos(), 3);
                },
                t,
                &mut out,
            );
            sent.map_err(|e| format!("send: {e:?}"))?;
        }
        size = out.len() / BATCH;
        sock.write_all(&out).map_err(|e| e.to_string())?;
        out.clear();
        batches += 1;
        // Store upkeep between batches, as the runtime runs it between events.
        if batches % 64 == 0 || s.store().sync_deadline().is_some_and(|d| d <= t.mono) {
            s.store_mut()
                .sync(t.mono)
                .map_err(|e| format!("sync: {e}"))?;
        }
        // A fresh journal past 256 MiB (the disk is not what is measured).
        if s.store().journal_used() > ROLL_AT {
            s.store_mut()
                .reset(t.wall)
                .map_err(|e| format!("reset: {e}"))?;
        }
    }
    Ok(size)
}

/// Runs the benchmark and prints the result.
pub fn run(args: &Args) -> Result<(), String> {
    let fsync: FsyncPolicy = args.fsync.parse().map_err(|e| format!("--fsync: {e}"))?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let mode = match args.mode {
        Mode::Spin => "spin",
        Mode::Block => "block",
    };
    let cfg = format!(
        "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nFileStorePath={}/acceptor\n\
         StoreFsync={}\nReactorMode={mode}\nReactorCore=0\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=BENCH\n\
         SocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n",
        dir.path().display(),
        args.fsync
    );
    let cfg = EngineConfig::parse(&cfg, "throughput-acceptor").map_err(|e| e.to_string())?;
    let factory = Box::new(|_s: &EngineSettings| -> Box<dyn Application + Send> { Box::new(Sink) });
    let mut server = Runtime::start(&cfg, factory).map_err(|e| e.to_string())?;
    let port = server
        .listen_addrs()
        .first()
        .map(|a| a.port())
        .ok_or("the acceptor did not listen")?;
    let stop = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&stop);
    let path = dir.path().join("sender");
    let thread = std::thread::spawn(move || sender(port, &path, fsync, &flag));
    let received = || server.sessions().first().map_or(0, |s| s.messages_in);
    std::thread::sleep(Duration::from_secs(1));
    let (c0, t0) = (received(), Instant::now());
    std::thread::sleep(Duration::from_secs(args.seconds.max(1)));
    let (c1, t1) = (received(), Instant::now());
    stop.store(true, Relaxed);
    let size = thread
        .join()
        .map_err(|_| "sender thread panicked")?
        .map_err(|e| format!("sender: {e}"))?;
    server.stopper().stop();
    server.wait();
    let secs = (t1 - t0).as_secs_f64();
    let rate = c1.saturating_sub(c0) as f64 / secs;
    if args.json {
        let v = json!({
            "msgs_per_s": rate.round(),
            "mb_per_s": (rate * size as f64 / 1e6 * 10.0).round() / 10.0,
            "bytes": size,
            "seconds": (secs * 100.0).round() / 100.0,
            "fsync": args.fsync,
            "mode": mode,
        });
        println!("{v}");
    } else {
        println!(
            "throughput, one session, {size}-byte NewOrderSingles, StoreFsync={}, receiver {mode}: {:.0} msgs/s ({:.1} MB/s) over {secs:.1} s",
            args.fsync,
            rate,
            rate * size as f64 / 1e6
        );
    }
    Ok(())
}
