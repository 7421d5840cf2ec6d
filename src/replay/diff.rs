//! Comparing the counterparty's answers with the captured ones: each answer
//! is reduced to its MsgType and key fields, the two sequences are aligned
//! (Myers diff) and what does not line up is reported.

use std::fmt::Write as _;

use ringfix_codec::redact::Redaction;
use ringfix_engine::session::{Incoming, Tag};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

use similar::{capture_diff_slices_deadline, Algorithm, DiffOp};

use crate::decode::Timestamp;

/// Key fields compared by default: ClOrdID, OrigClOrdID, OrdStatus,
/// ExecType, Side, Symbol, OrderQty, CumQty, LeavesQty, CxlRejReason,
/// SessionRejectReason, BusinessRejectReason.
pub const DEFAULT_KEYS: &[Tag] = &[11, 41, 39, 150, 54, 55, 38, 14, 151, 102, 373, 380];

/// What is compared of one answer.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// MsgType (35).
    pub msg_type: String,
    /// The key fields, in key order; `None` when absent.
    pub fields: Vec<(Tag, Option<String>)>,
}

impl Key {
    /// The key of `bytes` for the tags `keys`.
    pub fn of(bytes: &[u8], keys: &[Tag]) -> Key {
        let text = |v: &[u8]| String::from_utf8_lossy(v).into_owned();
        // A message the codec refuses has no key fields.
        Incoming::parse_with(bytes, |inc| Key {
            msg_type: text(inc.msg_type()),
            fields: keys.iter().map(|&t| (t, inc.get(t).map(text))).collect(),
        })
        .unwrap_or_else(|_| Key {
            msg_type: String::new(),
            fields: keys.iter().map(|&t| (t, None)).collect(),
        })
    }

    /// `35=8 11=A 39=0`: the fields present.
    pub fn text(&self) -> String {
        let mut s = format!("35={}", self.msg_type);
        for (t, v) in &self.fields {
            if let Some(v) = v {
                let _ = write!(s, " {t}={v}");
            }
        }
        s
    }
}

/// An answer: when it was seen, its MsgSeqNum, its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// Capture time, or receive time for a live answer (ns since the epoch).
    pub at: i64,
    /// MsgSeqNum (34).
    pub seq: Option<u64>,
    /// What is compared.
    pub key: Key,
}

impl Answer {
    /// An answer from a whole message.
    pub fn of(at: i64, bytes: &[u8], keys: &[Tag]) -> Answer {
        Answer {
            at,
            seq: Incoming::parse_with(bytes, |i| i.header().seq)
                .ok()
                .flatten(),
            key: Key::of(bytes, keys),
        }
    }

    fn json(&self) -> Value {
        let fields: serde_json::Map<String, Value> = self
            .key
            .fields
            .iter()
            .filter_map(|(t, v)| v.as_ref().map(|v| (t.to_string(), json!(v))))
            .collect();
        json!({
            "ts": Timestamp::from_nanos(self.at, 6).to_string(),
            "seq": self.seq,
            "msg_type": self.key.msg_type,
            "fields": fields,
        })
    }
}

/// One difference.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Captured, not answered live.
    Missing(Answer),
    /// Answered live, not in the capture.
    Unexpected(Answer),
    /// In the same place, with different values for `tags` (35 for MsgType).
    Changed {
        /// The captured answer.
        captured: Answer,
        /// The live answer.
        live: Answer,
        /// Tags whose values differ.
        tags: Vec<Tag>,
    },
}

impl Entry {
    /// One line for people.
    pub fn text(&self) -> String {
        let seq = |a: &Answer| a.seq.map_or(String::new(), |s| format!("34={s} "));
        match self {
            Entry::Missing(a) => format!("missing     captured {}{}", seq(a), a.key.text()),
            Entry::Unexpected(a) => format!("unexpected  live {}{}", seq(a), a.key.text()),
            Entry::Changed {
                captured,
                live,
                tags,
            } => {
                let mut s = format!("changed     {}:", captured.key.text());
                for &t in tags {
                    let get = |k: &Key| {
                        if t == 35 {
                            Some(k.msg_type.clone())
                        } else {
                            k.fields.iter().find(|f| f.0 == t).and_then(|f| f.1.clone())
                        }
                    };
                    let show = |v: Option<String>| v.unwrap_or_else(|| "(absent)".into());
                    let _ = write!(
                        s,
                        " {t} captured {} live {};",
                        show(get(&captured.key)),
                        show(get(&live.key))
                    );
                }
                s.trim_end_matches(';').to_owned()
            }
        }
    }

    /// One JSON object.
    pub fn json(&self) -> Value {
        match self {
            Entry::Missing(a) => json!({"kind": "missing", "captured": a.json()}),
            Entry::Unexpected(a) => json!({"kind": "unexpected", "live": a.json()}),
            Entry::Changed {
                captured,
                live,
                tags,
            } => {
                json!({"kind": "changed", "captured": captured.json(), "live": live.json(), "tags": tags})
            }
        }
    }
}

/// The result of a comparison.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diff {
    /// Captured answers.
    pub captured: usize,
    /// Live answers.
    pub live: usize,
    /// Answers that lined up with equal keys.
    pub matched: usize,
    /// The differences, in order.
    pub entries: Vec<Entry>,
}

impl Diff {
    /// Whether the answers matched exactly.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Masks the values of `redact`'s tags (the session's
    /// `RedactFieldsInLogs`) in every entry, before the diff is shown or
    /// written: a key field such as Password (554) reads `***`. The
    /// differing tags are still named.
    pub fn redact(&mut self, redact: &Redaction) {
        let mask = |a: &mut Answer| {
            for (tag, value) in &mut a.key.fields {
                if redact.masks(*tag) && value.is_some() {
                    *value = Some("***".to_owned());
                }
            }
        };
        for e in &mut self.entries {
            match e {
                Entry::Missing(a) | Entry::Unexpected(a) => mask(a),
                Entry::Changed { captured, live, .. } => {
                    mask(captured);
                    mask(live);
                }
            }
        }
    }
}

fn differing(a: &Key, b: &Key) -> Vec<Tag> {
    let mut tags = Vec::new();
    if a.msg_type != b.msg_type {
        tags.push(35);
    }
    for (x, y) in a.fields.iter().zip(&b.fields) {
        if x.1 != y.1 {
            tags.push(x.0);
        }
    }
    tags
}

/// Aligns the captured answers with the live ones.
pub fn compare(captured: &[Answer], live: &[Answer]) -> Diff {
    let a: Vec<&Key> = captured.iter().map(|x| &x.key).collect();
    let b: Vec<&Key> = live.iter().map(|x| &x.key).collect();
    let mut diff = Diff {
        captured: captured.len(),
        live: live.len(),
        ..Diff::default()
    };
    let old = |i: usize| captured.get(i).cloned();
    let new = |i: usize| live.get(i).cloned();
    // Very different sequences make Myers quadratic: past the deadline it
    // settles for a coarser (still correct) alignment.
    let deadline = Instant::now().checked_add(Duration::from_secs(10));
    for op in capture_diff_slices_deadline(Algorithm::Myers, &a, &b, deadline) {
        match op {
            DiffOp::Equal { len, .. } => diff.matched += len,
            DiffOp::Delete {
                old_index, old_len, ..
            } => diff.entries.extend(
                (old_index..old_index + old_len)
                    .filter_map(old)
                    .map(Entry::Missing),
            ),
            DiffOp::Insert {
                new_index, new_len, ..
            } => diff.entries.extend(
                (new_index..new_index + new_len)
                    .filter_map(new)
                    .map(Entry::Unexpected),
            ),
            DiffOp::Replace {
                old_index,
                old_len,
                new_index,
                new_len,
            } => {
                let pairs = old_len.min(new_len);
                for k in 0..pairs {
                    let (Some(c), Some(l)) = (old(old_index + k), new(new_index + k)) else {
                        continue;
                    };
                    if c.key.msg_type == l.key.msg_type {
                        let tags = differing(&c.key, &l.key);
                        diff.entries.push(Entry::Changed {
                            captured: c,
                            live: l,
                            tags,
                        });
                    } else {
                        diff.entries.push(Entry::Missing(c));
                        diff.entries.push(Entry::Unexpected(l));
                    }
                }
                let missing = (old_index + pairs..old_index + old_len).filter_map(old);
                diff.entries.extend(missing.map(Entry::Missing));
                let extra = (new_index + pairs..new_index + new_len).filter_map(new);
                diff.entries.extend(extra.map(Entry::Unexpected));
            }
        }
    }
    diff
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ans(seq: u64, body: &str) -> Answer {
        // A well-formed frame: MsgType first, then MsgSeqNum, the real
        // BodyLength and CheckSum (the codec parses what the engine sent).
        let (msg_type, rest) = body.split_once('|').unwrap_or((body, ""));
        let body = format!("{msg_type}|34={seq}|{rest}|").replace('|', "\x01");
        let head = format!("8=FIX.4.4\x019={}\x01{body}", body.len());
        let sum = head.bytes().fold(0u8, |a, b| a.wrapping_add(b));
        let raw = format!("{head}10={sum:03}\x01");
        Answer::of(0, raw.as_bytes(), DEFAULT_KEYS)
    }

    #[test]
    fn equal_sequences_have_no_entries() {
        let a = vec![ans(1, "35=8|11=A|39=0"), ans(2, "35=8|11=B|39=0")];
        let d = compare(&a, &a);
        assert!(d.is_empty());
        assert_eq!(d.matched, 2);
    }

    #[test]
    fn a_changed_status_a_missing_and_an_extra_answer() {
        let cap = vec![
            ans(1, "35=8|11=A|39=0"),
            ans(2, "35=8|11=B|39=2"),
            ans(3, "35=8|11=C|39=0"),
        ];
        let live = vec![
            ans(1, "35=8|11=A|39=0"),
            ans(2, "35=8|11=B|39=8"),
            ans(3, "35=j|380=3"),
            ans(4, "35=8|11=C|39=0"),
        ];
        let d = compare(&cap, &live);
        assert_eq!(d.matched, 2);
        assert_eq!(d.entries.len(), 2, "{:#?}", d.entries);
        assert!(
            matches!(&d.entries[0], Entry::Changed { tags, .. } if *tags == vec![39]),
            "{:#?}",
            d.entries
        );
        assert_eq!(
            d.entries
                .iter()
                .map(Entry::text)
                .collect::<Vec<_>>()
                .join("\n"),
            "changed     35=8 11=B 39=2: 39 captured 2 live 8\nunexpected  live 34=3 35=j 380=3"
        );
    }

    /// A key field that is a secret is shown `***` in text and JSON once
    /// the diff is redacted; that it differed is still said.
    #[test]
    fn redacted_key_fields() {
        let keys = [11, 554];
        let a = |seq: u64, body: &str| {
            let (msg_type, rest) = body.split_once('|').unwrap_or((body, ""));
            let body = format!("{msg_type}|34={seq}|{rest}|").replace('|', "\x01");
            let head = format!("8=FIX.4.4\x019={}\x01{body}", body.len());
            let sum = head.bytes().fold(0u8, |a, b| a.wrapping_add(b));
            Answer::of(0, format!("{head}10={sum:03}\x01").as_bytes(), &keys)
        };
        let cap = vec![a(1, "35=A|554=old1"), a(2, "35=8|11=X|554=zz9")];
        let live = vec![a(1, "35=A|554=new2")];
        let mut d = compare(&cap, &live);
        let before: String = d.entries.iter().map(Entry::text).collect();
        assert!(
            before.contains("old1") && before.contains("new2"),
            "{before}"
        );
        d.redact(&Redaction::default());
        let text: Vec<String> = d.entries.iter().map(Entry::text).collect();
        let json: Vec<String> = d.entries.iter().map(|e| e.json().to_string()).collect();
        for s in text.iter().chain(&json) {
            assert!(
                !s.contains("old1") && !s.contains("new2") && !s.contains("zz9"),
                "{s}"
            );
        }
        assert_eq!(
            text[0],
            "changed     35=A 554=***: 554 captured *** live ***"
        );
        assert!(text[1].contains("11=X 554=***"), "{}", text[1]);
    }
}
