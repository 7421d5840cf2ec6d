//! The `echo` application the QuickFIX acceptance scripts expect: echoes
//! NewOrderSingle (D) and SecurityDefinition (d) back with our header and
//! the body in ascending tag order (as QuickFIX's FieldMap writes it),
//! drops a PossResend=Y order whose ClOrdID the session already saw, and
//! answers every other application message with BusinessMessageReject
//! "Unsupported Message Type".

use std::collections::{HashMap, HashSet};

use ringfix_codec::data_fields::data_tag_for;
use ringfix_codec::INVALID_TAG;

use crate::session::{
    is_header_tag, AppVerdict, Application, Incoming, Sender, SessionSettings, Tag,
};

/// Header fields the session writes itself (never copied from the input).
fn session_owned(tag: Tag) -> bool {
    matches!(tag, 8 | 9 | 10 | 34 | 35 | 43 | 49 | 52 | 56 | 122)
}

/// Echo order: by tag, a data field right behind its length field:
/// (tag or length tag, input position, 0 or 1 for the data field).
type SortKey = (Tag, usize, u8);

/// Echo application state: ClOrdIDs seen per session (BeginString and
/// TargetCompID), forgotten when the session resets.
#[derive(Debug, Default)]
pub struct Echo {
    seen: HashMap<(String, String), HashSet<Vec<u8>>>,
    /// Scratch: (sort key, tag, start, end) of fields to echo; reused.
    header: Vec<(SortKey, Tag, usize, usize)>,
    body: Vec<(SortKey, Tag, usize, usize)>,
}

impl Echo {
    /// A fresh echo application.
    pub fn new() -> Self {
        Self::default()
    }

    fn key(s: &SessionSettings) -> (String, String) {
        (s.begin_string.clone(), s.target_comp_id.clone())
    }

    fn echo(&mut self, msg: &Incoming<'_>, out: &mut Sender<'_>) {
        let raw = msg.raw();
        let base = raw.as_ptr() as usize;
        self.header.clear();
        self.body.clear();
        // Fields go out sorted by tag, except that a length field and its
        // data field stay a pair; a length field without its data field is
        // dropped (fuzz finding: sorting made it announce the length of
        // whatever field came next, an unparsable message).
        let mut pair: Option<(Tag, Tag, usize)> = None;
        let mut fields = msg.fields().enumerate().peekable();
        while let Some((i, (tag, v))) = fields.next() {
            // A negative tag text (`-1=x`, delivered when validation is
            // off) has no number to write back: echoed as 4294967295 it
            // made an unparsable message (fuzz finding). Dropped.
            if tag == INVALID_TAG {
                continue;
            }
            let key = match pair.take() {
                Some((data, len, at)) if data == tag => (len, at, 1),
                _ => (tag, i, 0),
            };
            if let Some(data) = data_tag_for(tag) {
                if fields.peek().map(|&(_, (t, _))| t) != Some(data) {
                    continue;
                }
                pair = Some((data, tag, i));
            }
            let start = (v.as_ptr() as usize).saturating_sub(base);
            let entry = (key, tag, start, start + v.len());
            if is_header_tag(tag) {
                if !session_owned(tag) {
                    self.header.push(entry);
                }
            } else if tag != 10 {
                self.body.push(entry);
            }
        }
        self.header.sort_by_key(|e| e.0);
        self.body.sort_by_key(|e| e.0);
        let slice =
            |&(_, t, s, e): &(SortKey, Tag, usize, usize)| (t, raw.get(s..e).unwrap_or(&[]));
        let extra: Vec<(Tag, &[u8])> = self.header.iter().map(slice).collect();
        let body = &self.body;
        // A store failure stops the session; the session reports it.
        let _ = out.send(msg.msg_type(), &extra, |w| {
            for f in body {
                let (t, v) = slice(f);
                w.field(t, v);
            }
        });
    }
}

impl Application for Echo {
    fn on_app(
        &mut self,
        session: &SessionSettings,
        msg: &Incoming<'_>,
        out: &mut Sender<'_>,
    ) -> AppVerdict {
        match msg.msg_type() {
            b"D" => {
                let id = msg.get(11).unwrap_or(&[]).to_vec();
                let seen = self.seen.entry(Self::key(session)).or_default();
                if msg.header().poss_resend && seen.contains(&id) {
                    return AppVerdict::Accept;
                }
                seen.insert(id);
                self.echo(msg, out);
                AppVerdict::Accept
            }
            b"d" => {
                self.echo(msg, out);
                AppVerdict::Accept
            }
            _ => AppVerdict::BusinessReject {
                reason: 3,
                ref_tag: None,
                text: None,
            },
        }
    }

    fn on_reset(&mut self, session: &SessionSettings) {
        self.seen.remove(&Self::key(session));
    }
}
