//! The standby side: takes leaders' streams on `HaReplicationListen` and
//! writes their records into this node's own file stores (acknowledged
//! once written: in the page cache; `StoreFsync` decides disk).
//!
//! A session's slot holds its store while this node stands by; when the
//! node wins the session, the slot releases the store (the runtime opens
//! it) and refuses every stream for it until the node steps down.

use std::collections::HashMap;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering::*};
use std::sync::{Arc, Mutex, MutexGuard};

use super::wire::{self, Frame, RecordKind};
use crate::store::{FileStore, FileStoreOptions, MessageStore, StoreFiles, UtcTimestamp};

/// One session's store as a standby holds it.
struct Slot {
    files: StoreFiles,
    options: FileStoreOptions,
    store: Option<FileStore>,
    /// Highest fencing token seen (streams and etcd): older ones are stale.
    max_token: u64,
    /// This node leads the session: the runtime has the store.
    released: bool,
}

/// What a standby holds of one session (the answer to `Join`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotState {
    /// Creation time (ns).
    pub creation: i64,
    /// Next sender sequence number.
    pub next_sender: u64,
    /// Next target sequence number.
    pub next_target: u64,
    /// Highest stored sequence number, 0 for none.
    pub max_seq: u64,
}

/// The standby stores of every HA session of this node.
pub struct Replica {
    slots: Vec<Mutex<Slot>>,
    by_name: HashMap<String, usize>,
}

impl Replica {
    /// One slot per session: `(name, files, options)` in config order.
    pub fn new(sessions: Vec<(String, StoreFiles, FileStoreOptions)>) -> Self {
        let by_name = sessions
            .iter()
            .enumerate()
            .map(|(i, (name, _, _))| (name.clone(), i))
            .collect();
        let slots = sessions
            .into_iter()
            .map(|(_, files, options)| {
                Mutex::new(Slot {
                    files,
                    options,
                    store: None,
                    max_token: 0,
                    released: false,
                })
            })
            .collect();
        Self { slots, by_name }
    }

    fn slot(&self, i: usize) -> Option<MutexGuard<'_, Slot>> {
        // A panic while holding a slot cannot leave a store half-written
        // in memory (the store's own state is in its files): go on.
        self.slots
            .get(i)
            .map(|m| m.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The local index of the session named `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.by_name.get(name).copied()
    }

    /// This node now leads session `i`: refuses streams for it from now
    /// on and hands over its open store (the runtime takes it rather than
    /// open the files again: a takeover waits for nothing).
    pub fn release(&self, i: usize, token: u64) -> Option<FileStore> {
        let mut s = self.slot(i)?;
        s.released = true;
        s.max_token = s.max_token.max(token);
        s.store.take()
    }

    /// This node stepped down from session `i`: streams may come again.
    pub fn adopt(&self, i: usize) {
        if let Some(mut s) = self.slot(i) {
            s.released = false;
        }
    }

    /// A fencing token seen in etcd: streams with older ones are stale.
    pub fn observe(&self, i: usize, token: u64) {
        if let Some(mut s) = self.slot(i) {
            s.max_token = s.max_token.max(token);
        }
    }

    /// A leader with `token` starts streaming session `i`.
    pub fn join(&self, i: usize, token: u64) -> Result<SlotState, String> {
        let mut s = self.slot(i).ok_or("unknown session")?;
        check(&s, token)?;
        s.max_token = token;
        let store = open(&mut s)?;
        Ok(SlotState {
            creation: store.creation_time().as_nanos(),
            next_sender: store.next_sender_seq(),
            next_target: store.next_target_seq(),
            max_seq: store.seq_range().map_or(0, |(_, hi)| hi),
        })
    }

    /// Writes one record from a leader with `token` into session `i`.
    pub fn apply(
        &self,
        i: usize,
        token: u64,
        kind: RecordKind,
        value: u64,
        bytes: &[u8],
    ) -> Result<(), String> {
        let mut s = self.slot(i).ok_or("unknown session")?;
        check(&s, token)?;
        s.max_token = token;
        let store = open(&mut s)?;
        let err = |e: crate::store::StoreError| e.to_string();
        match kind {
            RecordKind::Append => store.append(value, bytes).map_err(err),
            // Within one creation time both numbers only grow: a copy that
            // arrives twice (catch-up overlapping the live stream) is a no-op.
            RecordKind::SenderSeq if value > store.next_sender_seq() => {
                store.set_next_sender_seq(value).map_err(err)
            }
            RecordKind::TargetSeq if value > store.next_target_seq() => {
                store.set_next_target_seq(value).map_err(err)
            }
            RecordKind::SenderSeq | RecordKind::TargetSeq => Ok(()),
            RecordKind::Reset => {
                let creation = UtcTimestamp::from_nanos(value as i64);
                if store.creation_time() == creation {
                    Ok(())
                } else {
                    store.reset(creation).map_err(err)
                }
            }
        }
    }

    /// The standby's fsync policy and upkeep, between batches.
    pub fn upkeep(&self, i: usize) {
        if let Some(mut s) = self.slot(i) {
            if let Some(store) = s.store.as_mut() {
                let now = crate::time::MonoTime::now();
                let _ = store.sync(now);
                for _ in 0..4 {
                    if !store.upkeep_due() || !matches!(store.upkeep_step(now), Ok(true)) {
                        break;
                    }
                }
            }
        }
    }
}

fn check(s: &Slot, token: u64) -> Result<(), String> {
    if s.released {
        return Err("this node leads the session".into());
    }
    if token < s.max_token {
        return Err(format!(
            "stale fencing token {token} (seen {})",
            s.max_token
        ));
    }
    Ok(())
}

fn open(s: &mut Slot) -> Result<&mut FileStore, String> {
    if s.store.is_none() {
        let store = FileStore::open(s.files.clone(), s.options.clone(), UtcTimestamp::now())
            .map_err(|e| e.to_string())?;
        s.store = Some(store);
    }
    s.store.as_mut().ok_or_else(|| "no store".into())
}

/// Accepts leaders' streams until `stop` is set (then one more connection,
/// e.g. from the stopper, ends the loop).
pub fn serve(
    listener: TcpListener,
    replica: Arc<Replica>,
    me: String,
    stop: Arc<AtomicBool>,
    tls: Option<super::tls::ReplicationTls>,
) {
    // Open streams, closed when the node stops (their threads then end).
    let mut open: Vec<TcpStream> = Vec::new();
    for conn in listener.incoming() {
        if stop.load(Acquire) {
            for c in open {
                let _ = c.shutdown(std::net::Shutdown::Both);
            }
            return;
        }
        let Ok(conn) = conn else { continue };
        open.retain(|c| c.peer_addr().is_ok());
        if let Ok(c) = conn.try_clone() {
            open.push(c);
        }
        let (replica, me, tls) = (replica.clone(), me.clone(), tls.clone());
        let spawned = std::thread::Builder::new()
            .name("ha-standby".into())
            .spawn(move || {
                if let Err(e) = stream(conn, &replica, &me, tls.as_ref()) {
                    if e.kind() != io::ErrorKind::UnexpectedEof {
                        tracing::info!(error = %e, "ha: replication stream ended");
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "ha: cannot start a stream thread");
        }
    }
}

/// One leader's stream.
fn stream(
    conn: TcpStream,
    replica: &Replica,
    me: &str,
    tls: Option<&super::tls::ReplicationTls>,
) -> io::Result<()> {
    conn.set_nodelay(true)?;
    let (r, w): (Box<dyn Read + Send>, Box<dyn Write + Send>) = match tls {
        Some(tls) => {
            // The handshake may not hold the thread forever.
            conn.set_read_timeout(Some(std::time::Duration::from_secs(5)))?;
            let (r, w) = super::tls::server(tls, &conn)?;
            conn.set_read_timeout(None)?;
            (Box::new(r), Box::new(w))
        }
        None => (Box::new(conn.try_clone()?), Box::new(conn)),
    };
    let mut reader = BufReader::with_capacity(256 << 10, r);
    let mut writer = BufWriter::new(w);
    let mut body = Vec::new();
    let mut scratch = Vec::new();
    wire::read_body(&mut reader, &mut body)?;
    let leader = match wire::decode(&body)? {
        Frame::Hello(name) => name.to_owned(),
        other => {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("expected Hello, got {other:?}"),
            ))
        }
    };
    wire::write(&mut writer, &mut scratch, &Frame::HelloAck(me))?;
    writer.flush()?;
    tracing::info!(leader, "ha: replication stream from leader");
    // Leader's session index -> ours.
    let mut map: HashMap<u32, usize> = HashMap::new();
    // Per leader session index: highest (rid, cum, token) to acknowledge.
    let mut acks: HashMap<u32, (u64, u64, u64)> = HashMap::new();
    loop {
        wire::read_body(&mut reader, &mut body)?;
        match wire::decode(&body)? {
            Frame::Join { sid, token, name } => {
                let joined = replica
                    .index(name)
                    .ok_or_else(|| format!("no session {name} here"))
                    .and_then(|i| replica.join(i, token).map(|st| (i, st)));
                match joined {
                    Ok((i, st)) => {
                        map.insert(sid, i);
                        let state = Frame::State {
                            sid,
                            creation: st.creation,
                            next_sender: st.next_sender,
                            next_target: st.next_target,
                            max_seq: st.max_seq,
                        };
                        wire::write(&mut writer, &mut scratch, &state)?;
                    }
                    Err(reason) => {
                        map.remove(&sid);
                        let refuse = Frame::Refuse {
                            sid,
                            reason: &reason,
                        };
                        wire::write(&mut writer, &mut scratch, &refuse)?;
                    }
                }
            }
            Frame::Record {
                sid,
                kind,
                token,
                rid,
                cum,
                value,
                bytes,
            } => {
                let Some(&i) = map.get(&sid) else { continue };
                match replica.apply(i, token, kind, value, bytes) {
                    Ok(()) if rid != 0 => {
                        acks.insert(sid, (rid, cum, token));
                    }
                    Ok(()) => {}
                    Err(reason) => {
                        tracing::warn!(leader, reason, "ha: record refused");
                        map.remove(&sid);
                        acks.remove(&sid);
                        let refuse = Frame::Refuse {
                            sid,
                            reason: &reason,
                        };
                        wire::write(&mut writer, &mut scratch, &refuse)?;
                    }
                }
            }
            Frame::Synced {
                sid,
                token,
                rid,
                cum,
            } => {
                let Some(&i) = map.get(&sid) else { continue };
                if replica.join_token_ok(i, token) {
                    acks.insert(sid, (rid, cum, token));
                }
            }
            other => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("unexpected frame from a leader: {other:?}"),
                ))
            }
        }
        if reader.buffer().is_empty() {
            // Nothing more buffered: acknowledge what was written, then
            // block on the next read.
            let mut written = Vec::new();
            for (sid, (rid, cum, token)) in acks.drain() {
                let ack = Frame::Ack {
                    sid,
                    token,
                    rid,
                    cum,
                };
                wire::write(&mut writer, &mut scratch, &ack)?;
                written.extend(map.get(&sid).copied());
            }
            writer.flush()?;
            // The fsync policy after the acknowledgement: acknowledged
            // means written, not synced.
            for i in written {
                replica.upkeep(i);
            }
        }
    }
}

impl Replica {
    fn join_token_ok(&self, i: usize, token: u64) -> bool {
        self.slot(i).is_some_and(|s| check(&s, token).is_ok())
    }
}
