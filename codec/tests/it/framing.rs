//! Framing rules and resynchronisation, including the QuickFIX acceptance
//! scenarios for garbled input.

use crate::common;
use common::{msg, msg_with_len, soh};
use ringfix_codec::{frame, Frame, FrameError, DEFAULT_MAX_MESSAGE_SIZE as MAX};

const HB: &str = "35=0|34=2|49=TW44|52=20261124-10:00:00.000|56=ISLD|";
const NOS: &str = "35=D|34=3|49=TW44|52=20261124-10:00:00|56=ISLD|11=ID|21=3|40=1|54=1|55=INTC|60=20261124-10:00:00|";

/// Feed `stream` through `frame` like a reactor; returns the complete
/// messages and the garbled errors in order.
fn drain(stream: &[u8]) -> (Vec<Vec<u8>>, Vec<FrameError>) {
    let mut pos = 0;
    let (mut good, mut bad) = (Vec::new(), Vec::new());
    loop {
        match frame(&stream[pos..], MAX) {
            Frame::Complete(n) => {
                good.push(stream[pos..pos + n].to_vec());
                pos += n;
            }
            Frame::Garbled { skip, error } => {
                assert!(skip >= 1);
                bad.push(error);
                pos += skip;
            }
            Frame::Incomplete => return (good, bad),
        }
    }
}

#[test]
fn complete_message_and_every_prefix_incomplete() {
    let m = msg("FIX.4.4", HB);
    assert_eq!(frame(&m, MAX), Frame::Complete(m.len()));
    for i in 0..m.len() {
        assert_eq!(frame(&m[..i], MAX), Frame::Incomplete, "prefix {i}");
    }
    let mut two = m.clone();
    two.extend_from_slice(&m);
    assert_eq!(frame(&two, MAX), Frame::Complete(m.len()));
}

#[test]
fn header_errors_skip_to_next_candidate() {
    let good = msg("FIX.4.4", HB);
    for (bad, err) in [
        (soh("35=0|8=FIX.4.4|9=5|"), FrameError::BeginStringMissing),
        (soh("8=|9=5|35=0|"), FrameError::BeginStringInvalid),
        (
            soh("8=FIX.4.4.4.4.4.4.4.4.4|9=5|"),
            FrameError::BeginStringInvalid,
        ),
        (soh("8=FIX.4.4|34=3|35=0|"), FrameError::BodyLengthMissing),
        (soh("8=FIX.4.4|9=|35=0|"), FrameError::BodyLengthInvalid),
        (soh("8=FIX.4.4|9=1x|35=0|"), FrameError::BodyLengthInvalid),
        (
            soh("8=FIX.4.4|9=1234567890|35=0|"),
            FrameError::BodyLengthInvalid,
        ),
        (
            soh("8=FIX.4.4|9=52|34=2|35=0|"),
            FrameError::MsgTypeNotThird,
        ),
        (soh("8=FIX.4.4|9=3|35=|"), FrameError::MsgTypeNotThird),
    ] {
        let mut stream = bad.clone();
        stream.extend_from_slice(&good);
        let (msgs, errs) = drain(&stream);
        assert_eq!(errs.first(), Some(&err), "{}", common::show(&bad));
        assert_eq!(msgs, vec![good.clone()], "{}", common::show(&bad));
    }
}

#[test]
fn too_large_is_garbled_at_once() {
    let m = msg_with_len("FIX.4.4", HB, 70_000);
    match frame(&m, MAX) {
        Frame::Garbled {
            error: FrameError::TooLarge { max, .. },
            ..
        } => assert_eq!(max, MAX),
        other => panic!("{other:?}"),
    }
    // A configured smaller maximum applies too.
    let m = msg("FIX.4.4", HB);
    assert!(matches!(
        frame(&m, 40),
        Frame::Garbled {
            error: FrameError::TooLarge { .. },
            ..
        }
    ));
    assert_eq!(frame(&m, m.len()), Frame::Complete(m.len()));
}

#[test]
fn bad_checksum_skips_whole_frame() {
    let mut bad = msg("FIX.4.4", HB);
    let n = bad.len();
    bad[n - 4..n - 1].copy_from_slice(b"256");
    let good = msg("FIX.4.4", NOS);
    let mut stream = bad.clone();
    stream.extend_from_slice(&good);
    assert!(matches!(
        frame(&stream, MAX),
        Frame::Garbled { skip, error: FrameError::ChecksumMismatch { found: 256, .. } } if skip == n
    ));
    assert_eq!(drain(&stream).0, vec![good]);
}

#[test]
fn checksum_field_must_have_three_digits() {
    // 2d_GarbledMessage: `10=0|` after a body of the right length.
    let body = soh("35=0|34=2|4garbled9=TW|52=20261124-10:00:00|56=ISLD|");
    let mut bad = format!("8=FIX.4.4\x019={}\x01", body.len()).into_bytes();
    bad.extend_from_slice(&body);
    bad.extend_from_slice(b"10=0\x01");
    let good = msg("FIX.4.4", HB);
    let mut stream = bad.clone();
    stream.extend_from_slice(&good);
    let (msgs, errs) = drain(&stream);
    assert_eq!(errs, vec![FrameError::BodyLengthMismatch]);
    assert_eq!(msgs, vec![good]);
}

#[test]
fn body_length_too_short_drops_only_that_message() {
    // 2m_BodyLengthValueNotCorrect, first case: 9=30.
    let bad = msg_with_len("FIX.4.4", NOS, 30);
    let good = msg("FIX.4.4", HB);
    let mut stream = bad.clone();
    stream.extend_from_slice(&good);
    assert_eq!(
        frame(&stream, MAX),
        Frame::Garbled {
            skip: bad.len(),
            error: FrameError::BodyLengthMismatch
        }
    );
    assert_eq!(drain(&stream).0, vec![good]);
}

#[test]
fn body_length_too_long_swallows_the_straddling_message() {
    // 2m_BodyLengthValueNotCorrect, second case: 9=111 combines with the next
    // message, which is lost as QuickFIX loses it; the one after survives.
    for (time, _) in [("20261124-10:00:00", 0), ("20261124-10:00:00.000", 1)] {
        let body = NOS.replace("20261124-10:00:00", time);
        let bad = msg_with_len("FIX.4.4", &body, 111);
        let straddling = msg("FIX.4.4", &body.replace("34=3", "34=4"));
        let after = msg("FIX.4.4", HB);
        let mut stream = bad.clone();
        stream.extend_from_slice(&straddling);
        // Until the next checksum field arrives the framer waits.
        assert_eq!(frame(&stream[..bad.len() + 20], MAX), Frame::Incomplete);
        stream.extend_from_slice(&after);
        let (msgs, errs) = drain(&stream);
        assert_eq!(errs, vec![FrameError::BodyLengthMismatch], "{time}");
        assert_eq!(msgs, vec![after], "{time}");
    }
}

#[test]
fn huge_body_length_does_not_hold_back_later_messages() {
    // A claimed body of 60000 bytes: the heartbeats behind it lie entirely
    // inside the claimed frame, so the framer resynchronises on the first.
    let bad = msg_with_len("FIX.4.4", HB, 60_000);
    let hb = msg("FIX.4.4", HB);
    let mut stream = bad[..bad.len() - 7].to_vec();
    assert_eq!(frame(&stream, MAX), Frame::Incomplete);
    let at = stream.len();
    stream.extend_from_slice(&hb[..hb.len() - 1]);
    assert_eq!(frame(&stream, MAX), Frame::Incomplete);
    stream.extend_from_slice(&hb[hb.len() - 1..]);
    assert_eq!(
        frame(&stream, MAX),
        Frame::Garbled {
            skip: at,
            error: FrameError::Superseded
        }
    );
    stream.extend_from_slice(&hb);
    assert_eq!(drain(&stream).0, vec![hb.clone(), hb]);
}

#[test]
fn embedded_message_in_data_field_is_not_a_resync_point() {
    // A message carrying a whole FIX message in RawData (95/96): while it is
    // only partly received the embedded one must not be taken for a frame.
    let inner = msg("FIX.4.4", HB);
    let inner_text: String = inner
        .iter()
        .map(|&b| if b == 1 { '|' } else { b as char })
        .collect();
    let body = format!("35=B|148=x|95={}|96={}|", inner.len(), inner_text);
    let outer = msg("FIX.4.4", &body);
    let start = outer.windows(5).position(|w| w == b"8=FIX").unwrap();
    let inner_at = outer[1..].windows(5).position(|w| w == b"8=FIX").unwrap() + 1;
    assert_eq!(start, 0);
    for cut in inner_at + inner.len()..outer.len() {
        assert_eq!(frame(&outer[..cut], MAX), Frame::Incomplete, "cut {cut}");
    }
    assert_eq!(frame(&outer, MAX), Frame::Complete(outer.len()));
}

#[test]
fn first_three_fields_out_of_order_script() {
    // 2t_FirstThreeFieldsOutOfOrder: both bad messages are dropped.
    let a = soh("35=0|8=FIX.4.4|9=29|34=2|49=TW44|52=20261124-10:00:00|56=ISLD|10=121|");
    let b = msg(
        "FIX.4.4",
        "35=1|34=2|49=TW44|52=20261124-10:00:00|56=ISLD|112=HELLO|",
    );
    let c = soh("8=FIX.4.4|34=3|35=0|49=TW44|52=20261124-10:00:00|56=ISLD|");
    let d = msg(
        "FIX.4.4",
        "35=1|34=3|49=TW44|52=20261124-10:00:00|56=ISLD|112=HELLO|",
    );
    let stream = [a, b.clone(), c, d.clone()].concat();
    let (msgs, errs) = drain(&stream);
    assert_eq!(msgs, vec![b, d]);
    assert!(errs.contains(&FrameError::BeginStringMissing));
    assert!(errs.contains(&FrameError::BodyLengthMissing));
}

#[test]
fn garbage_keeps_partial_candidate() {
    assert!(matches!(
        frame(b"xx8=FI", MAX),
        Frame::Garbled { skip: 2, .. }
    ));
    assert!(matches!(frame(b"xyz", MAX), Frame::Garbled { skip: 3, .. }));
    assert_eq!(frame(b"", MAX), Frame::Incomplete);
    assert_eq!(frame(b"8", MAX), Frame::Incomplete);
    assert!(matches!(frame(b"9", MAX), Frame::Garbled { skip: 1, .. }));
}

/// Wire bytes of a script `I` line the way the conformance runner builds
/// them: BodyLength after BeginString and CheckSum appended when missing,
/// fields kept as written otherwise.
fn script_wire(line: &str, time: &str) -> Vec<u8> {
    let line = line.replace("<TIME>", time);
    let fields: Vec<&str> = line.split('\x01').filter(|f| !f.is_empty()).collect();
    let has = |t: &str| fields.iter().any(|f| f.split('=').next() == Some(t));
    let (mut head, mut body, mut tail) = (Vec::new(), Vec::new(), Vec::new());
    for (i, f) in fields.iter().enumerate() {
        let tag = f.split('=').next().unwrap();
        let dst = if i == 0 && tag == "8" {
            &mut head
        } else if tag == "10" {
            &mut tail
        } else {
            &mut body
        };
        dst.extend_from_slice(f.as_bytes());
        dst.push(1);
    }
    let mut out = head;
    if !has("9") {
        out.extend_from_slice(format!("9={}\x01", body.len()).as_bytes());
    }
    out.extend(body);
    if has("10") {
        out.extend(tail);
    } else {
        let sum = out.iter().fold(0u8, |a, b| a.wrapping_add(*b));
        out.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
    }
    out
}

#[test]
fn acceptance_scripts_garbled_streams() {
    // (script, indices of the `I` lines QuickFIX accepts as messages)
    let cases: [(&str, &[usize]); 6] = [
        ("2d_GarbledMessage.def", &[0, 2, 4, 5, 6]),
        ("3c_GarbledMessage.def", &[0, 2, 4, 5, 6]),
        ("3b_InvalidChecksum.def", &[0, 2, 4, 5, 6]),
        // Too short (1) dropped; too long (4) swallows the straddling 5.
        ("2m_BodyLengthValueNotCorrect.def", &[0, 2, 3, 6, 7, 8]),
        ("2t_FirstThreeFieldsOutOfOrder.def", &[0, 2, 4, 5]),
        ("1d_InvalidLogonLengthInvalid.def", &[]),
    ];
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/conformance/fix44/");
    for (script, good) in cases {
        let text = std::fs::read_to_string(format!("{dir}{script}")).unwrap();
        for time in ["20261124-10:00:00", "20261124-10:00:00.000"] {
            let lines: Vec<Vec<u8>> = text
                .lines()
                .filter_map(|l| l.strip_prefix('I'))
                .map(|l| script_wire(l, time))
                .collect();
            let stream = lines.concat();
            let (msgs, errs) = drain(&stream);
            let expected: Vec<Vec<u8>> = good.iter().map(|&i| lines[i].clone()).collect();
            assert_eq!(msgs, expected, "{script} with {time}: errors {errs:?}");
            let mut parser = ringfix_codec::Parser::new();
            for m in &msgs {
                assert!(parser.parse(m).is_ok(), "{script}: {}", common::show(m));
            }
        }
    }
}

#[test]
fn complete_frame_inside_a_wrong_claimed_frame_is_kept() {
    // The claimed frame is fully buffered and its trailer is wrong; a valid
    // heartbeat lies entirely inside it, so the framer resynchronises on it
    // whether the bytes arrived at once or piecemeal.
    let hb = msg("FIX.4.4", HB);
    // A body without trailer whose BodyLength claims 30 bytes past the heartbeat.
    let body = soh("35=0|34=2|49=TW44|56=ISLD|");
    let claimed = body.len() + hb.len() + 30;
    let mut bad = format!("8=FIX.4.4\x019={claimed}\x01").into_bytes();
    bad.extend_from_slice(&body);
    let mut stream = bad.clone();
    stream.extend_from_slice(&hb);
    stream.extend_from_slice(&[b'x'; 60]);
    assert_eq!(
        frame(&stream, MAX),
        Frame::Garbled {
            skip: bad.len(),
            error: FrameError::Superseded
        }
    );
    for cut in bad.len() + hb.len()..stream.len() {
        assert_eq!(
            frame(&stream[..cut], MAX),
            Frame::Garbled {
                skip: bad.len(),
                error: FrameError::Superseded
            },
            "cut {cut}"
        );
    }
}
