//! The counterparty's durable view of one session (it lives in the test
//! process, which is never killed): everything it sent (to answer
//! ResendRequests), everything it received from the engine (to catch a
//! reused MsgSeqNum or a resend that differs from the original), and what
//! the engine's journal held after each kill.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};

use ringfix_codec::{frame, Frame, Parser, DEFAULT_MAX_MESSAGE_SIZE};
use ringfix_engine::store::{StoreFiles, StoreReader};

/// One message from the engine, owned.
#[derive(Clone, Debug)]
pub struct Msg {
    pub raw: Vec<u8>,
    pub seq: u64,
    pub msg_type: Vec<u8>,
    pub poss_dup: bool,
    pub fields: Vec<(u32, Vec<u8>)>,
}

impl Msg {
    /// Parses one complete frame.
    pub fn parse(parser: &mut Parser, raw: &[u8]) -> Result<Msg, String> {
        let v = parser
            .parse_framed(raw)
            .map_err(|e| format!("unparsable message from engine: {e:?}"))?;
        let seq = v
            .msg_seq_num()
            .map_err(|e| format!("no MsgSeqNum: {e:?}"))?;
        Ok(Msg {
            raw: raw.to_vec(),
            seq,
            msg_type: v.msg_type().to_vec(),
            poss_dup: v.poss_dup().unwrap_or(false),
            fields: v.fields().map(|f| (f.tag, f.value.to_vec())).collect(),
        })
    }

    /// Parses stored bytes (a journal record).
    pub fn from_stored(raw: &[u8]) -> Result<Msg, String> {
        match frame(raw, DEFAULT_MAX_MESSAGE_SIZE) {
            Frame::Complete(len) if len == raw.len() => Msg::parse(&mut Parser::new(), raw),
            other => Err(format!("stored record is not one message: {other:?}")),
        }
    }

    pub fn get(&self, tag: u32) -> Option<&[u8]> {
        self.fields
            .iter()
            .find(|(t, _)| *t == tag)
            .map(|(_, v)| v.as_slice())
    }

    pub fn get_u64(&self, tag: u32) -> Option<u64> {
        std::str::from_utf8(self.get(tag)?).ok()?.parse().ok()
    }

    pub fn is_admin(&self) -> bool {
        is_admin(&self.msg_type)
    }

    /// The fields with those a resend may change (9, 10, 43, 52, 122)
    /// removed, in wire order.
    pub fn normalized(&self) -> Vec<(u32, Vec<u8>)> {
        self.fields
            .iter()
            .filter(|(t, _)| !matches!(t, 9 | 10 | 43 | 52 | 122))
            .cloned()
            .collect()
    }
}

pub fn is_admin(msg_type: &[u8]) -> bool {
    matches!(msg_type, b"0" | b"1" | b"2" | b"3" | b"4" | b"5" | b"A")
}

/// A message the peer sent: enough to resend it.
#[derive(Clone, Debug)]
pub struct Sent {
    pub msg_type: Vec<u8>,
    pub sending_time: ringfix_codec::UtcTimestamp,
    /// Encoded body fields (after the standard header).
    pub body: Vec<u8>,
}

/// What the peer knows about one engine sequence number.
#[derive(Clone, Debug)]
pub enum Recv {
    /// The message (first copy seen).
    Msg(Msg),
    /// Covered by a SequenceReset-GapFill.
    GapFilled,
}

/// Counters for the report.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub trials: u32,
    pub kills_before_logon: u32,
    pub kills_after_logon: u32,
    pub lossy_kills: u32,
    pub engine_msgs: u64,
    pub resent_received: u64,
    pub gap_filled: u64,
    pub gap_fill_msgs: u64,
    pub our_resend_requests: u64,
    pub re_asks: u64,
    pub engine_resend_requests: u64,
    pub logon_resend_checks: u64,
    pub torn_tails_injected: u32,
    pub torn_tails_natural: u32,
    pub torn_tails_repaired: u32,
    pub orders: u64,
    pub duplicate_reports: u64,
    pub final_by_count: bool,
    /// Bytes of the engine's messages first seen as originals (not
    /// PossDup copies, which carry more fields than what was stored), and
    /// how many.
    pub engine_bytes: u64,
    pub engine_sized: u64,
    /// Longest engine message seen.
    pub engine_max_len: usize,
    /// Heartbeats we sent because we had been quiet (`Conn::heartbeats`).
    pub heartbeats_sent: u64,
    /// Heartbeats and TestRequests from the engine.
    pub engine_heartbeats: u64,
    pub engine_test_requests: u64,
    /// Connections made to a killed acceptor's lingering listening socket
    /// (reset unanswered; we reconnected).
    pub dead_listener_resets: u32,
}

/// The durable record.
#[derive(Debug)]
pub struct Record {
    pub label: String,
    pub next_sender: u64,
    pub sent: BTreeMap<u64, Sent>,
    /// Engine sequence numbers from [`recv_base`](Self::recv_base) on.
    pub recv: BTreeMap<u64, Recv>,
    /// Every engine number below this was settled and pruned from `recv`
    /// (long runs: see [`prune`](Self::prune)).
    recv_base: u64,
    /// `recv` holds every number from `recv_base` up to here: where
    /// [`recv_next`](Self::recv_next) resumes its search.
    recv_next_hint: Cell<u64>,
    /// Engine sequence numbers received in this trial and not yet
    /// compared with the journal.
    pub unverified: Vec<u64>,
    /// Gap-filled engine sequence numbers not yet compared with the journal.
    pub gap_filled_unverified: Vec<u64>,
    /// Every (seq -> bytes) the engine's journal has held.
    pub journal: BTreeMap<u64, Vec<u8>>,
    /// The engine's next expected (target) sequence number as stored at
    /// the last kill: what it must ask from when we are ahead.
    pub engine_next_target: u64,
    /// ClOrdID number -> ExecutionReports received (acceptor role).
    pub orders: BTreeMap<u64, u32>,
    pub next_order: u64,
    /// Engine orders answered (initiator role), by engine MsgSeqNum.
    pub answered: BTreeSet<u64>,
    pub violations: Vec<String>,
    pub stats: Stats,
}

impl Record {
    pub fn new(label: String) -> Self {
        Self {
            label,
            next_sender: 1,
            sent: BTreeMap::new(),
            recv: BTreeMap::new(),
            recv_base: 1,
            recv_next_hint: Cell::new(1),
            unverified: Vec::new(),
            gap_filled_unverified: Vec::new(),
            journal: BTreeMap::new(),
            engine_next_target: 1,
            orders: BTreeMap::new(),
            next_order: 0,
            answered: BTreeSet::new(),
            violations: Vec::new(),
            stats: Stats::default(),
        }
    }

    pub fn violation(&mut self, what: String) {
        eprintln!("[{}] VIOLATION: {what}", self.label);
        self.violations.push(what);
    }

    /// Lowest engine sequence number neither received nor gap-filled.
    /// Entries are only ever added (or pruned below the contiguous run),
    /// so the search resumes where the last one ended.
    pub fn recv_next(&self) -> u64 {
        let mut next = self.recv_next_hint.get().max(self.recv_base);
        while self.recv.contains_key(&next) {
            next += 1;
        }
        self.recv_next_hint.set(next);
        next
    }

    /// Engine numbers below this were settled and pruned.
    pub fn recv_base(&self) -> u64 {
        self.recv_base
    }

    /// Bounds the record's memory over a long run (the soak): forgets all
    /// but the last `keep` of the contiguous engine numbers (a copy of one
    /// of those may still come, but only with PossDupFlag, and is then not
    /// compared), all but the last `keep` messages we sent (a
    /// ResendRequest reaching further back gets a GapFill, so orders in it
    /// would stay unanswered and be reported), and answered orders below
    /// the first unanswered one but `keep`. Journal verification
    /// ([`snapshot`](Self::snapshot)) is for the crash trials, which never
    /// prune.
    pub fn prune(&mut self, keep: u64) {
        let base = self.recv_next().saturating_sub(keep).max(self.recv_base);
        if base > self.recv_base {
            self.recv = self.recv.split_off(&base);
            self.recv_base = base;
            self.unverified.retain(|&s| s >= base);
            self.gap_filled_unverified.retain(|&s| s >= base);
        }
        let sent_base = self.next_sender.saturating_sub(keep);
        if self
            .sent
            .first_key_value()
            .is_some_and(|(&s, _)| s < sent_base)
        {
            self.sent = self.sent.split_off(&sent_base);
        }
        let unanswered = self
            .orders
            .iter()
            .find(|(_, &n)| n == 0)
            .map_or(self.next_order, |(&o, _)| o);
        let order_base = unanswered.min(self.next_order.saturating_sub(keep));
        if self
            .orders
            .first_key_value()
            .is_some_and(|(&o, _)| o < order_base)
        {
            self.orders = self.orders.split_off(&order_base);
        }
    }

    /// Highest engine sequence number accounted for.
    pub fn recv_max(&self) -> u64 {
        self.recv
            .keys()
            .next_back()
            .copied()
            .unwrap_or(0)
            .max(self.recv_base - 1)
    }

    /// Reads the engine's store after a kill (or exit) and checks it
    /// against everything seen so far. Returns the reader.
    pub fn snapshot(&mut self, files: &StoreFiles) -> Option<StoreReader> {
        if !files.seqnums().exists() {
            return None;
        }
        let reader = match StoreReader::open(files.clone()) {
            Ok(r) => r,
            Err(e) => {
                self.violation(format!("store unreadable after kill: {e}"));
                return None;
            }
        };
        let mut stored = Vec::new();
        reader.get_range(1, 0, &mut |seq, bytes| stored.push((seq, bytes.to_vec())));
        for (seq, bytes) in stored {
            match self.journal.get(&seq) {
                Some(old) if *old != bytes => self.violation(format!(
                    "journal seq {seq} changed: was {}, now {}",
                    show(old),
                    show(&bytes)
                )),
                Some(_) => {}
                None => {
                    self.journal.insert(seq, bytes);
                }
            }
        }
        self.verify_against_journal();
        let max_seen = self.recv_max_message();
        if reader.next_sender_seq() <= max_seen {
            self.violation(format!(
                "store would reuse: next sender {} but the peer saw {max_seen}",
                reader.next_sender_seq()
            ));
        }
        if let Some(&max_stored) = self.journal.keys().next_back() {
            if reader.next_sender_seq() <= max_stored {
                self.violation(format!(
                    "next sender {} not past stored {max_stored}",
                    reader.next_sender_seq()
                ));
            }
        }
        if reader.next_target_seq() > self.next_sender {
            self.violation(format!(
                "engine expects {} but we only sent up to {}",
                reader.next_target_seq(),
                self.next_sender - 1
            ));
        }
        self.engine_next_target = reader.next_target_seq();
        Some(reader)
    }

    /// Highest engine sequence number received as a message.
    fn recv_max_message(&self) -> u64 {
        self.recv
            .iter()
            .rev()
            .find(|(_, r)| matches!(r, Recv::Msg(_)))
            .map_or(0, |(s, _)| *s)
    }

    /// Every message seen must be what the engine stored before sending
    /// (byte for byte when first sent; a resend may differ only in
    /// 9/10/43/52/122), and every gap-filled number must hold an admin
    /// message in the journal.
    fn verify_against_journal(&mut self) {
        let mut problems = Vec::new();
        for seq in std::mem::take(&mut self.unverified) {
            let Some(Recv::Msg(m)) = self.recv.get(&seq) else {
                continue;
            };
            match self.journal.get(&seq) {
                None => problems.push(format!(
                    "seq {seq} was sent but never stored: {}",
                    show(&m.raw)
                )),
                Some(stored) if !m.poss_dup && *stored != m.raw => problems.push(format!(
                    "seq {seq} sent {} but stored {}",
                    show(&m.raw),
                    show(stored)
                )),
                Some(stored) => match Msg::from_stored(stored) {
                    Ok(s) if s.normalized() != m.normalized() => problems.push(format!(
                        "seq {seq} resent {} differs from stored {}",
                        show(&m.raw),
                        show(stored)
                    )),
                    Ok(_) => {}
                    Err(e) => problems.push(format!("seq {seq}: {e}")),
                },
            }
        }
        let mut keep = Vec::new();
        for seq in std::mem::take(&mut self.gap_filled_unverified) {
            match self.journal.get(&seq).map(|b| Msg::from_stored(b)) {
                Some(Ok(s)) if !s.is_admin() => problems.push(format!(
                    "seq {seq} gap-filled but the journal holds application message {}",
                    show(&s.raw)
                )),
                Some(_) => {}
                // Not stored yet as far as we know: check again later.
                None => keep.push(seq),
            }
        }
        self.gap_filled_unverified = keep;
        for p in problems {
            self.violation(p);
        }
    }
}

/// A message with SOH shown as `|`, shortened.
pub fn show(raw: &[u8]) -> String {
    let s: String = String::from_utf8_lossy(raw).replace('\x01', "|");
    if s.len() > 300 {
        format!("{}...", &s[..300])
    } else {
        s
    }
}
