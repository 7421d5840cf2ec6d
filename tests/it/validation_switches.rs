//! The validation switches of QuickFIX C++ and QuickFIX/J, each observed
//! on the wire: an echo acceptor (or an initiator) with one session per
//! setting next to one with the defaults, and raw FIX peers that send the
//! same bytes to both and compare what comes back. Every wait is bounded.

use std::io::Write;
use std::net::TcpListener;
use std::time::Duration;

use ringfix::engine::apps::echo::Echo;
use ringfix::engine::config::{EngineConfig, SessionSettings};
use ringfix::engine::runtime::Runtime;
use ringfix::engine::session::Application;

use crate::runtime_support::{connect, field, fix, now_fix, Peer};

const WAIT: Duration = Duration::from_secs(3);
/// How long "nothing comes back" is watched.
const QUIET: Duration = Duration::from_millis(400);

/// An echo acceptor (FIX.4.4, SenderCompID ISLD) with one session per
/// `(TargetCompID, extra lines)`.
fn acceptor(sessions: &[(&str, &str)]) -> (Runtime, u16) {
    let mut text = String::from(
        "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nBeginString=FIX.4.4\n\
         SenderCompID=ISLD\nSocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n",
    );
    for (target, extra) in sessions {
        text.push_str(&format!("[SESSION]\nTargetCompID={target}\n{extra}\n"));
    }
    let cfg = EngineConfig::parse(&text, "switches.cfg").unwrap();
    let rt = Runtime::start(
        &cfg,
        Box::new(|_s: &SessionSettings| -> Box<dyn Application + Send> { Box::new(Echo::new()) }),
    )
    .unwrap();
    let port = rt.listen_addrs()[0].port();
    (rt, port)
}

fn stop(mut rt: Runtime) {
    rt.stopper().stop();
    rt.wait();
}

/// A logged-on peer as `id`.
fn logon(port: u16, id: &str) -> Peer {
    let mut peer = Peer::new(connect(port, WAIT));
    peer.send(&format!(
        "8=FIX.4.4|35=A|34=1|49={id}|52={}|56=ISLD|98=0|108=30",
        now_fix()
    ));
    let answer = peer.read(WAIT).expect("Logon answer");
    assert_eq!(
        field(&answer, 35).as_deref(),
        Some("A"),
        "{}",
        show(&answer)
    );
    peer
}

/// A NewOrderSingle from `id` with `extra` body fields.
fn order(id: &str, seq: u64, extra: &str) -> Vec<u8> {
    order_side(id, seq, "1", extra)
}

fn order_side(id: &str, seq: u64, side: &str, extra: &str) -> Vec<u8> {
    let now = now_fix();
    fix(&format!(
        "8=FIX.4.4|35=D|34={seq}|49={id}|52={now}|56=ISLD|11=ID{seq}|21=1|38=100|40=1|54={side}|55=X|60={now}{extra}"
    ))
}

/// `msg` with another CheckSum value.
fn wrong_checksum(msg: &[u8]) -> Vec<u8> {
    let mut m = msg.to_vec();
    let at = m.len() - 4;
    let sum: u32 = std::str::from_utf8(&m[at..at + 3])
        .unwrap()
        .parse()
        .unwrap();
    m.splice(at..at + 3, format!("{:03}", (sum + 1) % 256).bytes());
    m
}

/// `msg` with BodyLength `by` bytes short.
fn short_body_length(msg: &[u8], by: usize) -> Vec<u8> {
    let text = String::from_utf8(msg.to_vec()).unwrap();
    let (head, rest) = text.split_once("\x019=").unwrap();
    let (len, tail) = rest.split_once('\x01').unwrap();
    let len: usize = len.parse().unwrap();
    let mut m = format!("{head}\x019={}\x01{tail}", len - by).into_bytes();
    // The CheckSum of the new bytes, so only the length is wrong.
    let body_end = m.len() - 7;
    let sum: u32 = m[..body_end].iter().map(|&b| u32::from(b)).sum::<u32>() % 256;
    m.splice(body_end + 3..body_end + 6, format!("{sum:03}").bytes());
    m
}

fn send_raw(peer: &mut Peer, bytes: &[u8]) {
    peer.stream.write_all(bytes).unwrap();
}

/// Sends, ignoring a connection the other side may already have closed.
fn try_send(peer: &mut Peer, fields: &str) {
    let _ = peer.stream.write_all(&fix(fields));
}

fn show(msg: &[u8]) -> String {
    String::from_utf8_lossy(msg).replace('\x01', "|")
}

/// The next message's MsgType, or "none" when nothing comes within `within`.
fn next_type(peer: &mut Peer, within: Duration) -> (String, Vec<u8>) {
    match peer.read(within) {
        Some(m) => (field(&m, 35).unwrap_or_default(), m),
        None => ("none".into(), Vec::new()),
    }
}

/// Fields of a message as `tag=value` strings, without 9, 10, 52.
fn fields(msg: &[u8]) -> Vec<String> {
    msg.split(|&b| b == 1)
        .filter(|f| !f.is_empty())
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .filter(|f| !(f.starts_with("9=") || f.starts_with("10=") || f.starts_with("52=")))
        .collect()
}

fn tags(msg: &[u8]) -> Vec<u32> {
    fields(msg)
        .iter()
        .filter_map(|f| f.split_once('=')?.0.parse().ok())
        .collect()
}

/// `ValidateChecksum=N` (QuickFIX/J): a wrong CheckSum is processed; by
/// default the message is ignored and the next one reveals the gap.
#[test]
fn validate_checksum_n_processes_a_wrong_checksum() {
    let (rt, port) = acceptor(&[("TW", ""), ("TWN", "ValidateChecksum=N")]);
    for (id, lenient) in [("TW", false), ("TWN", true)] {
        let mut peer = logon(port, id);
        send_raw(&mut peer, &wrong_checksum(&order(id, 2, "")));
        let (t, m) = next_type(&mut peer, if lenient { WAIT } else { QUIET });
        if lenient {
            assert_eq!((t.as_str(), field(&m, 11)), ("D", Some("ID2".into())));
        } else {
            assert_eq!(t, "none", "{}", show(&m));
            send_raw(&mut peer, &order(id, 3, ""));
            let (t, m) = next_type(&mut peer, WAIT);
            assert_eq!((t.as_str(), field(&m, 7)), ("2", Some("2".into())));
        }
    }
    stop(rt);
}

/// `ValidateLengthAndChecksum=N` (QuickFIX C++): a wrong BodyLength and a
/// wrong CheckSum are both forgiven; the message ends at its trailer.
#[test]
fn validate_length_and_checksum_n_processes_a_wrong_body_length() {
    let (rt, port) = acceptor(&[("TW", ""), ("TWN", "ValidateLengthAndChecksum=N")]);
    for (id, lenient) in [("TW", false), ("TWN", true)] {
        let mut peer = logon(port, id);
        send_raw(&mut peer, &short_body_length(&order(id, 2, ""), 10));
        send_raw(&mut peer, &wrong_checksum(&order(id, 3, "")));
        let mut got = Vec::new();
        while let Some(m) = peer.read(QUIET) {
            got.push((field(&m, 35).unwrap_or_default(), field(&m, 11)));
        }
        let want: Vec<(String, Option<String>)> = if lenient {
            vec![
                ("D".into(), Some("ID2".into())),
                ("D".into(), Some("ID3".into())),
            ]
        } else {
            Vec::new()
        };
        assert_eq!(got, want, "{id}");
    }
    stop(rt);
}

/// `ValidateIncomingMessage=N` and `RejectInvalidMessage=N` (QuickFIX/J):
/// an order with an invalid Side is processed; by default it is rejected.
#[test]
fn invalid_messages_processed_when_validation_is_off_or_only_warns() {
    let (rt, port) = acceptor(&[
        ("TW", ""),
        ("TWV", "ValidateIncomingMessage=N"),
        ("TWR", "RejectInvalidMessage=N"),
    ]);
    for id in ["TW", "TWV", "TWR"] {
        let mut peer = logon(port, id);
        send_raw(&mut peer, &order_side(id, 2, "Z", ""));
        let (t, m) = next_type(&mut peer, WAIT);
        if id == "TW" {
            assert_eq!(
                fields(&m)[5..],
                [
                    "45=2",
                    "58=Value is incorrect (out of range) for this tag",
                    "371=54",
                    "372=D",
                    "373=5"
                ],
                "{}",
                show(&m)
            );
        } else {
            assert_eq!((t.as_str(), field(&m, 54)), ("D", Some("Z".into())), "{id}");
        }
    }
    stop(rt);
}

/// `RejectGarbledMessage=Y` (QuickFIX/J): a garbled message is answered
/// with a Reject and counted; by default it is ignored (and a gap follows).
#[test]
fn reject_garbled_message_y_rejects_and_counts_it() {
    let (rt, port) = acceptor(&[("TW", ""), ("TWG", "RejectGarbledMessage=Y")]);
    for (id, reject) in [("TW", false), ("TWG", true)] {
        let mut peer = logon(port, id);
        send_raw(&mut peer, &wrong_checksum(&order(id, 2, "")));
        let (t, m) = next_type(&mut peer, if reject { WAIT } else { QUIET });
        if reject {
            assert_eq!(
                fields(&m)[2..],
                [
                    "34=2",
                    "49=ISLD",
                    "56=TWG",
                    "45=2",
                    "58=Message failed basic validity check",
                    "372=D"
                ],
                "{}",
                show(&m)
            );
        } else {
            assert_eq!(t, "none");
        }
        // Sequence 3 next: in order after a Reject, a gap otherwise.
        send_raw(&mut peer, &order(id, 3, ""));
        let (t, _) = next_type(&mut peer, WAIT);
        assert_eq!(t, if reject { "D" } else { "2" }, "{id}");
    }
    stop(rt);
    // QuickFIX/J refuses the contradiction at start-up, naming the key.
    let err = EngineConfig::parse(
        "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nSocketAcceptPort=0\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n\
         ValidateChecksum=N\nRejectGarbledMessage=Y\n",
        "g.cfg",
    )
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("g.cfg:10: RejectGarbledMessage:"), "{err}");
}

/// `ValidateUnorderedGroupFields=Y` (QuickFIX/J): group members out of the
/// dictionary's order are rejected; by default (QuickFIX C++) accepted.
#[test]
fn unordered_group_fields_y_rejects_members_out_of_order() {
    let (rt, port) = acceptor(&[("TW", ""), ("TWU", "ValidateUnorderedGroupFields=Y")]);
    let parties = "|453=1|448=P|452=1|447=D";
    for id in ["TW", "TWU"] {
        let mut peer = logon(port, id);
        send_raw(&mut peer, &order(id, 2, parties));
        let (t, m) = next_type(&mut peer, WAIT);
        if id == "TW" {
            assert_eq!(t, "D", "{}", show(&m));
        } else {
            assert_eq!(
                fields(&m)[5..],
                [
                    "45=2",
                    "58=Repeating group fields out of order",
                    "371=447",
                    "372=D",
                    "373=15"
                ],
                "{}",
                show(&m)
            );
        }
    }
    stop(rt);
}

/// `FirstFieldInGroupIsDelimiter=Y` (QuickFIX/J): instances start with the
/// group's first field; by default the dictionary's delimiter (PartyID)
/// starts one too, so the count is wrong.
#[test]
fn first_field_in_group_is_delimiter_y_counts_instances_by_it() {
    let (rt, port) = acceptor(&[("TW", ""), ("TWF", "FirstFieldInGroupIsDelimiter=Y")]);
    let parties = "|453=2|452=1|448=P|452=3|448=Q";
    for id in ["TW", "TWF"] {
        let mut peer = logon(port, id);
        send_raw(&mut peer, &order(id, 2, parties));
        let (t, m) = next_type(&mut peer, WAIT);
        if id == "TW" {
            assert_eq!(
                fields(&m)[5..],
                [
                    "45=2",
                    "58=Incorrect NumInGroup count for repeating group",
                    "371=453",
                    "372=D",
                    "373=16"
                ],
                "{}",
                show(&m)
            );
        } else {
            assert_eq!(t, "D", "{}", show(&m));
        }
    }
    stop(rt);
}

/// `PreserveMessageFieldsOrder=Y` (QuickFIX C++): what the session composes
/// is written in dictionary order; by default 8, 9, 35, then by tag.
#[test]
fn preserve_message_fields_order_y_writes_dictionary_order() {
    let (rt, port) = acceptor(&[("TW", ""), ("TWP", "PreserveMessageFieldsOrder=Y")]);
    for id in ["TW", "TWP"] {
        let mut peer = Peer::new(connect(port, WAIT));
        peer.send(&format!(
            "8=FIX.4.4|35=A|34=1|49={id}|52={}|56=ISLD|98=0|108=30",
            now_fix()
        ));
        let answer = peer.read(WAIT).expect("Logon answer");
        peer.send(&format!(
            "8=FIX.4.4|35=0|34=2|49={id}|52={}|56=ISLD|999=x",
            now_fix()
        ));
        let reject = peer.read(WAIT).expect("Reject");
        let (logon_tags, reject_tags) = if id == "TW" {
            (
                vec![8, 35, 34, 49, 56, 98, 108],
                vec![8, 35, 34, 49, 56, 45, 58, 371, 372, 373],
            )
        } else {
            (
                vec![8, 35, 49, 56, 34, 98, 108],
                vec![8, 35, 49, 56, 34, 45, 371, 372, 373, 58],
            )
        };
        assert_eq!(tags(&answer), logon_tags, "{}", show(&answer));
        assert_eq!(tags(&reject), reject_tags, "{}", show(&reject));
        // The counterparty's parser takes it: BodyLength and CheckSum hold.
        assert!(ringfix::codec::Parser::new().parse(&reject).is_ok());
    }
    stop(rt);
}

/// `IgnoreAbsenceOf141tag=N` (QuickFIX/J): an initiator that asked for a
/// reset drops a Logon answer without ResetSeqNumFlag=Y; by default
/// (QuickFIX C++) it takes it and the session runs.
#[test]
fn ignore_absence_of_141_tag_n_drops_an_unconfirmed_reset() {
    for (extra, kept) in [("", true), ("IgnoreAbsenceOf141tag=N", false)] {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let text = format!(
            "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\n\
             ResetOnLogon=Y\nReconnectInterval=30\n{extra}\n\
             [SESSION]\nBeginString=FIX.4.4\nSenderCompID=TW\nTargetCompID=ISLD\n\
             SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n"
        );
        let cfg = EngineConfig::parse(&text, "i.cfg").unwrap();
        let rt = Runtime::start(
            &cfg,
            Box::new(|_s: &SessionSettings| -> Box<dyn Application + Send> {
                Box::new(Echo::new())
            }),
        )
        .unwrap();
        let (stream, _) = listener.accept().unwrap();
        let mut peer = Peer::new(stream);
        let logon = peer.read(WAIT).expect("Logon");
        assert_eq!(field(&logon, 141).as_deref(), Some("Y"));
        try_send(
            &mut peer,
            &format!(
                "8=FIX.4.4|35=A|34=1|49=ISLD|52={}|56=TW|98=0|108=30",
                now_fix()
            ),
        );
        try_send(
            &mut peer,
            &format!(
                "8=FIX.4.4|35=1|34=2|49=ISLD|52={}|56=TW|112=hello",
                now_fix()
            ),
        );
        let (msgs, eof) = peer.read_to_eof(QUIET);
        if kept {
            assert!(!eof);
            let hb: Vec<_> = msgs.iter().filter_map(|m| field(m, 112)).collect();
            assert_eq!(hb, ["hello"]);
        } else {
            assert!(
                eof && msgs.is_empty(),
                "{:?}",
                msgs.iter().map(|m| show(m)).collect::<Vec<_>>()
            );
        }
        stop(rt);
    }
}
