//! Issue 14: kill -9 at any moment loses nothing. A `ringfix` process
//! (acceptor with `exec`, initiator with `orders`) streams with a raw-TCP
//! counterparty that keeps its own record; it is killed with SIGKILL at
//! random moments and restarted on the same store without a reset, under
//! every StoreFsync policy. See `crash_support` for what is checked.

use crate::crash_support;

use crash_support::peer::Role;
use crash_support::{run, seed_for, trials};

/// 10 trials per policy: 30 per role over the three policies.
const TRIALS: u32 = 10;

fn check(role: Role, fsync: &str, name: &str) {
    let seed = seed_for(name);
    let rec = run(role, fsync, trials(TRIALS), seed);
    assert!(
        rec.violations.is_empty(),
        "{name} seed {seed}: {} violations, first: {}",
        rec.violations.len(),
        rec.violations[0]
    );
    // The trials did what they are for.
    assert!(
        rec.stats.kills_after_logon > 0,
        "{name}: no kill hit a logged-on session"
    );
}

#[test]
fn acceptor_exec_killed_fsync_never() {
    check(Role::Acceptor, "never", "acceptor_exec_killed_fsync_never");
}

#[test]
fn acceptor_exec_killed_fsync_always() {
    check(
        Role::Acceptor,
        "always",
        "acceptor_exec_killed_fsync_always",
    );
}

#[test]
fn acceptor_exec_killed_fsync_1ms() {
    check(Role::Acceptor, "1ms", "acceptor_exec_killed_fsync_1ms");
}

#[test]
fn initiator_orders_killed_fsync_never() {
    check(
        Role::Initiator,
        "never",
        "initiator_orders_killed_fsync_never",
    );
}

#[test]
fn initiator_orders_killed_fsync_always() {
    check(
        Role::Initiator,
        "always",
        "initiator_orders_killed_fsync_always",
    );
}

#[test]
fn initiator_orders_killed_fsync_1ms() {
    check(Role::Initiator, "1ms", "initiator_orders_killed_fsync_1ms");
}
