//! The elector thread: holds the node's lease (with the keepalive thread),
//! campaigns for the sessions it may take over, steps down when its key
//! or its lease is gone, and keeps each led session's in-sync set: a
//! standby counts (for the send gate and for taking over) once it caught
//! up, and is dropped from etcd *before* the leader stops waiting for it.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering::*};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use super::clock::boottime_ns;
use super::etcd::{Compare, Etcd, EtcdError, Kv, Op};
use super::keys;
use super::replica::Replica;
use super::shared::{NodeState, SessionHa};
use super::HaEvent;
use crate::config::{HaReplication, HaSettings, HA_SAFETY_MARGIN};

/// How often the elector looks at etcd.
pub(crate) const TICK: Duration = Duration::from_millis(100);

fn ns(d: Duration) -> u64 {
    d.as_nanos().min(u64::MAX as u128) as u64
}

/// The deadline a keepalive sent at `sent` (boot ns) buys.
pub(crate) fn deadline_after(sent: u64, ttl: Duration) -> u64 {
    sent + ns(ttl).saturating_sub(ns(HA_SAFETY_MARGIN))
}

/// Outcome of registering the node key.
pub(crate) enum Register {
    /// The key is ours.
    Done,
    /// Another lease holds it: a live node of the same name, or our own
    /// dead predecessor whose lease has not expired yet.
    Busy,
}

/// Creates the node key on `lease` unless another lease holds it.
pub(crate) fn register(
    etcd: &mut Etcd,
    me: &str,
    repl: &str,
    lease: i64,
) -> Result<Register, EtcdError> {
    let key = keys::node(me);
    let r = etcd.txn(
        &[Compare::CreateRevision(key.clone(), 0)],
        &[Op::Put(key.clone(), keys::node_value(repl), lease)],
        &[Op::Get(key)],
    )?;
    if r.succeeded {
        return Ok(Register::Done);
    }
    Ok(match r.gets.first() {
        Some(Some(kv)) if kv.lease == lease => Register::Done,
        _ => Register::Busy,
    })
}

/// Grants a lease and registers the node, waiting up to TTL + 1 s for a
/// predecessor's key to expire (keeping the new lease alive meanwhile).
/// Returns the lease and when its last keepalive was sent, or
/// `Ok(None)` when the name stays taken (a live duplicate).
pub(crate) fn acquire(
    etcd: &mut Etcd,
    me: &str,
    repl: &str,
    ttl: Duration,
) -> Result<Option<(i64, u64)>, EtcdError> {
    let mut sent = boottime_ns();
    let lease = etcd.grant(ttl.as_secs() as i64)?;
    let give_up = sent + ns(ttl) + 1_000_000_000;
    loop {
        match register(etcd, me, repl, lease)? {
            Register::Done => return Ok(Some((lease, sent))),
            Register::Busy if boottime_ns() > give_up => {
                let _ = etcd.revoke(lease);
                return Ok(None);
            }
            Register::Busy => {
                std::thread::sleep(Duration::from_millis(200));
                sent = boottime_ns();
                if etcd.keepalive(lease)?.is_none() {
                    return Err(EtcdError::Malformed(
                        "lease lost".into(),
                        "/v3/lease/keepalive",
                    ));
                }
            }
        }
    }
}

/// The keepalive thread: renews the lease every TTL/5 and moves the
/// node's deadline to (send time + TTL - margin) on each success.
pub(crate) fn keepalive(
    mut etcd: Etcd,
    node: Arc<NodeState>,
    lease: Arc<AtomicI64>,
    lost: Arc<AtomicBool>,
    ttl: Duration,
    stop: Arc<AtomicBool>,
) {
    let every = (ttl / 5).max(Duration::from_millis(100));
    while !stop.load(Acquire) {
        let id = lease.load(Acquire);
        let sent = boottime_ns();
        if id != 0 {
            match etcd.keepalive(id) {
                Ok(Some(_)) => {
                    // Only for the lease it renewed (the elector may have
                    // replaced it meanwhile).
                    if lease.load(Acquire) == id {
                        node.deadline.fetch_max(deadline_after(sent, ttl), AcqRel);
                    }
                }
                Ok(None) => {
                    if lease.load(Acquire) == id {
                        node.deadline.store(0, Release);
                        lost.store(true, Release);
                    }
                }
                Err(e) => tracing::debug!(error = %e, "ha: keepalive failed"),
            }
        }
        let next = sent + ns(every);
        let now = boottime_ns();
        if next > now {
            std::thread::park_timeout(Duration::from_nanos(next - now));
        }
    }
}

/// Per (session, peer): the last acknowledged record seen and since when.
#[derive(Clone, Copy, Default)]
struct Progress {
    acked: u64,
    since: u64,
}

pub(crate) struct Elector {
    pub(crate) me: String,
    pub(crate) repl: String,
    pub(crate) settings: HaSettings,
    pub(crate) etcd: Etcd,
    pub(crate) node: Arc<NodeState>,
    pub(crate) sessions: Vec<Arc<SessionHa>>,
    pub(crate) replica: Arc<Replica>,
    pub(crate) lease: Arc<AtomicI64>,
    pub(crate) lost: Arc<AtomicBool>,
    pub(crate) held: Arc<Vec<AtomicBool>>,
    pub(crate) events: mpsc::Sender<HaEvent>,
    pub(crate) stop: Arc<AtomicBool>,
    pub(crate) status_path: Option<PathBuf>,
    pub(crate) leaders: super::shared::Leaders,
}

impl Elector {
    pub(crate) fn run(mut self) {
        let n = self.sessions.len();
        let peers = self.node.feeds.len();
        let mut holdoff = vec![0u64; n];
        let mut progress = vec![vec![Progress::default(); peers]; n];
        let mut retry_at = 0u64;
        let mut backoff = Duration::from_millis(100);
        let mut told = false;
        let mut last_status = 0u64;
        while !self.stop.load(Acquire) {
            let now = boottime_ns();
            let lease = self.lease.load(Acquire);
            if lease == 0 {
                if now >= retry_at {
                    match acquire(
                        &mut self.etcd,
                        &self.me,
                        &self.repl,
                        self.settings.lease_ttl,
                    ) {
                        Ok(Some((id, sent))) => {
                            self.node
                                .deadline
                                .store(deadline_after(sent, self.settings.lease_ttl), Release);
                            self.lease.store(id, Release);
                            backoff = Duration::from_millis(100);
                            told = false;
                            tracing::info!(node = self.me, lease = id, "ha: registered in etcd");
                        }
                        Ok(None) => {
                            tracing::error!(
                                node = self.me,
                                "ha: HaNodeName is already live in etcd: this node will not lead"
                            );
                            let _ = self.events.send(HaEvent::Duplicate(self.me.clone()));
                            retry_at = now + ns(Duration::from_secs(1));
                        }
                        Err(e) => {
                            if !told {
                                tracing::warn!(error = %e, "ha: etcd unreachable: standing by, retrying with backoff");
                                told = true;
                            }
                            retry_at = now + ns(backoff);
                            backoff = (backoff * 2).min(Duration::from_secs(2));
                        }
                    }
                }
            } else if self.lost.swap(false, AcqRel) {
                self.step_down_all("the lease is gone (expired or revoked)", &mut holdoff);
                self.lease.store(0, Release);
            } else if !self.node.lease_valid(now) {
                self.step_down_all(
                    "no keepalive confirmed before the local deadline",
                    &mut holdoff,
                );
                let _ = self.etcd.revoke(lease);
                self.lease.store(0, Release);
            } else if let Err(e) = self.tick(now, lease, &mut holdoff, &mut progress) {
                tracing::debug!(error = %e, "ha: etcd poll failed");
            }
            if self.status_path.is_some() && now >= last_status + 500_000_000 {
                last_status = now;
                self.write_status();
            }
            std::thread::park_timeout(TICK);
        }
        // A clean stop hands over at once instead of after the TTL.
        self.step_down_all("stopping", &mut holdoff);
        let lease = self.lease.swap(0, AcqRel);
        if lease != 0 {
            let _ = self.etcd.revoke(lease);
        }
    }

    fn step_down(&self, i: usize, reason: &str, holdoff: &mut [u64]) {
        let s = &self.sessions[i];
        if s.token.swap(0, AcqRel) == 0 {
            return;
        }
        for p in &s.peers {
            p.in_sync.store(false, Release);
        }
        s.fallback.store(false, Relaxed);
        // A store the runtime did not take goes (and its lock with it).
        drop(s.take_store());
        // Let another node win first: a node that just lost its key does
        // not race to take it straight back.
        holdoff[i] = boottime_ns() + ns(self.settings.lease_ttl / 2);
        tracing::warn!(session = s.name, reason, "ha: stepping down");
        let _ = self.events.send(HaEvent::SteppedDown {
            session: i,
            reason: reason.to_owned(),
        });
    }

    fn step_down_all(&self, reason: &str, holdoff: &mut [u64]) {
        for i in 0..self.sessions.len() {
            self.step_down(i, reason, holdoff);
        }
    }

    fn tick(
        &mut self,
        now: u64,
        lease: i64,
        holdoff: &mut [u64],
        progress: &mut [Vec<Progress>],
    ) -> Result<(), EtcdError> {
        let kvs = self.etcd.range_prefix(keys::PREFIX.as_bytes())?;
        let find = |k: &[u8]| kvs.iter().find(|kv| kv.key == k);
        for i in 0..self.sessions.len() {
            let s = self.sessions[i].clone();
            let lk = keys::leader(&s.name);
            let ik = keys::insync(&s.name);
            let leader = find(&lk);
            let insync = find(&ik);
            if let Ok(mut l) = self.leaders.lock() {
                l[i] = leader.map(|kv| (keys::leader_node(&kv.value), kv.create_revision as u64));
            }
            let token = s.token();
            if token != 0 {
                let mine = leader
                    .is_some_and(|kv| kv.create_revision as u64 == token && kv.lease == lease);
                if !mine {
                    self.step_down(i, "the election key is gone or another node's", holdoff);
                    continue;
                }
                self.maintain(i, token, insync, now, &mut progress[i])?;
                continue;
            }
            if let Some(kv) = leader {
                self.replica.observe(i, kv.create_revision as u64);
                continue;
            }
            if self.held[i].load(Acquire) || now < holdoff[i] {
                continue;
            }
            let eligible = insync.is_none_or(|kv| keys::insync_nodes(&kv.value).contains(&self.me));
            if eligible {
                self.campaign(i, lease, insync.map_or(0, |kv| kv.mod_revision))?;
            }
        }
        Ok(())
    }

    fn campaign(&mut self, i: usize, lease: i64, insync_rev: i64) -> Result<(), EtcdError> {
        let s = self.sessions[i].clone();
        let lk = keys::leader(&s.name);
        let ik = keys::insync(&s.name);
        let r = self.etcd.txn(
            &[
                Compare::CreateRevision(lk.clone(), 0),
                Compare::ModRevision(ik.clone(), insync_rev),
            ],
            &[
                Op::Put(lk, keys::leader_value(&self.me, &self.repl), lease),
                Op::Put(ik, keys::insync_value(std::slice::from_ref(&self.me)), 0),
            ],
            &[],
        )?;
        if !r.succeeded || r.revision <= 0 {
            return Ok(());
        }
        let token = r.revision as u64;
        let store = self.replica.release(i, token);
        if let Ok(mut h) = s.handoff.lock() {
            *h = store;
        }
        for p in &s.peers {
            p.in_sync.store(false, Release);
            p.reset();
        }
        // No standby in sync yet: a sync leader runs unprotected until
        // one catches up.
        s.fallback.store(
            s.mode == HaReplication::Sync && !s.peers.is_empty(),
            Relaxed,
        );
        s.recompute_limit();
        self.held[i].store(true, Release);
        s.token.store(token, Release);
        tracing::info!(session = s.name, token, "ha: leading");
        let raise = match s.mode {
            HaReplication::Async => s.max_unacked,
            HaReplication::Sync => 0,
        };
        let _ = self.events.send(HaEvent::BecameLeader {
            session: i,
            token,
            raise_sender_by: raise,
        });
        Ok(())
    }

    /// Writes the in-sync set, guarded by this node's election key.
    fn put_insync(&mut self, i: usize, token: u64, nodes: &[String]) -> Result<bool, EtcdError> {
        let s = &self.sessions[i];
        let r = self.etcd.txn(
            &[Compare::CreateRevision(keys::leader(&s.name), token as i64)],
            &[Op::Put(keys::insync(&s.name), keys::insync_value(nodes), 0)],
            &[],
        )?;
        Ok(r.succeeded)
    }

    fn maintain(
        &mut self,
        i: usize,
        token: u64,
        insync: Option<&Kv>,
        now: u64,
        progress: &mut [Progress],
    ) -> Result<(), EtcdError> {
        let s = self.sessions[i].clone();
        let mut nodes = insync
            .map(|kv| keys::insync_nodes(&kv.value))
            .unwrap_or_default();
        let names = self
            .node
            .peer_names
            .lock()
            .map(|n| n.clone())
            .unwrap_or_default();
        let timeout = ns(self.settings.sync_timeout);
        for (p, name) in names.iter().enumerate() {
            let Some(name) = name else { continue };
            let st = &s.peers[p];
            let (lag, _) = s.lag(p);
            let acked = st.acked_rid.load(Acquire);
            let live = st.live.load(Acquire);
            let pr = &mut progress[p];
            if acked != pr.acked || lag == 0 {
                *pr = Progress { acked, since: now };
            }
            let listed = nodes.contains(name);
            if st.in_sync.load(Acquire) {
                let stuck = lag > 0 && now.saturating_sub(pr.since) >= timeout;
                if !live || stuck {
                    let rest: Vec<String> = nodes.iter().filter(|n| *n != name).cloned().collect();
                    if self.put_insync(i, token, &rest)? {
                        nodes = rest;
                        st.in_sync.store(false, Release);
                        s.recompute_limit();
                        let why = if live {
                            "did not acknowledge within HaSyncTimeout"
                        } else {
                            "its stream is down"
                        };
                        let alone = s.peers.iter().all(|p| !p.in_sync.load(Acquire));
                        if s.mode == HaReplication::Sync && alone {
                            s.fallback.store(true, Relaxed);
                            s.fallbacks.fetch_add(1, Relaxed);
                            tracing::warn!(session = s.name, standby = name, why, "ha: HaReplication=sync falls back to async until a standby catches up");
                        } else {
                            tracing::warn!(
                                session = s.name,
                                standby = name,
                                why,
                                "ha: standby dropped from the in-sync set"
                            );
                        }
                    }
                }
            } else if listed {
                // Listed but not waited for: never leave it eligible.
                let rest: Vec<String> = nodes.iter().filter(|n| *n != name).cloned().collect();
                if self.put_insync(i, token, &rest)? {
                    nodes = rest;
                }
            } else if live && st.synced.load(Acquire) && lag < s.max_unacked.max(1) {
                // Wait for it first, then make it eligible.
                st.in_sync.store(true, Release);
                s.recompute_limit();
                let mut with = nodes.clone();
                for n in [&self.me, name] {
                    if !with.contains(n) {
                        with.push(n.clone());
                    }
                }
                if self.put_insync(i, token, &with)? {
                    nodes = with;
                    tracing::info!(session = s.name, standby = name, "ha: standby in sync");
                    if s.fallback.swap(false, Relaxed) {
                        tracing::info!(session = s.name, "ha: HaReplication=sync resumed");
                    }
                } else {
                    st.in_sync.store(false, Release);
                    s.recompute_limit();
                }
            }
        }
        Ok(())
    }

    fn write_status(&self) {
        let Some(path) = &self.status_path else {
            return;
        };
        let names = self
            .node
            .peer_names
            .lock()
            .map(|n| n.clone())
            .unwrap_or_default();
        let leaders = self.leaders.lock().map(|l| l.clone()).unwrap_or_default();
        let sessions: Vec<serde_json::Value> = self
            .sessions
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let standbys: Vec<serde_json::Value> = names
                    .iter()
                    .enumerate()
                    .filter_map(|(p, n)| n.as_ref().map(|n| (p, n)))
                    .map(|(p, n)| {
                        let (records, bytes) = s.lag(p);
                        serde_json::json!({
                            "name": n,
                            "lag_records": records,
                            "lag_bytes": bytes,
                            "in_sync": s.peers[p].in_sync.load(Acquire),
                            "streaming": s.peers[p].live.load(Acquire),
                        })
                    })
                    .collect();
                let (leader, token) = leaders.get(i).cloned().flatten().unwrap_or_default();
                serde_json::json!({
                    "session": s.name,
                    "role": if s.token() != 0 { "leader" } else { "standby" },
                    "leader": leader,
                    "token": token,
                    "fallback": s.fallback_active(),
                    "fallbacks": s.fallback_count(),
                    "standbys": if s.token() != 0 { standbys } else { Vec::new() },
                })
            })
            .collect();
        let doc = serde_json::json!({ "node": self.me, "sessions": sessions });
        let tmp = path.with_extension("tmp");
        if std::fs::write(&tmp, doc.to_string()).is_ok() {
            let _ = std::fs::rename(&tmp, path);
        }
    }
}
