//! Built-in applications.

pub mod echo;
pub mod exec;
pub mod orders;
