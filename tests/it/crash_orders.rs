//! Regression: after a kill -9 the `orders` initiator must not take the
//! ExecutionReports of its previous run (resent by the counterparty after
//! the logon's ResendRequest) for answers to its new orders. Its
//! ClOrdIDs started at 0 in every run, so the resent reports completed the
//! new run at once and it logged out with none of its orders answered
//! (found by the crash_kill trials; the fix gives each run its own
//! ClOrdIDs).

use crate::crash_support;

use std::process::Stdio;
use std::time::{Duration, Instant};

use crash_support::peer::{Conn, Role};
use crash_support::record::{Record, Recv};
use crash_support::{wait_exit, Setup};

fn accept(setup: &Setup) -> std::net::TcpStream {
    let bound = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(s) = setup.try_connect() {
            return s;
        }
        assert!(Instant::now() < bound, "the initiator did not connect");
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn orders_seen(rec: &Record) -> usize {
    rec.recv
        .values()
        .filter(|r| matches!(r, Recv::Msg(m) if m.msg_type == b"D"))
        .count()
}

#[test]
fn resent_reports_of_a_killed_run_do_not_answer_new_orders() {
    let setup = Setup::new(Role::Initiator, "never");
    let mut rec = Record::new("stale reports".to_owned());
    let dir = setup.dir.path().to_owned();

    // Run 1: five orders, answered, but the answers are lost in flight
    // (recorded on our side, never written); then kill -9.
    let mut child = setup.spawn_with(
        &dir.join("run1.log"),
        &["--app", "orders", "--rate", "1000", "--count", "5"],
        Stdio::null(),
    );
    let mut c = Conn::new(Role::Initiator, accept(&setup));
    let bound = Instant::now() + Duration::from_secs(20);
    while orders_seen(&rec) < 5 {
        assert!(
            Instant::now() < bound,
            "run 1 sent {} orders",
            orders_seen(&rec)
        );
        // Our Logon goes out; everything after it is lost.
        c.mute = c.logged_on;
        c.poll(&mut rec, Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    drop(c);
    rec.snapshot(&setup.files());

    // Run 2: back-to-back, five orders. Our Logon is ahead, so the engine
    // asks and gets the five old reports again (PossDup). We hold our
    // answers to the new orders for a while: the engine must keep waiting.
    let mut child = setup.spawn_with(
        &dir.join("run2.log"),
        &["--app", "orders", "--count", "5", "--json"],
        Stdio::piped(),
    );
    let mut c = Conn::new(Role::Initiator, accept(&setup));
    c.hold_orders = true;
    c.logout_expected = true;
    let hold_until = Instant::now() + Duration::from_secs(20);
    let mut resent_seen = false;
    while Instant::now() < hold_until && !c.logout_received && !c.eof {
        c.poll(&mut rec, Duration::from_millis(5));
        if c.rr_seen && !resent_seen {
            resent_seen = true;
            // Give the engine time to process the resent reports.
            let quiet = Instant::now() + Duration::from_millis(1500);
            while Instant::now() < quiet && !c.logout_received && !c.eof {
                c.poll(&mut rec, Duration::from_millis(5));
            }
            break;
        }
    }
    assert!(
        resent_seen,
        "the engine never asked for the reports it missed"
    );
    assert!(
        !c.logout_received,
        "the engine logged out on its previous run's reports; held orders: {}",
        c.held.len()
    );
    c.release_held(&mut rec);
    let bound = Instant::now() + Duration::from_secs(20);
    while !(c.eof || c.logout_received && c.logout_sent) {
        assert!(Instant::now() < bound, "run 2 did not finish");
        c.poll(&mut rec, Duration::from_millis(5));
    }
    let status = wait_exit(&mut child, Duration::from_secs(10)).expect("run 2 exits");
    assert_eq!(status.code(), Some(0));
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    let v: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(v["orders_filled"], 5, "{out}");
    assert_eq!(v["complete"], true, "{out}");
    assert!(rec.violations.is_empty(), "{:?}", rec.violations);
}
