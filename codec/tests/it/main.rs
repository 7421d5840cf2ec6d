//! The integration tests of this crate, one binary: each former test file
//! is a module, shared support is a module beside them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::unreachable,
    clippy::undocumented_unsafe_blocks,
    reason = "tests"
)]

#[global_allocator]
static GLOBAL: ringfix_testkit::alloc::Counting = ringfix_testkit::alloc::Counting;

mod common;

mod alloc;
mod dict_alloc;
mod dict_load;
mod dict_rules;
mod dict_scripts;
mod encoding;
mod framing;
mod parsing;
mod roundtrip;
