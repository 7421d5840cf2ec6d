//! Built-in applications.

pub mod echo;
