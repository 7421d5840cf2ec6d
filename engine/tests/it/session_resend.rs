//! Resend family (8, 20): answering ResendRequests from the store.

use crate::common;

use common::Rig;
use ringfix_engine::session::SessionState;
use ringfix_engine::store::MemoryStore;

type R = Rig<MemoryStore>;

/// Logged on; we sent: 1 Logon, 2-4 Heartbeats, 5-6 app, 7-8 Heartbeats, 9 app.
fn rig_with_history() -> R {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.app.echo = true;
    for (seq, kind) in (2..).zip(["1", "1", "1", "D", "D", "1", "1", "D"]) {
        let body = if kind == "1" {
            "112=hi|".to_string()
        } else {
            format!("11=o{seq}|")
        };
        r.recv(kind, seq, &body);
    }
    assert_eq!(r.sent().len(), 8);
    assert_eq!(r.s.next_sender_seq(), 10);
    r
}

#[test]
fn t8_admin_messages_become_one_gap_fill_to_the_number_after_the_gap() {
    let mut r = rig_with_history();
    r.recv("2", 10, "7=2|16=4|");
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=4|34=2|43=Y|49=ISLD|56=TW|36=5|123=Y"]
    );
}

#[test]
fn t8_mixed_range_resends_app_messages_with_poss_dup_and_orig_sending_time() {
    let mut r = rig_with_history();
    r.recv("2", 10, "7=2|16=0|");
    let out = r.sent();
    let stable: Vec<_> = out.iter().map(|m| R::stable(m)).collect();
    assert_eq!(
        stable,
        vec![
            "8=FIX.4.4|35=4|34=2|43=Y|49=ISLD|56=TW|36=5|123=Y",
            "8=FIX.4.4|35=8|34=5|43=Y|49=ISLD|56=TW|11=o5",
            "8=FIX.4.4|35=8|34=6|43=Y|49=ISLD|56=TW|11=o6",
            "8=FIX.4.4|35=4|34=7|43=Y|49=ISLD|56=TW|36=9|123=Y",
            "8=FIX.4.4|35=8|34=9|43=Y|49=ISLD|56=TW|11=o9",
        ]
    );
    // OrigSendingTime follows SendingTime in header order and is present.
    assert!(out[1].contains("|56=TW|122="));
    assert_eq!(r.s.next_sender_seq(), 10, "resends do not consume numbers");
}

#[test]
fn range_ending_in_admin_messages_gap_fills_to_the_number_after_the_range() {
    let mut r = rig_with_history();
    r.recv("2", 10, "7=5|16=8|");
    assert_eq!(
        r.sent_stable(),
        vec![
            "8=FIX.4.4|35=8|34=5|43=Y|49=ISLD|56=TW|11=o5",
            "8=FIX.4.4|35=8|34=6|43=Y|49=ISLD|56=TW|11=o6",
            "8=FIX.4.4|35=4|34=7|43=Y|49=ISLD|56=TW|36=9|123=Y",
        ]
    );
}

#[test]
fn application_can_gap_fill_stale_messages() {
    let mut r = rig_with_history();
    r.app.stale = vec![6];
    r.recv("2", 10, "7=5|16=9|");
    assert_eq!(
        r.sent_stable(),
        vec![
            "8=FIX.4.4|35=8|34=5|43=Y|49=ISLD|56=TW|11=o5",
            "8=FIX.4.4|35=4|34=6|43=Y|49=ISLD|56=TW|36=9|123=Y",
            "8=FIX.4.4|35=8|34=9|43=Y|49=ISLD|56=TW|11=o9",
        ]
    );
}

#[test]
fn identical_resend_request_resent_as_poss_dup_is_not_answered_twice() {
    let mut r = rig_with_history();
    r.recv("2", 10, "7=5|16=6|");
    assert_eq!(r.sent().len(), 2);
    r.recv_dup("2", 10, 0, "7=5|16=6|");
    assert!(r.sent().is_empty());
    assert_eq!(r.s.next_target_seq(), 11);
}

#[test]
fn t20_resend_request_is_answered_while_we_wait_for_our_own_gap() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.app.echo = true;
    r.recv("D", 2, "11=a|");
    r.recv("D", 3, "11=b|");
    r.sent();
    r.recv("0", 7, "");
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=2|34=4|49=ISLD|56=TW|7=4|16=0"]
    );
    r.recv("2", 8, "7=2|16=3|");
    assert_eq!(
        r.sent_stable(),
        vec![
            "8=FIX.4.4|35=8|34=2|43=Y|49=ISLD|56=TW|11=a",
            "8=FIX.4.4|35=8|34=3|43=Y|49=ISLD|56=TW|11=b"
        ]
    );
    assert_eq!(r.s.state(), SessionState::AwaitingResend);
    for seq in 4..=6 {
        r.recv_dup("0", seq, 0, "");
    }
    assert_eq!(r.s.state(), SessionState::Active);
}

#[test]
fn resend_request_beyond_what_we_sent_is_clamped() {
    let mut r = rig_with_history();
    r.recv("2", 10, "7=9|16=50|");
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=8|34=9|43=Y|49=ISLD|56=TW|11=o9"]
    );
    r.recv("2", 11, "7=12|16=0|");
    assert!(
        r.sent().is_empty(),
        "nothing sent after 9: nothing to resend"
    );
}

/// Stored messages are read by the codec, as inbound ones: one it cannot
/// index (a damaged store) is gap-filled, never resent half-parsed.
#[test]
fn a_stored_message_the_codec_refuses_is_gap_filled() {
    use ringfix_engine::store::MessageStore;
    let mut r = rig_with_history();
    // Message 5 (an ExecutionReport) damaged in the store: a field
    // without '=' inside its body.
    let mut damaged = Vec::new();
    r.s.store()
        .get_range(5, 5, &mut |_, m| damaged.extend_from_slice(m))
        .unwrap();
    let at = damaged.windows(4).position(|w| w == b"\x0111=").unwrap();
    damaged[at + 3] = b'x';
    r.s.store_mut().append(5, &damaged).unwrap();
    r.recv("2", 10, "7=5|16=6|");
    assert_eq!(
        r.sent_stable(),
        vec![
            "8=FIX.4.4|35=4|34=5|43=Y|49=ISLD|56=TW|36=6|123=Y",
            "8=FIX.4.4|35=8|34=6|43=Y|49=ISLD|56=TW|11=o6",
        ]
    );
}
