//! Torn journal tails: a record cut short, as a kill in the middle of
//! `append` leaves it, injected between runs; the next engine must discard
//! it (and say so in its log).

use std::os::unix::fs::FileExt;
use std::path::Path;

use ringfix_engine::store::StoreReader;

use super::record::Record;
use super::{Rng, Setup};

/// Injected torn tail waiting for the engine to repair it: its offset.
pub type PendingTear = Option<u64>;

/// The journal offset where an injected torn record waits, if any.
pub fn pending_tear(setup: &Setup) -> PendingTear {
    let r = StoreReader::open(setup.files()).ok()?;
    r.torn_tail()
}

/// Writes part of a record after the last valid one, as a kill in the
/// middle of `append` leaves it (the body is written first, then the
/// length/crc word, then the sequence number).
pub fn inject_tear(setup: &Setup, rec: &mut Record, r: &StoreReader, rng: &mut Rng) {
    let used = r.journal_used();
    if used < 64 || used + 4096 > r.journal_file_len() {
        return;
    }
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(setup.files().journal())
        .unwrap();
    let body = b"8=FIX.4.4\x019=70\x0135=D\x0134=999999\x0149=EXEC\x0152=20261124-00:00:00.000\x0156=X\x01";
    let cut = rng.range(1, body.len() as u64) as usize;
    file.write_all_at(&body[..cut], used + 16).unwrap();
    if rng.range(0, 2) == 0 {
        // Length and crc written too, sequence number not yet.
        file.write_all_at(&[70, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef], used + 8)
            .unwrap();
    }
    drop(file);
    let again = StoreReader::open(setup.files()).unwrap();
    if again.torn_tail() != Some(used) {
        rec.violation(format!(
            "injected torn tail at {used} not seen by StoreReader: {:?}",
            again.torn_tail()
        ));
    }
    if again.seq_range() != r.seq_range() {
        rec.violation("torn tail changed the stored range".to_owned());
    }
    rec.stats.torn_tails_injected += 1;
}

/// After the engine ran on a store with a torn tail: the log says it was
/// discarded, and the journal has no damage at that offset any more.
pub fn check_tear_repaired(rec: &mut Record, log: &Path, off: u64, reached_logon: bool) {
    if !reached_logon {
        return; // killed before it surely opened the store
    }
    let text = strip_ansi(&std::fs::read_to_string(log).unwrap_or_default());
    if text.contains("discarding torn tail") && text.contains(&format!("offset={off}")) {
        rec.stats.torn_tails_repaired += 1;
    } else {
        rec.violation(format!(
            "torn tail at {off} not reported repaired; engine log: {}",
            text.lines().take(5).collect::<Vec<_>>().join(" / ")
        ));
    }
}

/// The log without terminal colour escapes.
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\x1b' {
            for d in chars.by_ref() {
                if d.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
