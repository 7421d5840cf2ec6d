//! ringfix-engine: session state machine, store, reactor, configuration.
//!
//! Arrows point down only: `reactor` -> `session` -> codec. `session` and
//! `store` never read a clock; time is passed in.
#![deny(missing_docs)]

/// The built-in applications of the `ringfix` command line and the
/// benchmarks (echo for the acceptance scripts, exec, orders). Not part of
/// the embedding API: they change with the tools that use them.
#[doc(hidden)]
pub mod apps;
pub mod config;
pub mod ha;
pub mod reactor;
pub mod runtime;
pub mod session;
pub mod stats;
pub mod store;
pub mod time;
