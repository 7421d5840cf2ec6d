//! Offline replay: the captured inbound stream through ringfix's session
//! layer on the captured clock. Deterministic: no sockets, no clock reads.

use ringfix_codec::{Parser, UtcTimestamp};
use ringfix_engine::session::{
    is_admin_type, AppVerdict, Application, Close, Disposition, Event as SessionEvent, FatalError,
    Incoming, LogoutReason, Role, Sender, Session, SessionSettings, SessionState,
};
use ringfix_engine::store::{MemoryStore, MessageStore};
use ringfix_engine::time::{MonoTime, Now};

use super::capture::{CapMsg, Capture, Side};
use super::event::{Event, EventKind, MsgInfo, Origin};
use super::settings::Dictionaries;
use super::wire::{self, Parts};
use super::ReplayError;

/// How to replay.
#[derive(Clone, Debug)]
pub struct OfflineOptions {
    /// The side ringfix plays ("ours"); the other side's messages are inbound.
    pub side: Side,
    /// Validate inbound messages (QuickFIX `UseDataDictionary=Y`): the
    /// built-in dictionary of the captured BeginString by default.
    pub validate: Option<Dictionaries>,
    /// Check SendingTime against the captured clock (`CheckLatency`);
    /// ignored when `settings` is given (its own setting counts).
    pub check_latency: bool,
    /// Our session's settings from a configuration (CompIDs and version
    /// still come from the capture); QuickFIX defaults when `None`.
    pub settings: Option<SessionSettings>,
    /// Keep the clock running this long (nanoseconds) after the last
    /// captured message, firing the deadlines it passes.
    pub tail_nanos: i64,
}

impl Default for OfflineOptions {
    fn default() -> Self {
        Self {
            side: Side::Acceptor,
            validate: Some(Dictionaries::default()),
            check_latency: true,
            settings: None,
            tail_nanos: 0,
        }
    }
}

/// Counts at the end of an offline replay.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OfflineSummary {
    /// The session replayed, as `BEGIN:OURS->THEIRS`.
    pub session: String,
    /// Inbound messages fed to the session.
    pub received: u64,
    /// Messages the session sent (its own and captured ones sent again).
    pub sent: u64,
    /// Rejects sent (35=3 and 35=j).
    pub rejects: u64,
    /// Deadlines fired.
    pub timers: u64,
    /// Connections the session closed.
    pub closes: u64,
    /// Captured messages not replayed: after a close, or of another session.
    pub ignored: u64,
    /// State at the end.
    pub final_state: &'static str,
    /// Next MsgSeqNum the session would send.
    pub next_sender_seq: u64,
    /// Next MsgSeqNum the session expects.
    pub next_target_seq: u64,
}

/// Records application callbacks as events: deliveries before the sends
/// of the same step, session news after them.
#[derive(Default)]
struct Recorder {
    now: i64,
    early: Vec<Event>,
    late: Vec<Event>,
}

impl Recorder {
    fn late(&mut self, kind: EventKind) {
        self.late.push(Event { at: self.now, kind });
    }
}

impl Application for Recorder {
    fn on_app(
        &mut self,
        _: &SessionSettings,
        msg: &Incoming<'_>,
        _: &mut Sender<'_>,
    ) -> AppVerdict {
        self.early.push(Event {
            at: self.now,
            kind: EventKind::Deliver(MsgInfo::of(msg.raw())),
        });
        AppVerdict::Accept
    }

    fn on_logon(&mut self, _: &SessionSettings, _: &mut Sender<'_>) {
        self.late(EventKind::Logon);
    }

    fn on_logout(&mut self, _: &SessionSettings, reason: LogoutReason) {
        self.late(EventKind::Logout(reason_text(reason)));
    }

    fn on_reset(&mut self, _: &SessionSettings) {
        self.late(EventKind::Reset);
    }
}

/// A logout reason for people.
pub fn reason_text(r: LogoutReason) -> String {
    match r {
        LogoutReason::PeerLogout => "peer logout".into(),
        LogoutReason::OurLogout => "our logout".into(),
        LogoutReason::Fatal(FatalError::SeqNumTooLow { expected, received }) => {
            format!("MsgSeqNum too low: expected {expected}, received {received}")
        }
        LogoutReason::Fatal(e) => format!("fatal: {e:?}"),
        LogoutReason::LogonTimeout => "logon timeout".into(),
        LogoutReason::LogoutTimeout => "logout timeout".into(),
        LogoutReason::HeartbeatTimeout => "heartbeat timeout (peer silent)".into(),
        LogoutReason::StoreFailure => "store failure".into(),
        LogoutReason::Disconnected => "disconnected".into(),
        LogoutReason::ErrorPolicy => "disconnected on an error (DisconnectOnError)".into(),
    }
}

/// Builds the session ringfix plays for `side` of the capture, its store
/// seeded with the capture's first sequence numbers (minus one each when
/// `mid_session`: a synthetic Logon exchange takes those).
fn build_session(
    cap: &Capture,
    opts: &OfflineOptions,
    mid_session: bool,
) -> Result<Session<MemoryStore>, ReplayError> {
    let p = &cap.profile;
    let role = match opts.side {
        Side::Initiator => Role::Initiator,
        Side::Acceptor => Role::Acceptor,
    };
    let (ours, theirs) = (p.comp_id(opts.side), p.comp_id(opts.side.other()));
    // A configured session keeps its timers, resets and checks; the
    // capture decides who talks to whom.
    let mut cfg = match &opts.settings {
        Some(s) => {
            let mut s = s.clone();
            s.role = role;
            s.begin_string.clone_from(&p.begin_string);
            s.sender_comp_id = ours.to_owned();
            s.target_comp_id = theirs.to_owned();
            s
        }
        None => {
            let mut s = SessionSettings::new(role, &p.begin_string, ours, theirs);
            s.check_latency = opts.check_latency;
            s
        }
    };
    if role == Role::Acceptor || opts.settings.is_none() {
        cfg.heart_bt_int = p.heart_bt_int.unwrap_or(cfg.heart_bt_int);
    }
    if cfg.default_appl_ver_id.is_none() {
        cfg.default_appl_ver_id = p.default_appl_ver_id.clone();
    }
    let first_ts = cap.messages.first().map_or(0, |m| m.ts);
    let mut store = MemoryStore::new(UtcTimestamp::from_nanos(first_ts));
    let back = u64::from(mid_session);
    let seed = |s: Option<u64>| s.unwrap_or(1).saturating_sub(back).max(1);
    let seeded = store
        .set_next_sender_seq(seed(cap.first_seq(opts.side)))
        .and_then(|()| store.set_next_target_seq(seed(cap.first_seq(opts.side.other()))));
    seeded.map_err(|e| ReplayError::Session(e.to_string()))?;
    let validator = match &opts.validate {
        Some(d) => Some(d.validator(&p.begin_string, p.default_appl_ver_id.as_deref())?),
        None => None,
    };
    Ok(Session::new(cfg, store, validator))
}

/// Replays `cap` offline, handing each event to `sink` as it happens.
pub fn replay_offline(
    cap: &Capture,
    opts: &OfflineOptions,
    sink: &mut dyn FnMut(&Event),
) -> Result<OfflineSummary, ReplayError> {
    let first = cap.messages.iter().find(|m| m.from.is_some());
    let mut parser = Parser::new();
    let mid_session = first.is_some_and(|m| {
        m.incoming(&mut parser)
            .is_some_and(|inc| inc.msg_type() != b"A")
    });
    let session = build_session(cap, opts, mid_session)?;
    let mut run = Run {
        summary: OfflineSummary {
            session: format!(
                "{}:{}->{}",
                cap.profile.begin_string,
                cap.profile.comp_id(opts.side),
                cap.profile.comp_id(opts.side.other())
            ),
            ..OfflineSummary::default()
        },
        session,
        ours: opts.side,
        app: Recorder::default(),
        out: Vec::new(),
        sink,
        connected: false,
        started: false,
        conn: None,
        ignored_run: 0,
        seq_offset: 0,
        in_timer: false,
        mono: cap.messages.first().map_or(0, |m| m.ts),
        wall: cap.messages.first().map_or(0, |m| m.ts),
    };
    let mut last_ts = 0;
    for m in &cap.messages {
        last_ts = m.ts;
        run.message(m, mid_session);
    }
    run.advance(last_ts.saturating_add(opts.tail_nanos));
    run.flush_ignored(last_ts);
    let s = &run.session;
    run.summary.final_state = s.state().name();
    run.summary.next_sender_seq = s.next_sender_seq();
    run.summary.next_target_seq = s.next_target_seq();
    Ok(run.summary)
}

struct Run<'a> {
    session: Session<MemoryStore>,
    ours: Side,
    app: Recorder,
    out: Vec<u8>,
    sink: &'a mut dyn FnMut(&Event),
    connected: bool,
    started: bool,
    conn: Option<u64>,
    summary: OfflineSummary,
    /// Messages ignored since the last close (reported as one note).
    ignored_run: u64,
    /// Replay MsgSeqNum minus captured MsgSeqNum of our application messages.
    seq_offset: i64,
    /// The step being reported is a deadline firing.
    in_timer: bool,
    /// The session's monotonic clock, derived from the captured (wall)
    /// timestamps: it advances by each step forward between them and
    /// ignores steps back (a host whose wall clock was stepped back).
    mono: i64,
    /// The captured timestamp `mono` was last derived from.
    wall: i64,
}

impl Run<'_> {
    /// The monotonic clock at captured timestamp `at`.
    fn mono_at(&self, at: i64) -> i64 {
        self.mono
            .saturating_add(at.saturating_sub(self.wall).max(0))
    }

    /// The session's time at captured timestamp `at` (which it becomes):
    /// the wall clock as captured, the monotonic clock derived from it.
    fn now_at(&mut self, at: i64) -> Now {
        self.mono = self.mono_at(at);
        self.wall = at;
        Now {
            mono: MonoTime::from_nanos(self.mono),
            wall: UtcTimestamp::from_nanos(at),
        }
    }

    fn emit(&mut self, at: i64, kind: EventKind) {
        (self.sink)(&Event { at, kind });
    }

    fn message(&mut self, m: &CapMsg, mid_session: bool) {
        let Some(from) = m.from else {
            self.summary.ignored += 1;
            return;
        };
        self.advance(m.ts);
        let mut parser = Parser::new();
        let Some(inc) = m.incoming(&mut parser) else {
            // Framed but its fields refused: the session never sees it.
            self.summary.ignored += 1;
            let text = "a captured message whose fields do not parse was not replayed";
            self.emit(m.ts, EventKind::Note(text.into()));
            return;
        };
        let is_logon = inc.msg_type() == b"A";
        let new_conn = m.connection.is_some() && m.connection != self.conn;
        if self.connected && new_conn {
            self.disconnect(m.ts, "the capture moved to a new connection");
        }
        // A log has no connections: the initiator's Logon (not a sequence
        // reset in session) once logged on means it reconnected.
        let relogon = m.connection.is_none()
            && is_logon
            && from == Side::Initiator
            && inc.get(141) != Some(b"Y".as_slice())
            && self.session.state() != SessionState::AwaitingLogon;
        if self.connected && relogon {
            self.disconnect(m.ts, "the log shows a new Logon: a new connection");
        }
        if !self.connected {
            if self.started && !new_conn && !(is_logon && from == Side::Initiator) {
                self.ignored_run += 1;
                self.summary.ignored += 1;
                return;
            }
            self.flush_ignored(m.ts);
            self.connect(m.ts, m.connection);
            if mid_session && !self.started {
                self.synthetic_logon(m.ts);
            }
            self.started = true;
        }
        if from != self.ours {
            self.summary.received += 1;
            self.emit(m.ts, EventKind::Recv(MsgInfo::of(&m.bytes)));
            self.app.now = m.ts;
            let now = self.now_at(m.ts);
            let d = self
                .session
                .on_message(&inc, now, &mut self.out, &mut self.app);
            self.after(m.ts, d, Origin::Session);
        } else if inc.msg_type() == b"5" && self.session.state() == SessionState::Active {
            // Our side logged out on its own (an operator, a schedule).
            let text = inc.get(58).map(|t| String::from_utf8_lossy(t).into_owned());
            self.app.now = m.ts;
            let now = self.now_at(m.ts);
            let d = self
                .session
                .logout(text.as_deref(), now, &mut self.out, &mut self.app);
            self.after(m.ts, d, Origin::Session);
        } else if !is_admin_type(inc.msg_type()) && !inc.header().poss_dup {
            // PossDup copies were resends: the session answers resends itself.
            self.send_captured(m, inc.header().seq);
        }
    }

    /// A captured application message of ours, sent again.
    fn send_captured(&mut self, m: &CapMsg, captured_seq: Option<u64>) {
        let next = self.session.next_sender_seq();
        let now = self.now_at(m.ts);
        match Parts::of(&m.bytes).send(&mut self.session, now, &[], &mut self.out) {
            Ok(_) => {
                let offset = captured_seq.map(|c| {
                    i64::try_from(next).unwrap_or(i64::MAX) - i64::try_from(c).unwrap_or(0)
                });
                if let (Some(c), Some(offset)) = (captured_seq, offset) {
                    if offset != self.seq_offset {
                        self.seq_offset = offset;
                        let text = format!(
                            "our MsgSeqNum differs from the capture: captured 34={c}, replay 34={next}"
                        );
                        self.emit(m.ts, EventKind::Note(text));
                    }
                }
                self.after(m.ts, Disposition::KEEP, Origin::Captured);
            }
            Err(e) => {
                let info = MsgInfo::of(&m.bytes);
                let text = format!("captured {} not sent: {e}", info.name());
                self.emit(m.ts, EventKind::Note(text));
            }
        }
    }

    fn connect(&mut self, at: i64, conn: Option<u64>) {
        self.conn = conn;
        self.connected = true;
        self.emit(at, EventKind::Connected { connection: conn });
        self.app.now = at;
        let now = self.now_at(at);
        let d = self.session.connected(now, &mut self.out, &mut self.app);
        self.after(at, d, Origin::Session);
    }

    /// The capture starts after the Logon: play a Logon from the peer (and
    /// ours, for an initiator already sent) so the session is logged on.
    fn synthetic_logon(&mut self, at: i64) {
        let cfg = self.session.settings();
        let seq = self.session.next_target_seq().to_string();
        let mut sending_time = Vec::new();
        UtcTimestamp::from_nanos(at).push(ringfix_codec::TimePrecision::Millis, &mut sending_time);
        let hb = cfg.heart_bt_int.to_string();
        let mut fields: Vec<(u32, &[u8])> = vec![
            (35, b"A"),
            (34, seq.as_bytes()),
            (49, cfg.target_comp_id.as_bytes()),
            (52, &sending_time),
            (56, cfg.sender_comp_id.as_bytes()),
            (98, b"0"),
            (108, hb.as_bytes()),
        ];
        if let Some(v) = cfg.default_appl_ver_id.as_deref() {
            fields.push((1137, v.as_bytes()));
        }
        let logon = wire::build(&cfg.begin_string, &fields);
        self.emit(
            at,
            EventKind::Note("the capture starts mid-session: synthetic Logon from the peer".into()),
        );
        self.emit(at, EventKind::Recv(MsgInfo::of(&logon)));
        self.app.now = at;
        let now = self.now_at(at);
        let (session, out, app) = (&mut self.session, &mut self.out, &mut self.app);
        let d = Incoming::parse_with(&logon, |inc| session.on_message(inc, now, out, app))
            .unwrap_or(Disposition::KEEP);
        self.after(at, d, Origin::Session);
    }

    fn disconnect(&mut self, at: i64, why: &str) {
        self.app.now = at;
        let now = self.now_at(at);
        self.session.disconnected(now, &mut self.app);
        self.connected = false;
        self.drain(at, Origin::Session);
        self.emit(at, EventKind::Disconnected(why.into()));
    }

    /// Emits what one session step did, and carries out its disposition.
    fn after(&mut self, at: i64, d: Disposition, origin: Origin) {
        let before_logon = self.session.state() == SessionState::AwaitingLogon;
        self.drain(at, origin);
        if d.is_close() {
            if before_logon {
                // The session names no reason before the Logon exchange.
                let text = if self.in_timer {
                    "logon timeout: the Logon exchange did not complete within LogonTimeout"
                } else {
                    "closing before the Logon exchange completed: not a valid Logon \
                     (first message, CompIDs, BeginString, fields)"
                };
                self.emit(at, EventKind::Note(text.into()));
            }
            self.summary.closes += 1;
            let mode = if d.close == Close::Now {
                "now"
            } else {
                "after-flush"
            };
            self.emit(at, EventKind::Close(mode));
            self.disconnect(at, "closed by the session");
        }
    }

    fn drain(&mut self, at: i64, origin: Origin) {
        // State changes come last in a step, as the session queued them.
        while let Some(e) = self.session.poll_event() {
            if let SessionEvent::State(t) = e {
                self.app.late.push(Event {
                    at: t.at,
                    kind: EventKind::Transition {
                        from: t.from,
                        to: t.to,
                    },
                });
            }
        }
        for e in std::mem::take(&mut self.app.early) {
            (self.sink)(&e);
        }
        let out = std::mem::take(&mut self.out);
        for m in wire::split(&out) {
            let info = MsgInfo::of(m);
            self.summary.sent += 1;
            if matches!(info.msg_type.as_str(), "3" | "j") {
                self.summary.rejects += 1;
            }
            self.emit(at, EventKind::Send(info, origin));
        }
        self.out = out;
        self.out.clear();
        for e in std::mem::take(&mut self.app.late) {
            (self.sink)(&e);
        }
    }

    /// Fires every deadline the clock passes on its way to `t` (captured
    /// time; deadlines are on the monotonic clock derived from it).
    fn advance(&mut self, t: i64) {
        let mut last = i64::MIN;
        while self.connected {
            let Some(d) = self.session.deadline().map(|d| d.as_nanos()) else {
                break;
            };
            if d > self.mono_at(t) || d <= last {
                break;
            }
            last = d;
            // The wall clock at the deadline: no step in between.
            let wall = self.wall.saturating_add(d.saturating_sub(self.mono));
            self.summary.timers += 1;
            self.emit(wall, EventKind::Timer);
            self.app.now = wall;
            let now = self.now_at(wall);
            let disp = self.session.on_timer(now, &mut self.out, &mut self.app);
            self.in_timer = true;
            self.after(wall, disp, Origin::Session);
            self.in_timer = false;
        }
    }

    fn flush_ignored(&mut self, at: i64) {
        if self.ignored_run > 0 {
            let text = format!(
                "{} captured messages after the close were not replayed",
                self.ignored_run
            );
            self.ignored_run = 0;
            self.emit(at, EventKind::Note(text));
        }
    }
}
