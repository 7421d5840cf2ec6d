//! `ringfix codegen --dict FILE [--dict FILE ...] --out DIR` end to end:
//! the venue dictionary (user-defined fields, a custom message, a
//! component, nested groups) generates the module that
//! `ringfix-typed-tests` compiles and round-trips (committed there as
//! `codegen/tests/typed/generated/venue.rs`), byte for byte; a broken
//! dictionary exits 1 naming the file and writes nothing.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_ringfix");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn venue_dictionary_generates_the_compiled_module() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(BIN)
        .arg("codegen")
        .arg("--dict")
        .arg(root().join("codegen/tests/venue.xml"))
        .args(["--runtime", "::ringfix_codec", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let written = dir.path().join("venue.rs");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        written.display().to_string(),
        "the command prints each file it wrote"
    );
    let generated = std::fs::read_to_string(&written).unwrap();
    let compiled =
        std::fs::read_to_string(root().join("codegen/tests/typed/generated/venue.rs")).unwrap();
    assert!(
        generated == compiled,
        "codegen/tests/typed/generated/venue.rs is stale: regenerate it with `cargo run -- \
         codegen --dict codegen/tests/venue.xml --runtime ::ringfix_codec --out \
         codegen/tests/typed/generated`"
    );
    // The user-defined message and field are in it.
    assert!(
        generated.contains("pub struct VenueOrderAck;"),
        "custom message"
    );
    assert!(
        generated.contains("fn venue_order_id("),
        "user-defined field"
    );
}

#[test]
fn a_broken_dictionary_exits_1_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let dict = dir.path().join("broken.xml");
    std::fs::write(&dict, "<fix major='4' minor='4'><header>").unwrap();
    let out_dir = dir.path().join("out");
    let out = Command::new(BIN)
        .arg("codegen")
        .arg("--dict")
        .arg(&dict)
        .arg("--out")
        .arg(&out_dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("broken.xml"), "{stderr}");
    assert!(!out_dir.join("broken.rs").exists());
}
