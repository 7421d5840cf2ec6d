//! `ringfix store show`.

use std::io::{self, Write};

use ringfix_engine::store::{is_locked, StoreError, StoreReader};
use serde_json::{json, Value};

use super::{rfc3339, select, StoreCmdError, Target, Which};

/// What `show` found for one session.
struct Found {
    target: Target,
    locked: bool,
    store: Result<Option<StoreReader>, StoreError>,
}

pub(crate) fn run(which: &Which, json: bool) -> Result<(), StoreCmdError> {
    let targets = select(which, false)?;
    let mut failed = Vec::new();
    let found: Vec<Found> = targets.into_iter().map(inspect).collect();
    for f in &found {
        if let Err(e) = &f.store {
            failed.push(format!("{}: {e}", f.target.id));
        }
    }
    let out = if json {
        let sessions: Vec<Value> = found.iter().map(to_json).collect();
        format!("{}\n", json!({ "sessions": sessions }))
    } else {
        found.iter().map(to_text).collect::<Vec<_>>().join("\n")
    };
    write_out(&out)?;
    if failed.is_empty() {
        Ok(())
    } else {
        Err(StoreCmdError::Failed(failed.join("; ")))
    }
}

pub(crate) fn write_out(text: &str) -> Result<(), StoreCmdError> {
    let mut out = io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != io::ErrorKind::BrokenPipe => {
            Err(StoreCmdError::Failed(format!("writing output: {e}")))
        }
        _ => Ok(()),
    }
}

fn inspect(target: Target) -> Found {
    let Some(files) = &target.files else {
        return Found {
            target,
            locked: false,
            store: Ok(None),
        };
    };
    let locked = is_locked(files).unwrap_or(false);
    let store = if files.seqnums().exists() {
        StoreReader::open(files.clone()).map(Some)
    } else {
        Ok(None)
    };
    Found {
        target,
        locked,
        store,
    }
}

fn to_json(f: &Found) -> Value {
    let mut v = json!({
        "session": f.target.id.to_string(),
        "store": if f.target.files.is_some() { "file" } else { "memory" },
        "path": f.target.files.as_ref().map(|p| p.dir().join(p.prefix()).display().to_string()),
        "locked": f.locked,
    });
    let fields = match &f.store {
        Err(e) => json!({ "exists": true, "error": e.to_string() }),
        Ok(None) => json!({ "exists": false }),
        Ok(Some(r)) => json!({
            "exists": true,
            "next_sender_seq": r.next_sender_seq(),
            "next_target_seq": r.next_target_seq(),
            "creation_time": rfc3339(r.creation_time().as_nanos(), 9),
            "generation": r.generation(),
            "journal_bytes": r.journal_used(),
            "journal_file_bytes": r.journal_file_len(),
            "segment_bytes": r.segment_size(),
            "messages": r.message_count(),
            "seq_range": r.seq_range().map(|(lo, hi)| json!([lo, hi])),
            "torn_tail_offset": r.torn_tail(),
        }),
    };
    if let (Some(obj), Value::Object(more)) = (v.as_object_mut(), fields) {
        obj.extend(more);
    }
    v
}

fn to_text(f: &Found) -> String {
    let mut s = format!("{}\n", f.target.id);
    let Some(files) = &f.target.files else {
        s.push_str("  store:        memory (no FileStorePath): nothing on disk\n");
        return s;
    };
    let path = files.dir().join(format!("{}.*", files.prefix()));
    s.push_str(&format!("  store:        {}\n", path.display()));
    match &f.store {
        Err(e) => s.push_str(&format!("  error:        {e}\n")),
        Ok(None) => s.push_str("  state:        no store yet (the engine has not run with it)\n"),
        Ok(Some(r)) => {
            s.push_str(&format!("  next sender:  {}\n", r.next_sender_seq()));
            s.push_str(&format!("  next target:  {}\n", r.next_target_seq()));
            s.push_str(&format!(
                "  created:      {} (generation {})\n",
                rfc3339(r.creation_time().as_nanos(), 3),
                r.generation()
            ));
            let range = r
                .seq_range()
                .map_or_else(|| "none".to_owned(), |(lo, hi)| format!("{lo}..={hi}"));
            s.push_str(&format!(
                "  journal:      {} bytes used of {}, {} messages, seq {range}\n",
                r.journal_used(),
                r.journal_file_len(),
                r.message_count()
            ));
            if let Some(seg) = r.segment_size() {
                s.push_str(&format!(
                    "  segment:      {seg} bytes (the journal grows by this)\n"
                ));
            }
            if let Some(off) = r.torn_tail() {
                s.push_str(&format!(
                    "  torn tail:    at offset {off} (dropped when the engine opens it)\n"
                ));
            }
        }
    }
    s.push_str(if f.locked {
        "  locked:       yes, by a running engine\n"
    } else {
        "  locked:       no\n"
    });
    s
}
