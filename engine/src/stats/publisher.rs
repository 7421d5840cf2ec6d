//! The writing side: one page per engine, one [`SessionStats`] per session.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use ringfix_codec::UtcTimestamp;

use super::classify;
use super::page::{hdr, page_len, try_flock, Page, MAGIC, SLOT_BYTES, VERSION};
use super::values::{ReactorCounters, SessionCounters, INTERNAL_BOUNDS_NS, USED_WORDS};
use super::{EngineRole, SessionHaRole, StatsError};
use crate::reactor::probe;
use crate::session::SessionState;
use crate::store::FileMode;

/// Owns an engine's stats page: creates it, hands out one writer per
/// session, removes the file when dropped.
#[derive(Debug)]
pub struct StatsPublisher {
    page: Arc<Page>,
    path: PathBuf,
    taken: Vec<bool>,
    reactors_taken: Vec<bool>,
    // Holds the exclusive flock that tells readers the engine is alive.
    _file: File,
}

impl StatsPublisher {
    /// Creates a page for sessions `ids` (in order: slot `i` is `ids[i]`)
    /// in `dir`, named `ringfix-<pid>.stats` (`ringfix-<pid>-<n>.stats` if
    /// this process already publishes one). `now` starts every clock.
    pub fn create_in(dir: &Path, ids: &[String], now: UtcTimestamp) -> Result<Self, StatsError> {
        Self::create_with_reactors(dir, ids, 0, now)
    }

    /// As [`create_in`](Self::create_in), with `reactors` reactor slots
    /// too (see [`reactor`](Self::reactor)).
    pub fn create_with_reactors(
        dir: &Path,
        ids: &[String],
        reactors: usize,
        now: UtcTimestamp,
    ) -> Result<Self, StatsError> {
        FileMode::PRIVATE
            .create_dir_all(dir)
            .map_err(|e| StatsError::io("mkdir", dir, e))?;
        // Two runtimes of one process (tests run them in parallel) would
        // otherwise both pick the same free name and map one file.
        static CREATING: Mutex<()> = Mutex::new(());
        let _one_at_a_time = CREATING.lock().unwrap_or_else(|p| p.into_inner());
        let pid = std::process::id();
        for n in 0..1000u32 {
            let name = if n == 0 {
                format!("ringfix-{pid}.stats")
            } else {
                format!("ringfix-{pid}-{n}.stats")
            };
            let path = dir.join(name);
            if path_is_live(&path) {
                continue;
            }
            return Self::create(path, ids, reactors, now);
        }
        Err(StatsError::io(
            "create",
            dir,
            std::io::Error::other("too many stats pages for this process"),
        ))
    }

    /// Creates (or replaces) the page at `path` with session slots `ids`
    /// and `reactors` reactor slots.
    pub fn create(
        path: PathBuf,
        ids: &[String],
        reactors: usize,
        now: UtcTimestamp,
    ) -> Result<Self, StatsError> {
        let tmp = path.with_extension("stats.tmp");
        // Not truncated at open: another publisher may have this file
        // mapped, and shrinking a mapped file is SIGBUS for it. Truncate
        // only once the lock says nobody else holds it.
        // Owner only: session ids and counters are nobody else's business;
        // `ringfix stats` run by the same user still reads it.
        let mut options = FileMode::PRIVATE.options();
        #[allow(clippy::suspicious_open_options)]
        options.read(true).write(true).create(true);
        let file = FileMode::PRIVATE
            .open(&options, &tmp)
            .map_err(|e| StatsError::io("open", &tmp, e))?;
        if !try_flock(&file, true).map_err(|e| StatsError::io("flock", &tmp, e))? {
            return Err(StatsError::io(
                "flock",
                &tmp,
                std::io::Error::other("another publisher is creating this page"),
            ));
        }
        let len = page_len(ids.len(), reactors);
        file.set_len(0)
            .and_then(|()| file.set_len(len as u64))
            .map_err(|e| StatsError::io("ftruncate", &tmp, e))?;
        let page = Page::map(&file, len, true).map_err(|e| StatsError::io("mmap", &tmp, e))?;
        page.set_header(hdr::VERSION, VERSION);
        page.set_header(hdr::SLOT_BYTES, SLOT_BYTES as u64);
        page.set_header(hdr::PID, u64::from(std::process::id()));
        page.set_header(hdr::SLOTS, ids.len() as u64);
        page.set_header(hdr::STARTED, now.as_nanos() as u64);
        page.set_header(hdr::REACTORS, reactors as u64);
        page.set_header(hdr::ROLE, EngineRole::Primary.code());
        let initial = SessionCounters::new(now).to_words();
        for (slot, id) in ids.iter().enumerate() {
            page.set_id(slot, id);
            page.write_values(slot, &initial);
        }
        // Readers trust nothing before the magic.
        page.set_header(hdr::MAGIC, MAGIC);
        std::fs::rename(&tmp, &path).map_err(|e| StatsError::io("rename", &path, e))?;
        super::leftovers::register(&path);
        Ok(Self {
            page: Arc::new(page),
            path,
            taken: vec![false; ids.len()],
            reactors_taken: vec![false; reactors],
            _file: file,
        })
    }

    /// The page's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The engine's role (a hot standby publishes `Standby`; default
    /// `Primary`), read by the health check.
    pub fn set_role(&self, role: EngineRole) {
        self.page.set_header(hdr::ROLE, role.code());
    }

    /// A writer of the engine's and the sessions' hot standby roles (the
    /// supervisor's, which learns them from the HA node).
    pub fn roles(&self) -> RoleWriter {
        RoleWriter {
            page: Arc::clone(&self.page),
            slots: self.taken.len(),
        }
    }

    /// The writer of slot `idx`; `None` if out of range or already taken
    /// (one writer per session keeps the seqlock single-writer).
    /// Calibrates the probe clock on first use (20 ms, once per process).
    pub fn session(&mut self, idx: usize) -> Option<SessionStats> {
        let taken = self.taken.get_mut(idx)?;
        if *taken {
            return None;
        }
        *taken = true;
        let now = UtcTimestamp::from_nanos(self.page.header(hdr::STARTED) as i64);
        let per_ns = probe::ticks_per_ns();
        let bounds = INTERNAL_BOUNDS_NS.map(|ns| (ns as f64 * per_ns) as u64);
        let values = SessionCounters::new(now);
        Some(SessionStats {
            page: Arc::clone(&self.page),
            slot: idx,
            published: values.to_words(),
            values,
            dirty: false,
            poss_dup: classify::poss_dup_finder(),
            bounds_ticks: bounds,
            ns_per_tick: 1.0 / per_ns,
            queued_before: 0,
        })
    }

    /// The writer of reactor slot `idx`; `None` if out of range or taken.
    pub fn reactor(&mut self, idx: usize) -> Option<ReactorStatsWriter> {
        let taken = self.reactors_taken.get_mut(idx)?;
        if *taken {
            return None;
        }
        *taken = true;
        Some(ReactorStatsWriter {
            page: Arc::clone(&self.page),
            slots: self.taken.len(),
            idx,
        })
    }
}

/// The writer of one reactor's slot.
#[derive(Debug)]
pub struct ReactorStatsWriter {
    page: Arc<Page>,
    slots: usize,
    idx: usize,
}

impl ReactorStatsWriter {
    /// Writes the reactor's counters to the page.
    pub fn publish(&mut self, c: &ReactorCounters) {
        self.page.write_reactor(self.slots, self.idx, &c.to_words());
    }
}

/// Writes hot standby roles: the engine's and each session's (single
/// words, no seqlock: any thread may hold one).
#[derive(Clone, Debug)]
pub struct RoleWriter {
    page: Arc<Page>,
    slots: usize,
}

impl RoleWriter {
    /// The role of the session in slot `idx`.
    pub fn set_session(&self, idx: usize, role: SessionHaRole) {
        if idx < self.slots {
            self.page.set_slot_role(idx, role.code());
        }
    }

    /// The engine's role.
    pub fn set_engine(&self, role: EngineRole) {
        self.page.set_header(hdr::ROLE, role.code());
    }
}

impl Drop for StatsPublisher {
    fn drop(&mut self) {
        // Writers may live on; the page only disappears from the directory.
        super::leftovers::unregister(&self.path);
    }
}

/// Whether a live publisher holds the page at `path`.
fn path_is_live(path: &Path) -> bool {
    match File::open(path) {
        Ok(f) => match try_flock(&f, false) {
            Ok(free) => !free,
            Err(_) => true,
        },
        Err(_) => false,
    }
}

/// The writer of one session's slot. Owned by whoever drives the session
/// (it moves with it between threads). Updates change a local copy
/// (plain integer arithmetic); [`publish`](Self::publish) copies it into
/// the page under the slot's seqlock: about twenty relaxed stores, no
/// lock, no allocation, no system call.
#[derive(Debug)]
pub struct SessionStats {
    page: Arc<Page>,
    slot: usize,
    values: SessionCounters,
    dirty: bool,
    poss_dup: classify::PossDupFinder,
    /// [`INTERNAL_BOUNDS_NS`] in probe ticks.
    bounds_ticks: [u64; INTERNAL_BOUNDS_NS.len()],
    ns_per_tick: f64,
    /// Bytes queued for the connection before the current event.
    queued_before: u64,
    /// The words in the page (only changed ones are written).
    published: [u64; USED_WORDS],
}

impl SessionStats {
    /// The values as they will be published.
    pub fn counters(&self) -> &SessionCounters {
        &self.values
    }

    /// A complete message `msg` was received.
    pub fn inbound(&mut self, msg: &[u8], now: UtcTimestamp) {
        let v = &mut self.values;
        v.messages_in += 1;
        v.bytes_in += msg.len() as u64;
        v.last_inbound = Some(now);
        self.dirty = true;
    }

    /// `bytes` (whole messages, e.g. what an event appended to the
    /// outbound buffer) were queued for sending. Empty: nothing happens.
    pub fn outbound(&mut self, bytes: &[u8], now: UtcTimestamp) {
        let queued = self.queued_before.saturating_add(bytes.len() as u64);
        if self.values.outbound_queue_bytes != queued {
            self.values.outbound_queue_bytes = queued;
            self.dirty = true;
        }
        if bytes.is_empty() {
            return;
        }
        let v = &mut self.values;
        v.bytes_out += bytes.len() as u64;
        v.last_outbound = Some(now);
        let mut rest = bytes;
        while let Some(k) = classify::first(rest, Some(&self.poss_dup)) {
            v.messages_out += 1;
            v.messages_resent += u64::from(k.poss_dup);
            rest = rest.get(k.len..).unwrap_or_default();
        }
        self.dirty = true;
    }

    /// A Reject or BusinessMessageReject was sent, or `received`.
    pub fn reject(&mut self, received: bool) {
        let v = &mut self.values;
        if received {
            v.rejects_received += 1;
        } else {
            v.rejects_sent += 1;
        }
        self.dirty = true;
    }

    /// A ResendRequest was sent, or `received`.
    pub fn resend_request(&mut self, received: bool) {
        let v = &mut self.values;
        if received {
            v.resend_requests_received += 1;
        } else {
            v.resend_requests += 1;
        }
        self.dirty = true;
    }

    /// A MsgSeqNum gap was found.
    pub fn sequence_gap(&mut self) {
        self.values.sequence_gaps += 1;
        self.dirty = true;
    }

    /// The data dictionary refused an inbound message.
    pub fn validation_failure(&mut self) {
        self.values.validation_failures += 1;
        self.dirty = true;
    }

    /// Bytes already queued for the connection (unsent) before the event
    /// whose output [`outbound`](Self::outbound) then counts: the two
    /// make the published outbound queue.
    pub fn queued_before(&mut self, bytes: u64) {
        self.queued_before = bytes;
    }

    /// One read reached its deadline (its linked timeout fired).
    pub fn recv_timeout(&mut self) {
        self.values.recv_timeouts += 1;
        self.dirty = true;
    }

    /// One sample of the engine's internal time, in probe ticks
    /// ([`probe::stamp`] differences). Published with the next event.
    #[inline]
    pub fn internal(&mut self, ticks: u64) {
        let i = self.bounds_ticks.partition_point(|&b| b < ticks);
        let h = &mut self.values.internal;
        if let Some(b) = h.buckets.get_mut(i) {
            *b += 1;
        }
        h.sum_ns = h
            .sum_ns
            .wrapping_add((ticks as f64 * self.ns_per_tick) as u64);
        self.dirty = true;
    }

    /// The session's state; the time in state restarts only on a change.
    pub fn state(&mut self, state: SessionState, now: UtcTimestamp) {
        if self.values.state != state {
            self.values.state = state;
            self.values.state_since = now;
            self.dirty = true;
        }
    }

    /// A connection was made or accepted (a read is now in flight).
    pub fn connected(&mut self) {
        self.values.connections += 1;
        self.values.reads_in_flight = 1;
        self.dirty = true;
    }

    /// The connection closed: no read in flight any more.
    pub fn disconnected(&mut self, now: UtcTimestamp) {
        self.values.reads_in_flight = 0;
        self.values.read_deadline = None;
        self.values.outbound_queue_bytes = 0;
        self.queued_before = 0;
        self.state(SessionState::Disconnected, now);
        self.dirty = true;
    }

    /// Next sender and target sequence numbers.
    pub fn seqnums(&mut self, next_sender: u64, next_target: u64) {
        if (self.values.next_sender_seq, self.values.next_target_seq) != (next_sender, next_target)
        {
            self.values.next_sender_seq = next_sender;
            self.values.next_target_seq = next_target;
            self.dirty = true;
        }
    }

    /// Deadline of the in-flight read's linked timeout (the handler's
    /// deadline).
    pub fn read_deadline(&mut self, deadline: Option<UtcTimestamp>) {
        if self.values.read_deadline != deadline {
            self.values.read_deadline = deadline;
            self.dirty = true;
        }
    }

    /// Writes the values to the page if anything changed since the last
    /// call. Call once at the end of every event.
    pub fn publish(&mut self, now: UtcTimestamp) {
        if self.dirty {
            self.values.updated_at = now;
            let words = self.values.to_words();
            self.page.write_changes(self.slot, &words, &self.published);
            self.published = words;
            self.dirty = false;
        }
    }
}
