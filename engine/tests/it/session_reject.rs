//! Reject family (2i, 2k, 2r, 3, 7, 14x with the dictionary) and store
//! failures.

use crate::common;

use common::{settings, Rig, START};
use ringfix_codec::dict::{Options, Validator as DictValidator};
use ringfix_engine::session::{AppVerdict, Close, FatalError, LogoutReason, Role, Session};
use ringfix_engine::store::{FailingStore, MemoryStore, UtcTimestamp};

fn validated(begin: &str) -> Rig<MemoryStore> {
    let mut r = Rig::acceptor(begin);
    let cfg = r.s.settings().clone();
    let v = DictValidator::builtin(begin.as_bytes(), None, Options::default()).unwrap();
    r.s = Session::new(
        cfg,
        MemoryStore::new(UtcTimestamp::from_nanos(START)),
        Some(Box::new(v)),
    );
    r.connect();
    r.recv("A", 1, "98=0|108=30|");
    r.sent();
    r
}

#[test]
fn t2i_begin_string_mismatch_logs_out_and_closes_now() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    let d = r.recv_text("8=FIX.4.1|35=1|34=2|49=TW|52=<TIME>|56=ISLD|112=id|");
    assert_eq!(d.close, Close::Now);
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=5|34=2|49=ISLD|56=TW|58=Incorrect BeginString"]
    );
    assert_eq!(
        r.app.logouts,
        vec![LogoutReason::Fatal(FatalError::BeginStringMismatch)]
    );
}

#[test]
fn t2k_comp_id_mismatch_rejects_logs_out_and_closes_now() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    let d = r.recv_text("8=FIX.4.4|35=D|34=2|49=WT|52=<TIME>|56=ISLD|11=a|");
    assert_eq!(d.close, Close::Now);
    assert_eq!(
        r.sent_stable(),
        vec![
            "8=FIX.4.4|35=3|34=2|49=ISLD|56=TW|45=2|58=CompID problem|372=D|373=9",
            "8=FIX.4.4|35=5|34=3|49=ISLD|56=TW"
        ]
    );
}

#[test]
fn t2r_application_business_reject_counts_the_message() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.app.verdict = Some(AppVerdict::BusinessReject {
        reason: 3,
        ref_tag: None,
        text: None,
    });
    r.recv("8", 2, "37=x|");
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=j|34=2|49=ISLD|56=TW|45=2|58=Unsupported Message Type|372=8|380=3"]
    );
    assert_eq!(r.s.next_target_seq(), 3);
}

/// FIX.4.0/4.1 have no BusinessMessageReject: QuickFIX answers with a
/// session Reject, the reason only in the Text (no 371-373).
#[test]
fn t2r_business_rejects_before_fix42_are_session_rejects() {
    for (reason, ref_tag, want) in [
        (3, None, "45=2|58=Unsupported message type"),
        (5, Some(11), "45=2|58=Required tag missing (11)"),
        (6, None, "45=2|58=Not authorized"),
    ] {
        for begin in ["FIX.4.0", "FIX.4.1"] {
            let mut r = Rig::logged_on(begin, 30);
            r.app.verdict = Some(AppVerdict::BusinessReject {
                reason,
                ref_tag,
                text: None,
            });
            r.recv("8", 2, "37=x|");
            assert_eq!(
                r.sent_stable(),
                vec![format!("8={begin}|35=3|34=2|49=ISLD|56=TW|{want}")],
                "380={reason}"
            );
            assert_eq!(r.s.next_target_seq(), 3);
        }
    }
}

#[test]
fn application_sends_in_response_from_inside_the_callback() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.app.echo = true;
    r.recv("D", 2, "11=abc|");
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=8|34=2|49=ISLD|56=TW|11=abc"]
    );
    assert_eq!(r.app.sent_seqs, vec![2]);
}

#[test]
fn t7_inbound_reject_is_counted_and_passed_to_the_application() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.recv("3", 2, "45=1|");
    assert!(r.sent().is_empty());
    assert_eq!(r.s.next_target_seq(), 3);
    assert!(r.app.admin_types.contains(&"3".to_string()));
}

#[test]
fn t14h_fix42_reject_has_no_session_reject_reason_above_11() {
    let mut r = validated("FIX.4.2");
    r.recv(
        "D",
        2,
        "11=ID|21=1|40=1|40=2|54=1|38=200|55=INTC|60=<TIME>|",
    );
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.2|35=3|34=2|49=ISLD|56=TW|45=2|58=Tag appears more than once|371=40|372=D"]
    );
    assert_eq!(r.s.next_target_seq(), 3);
}

#[test]
fn t14a_invalid_tag_rejected_with_ref_tag_in_fix44() {
    let mut r = validated("FIX.4.4");
    r.recv("0", 2, "999=HI|");
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=3|34=2|49=ISLD|56=TW|45=2|58=Invalid tag number|371=999|372=0|373=0"]
    );
}

#[test]
fn reject_reverses_the_route() {
    let mut r = validated("FIX.4.4");
    r.recv_text("8=FIX.4.4|35=D|34=2|49=TW|52=<TIME>|56=ISLD|115=JCD|116=CS|11=ID|21=3|38=100|40=w|54=1|55=INTC|60=<TIME>|");
    let out = r.sent_stable();
    assert!(
        out[0].starts_with("8=FIX.4.4|35=3|34=2|49=ISLD|56=TW|128=JCD|129=CS|45=2|"),
        "{out:?}"
    );
}

#[test]
fn failed_store_append_sends_nothing_and_stops() {
    let store = FailingStore::new(MemoryStore::new(UtcTimestamp::from_nanos(START)));
    let faults = store.handle();
    let mut r = Rig::with_store(settings(Role::Acceptor, "FIX.4.4"), store);
    r.connect();
    r.recv("A", 1, "98=0|108=30|");
    assert_eq!(r.sent().len(), 1);
    faults.fail_next_append();
    let d = r.recv("1", 2, "112=x|");
    assert_eq!(d.close, Close::Now);
    assert!(
        r.sent().is_empty(),
        "the heartbeat that could not be stored is not sent"
    );
    assert_eq!(r.app.logouts, vec![LogoutReason::StoreFailure]);
    let now = r.ts();
    let e = r.s.send(
        b"D",
        &[],
        |w| {
            w.field(11, b"x");
        },
        now,
        &mut r.out,
    );
    assert!(e.is_err());
    assert!(r.sent().is_empty());
}

#[test]
fn failed_store_append_from_the_application_is_an_error_it_sees() {
    let store = FailingStore::new(MemoryStore::new(UtcTimestamp::from_nanos(START)));
    let faults = store.handle();
    let mut r = Rig::with_store(settings(Role::Acceptor, "FIX.4.4"), store);
    r.app.echo = true;
    r.connect();
    r.recv("A", 1, "98=0|108=30|");
    r.sent();
    faults.fail_next_append();
    let d = r.recv("D", 2, "11=a|");
    assert!(r.app.sent_seqs.is_empty(), "send returned an error");
    assert_eq!(d.close, Close::Now);
    assert!(r.sent().is_empty());
}
