//! Reconnect backoff bounds, jitter and the stop decision.

use std::time::Duration;

use crate::config::*;

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[test]
fn doubles_up_to_the_cap_without_jitter() {
    let mut b = Backoff::new(secs(1), secs(10)).with_jitter_percent(0);
    let mut rng = SplitMix64::new(1);
    let delays: Vec<Duration> = (0..6).map(|_| b.next_delay(&mut rng)).collect();
    assert_eq!(
        delays,
        [secs(1), secs(2), secs(4), secs(8), secs(10), secs(10)]
    );
    assert_eq!(b.failures(), 6);
    b.on_logon();
    assert_eq!(
        b.next_delay(&mut rng),
        secs(1),
        "reset after a successful logon"
    );
}

#[test]
fn many_failures_do_not_overflow() {
    let mut b = Backoff::new(secs(30), secs(900)).with_jitter_percent(0);
    let mut rng = SplitMix64::new(1);
    for _ in 0..200 {
        b.next_delay(&mut rng);
    }
    assert_eq!(b.next_delay(&mut rng), secs(900));
}

#[test]
fn jitter_stays_in_range_and_varies() {
    let mut rng = SplitMix64::new(42);
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..2000 {
        let mut b = Backoff::new(secs(10), secs(300));
        for _ in 0..7 {
            let nominal = b.nominal();
            let d = b.next_delay(&mut rng);
            assert!(d <= nominal, "{d:?} > {nominal:?}");
            assert!(d >= nominal * 80 / 100, "{d:?} < 80% of {nominal:?}");
            assert!(d <= secs(300));
            seen.insert(d);
        }
    }
    assert!(
        seen.len() > 1000,
        "jitter must spread delays, got {}",
        seen.len()
    );
    // The low and high ends of the range are both reached.
    let mut b = Backoff::new(secs(10), secs(10));
    let draws: Vec<Duration> = (0..5000).map(|_| b.next_delay(&mut rng)).collect();
    assert!(draws
        .iter()
        .any(|d| *d < secs(8) + Duration::from_millis(50)));
    assert!(draws
        .iter()
        .any(|d| *d > secs(10) - Duration::from_millis(50)));
}

#[test]
fn jitter_is_deterministic_for_a_seed() {
    let run = |seed| {
        let mut b = Backoff::new(secs(5), secs(150)).with_jitter_percent(50);
        let mut rng = SplitMix64::new(seed);
        (0..10).map(|_| b.next_delay(&mut rng)).collect::<Vec<_>>()
    };
    assert_eq!(run(9), run(9));
    assert_ne!(run(9), run(10));
}

#[test]
fn from_timing_uses_reconnect_interval_and_cap() {
    let id = SessionId::new("FIX.4.4", "A", "B");
    let mut s = SessionConfig::initiator(id, "h", 1, secs(30));
    s.timing.reconnect_interval = secs(2);
    let b = Backoff::from_timing(&s.timing);
    assert_eq!(b.nominal(), secs(2));
    let mut b = b.with_jitter_percent(0);
    let mut rng = SplitMix64::new(0);
    let last = (0..20).map(|_| b.next_delay(&mut rng)).last().unwrap();
    assert_eq!(last, secs(60), "default cap is 30 x ReconnectInterval");
    s.timing.reconnect_max_interval = Some(secs(7));
    let mut b = Backoff::from_timing(&s.timing).with_jitter_percent(0);
    let last = (0..20).map(|_| b.next_delay(&mut rng)).last().unwrap();
    assert_eq!(last, secs(7));
}

#[test]
fn stop_on_fatal_error_decision() {
    use AfterEnd::*;
    use SessionEnd::*;
    let table = [
        (Requested, false, Stop),
        (Requested, true, Stop),
        (Logout, true, Reconnect),
        (Disconnect, true, Reconnect),
        (Fatal, false, Reconnect),
        (Fatal, true, Stop),
    ];
    for (end, stop, expected) in table {
        assert_eq!(after_end(end, stop), expected, "{end:?} {stop}");
    }
}
