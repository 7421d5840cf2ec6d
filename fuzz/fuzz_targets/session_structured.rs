//! Scenarios of mostly-valid FIX messages built against the session's
//! sequence numbers, clock steps, timers, app sends, logouts and
//! reconnects; the driver checks the session invariants after every call.
#![no_main]

use libfuzzer_sys::fuzz_target;
use ringfix_fuzz::build::{run, Scenario};

fuzz_target!(|s: Scenario| {
    run(&s);
});
