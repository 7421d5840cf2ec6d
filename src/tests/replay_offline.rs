//! Offline replay: captures written by the tests (FileLog and pcap) run
//! through the session layer on the captured clock.

use ringfix_testkit::conversation as replay_support;

use crate::replay::capture::{Capture, Side};
use crate::replay::event::{Event, EventKind, MsgInfo};
use crate::replay::offline::{replay_offline, OfflineOptions, OfflineSummary};
use replay_support::{write, Conv, SEC, T0};

fn replay(bytes: &[u8], name: &str, opts: &OfflineOptions) -> (Vec<Event>, OfflineSummary) {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), name, bytes);
    let cap = Capture::load(path.to_str().unwrap()).unwrap();
    let mut events = Vec::new();
    let summary = replay_offline(&cap, opts, &mut |e| events.push(e.clone())).unwrap();
    (events, summary)
}

/// `name` and `msg_type` of every send, with its time.
fn sends(events: &[Event]) -> Vec<(i64, String, Option<u64>)> {
    events
        .iter()
        .filter_map(|e| e.sent().map(|m| (e.at, m.msg_type.clone(), m.seq)))
        .collect()
}

fn field(m: &MsgInfo, tag: u32) -> Option<&str> {
    m.fields.iter().find(|f| f.0 == tag).map(|f| f.1.as_str())
}

/// Logon, an order answered, then the client repeats MsgSeqNum 2 and goes silent.
fn too_low() -> Conv {
    let mut c = Conv::default();
    c.logon(T0, 1, 1)
        .msg(
            T0 + SEC,
            true,
            "D",
            2,
            "11=ORD1|21=1|38=100|40=1|54=1|55=IBM|60=20231114-22:13:21.000",
        )
        .msg(
            T0 + SEC + 5_000_000,
            false,
            "8",
            2,
            "6=0|11=ORD1|14=0|17=E1|37=O1|39=0|54=1|55=IBM|150=0|151=100",
        )
        .msg(
            T0 + 2 * SEC,
            true,
            "D",
            2,
            "11=ORD2|21=1|38=100|40=1|54=1|55=IBM|60=20231114-22:13:22.000",
        );
    c
}

#[test]
fn seqnum_too_low_logs_out_and_closes_now_at_that_message() {
    let (events, summary) = replay(&too_low().file_log(), "fix.log", &OfflineOptions::default());
    let at = T0 + 2 * SEC;
    let logout = events
        .iter()
        .find_map(|e| {
            e.sent()
                .filter(|m| m.msg_type == "5")
                .map(|m| (e.at, m.clone()))
        })
        .expect("a Logout");
    assert_eq!(logout.0, at);
    assert_eq!(
        field(&logout.1, 58),
        Some("MsgSeqNum too low, expecting 3 but received 2")
    );
    let close = events
        .iter()
        .find(|e| matches!(e.kind, EventKind::Close(_)))
        .unwrap();
    assert_eq!((close.at, &close.kind), (at, &EventKind::Close("now")));
    // Our side: Logon answer, the captured ExecutionReport sent again, the Logout.
    assert_eq!(
        sends(&events),
        vec![
            (T0, "A".into(), Some(1)),
            (T0 + SEC + 5_000_000, "8".into(), Some(2)),
            (at, "5".into(), Some(3)),
        ]
    );
    // Only the first order reached the application.
    let delivered: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Deliver(m) => field(m, 11).map(str::to_owned),
            _ => None,
        })
        .collect();
    assert_eq!(delivered, vec!["ORD1"]);
    assert_eq!((summary.closes, summary.final_state), (1, "disconnected"));
    assert_eq!(summary.session, "FIX.4.4:SERVER->CLIENT");
}

#[test]
fn file_log_and_pcap_of_one_conversation_replay_the_same() {
    let conv = too_low();
    let opts = OfflineOptions::default();
    let (from_log, s1) = replay(&conv.file_log(), "fix.log", &opts);
    let (from_pcap, s2) = replay(&conv.pcap(), "fix.pcap", &opts);
    // The pcap knows its TCP connection; the log does not.
    let strip = |ev: Vec<Event>| -> Vec<Event> {
        ev.into_iter()
            .map(|mut e| {
                if let EventKind::Connected { connection } = &mut e.kind {
                    *connection = None;
                }
                e
            })
            .collect()
    };
    assert_eq!(strip(from_log), strip(from_pcap));
    assert_eq!(s1, s2);
}

#[test]
fn a_gap_sends_a_resend_request() {
    let mut c = Conv::default();
    c.logon(T0, 1, 1)
        .msg(
            T0 + SEC,
            true,
            "D",
            2,
            "11=A|21=1|38=1|40=1|54=1|55=X|60=20231114-22:13:21.000",
        )
        .msg(
            T0 + 2 * SEC,
            true,
            "D",
            5,
            "11=B|21=1|38=1|40=1|54=1|55=X|60=20231114-22:13:22.000",
        );
    for (name, bytes) in [("gap.log", c.file_log()), ("gap.pcap", c.pcap())] {
        let (events, summary) = replay(&bytes, name, &OfflineOptions::default());
        let rr = events
            .iter()
            .find_map(|e| {
                e.sent()
                    .filter(|m| m.msg_type == "2")
                    .map(|m| (e.at, m.clone()))
            })
            .unwrap_or_else(|| panic!("{name}: no ResendRequest"));
        assert_eq!(rr.0, T0 + 2 * SEC, "{name}");
        assert_eq!(
            (field(&rr.1, 7), field(&rr.1, 16)),
            (Some("3"), Some("0")),
            "{name}"
        );
        assert!(events.iter().any(|e| matches!(
            e.kind,
            EventKind::Transition {
                to: ringfix::engine::session::SessionState::AwaitingResend,
                ..
            }
        )));
        assert_eq!(summary.final_state, "awaiting-resend", "{name}");
    }
}

#[test]
fn a_silent_peer_is_timed_out_between_captured_messages() {
    let mut c = Conv::default();
    // After the logon the client says nothing for 100 s (HeartBtInt 30).
    c.logon(T0, 1, 1).msg(T0 + 100 * SEC, true, "0", 2, "");
    let (events, summary) = replay(&c.pcap(), "silent.pcap", &OfflineOptions::default());
    let timers: Vec<i64> = events
        .iter()
        .filter(|e| e.kind == EventKind::Timer)
        .map(|e| e.at)
        .collect();
    // Heartbeat 30 s after our Logon answer (sent at the client's Logon),
    // TestRequest at 1.2 x 30 s after the client's Logon, close at 2.4 x 30 s.
    assert_eq!(timers, vec![T0 + 30 * SEC, T0 + 36 * SEC, T0 + 72 * SEC]);
    let types: Vec<String> = sends(&events).into_iter().map(|s| s.1).collect();
    assert_eq!(types, vec!["A", "0", "1"]);
    assert!(events.iter().any(|e| e.at == T0 + 72 * SEC
        && e.kind == EventKind::Logout("heartbeat timeout (peer silent)".into())));
    // The late heartbeat arrives on a closed connection.
    assert_eq!((summary.received, summary.ignored), (1, 1));
}

/// The capturing host's wall clock stepped back an hour mid-capture: the
/// session's monotonic clock, derived from the captured timestamps, takes
/// the step as no time at all and keeps counting after it, so heartbeats
/// and the silent-peer timeout keep their intervals (with the wall clock
/// as the session clock, nothing fired for the captured hour).
#[test]
fn a_wall_clock_step_back_in_the_capture_moves_no_deadline() {
    let back = 3_600 * SEC;
    let mut c = Conv::default();
    c.logon(T0, 1, 1)
        .msg(T0 + 20 * SEC, true, "0", 2, "")
        .msg(T0 + 40 * SEC - back, true, "0", 3, "")
        .msg(T0 + 60 * SEC - back, true, "0", 4, "")
        .msg(T0 + 80 * SEC - back, true, "0", 5, "");
    let opts = OfflineOptions {
        check_latency: false,
        tail_nanos: 100 * SEC,
        ..OfflineOptions::default()
    };
    let (events, summary) = replay(&c.file_log(), "step.log", &opts);
    let timers: Vec<i64> = events
        .iter()
        .filter(|e| e.kind == EventKind::Timer)
        .map(|e| e.at)
        .collect();
    // Monotonic: the Logon at 0, the client's messages at 20, 20, 40, 60 s.
    // Heartbeats at 30, 60, 90 s, TestRequest at 60 + 36 s, close at 60 + 72
    // s; stamped on the stepped wall clock (monotonic + 20 s - 1 h).
    let wall = |mono: i64| T0 + (mono + 20) * SEC - back;
    assert_eq!(
        timers,
        vec![wall(30), wall(60), wall(90), wall(96), wall(132)]
    );
    let types: Vec<String> = sends(&events).into_iter().map(|s| s.1).collect();
    assert_eq!(types, vec!["A", "0", "0", "0", "1"]);
    assert!(events.iter().any(|e| e.at == wall(132)
        && e.kind == EventKind::Logout("heartbeat timeout (peer silent)".into())));
    assert_eq!(summary.received, 5);
}

#[test]
fn a_mid_session_capture_is_seeded_from_its_sequence_numbers() {
    let mut c = Conv::default();
    c.msg(
        T0,
        true,
        "D",
        120,
        "11=A|21=1|38=1|40=1|54=1|55=X|60=20231114-22:13:20.000",
    )
    .msg(
        T0 + 1_000_000,
        false,
        "8",
        340,
        "6=0|11=A|14=0|17=E|37=O|39=0|54=1|55=X|150=0|151=1",
    )
    .msg(
        T0 + SEC,
        true,
        "D",
        121,
        "11=B|21=1|38=1|40=1|54=1|55=X|60=20231114-22:13:21.000",
    );
    let (events, summary) = replay(&c.pcap(), "mid.pcap", &OfflineOptions::default());
    assert!(
        !sends(&events).iter().any(|s| s.1 == "2" || s.1 == "5"),
        "{events:#?}"
    );
    // Our synthetic Logon answer takes 339, the captured report keeps 340.
    let seqs: Vec<Option<u64>> = sends(&events).into_iter().map(|s| s.2).collect();
    assert_eq!(seqs, vec![Some(339), Some(340)]);
    assert_eq!(
        (summary.next_target_seq, summary.next_sender_seq),
        (122, 341)
    );
    assert_eq!(summary.final_state, "active");
}

#[test]
fn the_initiator_side_replays_our_orders_and_notes_the_divergence() {
    let opts = OfflineOptions {
        side: Side::Initiator,
        tail_nanos: 100 * SEC,
        ..OfflineOptions::default()
    };
    let (events, summary) = replay(&too_low().file_log(), "fix.log", &opts);
    // Our resent ORD2 gets MsgSeqNum 3: the captured client reused 2.
    assert!(events.iter().any(|e| matches!(&e.kind, EventKind::Note(t)
        if t == "our MsgSeqNum differs from the capture: captured 34=2, replay 34=3")));
    assert_eq!(summary.session, "FIX.4.4:CLIENT->SERVER");
    assert_eq!(summary.final_state, "disconnected");
}

#[test]
fn a_new_logon_in_a_log_is_a_reconnection() {
    let mut c = Conv::default();
    // The client reconnects without a Logout (its process restarted).
    c.logon(T0, 1, 1)
        .msg(T0 + SEC, true, "0", 2, "")
        .logon(T0 + 10 * SEC, 3, 2)
        .msg(T0 + 11 * SEC, true, "0", 4, "");
    let (events, summary) = replay(&c.file_log(), "re.log", &OfflineOptions::default());
    let names: Vec<&str> = events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::Connected { .. } | EventKind::Disconnected(_) | EventKind::Logon
            )
        })
        .map(|e| e.name())
        .collect();
    assert_eq!(
        names,
        vec!["connected", "logon", "disconnected", "connected", "logon"]
    );
    assert_eq!((summary.closes, summary.final_state), (0, "active"));
    assert_eq!((summary.next_target_seq, summary.next_sender_seq), (5, 3));
}

#[test]
fn a_fixt_session_replays_with_its_default_appl_ver_id() {
    let mut c = Conv::default();
    let fixt = |c: &mut Conv, ts: i64, from_client: bool, head: &str, body: &str| {
        let (s, t) = if from_client {
            ("CLIENT", "SERVER")
        } else {
            ("SERVER", "CLIENT")
        };
        let st = replay_support::sending_time(ts);
        let fields = format!("{head}|49={s}|52={st}|56={t}|{body}");
        c.lines.push(replay_support::Line {
            ts,
            from_client,
            bytes: ringfix_testkit::pcap::fix_with("FIXT.1.1", &fields),
        });
    };
    fixt(&mut c, T0, true, "35=A|34=1", "98=0|108=30|1137=9");
    let order = "11=A|38=1|40=1|54=1|55=X|60=20231114-22:13:21.000";
    fixt(&mut c, T0 + SEC, true, "35=D|34=2", order);
    let no_ord_type = "11=B|54=1|55=X|60=20231114-22:13:22.000";
    fixt(&mut c, T0 + 2 * SEC, true, "35=D|34=3", no_ord_type);
    let (events, summary) = replay(&c.file_log(), "fixt.log", &OfflineOptions::default());
    assert_eq!(summary.session, "FIXT.1.1:SERVER->CLIENT");
    let logon = events
        .iter()
        .find_map(|e| e.sent().filter(|m| m.msg_type == "A"))
        .unwrap();
    assert_eq!(logon.seq, Some(1));
    // The second order lacks OrdType (40): the FIX 5.0SP2 dictionary rejects it.
    let rejects: Vec<_> = events
        .iter()
        .filter_map(|e| e.sent().filter(|m| m.msg_type == "3"))
        .collect();
    assert_eq!(rejects.len(), 1, "{events:#?}");
    assert_eq!(field(rejects[0], 371), Some("40"));
    assert_eq!(summary.rejects, 1);
}

#[test]
fn the_handshake_decides_the_sides_over_the_first_logon() {
    // The capture starts after the client's Logon: the first Logon seen is
    // the server's answer.
    let mut c = Conv::default();
    c.msg(T0, false, "A", 1, "98=0|108=30")
        .msg(T0 + SEC, true, "0", 2, "");
    let dir = tempfile::tempdir().unwrap();
    let pcap = write(dir.path(), "late.pcap", &c.pcap());
    let p = Capture::load(pcap.to_str().unwrap()).unwrap().profile;
    assert_eq!((p.basis, p.initiator_comp_id.as_str()), ("syn", "CLIENT"));
    // A log has no handshake: the first Logon's sender is taken as the initiator.
    let log = write(dir.path(), "late.log", &c.file_log());
    let p = Capture::load(log.to_str().unwrap()).unwrap().profile;
    assert_eq!((p.basis, p.initiator_comp_id.as_str()), ("logon", "SERVER"));
}

#[test]
fn an_unanswered_logon_times_out_on_the_tail() {
    // Our initiator's Logon, no answer; the capture ends 2 s later.
    let mut c = Conv::default();
    c.msg(T0, true, "A", 1, "98=0|108=30")
        .msg(T0 + 2 * SEC, true, "0", 2, "");
    let opts = OfflineOptions {
        side: Side::Initiator,
        tail_nanos: 20 * SEC,
        ..OfflineOptions::default()
    };
    let (events, summary) = replay(&c.pcap(), "nologon.pcap", &opts);
    let close = events
        .iter()
        .position(|e| matches!(e.kind, EventKind::Close(_)))
        .unwrap();
    // LogonTimeout (10 s) after our Logon, on the clock run past the capture.
    assert_eq!(events[close].at, T0 + 10 * SEC);
    assert_eq!(events[close - 2].kind, EventKind::Timer);
    assert!(
        matches!(&events[close - 1].kind, EventKind::Note(t) if t.starts_with("logon timeout"))
    );
    assert_eq!((summary.timers, summary.closes), (1, 1));
}
