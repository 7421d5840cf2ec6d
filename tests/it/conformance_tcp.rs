//! The QuickFIX acceptance scripts of every version (fix40 .. fix50sp2) over real TCP
//! against the built `ringfix acceptor --app echo` running
//! `examples/config/acceptance.cfg` (temp copy: free port, absolute
//! dictionary paths). Every script must pass; none is skipped.
//!
//! `CONFORMANCE_FILTER=<substring>` runs only matching scripts (for
//! development; the run then says so). `CONFORMANCE_ADDR=host:port` runs
//! the scripts against an acceptor already running there instead (e.g.
//! `scripts/interop/qf_echo_acceptor.py`, QuickFIX itself, to check the
//! runner); the test still fails on any failing script.

use crate::support::acceptor;
use crate::support::suite;
use crate::support::tcpscript;
use ringfix_testkit::defscript;

use std::path::{Path, PathBuf};
use std::time::Instant;

use acceptor::{free_port, rewrite_config, Acceptor};
use defscript::FieldFormats;
use suite::{configured_targets, run_all, summarize, Script};

/// The script folders, one per BeginString/ApplVerID the scripts cover.
const FOLDERS: [&str; 8] = [
    "fix40", "fix41", "fix42", "fix43", "fix44", "fix50", "fix50sp1", "fix50sp2",
];

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn load_scripts(dir: &Path, folder: &str) -> Vec<Script> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir.join(folder))
        .expect("conformance folder")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "def"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| Script {
            name: format!(
                "{folder}/{}",
                p.file_name().expect("name").to_string_lossy()
            ),
            text: std::fs::read_to_string(&p).expect("script"),
        })
        .collect()
}

#[test]
fn quickfix_acceptance_scripts_over_tcp() {
    let dir = root().join("tests/conformance");
    let formats =
        FieldFormats::parse(&std::fs::read_to_string(dir.join("fields.fmt")).expect("fields.fmt"))
            .expect("fields.fmt");
    let mut scripts: Vec<Script> = FOLDERS.iter().flat_map(|f| load_scripts(&dir, f)).collect();
    assert!(scripts.len() >= 467, "scripts missing: {}", scripts.len());
    let filter = std::env::var("CONFORMANCE_FILTER").ok();
    if let Some(f) = &filter {
        scripts.retain(|s| s.name.contains(f.as_str()));
        println!("CONFORMANCE_FILTER={f}: running {} scripts", scripts.len());
    }

    let base = std::fs::read_to_string(root().join("examples/config/acceptance.cfg"))
        .expect("acceptance.cfg");
    let targets = configured_targets(&base);
    if let Ok(addr) = std::env::var("CONFORMANCE_ADDR") {
        let addr = addr.parse().expect("CONFORMANCE_ADDR is host:port");
        println!("running against the external acceptor at {addr}");
        let start = Instant::now();
        let outcomes = run_all(addr, &scripts, &targets, &formats);
        let failed = summarize(&outcomes, start.elapsed());
        assert_eq!(failed, 0, "{failed} acceptance scripts failed over TCP");
        return;
    }

    let port = free_port().expect("free port");
    let config = rewrite_config(&base, port, &root());
    let bin = Path::new(env!("CARGO_BIN_EXE_ringfix"));
    let mut acceptor = match Acceptor::start(bin, &config, port, "echo") {
        Ok(a) => a,
        Err(e) => panic!("cannot start the acceptor under test: {e}"),
    };

    let start = Instant::now();
    let outcomes = run_all(acceptor.addr, &scripts, &targets, &formats);
    let failed = summarize(&outcomes, start.elapsed());
    assert_eq!(outcomes.len(), scripts.len(), "every script has an outcome");
    assert!(
        acceptor.is_running(),
        "the acceptor died during the run:\n{}",
        acceptor.output()
    );
    if failed > 0 {
        println!("acceptor output:\n{}", acceptor.output());
    }
    assert_eq!(failed, 0, "{failed} acceptance scripts failed over TCP");
    runner_catches_a_wrong_expectation(acceptor.addr, &formats);
}

/// The runner is not a rubber stamp: a script expecting a HeartBtInt the
/// acceptor does not echo fails with a field-level diff naming tag 108 and
/// the BodyLength, on the same acceptor that just passed everything.
fn runner_catches_a_wrong_expectation(addr: std::net::SocketAddr, formats: &FieldFormats) {
    let script = "iCONNECT\n\
        I8=FIX.4.4\x0135=A\x0134=1\x0149=TW44\x0152=<TIME>\x0156=ISLD\x0198=0\x01108=30\x01\n\
        E8=FIX.4.4\x019=64\x0135=A\x0134=1\x0149=ISLD\x0152=00000000-00:00:00.000\x0156=TW44\x0198=0\x01108=300\x0110=0\x01\n";
    let err =
        tcpscript::run_script(addr, script, formats).expect_err("a wrong expectation must fail");
    assert!(err.contains("tag 108: expected 300, got 30"), "{err}");
    assert!(err.contains("tag 9: expected 64, got 63"), "{err}");
}
