//! Issue 29, the HA layer against a real etcd (on loopback): election,
//! fencing, replication and catch-up, the sync fallback. The runtime's
//! part (opening the store on a takeover, dropping it on a step-down) is
//! played by a small thread per node, as the engine does it.

use std::path::{Path, PathBuf};
use std::sync::mpsc::Receiver;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::ha_support::etcd::{free_port, Etcd};
use crate::ha_support::proxy::Proxy;
use ringfix_engine::config::{HaReplication, HaSettings, HostPort};
use ringfix_engine::ha::{keys, HaEvent, HaNode, HaSessionSpec, ReplicatedStore, ReplicationTls};
use ringfix_engine::store::{
    FileStore, FileStoreOptions, MessageStore, StoreFiles, StoreReader, UtcTimestamp,
};

type Held = Arc<Mutex<Option<ReplicatedStore<FileStore>>>>;

struct TestNode {
    node: Arc<HaNode>,
    store: Held,
    events: Arc<Mutex<Vec<(Instant, HaEvent)>>>,
    dir: PathBuf,
}

fn settings(name: &str, etcd: &str, listen: u16, peers: &[u16], mode: HaReplication) -> HaSettings {
    HaSettings {
        enabled: true,
        etcd_endpoints: vec![etcd.to_owned()],
        node_name: name.to_owned(),
        lease_ttl: Duration::from_secs(2),
        replication_listen: Some(HostPort {
            host: "127.0.0.1".into(),
            port: listen,
        }),
        peers: peers
            .iter()
            .map(|p| HostPort {
                host: "127.0.0.1".into(),
                port: *p,
            })
            .collect(),
        mode,
        sync_timeout: Duration::from_millis(300),
        max_unacked: 16,
    }
}

fn files(dir: &Path) -> StoreFiles {
    StoreFiles::with_prefix(dir, "S")
}

fn options() -> FileStoreOptions {
    FileStoreOptions {
        segment_bytes: 1 << 20,
        prefault: false,
        ..FileStoreOptions::default()
    }
}

/// Plays the runtime: opens the store on BecameLeader, drops it on
/// SteppedDown and hands the session back.
fn start(s: &HaSettings, dir: &Path) -> Result<TestNode, ringfix_engine::ha::HaError> {
    start_tls(s, dir, None)
}

fn start_tls(
    s: &HaSettings,
    dir: &Path,
    tls: Option<ReplicationTls>,
) -> Result<TestNode, ringfix_engine::ha::HaError> {
    let spec = HaSessionSpec {
        name: "FIX.4.4:A->B".into(),
        files: files(dir),
        options: options(),
    };
    let (node, rx) = HaNode::start(s, vec![spec], tls)?;
    let node = Arc::new(node);
    let store: Held = Arc::new(Mutex::new(None));
    let events = Arc::new(Mutex::new(Vec::new()));
    let (n, st, ev, d) = (
        Arc::downgrade(&node),
        store.clone(),
        events.clone(),
        dir.to_owned(),
    );
    std::thread::spawn(move || runtime(rx, n, st, ev, d));
    Ok(TestNode {
        node,
        store,
        events,
        dir: dir.to_owned(),
    })
}

fn runtime(
    rx: Receiver<HaEvent>,
    node: std::sync::Weak<HaNode>,
    store: Held,
    events: Arc<Mutex<Vec<(Instant, HaEvent)>>>,
    dir: PathBuf,
) {
    for e in rx {
        events.lock().unwrap().push((Instant::now(), e.clone()));
        let Some(node) = node.upgrade() else { return };
        match e {
            HaEvent::BecameLeader {
                session,
                raise_sender_by,
                ..
            } => {
                // The standby's open store if it had one (as the runtime).
                let inner = match node.sessions()[session].take_store() {
                    Some(open) => open,
                    None => FileStore::open(files(&dir), options(), UtcTimestamp::now()).unwrap(),
                };
                let mut s = ReplicatedStore::new(inner, node.sessions()[session].clone());
                if raise_sender_by > 0 {
                    let next = s.next_sender_seq() + raise_sender_by;
                    s.set_next_sender_seq(next).unwrap();
                }
                *store.lock().unwrap() = Some(s);
            }
            HaEvent::SteppedDown { session, .. } => {
                *store.lock().unwrap() = None;
                node.released(session);
            }
            HaEvent::Duplicate(_) => {}
        }
    }
}

impl TestNode {
    fn leads(&self) -> bool {
        self.node.sessions()[0].token() != 0 && self.store.lock().unwrap().is_some()
    }

    fn token(&self) -> u64 {
        self.node.sessions()[0].token()
    }

    /// Appends messages `from..=to` as the session would (store, then the
    /// sequence number).
    fn send(&self, from: u64, to: u64) {
        let mut g = self.store.lock().unwrap();
        let s = g.as_mut().expect("leading");
        for seq in from..=to {
            s.append(seq, format!("8=FIX.4.4|34={seq}|").as_bytes())
                .unwrap();
            s.set_next_sender_seq(seq + 1).unwrap();
        }
    }

    fn stopped_events(&self) -> usize {
        let ev = self.events.lock().unwrap();
        ev.iter()
            .filter(|(_, e)| matches!(e, HaEvent::SteppedDown { .. }))
            .count()
    }
}

fn wait(what: &str, limit: Duration, mut ok: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn insync(etcd: &Etcd) -> Vec<String> {
    etcd.client()
        .get(&keys::insync("FIX.4.4:A->B"))
        .unwrap()
        .map(|kv| keys::insync_nodes(&kv.value))
        .unwrap_or_default()
}

fn journal(dir: &Path) -> Vec<u64> {
    let r = StoreReader::open(files(dir)).unwrap();
    let mut seqs = Vec::new();
    r.get_range(1, u64::MAX, &mut |seq, _| seqs.push(seq));
    seqs
}

#[test]
fn one_leader_whose_token_is_the_keys_create_revision() {
    let etcd = Etcd::local();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let (pa, pb) = (free_port(), free_port());
    let a = start(
        &settings("a", &etcd.url, pa, &[pb], HaReplication::Sync),
        dirs[0].path(),
    )
    .unwrap();
    let b = start(
        &settings("b", &etcd.url, pb, &[pa], HaReplication::Sync),
        dirs[1].path(),
    )
    .unwrap();
    wait("a leader", Duration::from_secs(5), || {
        a.leads() || b.leads()
    });
    std::thread::sleep(Duration::from_millis(500));
    assert!(a.leads() != b.leads(), "exactly one leader");
    let (leader, standby) = if a.leads() { (&a, &b) } else { (&b, &a) };
    let kv = etcd
        .client()
        .get(&keys::leader("FIX.4.4:A->B"))
        .unwrap()
        .expect("election key");
    assert_eq!(kv.create_revision as u64, leader.token());
    assert_eq!(standby.token(), 0);
    // The standby catches up and joins the in-sync set.
    wait("the standby in sync", Duration::from_secs(5), || {
        insync(&etcd).len() == 2
    });
    assert_eq!(standby.node.leader(0).map(|l| l.1), Some(leader.token()));
}

#[test]
fn a_duplicate_node_name_refuses_to_start() {
    let etcd = Etcd::local();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let a = start(
        &settings("same", &etcd.url, free_port(), &[], HaReplication::Sync),
        dirs[0].path(),
    )
    .unwrap();
    let t = Instant::now();
    let second = start(
        &settings("same", &etcd.url, free_port(), &[], HaReplication::Sync),
        dirs[1].path(),
    );
    let err = second.err().expect("the second node must refuse to start");
    assert!(
        err.to_string().contains("HaNodeName same is already live"),
        "{err}"
    );
    // It waited for a dead predecessor's lease (TTL + 1 s), not forever.
    assert!(t.elapsed() < Duration::from_secs(6), "{:?}", t.elapsed());
    drop(a);
}

#[test]
fn etcd_unreachable_at_start_stands_by_and_retries() {
    let etcd = Etcd::local();
    let proxy = Proxy::start(etcd.url.trim_start_matches("http://"));
    proxy.cut();
    let dir = tempfile::tempdir().unwrap();
    let a = start(
        &settings("a", &proxy.url, free_port(), &[], HaReplication::Sync),
        dir.path(),
    )
    .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    assert!(!a.leads(), "never leads without the key");
    drop(proxy);
    // etcd comes back (directly this time): the node registers and leads.
    let b = start(
        &settings("b", &etcd.url, free_port(), &[], HaReplication::Sync),
        tempfile::tempdir().unwrap().path(),
    )
    .unwrap();
    wait("b leads", Duration::from_secs(5), || b.leads());
    assert!(!a.leads());
}

#[test]
fn cut_from_etcd_the_leader_steps_down_before_its_lease_can_expire() {
    let etcd = Etcd::local();
    let proxy = Proxy::start(etcd.url.trim_start_matches("http://"));
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let (pa, pb) = (free_port(), free_port());
    let a = start(
        &settings("a", &proxy.url, pa, &[pb], HaReplication::Sync),
        dirs[0].path(),
    )
    .unwrap();
    wait("a leads", Duration::from_secs(5), || a.leads());
    let b = start(
        &settings("b", &etcd.url, pb, &[pa], HaReplication::Sync),
        dirs[1].path(),
    )
    .unwrap();
    wait("b in sync", Duration::from_secs(5), || {
        insync(&etcd).len() == 2
    });
    a.send(1, 20);
    let a_token = a.token();
    let cut = Instant::now();
    proxy.cut();
    let session = a.node.sessions()[0].clone();
    wait("a stops leading", Duration::from_secs(3), || {
        !session.may_lead_now()
    });
    let stopped = cut.elapsed();
    // At that moment the key is still a's: nobody else could have won.
    let kv = etcd.client().get(&keys::leader("FIX.4.4:A->B")).unwrap();
    assert_eq!(
        kv.map(|k| k.create_revision as u64),
        Some(a_token),
        "stopped after {stopped:?}"
    );
    // Deadline: TTL - margin after the last keepalive sent before the cut.
    assert!(stopped <= Duration::from_millis(1100), "{stopped:?}");
    wait("b leads", Duration::from_secs(4), || b.leads());
    let took = cut.elapsed();
    assert!(took <= Duration::from_secs(3), "takeover after {took:?}");
    assert!(b.token() > a_token);
    wait("a's step-down", Duration::from_secs(2), || {
        a.stopped_events() == 1
    });
    // b holds what a sent, and goes on from there.
    assert_eq!(journal_of(&b), (1..=20).collect::<Vec<_>>());
    assert_eq!(
        b.store.lock().unwrap().as_ref().unwrap().next_sender_seq(),
        21
    );
}

fn journal_of(n: &TestNode) -> Vec<u64> {
    journal(&n.dir)
}

#[test]
fn replication_catch_up_and_the_sync_fallback() {
    let etcd = Etcd::local();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let (pa, pb) = (free_port(), free_port());
    let sa = settings("a", &etcd.url, pa, &[pb], HaReplication::Sync);
    let sb = settings("b", &etcd.url, pb, &[pa], HaReplication::Sync);
    let a = start(&sa, dirs[0].path()).unwrap();
    wait("a leads", Duration::from_secs(5), || a.leads());
    let b = start(&sb, dirs[1].path()).unwrap();
    wait("b in sync", Duration::from_secs(5), || {
        insync(&etcd).len() == 2
    });
    let ha = a.node.sessions()[0].clone();
    assert!(!ha.fallback_active());
    a.send(1, 100);
    // Sync: the output of the last record may go once b acknowledged it.
    wait("b's acknowledgement", Duration::from_secs(5), || {
        ha.released(ha.head_rid())
    });
    assert_eq!(ha.lag(0).0, 0);
    drop(b);
    // b's stream is gone: dropped from the in-sync set (in etcd first),
    // then sync falls back to async.
    wait("the fallback", Duration::from_secs(5), || {
        ha.fallback_active()
    });
    assert_eq!(ha.fallback_count(), 1);
    assert_eq!(insync(&etcd), ["a"]);
    a.send(101, 150);
    assert!(ha.released(ha.head_rid()), "falls back: output is not held");
    // b restarts behind: caught up from a's journal, then in sync again.
    let b = start(&sb, dirs[1].path()).unwrap();
    wait("b back in sync", Duration::from_secs(5), || {
        insync(&etcd).len() == 2
    });
    assert!(!ha.fallback_active());
    a.send(151, 160);
    wait("b's acknowledgement", Duration::from_secs(5), || {
        ha.released(ha.head_rid())
    });
    drop(b);
    assert_eq!(journal(dirs[1].path()), (1..=160).collect::<Vec<_>>());
    let r = StoreReader::open(files(dirs[1].path())).unwrap();
    assert_eq!(r.next_sender_seq(), 161);
}

#[test]
fn the_namespace_rig_partitions_and_heals() {
    use crate::ha_support::netns::Net;
    let net = Net::new(2);
    let etcd = Etcd::in_netns(&net.hosts[0].ns, &net.hosts[0].ip);
    let get = || {
        net.command(1, "etcdctl")
            .env("ETCDCTL_API", "3")
            .args([
                &format!("--endpoints={}", etcd.url),
                "--dial-timeout=500ms",
                "--command-timeout=1s",
                "get",
                "x",
            ])
            .output()
            .unwrap()
            .status
            .success()
    };
    assert!(get(), "host 1 reaches etcd on host 0");
    net.cut(1, 0);
    assert!(!get(), "the cut holds");
    net.heal(1, 0);
    assert!(get(), "healed");
    // Nothing of the rig is visible outside its namespaces.
    let outside = std::process::Command::new("ip")
        .args(["-o", "addr"])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&outside.stdout).contains("10.77.0."));
    drop(etcd);
}

/// A CA and one certificate for both nodes (server and client use).
fn tls(dir: &Path) -> ReplicationTls {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    };
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name.push(DnType::CommonName, "ha test CA");
    let ca_cert = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut p = CertificateParams::new(vec!["node.test".to_string()]).unwrap();
    p.extended_key_usages = vec![
        ExtendedKeyUsagePurpose::ServerAuth,
        ExtendedKeyUsagePurpose::ClientAuth,
    ];
    let cert = p.signed_by(&key, &ca_cert, &ca_key).unwrap();
    let write = |name: &str, text: String| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        Some(path)
    };
    let settings = ringfix_engine::config::TlsSettings {
        enabled: true,
        server_certificate_file: write("node.pem", cert.pem()),
        server_certificate_key_file: write("node.key", key.serialize_pem()),
        certificate_authorities_file: write("ca.pem", ca_cert.pem()),
        verify_level: 2,
        server_name: Some("node.test".into()),
        ..Default::default()
    };
    ReplicationTls::from_settings(&settings).unwrap()
}

#[test]
fn replication_over_mutual_tls() {
    let etcd = Etcd::local();
    let dirs = [tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap()];
    let certs = tempfile::tempdir().unwrap();
    let tls = tls(certs.path());
    let (pa, pb) = (free_port(), free_port());
    let sa = settings("a", &etcd.url, pa, &[pb], HaReplication::Sync);
    let sb = settings("b", &etcd.url, pb, &[pa], HaReplication::Sync);
    let a = start_tls(&sa, dirs[0].path(), Some(tls.clone())).unwrap();
    wait("a leads", Duration::from_secs(5), || a.leads());
    a.send(1, 50);
    let b = start_tls(&sb, dirs[1].path(), Some(tls.clone())).unwrap();
    wait("b in sync over TLS", Duration::from_secs(5), || {
        insync(&etcd).len() == 2
    });
    a.send(51, 100);
    let ha = a.node.sessions()[0].clone();
    wait("b's acknowledgement", Duration::from_secs(5), || {
        ha.released(ha.head_rid()) && ha.lag(0).0 == 0
    });
    drop(b);
    assert_eq!(journal(dirs[1].path()), (1..=100).collect::<Vec<_>>());
    // A standby without the certificates is not streamed to.
    let c = start(&sb, dirs[1].path()).unwrap();
    std::thread::sleep(Duration::from_secs(1));
    assert_eq!(insync(&etcd), ["a"]);
    drop(c);
}
