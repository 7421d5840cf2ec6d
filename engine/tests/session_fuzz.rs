//! Regressions found by the fuzz targets (`fuzz/`, `scripts/fuzz.sh`).

mod common;

use common::{settings, Rig};
use ringfix_engine::session::Role;
use ringfix_engine::store::MemoryStore;

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
