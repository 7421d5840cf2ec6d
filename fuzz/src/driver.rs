//! A sans-IO driver around one `Session<MemoryStore>` with the echo app,
//! as the reactor drives it: bytes arrive in chunks and are framed, parsed
//! and handed over; a fake clock moves forward; `on_timer` fires at the
//! deadline; a close disposition ends the connection.
//!
//! After every call it checks the invariants (a failed one panics):
//! - the deadline is `Some` while connected, `None` once disconnected;
//! - every outbound byte belongs to a complete frame that parses, with our
//!   BeginString and CompIDs, a MsgSeqNum and a valid SendingTime;
//! - new (non-PossDup) outbound MsgSeqNums go up by one, restarting at 1
//!   only after a sequence reset; PossDup resends and GapFills stay below
//!   what was sent; the expected inbound one never goes down
//!   except through a reset;
//! - after `on_timer(now)` that keeps the connection, the deadline is
//!   later than `now` (otherwise the reactor would spin).

use ringfix_codec::dict::{Options, Validator as DictValidator};
use ringfix_codec::{frame, Frame, Parser, DEFAULT_MAX_MESSAGE_SIZE};
use ringfix_engine::apps::echo::Echo;
use ringfix_engine::session::{
    AppVerdict, Application, Disposition, FieldWriter, Incoming, LogoutReason, Role, Sender,
    Event, Session, SessionSettings, SessionState,
};
use ringfix_engine::store::{MemoryStore, UtcTimestamp};
use ringfix_engine::time::{MonoTime, Now};

use crate::{MONO_START, NANOS, OUR_ID, PROFILES, START_SECS};

/// Session settings picked by four input bytes.
#[derive(Clone, Copy, Debug, Default)]
pub struct Knobs(pub [u8; 4]);

impl Knobs {
    fn bit(&self, byte: usize, bit: u8) -> bool {
        self.0[byte] & (1 << bit) != 0
    }

    /// Index into [`PROFILES`].
    pub fn profile(&self) -> usize {
        usize::from(self.0[0]) % PROFILES.len()
    }

    /// Whether the session is the initiator.
    pub fn initiator(&self) -> bool {
        self.bit(1, 0)
    }

    /// Whether the stream target rewrites BodyLength and CheckSum.
    pub fn repair(&self) -> bool {
        self.bit(1, 7)
    }

    /// Seed of the stream target's schedule.
    pub fn seed(&self) -> u8 {
        self.0[2]
    }

    /// The settings these knobs describe.
    pub fn settings(&self) -> SessionSettings {
        let (begin, target, appl) = PROFILES[self.profile()];
        let role = if self.initiator() {
            Role::Initiator
        } else {
            Role::Acceptor
        };
        let mut s = SessionSettings::new(role, begin, OUR_ID, target);
        s.default_appl_ver_id = appl.map(str::to_owned);
        s.check_latency = self.bit(1, 1);
        s.reset_on_logon = self.bit(1, 3);
        s.reset_on_logout = self.bit(1, 4);
        s.reset_on_disconnect = self.bit(1, 5);
        s.enable_next_expected_msg_seq_num = self.bit(1, 6);
        let b3 = self.0[3];
        s.heart_bt_int = [30, 1, 2, 5][usize::from(b3 & 3)];
        s.resend_request_chunk_size = [0, 1, 2, 5][usize::from((b3 >> 2) & 3)];
        s.send_redundant_resend_requests = b3 & 0x10 != 0;
        s.timestamp_precision = [3, 0, 6, 9][usize::from((b3 >> 5) & 3)];
        s.logon_timeout = 10;
        s.logout_timeout = 2;
        s
    }

    /// The dictionary validator, when the knobs ask for one.
    fn validator(&self) -> Option<DictValidator> {
        if !self.bit(1, 2) {
            return None;
        }
        let (begin, _, appl) = PROFILES[self.profile()];
        let options = Options {
            validate_fields_have_values: !self.bit(3, 7),
            ..Options::default()
        };
        DictValidator::builtin(begin.as_bytes(), appl.map(str::as_bytes), options).ok()
    }
}

/// The echo app plus a count of sequence resets and a log of transitions.
#[derive(Default)]
pub struct Recorder {
    echo: Echo,
    /// Sequence resets so far.
    pub resets: u64,
    /// Logons completed so far.
    pub logons: u64,
    /// Application messages delivered so far.
    pub app_msgs: u64,
}

impl Application for Recorder {
    fn on_app(
        &mut self,
        session: &SessionSettings,
        msg: &Incoming<'_>,
        out: &mut Sender<'_>,
    ) -> AppVerdict {
        self.app_msgs += 1;
        self.echo.on_app(session, msg, out)
    }

    fn on_logon(&mut self, _session: &SessionSettings, _out: &mut Sender<'_>) {
        self.logons += 1;
    }

    fn on_logout(&mut self, _session: &SessionSettings, _reason: LogoutReason) {}

    fn on_reset(&mut self, session: &SessionSettings) {
        self.resets += 1;
        self.echo.on_reset(session);
    }
}

/// The session under test and everything around it.
pub struct Driver {
    /// The session.
    pub session: Session<MemoryStore>,
    /// The application.
    pub app: Recorder,
    cfg: SessionSettings,
    parser: Parser,
    inbuf: Vec<u8>,
    out: Vec<u8>,
    /// The wall clock (SendingTime), ns since the epoch.
    now: i64,
    /// The monotonic clock (deadlines), ns since "boot".
    mono: i64,
    connected: bool,
    /// MsgSeqNum the next new outbound message must carry.
    expect_out: u64,
    /// Last seen `next_target_seq`.
    last_target: u64,
    /// Resets seen at the start of the current call.
    resets_before: u64,
    /// Outbound messages checked so far.
    pub sent: u64,
    /// The state the session's events said last.
    shown: SessionState,
    out_validator: Option<DictValidator>,
}

impl Driver {
    /// A disconnected session at the start time.
    pub fn new(knobs: Knobs) -> Self {
        let now = START_SECS * NANOS;
        let cfg = knobs.settings();
        let store = MemoryStore::new(UtcTimestamp::from_nanos(now));
        let validator = knobs
            .validator()
            .map(|v| Box::new(v) as Box<dyn ringfix_engine::session::Validator + Send>);
        let session = Session::new(cfg.clone(), store, validator);
        let expect_out = session.next_sender_seq();
        let last_target = session.next_target_seq();
        Self {
            session,
            app: Recorder::default(),
            cfg,
            parser: Parser::new(),
            inbuf: Vec::new(),
            out: Vec::new(),
            now,
            mono: MONO_START,
            connected: false,
            expect_out,
            last_target,
            resets_before: 0,
            sent: 0,
            shown: SessionState::Disconnected,
            out_validator: None,
        }
    }

    /// Validate outbound admin messages against the dictionary too.
    pub fn validate_outbound(&mut self) {
        let (begin, _, appl) = PROFILES
            .iter()
            .find(|p| p.0 == self.cfg.begin_string)
            .copied()
            .unwrap_or(PROFILES[0]);
        self.out_validator = DictValidator::builtin(
            begin.as_bytes(),
            appl.map(str::as_bytes),
            Options::default(),
        )
        .ok();
    }

    /// The settings.
    pub fn settings(&self) -> &SessionSettings {
        &self.cfg
    }

    /// The fake wall clock, in nanoseconds since the epoch.
    pub fn now(&self) -> i64 {
        self.now
    }

    /// Both fake clocks.
    pub fn ts(&self) -> Now {
        Now {
            mono: MonoTime::from_nanos(self.mono),
            wall: UtcTimestamp::from_nanos(self.now),
        }
    }

    /// Whether a connection is open.
    pub fn is_connected(&self) -> bool {
        self.connected
    }

    /// Moves both clocks forward.
    pub fn advance(&mut self, nanos: i64) {
        self.now = self.now.saturating_add(nanos.max(0));
        self.mono = self.mono.saturating_add(nanos.max(0));
    }

    /// Steps the wall clock alone (either way): deadlines must not move.
    pub fn step_wall(&mut self, nanos: i64) {
        let before = self.session.deadline();
        self.now = self.now.saturating_add(nanos);
        assert_eq!(self.session.deadline(), before, "a wall clock step moved the deadline");
    }

    /// Opens a connection (a no-op while one is open).
    pub fn connect(&mut self) {
        if self.connected {
            return;
        }
        self.begin_call();
        self.connected = true;
        self.inbuf.clear();
        let now = self.ts();
        let d = self.session.connected(now, &mut self.out, &mut self.app);
        self.end_call(d);
    }

    /// The peer closed the connection.
    pub fn disconnect(&mut self) {
        if !self.connected {
            return;
        }
        self.begin_call();
        self.close();
        self.after_call();
    }

    fn close(&mut self) {
        let now = self.ts();
        self.session.disconnected(now, &mut self.app);
        self.connected = false;
        self.inbuf.clear();
        assert!(
            self.session.deadline().is_none(),
            "deadline while disconnected"
        );
        assert_eq!(self.session.state(), SessionState::Disconnected);
    }

    /// Bytes from the peer: framed, parsed and handed to the session, as the
    /// reactor does. Bytes after a close are dropped.
    pub fn feed(&mut self, bytes: &[u8]) {
        if !self.connected {
            return;
        }
        self.inbuf.extend_from_slice(bytes);
        while self.connected {
            match frame(&self.inbuf, DEFAULT_MAX_MESSAGE_SIZE) {
                Frame::Incomplete => break,
                Frame::Garbled { skip, .. } => {
                    assert!(skip >= 1 && skip <= self.inbuf.len());
                    self.inbuf.drain(..skip);
                    self.begin_call();
                    let d = self.session.on_garbled(self.ts());
                    self.end_call(d);
                }
                Frame::Complete(len) => {
                    let msg: Vec<u8> = self.inbuf.drain(..len).collect();
                    self.deliver(&msg);
                }
            }
        }
    }

    /// One framed message to the session (garbled if it does not parse).
    fn deliver(&mut self, msg: &[u8]) {
        self.begin_call();
        let now = self.ts();
        let d = match self.parser.parse_framed(msg) {
            Ok(view) => {
                let incoming = Incoming::from_view(&view);
                self.session
                    .on_message(&incoming, now, &mut self.out, &mut self.app)
            }
            Err(_) => self.session.on_garbled(now),
        };
        self.end_call(d);
    }

    /// Calls `on_timer` at the current time.
    pub fn tick(&mut self) {
        if !self.connected {
            return;
        }
        self.begin_call();
        let now = self.ts();
        let d = self.session.on_timer(now, &mut self.out, &mut self.app);
        if !d.is_close() {
            let next = self.session.deadline().expect("deadline while connected");
            // i64::MAX: nothing is ever due (HeartBtInt=0).
            assert!(
                next.as_nanos() > self.mono || next.as_nanos() == i64::MAX,
                "on_timer({}) kept the connection with deadline {} (busy loop); state {:?}",
                self.mono,
                next.as_nanos(),
                self.session.state()
            );
        }
        self.end_call(d);
    }

    /// Advances the clock to the deadline (if later) and fires it.
    pub fn to_deadline(&mut self) {
        if !self.connected {
            return;
        }
        let d = self.session.deadline().expect("deadline while connected");
        if d.as_nanos() == i64::MAX {
            return; // nothing is ever due
        }
        let by = d.as_nanos().saturating_sub(self.mono).max(0);
        self.advance(by);
        self.tick();
    }

    /// The application sends a NewOrderSingle (refused unless logged on).
    pub fn app_send(&mut self, id: &[u8]) {
        self.begin_call();
        let now = self.ts();
        let r = self.session.send(
            b"D",
            &[],
            |w: &mut FieldWriter<'_>| {
                w.field(11, id);
                w.field(21, b"1");
                w.field(55, b"FUZZ");
                w.field(54, b"1");
                w.field(60, b"20260101-00:00:00");
                w.field(40, b"1");
            },
            now,
            &mut self.out,
        );
        if r.is_ok() {
            assert!(
                self.session.is_logged_on(),
                "app message sent while not logged on"
            );
        }
        self.end_call(Disposition::KEEP);
    }

    /// We start a graceful logout.
    pub fn logout(&mut self) {
        self.begin_call();
        let now = self.ts();
        let d = self
            .session
            .logout(Some("fuzz"), now, &mut self.out, &mut self.app);
        self.end_call(d);
    }

    fn begin_call(&mut self) {
        self.resets_before = self.app.resets;
    }

    fn end_call(&mut self, d: Disposition) {
        if d.is_close() && self.connected {
            self.close();
        }
        self.after_call();
    }

    fn after_call(&mut self) {
        // Events: state changes chain, every event has its log line.
        while let Some(e) = self.session.poll_event() {
            if let Event::State(t) = &e {
                assert_eq!(t.from, self.shown, "transition from a state not shown");
                self.shown = t.to;
            }
            assert!(!e.to_string().is_empty(), "event without a line: {e:?}");
        }
        assert_eq!(self.shown, self.session.state(), "state change not reported");
        let reset = self.app.resets != self.resets_before;
        if self.connected {
            assert!(
                self.session.deadline().is_some(),
                "no deadline while connected (state {:?})",
                self.session.state()
            );
        }
        self.check_out(reset);
        let target = self.session.next_target_seq();
        assert!(
            reset || target >= self.last_target,
            "next_target_seq went down without a reset: {} -> {target}",
            self.last_target
        );
        self.last_target = target;
        if !reset {
            assert_eq!(
                self.session.next_sender_seq(),
                self.expect_out,
                "next_sender_seq disagrees with what was sent"
            );
        } else {
            self.expect_out = self.session.next_sender_seq();
        }
        self.resets_before = self.app.resets;
    }

    /// Every outbound byte is a complete, parsable frame of this session.
    fn check_out(&mut self, reset: bool) {
        let mut pos = 0;
        let mut restarted = false;
        while pos < self.out.len() {
            let rest = &self.out[pos..];
            let len = match frame(rest, DEFAULT_MAX_MESSAGE_SIZE) {
                Frame::Complete(len) => len,
                other => panic!(
                    "outbound bytes do not frame ({other:?}): {:?}",
                    String::from_utf8_lossy(rest).replace('\x01', "|")
                ),
            };
            let msg = &rest[..len];
            let shown = || String::from_utf8_lossy(msg).replace('\x01', "|");
            let v = match self.parser.parse(msg) {
                Ok(v) => v,
                Err(e) => panic!("outbound message does not parse ({e}): {}", shown()),
            };
            assert_eq!(
                v.begin_string(),
                self.cfg.begin_string.as_bytes(),
                "{}",
                shown()
            );
            assert_eq!(v.sender_comp_id(), Some(OUR_ID.as_bytes()), "{}", shown());
            assert_eq!(
                v.target_comp_id(),
                Some(self.cfg.target_comp_id.as_bytes()),
                "{}",
                shown()
            );
            let seq = match v.msg_seq_num() {
                Ok(s) if s >= 1 => s,
                _ => panic!("outbound MsgSeqNum missing or zero: {}", shown()),
            };
            assert!(v.sending_time().is_ok(), "bad SendingTime: {}", shown());
            let poss_dup = v.poss_dup().unwrap_or(false);
            if poss_dup {
                assert!(
                    v.orig_sending_time().is_ok() || v.msg_type() == b"4",
                    "PossDup without OrigSendingTime: {}",
                    shown()
                );
                assert!(
                    seq < self.expect_out,
                    "resent a seq never sent: {}",
                    shown()
                );
                if v.msg_type() == b"4" && v.get(123) == Some(b"Y") {
                    let new_seq = v.get_u64(36).unwrap_or(0);
                    assert!(
                        new_seq > seq && new_seq <= self.expect_out,
                        "GapFill NewSeqNo not in ({seq}, {}]: {}",
                        self.expect_out,
                        shown()
                    );
                }
            } else if reset && seq == 1 && !restarted {
                restarted = true;
                self.expect_out = 2;
            } else {
                assert_eq!(
                    seq,
                    self.expect_out,
                    "outbound MsgSeqNum out of order: {}",
                    shown()
                );
                self.expect_out = seq + 1;
            }
            if let Some(val) = self.out_validator.as_mut() {
                let is_admin =
                    matches!(v.msg_type(), b"0" | b"1" | b"2" | b"3" | b"4" | b"5" | b"A");
                if is_admin {
                    // A Reject of a message that had no MsgSeqNum has no
                    // RefSeqNum (45), as in QuickFIX.
                    let no_ref = v.msg_type() == b"3" && !v.contains(45);
                    if let Err(r) = val.validate_bytes(msg) {
                        let exempt = no_ref && r.ref_tag == Some(45);
                        assert!(
                            exempt,
                            "outbound admin message fails the dictionary ({r:?}): {}",
                            shown()
                        );
                    }
                }
            }
            self.sent += 1;
            pos += len;
        }
        self.out.clear();
    }
}
