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

mod crash_support;
mod fault_support;
mod ha_support;
mod load_support;
mod ops_support;
mod runtime_support;
mod soak_support;
mod support;

mod api_engine;
mod cli_codegen;
mod cli_config;
mod cli_config_every;
mod cli_engine;
mod cli_logs;
mod cli_tls;
mod conformance_tcp;
mod conformance_versions;
mod crash_kill;
mod crash_orders;
mod decode_cli;
mod dynamic_sessions;
mod examples_pair;
mod faults_streams;
mod faults_timeouts;
mod ha_election;
mod ha_failover;
mod http_status;
mod load_backlog;
mod load_engine;
mod log_json;
mod logon_policy;
mod metrics_http;
mod replay_cli;
mod replay_live;
mod runtime_alloc;
mod runtime_dynamic_initiator;
mod runtime_e2e;
mod runtime_hosts;
mod runtime_policy;
mod runtime_schedule;
mod runtime_sockets;
mod runtime_store;
mod security_logon;
mod security_passwd;
mod security_redact_cli;
mod security_verify;
mod soak;
mod stats_cli;
mod stats_e2e;
mod stats_leftovers;
mod stats_runtime;
mod store_cmd;
mod store_cmd_dump;
mod store_reset_memory;
mod validation_switches;
