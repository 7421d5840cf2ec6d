//! Test support shared by the ringfix crates' tests, benches and fuzz
//! drivers (a dev-dependency only): a counting global allocator and the
//! parser of QuickFIX's acceptance-script (`.def`) files, the benchmark
//! messages that `ringfix-bench codec` and the criterion benches time, and
//! writers of FIX messages, packets and pcap files for the decode tests.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test support: a failure here is a failed test"
)]

pub mod alloc;
pub mod conversation;
pub mod defscript;
pub mod messages;
pub mod pcap;
