//! Time as the store sees it: the wall clock (creation times) and the
//! monotonic clock (sync and upkeep deadlines), passed in by callers.

pub use crate::time::{MonoTime, UtcTimestamp};
