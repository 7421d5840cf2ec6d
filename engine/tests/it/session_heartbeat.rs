//! Heartbeat family (4a, 4b, 6) and every deadline.

use crate::common;

use common::{settings, Rig, NANOS};
use ringfix_engine::session::{Close, LogoutReason, Role};
use ringfix_engine::store::MemoryStore;

type R = Rig<MemoryStore>;

#[test]
fn t4a_heartbeat_after_heart_bt_int_without_sending() {
    let mut r = Rig::logged_on("FIX.4.4", 6);
    let t0 = r.mono;
    assert_eq!(r.s.deadline().unwrap().as_nanos(), t0 + 6 * NANOS);
    assert!(!r.advance_secs(5.9).is_close());
    assert!(r.sent().is_empty());
    r.fire_deadline();
    assert_eq!(r.sent_stable(), vec!["8=FIX.4.4|35=0|34=2|49=ISLD|56=TW"]);
    assert_eq!(r.mono, t0 + 6 * NANOS);
}

#[test]
fn t4b_test_request_is_answered_with_its_id() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    r.recv("1", 2, "112=HELLO|");
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=0|34=2|49=ISLD|56=TW|112=HELLO"]
    );
}

#[test]
fn t6_test_request_at_1_2_heart_bt_int_then_disconnect_at_2_4() {
    let mut r = Rig::logged_on("FIX.4.4", 10);
    let t0 = r.mono;
    // Our heartbeat at 10 s.
    r.fire_deadline();
    assert_eq!(r.mono, t0 + 10 * NANOS);
    assert_eq!(R::field(&r.sent()[0], 35).as_deref(), Some("0"));
    // TestRequest at 12 s (nothing received since t0).
    r.fire_deadline();
    assert_eq!(r.mono, t0 + 12 * NANOS);
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=1|34=3|49=ISLD|56=TW|112=TEST"]
    );
    // No heartbeats while a TestRequest is outstanding; disconnect at 24 s.
    let d = r.fire_deadline();
    assert_eq!(r.mono, t0 + 24 * NANOS);
    assert_eq!(d.close, Close::Now);
    assert!(r.sent().is_empty());
    assert_eq!(r.app.logouts, vec![LogoutReason::HeartbeatTimeout]);
}

#[test]
fn answered_test_request_resets_the_timers() {
    let mut r = Rig::logged_on("FIX.4.4", 10);
    let t0 = r.mono;
    r.advance_to(t0 + 12 * NANOS);
    r.sent();
    r.recv("0", 2, "112=TEST|");
    // Next: heartbeat 10 s after our TestRequest, TestRequest 12 s after the answer.
    assert_eq!(r.s.deadline().unwrap().as_nanos(), t0 + 22 * NANOS);
}

#[test]
fn only_complete_messages_move_the_deadline() {
    let mut r = Rig::logged_on("FIX.4.4", 10);
    let t0 = r.mono;
    r.advance_to(t0 + 10 * NANOS);
    r.sent();
    let before = r.s.deadline();
    r.now += NANOS;
    r.mono += NANOS;
    let now = r.ts();
    r.s.on_garbled(now);
    assert_eq!(r.s.deadline(), before);
}

#[test]
fn acceptor_logon_timeout_runs_from_accept() {
    let mut cfg = settings(Role::Acceptor, "FIX.4.4");
    cfg.logon_timeout = 3;
    let mut r = Rig::new(cfg);
    r.connect();
    let t0 = r.mono;
    assert_eq!(r.s.deadline().unwrap().as_nanos(), t0 + 3 * NANOS);
    assert_eq!(r.fire_deadline().close, Close::Now);
}

#[test]
fn logout_timeout_bounds_a_graceful_logout() {
    let mut r = Rig::logged_on("FIX.4.4", 30);
    let now = r.ts();
    let d = r.s.logout(Some("bye"), now, &mut r.out, &mut r.app);
    assert!(!d.is_close());
    assert_eq!(
        r.sent_stable(),
        vec!["8=FIX.4.4|35=5|34=2|49=ISLD|56=TW|58=bye"]
    );
    assert_eq!(r.s.deadline().unwrap().as_nanos(), r.mono + 2 * NANOS);
    assert_eq!(r.fire_deadline().close, Close::Now);
    assert_eq!(r.app.logouts, vec![LogoutReason::LogoutTimeout]);
}

#[test]
fn deadline_is_none_only_when_disconnected() {
    let mut r = Rig::acceptor("FIX.4.4");
    assert!(r.s.deadline().is_none());
    r.connect();
    assert!(r.s.deadline().is_some());
    r.recv("A", 1, "98=0|108=0|");
    assert!(
        r.s.deadline().is_some(),
        "HeartBtInt 0 still has a deadline"
    );
    r.disconnect();
    assert!(r.s.deadline().is_none());
}

/// Wall clock steps of seconds to hours, both ways (NTP, a VM resume,
/// `date -s`): the wall clock only stamps, the monotonic clock times.
const WALL_STEPS: [i64; 8] = [5, -5, 90, -90, 3_600, -3_600, 36_000, -36_000];

#[test]
fn wall_clock_steps_move_no_heartbeat_test_request_or_disconnect() {
    for step in WALL_STEPS {
        let mut r = Rig::logged_on("FIX.4.4", 10);
        let t0 = r.mono;
        assert!(!r.advance_secs(4.0).is_close());
        r.step_wall(step * NANOS);
        // Nothing is due just because the wall clock jumped.
        assert!(!r.advance_secs(0.0).is_close(), "step {step}");
        assert!(r.sent().is_empty(), "step {step}: sent at the step");
        assert_eq!(
            r.s.deadline().unwrap().as_nanos(),
            t0 + 10 * NANOS,
            "step {step}"
        );
        // Heartbeat at 10 s, stamped with the (stepped) wall clock.
        r.fire_deadline();
        assert_eq!(r.mono, t0 + 10 * NANOS, "step {step}");
        let hb = r.sent();
        assert_eq!(R::field(&hb[0], 35).as_deref(), Some("0"), "step {step}");
        assert_eq!(
            R::field(&hb[0], 52),
            Some(r.time_text(0) + ".000"),
            "step {step}"
        );
        // TestRequest at 12 s, disconnect at 24 s after the last receipt.
        r.fire_deadline();
        assert_eq!(r.mono, t0 + 12 * NANOS, "step {step}");
        assert_eq!(R::field(&r.sent()[0], 35).as_deref(), Some("1"));
        // Another step while the TestRequest is outstanding.
        r.step_wall(-step * NANOS);
        let d = r.fire_deadline();
        assert_eq!(r.mono, t0 + 24 * NANOS, "step {step}");
        assert_eq!(d.close, Close::Now, "step {step}");
        assert_eq!(r.app.logouts, vec![LogoutReason::HeartbeatTimeout]);
    }
}

#[test]
fn a_message_after_a_wall_clock_step_restarts_the_timers_on_the_monotonic_clock() {
    for step in WALL_STEPS {
        let mut r = Rig::logged_on("FIX.4.4", 10);
        let t0 = r.mono;
        r.advance_secs(5.0);
        r.step_wall(step * NANOS);
        // SendingTime follows the peer's (here: the stepped) wall clock.
        r.recv("0", 2, "");
        assert!(r.sent().is_empty(), "step {step}");
        // Our Heartbeat 10 s after our Logon; TestRequest 12 s after this.
        assert_eq!(r.s.deadline().unwrap().as_nanos(), t0 + 10 * NANOS);
        r.fire_deadline();
        r.sent();
        assert_eq!(
            r.s.deadline().unwrap().as_nanos(),
            t0 + 17 * NANOS,
            "step {step}"
        );
    }
}

#[test]
fn wall_clock_steps_move_no_logon_or_logout_timeout() {
    for step in WALL_STEPS {
        let mut cfg = settings(Role::Acceptor, "FIX.4.4");
        cfg.logon_timeout = 3;
        let mut r = Rig::new(cfg);
        r.connect();
        let t0 = r.mono;
        r.step_wall(step * NANOS);
        assert!(
            !r.advance_secs(2.9).is_close(),
            "step {step}: logon timeout early"
        );
        assert_eq!(r.fire_deadline().close, Close::Now, "step {step}");
        assert_eq!(r.mono, t0 + 3 * NANOS, "step {step}");

        let mut r = Rig::logged_on("FIX.4.4", 30);
        let now = r.ts();
        r.s.logout(None, now, &mut r.out, &mut r.app);
        let t0 = r.mono;
        r.step_wall(step * NANOS);
        assert!(
            !r.advance_secs(1.9).is_close(),
            "step {step}: logout timeout early"
        );
        assert_eq!(r.fire_deadline().close, Close::Now, "step {step}");
        assert_eq!(r.mono, t0 + 2 * NANOS, "step {step}");
        assert_eq!(r.app.logouts, vec![LogoutReason::LogoutTimeout]);
    }
}
