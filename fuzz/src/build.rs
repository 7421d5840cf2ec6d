//! The `session_structured` target: a scenario of operations decoded with
//! `arbitrary`, whose messages are mostly valid FIX built against the
//! session's current sequence numbers (next, ahead for gaps, behind for
//! duplicates), so resend, gap fill, sequence reset and logout are reached.

use arbitrary::Arbitrary;
use ringfix_codec::{Encoder, TimePrecision, UtcTimestamp, SOH};

use crate::driver::{Driver, Knobs};
use crate::{NANOS, OUR_ID};

/// One fuzz input.
#[derive(Arbitrary, Debug)]
pub struct Scenario {
    /// Session settings.
    pub knobs: [u8; 4],
    /// What happens, in order.
    pub ops: Vec<Op>,
}

/// One step of a scenario.
#[derive(Arbitrary, Debug)]
pub enum Op {
    /// A message from the peer, delivered whole.
    Msg(Msg),
    /// A message delivered in two chunks, cut at this offset.
    Split(Msg, u16),
    /// A message with one byte overwritten (offset, byte).
    Corrupt(Msg, u16, u8),
    /// Raw bytes from the peer.
    Garbage(Vec<u8>),
    /// Clock forward by this many milliseconds.
    AdvanceMillis(u16),
    /// Clock forward by this many seconds.
    AdvanceSecs(u8),
    /// Clock to the deadline, then `on_timer`.
    Deadline,
    /// `on_timer` now.
    Tick,
    /// The application sends a NewOrderSingle.
    AppSend,
    /// We log out.
    Logout,
    /// The peer drops the connection.
    Disconnect,
    /// A new connection (when none is open).
    Connect,
    /// The wall clock alone steps by this many seconds (either way); the
    /// monotonic clock, and so every deadline, does not move.
    StepWallSecs(i16),
}

/// Which message.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Kind {
    /// 35=A
    Logon,
    /// 35=0
    Heartbeat,
    /// 35=1
    TestRequest,
    /// 35=2
    ResendRequest,
    /// 35=3
    Reject,
    /// 35=4
    SequenceReset,
    /// 35=5
    Logout,
    /// 35=D (echoed)
    NewOrder,
    /// 35=d (echoed)
    SecurityDefinition,
    /// Another MsgType from a short list.
    Other(u8),
}

/// MsgSeqNum relative to what the session expects.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum Seq {
    /// Exactly the expected one.
    Next,
    /// Expected + 1 + n % 20 (a gap).
    Ahead(u8),
    /// Expected - 1 - n % 20 (a duplicate or too low).
    Behind(u8),
    /// Any value.
    Exact(u32),
    /// No MsgSeqNum field.
    Missing,
}

/// An extra field value.
#[derive(Arbitrary, Debug, Clone)]
pub enum Val {
    /// A number.
    Num(u32),
    /// One character.
    Char(u8),
    /// Bytes (SOH replaced).
    Bytes(Vec<u8>),
    /// A length/data pair from [`DATA_PAIRS`] (the tag is ignored); the
    /// data may hold SOH.
    Data(u8, Vec<u8>),
}

/// Length and data tags the `Data` values use.
const DATA_PAIRS: [(u32, u32); 4] = [(90, 91), (95, 96), (212, 213), (93, 89)];

/// A message to build.
#[derive(Arbitrary, Debug, Clone)]
pub struct Msg {
    /// The type.
    pub kind: Kind,
    /// MsgSeqNum.
    pub seq: Seq,
    /// PossDupFlag=Y.
    pub poss_dup: bool,
    /// OrigSendingTime (122), this many seconds before SendingTime.
    pub orig: Option<u8>,
    /// SendingTime offset from the clock, seconds.
    pub skew: i8,
    /// 0: CompIDs right; 1: sender wrong; 2: target wrong; 3: both missing.
    pub comp: u8,
    /// Kind-specific numbers and a flag.
    pub a: u16,
    /// Second kind-specific number.
    pub b: u16,
    /// Kind-specific flag.
    pub flag: bool,
    /// Extra body fields.
    pub extra: Vec<(u16, Val)>,
}

const OTHER_TYPES: [&[u8]; 8] = [b"8", b"j", b"V", b"AE", b"ZZ", b"B", b"7", b"x"];

impl Msg {
    /// Encodes the message for the driver's session as its peer.
    pub fn encode(&self, d: &Driver) -> Vec<u8> {
        let cfg = d.settings();
        let expected = d.session.next_target_seq();
        let ours = d.session.next_sender_seq();
        let msg_type: &[u8] = match self.kind {
            Kind::Logon => b"A",
            Kind::Heartbeat => b"0",
            Kind::TestRequest => b"1",
            Kind::ResendRequest => b"2",
            Kind::Reject => b"3",
            Kind::SequenceReset => b"4",
            Kind::Logout => b"5",
            Kind::NewOrder => b"D",
            Kind::SecurityDefinition => b"d",
            Kind::Other(i) => OTHER_TYPES[usize::from(i) % OTHER_TYPES.len()],
        };
        let mut buf = Vec::with_capacity(256);
        let mut e = Encoder::new(&mut buf, cfg.begin_string.as_bytes(), msg_type);
        match self.seq {
            Seq::Next => Some(expected),
            Seq::Ahead(n) => Some(expected + 1 + u64::from(n % 20)),
            Seq::Behind(n) => Some(expected.saturating_sub(1 + u64::from(n % 20)).max(1)),
            Seq::Exact(n) => Some(u64::from(n)),
            Seq::Missing => None,
        }
        .map(|s| e.uint(34, s));
        if self.poss_dup {
            e.bytes(43, b"Y");
        }
        let (sender, target) = match self.comp % 8 {
            1 => (Some("XXX"), Some(OUR_ID)),
            2 => (Some(cfg.target_comp_id.as_str()), Some("YYY")),
            3 => (None, None),
            _ => (Some(cfg.target_comp_id.as_str()), Some(OUR_ID)),
        };
        if let Some(s) = sender {
            e.str(49, s);
        }
        let sending = UtcTimestamp::from_nanos(d.now()).plus_secs(i64::from(self.skew));
        e.timestamp(52, sending, TimePrecision::Millis);
        if let Some(t) = target {
            e.str(56, t);
        }
        if let Some(back) = self.orig {
            let orig = sending.plus_secs(-i64::from(back % 200) + 20);
            e.timestamp(122, orig, TimePrecision::Millis);
        }
        let (a, b) = (u64::from(self.a), u64::from(self.b));
        match self.kind {
            Kind::Logon => {
                e.bytes(98, b"0");
                e.uint(108, a % 40);
                if self.flag {
                    e.bytes(141, b"Y");
                }
                if b & 0x100 != 0 {
                    e.uint(789, (ours + b % 4).saturating_sub(2).max(1));
                }
                if let Some(appl) = &cfg.default_appl_ver_id {
                    e.str(1137, appl);
                }
            }
            Kind::Heartbeat => {
                if self.flag {
                    e.bytes(112, b"TEST");
                }
            }
            Kind::TestRequest => {
                e.uint(112, a);
            }
            Kind::ResendRequest => {
                let begin = ours.saturating_sub(a % 16).max(1);
                e.uint(7, begin);
                e.uint(16, if self.flag { 0 } else { begin + b % 16 });
            }
            Kind::Reject => {
                e.uint(45, ours.saturating_sub(1).max(1));
                if self.flag {
                    e.uint(373, a % 20);
                }
            }
            Kind::SequenceReset => {
                if self.flag {
                    e.bytes(123, b"Y");
                }
                e.uint(36, (expected + a % 24).saturating_sub(4));
            }
            Kind::Logout => {
                if self.flag {
                    e.bytes(58, b"bye");
                }
            }
            Kind::NewOrder => {
                e.uint(11, a % 8);
                e.bytes(21, b"1");
                e.bytes(55, b"FUZZ");
                e.bytes(54, b"1");
                e.timestamp(60, sending, TimePrecision::Millis);
                e.uint(38, 100);
                e.bytes(40, b"1");
                if self.flag {
                    e.bytes(97, b"Y");
                }
            }
            Kind::SecurityDefinition => {
                e.uint(320, a);
                e.uint(322, b);
                e.bytes(323, b"1");
            }
            Kind::Other(_) => {}
        }
        for (tag, v) in &self.extra {
            let tag = u32::from(*tag);
            match v {
                Val::Num(n) => e.uint(tag, u64::from(*n)),
                Val::Char(c) => e.bytes(tag, &[if *c == SOH { b'x' } else { *c }]),
                Val::Bytes(bytes) => {
                    let clean: Vec<u8> = bytes
                        .iter()
                        .map(|&c| if c == SOH { b'x' } else { c })
                        .collect();
                    e.bytes(tag, &clean)
                }
                Val::Data(i, bytes) => {
                    let (len, data) = DATA_PAIRS[usize::from(*i) % DATA_PAIRS.len()];
                    e.data(len, data, bytes)
                }
            };
        }
        e.finish();
        buf
    }
}

/// Runs one scenario.
pub fn run(s: &Scenario) {
    let mut d = Driver::new(Knobs(s.knobs));
    d.validate_outbound();
    d.connect();
    for op in s.ops.iter().take(256) {
        match op {
            Op::Msg(m) => {
                let bytes = m.encode(&d);
                d.feed(&bytes);
            }
            Op::Split(m, at) => {
                let bytes = m.encode(&d);
                let at = usize::from(*at) % (bytes.len() + 1);
                d.feed(&bytes[..at]);
                d.feed(&bytes[at..]);
            }
            Op::Corrupt(m, at, byte) => {
                let mut bytes = m.encode(&d);
                let n = bytes.len();
                if let Some(b) = bytes.get_mut(usize::from(*at) % n.max(1)) {
                    *b = *byte;
                }
                d.feed(&bytes);
            }
            Op::Garbage(bytes) => d.feed(bytes),
            Op::AdvanceMillis(ms) => d.advance(i64::from(*ms) * 1_000_000),
            Op::AdvanceSecs(s) => d.advance(i64::from(*s) * NANOS),
            Op::Deadline => d.to_deadline(),
            Op::Tick => d.tick(),
            Op::AppSend => d.app_send(b"APP"),
            Op::Logout => d.logout(),
            Op::Disconnect => d.disconnect(),
            Op::Connect => d.connect(),
            Op::StepWallSecs(s) => d.step_wall(i64::from(*s) * NANOS),
        }
    }
    for _ in 0..6 {
        d.to_deadline();
    }
    d.disconnect();
}
