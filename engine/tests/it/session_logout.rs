//! Logout family (13b, handshake both ways, ResetOnLogout/Disconnect).

use crate::common;

use common::{settings, Rig};
use ringfix_engine::session::{Close, LogoutReason, Role, SessionState};

#[test]
fn t13b_unsolicited_logout_is_answered_then_closed_after_flush() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    let d = r.recv("5", 2, "");
    assert_eq!(d.close, Close::AfterFlush);
    assert_eq!(r.sent_stable(), vec!["8=FIX.4.4|35=5|34=2|49=ISLD|56=TW"]);
    assert_eq!(r.app.logouts, vec![LogoutReason::PeerLogout]);
}

#[test]
fn our_logout_answered_by_the_peer_closes_without_a_second_logout() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    let now = r.ts();
    r.s.logout(None, now, &mut r.out, &mut r.app);
    assert_eq!(r.s.state(), SessionState::LogoutSent);
    r.sent();
    let d = r.recv("5", 2, "");
    assert_eq!(d.close, Close::AfterFlush);
    assert!(r.sent().is_empty());
    assert_eq!(r.app.logouts, vec![LogoutReason::OurLogout]);
}

#[test]
fn messages_still_flow_while_logout_is_pending() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    let now = r.ts();
    r.s.logout(None, now, &mut r.out, &mut r.app);
    r.sent();
    r.recv("1", 2, "112=x|");
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=0|34=3|49=ISLD|56=TW|112=x"]
    );
}

#[test]
fn reset_on_logout_resets_sequence_numbers() {
    let mut cfg = settings(Role::Acceptor, "FIX.4.4");
    cfg.reset_on_logout = true;
    let mut r = Rig::new(cfg);
    r.connect();
    r.recv("A", 1, "98=0|108=30|");
    r.recv("5", 2, "");
    assert_eq!((r.s.next_sender_seq(), r.s.next_target_seq()), (1, 1));
}

#[test]
fn reset_on_disconnect_resets_and_reports_the_disconnect() {
    let mut cfg = settings(Role::Acceptor, "FIX.4.4");
    cfg.reset_on_disconnect = true;
    let mut r = Rig::new(cfg);
    r.connect();
    r.recv("A", 1, "98=0|108=30|");
    r.recv("0", 2, "");
    r.disconnect();
    assert_eq!(r.s.state(), SessionState::Disconnected);
    assert_eq!((r.s.next_sender_seq(), r.s.next_target_seq()), (1, 1));
    assert_eq!(r.app.logouts, vec![LogoutReason::Disconnected]);
}

#[test]
fn sequence_numbers_survive_a_disconnect_without_reset() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.recv("0", 2, "");
    r.disconnect();
    r.connect();
    r.recv("A", 3, "98=0|108=30|");
    assert_eq!(r.s.next_target_seq(), 4);
    let out = r.sent();
    assert_eq!(
        Rig::<ringfix_engine::store::MemoryStore>::field(&out[0], 34).as_deref(),
        Some("2")
    );
}
