//! Test support shared by the ringfix crates' tests, benches and fuzz
//! drivers (a dev-dependency only): a counting global allocator and the
//! parser of QuickFIX's acceptance-script (`.def`) files, and the
//! benchmark messages that `ringfix-bench codec` and the criterion benches
//! time.

pub mod alloc;
pub mod defscript;
pub mod messages;
