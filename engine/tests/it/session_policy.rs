//! Session policy settings (issue 31), each seen on the wire: what the
//! counterparty receives.

use crate::common;

use common::{settings, Rig, NANOS};
use ringfix_engine::session::{
    AppVerdict, Close, ErrorPolicy, LogoutReason, Role, SessionSettings,
};
use ringfix_engine::store::{FailingStore, MemoryStore, MessageStore, UtcTimestamp};

type R = Rig<MemoryStore>;

fn acceptor(f: impl FnOnce(&mut SessionSettings)) -> R {
    let mut cfg = settings(Role::Acceptor, "FIX.4.4");
    f(&mut cfg);
    Rig::new(cfg)
}

/// An acceptor with settings `f`, logged on (Logon 1 answered, HeartBtInt
/// `hb`).
fn logged_on(hb: u32, f: impl FnOnce(&mut SessionSettings)) -> R {
    let mut r = acceptor(f);
    r.connect();
    r.recv("A", 1, &format!("98=0|108={hb}|"));
    assert_eq!(r.sent().len(), 1);
    r
}

// --- NextExpectedMsgSeqNum (789) -------------------------------------------

#[test]
fn initiator_logon_carries_789_and_resends_what_the_answer_asks_for() {
    let mut cfg = settings(Role::Initiator, "FIX.4.4");
    cfg.enable_next_expected_msg_seq_num = true;
    let mut r = Rig::new(cfg);
    r.app.on_logon_send = vec!["a".into(), "b".into()];
    r.connect();
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=A|34=1|49=ISLD|56=TW|98=0|108=30|789=1"]
    );
    r.recv("A", 1, "98=0|108=30|789=2|");
    assert_eq!(r.sent().len(), 2, "the two orders of on_logon");
    r.disconnect();
    // Reconnect: we expect 2 from the peer; the peer says it saw only our
    // first Logon (789=2), so 2 and 3 go again after the Logon exchange.
    r.connect();
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=A|34=4|49=ISLD|56=TW|98=0|108=30|789=2"]
    );
    r.recv("A", 2, "98=0|108=30|789=2|");
    let out = r.sent_stable();
    assert_eq!(
        out,
        vec![
            "8=FIX.4.4|35=D|34=2|43=Y|49=ISLD|56=TW|11=a",
            "8=FIX.4.4|35=D|34=3|43=Y|49=ISLD|56=TW|11=b",
            // Our Logon of this connection (4): gap-filled, as QuickFIX C++.
            "8=FIX.4.4|35=4|34=4|43=Y|49=ISLD|56=TW|36=5|123=Y",
        ]
    );
    assert!(r.lines().iter().any(|l| l.contains(
        "Sending retransmits due to received NextExpectedMsgSeqNum is too low. FROM: 2 TO: 4"
    )));
}

#[test]
fn without_the_setting_no_789_is_sent_and_a_received_one_is_ignored() {
    let mut r = acceptor(|_| {});
    r.connect();
    r.recv("A", 1, "98=0|108=30|789=7|");
    let out = r.sent_stable();
    assert_eq!(out, vec!["8=FIX.4.4|35=A|34=1|49=ISLD|56=TW|98=0|108=30"]);
    assert!(r.s.is_logged_on());
}

#[test]
fn a_789_above_what_we_sent_is_a_logout_before_any_logon_answer() {
    let mut r = acceptor(|c| c.enable_next_expected_msg_seq_num = true);
    r.connect();
    let d = r.recv("A", 1, "98=0|108=30|789=9|");
    assert_eq!(d.close, Close::Now);
    assert_eq!(
        r.sent_stable(),
        vec![
            "8=FIX.4.4|35=5|34=1|49=ISLD|56=TW|58=Tag 789 (NextExpectedMsgSeqNum) is higher than expected. Expected 1, Received 9"
        ]
    );
    assert_eq!(r.app.logons, 0);
}

#[test]
fn acceptor_answer_789_names_the_gap_when_the_logon_is_beyond_it() {
    let mut r = acceptor(|c| c.enable_next_expected_msg_seq_num = true);
    r.connect();
    // We expect 1; the peer's Logon is 4: 1-3 are missing.
    r.recv("A", 4, "98=0|108=30|789=1|");
    let out = r.sent_stable();
    // Our 789 asks for 1: no ResendRequest, the peer resends unasked.
    assert_eq!(
        out,
        vec!["8=FIX.4.4|35=A|34=1|49=ISLD|56=TW|98=0|108=30|789=1"]
    );
    assert!(r
        .lines()
        .iter()
        .any(|l| l == "Expecting retransmits FROM: 1 TO: 3"));
    // The retransmits fill the gap; the queued Logon then counts.
    r.recv_dup("D", 1, -1, "11=x|");
    r.recv_dup("D", 2, -1, "11=y|");
    r.recv_dup("4", 3, -1, "123=Y|36=4|");
    assert_eq!(r.s.next_target_seq(), 5);
    assert!(r.sent().is_empty(), "nothing asked for");
    assert_eq!(r.app.app_msgs.len(), 2);
    // Without our 789 the same Logon triggers a ResendRequest.
    let mut plain = acceptor(|_| {});
    plain.connect();
    plain.recv("A", 4, "98=0|108=30|");
    let out = plain.sent_stable();
    assert_eq!(out[1], "8=FIX.4.4|35=2|34=2|49=ISLD|56=TW|7=1|16=0");
}

// --- LastMsgSeqNumProcessed (369) -------------------------------------------

#[test]
fn last_msg_seq_num_processed_is_in_every_header() {
    let mut r = acceptor(|c| c.enable_last_msg_seq_num_processed = true);
    r.connect();
    r.recv("A", 1, "98=0|108=30|");
    // The Logon answer names the Logon it answers.
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=A|34=1|49=ISLD|56=TW|369=1|98=0|108=30"]
    );
    r.recv("0", 2, "");
    // A Heartbeat answering a TestRequest names the TestRequest.
    r.recv("1", 3, "112=T|");
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=0|34=2|49=ISLD|56=TW|369=3|112=T"]
    );
    // Our own messages: the last number processed.
    let now = r.ts();
    r.s.send(
        b"D",
        &[],
        |w| {
            w.field(11, b"o");
        },
        now,
        &mut r.out,
    )
    .unwrap();
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=D|34=3|49=ISLD|56=TW|369=3|11=o"]
    );
    // Off (the default): no 369.
    let mut off = logged_on(30, |_| {});
    off.recv("1", 2, "112=T|");
    assert_eq!(R::field(&off.sent()[0], 369), None);
}

// --- ResetOnError / DisconnectOnError ----------------------------------------

#[test]
fn reset_on_error_logs_out_instead_of_rejecting_then_resets() {
    let mut r = logged_on(30, |c| c.on_error = ErrorPolicy::Reset);
    r.app.verdict = Some(AppVerdict::BusinessReject {
        reason: 3,
        ref_tag: None,
        text: None,
    });
    r.recv("D", 2, "11=a|");
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=5|34=2|49=ISLD|56=TW|58=Session reset"]
    );
    assert!(r.app.rejects.is_empty(), "no reject sent");
    // The peer answers: sequence numbers back to 1, the connection closes.
    let d = r.recv("5", 3, "");
    assert!(d.is_close());
    assert_eq!(r.s.next_sender_seq(), 1);
    assert_eq!(r.s.next_target_seq(), 1);
    assert_eq!(r.app.resets, 1);
}

#[test]
fn reset_on_error_resets_when_the_logout_goes_unanswered() {
    let mut r = logged_on(30, |c| c.on_error = ErrorPolicy::Reset);
    // A message the data dictionary would reject (no ClOrdID) is not seen
    // here (no validator): an application reject stands for it.
    r.app.verdict = Some(AppVerdict::SessionReject {
        reason: 5,
        ref_tag: Some(11),
    });
    r.recv("D", 2, "");
    assert_eq!(R::field(&r.sent()[0], 58).as_deref(), Some("Session reset"));
    let d = r.fire_deadline();
    assert_eq!(d.close, Close::Now);
    r.disconnect();
    assert_eq!(r.s.next_sender_seq(), 1);
    assert_eq!(r.s.next_target_seq(), 1);
}

#[test]
fn disconnect_on_error_closes_without_a_word() {
    let mut r = logged_on(30, |c| c.on_error = ErrorPolicy::Disconnect);
    r.app.verdict = Some(AppVerdict::BusinessReject {
        reason: 3,
        ref_tag: None,
        text: None,
    });
    let d = r.recv("D", 2, "11=a|");
    assert_eq!(d.close, Close::Now);
    assert!(r.sent().is_empty(), "no reject, no logout");
    assert_eq!(r.app.logouts, vec![LogoutReason::ErrorPolicy]);
    assert!(r.lines().iter().any(|l| l.starts_with("Auto disconnect")));
    // Sequence numbers are kept: the message was not counted.
    assert_eq!(r.s.next_target_seq(), 2);
}

#[test]
fn error_policies_leave_admin_messages_and_the_default_rejects() {
    // An admin message problem is still rejected.
    let mut r = logged_on(30, |c| c.on_error = ErrorPolicy::Disconnect);
    let d = r.recv("4", 2, "123=Y|");
    assert!(!d.is_close());
    assert_eq!(R::field(&r.sent()[0], 35).as_deref(), Some("3"));
    // Default: the application's reject goes out.
    let mut r = logged_on(30, |_| {});
    r.app.verdict = Some(AppVerdict::BusinessReject {
        reason: 3,
        ref_tag: None,
        text: None,
    });
    r.recv("D", 2, "11=a|");
    assert_eq!(R::field(&r.sent()[0], 35).as_deref(), Some("j"));
}

#[test]
fn error_policy_applies_to_dictionary_rejects() {
    let mut cfg = settings(Role::Acceptor, "FIX.4.4");
    cfg.on_error = ErrorPolicy::Disconnect;
    let mut r = Rig::with_validator(
        cfg,
        MemoryStore::new(UtcTimestamp::from_nanos(common::START)),
    );
    r.connect();
    r.recv("A", 1, "98=0|108=30|");
    r.sent();
    // NewOrderSingle without its required fields.
    let d = r.recv("D", 2, "");
    assert_eq!(d.close, Close::Now);
    assert!(r.sent().is_empty());
}

// --- ValidateSequenceNumbers -------------------------------------------------

#[test]
fn unchecked_sequence_numbers_take_the_peers_number() {
    let mut r = logged_on(30, |c| c.validate_sequence_numbers = false);
    // A gap: no ResendRequest, the message is delivered.
    let d = r.recv("D", 5, "11=a|");
    assert!(!d.is_close());
    assert!(r.sent().is_empty());
    assert_eq!(r.app.app_msgs.len(), 1);
    assert_eq!(r.s.next_target_seq(), 6);
    // Too low without PossDup: no Logout, delivered.
    let d = r.recv("D", 3, "11=b|");
    assert!(!d.is_close());
    assert!(r.sent().is_empty());
    assert_eq!(r.app.app_msgs.len(), 2);
    // Checked (the default): the gap is asked for.
    let mut c = logged_on(30, |_| {});
    c.recv("D", 5, "11=a|");
    assert_eq!(R::field(&c.sent()[0], 35).as_deref(), Some("2"));
}

// --- AllowPosDup ------------------------------------------------------------

#[test]
fn allow_pos_dup_keeps_the_applications_poss_dup_fields() {
    let orig = b"20251231-23:59:59.000";
    for allow in [false, true] {
        let mut r = logged_on(30, |c| c.allow_pos_dup = allow);
        let now = r.ts();
        r.s.send(
            b"D",
            &[(43, b"Y"), (122, orig)],
            |w| {
                w.field(11, b"o");
            },
            now,
            &mut r.out,
        )
        .unwrap();
        let m = &r.sent()[0];
        if allow {
            assert!(m.contains("|43=Y|"), "{m}");
            assert!(m.contains("|122=20251231-23:59:59.000|"), "{m}");
        } else {
            assert_eq!(R::field(m, 43), None, "{m}");
            assert_eq!(R::field(m, 122), None, "{m}");
        }
    }
}

// --- RequiresOrigSendingTime ---------------------------------------------------

#[test]
fn poss_dup_without_orig_sending_time() {
    for required in [true, false] {
        let mut r = logged_on(30, |c| c.requires_orig_sending_time = required);
        r.recv("D", 2, "11=a|");
        r.sent();
        // A too-low PossDup without 122.
        r.recv_text("8=FIX.4.4|35=D|34=2|43=Y|49=TW|52=<TIME>|56=ISLD|11=a|");
        let out = r.sent_stable();
        if required {
            assert_eq!(
                out,
                vec!["8=FIX.4.4|35=3|34=2|49=ISLD|56=TW|45=2|58=Required tag missing|371=122|372=D|373=1"]
            );
        } else {
            assert!(out.is_empty(), "{out:?}");
        }
    }
}

// --- ForceResendWhenCorruptedStore ---------------------------------------------

fn corrupted(
    force: bool,
) -> (
    Rig<FailingStore<MemoryStore>>,
    ringfix_engine::store::FaultHandle,
) {
    let mut cfg = settings(Role::Acceptor, "FIX.4.4");
    cfg.force_resend_when_corrupted_store = force;
    let store = FailingStore::new(MemoryStore::new(UtcTimestamp::from_nanos(common::START)));
    let faults = store.handle();
    let mut r = Rig::with_store(cfg, store);
    r.connect();
    r.recv("A", 1, "98=0|108=30|");
    for id in ["a", "b"] {
        let now = r.ts();
        r.s.send(
            b"D",
            &[],
            |w| {
                w.field(11, id.as_bytes());
            },
            now,
            &mut r.out,
        )
        .unwrap();
    }
    r.sent();
    faults.fail_reads(true);
    (r, faults)
}

#[test]
fn corrupted_store_resend_sends_poss_dup_heartbeats_when_forced() {
    let (mut r, _faults) = corrupted(true);
    let d = r.recv("2", 2, "7=2|16=0|");
    assert!(!d.is_close());
    assert_eq!(
        r.sent_stable(),
        vec![
            "8=FIX.4.4|35=0|34=2|43=Y|49=ISLD|56=TW",
            "8=FIX.4.4|35=0|34=3|43=Y|49=ISLD|56=TW",
        ]
    );
    let (mut r, _faults) = corrupted(false);
    let d = r.recv("2", 2, "7=2|16=0|");
    assert_eq!(d.close, Close::Now);
    assert_eq!(r.app.logouts, vec![LogoutReason::StoreFailure]);
    assert_eq!(r.s.store().next_sender_seq(), 4);
}

// --- Heartbeat multipliers and DisableHeartBeatCheck ---------------------------

#[test]
fn multipliers_move_the_test_request_and_the_timeout() {
    let mut r = logged_on(10, |c| {
        c.test_request_delay_multiplier = 500;
        c.heartbeat_timeout_multiplier = 2000;
    });
    let t0 = r.mono;
    r.fire_deadline(); // our Heartbeat at 10 s
    assert_eq!(r.mono, t0 + 10 * NANOS);
    r.sent();
    // TestRequest at 1.5 x.
    r.fire_deadline();
    assert_eq!(r.mono, t0 + 15 * NANOS);
    assert_eq!(R::field(&r.sent()[0], 35).as_deref(), Some("1"));
    // Timeout at 3 x, not 2.4 x.
    assert!(!r.advance_to(t0 + 29 * NANOS).is_close());
    let d = r.fire_deadline();
    assert_eq!(r.mono, t0 + 30 * NANOS);
    assert_eq!(d.close, Close::Now);
    assert_eq!(r.app.logouts, vec![LogoutReason::HeartbeatTimeout]);
}

#[test]
fn disabled_heartbeat_check_never_drops_a_silent_peer() {
    let mut r = logged_on(10, |c| c.disable_heartbeat_check = true);
    let t0 = r.mono;
    let mut test_requests = 0;
    while r.mono < t0 + 100 * NANOS {
        let d = r.fire_deadline();
        assert!(!d.is_close(), "closed at {}", r.mono - t0);
        test_requests += r
            .sent()
            .iter()
            .filter(|m| R::field(m, 35).as_deref() == Some("1"))
            .count();
    }
    assert!(test_requests >= 2, "{test_requests}");
    assert!(r.app.logouts.is_empty());
}

// --- ClosedResendInterval --------------------------------------------------------

#[test]
fn closed_resend_interval_names_the_last_missing_number() {
    let mut r = logged_on(30, |c| c.closed_resend_interval = true);
    r.recv("D", 6, "11=a|");
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=2|34=2|49=ISLD|56=TW|7=2|16=5"]
    );
}

// --- LogonTag ---------------------------------------------------------------------

#[test]
fn logon_tags_are_in_every_logon_we_send() {
    let mut cfg = settings(Role::Initiator, "FIX.4.4");
    cfg.logon_tags = vec![(553, "user".into()), (554, "secret".into())];
    let mut r = Rig::new(cfg);
    r.connect();
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=A|34=1|49=ISLD|56=TW|98=0|108=30|553=user|554=secret"]
    );
    let mut a = acceptor(|c| c.logon_tags = vec![(58, "hello".into())]);
    a.connect();
    a.recv("A", 1, "98=0|108=30|");
    assert_eq!(
        a.sent_stable(),
        vec!["8=FIX.4.4|35=A|34=1|49=ISLD|56=TW|98=0|108=30|58=hello"]
    );
}

// --- RejectMessageOnUnhandledException ----------------------------------------

#[test]
fn application_panic_rejects_with_the_setting() {
    let mut r = logged_on(30, |c| c.reject_message_on_unhandled_exception = true);
    r.app.echo = true;
    r.app.panic_mid_send = true;
    let d = r.recv("D", 2, "11=a|");
    assert!(!d.is_close());
    // The echo sent before the panic stays; the half-written one is gone;
    // a BusinessMessageReject (ApplicationNotAvailable) follows.
    assert_eq!(
        r.sent_stable(),
        vec![
            "8=FIX.4.4|35=8|34=2|49=ISLD|56=TW|11=a",
            "8=FIX.4.4|35=j|34=3|49=ISLD|56=TW|45=2|58=Application not available|372=D|380=4",
        ]
    );
    assert_eq!(r.s.next_target_seq(), 3);
    assert!(
        r.lines()
            .iter()
            .any(|l| l
                .contains("Rejecting message 2: the application panicked: failed while writing"))
    );
}

#[test]
fn application_panic_without_the_setting_leaves_the_message_uncounted() {
    let mut r = logged_on(30, |_| {});
    r.app.panic = true;
    let d = r.recv("D", 2, "11=a|");
    assert!(!d.is_close());
    assert!(r.sent().is_empty());
    assert_eq!(r.s.next_target_seq(), 2);
    // The next message finds the gap: the failed one is asked for again.
    r.app.panic = false;
    r.recv("D", 3, "11=b|");
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=2|34=2|49=ISLD|56=TW|7=2|16=0"]
    );
}

#[test]
fn application_panic_before_fix_4_2_is_a_session_reject() {
    let mut cfg = settings(Role::Acceptor, "FIX.4.1");
    cfg.reject_message_on_unhandled_exception = true;
    let mut r = Rig::new(cfg);
    r.connect();
    r.recv("A", 1, "98=0|108=30|");
    r.sent();
    r.app.panic = true;
    r.recv("D", 2, "11=a|");
    let out = r.sent_stable();
    assert_eq!(out.len(), 1, "{out:?}");
    assert_eq!(R::field(&out[0], 35).as_deref(), Some("3"));
    assert_eq!(R::field(&out[0], 45).as_deref(), Some("2"));
}
