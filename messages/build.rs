//! Generates one module per enabled version from the shipped dictionaries.

use std::path::PathBuf;

use ringfix_codec::dict::{builtin, Version};

const VERSIONS: [(&str, Version); 9] = [
    ("fix40", Version::Fix40),
    ("fix41", Version::Fix41),
    ("fix42", Version::Fix42),
    ("fix43", Version::Fix43),
    ("fix44", Version::Fix44),
    ("fix50", Version::Fix50),
    ("fix50sp1", Version::Fix50Sp1),
    ("fix50sp2", Version::Fix50Sp2),
    ("fixt11", Version::Fixt11),
];

fn main() {
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_default());
    let spec = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default())
        .join("../codec/spec");
    let mut generator = ringfix_codegen::Generator::new();
    for (module, version) in VERSIONS {
        let feature = format!("CARGO_FEATURE_{}", module.to_ascii_uppercase());
        if std::env::var_os(feature).is_none() {
            continue;
        }
        println!(
            "cargo:rerun-if-changed={}",
            spec.join(version.file_name()).display()
        );
        let dict = builtin(version).unwrap_or_else(|e| fail(&e));
        generator = generator.dictionary((*dict).clone(), module);
    }
    generator.write(&out).unwrap_or_else(|e| fail(&e));
}

/// Stops the build naming what failed (a build script reports through its
/// exit status; the lints keep `panic!` out of non-test code).
fn fail<T>(e: &dyn std::fmt::Display) -> T {
    eprintln!("error: {e}");
    std::process::exit(1)
}
