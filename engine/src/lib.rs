//! ringfix-engine: session state machine, store, reactor, configuration.
//!
//! Arrows point down only: `reactor` -> `session` -> codec. `session` and
//! `store` never read a clock; time is passed in.
#![deny(missing_docs)]

pub mod apps;
pub mod config;
pub mod reactor;
pub mod runtime;
pub mod session;
pub mod stats;
pub mod store;
pub mod time;
