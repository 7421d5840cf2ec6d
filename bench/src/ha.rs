//! `ha`: what hot standby's sync replication costs per message.
//!
//! Three acceptors (`exec`) in this process on loopback: a plain one, and
//! an HA pair with `HaReplication=sync` (node a leading, node b its
//! standby) over a local etcd (the `etcd` binary, Debian's etcd-server,
//! started in a temporary directory). One initiator session per target
//! gets orders one at a time from a driver thread (the runtime's
//! `SessionSender`, the same path for both) and each NewOrderSingle ->
//! ExecutionReport round trip is timed; blocks of `--block` round trips
//! alternate between the plain and the HA acceptor. The difference of the two
//! distributions is the sync cost: the ExecutionReport waits until the
//! standby acknowledged its journal record (one replication round trip:
//! the record to the standby's page cache and the acknowledgement back).
//! Reactors block (on two cores, spinning reactors starve etcd).

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use ringfix_engine::apps::exec::Exec;
use ringfix_engine::config::{EngineConfig, SessionSettings as EngineSettings};
use ringfix_engine::ha::{etcd::Etcd, keys};
use ringfix_engine::runtime::{Runtime, SessionSender, TrySendError};
use ringfix_engine::session::{
    parse_u64, AppVerdict, Application, FieldWriter, Incoming, Sender, SessionSettings,
};
use serde_json::{json, Map, Value};

use crate::latency::hist::{new_histogram, percentiles_us};

/// Options of `ringfix-bench ha`.
#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Round trips recorded per target.
    #[arg(long, default_value_t = 20_000)]
    pub orders: u64,
    /// Round trips per block (targets alternate block by block).
    #[arg(long, default_value_t = 1_000)]
    pub block: u64,
    /// Round trips before recording, per target.
    #[arg(long, default_value_t = 1_000)]
    pub warmup: u64,
    /// One JSON object instead of a table.
    #[arg(long)]
    pub json: bool,
}

fn free_port() -> Result<u16, String> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| e.to_string())
}

/// A local etcd, killed on drop.
struct LocalEtcd {
    child: Child,
    url: String,
    _dir: tempfile::TempDir,
}

impl LocalEtcd {
    fn start() -> Result<Self, String> {
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let (client, peer) = (free_port()?, free_port()?);
        let url = format!("http://127.0.0.1:{client}");
        let peer_url = format!("http://127.0.0.1:{peer}");
        let child = Command::new("etcd")
            .args(["--name", "bench", "--data-dir"])
            .arg(dir.path())
            .args([
                "--listen-client-urls",
                &url,
                "--advertise-client-urls",
                &url,
            ])
            .args(["--listen-peer-urls", &peer_url])
            .args(["--initial-advertise-peer-urls", &peer_url])
            .args(["--initial-cluster", &format!("bench={peer_url}")])
            .args(["--logger", "zap", "--log-level", "error"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("etcd (Debian package etcd-server): {e}"))?;
        let etcd = Self {
            child,
            url,
            _dir: dir,
        };
        let mut c = etcd.client();
        wait(Duration::from_secs(20), "etcd", || c.get(b"x").is_ok())?;
        Ok(etcd)
    }

    fn client(&self) -> Etcd {
        Etcd::new(std::slice::from_ref(&self.url), Duration::from_secs(1))
    }
}

impl Drop for LocalEtcd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait(limit: Duration, what: &str, mut ok: impl FnMut() -> bool) -> Result<(), String> {
    let deadline = Instant::now() + limit;
    while !ok() {
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}"));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

/// Between the driver thread and the two sessions' applications.
struct Shared {
    /// Order number whose report arrived last (per target), or `NONE`.
    answered: [AtomicU64; 2],
    driver: OnceLock<std::thread::Thread>,
}

const NONE: u64 = u64::MAX;

/// Each target's application: notes the report of the order in flight.
struct Answer {
    target: usize,
    shared: Arc<Shared>,
}

impl Application for Answer {
    fn on_app(
        &mut self,
        _session: &SessionSettings,
        msg: &Incoming<'_>,
        _out: &mut Sender<'_>,
    ) -> AppVerdict {
        if msg.msg_type() == b"8" {
            if let Some(n) = msg.get(11).and_then(parse_u64) {
                self.shared.answered[self.target].store(n, Ordering::Release);
                if let Some(t) = self.shared.driver.get() {
                    t.unpark();
                }
            }
        }
        AppVerdict::Accept
    }
}

fn order(n: u64, w: &mut FieldWriter<'_>) {
    w.field_u64(11, n)
        .field(21, b"1")
        .field(38, b"100")
        .field(40, b"2")
        .field(44, b"10.25")
        .field(54, b"1")
        .field(55, b"RFIX");
}

/// Sends orders one at a time, blocks alternating between the targets,
/// and times each round trip.
fn drive(
    args: &Args,
    shared: &Shared,
    tx: &mut [SessionSender; 2],
) -> Result<[Histogram<u64>; 2], String> {
    let mut hist = [
        new_histogram().map_err(|e| e.to_string())?,
        new_histogram().map_err(|e| e.to_string())?,
    ];
    let per_target = args.warmup + args.orders;
    let mut sent = [0u64; 2];
    let mut target = 0;
    while sent.iter().any(|&n| n < per_target) {
        if sent[target] >= per_target {
            target = 1 - target;
        }
        for _ in 0..args.block {
            let n = sent[target];
            if n >= per_target {
                break;
            }
            let t0 = Instant::now();
            loop {
                match tx[target].try_send(b"D", |w| order(n, w)) {
                    Ok(_) => break,
                    Err(TrySendError::QueueFull) => std::hint::spin_loop(),
                    Err(e) => return Err(format!("order {n}: {e}")),
                }
            }
            let deadline = t0 + Duration::from_secs(5);
            while shared.answered[target].load(Ordering::Acquire) != n {
                if Instant::now() > deadline {
                    return Err(format!("no ExecutionReport for order {n}"));
                }
                std::thread::park_timeout(Duration::from_millis(10));
            }
            if n >= args.warmup {
                hist[target].saturating_record((t0.elapsed().as_nanos() as u64).max(1));
            }
            sent[target] += 1;
        }
        target = 1 - target;
    }
    Ok(hist)
}

fn exec() -> ringfix_engine::runtime::AppFactory {
    Box::new(|_s: &EngineSettings| -> Box<dyn Application + Send> { Box::new(Exec::new()) })
}

fn start(text: &str, name: &str) -> Result<Runtime, String> {
    let cfg = EngineConfig::parse(text, name).map_err(|e| e.to_string())?;
    Runtime::start(&cfg, exec()).map_err(|e| format!("{name}: {e}"))
}

/// Runs the benchmark and prints the result.
pub fn run(args: &Args) -> Result<(), String> {
    if args.orders == 0 || args.block == 0 {
        return Err("--orders and --block must be at least 1".into());
    }
    let etcd = LocalEtcd::start()?;
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (fix_plain, fix_a, fix_b) = (free_port()?, free_port()?, free_port()?);
    let (repl_a, repl_b) = (free_port()?, free_port()?);
    let plain = format!(
        "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nReactorMode=block\n\
         FileStorePath={}\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\n\
         TargetCompID=PLAIN\nSocketAcceptHost=127.0.0.1\nSocketAcceptPort={fix_plain}\n",
        dir.path().join("plain").display()
    );
    let node = |name: &str, fix: u16, me: u16, other: u16| {
        format!(
            "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nReactorMode=block\n\
             FileStorePath={}\nHaEnabled=Y\nHaEtcdEndpoints={}\nHaNodeName={name}\n\
             HaReplicationListen=127.0.0.1:{me}\nHaPeers=127.0.0.1:{other}\n\
             HaReplication=sync\nHaSyncTimeout=2000ms\n[SESSION]\nBeginString=FIX.4.4\n\
             SenderCompID=EXEC\nTargetCompID=HA\nSocketAcceptHost=127.0.0.1\n\
             SocketAcceptPort={fix}\n",
            dir.path().join(name).display(),
            etcd.url
        )
    };
    let mut servers = vec![start(&plain, "plain")?];
    servers.push(start(&node("a", fix_a, repl_a, repl_b), "a")?);
    let mut c = etcd.client();
    let session = "FIX.4.4:EXEC->HA";
    wait(Duration::from_secs(10), "node a to lead", || {
        c.get(&keys::leader(session))
            .ok()
            .flatten()
            .is_some_and(|kv| keys::leader_node(&kv.value) == "a")
    })?;
    servers.push(start(&node("b", fix_b, repl_b, repl_a), "b")?);
    wait(Duration::from_secs(10), "node b in sync", || {
        c.get(&keys::insync(session))
            .ok()
            .flatten()
            .is_some_and(|kv| keys::insync_nodes(&kv.value).len() == 2)
    })?;
    let initiator = format!(
        "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\n\
         ReconnectInterval=1\nReactorMode=block\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=PLAIN\nTargetCompID=EXEC\n\
         SocketConnectHost=127.0.0.1\nSocketConnectPort={fix_plain}\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=HA\nTargetCompID=EXEC\n\
         SocketConnectHost=127.0.0.1\nSocketConnectPort={fix_a}\n"
    );
    let initiator = EngineConfig::parse(&initiator, "ha-initiator").map_err(|e| e.to_string())?;
    let shared = Arc::new(Shared {
        answered: [AtomicU64::new(NONE), AtomicU64::new(NONE)],
        driver: OnceLock::new(),
    });
    let mut target = 0;
    let for_apps = shared.clone();
    let factory = Box::new(move |_s: &EngineSettings| -> Box<dyn Application + Send> {
        let me = target;
        target += 1;
        Box::new(Answer {
            target: me,
            shared: for_apps.clone(),
        })
    });
    let client = Runtime::start(&initiator, factory).map_err(|e| e.to_string())?;
    let ids: Vec<_> = initiator.sessions.iter().map(|s| s.id.clone()).collect();
    let mut senders: Vec<SessionSender> =
        ids.iter().filter_map(|id| client.sender(id, 64)).collect();
    for s in &mut senders {
        // TransactTime stamped when the reactor sends it.
        s.stamp_send_time(Some(60));
    }
    let mut tx: [SessionSender; 2] = senders
        .try_into()
        .map_err(|_| "no sender for a session".to_string())?;
    wait(Duration::from_secs(10), "both logons", || {
        tx.iter().all(SessionSender::is_logged_on)
    })?;
    let _ = shared.driver.set(std::thread::current());
    let result = drive(args, &shared, &mut tx);
    client.stopper().stop();
    drop(client);
    for s in &servers {
        s.stopper().stop();
    }
    for mut s in servers {
        s.wait();
    }
    let [plain, ha] = result?;
    print(args, &plain, &ha);
    Ok(())
}

fn print(args: &Args, plain: &Histogram<u64>, ha: &Histogram<u64>) {
    let a = percentiles_us(plain);
    let b = percentiles_us(ha);
    let cost: Vec<(&str, f64)> = a
        .iter()
        .zip(&b)
        .map(|(&(k, x), &(_, y))| (k, y - x))
        .collect();
    if args.json {
        let obj = |rows: &[(&str, f64)]| {
            let mut m = Map::new();
            for (k, v) in rows {
                m.insert((*k).into(), json!((v * 1000.0).round() / 1000.0));
            }
            Value::Object(m)
        };
        let v = json!({
            "orders_per_target": args.orders,
            "plain": obj(&a),
            "ha_sync": obj(&b),
            "sync_cost": obj(&cost),
        });
        println!("{v}");
        return;
    }
    println!(
        "ha: NewOrderSingle -> ExecutionReport, {} round trips per target, reactors block (us)",
        args.orders
    );
    let head: Vec<&str> = a.iter().map(|(k, _)| *k).collect();
    println!(
        "{:<12}{}",
        "target",
        head.iter().map(|k| format!("{k:>10}")).collect::<String>()
    );
    for (name, rows) in [("plain", &a), ("ha sync", &b), ("sync cost", &cost)] {
        let cells: String = rows.iter().map(|(_, v)| format!("{v:>10.2}")).collect();
        println!("{name:<12}{cells}");
    }
}
