//! The session's decisions as queued events (issue 27): one test per
//! event-log line kind, with QuickFIX's words where QuickFIX logs the same
//! event; and the reject callback (issue 26) for every Reject and
//! BusinessMessageReject sent or received and every refused message.

use crate::common;

use common::{settings, Rig, START};
use ringfix_engine::session::{
    AppVerdict, Event, LogoutReason, RejectInfo, RejectWay, Role, SessionSettings,
};
use ringfix_engine::store::{FailingStore, MemoryStore, UtcTimestamp};

type R = Rig<MemoryStore>;

fn has(lines: &[String], line: &str) -> bool {
    lines.iter().any(|l| l == line)
}

#[track_caller]
fn assert_line(lines: &[String], line: &str) {
    assert!(has(lines, line), "no line {line:?} in {lines:#?}");
}

#[test]
fn acceptor_logon_lines() {
    let mut r = Rig::acceptor("FIX.4.4");
    r.connect();
    r.recv("A", 1, "98=0|108=30|");
    let lines = r.lines();
    assert_eq!(
        lines,
        vec![
            "Received logon request",
            "Responding to logon request",
            "Logon complete"
        ]
    );
}

#[test]
fn initiator_logon_lines() {
    let mut r = Rig::new(settings(Role::Initiator, "FIX.4.4"));
    r.connect();
    assert_eq!(r.lines(), vec!["Initiated logon request"]);
    r.recv("A", 1, "98=0|108=30|");
    assert_eq!(r.lines(), vec!["Received logon response", "Logon complete"]);
}

#[test]
fn logon_reset_lines() {
    let mut r = Rig::acceptor("FIX.4.4");
    r.connect();
    r.recv("A", 1, "98=0|108=30|141=Y|");
    let lines = r.lines();
    assert_line(
        &lines,
        "Logon contains ResetSeqNumFlag=Y, reseting sequence numbers to 1",
    );
    assert_line(&lines, "Sequence numbers reset");
}

#[test]
fn gap_lines_too_high_resend_request_pending_satisfied_queued() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.lines();
    r.recv("0", 4, "");
    assert_eq!(
        r.lines(),
        vec![
            "MsgSeqNum too high, expecting 2 but received 4",
            "Sent ResendRequest FROM: 2 TO: 0"
        ]
    );
    r.recv("0", 5, "");
    assert_eq!(
        r.lines(),
        vec![
            "MsgSeqNum too high, expecting 2 but received 5",
            "Already sent ResendRequest FROM: 2 TO: 3.  Not sending another."
        ]
    );
    r.recv_dup("0", 2, -1, "");
    assert!(r.lines().is_empty());
    r.recv_dup("0", 3, -1, "");
    assert_eq!(
        r.lines(),
        vec![
            "ResendRequest for messages FROM: 2 TO: 3 has been satisfied.",
            "Processing QUEUED message: 4",
            "Processing QUEUED message: 5"
        ]
    );
    assert_eq!(r.s.next_target_seq(), 6);
}

#[test]
fn sequence_reset_received_lines_name_the_mode() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.lines();
    r.recv("4", 2, "36=20|123=Y|");
    assert_eq!(
        r.lines(),
        vec!["Received SequenceReset FROM: 2 TO: 20 (GapFill)"]
    );
    r.recv("4", 0, "36=30|");
    assert_eq!(
        r.lines(),
        vec!["Received SequenceReset FROM: 20 TO: 30 (Reset)"]
    );
}

/// Issue 27's second run: orders straight after a Logon that opened a
/// gap, then one GapFill over them: the orders are legitimately skipped,
/// and the event log says so.
#[test]
fn queued_messages_skipped_by_a_gap_fill_are_logged() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.disconnect();
    r.connect();
    r.lines();
    r.recv("A", 5, "98=0|108=30|");
    for seq in 6..=10 {
        r.recv("D", seq, "11=o|21=1|40=1|54=1|55=X|60=<TIME>|");
    }
    r.lines();
    r.recv_dup("4", 2, 0, "36=11|123=Y|");
    let lines = r.lines();
    assert_line(&lines, "Received SequenceReset FROM: 2 TO: 11 (GapFill)");
    assert_line(
        &lines,
        "Skipped 6 queued messages FROM: 5 TO: 10: below the SequenceReset's NewSeqNo",
    );
    assert!(
        r.app.app_msgs.is_empty(),
        "skipped orders are not delivered"
    );
    assert_eq!(r.s.next_target_seq(), 11);
}

#[test]
fn resend_answer_lines() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.app.echo = true;
    // We send: 2-3 heartbeats (answers), 4-5 reports, 6 heartbeat.
    for (seq, kind) in (2..).zip(["1", "1", "D", "D", "1"]) {
        let body = if kind == "1" { "112=x|" } else { "11=o|" };
        r.recv(kind, seq, body);
    }
    r.lines();
    r.recv("2", 7, "7=2|16=0|");
    assert_eq!(
        r.lines(),
        vec![
            "Received ResendRequest FROM: 2 TO: 0",
            "Sent SequenceReset TO: 4",
            "Resending Message: 4",
            "Resending Message: 5",
            "Sent SequenceReset TO: 7",
            "Answered ResendRequest FROM: 2 TO: 6: 2 messages resent, gap filled 2-3, 6"
        ]
    );
}

#[test]
fn seq_too_low_lines() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.recv("0", 2, "");
    r.recv("0", 3, "");
    r.lines();
    r.recv("0", 2, "");
    let lines = r.lines();
    assert_line(&lines, "MsgSeqNum too low, expecting 4 but received 2");
    assert_line(
        &lines,
        "Initiated logout request: MsgSeqNum too low, expecting 4 but received 2",
    );
    assert_line(
        &lines,
        "Disconnecting: MsgSeqNum too low, expecting 4 but received 2",
    );
    assert_line(
        &lines,
        "Logged out: MsgSeqNum too low, expecting 4 but received 2",
    );
}

fn validating(begin: &str) -> R {
    let mut r = Rig::with_validator(
        settings(Role::Acceptor, begin),
        MemoryStore::new(UtcTimestamp::from_nanos(START)),
    );
    r.connect();
    r.recv("A", 1, "98=0|108=30|");
    r.sent();
    r.lines();
    r
}

/// Issue 27's first run: a message the dictionary refuses is answered by a
/// Reject, and now the event log, the application and the counters hear it.
#[test]
fn validation_reject_line_and_callback() {
    let mut r = validating("FIX.4.4");
    r.recv("D", 2, "11=o|21=1|40=1|54=1|55=X|60=<TIME>|5002=x|");
    assert_eq!(
        r.lines(),
        vec!["Message 2 Rejected: Invalid tag number:5002"]
    );
    assert_eq!(
        r.app.rejects,
        vec![RejectInfo {
            way: RejectWay::Sent,
            business: false,
            reason: Some(0),
            ref_seq: Some(2),
            ref_tag: Some(5002),
            ref_msg_type: "D".into(),
            text: Some("Invalid tag number".into()),
            validation: true,
        }]
    );
    assert!(r.app.app_msgs.is_empty());
}

#[test]
fn business_reject_sent_line_and_callback() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.lines();
    r.app.verdict = Some(AppVerdict::BusinessReject {
        reason: 3,
        ref_tag: None,
        text: None,
    });
    r.recv("x", 2, "");
    assert_eq!(
        r.lines(),
        vec!["Message 2 Rejected: Unsupported Message Type"]
    );
    let rej = &r.app.rejects[0];
    assert_eq!(
        (rej.way, rej.business, rej.reason, rej.validation),
        (RejectWay::Sent, true, Some(3), false)
    );
    assert_eq!(rej.ref_msg_type, "x");
}

#[test]
fn reject_received_line_and_callback() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.lines();
    r.recv("3", 2, "45=7|58=bad price|371=44|372=D|373=5|");
    assert_eq!(
        r.lines(),
        vec!["Received Reject for message 7 (35=D), reason 5, tag 44: bad price"]
    );
    assert_eq!(
        r.app.rejects,
        vec![RejectInfo {
            way: RejectWay::Received,
            business: false,
            reason: Some(5),
            ref_seq: Some(7),
            ref_tag: Some(44),
            ref_msg_type: "D".into(),
            text: Some("bad price".into()),
            validation: false,
        }]
    );
    // A BusinessMessageReject also reaches on_app.
    r.recv("j", 3, "45=8|58=no|372=D|380=4|");
    assert_eq!(
        r.lines(),
        vec!["Received BusinessMessageReject for message 8 (35=D), reason 4: no"]
    );
    assert_eq!(r.app.rejects.len(), 2);
    assert_eq!(r.app.app_msgs.len(), 1);
}

#[test]
fn refused_before_logon_is_reported_without_a_reject() {
    let mut r = Rig::with_validator(
        settings(Role::Acceptor, "FIX.4.4"),
        MemoryStore::new(UtcTimestamp::from_nanos(START)),
    );
    r.connect();
    // A Logon whose HeartBtInt is not a number.
    r.recv("A", 1, "98=0|108=x|");
    let lines = r.lines();
    assert!(
        lines.iter().any(|l| l.starts_with("Message 1 Rejected: ")
            && l.ends_with("(no Reject sent before the Logon exchange)")),
        "{lines:#?}"
    );
    assert_eq!(r.app.rejects[0].way, RejectWay::NotSent);
    assert!(r.app.rejects[0].validation);
    assert!(
        r.sent().is_empty(),
        "nothing sent before the Logon exchange"
    );
}

#[test]
fn logout_lines_with_text() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.lines();
    r.recv("5", 2, "58=bye|");
    assert_eq!(
        r.lines(),
        vec![
            "Received logout request: bye",
            "Sending logout response",
            "Disconnecting after the Logout exchange",
            "Logged out: the counterparty logged out"
        ]
    );
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.lines();
    let now = r.ts();
    r.s.logout(Some("going home"), now, &mut r.out, &mut r.app);
    r.recv("5", 2, "");
    assert_eq!(
        r.lines(),
        vec![
            "Initiated logout request: going home",
            "Received logout response",
            "Disconnecting after the Logout exchange",
            "Logged out: we logged out"
        ]
    );
}

#[test]
fn timer_lines() {
    let mut r = Rig::logged_on("FIX.4.4", 10);
    r.lines();
    r.fire_deadline(); // heartbeat: no line
    assert!(r.lines().is_empty());
    r.fire_deadline();
    assert_eq!(r.lines(), vec!["Sent test request TEST"]);
    r.fire_deadline();
    assert_eq!(
        r.lines(),
        vec![
            "Timed out waiting for heartbeat",
            "Logged out: heartbeat timeout"
        ]
    );

    let mut r = Rig::new(settings(Role::Initiator, "FIX.4.4"));
    r.connect();
    r.lines();
    r.fire_deadline();
    assert_eq!(r.lines(), vec!["Timed out waiting for logon response"]);

    let mut r = Rig::logged_on("FIX.4.4", 30);
    let now = r.ts();
    r.s.logout(None, now, &mut r.out, &mut r.app);
    r.lines();
    r.fire_deadline();
    assert_eq!(
        r.lines(),
        vec![
            "Timed out waiting for logout response",
            "Logged out: logout timeout"
        ]
    );
}

#[test]
fn store_failure_line() {
    let store = FailingStore::new(MemoryStore::new(UtcTimestamp::from_nanos(START)));
    let faults = store.handle();
    let mut cfg: SessionSettings = settings(Role::Acceptor, "FIX.4.4");
    cfg.heart_bt_int = 30;
    let mut r = Rig::with_store(cfg, store);
    r.connect();
    r.recv("A", 1, "98=0|108=30|");
    r.lines();
    faults.fail_next_append();
    r.recv("1", 2, "112=x|");
    assert_eq!(
        r.lines(),
        vec![
            "Error Reading/Writing in MessageStore",
            "Logged out: store failure"
        ]
    );
    assert_eq!(r.app.logouts, vec![LogoutReason::StoreFailure]);
}

#[test]
fn unreadable_stored_message_line() {
    use ringfix_engine::store::MessageStore;
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.app.echo = true;
    r.recv("D", 2, "11=a|");
    r.s.store_mut().append(2, b"not a message").unwrap();
    r.lines();
    r.recv("2", 3, "7=2|16=2|");
    let lines = r.lines();
    assert_line(
        &lines,
        "Stored message 2 cannot be read: sent as a gap fill instead",
    );
    assert_line(&lines, "Sent SequenceReset TO: 3");
}

#[test]
fn state_changes_are_events_not_log_lines() {
    let mut r = Rig::acceptor("FIX.4.4");
    r.connect();
    r.recv("A", 1, "98=0|108=30|");
    let states: Vec<String> = r
        .events
        .iter()
        .filter_map(|e| match e {
            Event::State(t) => Some(format!("{} -> {}", t.from.name(), t.to.name())),
            _ => None,
        })
        .collect();
    assert_eq!(
        states,
        vec!["disconnected -> awaiting-logon", "awaiting-logon -> active"]
    );
    assert_eq!(
        Event::State(r.app.transitions[0]).to_string(),
        "State disconnected -> awaiting-logon"
    );
}
