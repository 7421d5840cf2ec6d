//! The leader side: one thread per peer (`HaPeers` entry) keeps one TCP
//! stream to it for every session this node leads. A session joins the
//! stream with its fencing token; the standby answers with what it holds,
//! the thread sends what it lacks from the journal (catch-up) and then the
//! live records queued by the store wrapper. A second thread reads the
//! standby's acknowledgements into the session's atomics.

use std::io::{self, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering::*};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use super::clock::boottime_ns;
use super::shared::{NodeState, SessionHa};
use super::wire::{self, Frame, RecordKind};
use crate::config::HostPort;
use crate::store::StoreReader;

/// How long a write to a standby may block before the stream counts as
/// dead (a partitioned standby must not hold the leader's thread).
const WRITE_TIMEOUT: Duration = Duration::from_secs(1);
/// A refused session is offered again after this long.
const REFUSED_RETRY_NS: u64 = 500_000_000;

/// What the acknowledgement reader passes to the stream thread.
enum Control {
    State(u32, super::replica::SlotState),
    Refuse(u32, String),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Join {
    Idle,
    /// Join sent with this token; waiting for the standby's State.
    Joining(u64),
    Live(u64),
    /// Refused; offer again at this boot time.
    Refused(u64),
}

/// Everything a peer thread needs.
pub(crate) struct Peer {
    pub(crate) index: usize,
    pub(crate) addr: HostPort,
    pub(crate) me: String,
    pub(crate) node: Arc<NodeState>,
    pub(crate) sessions: Vec<Arc<SessionHa>>,
    pub(crate) stop: Arc<AtomicBool>,
    pub(crate) tls: Option<super::tls::ReplicationTls>,
}

impl Peer {
    /// Connects (and reconnects, with backoff) until `stop`.
    pub(crate) fn run(self) {
        let feed = &self.node.feeds[self.index];
        let _ = feed.thread.set(std::thread::current());
        let mut backoff = Duration::from_millis(50);
        let mut told = false;
        while !self.stop.load(Acquire) {
            match self.connect() {
                Ok(conn) => {
                    backoff = Duration::from_millis(50);
                    told = false;
                    if let Err(e) = self.stream(conn) {
                        tracing::warn!(peer = %self.addr_text(), error = %e, "ha: stream to standby ended");
                    }
                    self.forget();
                }
                Err(e) => {
                    if !told {
                        tracing::info!(peer = %self.addr_text(), error = %e, "ha: standby not reachable, retrying");
                        told = true;
                    }
                    std::thread::park_timeout(backoff);
                    backoff = (backoff * 2).min(Duration::from_millis(500));
                }
            }
        }
    }

    fn addr_text(&self) -> String {
        format!("{}:{}", self.addr.host, self.addr.port)
    }

    fn connect(&self) -> io::Result<TcpStream> {
        let addr = (self.addr.host.as_str(), self.addr.port)
            .to_socket_addrs()?
            .next()
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no address"))?;
        TcpStream::connect_timeout(&addr, Duration::from_millis(500))
    }

    /// The stream ended: no session is live on it any more.
    fn forget(&self) {
        for s in &self.sessions {
            let peer = &s.peers[self.index];
            peer.live.store(false, SeqCst);
            // Acknowledgements count per stream (a restarted standby may
            // have lost what it acknowledged to a power cut).
            peer.reset();
            s.recompute_limit();
        }
        let feed = &self.node.feeds[self.index];
        while let Some(r) = feed.queue.pop() {
            let _ = feed.free.push(r.bytes);
        }
    }

    fn stream(&self, conn: TcpStream) -> io::Result<()> {
        conn.set_nodelay(true)?;
        conn.set_write_timeout(Some(WRITE_TIMEOUT))?;
        conn.set_read_timeout(Some(Duration::from_secs(2)))?;
        let (r, w): (Box<dyn Read + Send>, Box<dyn Write + Send>) = match &self.tls {
            Some(tls) => {
                let (r, w) = super::tls::client(tls, &self.addr.host, &conn)?;
                (Box::new(r), Box::new(w))
            }
            None => (Box::new(conn.try_clone()?), Box::new(conn.try_clone()?)),
        };
        let mut out = Out {
            conn: w,
            buf: Vec::with_capacity(256 << 10),
        };
        let mut reader = BufReader::new(r);
        let mut body = Vec::new();
        out.frame(&Frame::Hello(&self.me))?;
        out.flush()?;
        wire::read_body(&mut reader, &mut body)?;
        let name = match wire::decode(&body)? {
            Frame::HelloAck(name) => name.to_owned(),
            other => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("expected HelloAck, got {other:?}"),
                ))
            }
        };
        tracing::info!(peer = %self.addr_text(), standby = name, "ha: streaming to standby");
        if let Ok(mut names) = self.node.peer_names.lock() {
            if let Some(slot) = names.get_mut(self.index) {
                *slot = Some(name);
            }
        }
        conn.set_read_timeout(None)?;
        let feed = &self.node.feeds[self.index];
        self.forget();
        feed.overflow.store(false, SeqCst);

        let dead = Arc::new(AtomicBool::new(false));
        let (tx, rx) = mpsc::channel();
        let acks = {
            let (dead, sessions, p) = (dead.clone(), self.sessions.clone(), self.index);
            let me = std::thread::current();
            std::thread::Builder::new()
                .name("ha-acks".into())
                .spawn(move || {
                    let _ = read_acks(reader, &sessions, p, &tx);
                    dead.store(true, SeqCst);
                    me.unpark();
                })?
        };
        let result = self.pump(&mut out, &rx, &dead);
        let _ = conn.shutdown(Shutdown::Both);
        let _ = acks.join();
        result
    }

    /// Joins sessions, serves catch-ups and forwards live records until
    /// the stream breaks.
    fn pump(&self, w: &mut Out, rx: &mpsc::Receiver<Control>, dead: &AtomicBool) -> io::Result<()> {
        let p = self.index;
        let feed = &self.node.feeds[p];
        let mut joins = vec![Join::Idle; self.sessions.len()];
        loop {
            if self.stop.load(Acquire) || dead.load(SeqCst) {
                return Ok(());
            }
            if feed.overflow.load(SeqCst) {
                return Err(io::Error::other(
                    "replication queue overflowed: resynchronising",
                ));
            }
            let mut wrote = false;
            let now = boottime_ns();
            for (i, s) in self.sessions.iter().enumerate() {
                let token = s.token();
                let state = joins[i];
                match state {
                    Join::Idle => {}
                    Join::Refused(at) if now < at => continue,
                    Join::Refused(_) => joins[i] = Join::Idle,
                    Join::Joining(t) | Join::Live(t) if t == token => continue,
                    Join::Joining(_) | Join::Live(_) => {
                        s.peers[p].live.store(false, SeqCst);
                        joins[i] = Join::Idle;
                    }
                }
                // A new term: the standby must catch up and acknowledge
                // again before it counts.
                s.peers[p].reset();
                s.recompute_limit();
                if token != 0 {
                    let join = Frame::Join {
                        sid: s.index,
                        token,
                        name: &s.name,
                    };
                    w.frame(&join)?;
                    joins[i] = Join::Joining(token);
                    wrote = true;
                }
            }
            for ctl in rx.try_iter() {
                match ctl {
                    Control::State(sid, st) => {
                        let i = sid as usize;
                        let (Some(s), Some(&Join::Joining(t))) =
                            (self.sessions.get(i), joins.get(i))
                        else {
                            continue;
                        };
                        match self.catch_up(w, s, t, st) {
                            Ok(()) => joins[i] = Join::Live(t),
                            Err(CatchUp::Store(e)) => {
                                tracing::warn!(
                                    session = s.name,
                                    error = e,
                                    "ha: catch-up cannot read the journal"
                                );
                                s.peers[p].live.store(false, SeqCst);
                                joins[i] = Join::Refused(now + REFUSED_RETRY_NS);
                            }
                            Err(CatchUp::Io(e)) => return Err(e),
                        }
                        wrote = true;
                    }
                    Control::Refuse(sid, reason) => {
                        let i = sid as usize;
                        if let Some(s) = self.sessions.get(i) {
                            tracing::info!(
                                session = s.name,
                                reason,
                                "ha: standby refused the session"
                            );
                            s.peers[p].live.store(false, SeqCst);
                            s.peers[p].reset();
                            s.recompute_limit();
                            joins[i] = Join::Refused(now + REFUSED_RETRY_NS);
                        }
                    }
                }
            }
            while let Some(r) = feed.queue.pop() {
                let live =
                    matches!(joins.get(r.sid as usize), Some(&Join::Live(t)) if t == r.token);
                if live {
                    let frame = Frame::Record {
                        sid: r.sid,
                        kind: r.kind,
                        token: r.token,
                        rid: r.rid,
                        cum: r.cum,
                        value: r.value,
                        bytes: &r.bytes,
                    };
                    w.frame(&frame)?;
                    wrote = true;
                }
                let _ = feed.free.push(r.bytes);
            }
            if wrote {
                w.flush()?;
            } else {
                std::thread::park_timeout(Duration::from_millis(20));
            }
        }
    }

    fn catch_up(
        &self,
        w: &mut Out,
        s: &SessionHa,
        token: u64,
        st: super::replica::SlotState,
    ) -> Result<(), CatchUp> {
        let p = self.index;
        // Live first, then the snapshot: a record missing from the queue
        // was appended before `live` was set, so the journal has it.
        s.peers[p].live.store(true, SeqCst);
        let rid = s.head_rid.load(SeqCst);
        let cum = s.head_bytes.load(SeqCst);
        let reader =
            StoreReader::open(s.files.clone()).map_err(|e| CatchUp::Store(e.to_string()))?;
        let creation = reader.creation_time().as_nanos();
        let sid = s.index;
        fn record(sid: u32, token: u64, kind: RecordKind, value: u64, bytes: &[u8]) -> Frame<'_> {
            Frame::Record {
                sid,
                kind,
                token,
                rid: 0,
                cum: 0,
                value,
                bytes,
            }
        }
        let from = if creation != st.creation {
            w.frame(&record(sid, token, RecordKind::Reset, creation as u64, &[]))?;
            1
        } else {
            st.max_seq + 1
        };
        let mut failed = None;
        let mut sent = 0u64;
        reader.get_range(from, u64::MAX, &mut |seq, bytes| {
            if failed.is_none() {
                failed = w
                    .frame(&record(sid, token, RecordKind::Append, seq, bytes))
                    .err();
                sent += 1;
            }
        });
        if let Some(e) = failed {
            return Err(CatchUp::Io(e));
        }
        let seqs = [
            (RecordKind::SenderSeq, reader.next_sender_seq()),
            (RecordKind::TargetSeq, reader.next_target_seq()),
        ];
        for (kind, value) in seqs {
            w.frame(&record(sid, token, kind, value, &[]))?;
        }
        let synced = Frame::Synced {
            sid: s.index,
            token,
            rid,
            cum,
        };
        w.frame(&synced)?;
        tracing::info!(
            session = s.name,
            peer = %self.addr_text(),
            messages = sent,
            from,
            "ha: standby caught up from the journal"
        );
        Ok(())
    }
}

enum CatchUp {
    Store(String),
    Io(io::Error),
}

impl From<io::Error> for CatchUp {
    fn from(e: io::Error) -> Self {
        Self::Io(e)
    }
}

/// Frames encoded into one buffer, written out in batches.
struct Out {
    conn: Box<dyn Write + Send>,
    buf: Vec<u8>,
}

impl Out {
    fn frame(&mut self, frame: &Frame<'_>) -> io::Result<()> {
        wire::encode(&mut self.buf, frame);
        if self.buf.len() > 128 << 10 {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        let r = self
            .conn
            .write_all(&self.buf)
            .and_then(|()| self.conn.flush());
        self.buf.clear();
        r
    }
}

/// Reads the standby's frames: acknowledgements into the session's
/// atomics (and a new send limit), the rest to the stream thread.
fn read_acks(
    mut reader: BufReader<Box<dyn Read + Send>>,
    sessions: &[Arc<SessionHa>],
    p: usize,
    tx: &mpsc::Sender<Control>,
) -> io::Result<()> {
    let mut body = Vec::new();
    loop {
        wire::read_body(&mut reader, &mut body)?;
        match wire::decode(&body)? {
            Frame::Ack {
                sid,
                token,
                rid,
                cum,
            } => {
                // Only acknowledgements of this term count.
                if let Some(s) = sessions.get(sid as usize).filter(|s| s.token() == token) {
                    let peer = &s.peers[p];
                    peer.acked_bytes.fetch_max(cum, AcqRel);
                    peer.acked_rid.fetch_max(rid, AcqRel);
                    peer.synced.store(true, Release);
                    s.recompute_limit();
                }
            }
            Frame::State {
                sid,
                creation,
                next_sender,
                next_target,
                max_seq,
            } => {
                let st = super::replica::SlotState {
                    creation,
                    next_sender,
                    next_target,
                    max_seq,
                };
                let _ = tx.send(Control::State(sid, st));
            }
            Frame::Refuse { sid, reason } => {
                let _ = tx.send(Control::Refuse(sid, reason.to_owned()));
            }
            other => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("unexpected frame from a standby: {other:?}"),
                ))
            }
        }
    }
}
