//! Tests of the generated modules: a venue dictionary (user-defined
//! fields, a custom message, a component, nested groups) generated as a
//! user would, and round trips of every message of the shipped FIX.4.2,
//! FIX.4.4, FIX.5.0SP2 and FIXT.1.1 modules.
//!
//! The venue module compiled here is `../generated/venue.rs`, the output
//! of `ringfix codegen --dict codegen/tests/venue.xml --runtime
//! ::ringfix_codec --out codegen/tests/typed/generated` (the root crate's
//! `codegen_cli` test runs that command and compares); this crate's
//! build.rs generates the same module through the library, as a user's
//! build.rs would, and `same_module_from_build_rs` compares the two.

/// The venue dictionary's module (`../venue.xml`).
#[allow(missing_docs)]
pub mod venue {
    include!("../generated/venue.rs");
}

#[cfg(test)]
mod roundtrip;

#[cfg(test)]
mod compile_fail;

#[cfg(test)]
#[test]
fn same_module_from_build_rs() {
    let built = include_str!(concat!(env!("OUT_DIR"), "/venue.rs"));
    let cli = include_str!("../generated/venue.rs");
    assert!(
        built == cli,
        "generated/venue.rs is stale: regenerate it with `cargo run -- codegen --dict \
         codegen/tests/venue.xml --runtime ::ringfix_codec --out codegen/tests/typed/generated`"
    );
}
