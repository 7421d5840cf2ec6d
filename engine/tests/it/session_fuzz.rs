//! Regressions found by the fuzz targets (`fuzz/`, `scripts/fuzz.sh`).

use crate::common;

use common::{settings, Rig, START};
use ringfix_codec::{frame, Encoder, Frame, Parser, TimePrecision, DEFAULT_MAX_MESSAGE_SIZE};
use ringfix_engine::apps::echo::Echo;
use ringfix_engine::session::{Incoming, Role, Session};
use ringfix_engine::store::{MemoryStore, UtcTimestamp};
use ringfix_engine::time::Now;

/// session_stream: a Reject of a message whose MsgSeqNum is not a number
/// copied the raw text into RefSeqNum (45), an invalid outbound field.
#[test]
fn reject_ref_seq_num_is_numeric() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.recv_text("8=FIX.4.4|35=1|34=2x|49=TW|52=<TIME>|56=ISLD|112=id|");
    let out = r.sent();
    assert!(!out.is_empty(), "no answer to a bad MsgSeqNum");
    for m in &out {
        if let Some(v) = Rig::<MemoryStore>::field(m, 45) {
            assert!(v.bytes().all(|b| b.is_ascii_digit()), "45={v} in {m}");
        }
    }
}

/// session_structured: a FIX.4.0 initiator with ResetOnLogon sent
/// ResetSeqNumFlag (141), which FIX.4.0 does not define.
#[test]
fn fix40_logon_has_no_reset_flag() {
    for (begin, flag) in [("FIX.4.0", false), ("FIX.4.1", true), ("FIX.4.4", true)] {
        let mut cfg = settings(Role::Initiator, begin);
        cfg.reset_on_logon = true;
        let mut r = Rig::new(cfg);
        r.connect();
        let out = r.sent();
        assert_eq!(out.len(), 1, "{out:?}");
        assert_eq!(
            Rig::<MemoryStore>::field(&out[0], 141).is_some(),
            flag,
            "{begin}: {}",
            out[0]
        );
    }
}

/// session_stream: a TestRequest with an empty (or no) TestReqID, let in
/// without validation, was answered with `112=`, an empty field.
#[test]
fn heartbeat_never_has_empty_test_req_id() {
    for body in ["112=|", ""] {
        let mut r = Rig::logged_on("FIX.4.4", 30);
        r.recv("1", 2, body);
        let out = r.sent();
        assert_eq!(out.len(), 1, "{out:?}");
        assert!(out[0].contains("|35=0|"), "{}", out[0]);
        assert!(!out[0].contains("|112=|"), "{}", out[0]);
    }
}

/// Messages the echo acceptor writes for a Logon and then a NewOrderSingle
/// whose fields after the header are written by `body`.
fn echo_replies(body: impl FnOnce(&mut Encoder<'_>)) -> Vec<Vec<u8>> {
    exchange(body, false)
}

/// As [`echo_replies`], then (when `resend`) a ResendRequest for
/// everything from 2 on.
fn exchange(body: impl FnOnce(&mut Encoder<'_>), resend: bool) -> Vec<Vec<u8>> {
    let now = UtcTimestamp::from_nanos(START);
    let store = MemoryStore::new(now);
    let mut s = Session::new(settings(Role::Acceptor, "FIX.4.4"), store, None);
    let mut app = Echo::new();
    let mut out = Vec::new();
    s.connected(Now::same(now), &mut out, &mut app);
    let msg = |seq: u64, msg_type: &[u8], body: &mut dyn FnMut(&mut Encoder<'_>)| {
        let mut buf = Vec::new();
        let mut e = Encoder::new(&mut buf, b"FIX.4.4", msg_type);
        e.uint(34, seq).bytes(49, b"TW");
        e.timestamp(52, now, TimePrecision::Millis)
            .bytes(56, b"ISLD");
        body(&mut e);
        e.finish();
        buf
    };
    let logon = msg(1, b"A", &mut |e| {
        e.bytes(98, b"0").uint(108, 30);
    });
    let mut body = Some(body);
    let order = msg(2, b"D", &mut |e| {
        if let Some(b) = body.take() {
            b(e)
        }
    });
    let resend_request = msg(3, b"2", &mut |e| {
        e.uint(7, 2).uint(16, 0);
    });
    let mut inbound = vec![logon, order];
    if resend {
        inbound.push(resend_request);
    }
    let mut parser = Parser::new();
    for m in inbound {
        let view = parser.parse(&m).unwrap();
        s.on_message(
            &Incoming::from_view(&view),
            Now::same(now),
            &mut out,
            &mut app,
        );
    }
    let mut msgs = Vec::new();
    let mut rest = &out[..];
    while !rest.is_empty() {
        let Frame::Complete(n) = frame(rest, DEFAULT_MAX_MESSAGE_SIZE) else {
            panic!("outbound bytes do not frame: {rest:?}");
        };
        msgs.push(rest[..n].to_vec());
        rest = &rest[n..];
    }
    msgs
}

/// session_stream: the echo sorted a lone SecureDataLen (90=125) in front
/// of an unrelated SecureData (91=ID); the reply did not parse.
#[test]
fn echo_never_pairs_a_length_with_the_wrong_data() {
    let replies = echo_replies(|e| {
        e.bytes(11, b"ID")
            .bytes(91, b"ID")
            .bytes(21, b"3")
            .bytes(55, b"X");
        e.bytes(54, b"1")
            .bytes(60, b"20260101-00:00:00")
            .bytes(40, b"1");
        e.bytes(90, b"125");
    });
    assert_eq!(replies.len(), 2);
    let mut parser = Parser::new();
    let view = parser.parse(&replies[1]).expect("echo parses");
    assert_eq!(view.msg_type(), b"D");
    assert_eq!(view.get(91), Some(&b"ID"[..]));
}

/// Data fields holding SOH survive the echo whole (the session's field
/// iterator used to split them at the SOH).
#[test]
fn echo_keeps_data_fields_whole() {
    let replies = echo_replies(|e| {
        e.bytes(11, b"ID")
            .bytes(21, b"3")
            .bytes(55, b"X")
            .bytes(54, b"1");
        e.bytes(60, b"20260101-00:00:00").bytes(40, b"1");
        e.data(95, 96, b"a\x01b=c");
        e.data(90, 91, b"\x01s\x01");
    });
    let mut parser = Parser::new();
    let view = parser.parse(&replies[1]).expect("echo parses");
    assert_eq!(view.get(96), Some(&b"a\x01b=c"[..]));
    assert_eq!(view.get(95), Some(&b"5"[..]));
    assert_eq!(view.get(91), Some(&b"\x01s\x01"[..]));
}

#[test]
fn field_iter_takes_data_fields_whole() {
    let raw = b"8=FIX.4.4\x019=22\x0135=D\x0195=3\x0196=a\x01b\x0158=x\x0110=000\x01";
    let fields: Vec<(u32, Vec<u8>)> =
        Incoming::parse_with(raw, |m| m.fields().map(|(t, v)| (t, v.to_vec())).collect()).unwrap();
    assert_eq!(fields[4], (96, b"a\x01b".to_vec()));
    assert_eq!(fields[5], (58, b"x".to_vec()));
    assert_eq!(fields.len(), 7);
}

/// Header data pairs that repeat (90/91 twice) stay paired when the echo is
/// resent (the resend sorted header fields by tag alone).
#[test]
fn resend_keeps_repeated_data_pairs() {
    let replies = exchange(
        |e| {
            e.data(90, 91, b"abc").data(90, 91, b"xy");
            e.bytes(11, b"ID")
                .bytes(21, b"3")
                .bytes(55, b"X")
                .bytes(54, b"1");
            e.bytes(60, b"20260101-00:00:00").bytes(40, b"1");
        },
        true,
    );
    assert_eq!(replies.len(), 3, "logon, echo, resent echo");
    let mut parser = Parser::new();
    for m in &replies {
        let view = parser
            .parse(m)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(m)));
        if view.msg_type() == b"D" {
            let data: Vec<&[u8]> = view.get_all(91).collect();
            assert_eq!(data, vec![&b"abc"[..], &b"xy"[..]]);
        }
    }
}
