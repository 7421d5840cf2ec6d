//! Row `{"case":"handle","op":"send"}`: what sending from another thread
//! costs the calling thread. `SessionSender::try_send` of a NewOrderSingle body
//! to a logged-on initiator session (runtime, block mode) whose acceptor
//! drops what it receives; thread CPU per accepted call, median of runs.
//! When the queue is full the caller sleeps (not counted) and retries.

use std::time::{Duration, Instant};

use ringfix_engine::config::{EngineConfig, SessionSettings as EngineSettings};
use ringfix_engine::runtime::{Runtime, SessionSender, Ticket, TrySendError};
use ringfix_engine::session::{AppVerdict, Application, Incoming, Sender, SessionSettings};

use crate::report::{thread_cpu_ns, Options, Row};

/// Accepts everything, answers nothing.
struct Discard;

impl Application for Discard {
    fn on_app(
        &mut self,
        _s: &SessionSettings,
        _m: &Incoming<'_>,
        _o: &mut Sender<'_>,
    ) -> AppVerdict {
        AppVerdict::Accept
    }
}

fn factory() -> ringfix_engine::runtime::AppFactory {
    Box::new(|_s: &EngineSettings| -> Box<dyn Application + Send> { Box::new(Discard) })
}

const FIELDS: &[(u32, &[u8])] = &[
    (11, b"ORD0000000001"),
    (21, b"1"),
    (38, b"100"),
    (40, b"2"),
    (44, b"100.25"),
    (54, b"1"),
    (55, b"RFIX"),
    (60, b"20261124-10:00:00.000"),
];

fn try_send(h: &mut SessionSender) -> Result<Ticket, TrySendError> {
    h.try_send(b"D", |w| {
        for &(tag, v) in FIELDS {
            w.field(tag, v);
        }
    })
}

/// One accepted send; sleeps while the queue is full.
fn send(h: &mut SessionSender) -> Result<(), String> {
    loop {
        match try_send(h) {
            Ok(_) => return Ok(()),
            Err(TrySendError::QueueFull) => std::thread::sleep(Duration::from_micros(50)),
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Measures the row.
pub fn run(opts: &Options) -> Result<Vec<Row>, String> {
    if !opts.wants("handle", "send") {
        return Ok(Vec::new());
    }
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let d = dir.path().display();
    let acc = format!(
        "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nReactorMode=block\nReactorCore=0\n\
         FileStorePath={d}/a\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=BENCH\n\
         SocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n"
    );
    let acc = EngineConfig::parse(&acc, "handle-acceptor").map_err(|e| e.to_string())?;
    let server = Runtime::start(&acc, factory()).map_err(|e| e.to_string())?;
    let port = server
        .listen_addrs()
        .first()
        .map(|a| a.port())
        .ok_or("the acceptor did not listen")?;
    let ini = format!(
        "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nReactorMode=block\nReactorCore=1\n\
         HeartBtInt=30\nFileStorePath={d}/i\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=BENCH\n\
         TargetCompID=EXEC\nSocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n"
    );
    let ini = EngineConfig::parse(&ini, "handle-initiator").map_err(|e| e.to_string())?;
    let client = Runtime::start(&ini, factory()).map_err(|e| e.to_string())?;
    let id = client
        .counters()
        .first()
        .map(|(id, _)| id.clone())
        .ok_or("no initiator session")?;
    let mut h = client.sender(&id, 1024).ok_or("no session sender")?;
    // Logged on and attached to its connection: the first send goes through.
    let t = Instant::now();
    while let Err(e) = try_send(&mut h) {
        if t.elapsed() > Duration::from_secs(10) {
            return Err(format!("handle bench: no send within 10 s: {e}"));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    const BATCH: u64 = 1000;
    let batches = (opts.run_ms / 4).max(4);
    let received = || server.sessions().first().map_or(0, |s| s.messages_in);
    let mut samples = Vec::new();
    let mut queued = 1u64;
    for run in 0..=opts.runs.max(1) {
        let mut spent = 0u128;
        for _ in 0..batches {
            let t = thread_cpu_ns();
            for _ in 0..BATCH {
                send(&mut h)?;
            }
            spent += thread_cpu_ns() - t;
            queued += BATCH;
            // Untimed: keep what is unsent within the reactor's outbound
            // limit (the handle's queue does not push back on the socket).
            while queued > received() + 10 * BATCH {
                std::thread::sleep(Duration::from_micros(50));
            }
        }
        if run > 0 {
            samples.push(spent as f64 / (batches * BATCH) as f64);
        }
    }
    let sent = (opts.runs.max(1) as u64 + 1) * batches * BATCH + 1;
    // Every message arrives before the numbers count.
    let t = Instant::now();
    while received() < sent && t.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(10));
    }
    if received() < sent {
        return Err(format!(
            "handle bench: {} of {sent} messages arrived",
            received()
        ));
    }
    drop(client);
    drop(server);
    samples.sort_by(f64::total_cmp);
    let ns = samples.get(samples.len() / 2).copied().unwrap_or(0.0);
    let bytes = 8 + 1 + FIELDS.iter().map(|(_, v)| 8 + v.len()).sum::<usize>();
    Ok(vec![Row {
        case: "handle",
        op: "send",
        ns_per_msg: ns,
        bytes,
    }])
}
