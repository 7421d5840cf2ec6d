//! ringfix: a FIX engine on io_uring. Facade over `ringfix-codec` and `ringfix-engine`.
#![deny(missing_docs)]
pub use ringfix_codec as codec;
pub use ringfix_engine as engine;
pub mod decode;
