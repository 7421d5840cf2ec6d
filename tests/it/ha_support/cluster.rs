//! Two `ringfix acceptor --app exec` nodes with hot standby, etcd and a
//! counterparty, each on its own host (network namespace): 10.77.0.1 etcd,
//! .2 node a, .3 node b, .4 the counterparty. The counterparty is the
//! crash tests' raw-TCP peer (it keeps its own record and checks every
//! engine message against it), run on a thread that entered the
//! counterparty's namespace; it reconnects every second (ReconnectInterval
//! 1), alternating between the two nodes' addresses.

use std::fs::File;
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering::*};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::crash_support::peer::{Conn, Role};
use crate::crash_support::record::Record;
use crate::ha_support::etcd::Etcd;
use crate::ha_support::netns::Net;

/// The `ringfix` binary (`RINGFIX_BIN` overrides it, to loop a test
/// against a fixed build while the tree changes).
fn bin() -> String {
    std::env::var("RINGFIX_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_ringfix").to_owned())
}
pub const TTL: Duration = Duration::from_secs(2);
pub const SESSION: &str = "FIX.4.4:EXEC->ORDERS";
const FIX_PORT: u16 = 9880;
const REPL_PORT: u16 = 7000;
/// Host indexes in [`Net`]: etcd, node a, node b, the counterparty.
pub const ETCD: usize = 0;
pub const A: usize = 1;
pub const B: usize = 2;
const PEER: usize = 3;

/// The host of node `i` (0 = a, 1 = b).
fn host(i: usize) -> usize {
    i + 1
}

pub struct Node {
    pub name: &'static str,
    cfg: PathBuf,
    log: PathBuf,
    child: Option<Child>,
}

/// What the counterparty saw, shared with the test.
#[derive(Default)]
pub struct Seen {
    /// When each logon completed, and with which node (0 a, 1 b).
    pub logons: Vec<(Instant, usize)>,
    /// When the last message arrived, per node.
    pub last_recv: [Option<Instant>; 2],
}

/// Waits until node `i` accepts TCP connections on the FIX port (it
/// listens only while it leads), probing from the counterparty's host
/// every 10 ms; returns when.
pub fn ready_at(c: &Cluster, i: usize, limit: Duration) -> Option<Instant> {
    let ns = c.net.hosts[PEER].ns.clone();
    let addr: SocketAddr = format!("{}:{FIX_PORT}", c.net.hosts[host(i)].ip)
        .parse()
        .unwrap();
    std::thread::spawn(move || {
        enter_netns(&ns);
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(50)).is_ok() {
                return Some(Instant::now());
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        None
    })
    .join()
    .unwrap()
}

pub struct Cluster {
    pub nodes: Vec<Node>,
    pub etcd: Etcd,
    pub mode: &'static str,
    pub seen: Arc<Mutex<Seen>>,
    stop: Arc<AtomicBool>,
    /// Orders per second while streaming (0 pauses).
    pub rate: Arc<AtomicU32>,
    peer: Option<JoinHandle<Record>>,
    dir: tempfile::TempDir,
    // Last: the namespaces go after everything running in them.
    pub net: Net,
}

/// Only one cluster at a time: leases of 2 s on two shared cores.
static ONE: Mutex<()> = Mutex::new(());

impl Cluster {
    /// etcd up, configurations written; no node started yet.
    pub fn new(mode: &'static str) -> (Self, std::sync::MutexGuard<'static, ()>) {
        let guard = ONE.lock().unwrap_or_else(|p| p.into_inner());
        let net = Net::new(4);
        let etcd = Etcd::in_netns(&net.hosts[ETCD].ns, &net.hosts[ETCD].ip);
        let dir = tempfile::tempdir().unwrap();
        let mut nodes = Vec::new();
        for (i, name) in ["a", "b"].into_iter().enumerate() {
            let me = &net.hosts[host(i)].ip;
            let other = &net.hosts[host(1 - i)].ip;
            let cfg = dir.path().join(format!("{name}.cfg"));
            let text = format!(
                "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nReactorMode=block\n\
                 FileStorePath={store}\nFileLogPath={log}\nResetOnLogon=N\nResetOnLogout=N\n\
                 ResetOnDisconnect=N\nHaEnabled=Y\nHaEtcdEndpoints={etcd}\nHaNodeName={name}\n\
                 HaLeaseTtl={ttl}\nHaReplicationListen={me}:{REPL_PORT}\nHaPeers={other}:{REPL_PORT}\n\
                 HaReplication={mode}\nHaSyncTimeout=500ms\nHaMaxUnacked=64\n\n\
                 [SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
                 SocketAcceptHost={me}\nSocketAcceptPort={FIX_PORT}\n",
                store = dir.path().join(format!("{name}-store")).display(),
                log = dir.path().join(format!("{name}-log")).display(),
                etcd = etcd.url,
                ttl = TTL.as_secs(),
            );
            File::create(&cfg)
                .unwrap()
                .write_all(text.as_bytes())
                .unwrap();
            nodes.push(Node {
                name,
                cfg,
                log: dir.path().join(format!("{name}.stderr")),
                child: None,
            });
        }
        let cluster = Self {
            nodes,
            etcd,
            mode,
            seen: Arc::default(),
            stop: Arc::default(),
            rate: Arc::new(AtomicU32::new(200)),
            peer: None,
            dir,
            net,
        };
        (cluster, guard)
    }

    /// Starts node `i` in its namespace.
    pub fn start(&mut self, i: usize) {
        let n = &mut self.nodes[i];
        let log = File::options()
            .create(true)
            .append(true)
            .open(&n.log)
            .unwrap();
        let child = self
            .net
            .command(host(i), &bin())
            .args(["acceptor", "--app", "exec", "--config"])
            .arg(&n.cfg)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .unwrap();
        n.child = Some(child);
    }

    /// Starts a second process with node `i`'s configuration (on its
    /// host) and returns its exit status and stderr (bounded: 15 s).
    pub fn run_again(&self, i: usize) -> (Option<std::process::ExitStatus>, String) {
        let err = self.dir.path().join("again.stderr");
        let mut child = self
            .net
            .command(host(i), &bin())
            .args(["acceptor", "--app", "exec", "--config"])
            .arg(&self.nodes[i].cfg)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&err).unwrap())
            .spawn()
            .unwrap();
        let status = crate::crash_support::wait_exit(&mut child, Duration::from_secs(15));
        if status.is_none() {
            let _ = child.kill();
            let _ = child.wait();
        }
        (status, std::fs::read_to_string(err).unwrap_or_default())
    }

    /// kill -9 node `i`; returns when.
    pub fn kill(&mut self, i: usize) -> Instant {
        let mut child = self.nodes[i].child.take().expect("running");
        let _ = child.kill();
        let at = Instant::now();
        let _ = child.wait();
        at
    }

    /// The node's stderr so far (for failure messages and checks).
    pub fn log(&self, i: usize) -> String {
        std::fs::read_to_string(&self.nodes[i].log).unwrap_or_default()
    }

    /// The last `n` lines of node `i`'s FIX message and event logs.
    pub fn fix_log(&self, i: usize, n: usize) -> String {
        let dir = self.dir.path().join(format!("{}-log", self.nodes[i].name));
        let mut out = String::new();
        for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let text = std::fs::read_to_string(e.path()).unwrap_or_default();
            let lines: Vec<&str> = text.lines().collect();
            out.push_str(&format!("{}:\n", e.path().display()));
            for l in &lines[lines.len().saturating_sub(n)..] {
                out.push_str(&l.replace('\x01', "|"));
                out.push('\n');
            }
        }
        out
    }

    fn get_json(&self, key: &str) -> Option<serde_json::Value> {
        let out = self.etcd.ctl(&["get", key, "-w", "json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
        v["kvs"].as_array()?.first().cloned()
    }

    /// The current leader (0 a, 1 b), its token and its lease, from etcd.
    pub fn leader(&self) -> Option<(usize, u64, i64)> {
        let kv = self.get_json(&format!("ringfix/ha/leader/{SESSION}"))?;
        let value = base64_decode(kv["value"].as_str()?);
        let v: serde_json::Value = serde_json::from_slice(&value).ok()?;
        let i = self.nodes.iter().position(|n| v["node"] == n.name)?;
        Some((i, kv["create_revision"].as_u64()?, kv["lease"].as_i64()?))
    }

    /// The in-sync set, from etcd.
    pub fn insync(&self) -> Vec<String> {
        let Some(kv) = self.get_json(&format!("ringfix/ha/insync/{SESSION}")) else {
            return Vec::new();
        };
        let value = base64_decode(kv["value"].as_str().unwrap_or(""));
        serde_json::from_slice::<serde_json::Value>(&value)
            .ok()
            .and_then(|v| {
                v["nodes"].as_array().map(|a| {
                    a.iter()
                        .filter_map(|n| n.as_str().map(str::to_owned))
                        .collect()
                })
            })
            .unwrap_or_default()
    }

    /// Revokes the leader's lease with `etcdctl` (a flap).
    pub fn revoke_leader(&self) -> Option<usize> {
        let (i, _, lease) = self.leader()?;
        let out = self.etcd.ctl(&["lease", "revoke", &format!("{lease:x}")]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(i)
    }

    /// Waits for `what` (bounded), with the nodes' logs on failure.
    pub fn wait(&self, what: &str, limit: Duration, mut ok: impl FnMut(&Self) -> bool) {
        let deadline = Instant::now() + limit;
        while !ok(self) {
            assert!(
                Instant::now() < deadline,
                "[{}] timed out waiting for {what}\n--- a:\n{}\n--- b:\n{}",
                self.mode,
                tail(&self.log(0)),
                tail(&self.log(1))
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Both nodes up, `leader` leading and the other in sync.
    pub fn bring_up(&mut self, leader: usize) {
        self.start(leader);
        self.wait("the first leader", Duration::from_secs(10), |c| {
            c.leader().map(|l| l.0) == Some(leader)
        });
        self.start(1 - leader);
        self.wait("the standby in sync", Duration::from_secs(10), |c| {
            c.insync().len() == 2
        });
    }

    /// Starts the counterparty.
    pub fn start_peer(&mut self) {
        let ns = self.net.hosts[PEER].ns.clone();
        let addrs: Vec<SocketAddr> = (0..2)
            .map(|i| {
                format!("{}:{FIX_PORT}", self.net.hosts[host(i)].ip)
                    .parse()
                    .unwrap()
            })
            .collect();
        let (stop, seen, rate) = (self.stop.clone(), self.seen.clone(), self.rate.clone());
        let label = format!("ha/{}", self.mode);
        self.peer = Some(std::thread::spawn(move || {
            enter_netns(&ns);
            counterparty(&label, &addrs, &stop, &seen, &rate)
        }));
    }

    /// Logons so far.
    pub fn logons(&self) -> usize {
        self.seen.lock().unwrap().logons.len()
    }

    /// Waits for the next logon after `n` logons; returns when and with whom.
    pub fn next_logon(&self, n: usize, limit: Duration) -> (Instant, usize) {
        self.wait("the counterparty's next logon", limit, |c| c.logons() > n);
        self.seen.lock().unwrap().logons[n]
    }

    /// Stops the counterparty: no new orders, everything answered, Logout.
    pub fn finish(&mut self) -> Record {
        self.stop.store(true, SeqCst);
        self.peer.take().expect("peer").join().expect("peer thread")
    }

    /// The store directory of node `i`.
    pub fn store_dir(&self, i: usize) -> PathBuf {
        self.dir
            .path()
            .join(format!("{}-store", self.nodes[i].name))
    }

    /// Node `i`'s journal: MsgSeqNum -> message.
    pub fn journal(&self, i: usize) -> std::collections::BTreeMap<u64, Vec<u8>> {
        let files = ringfix_engine::store::StoreFiles::new(
            self.store_dir(i),
            &ringfix_engine::store::StoreId::new("FIX.4.4", "EXEC", "ORDERS"),
        );
        let mut out = std::collections::BTreeMap::new();
        if let Ok(r) = ringfix_engine::store::StoreReader::open(files) {
            r.get_range(1, 0, &mut |seq, b| {
                out.insert(seq, b.to_vec());
            });
        }
        out
    }

    /// `ringfix ha status --json` run on node `i`'s host.
    pub fn status(&self, i: usize) -> serde_json::Value {
        let out = self
            .net
            .command(host(i), &bin())
            .args(["ha", "status", "--json", "--config"])
            .arg(&self.nodes[i].cfg)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        self.stop.store(true, SeqCst);
        for n in &mut self.nodes {
            if let Some(mut c) = n.child.take() {
                let _ = c.kill();
                let _ = c.wait();
            }
        }
        if let Some(p) = self.peer.take() {
            let _ = p.join();
        }
    }
}

fn tail(s: &str) -> String {
    let lines: Vec<&str> = s.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

fn base64_decode(s: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(s)
        .unwrap_or_default()
}

/// Moves this thread into the namespace `ns` (sockets it makes from now
/// on live there).
fn enter_netns(ns: &str) {
    use std::os::fd::AsRawFd;
    let f = File::open(format!("/var/run/netns/{ns}")).unwrap();
    // SAFETY: a valid namespace fd; setns changes only this thread.
    let r = unsafe { libc::setns(f.as_raw_fd(), libc::CLONE_NEWNET) };
    assert_eq!(r, 0, "setns: {}", std::io::Error::last_os_error());
}

/// The counterparty: connects (every second, alternating addresses),
/// logs on, streams orders, answers and checks; at the stop, waits for
/// every order's ExecutionReport and logs out.
fn counterparty(
    label: &str,
    addrs: &[SocketAddr],
    stop: &AtomicBool,
    seen: &Mutex<Seen>,
    rate: &AtomicU32,
) -> Record {
    let mut rec = Record::new(label.to_owned());
    let mut k = 0usize;
    let mut next_try = Instant::now();
    let mut finish_by: Option<Instant> = None;
    loop {
        if stop.load(SeqCst) && finish_by.is_none() {
            finish_by = Some(Instant::now() + Duration::from_secs(20));
        }
        if finish_by.is_some_and(|t| Instant::now() > t) {
            let unanswered = rec.orders.values().filter(|&&n| n == 0).count();
            let (next, max) = (rec.recv_next(), rec.recv_max());
            rec.violation(format!(
                "could not finish: {unanswered} orders unanswered, received up to {next} of {max}"
            ));
            return rec;
        }
        let now = Instant::now();
        if now < next_try {
            std::thread::sleep(next_try - now);
        }
        next_try = Instant::now() + Duration::from_secs(1);
        // Each round tries the failover list in turn, starting after the
        // node of the last connection.
        let found = (0..addrs.len()).find_map(|j| {
            let node = (k + j) % addrs.len();
            TcpStream::connect_timeout(&addrs[node], Duration::from_millis(300))
                .ok()
                .map(|s| (node, s))
        });
        let Some((node, stream)) = found else {
            continue;
        };
        k = node + 1;
        let mut conn = Conn::new(Role::Acceptor, stream);
        conn.send_logon(&mut rec);
        // Its resends are checked, not where it asks from (the new leader
        // may ask from before what the old one processed).
        conn.must_rr = None;
        let mut logged_on = false;
        let mut done = false;
        while !conn.eof {
            conn.order_rate = rate.load(SeqCst);
            conn.orders_stop = stop.load(SeqCst);
            let before = rec.stats.engine_msgs;
            conn.poll(&mut rec, Duration::from_millis(5));
            if conn.logged_on && !logged_on {
                logged_on = true;
                seen.lock().unwrap().logons.push((Instant::now(), node));
            }
            if rec.stats.engine_msgs > before {
                seen.lock().unwrap().last_recv[node] = Some(Instant::now());
            }
            if conn.orders_stop && logged_on {
                let answered =
                    rec.orders.values().all(|&n| n > 0) && rec.recv_next() > rec.recv_max();
                if answered && !conn.logout_sent {
                    conn.send_logout(&mut rec);
                }
                if conn.logout_received {
                    done = true;
                    break;
                }
            }
            if finish_by.is_some_and(|t| Instant::now() > t) {
                break;
            }
        }
        if done {
            return rec;
        }
    }
}
