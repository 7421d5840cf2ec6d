//! Loading a capture for replay: the messages with a clock, who sent each
//! (initiator or acceptor) and the session's identity (CompIDs, version,
//! HeartBtInt, first sequence numbers).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;

use ringfix_codec::{Parser, UtcTimestamp};
use ringfix_engine::session::Incoming;

use super::ReplayError;
use crate::decode::{Decoder, Item, Message, Problem};

/// A side of a FIX session.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Side {
    /// The side that connected and sent the first Logon.
    Initiator,
    /// The side that accepted the connection.
    Acceptor,
}

impl Side {
    /// The other side.
    pub fn other(self) -> Side {
        match self {
            Side::Initiator => Side::Acceptor,
            Side::Acceptor => Side::Initiator,
        }
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Side::Initiator => "initiator",
            Side::Acceptor => "acceptor",
        }
    }
}

/// One captured message, ready for replay.
#[derive(Clone, Debug)]
pub struct CapMsg {
    /// Capture time (nanoseconds since the epoch); SendingTime when the
    /// input has no times, else the previous message's time.
    pub ts: i64,
    /// The side that sent it; `None` when it belongs to another session.
    pub from: Option<Side>,
    /// TCP connection id (captures only).
    pub connection: Option<u64>,
    /// The whole message.
    pub bytes: Vec<u8>,
}

impl CapMsg {
    /// The message indexed by the codec with `parser`; `None` when it
    /// refuses the message's fields (framing was checked at load).
    pub fn incoming<'p>(&'p self, parser: &'p mut Parser) -> Option<Incoming<'p>> {
        parser
            .parse_framed(&self.bytes)
            .ok()
            .map(|v| Incoming::from_view(&v))
    }
}

/// Who the captured session is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Profile {
    /// BeginString (8).
    pub begin_string: String,
    /// SenderCompID of the initiator.
    pub initiator_comp_id: String,
    /// SenderCompID of the acceptor.
    pub acceptor_comp_id: String,
    /// HeartBtInt (108) of the first Logon.
    pub heart_bt_int: Option<u32>,
    /// DefaultApplVerID (1137) of the first Logon (FIXT).
    pub default_appl_ver_id: Option<String>,
    /// How the sides were told apart: `syn`, `logon` or `first-message`.
    pub basis: &'static str,
}

impl Profile {
    /// SenderCompID of `side`.
    pub fn comp_id(&self, side: Side) -> &str {
        match side {
            Side::Initiator => &self.initiator_comp_id,
            Side::Acceptor => &self.acceptor_comp_id,
        }
    }
}

/// A capture in memory.
#[derive(Clone, Debug)]
pub struct Capture {
    /// The session.
    pub profile: Profile,
    /// Every message, in capture order.
    pub messages: Vec<CapMsg>,
    /// What the decoder complained about.
    pub problems: Vec<Problem>,
}

impl Capture {
    /// Decodes `path` (any format `ringfix decode` reads; `-` is stdin).
    pub fn load(path: &str) -> Result<Capture, ReplayError> {
        let decoder = if path == "-" {
            Decoder::open_arg(path)?
        } else {
            Decoder::open(Path::new(path))?
        };
        let mut raw = Vec::new();
        let mut problems = Vec::new();
        for item in decoder {
            match item {
                Item::Message(m) => raw.push(m),
                Item::Problem(p) => problems.push(p),
            }
        }
        Capture::from_messages(raw, problems)
    }

    /// Builds a capture from decoded messages.
    pub fn from_messages(
        raw: Vec<Message>,
        problems: Vec<Problem>,
    ) -> Result<Capture, ReplayError> {
        let profile = detect(&raw)?;
        let mut sides = Sides::new(&profile);
        let mut last_ts = 0i64;
        let messages = raw
            .into_iter()
            .map(|m| {
                let ts =
                    m.ts.map(|t| t.nanos())
                        .or_else(|| sending_time(&m.bytes))
                        .unwrap_or(last_ts);
                last_ts = ts;
                CapMsg {
                    ts,
                    from: sides.classify(&m),
                    connection: m.connection.map(|c| c.id),
                    bytes: m.bytes,
                }
            })
            .collect();
        Ok(Capture {
            profile,
            messages,
            problems,
        })
    }

    /// The first MsgSeqNum `side` sent (seeds a mid-session replay).
    pub fn first_seq(&self, side: Side) -> Option<u64> {
        let mut parser = Parser::new();
        self.messages
            .iter()
            .filter(|m| m.from == Some(side))
            .find_map(|m| m.incoming(&mut parser)?.header().seq)
    }
}

fn sending_time(bytes: &[u8]) -> Option<i64> {
    Incoming::parse_with(bytes, |inc| {
        let v = inc.header().sending_time?;
        UtcTimestamp::parse(v).ok().map(|t| t.as_nanos())
    })
    .ok()
    .flatten()
}

fn text(v: Option<&[u8]>) -> String {
    String::from_utf8_lossy(v.unwrap_or_default()).into_owned()
}

/// Whether `m` was sent by the side that opened its TCP connection, when
/// the capture saw the SYN.
fn from_client(m: &Message) -> Option<bool> {
    let client = m.connection?.client?;
    Some(m.src? == client)
}

/// Finds the session: the first Logon (its sender is the initiator unless
/// the SYN says otherwise), else the first message.
fn detect(raw: &[Message]) -> Result<Profile, ReplayError> {
    let logon = raw
        .iter()
        .find(|m| Incoming::parse_with(&m.bytes, |i| i.msg_type() == b"A").unwrap_or(false));
    let (m, basis) = match logon {
        Some(m) => (m, "logon"),
        None => match raw.iter().find(|m| from_client(m).is_some()) {
            Some(m) => (m, "syn"),
            None => (
                raw.first().ok_or_else(|| {
                    ReplayError::NoSession("the capture holds no FIX message".into())
                })?,
                "first-message",
            ),
        },
    };
    let mut parser = Parser::new();
    let view = parser.parse_framed(&m.bytes).map_err(|e| {
        ReplayError::NoSession(format!("the session's first message does not parse: {e}"))
    })?;
    let inc = Incoming::from_view(&view);
    let h = inc.header();
    let (sender, target) = (text(h.sender), text(h.target));
    let (initiator, acceptor, basis) = match from_client(m) {
        Some(true) => (sender, target, "syn"),
        Some(false) => (target, sender, "syn"),
        None => (sender, target, basis),
    };
    if initiator.is_empty() || acceptor.is_empty() {
        return Err(ReplayError::NoSession(
            "the session's first message lacks SenderCompID or TargetCompID".into(),
        ));
    }
    let is_logon = inc.msg_type() == b"A";
    Ok(Profile {
        begin_string: text(h.begin_string),
        initiator_comp_id: initiator,
        acceptor_comp_id: acceptor,
        heart_bt_int: is_logon
            .then(|| inc.get_u64(108))
            .flatten()
            .and_then(|v| u32::try_from(v).ok()),
        default_appl_ver_id: is_logon
            .then(|| inc.get(1137))
            .flatten()
            .map(|v| String::from_utf8_lossy(v).into_owned()),
        basis,
    })
}

/// Tells who sent each message: the SYN when captured, else the CompIDs,
/// else the addresses learned earlier on the same connection.
struct Sides<'a> {
    profile: &'a Profile,
    initiator_addr: HashMap<u64, SocketAddr>,
}

impl<'a> Sides<'a> {
    fn new(profile: &'a Profile) -> Self {
        Self {
            profile,
            initiator_addr: HashMap::new(),
        }
    }

    fn classify(&mut self, m: &Message) -> Option<Side> {
        let known_conn = m
            .connection
            .is_some_and(|c| self.initiator_addr.contains_key(&c.id));
        let side = match (self.by_syn(m), self.by_comp_ids(m)) {
            (Some(s), Some(_)) | (None, Some(s)) => s,
            // Wrong CompIDs on a connection of this session: still ours
            // (a CompID problem to reproduce); elsewhere another session.
            (syn, None) if known_conn => syn.or_else(|| self.by_address(m))?,
            _ => return None,
        };
        if let (Some(conn), Some(src), Some(dst)) = (m.connection, m.src, m.dst) {
            let init = if side == Side::Initiator { src } else { dst };
            self.initiator_addr.entry(conn.id).or_insert(init);
        }
        Some(side)
    }

    fn by_address(&self, m: &Message) -> Option<Side> {
        let init = self.initiator_addr.get(&m.connection?.id)?;
        Some(if m.src? == *init {
            Side::Initiator
        } else {
            Side::Acceptor
        })
    }

    fn by_syn(&self, m: &Message) -> Option<Side> {
        from_client(m).map(|c| if c { Side::Initiator } else { Side::Acceptor })
    }

    fn by_comp_ids(&self, m: &Message) -> Option<Side> {
        let mut parser = Parser::new();
        let inc = parser.parse_framed(&m.bytes).ok()?;
        let (s, t) = (inc.sender_comp_id()?, inc.target_comp_id()?);
        let (i, a) = (
            self.profile.initiator_comp_id.as_bytes(),
            self.profile.acceptor_comp_id.as_bytes(),
        );
        if s == i && t == a {
            Some(Side::Initiator)
        } else if s == a && t == i {
            Some(Side::Acceptor)
        } else {
            None
        }
    }
}
