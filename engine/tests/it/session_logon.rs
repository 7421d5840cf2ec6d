//! Logon family (FIX session test cases 1a-1e, ResetSeqNumFlag, initiator).

use crate::common;

use common::{settings, Rig, NANOS};
use ringfix_engine::session::{Close, FatalError, LogoutReason, Role, SessionState};

#[test]
fn t1a_valid_logon_is_answered_with_same_heart_bt_int() {
    let mut r = Rig::acceptor("FIX.4.4");
    r.connect();
    assert_eq!(r.s.state(), SessionState::AwaitingLogon);
    r.recv("A", 1, "98=0|108=30|");
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=A|34=1|49=ISLD|56=TW|98=0|108=30"]
    );
    assert_eq!(r.s.state(), SessionState::Active);
    assert_eq!(r.app.logons, 1);
    assert_eq!(r.s.next_target_seq(), 2);
    assert_eq!(r.s.heart_bt_int(), 30);
}

#[test]
fn t1a_logon_msg_seq_num_too_high_answers_then_asks_for_the_gap() {
    let mut r = Rig::acceptor("FIX.4.4");
    r.connect();
    r.recv("A", 5, "98=0|108=30|");
    assert_eq!(
        r.sent_stable(),
        vec![
            "8=FIX.4.4|35=A|34=1|49=ISLD|56=TW|98=0|108=30",
            "8=FIX.4.4|35=2|34=2|49=ISLD|56=TW|7=1|16=0"
        ]
    );
    assert_eq!(r.s.state(), SessionState::AwaitingResend);
    // Gap 1..4 filled: the queued Logon is consumed.
    r.recv_dup("4", 1, 0, "36=5|123=Y|");
    assert_eq!(r.s.next_target_seq(), 6);
    assert_eq!(r.s.state(), SessionState::Active);
}

#[test]
fn t1d_logon_with_bad_sending_time_closes_without_answer() {
    let mut r = Rig::acceptor("FIX.4.4");
    r.connect();
    let d = r.recv_text("8=FIX.4.4|35=A|34=1|49=TW|52=20010101-00:00:00|56=ISLD|98=0|108=30|");
    assert_eq!(d.close, Close::Now);
    assert!(r.sent().is_empty());
}

#[test]
fn t1e_first_message_not_logon_closes() {
    let mut r = Rig::acceptor("FIX.4.4");
    r.connect();
    let d = r.recv("0", 1, "");
    assert_eq!(d.close, Close::Now);
    assert!(r.sent().is_empty());
}

#[test]
fn t1b_second_logon_on_a_logged_on_connection_closes() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    let d = r.recv("A", 2, "98=0|108=30|");
    assert_eq!(d.close, Close::Now);
    assert_eq!(
        r.app.logouts,
        vec![LogoutReason::Fatal(FatalError::BadLogonState)]
    );
}

#[test]
fn fixt_logon_without_default_appl_ver_id_closes() {
    let mut r = Rig::acceptor("FIXT.1.1");
    r.connect();
    assert_eq!(r.recv("A", 1, "98=0|108=30|").close, Close::Now);
    assert!(r.sent().is_empty());
}

#[test]
fn fixt_logon_answer_carries_default_appl_ver_id() {
    let mut r = Rig::acceptor("FIXT.1.1");
    r.connect();
    r.recv("A", 1, "98=0|108=30|1137=9|");
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIXT.1.1|35=A|34=1|49=ISLD|56=TW|98=0|108=30|1137=9"]
    );
}

#[test]
fn reset_seq_num_flag_while_logged_on_resets_both_sides() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    for seq in 2..6 {
        r.recv("0", seq, "");
    }
    r.recv("1", 6, "112=x|");
    assert_eq!(r.sent().len(), 1);
    let resets_before = r.app.resets;
    r.recv("A", 1, "98=0|108=30|141=Y|");
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=A|34=1|49=ISLD|56=TW|98=0|108=30|141=Y"]
    );
    assert_eq!(r.app.resets, resets_before + 1);
    assert_eq!((r.s.next_sender_seq(), r.s.next_target_seq()), (2, 2));
}

#[test]
fn reset_on_logon_starts_every_logon_at_one() {
    let mut cfg = settings(Role::Acceptor, "FIX.4.4");
    cfg.reset_on_logon = true;
    let mut r = Rig::new(cfg);
    r.connect();
    r.recv("A", 1, "98=0|108=30|");
    r.recv("0", 2, "");
    r.recv("5", 3, "");
    r.disconnect();
    r.sent();
    r.connect();
    r.recv("A", 1, "98=0|108=30|");
    let out = r.sent();
    assert_eq!(
        Rig::<ringfix_engine::store::MemoryStore>::field(&out[0], 34).as_deref(),
        Some("1")
    );
}

#[test]
fn initiator_sends_logon_with_reset_and_username_then_completes() {
    let mut cfg = settings(Role::Initiator, "FIX.4.4");
    cfg.reset_on_logon = true;
    cfg.heart_bt_int = 20;
    let mut r = Rig::new(cfg);
    r.app.username = Some("me".into());
    r.connect();
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=A|34=1|49=ISLD|56=TW|98=0|108=20|141=Y|553=me"]
    );
    assert_eq!(r.s.state(), SessionState::AwaitingLogon);
    r.recv("A", 1, "98=0|108=20|141=Y|");
    assert!(
        r.sent().is_empty(),
        "an initiator does not answer the Logon answer"
    );
    assert_eq!(r.s.state(), SessionState::Active);
    assert_eq!(r.app.logons, 1);
}

#[test]
fn initiator_logon_timeout_closes() {
    let mut cfg = settings(Role::Initiator, "FIX.4.4");
    cfg.logon_timeout = 5;
    let mut r = Rig::new(cfg);
    r.connect();
    let start = r.mono;
    assert_eq!(r.s.deadline().unwrap().as_nanos(), start + 5 * NANOS);
    assert!(!r.advance_secs(4.9).is_close());
    let d = r.fire_deadline();
    assert_eq!(d.close, Close::Now);
    assert!(d.reconnect, "initiators reconnect by default");
}

#[test]
fn transitions_are_reported_in_order() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.recv("0", 5, "");
    r.recv("5", 6, "");
    let path: Vec<_> = r.app.transitions.iter().map(|t| (t.from, t.to)).collect();
    assert_eq!(
        path,
        vec![
            (SessionState::Disconnected, SessionState::AwaitingLogon),
            (SessionState::AwaitingLogon, SessionState::Active),
            (SessionState::Active, SessionState::AwaitingResend),
            (SessionState::AwaitingResend, SessionState::LogoutSent),
        ]
    );
}

#[test]
fn next_expected_msg_seq_num_on_logon_resends_what_the_peer_missed() {
    let mut cfg = settings(Role::Acceptor, "FIX.4.4");
    cfg.enable_next_expected_msg_seq_num = true;
    let mut r = Rig::new(cfg);
    r.app.echo = true;
    r.connect();
    r.recv("A", 1, "98=0|108=30|789=1|");
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=A|34=1|49=ISLD|56=TW|98=0|108=30|789=2"]
    );
    r.recv("D", 2, "11=a|");
    r.recv("D", 3, "11=b|");
    r.sent();
    r.disconnect();
    r.connect();
    // The peer saw only our Logon (1): messages 2 and 3 are resent.
    r.recv("A", 4, "98=0|108=30|789=2|");
    assert_eq!(
        r.sent_stable(),
        vec![
            "8=FIX.4.4|35=A|34=4|49=ISLD|56=TW|98=0|108=30|789=5",
            "8=FIX.4.4|35=8|34=2|43=Y|49=ISLD|56=TW|11=a",
            "8=FIX.4.4|35=8|34=3|43=Y|49=ISLD|56=TW|11=b",
        ]
    );
}

#[test]
fn next_expected_msg_seq_num_too_high_logs_out() {
    let mut cfg = settings(Role::Acceptor, "FIX.4.4");
    cfg.enable_next_expected_msg_seq_num = true;
    let mut r = Rig::new(cfg);
    r.connect();
    let d = r.recv("A", 1, "98=0|108=30|789=9|");
    assert_eq!(d.close, Close::Now);
    // No Logon answer: the Logout alone (QuickFIX C++ and /J).
    let out = r.sent_stable();
    assert_eq!(
        out,
        vec!["8=FIX.4.4|35=5|34=1|49=ISLD|56=TW|58=Tag 789 (NextExpectedMsgSeqNum) is higher than expected. Expected 1, Received 9"]
    );
}
