//! Checks on the codec: the framing loop, every getter of a parsed message,
//! repeating groups walked with the dictionary's layouts, typed values that
//! must survive their own encoding, and the parse -> encode -> parse round
//! trip.

use std::collections::HashMap;
use std::sync::OnceLock;

use ringfix_codec::dict::{builtin, GroupRef, Version};
use ringfix_codec::{
    frame, Decimal, Encoder, Frame, GroupLayout, MessageView, Parsed, Parser, TimePrecision,
    UtcTimestamp, DEFAULT_MAX_MESSAGE_SIZE, INVALID_TAG,
};

/// Maximum message sizes the framing loop is tried with (the first input
/// byte picks one): the default, and small ones that make "too long" and
/// "incomplete until max_len" reachable.
pub const MAX_LENS: [usize; 4] = [DEFAULT_MAX_MESSAGE_SIZE, 4096, 256, 40];

/// Group layouts per MsgType, from the FIX.4.4 and FIX.5.0SP2 dictionaries.
fn layouts() -> &'static HashMap<Vec<u8>, Vec<GroupLayout>> {
    static LAYOUTS: OnceLock<HashMap<Vec<u8>, Vec<GroupLayout>>> = OnceLock::new();
    LAYOUTS.get_or_init(|| {
        let mut map: HashMap<Vec<u8>, Vec<GroupLayout>> = HashMap::new();
        for v in [Version::Fix44, Version::Fix50Sp2] {
            let Ok(dict) = builtin(v) else { continue };
            for msg in dict.messages() {
                let entry = map.entry(msg.msg_type.to_vec()).or_default();
                for g in dict.message_groups(msg) {
                    entry.push(layout(g));
                }
            }
        }
        map
    })
}

fn layout(g: GroupRef<'_>) -> GroupLayout {
    let d = g.def();
    let mut l = GroupLayout::new(d.count_tag, d.delimiter, d.members.to_vec());
    for n in g.nested_groups() {
        l = l.with_nested(layout(n));
    }
    l
}

/// `Parser::parse_next` gives what `frame` then `parse_framed` give.
fn same_as_parse_next(buf: &[u8], framed: Frame, next: &mut Parser, parser: &mut Parser) {
    let two = match framed {
        Frame::Complete(len) => Some(
            parser
                .parse_framed(&buf[..len])
                .map(|v| v.fields().map(|f| (f.tag, f.value)).collect::<Vec<_>>()),
        ),
        _ => None,
    };
    match (next.parse_next(buf), framed, two) {
        (Parsed::Message(v), Frame::Complete(len), Some(Ok(fields))) => {
            assert_eq!(v.as_bytes().len(), len, "parse_next's length");
            let got: Vec<_> = v.fields().map(|f| (f.tag, f.value)).collect();
            assert_eq!(got, fields, "parse_next's fields");
        }
        (Parsed::Invalid { len, error }, Frame::Complete(l), Some(Err(e))) => {
            assert_eq!((len, error), (l, e), "parse_next's rejection");
        }
        (Parsed::NoFrame(f), framed, None) => assert_eq!(f, framed, "parse_next's framing"),
        (got, framed, two) => panic!("parse_next {got:?} but frame {framed:?}, parse {two:?}"),
    }
}

/// Frames `data[1..]` (max length chosen by `data[0]`) message by message
/// and checks every complete frame. Returns the number of complete frames.
pub fn frame_loop(data: &[u8], parser: &mut Parser) -> usize {
    let Some((&sel, mut buf)) = data.split_first() else {
        return 0;
    };
    let max_len = MAX_LENS[usize::from(sel) % MAX_LENS.len()];
    let mut next = Parser::with_max_len(max_len);
    let mut complete = 0;
    while !buf.is_empty() {
        let framed = frame(buf, max_len);
        same_as_parse_next(buf, framed, &mut next, parser);
        match framed {
            Frame::Complete(len) => {
                assert!(
                    len > 0 && len <= buf.len(),
                    "Complete({len}) of {}",
                    buf.len()
                );
                assert!(len <= max_len, "Complete({len}) beyond max_len {max_len}");
                let (msg, rest) = buf.split_at(len);
                check_message(msg, parser);
                complete += 1;
                buf = rest;
            }
            Frame::Garbled { skip, .. } => {
                assert!(
                    skip >= 1 && skip <= buf.len(),
                    "skip {skip} of {}",
                    buf.len()
                );
                buf = &buf[skip..];
            }
            Frame::Incomplete => {
                assert!(
                    buf.len() < max_len,
                    "Incomplete with {} >= max_len bytes",
                    buf.len()
                );
                break;
            }
        }
    }
    complete
}

/// A frame the framer accepted: both parse entry points agree, and the
/// message passes [`touch`] and [`round_trip`].
pub fn check_message(msg: &[u8], parser: &mut Parser) {
    let framed: Result<Vec<(u32, Vec<u8>)>, String> = parser
        .parse_framed(msg)
        .map(|v| owned_fields(&v))
        .map_err(|e| e.to_string());
    let full = match parser.parse(msg) {
        Ok(view) => {
            touch(&view);
            Ok(owned_fields(&view))
        }
        Err(e) => Err(e.to_string()),
    };
    assert_eq!(
        framed, full,
        "parse_framed and parse disagree on a framed message"
    );
    if full.is_ok() {
        round_trip(msg, parser);
    }
}

/// Any bytes through `Parser::parse`: a successful parse means the framer
/// sees exactly one complete message.
pub fn parse_whole(data: &[u8], parser: &mut Parser) {
    if let Ok(view) = parser.parse(data) {
        touch(&view);
        assert_eq!(
            frame(data, DEFAULT_MAX_MESSAGE_SIZE),
            Frame::Complete(data.len()),
            "parse accepted what frame does not"
        );
    }
}

fn owned_fields(v: &MessageView<'_>) -> Vec<(u32, Vec<u8>)> {
    v.fields().map(|f| (f.tag, f.value.to_vec())).collect()
}

/// Calls every getter; checks the ones with a definite relation.
pub fn touch(v: &MessageView<'_>) {
    assert!(!v.is_empty());
    let n = v.len();
    assert_eq!(v.fields().count(), n);
    for (i, f) in v.fields().enumerate() {
        assert_eq!(f.position, i);
        let at = v.field(i).expect("field in range");
        assert_eq!((at.tag, at.value), (f.tag, f.value));
        let bytes = v.as_bytes();
        assert_eq!(bytes.get(f.offset..f.offset + f.value.len()), Some(f.value));
        let _ = v.tag_text(i);
        if f.tag != INVALID_TAG {
            let first = v.position(f.tag).expect("present tag has a position");
            assert!(first <= i);
            assert!(v.contains(f.tag));
            assert!(v.get_all(f.tag).count() >= 1);
            assert_eq!(v.position_from(f.tag, i), Some(i));
        }
        typed(v, f.tag);
    }
    assert!(v.field(n).is_none());
    assert_eq!(v.fields_in(1, n + 10).count(), n.saturating_sub(1));
    let _ = (
        v.begin_string(),
        v.body_length(),
        v.msg_type(),
        v.msg_seq_num(),
    );
    let _ = (v.sender_comp_id(), v.target_comp_id(), v.sender_sub_id());
    let _ = (
        v.target_sub_id(),
        v.on_behalf_of_comp_id(),
        v.deliver_to_comp_id(),
    );
    let _ = (
        v.sending_time(),
        v.orig_sending_time(),
        v.poss_dup(),
        v.poss_resend(),
    );
    let _ = (
        v.appl_ver_id(),
        v.cstm_appl_ver_id(),
        v.appl_ext_id(),
        v.check_sum(),
    );
    let _ = v.get_str(58);
    groups(v);
}

/// Typed getters; decimals and timestamps must survive their encoding.
fn typed(v: &MessageView<'_>, tag: u32) {
    let _ = (
        v.get_int(tag),
        v.get_u64(tag),
        v.get_char(tag),
        v.get_bool(tag),
    );
    if let Ok(d) = v.get_decimal(tag) {
        let mut buf = Vec::new();
        d.push(&mut buf);
        let back = Decimal::parse(&buf)
            .unwrap_or_else(|e| panic!("decimal {d:?} wrote {buf:?}, which fails: {e}"));
        assert_eq!(
            back.normalized(),
            d.normalized(),
            "decimal round trip via {buf:?}"
        );
        let _ = d.to_f64();
    }
    if let Ok(ts) = v.get_timestamp(tag) {
        let mut buf = Vec::new();
        ts.push(TimePrecision::Nanos, &mut buf);
        let back = UtcTimestamp::parse(&buf)
            .unwrap_or_else(|e| panic!("timestamp {ts:?} wrote {buf:?}, which fails: {e}"));
        assert_eq!(back, ts, "timestamp round trip via {buf:?}");
        let _ = ts.to_civil();
    }
}

/// Walks every group the dictionaries know for this MsgType.
fn groups(v: &MessageView<'_>) {
    let Some(list) = layouts().get(v.msg_type()) else {
        return;
    };
    for layout in list {
        if let Ok(Some(g)) = v.group(layout) {
            walk_group(v, &g, 0);
        }
    }
}

fn walk_group(v: &MessageView<'_>, g: &ringfix_codec::Group<'_, '_>, depth: usize) {
    assert!(g.end_position() <= v.len());
    assert!(g.count_position() < g.end_position());
    let mut entries = 0;
    for e in g.entries() {
        entries += 1;
        assert!(e.start_position() < e.end_position());
        let _ = e.fields().count();
        let _ = e.get(g.layout().delimiter);
        if depth < 8 {
            for nested in &g.layout().nested {
                if let Ok(Some(inner)) = e.group(nested) {
                    walk_group(v, &inner, depth + 1);
                }
            }
        }
    }
    assert_eq!(entries, g.len(), "entries iterated != NumInGroup");
    assert_eq!(g.is_empty(), entries == 0);
}

/// Re-encodes the parsed fields: the copy parses to the same fields and
/// encoding the copy again gives the same bytes.
pub fn round_trip(msg: &[u8], parser: &mut Parser) {
    let (begin, msg_type, fields) = {
        let Ok(v) = parser.parse(msg) else { return };
        if v.fields().any(|f| f.tag == INVALID_TAG) || v.field(2).map(|f| f.tag) != Some(35) {
            return;
        }
        let body: Vec<(u32, Vec<u8>)> = v
            .fields()
            .skip(3)
            .filter(|f| !(f.tag == 10 && f.position + 1 == v.len()))
            .map(|f| (f.tag, f.value.to_vec()))
            .collect();
        (v.begin_string().to_vec(), v.msg_type().to_vec(), body)
    };
    let first = encode(&begin, &msg_type, &fields);
    let (fields2, second) = {
        let v = parser.parse(&first).unwrap_or_else(|e| {
            panic!(
                "re-encoded message does not parse ({e}): {:?}",
                String::from_utf8_lossy(&first)
            )
        });
        assert_eq!(v.begin_string(), &begin[..]);
        assert_eq!(v.msg_type(), &msg_type[..]);
        let body: Vec<(u32, Vec<u8>)> = v
            .fields()
            .skip(3)
            .filter(|f| !(f.tag == 10 && f.position + 1 == v.len()))
            .map(|f| (f.tag, f.value.to_vec()))
            .collect();
        let again = encode(v.begin_string(), v.msg_type(), &body);
        (body, again)
    };
    assert_eq!(fields, fields2, "fields changed in the round trip");
    assert_eq!(first, second, "encoding is not idempotent");
}

fn encode(begin: &[u8], msg_type: &[u8], fields: &[(u32, Vec<u8>)]) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut e = Encoder::new(&mut buf, begin, msg_type);
    for (tag, value) in fields {
        e.bytes(*tag, value);
    }
    e.finish();
    buf
}
