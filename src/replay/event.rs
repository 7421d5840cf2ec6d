//! What a replay reports: one [`Event`] per session action, printed as a
//! line of text or as one JSON object.

use std::fmt::Write as _;

use ringfix_engine::session::{Incoming, SessionState, Tag};
use serde_json::{json, Map, Value};

use super::names::msg_type_name;
use crate::decode::Timestamp;

/// Fields shown for a message (when present), besides MsgType and MsgSeqNum.
const SUMMARY_TAGS: &[Tag] = &[
    43, 108, 141, 112, 7, 16, 36, 123, 45, 371, 372, 373, 380, 789, 11, 41, 37, 39, 150, 55, 54,
    38, 14, 151, 58,
];

/// A message, reduced to what a report shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MsgInfo {
    /// MsgSeqNum (34).
    pub seq: Option<u64>,
    /// MsgType (35).
    pub msg_type: String,
    /// Selected fields (the ones a report shows, when present), in a fixed order.
    pub fields: Vec<(Tag, String)>,
}

impl MsgInfo {
    /// Summarises one message.
    pub fn of(bytes: &[u8]) -> MsgInfo {
        Incoming::parse_with(bytes, |inc| MsgInfo {
            seq: inc.header().seq,
            msg_type: String::from_utf8_lossy(inc.msg_type()).into_owned(),
            fields: SUMMARY_TAGS
                .iter()
                .filter_map(|&t| {
                    inc.get(t)
                        .map(|v| (t, String::from_utf8_lossy(v).into_owned()))
                })
                .collect(),
        })
        // The codec refuses its fields: nothing to show but that.
        .unwrap_or_else(|_| MsgInfo {
            seq: None,
            msg_type: String::new(),
            fields: Vec::new(),
        })
    }

    /// The MsgType's name (`Logout`), or the raw type.
    pub fn name(&self) -> &str {
        match msg_type_name(self.msg_type.as_bytes()) {
            "" => &self.msg_type,
            n => n,
        }
    }

    fn text(&self) -> String {
        let mut s = String::new();
        if let Some(seq) = self.seq {
            let _ = write!(s, "34={seq} ");
        }
        let _ = write!(s, "35={} {}", self.msg_type, self.name());
        for (t, v) in &self.fields {
            let _ = write!(s, " {t}={v}");
        }
        s
    }

    fn json(&self, obj: &mut Map<String, Value>) {
        obj.insert("seq".into(), json!(self.seq));
        obj.insert("msg_type".into(), json!(self.msg_type));
        obj.insert("name".into(), json!(self.name()));
        let fields: Map<String, Value> = self
            .fields
            .iter()
            .map(|(t, v)| (t.to_string(), json!(v)))
            .collect();
        obj.insert("fields".into(), Value::Object(fields));
    }
}

/// Where an outbound message came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// The session made it (admin messages, rejects).
    Session,
    /// The capture: an application message our side sent, sent again.
    Captured,
}

/// What happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A connection opened (the capture's connection id when known).
    Connected {
        /// Capture connection id.
        connection: Option<u64>,
    },
    /// A captured inbound message was fed to the session.
    Recv(MsgInfo),
    /// The session would send this.
    Send(MsgInfo, Origin),
    /// An application message was delivered to the application.
    Deliver(MsgInfo),
    /// A session deadline passed on the captured clock: `on_timer` fired.
    Timer,
    /// The session changed state.
    Transition {
        /// Before.
        from: SessionState,
        /// After.
        to: SessionState,
    },
    /// The Logon exchange completed.
    Logon,
    /// The session logged out (reason as `Debug` text).
    Logout(String),
    /// Sequence numbers were reset.
    Reset,
    /// The session decided to close the connection: `after-flush` or `now`.
    Close(&'static str),
    /// The connection is gone (`why`: `closed by session`, `new connection`...).
    Disconnected(String),
    /// Something the reader should know (a divergence, ignored messages).
    Note(String),
}

/// One event at a time on the replay clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// Nanoseconds since the epoch.
    pub at: i64,
    /// What.
    pub kind: EventKind,
}

impl Event {
    /// The event's name in text and JSON output.
    pub fn name(&self) -> &'static str {
        match &self.kind {
            EventKind::Connected { .. } => "connected",
            EventKind::Recv(_) => "recv",
            EventKind::Send(..) => "send",
            EventKind::Deliver(_) => "deliver",
            EventKind::Timer => "timer",
            EventKind::Transition { .. } => "state",
            EventKind::Logon => "logon",
            EventKind::Logout(_) => "logout",
            EventKind::Reset => "reset",
            EventKind::Close(_) => "close",
            EventKind::Disconnected(_) => "disconnected",
            EventKind::Note(_) => "note",
        }
    }

    /// The send's message, when this is one.
    #[cfg(test)]
    pub fn sent(&self) -> Option<&MsgInfo> {
        match &self.kind {
            EventKind::Send(m, _) => Some(m),
            _ => None,
        }
    }

    fn ts(&self) -> String {
        Timestamp::from_nanos(self.at, 6).to_string()
    }

    /// One line of text.
    pub fn text(&self) -> String {
        let detail = match &self.kind {
            EventKind::Connected { connection } => match connection {
                Some(c) => format!("connection {c}"),
                None => String::new(),
            },
            EventKind::Recv(m) | EventKind::Deliver(m) => m.text(),
            EventKind::Send(m, Origin::Session) => m.text(),
            EventKind::Send(m, Origin::Captured) => format!("{} (captured)", m.text()),
            EventKind::Timer => "deadline reached".into(),
            EventKind::Transition { from, to } => format!("{} -> {}", from.name(), to.name()),
            EventKind::Logon | EventKind::Reset => String::new(),
            EventKind::Logout(r) => r.clone(),
            EventKind::Close(mode) => (*mode).to_owned(),
            EventKind::Disconnected(why) | EventKind::Note(why) => why.clone(),
        };
        format!("{} {:<12} {}", self.ts(), self.name(), detail)
            .trim_end()
            .to_owned()
    }

    /// One JSON object.
    pub fn json(&self) -> Value {
        let mut o = Map::new();
        o.insert("ts".into(), json!(self.ts()));
        o.insert("ts_ns".into(), json!(self.at));
        o.insert("event".into(), json!(self.name()));
        match &self.kind {
            EventKind::Connected { connection } => {
                o.insert("connection".into(), json!(connection));
            }
            EventKind::Recv(m) | EventKind::Deliver(m) => m.json(&mut o),
            EventKind::Send(m, origin) => {
                m.json(&mut o);
                let origin = match origin {
                    Origin::Session => "session",
                    Origin::Captured => "captured",
                };
                o.insert("origin".into(), json!(origin));
            }
            EventKind::Timer | EventKind::Logon | EventKind::Reset => {}
            EventKind::Transition { from, to } => {
                o.insert("from".into(), json!(from.name()));
                o.insert("to".into(), json!(to.name()));
            }
            EventKind::Logout(r) => {
                o.insert("reason".into(), json!(r));
            }
            EventKind::Close(mode) => {
                o.insert("mode".into(), json!(mode));
            }
            EventKind::Disconnected(t) | EventKind::Note(t) => {
                o.insert("text".into(), json!(t));
            }
        }
        Value::Object(o)
    }
}
