//! Message plumbing shared by both modes: splitting the session's outbound
//! buffer into messages, and sending a captured application message again
//! through a session (new header, captured body).

use ringfix_codec::{frame, Frame, Parser};
use ringfix_engine::session::{is_header_tag, SendError, Session, Tag};
use ringfix_engine::store::MessageStore;
use ringfix_engine::time::Now;

/// Largest message the splitter accepts.
const MAX_LEN: usize = 16 << 20;

/// The complete messages in `buf`, in order (garbage skipped: the session
/// writes none).
pub(crate) fn split(buf: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = buf;
    while !rest.is_empty() {
        match frame(rest, MAX_LEN) {
            Frame::Complete(n) => {
                let (m, tail) = rest.split_at(n.min(rest.len()));
                out.push(m);
                rest = tail;
            }
            Frame::Incomplete => break,
            Frame::Garbled { skip, .. } => rest = rest.get(skip.max(1)..).unwrap_or_default(),
        }
    }
    out
}

/// Header tags the session writes itself on every message it sends.
fn session_owned(tag: Tag) -> bool {
    matches!(tag, 8 | 9 | 10 | 34 | 35 | 43 | 49 | 52 | 56 | 97 | 122)
}

/// A captured message taken apart for sending again.
pub(crate) struct Parts<'a> {
    /// MsgType (35).
    pub msg_type: &'a [u8],
    /// Header fields the session does not own (SubIDs, OnBehalfOf...), by tag.
    pub header: Vec<(Tag, &'a [u8])>,
    /// Body fields in wire order (groups stay intact).
    pub body: Vec<(Tag, &'a [u8])>,
}

impl<'a> Parts<'a> {
    /// Takes `bytes` apart.
    pub(crate) fn of(bytes: &'a [u8]) -> Parts<'a> {
        let mut p = Parts {
            msg_type: &[],
            header: Vec::new(),
            body: Vec::new(),
        };
        // The codec's index; values sliced from `bytes` (they outlive it).
        let mut parser = Parser::new();
        let fields = parser.parse_framed(bytes).map(|v| {
            v.fields()
                .map(|f| (f.tag, bytes.get(f.offset..f.offset + f.value.len())))
                .collect::<Vec<_>>()
        });
        for (tag, v) in fields.unwrap_or_default() {
            let v = v.unwrap_or_default();
            if tag == 35 {
                p.msg_type = v;
            } else if is_header_tag(tag) {
                if !session_owned(tag) {
                    p.header.push((tag, v));
                }
            } else if tag != 10 {
                p.body.push((tag, v));
            }
        }
        p.header.sort_by_key(|f| f.0);
        p
    }

    /// Sends the message through `session` (renumbered, re-stamped, our
    /// CompIDs) into `out`; body fields with a tag in `restamp` get `now`.
    /// Returns its MsgSeqNum.
    pub(crate) fn send<S: MessageStore>(
        &self,
        session: &mut Session<S>,
        now: Now,
        restamp: &[Tag],
        out: &mut Vec<u8>,
    ) -> Result<u64, SendError> {
        let body = &self.body;
        let digits = session.settings().timestamp_precision;
        session.send(
            self.msg_type,
            &self.header,
            |w| {
                for &(t, v) in body {
                    if restamp.contains(&t) {
                        w.field_time(t, now.wall.as_nanos(), digits);
                    } else {
                        w.field(t, v);
                    }
                }
            },
            now,
            out,
        )
    }
}

/// A complete message from `fields` (BodyLength and CheckSum computed);
/// used for the synthetic Logon of a capture that starts mid-session.
pub(crate) fn build(begin_string: &str, fields: &[(Tag, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (t, v) in fields {
        body.extend_from_slice(t.to_string().as_bytes());
        body.push(b'=');
        body.extend_from_slice(v);
        body.push(1);
    }
    let mut m = format!("8={begin_string}\x019={}\x01", body.len()).into_bytes();
    m.extend_from_slice(&body);
    let sum = m.iter().fold(0u8, |s, &b| s.wrapping_add(b));
    m.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
    m
}
