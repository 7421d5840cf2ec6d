//! Test rig for the session state machine: a fake clock, a peer that
//! writes messages as text (`|` for SOH), a recording application.
#![allow(dead_code)]

pub use ringfix_testkit::defscript;

use ringfix_codec::Parser;
use ringfix_engine::session::{
    AppVerdict, Application, Disposition, Event, FieldWriter, Incoming, LogoutReason, RejectInfo,
    ResendDecision, Role, Sender, Session, SessionSettings, Transition,
};
use ringfix_engine::store::{MemoryStore, MessageStore, UtcTimestamp};
use ringfix_engine::time::{MonoTime, Now};

pub const NANOS: i64 = 1_000_000_000;
/// 2026-01-01T00:00:00Z.
pub const START: i64 = 1_767_225_600 * NANOS;
/// Where the rig's monotonic clock starts (5000 s after boot): unlike the
/// wall clock, so a deadline taken from the wrong clock shows.
pub const MONO_START: i64 = 5_000 * NANOS;

/// Records everything the session tells the application.
#[derive(Default)]
pub struct Rec {
    pub app_msgs: Vec<String>,
    pub admin_types: Vec<String>,
    pub logons: usize,
    pub logouts: Vec<LogoutReason>,
    pub resets: usize,
    pub transitions: Vec<Transition>,
    /// Every `on_reject` call.
    pub rejects: Vec<RejectInfo>,
    /// Orders to send from `on_logon` (ClOrdIDs).
    pub on_logon_send: Vec<String>,
    /// Echo each application message back (as NewOrderSingle body copy).
    pub echo: bool,
    /// Gap-fill instead of resending these MsgSeqNums.
    pub stale: Vec<u64>,
    /// Answer application messages with this verdict.
    pub verdict: Option<AppVerdict>,
    /// Added to every outbound Logon.
    pub username: Option<String>,
    pub sent_seqs: Vec<u64>,
    /// `on_app` panics (after its echo); `panic_mid_send`: while writing
    /// one more message.
    pub panic: bool,
    pub panic_mid_send: bool,
}

pub fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).replace('\x01', "|")
}

impl Application for Rec {
    fn on_app(
        &mut self,
        _s: &SessionSettings,
        msg: &Incoming<'_>,
        out: &mut Sender<'_>,
    ) -> AppVerdict {
        self.app_msgs.push(show(msg.raw()));
        if self.echo {
            let id = msg.get(11).unwrap_or(b"none").to_vec();
            if let Ok(seq) = out.send(b"8", &[], |w| {
                w.field(11, &id);
            }) {
                self.sent_seqs.push(seq);
            }
        }
        if self.panic_mid_send {
            let _ = out.send(b"8", &[], |w| {
                w.field(11, b"half");
                panic!("failed while writing");
            });
        }
        if self.panic {
            panic!("application failed");
        }
        self.verdict.unwrap_or(AppVerdict::Accept)
    }

    fn on_admin(&mut self, _s: &SessionSettings, msg: &Incoming<'_>) {
        self.admin_types.push(show(msg.msg_type()));
    }

    fn on_logon(&mut self, _s: &SessionSettings, out: &mut Sender<'_>) {
        self.logons += 1;
        for id in std::mem::take(&mut self.on_logon_send) {
            if let Ok(seq) = out.send(b"D", &[], |w| {
                w.field(11, id.as_bytes());
            }) {
                self.sent_seqs.push(seq);
            }
        }
    }

    fn on_reject(&mut self, _s: &SessionSettings, r: &RejectInfo) {
        self.rejects.push(r.clone());
    }

    fn on_logout(&mut self, _s: &SessionSettings, reason: LogoutReason) {
        self.logouts.push(reason);
    }

    fn on_reset(&mut self, _s: &SessionSettings) {
        self.resets += 1;
    }

    fn on_admin_out(&mut self, _s: &SessionSettings, msg_type: &[u8], w: &mut FieldWriter<'_>) {
        if let (b"A", Some(u)) = (msg_type, &self.username) {
            w.field(553, u.as_bytes());
        }
    }

    fn resend_decision(
        &mut self,
        _s: &SessionSettings,
        seq: u64,
        _t: &[u8],
        _stored: &[u8],
    ) -> ResendDecision {
        if self.stale.contains(&seq) {
            ResendDecision::GapFill
        } else {
            ResendDecision::Resend
        }
    }
}

/// One session, its connection and fake clocks.
pub struct Rig<S: MessageStore = MemoryStore> {
    pub s: Session<S>,
    pub app: Rec,
    pub out: Vec<u8>,
    read: usize,
    /// The wall clock (ns since the epoch): SendingTime of what we receive.
    pub now: i64,
    /// The monotonic clock (ns since "boot"): deadlines.
    pub mono: i64,
    pub last: Disposition,
    /// Every event the session queued, in order.
    pub events: Vec<Event>,
    /// Events not yet taken by [`lines`](Self::lines).
    unread: usize,
}

pub fn settings(role: Role, begin: &str) -> SessionSettings {
    let mut cfg = SessionSettings::new(role, begin, "ISLD", "TW");
    if begin == "FIXT.1.1" {
        cfg.default_appl_ver_id = Some("9".into());
    }
    cfg
}

impl Rig<MemoryStore> {
    pub fn new(cfg: SessionSettings) -> Self {
        Self::with_store(cfg, MemoryStore::new(UtcTimestamp::from_nanos(START)))
    }

    pub fn acceptor(begin: &str) -> Self {
        Self::new(settings(Role::Acceptor, begin))
    }

    /// An acceptor logged on with HeartBtInt `hb` (Logon seq 1 answered).
    pub fn logged_on(begin: &str, hb: u32) -> Self {
        let mut r = Self::acceptor(begin);
        r.connect();
        let extra = if begin == "FIXT.1.1" {
            format!("98=0|108={hb}|1137=9|")
        } else {
            format!("98=0|108={hb}|")
        };
        r.recv("A", 1, &extra);
        let out = r.sent();
        assert_eq!(out.len(), 1, "logon answer: {out:?}");
        r
    }
}

impl<S: MessageStore> Rig<S> {
    pub fn with_store(cfg: SessionSettings, store: S) -> Self {
        Self::with_parts(cfg, store, None)
    }

    /// A session validating inbound messages with the codec's dictionary
    /// of its BeginString.
    pub fn with_validator(cfg: SessionSettings, store: S) -> Self {
        let appl = cfg.default_appl_ver_id.clone();
        let v = ringfix_codec::dict::Validator::builtin(
            cfg.begin_string.as_bytes(),
            appl.as_deref().map(str::as_bytes),
            ringfix_codec::dict::Options::default(),
        )
        .expect("built-in dictionary");
        Self::with_parts(cfg, store, Some(Box::new(v)))
    }

    fn with_parts(
        cfg: SessionSettings,
        store: S,
        v: Option<Box<dyn ringfix_engine::session::Validator + Send>>,
    ) -> Self {
        Self {
            s: Session::new(cfg, store, v),
            app: Rec::default(),
            out: Vec::new(),
            read: 0,
            now: START,
            mono: MONO_START,
            last: Disposition::KEEP,
            events: Vec::new(),
            unread: 0,
        }
    }

    /// Both clocks now.
    pub fn ts(&self) -> Now {
        Now {
            mono: MonoTime::from_nanos(self.mono),
            wall: UtcTimestamp::from_nanos(self.now),
        }
    }

    /// Steps the wall clock alone by `nanos` (either way), as NTP, a VM
    /// resume or `date -s` does; the monotonic clock does not move.
    pub fn step_wall(&mut self, nanos: i64) {
        self.now += nanos;
    }

    pub fn time_text(&self, offset_secs: i64) -> String {
        defscript::format_time(self.now / NANOS + offset_secs)
    }

    pub fn connect(&mut self) -> Disposition {
        let now = self.ts();
        self.last = self.s.connected(now, &mut self.out, &mut self.app);
        self.collect();
        self.last
    }

    /// Takes the session's queued events (transitions also go to the
    /// application's record).
    pub fn collect(&mut self) {
        while let Some(e) = self.s.poll_event() {
            if let Event::State(t) = &e {
                self.app.transitions.push(*t);
            }
            self.events.push(e);
        }
    }

    /// The event log lines since the last call (state changes left out,
    /// as the runtime's event log does).
    pub fn lines(&mut self) -> Vec<String> {
        self.collect();
        let new = self.events[self.unread..]
            .iter()
            .filter(|e| !matches!(e, Event::State(_)))
            .map(|e| e.to_string())
            .collect();
        self.unread = self.events.len();
        new
    }

    /// Delivers a complete message given as text (`|` = SOH); BodyLength and
    /// CheckSum are added; `<TIME>` is now.
    pub fn recv_text(&mut self, text: &str) -> Disposition {
        let text = text.replace('|', "\x01");
        let wire = defscript::to_wire(&defscript::substitute_time(&text, self.now / NANOS));
        let mut parser = Parser::new();
        let view = parser
            .parse(&wire)
            .expect("a test message the codec parses");
        let msg = Incoming::from_view(&view);
        let now = self.ts();
        self.last = self.s.on_message(&msg, now, &mut self.out, &mut self.app);
        self.collect();
        self.last
    }

    /// A message from the peer (TW -> ISLD) with SendingTime now.
    pub fn recv(&mut self, msg_type: &str, seq: u64, body: &str) -> Disposition {
        let begin = self.s.settings().begin_string.clone();
        self.recv_text(&format!(
            "8={begin}|35={msg_type}|34={seq}|49=TW|52=<TIME>|56=ISLD|{body}"
        ))
    }

    /// A possible duplicate from the peer.
    pub fn recv_dup(
        &mut self,
        msg_type: &str,
        seq: u64,
        orig_offset: i64,
        body: &str,
    ) -> Disposition {
        let begin = self.s.settings().begin_string.clone();
        let orig = self.time_text(orig_offset);
        self.recv_text(&format!(
            "8={begin}|35={msg_type}|34={seq}|43=Y|49=TW|52=<TIME>|56=ISLD|122={orig}|{body}"
        ))
    }

    /// Runs both clocks forward until the monotonic one reads `t`, then
    /// fires the timer.
    pub fn advance_to(&mut self, t: i64) -> Disposition {
        let by = t.saturating_sub(self.mono).max(0);
        self.mono += by;
        self.now += by;
        let now = self.ts();
        self.last = self.s.on_timer(now, &mut self.out, &mut self.app);
        self.collect();
        self.last
    }

    pub fn advance_secs(&mut self, secs: f64) -> Disposition {
        let t = self.mono + (secs * NANOS as f64) as i64;
        self.advance_to(t)
    }

    /// Runs the clock to the session's deadline and fires it.
    pub fn fire_deadline(&mut self) -> Disposition {
        let d = self
            .s
            .deadline()
            .expect("deadline while connected")
            .as_nanos();
        self.advance_to(d)
    }

    pub fn disconnect(&mut self) {
        let now = self.ts();
        self.s.disconnected(now, &mut self.app);
        self.collect();
    }

    /// Messages written since the last call, as text with `|`.
    pub fn sent(&mut self) -> Vec<String> {
        let mut msgs = Vec::new();
        let mut rest = &self.out[self.read..];
        while !rest.is_empty() {
            let end = rest
                .windows(4)
                .position(|w| w == b"\x0110=")
                .expect("checksum")
                + 8;
            msgs.push(show(&rest[..end]));
            rest = &rest[end..];
        }
        self.read = self.out.len();
        msgs
    }

    /// Field `tag` of a `|`-separated message.
    pub fn field(msg: &str, tag: u32) -> Option<String> {
        let prefix = format!("{tag}=");
        msg.split('|')
            .find_map(|f| f.strip_prefix(&prefix).map(str::to_owned))
    }

    /// The message without SendingTime/OrigSendingTime/BodyLength/CheckSum
    /// values, for exact comparisons.
    pub fn stable(msg: &str) -> String {
        msg.split('|')
            .filter(|f| !f.is_empty())
            .filter(|f| {
                !(f.starts_with("52=")
                    || f.starts_with("122=")
                    || f.starts_with("9=")
                    || f.starts_with("10="))
            })
            .collect::<Vec<_>>()
            .join("|")
    }

    pub fn sent_stable(&mut self) -> Vec<String> {
        self.sent().iter().map(|m| Self::stable(m)).collect()
    }
}
