//! Writes seed corpora from the QuickFIX acceptance scripts:
//! `gen_seeds <repo root> <corpus dir>` fills `<corpus dir>/<target>/`.
//! Codec targets get each inbound message; the stream target gets each
//! script's inbound messages (first connection) behind session knobs.

use ringfix_testkit::defscript;

use std::path::{Path, PathBuf};

// Built by `cargo fuzz build` with coverage instrumentation: libFuzzer's
// runtime provides the hooks (its `main` stays unused: we have our own).
extern crate libfuzzer_sys;

use defscript::{parse_script, substitute_time, to_wire, Action};
use ringfix_fuzz::START_SECS;

/// Knob flags: validate, check latency, reset on logon (the scripts' acceptor).
const ACCEPTOR_FLAGS: u8 = 0b0000_1110;

fn name(bytes: &[u8]) -> String {
    let h = bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("{h:016x}")
}

fn write(dir: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(name(bytes)), bytes)
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let root = PathBuf::from(args.get(1).map_or("..", String::as_str));
    let corpus = PathBuf::from(args.get(2).map_or("corpus", String::as_str));
    let mut count = 0;
    for (profile, dir) in [(0u8, "fix42"), (1, "fix44"), (2, "fix50sp2")] {
        let mut files: Vec<PathBuf> = std::fs::read_dir(root.join("tests/conformance").join(dir))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "def"))
            .collect();
        files.sort();
        for (i, path) in files.iter().enumerate() {
            let text = std::fs::read_to_string(path)?;
            let Ok(steps) = parse_script(&text) else {
                continue;
            };
            let mut stream = Vec::new();
            for step in steps {
                let Action::Send(m) = &step.action else {
                    continue;
                };
                let wire = to_wire(&substitute_time(m, START_SECS));
                let mut seed = vec![0u8];
                seed.extend_from_slice(&wire);
                write(&corpus.join("codec_frame_parse"), &seed)?;
                write(&corpus.join("codec_validate"), &seed)?;
                if step.conn == 1 {
                    stream.extend_from_slice(&wire);
                }
            }
            // Acceptor as the scripts expect; every third script also as
            // initiator with repaired framing and 1 s heartbeats.
            let mut seed = vec![profile, ACCEPTOR_FLAGS, i as u8, 0];
            seed.extend_from_slice(&stream);
            write(&corpus.join("session_stream"), &seed)?;
            if i % 3 == 0 {
                seed[1] = ACCEPTOR_FLAGS | 0x81;
                seed[3] = 1;
                write(&corpus.join("session_stream"), &seed)?;
            }
            count += 1;
        }
    }
    println!("seeds from {count} scripts in {}", corpus.display());
    Ok(())
}
