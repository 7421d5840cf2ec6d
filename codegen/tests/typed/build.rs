//! Generates the venue module (and its round trip) from `../venue.xml` as
//! a user's build.rs would, and the round trips of the shipped versions
//! against `ringfix_messages`.

use std::path::PathBuf;

use ringfix_codec::dict::{builtin, Version};
use ringfix_codegen::Generator;

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    let venue =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default()).join("../venue.xml");
    println!("cargo:rerun-if-changed={}", venue.display());
    Generator::new()
        .dictionary_file(&venue, "venue")
        .and_then(|g| g.roundtrip("crate").write(&out))
        .unwrap_or_else(|e| fail(&e));
    let mut shipped = Generator::new().roundtrip("::ringfix_messages");
    for (module, version) in [
        ("fix42", Version::Fix42),
        ("fix44", Version::Fix44),
        ("fix50sp2", Version::Fix50Sp2),
        ("fixt11", Version::Fixt11),
    ] {
        let dict = builtin(version).unwrap_or_else(|e| fail(&e));
        shipped = shipped.dictionary((*dict).clone(), module);
    }
    shipped.write(&out).unwrap_or_else(|e| fail(&e));
}

/// Stops the build naming what failed (a build script reports through its
/// exit status; the lints keep `panic!` out of non-test code).
fn fail<T>(e: &dyn std::fmt::Display) -> T {
    eprintln!("error: {e}");
    std::process::exit(1)
}
