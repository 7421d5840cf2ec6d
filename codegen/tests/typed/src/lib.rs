//! Tests of the generated modules: a venue dictionary (user-defined
//! fields, a custom message, a component, nested groups) generated from
//! this crate's build.rs as a user would, and round trips of every message
//! of the shipped FIX.4.2, FIX.4.4 and FIX.5.0SP2 modules.

/// The venue dictionary's module (`../venue.xml`).
#[allow(missing_docs)]
pub mod venue {
    include!(concat!(env!("OUT_DIR"), "/venue.rs"));
}

#[cfg(test)]
mod roundtrip;

#[cfg(test)]
mod compile_fail;
