//! Import of a QuickFIX (C++) FileStore, so a session can move to ringfix
//! without a sequence reset. QuickFIX keeps, per session,
//! `<prefix>.seqnums` (`"%10d : %10d"`, sender : target),
//! `<prefix>.session` (creation time, FIX UTCTimestamp),
//! `<prefix>.header` (`"seq,offset,size "` entries, later ones win) and
//! `<prefix>.body` (the messages back to back). The prefix is
//! `BeginString-SenderCompID-TargetCompID[-Qualifier]`, which is also
//! [`StoreId::file_prefix`](super::StoreId::file_prefix) when no sub or
//! location IDs are set.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{MessageStore, StoreError, StoreResult, UtcTimestamp};

/// What an import brought over.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct QuickFixImport {
    /// Messages stored (distinct sequence numbers).
    pub messages: usize,
    /// Next sender sequence number set (raised past the highest stored
    /// message if QuickFIX's seqnums file lagged behind it).
    pub next_sender: u64,
    /// Next target sequence number set.
    pub next_target: u64,
    /// Creation time taken over (`now` when the session file is missing).
    pub creation_time: UtcTimestamp,
}

fn corrupt(path: &Path, offset: usize, reason: impl Into<String>) -> StoreError {
    StoreError::Corrupt {
        path: path.to_owned(),
        offset: offset as u64,
        reason: reason.into(),
    }
}

fn read_optional(path: &Path) -> StoreResult<Option<Vec<u8>>> {
    match std::fs::read(path) {
        Ok(b) => Ok(Some(b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(StoreError::io("read", path, e)),
    }
}

/// Parses `"sender : target"`.
fn parse_seqnums(path: &Path, text: &[u8]) -> StoreResult<(u64, u64)> {
    let text = std::str::from_utf8(text).map_err(|_| corrupt(path, 0, "not text"))?;
    let (s, t) = text
        .split_once(':')
        .ok_or_else(|| corrupt(path, 0, "expected \"sender : target\""))?;
    let num = |v: &str| {
        v.trim()
            .parse::<u64>()
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| corrupt(path, 0, format!("bad sequence number {:?}", v.trim())))
    };
    Ok((num(s)?, num(t)?))
}

/// Parses the `"seq,offset,size "` entries into seq -> body range.
fn parse_header(
    path: &Path,
    text: &[u8],
    body_len: usize,
) -> StoreResult<BTreeMap<u64, std::ops::Range<usize>>> {
    let mut out = BTreeMap::new();
    let mut at = 0;
    for entry in text.split(|b| b.is_ascii_whitespace()) {
        let start = at;
        at += entry.len() + 1;
        if entry.is_empty() {
            continue;
        }
        let bad = || corrupt(path, start, "expected \"seq,offset,size\"");
        let entry = std::str::from_utf8(entry).map_err(|_| bad())?;
        let mut parts = entry.split(',').map(str::parse::<u64>);
        let (Some(Ok(seq)), Some(Ok(off)), Some(Ok(size)), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let range = usize::try_from(off)
            .ok()
            .zip(usize::try_from(size).ok())
            .and_then(|(o, s)| Some(o..o.checked_add(s)?))
            .filter(|r| r.end <= body_len && seq > 0)
            .ok_or_else(|| corrupt(path, start, format!("entry {entry} outside the body file")))?;
        out.insert(seq, range);
    }
    Ok(out)
}

/// Imports the QuickFIX store `<dir>/<prefix>.*` into `store`, replacing
/// its contents (the store is reset to the QuickFIX creation time, or
/// `now` if there is no session file). The seqnums file is required.
pub fn import_quickfix(
    dir: &Path,
    prefix: &str,
    store: &mut dyn MessageStore,
    now: UtcTimestamp,
) -> StoreResult<QuickFixImport> {
    let file = |ext: &str| -> PathBuf { dir.join(format!("{prefix}.{ext}")) };
    let seq_path = file("seqnums");
    let seq_text = std::fs::read(&seq_path).map_err(|e| StoreError::io("read", &seq_path, e))?;
    let (next_sender, next_target) = parse_seqnums(&seq_path, &seq_text)?;

    let session_path = file("session");
    let creation_time = match read_optional(&session_path)? {
        Some(text) => UtcTimestamp::parse(text.trim_ascii())
            .map_err(|e| corrupt(&session_path, 0, format!("bad creation time: {e:?}")))?,
        None => now,
    };

    let body = read_optional(&file("body"))?.unwrap_or_default();
    let header_path = file("header");
    let entries = match read_optional(&header_path)? {
        Some(text) => parse_header(&header_path, &text, body.len())?,
        None => BTreeMap::new(),
    };

    store.reset(creation_time)?;
    for (&seq, range) in &entries {
        if let Some(bytes) = body.get(range.clone()) {
            store.append(seq, bytes)?;
        }
    }
    // QuickFIX writes a message before bumping its seqnums file: a crash in
    // between leaves a stored number equal to the "next" one. Never reuse it.
    let stored_max = entries.keys().next_back().copied().unwrap_or(0);
    let next_sender = next_sender.max(stored_max + 1);
    store.set_next_sender_seq(next_sender)?;
    store.set_next_target_seq(next_target)?;
    Ok(QuickFixImport {
        messages: entries.len(),
        next_sender,
        next_target,
        creation_time,
    })
}
