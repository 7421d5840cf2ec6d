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
mod harness;
mod reactor_support;
mod tls_support;

mod conformance_sansio;
mod reactor_close;
mod reactor_deadline;
mod reactor_fix;
mod reactor_idle;
mod reactor_lifecycle;
mod reactor_memory;
mod reactor_send;
mod reactor_spin;
mod runtime_exec;
mod session_alloc;
mod session_events;
mod session_fuzz;
mod session_heartbeat;
mod session_logon;
mod session_logout;
mod session_policy;
mod session_props;
mod session_reject;
mod session_resend;
mod session_send;
mod session_sequence;
mod session_timestamps;
mod tls_exchange;
mod tls_keys;
mod tls_openssl;
mod tls_refused;
mod validate_view;
