//! A byte stream from the peer, in chunks, through framing into a Session
//! (acceptor or initiator, MemoryStore, echo app) with a fake clock; the
//! driver checks the session invariants after every call.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    ringfix_fuzz::stream::run_stream(data);
});
