//! Time as the store sees it: the codec's clock (nanoseconds since the
//! Unix epoch, UTC), passed in by callers.

pub use ringfix_codec::UtcTimestamp;
