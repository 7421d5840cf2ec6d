//! Sequence family (2a-2g, 10, 11a-c, chunked resend requests).

use crate::common;

use common::{settings, Rig};
use ringfix_engine::session::{Close, FatalError, LogoutReason, Role, SessionState};
use ringfix_engine::store::MemoryStore;

type R = Rig<MemoryStore>;

#[test]
fn t2a_in_sequence_messages_are_delivered_once_each() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.recv("D", 2, "11=a|21=1|40=1|54=1|55=X|60=<TIME>|");
    r.recv("D", 3, "11=b|21=1|40=1|54=1|55=X|60=<TIME>|");
    assert_eq!(r.app.app_msgs.len(), 2);
    assert_eq!(r.s.next_target_seq(), 4);
}

#[test]
fn t2b_msg_seq_num_too_high_queues_and_delivers_after_the_gap() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.recv("D", 4, "11=c|");
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=2|34=2|49=ISLD|56=TW|7=2|16=0"]
    );
    assert_eq!(r.s.state(), SessionState::AwaitingResend);
    assert!(r.app.app_msgs.is_empty(), "not delivered out of order");
    // A second message past the gap does not trigger another request.
    r.recv("D", 5, "11=d|");
    assert!(r.sent().is_empty());
    r.recv_dup("D", 2, -1, "11=a|");
    r.recv_dup("D", 3, -1, "11=b|");
    let ids: Vec<_> = r
        .app
        .app_msgs
        .iter()
        .map(|m| R::field(m, 11).unwrap())
        .collect();
    assert_eq!(ids, vec!["a", "b", "c", "d"]);
    assert_eq!(r.s.next_target_seq(), 6);
    assert_eq!(r.s.state(), SessionState::Active);
}

#[test]
fn t2c_msg_seq_num_too_low_sends_logout_and_closes_now() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.recv("0", 2, "");
    r.recv("0", 3, "");
    let d = r.recv("0", 2, "");
    assert_eq!(d.close, Close::Now);
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=5|34=2|49=ISLD|56=TW|58=MsgSeqNum too low, expecting 4 but received 2"]
    );
    assert_eq!(
        r.app.logouts,
        vec![LogoutReason::Fatal(FatalError::SeqNumTooLow {
            expected: 4,
            received: 2
        })]
    );
    // Nothing more is processed on a closing session.
    r.recv("0", 4, "");
    assert!(r.sent().is_empty());
}

#[test]
fn t2e_poss_dup_already_received_is_ignored() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.recv("D", 2, "11=a|");
    r.recv_dup("D", 2, 0, "11=a|");
    assert_eq!(r.app.app_msgs.len(), 1);
    assert!(!r.last.is_close());
    assert_eq!(r.s.next_target_seq(), 3);
}

#[test]
fn t2f_poss_dup_orig_sending_time_after_sending_time_rejects_and_logs_out() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.recv("0", 2, "");
    r.recv_dup("D", 2, 10, "11=a|");
    assert_eq!(
        r.sent_stable(),
        vec![
            "8=FIX.4.4|35=3|34=2|49=ISLD|56=TW|45=2|58=SendingTime accuracy problem|372=D|373=10",
            "8=FIX.4.4|35=5|34=3|49=ISLD|56=TW",
        ]
    );
    assert_eq!(r.s.state(), SessionState::LogoutSent);
}

#[test]
fn t2g_poss_dup_without_orig_sending_time_is_rejected() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.recv("0", 2, "");
    r.recv_text("8=FIX.4.4|35=D|34=2|43=Y|49=TW|52=<TIME>|56=ISLD|11=a|");
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=3|34=2|49=ISLD|56=TW|45=2|58=Required tag missing|371=122|372=D|373=1"]
    );
    assert_eq!(
        r.s.next_target_seq(),
        3,
        "a rejected duplicate does not count"
    );
}

#[test]
fn t2o_sending_time_out_of_range_rejects_and_logs_out() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.recv_text("8=FIX.4.4|35=0|34=2|49=TW|52=<TIME-121>|56=ISLD|");
    let out = r.sent_stable();
    assert_eq!(
        out[0],
        "8=FIX.4.4|35=3|34=2|49=ISLD|56=TW|45=2|58=SendingTime accuracy problem|372=0|373=10"
    );
    assert_eq!(out[1], "8=FIX.4.4|35=5|34=3|49=ISLD|56=TW");
}

#[test]
fn t10_gap_fill_with_expected_seq_moves_expected_number() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.recv("4", 2, "36=20|123=Y|");
    assert_eq!(r.s.next_target_seq(), 20);
}

#[test]
fn t10_gap_fill_too_low_without_poss_dup_is_fatal() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.recv("0", 2, "");
    assert_eq!(r.recv("4", 1, "36=20|123=Y|").close, Close::Now);
}

#[test]
fn t11a_sequence_reset_reset_mode_ignores_msg_seq_num() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.recv("4", 0, "36=25|");
    assert_eq!(r.s.next_target_seq(), 25);
    assert!(r.sent().is_empty());
}

#[test]
fn t11c_new_seq_no_lower_than_expected_is_rejected() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.recv("4", 0, "36=1|");
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=3|34=2|49=ISLD|56=TW|45=0|58=Value is incorrect (out of range) for this tag|372=4|373=5"]
    );
    assert_eq!(r.s.next_target_seq(), 2);
}

#[test]
fn resend_request_chunk_size_asks_in_chunks() {
    let mut cfg = settings(Role::Acceptor, "FIX.4.4");
    cfg.resend_request_chunk_size = 3;
    let mut r = Rig::new(cfg);
    r.connect();
    r.recv("A", 1, "98=0|108=30|");
    r.sent();
    r.recv("0", 9, "");
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=2|34=2|49=ISLD|56=TW|7=2|16=4"]
    );
    for seq in 2..=4 {
        r.recv_dup("0", seq, 0, "");
    }
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=2|34=3|49=ISLD|56=TW|7=5|16=7"]
    );
    for seq in 5..=7 {
        r.recv_dup("0", seq, 0, "");
    }
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=2|34=4|49=ISLD|56=TW|7=8|16=0"],
        "last chunk: to infinity"
    );
    r.recv_dup("0", 8, 0, "");
    assert_eq!(r.s.next_target_seq(), 10, "queued 9 processed");
    assert_eq!(r.s.state(), SessionState::Active);
}

#[test]
fn fix41_resend_request_uses_999999_for_infinity() {
    let mut r = Rig::logged_on("FIX.4.1", 30);
    r.recv("0", 5, "");
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.1|35=2|34=2|49=ISLD|56=TW|7=2|16=999999"]
    );
}

/// Issue 24: after a reconnect that missed one message, the counterparty
/// answers our ResendRequest with one GapFill over the gap and what it
/// sent since. Its NewSeqNo is applied before the resend is judged
/// complete: one ResendRequest, not a second one from the next number.
#[test]
fn one_resend_request_per_gap_after_a_reconnect() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.disconnect();
    r.connect();
    // We expect 2; the peer's Logon is 3 (it sent 2 while we were gone).
    r.recv("A", 3, "98=0|108=30|");
    let sent = r.sent_stable();
    assert_eq!(R::field(&sent[0], 35).as_deref(), Some("A"));
    assert_eq!(&sent[1..], ["8=FIX.4.4|35=2|34=3|49=ISLD|56=TW|7=2|16=0"]);
    // More from the peer before its answer arrives: queued.
    r.recv("0", 4, "");
    assert!(r.sent().is_empty());
    // The answer: one GapFill from 2 past everything it sent (3 and 4 were
    // admin messages).
    r.recv_dup("4", 2, 0, "36=5|123=Y|");
    assert_eq!(
        r.sent_stable(),
        Vec::<String>::new(),
        "a second ResendRequest"
    );
    assert_eq!(r.s.next_target_seq(), 5);
    assert_eq!(r.s.state(), SessionState::Active);
    r.recv("0", 5, "");
    assert!(r.sent().is_empty());
    assert_eq!(r.s.next_target_seq(), 6);
}

/// The same with chunked requests: a GapFill past the chunk (and past the
/// whole gap) ends the resend; no request for what it covered.
#[test]
fn a_gap_fill_past_the_chunk_asks_for_nothing_it_covered() {
    let mut cfg = settings(Role::Acceptor, "FIX.4.4");
    cfg.resend_request_chunk_size = 2;
    let mut r = Rig::new(cfg);
    r.connect();
    r.recv("A", 1, "98=0|108=30|");
    r.sent();
    r.recv("0", 6, "");
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=2|34=2|49=ISLD|56=TW|7=2|16=3"]
    );
    r.recv_dup("4", 2, 0, "36=6|123=Y|");
    assert_eq!(r.sent_stable(), Vec::<String>::new());
    assert_eq!(r.s.next_target_seq(), 7, "queued 6 processed");
    assert_eq!(r.s.state(), SessionState::Active);
}
