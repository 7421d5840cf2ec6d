//! The acceptance-script runners' shared parts.

pub mod acceptor;
pub mod suite;
pub mod tcpscript;
