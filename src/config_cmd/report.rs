//! `config check` output: text for people, one JSON object for tools.

use std::fmt::Write as _;

use ringfix_engine::config::{
    host_time_zone, ConfigWarning, SessionSettings, TimeZone, UtcTimestamp,
};
use ringfix_engine::runtime::store_id;
use ringfix_engine::store::StoreFiles;
use serde_json::{json, Map, Value};

use super::Checked;

fn jiff(t: UtcTimestamp) -> jiff::Timestamp {
    jiff::Timestamp::from_nanosecond(i128::from(t.as_nanos()))
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// RFC 3339 in UTC.
fn utc(t: UtcTimestamp) -> String {
    jiff(t).to_string()
}

/// The instant in the host's zone and, if it differs, the schedule's.
fn local(t: UtcTimestamp, schedule_zone: &TimeZone) -> String {
    let host = host_time_zone().unwrap_or(TimeZone::UTC);
    let mut out = format!("local {}", jiff(t).to_zoned(host.clone()));
    if schedule_zone != &host && schedule_zone != &TimeZone::UTC {
        let _ = write!(
            out,
            ", schedule {}",
            jiff(t).to_zoned(schedule_zone.clone())
        );
    }
    out
}

/// The files a session writes: store (or memory) and logs.
fn files(s: &SessionSettings) -> (Vec<String>, Vec<String>) {
    let store = match &s.store.file_store_path {
        Some(dir) => {
            let f = StoreFiles::new(dir, &store_id(&s.id));
            vec![
                f.journal().display().to_string(),
                f.seqnums().display().to_string(),
            ]
        }
        None => Vec::new(),
    };
    let prefix = store_id(&s.id).file_prefix();
    let mut log = Vec::new();
    if let Some(dir) = &s.store.file_log_path {
        for name in ["messages.current.log", "event.current.log"] {
            log.push(dir.join(format!("{prefix}.{name}")).display().to_string());
        }
    }
    if let Some(dir) = &s.log.file_log_backup_path {
        log.push(
            dir.join(format!("{prefix}.{{messages,event}}.backup.<n>.log"))
                .display()
                .to_string(),
        );
    }
    if s.log.screen.is_some() {
        log.push("standard output (screen log)".to_owned());
    }
    (store, log)
}

/// A key reported with its line and why.
type Keyed = (String, usize, String);

/// Warnings by kind: ignored keys, keys without effect, the rest.
fn warnings(w: &[ConfigWarning]) -> (Vec<Keyed>, Vec<Keyed>, Vec<String>) {
    let mut ignored = Vec::new();
    let mut no_effect = Vec::new();
    let mut other = Vec::new();
    for w in w {
        if let Some((loc, key, why)) = w.ignored_key() {
            ignored.push((key.to_owned(), loc.line, why));
        } else if let ConfigWarning::NoEffect { location, key, why } = w {
            no_effect.push((key.clone(), location.line, (*why).to_owned()));
        } else {
            other.push(w.to_string());
        }
    }
    (ignored, no_effect, other)
}

/// The human form.
pub fn text(c: &Checked) -> String {
    let mut out = String::new();
    let Some((config, sources)) = &c.config else {
        let _ = writeln!(out, "{}: does not parse; would not start", c.file);
        return out;
    };
    let verdict = if c.would_start() {
        "would start"
    } else {
        "would NOT start"
    };
    let _ = writeln!(
        out,
        "{}: {} session(s); {verdict} (schedules at {})",
        c.file,
        config.sessions.len(),
        utc(c.at)
    );
    for (s, source) in config.sessions.iter().zip(sources) {
        let _ = writeln!(out, "\n[SESSION] {} (line {})", s.id, source.line);
        let sc = &s.schedule;
        if sc.is_always_open() {
            let _ = writeln!(out, "  schedule: non-stop (never opens or closes)");
        } else {
            let state = if sc.is_in_session(c.at) {
                "open"
            } else {
                "closed"
            };
            let _ = writeln!(out, "  schedule: {state} now");
            for (what, t) in [
                ("next open ", sc.next_open(c.at)),
                ("next close", sc.next_close(c.at)),
            ] {
                match t {
                    Some(t) => {
                        let _ =
                            writeln!(out, "  {what}: {} ({})", utc(t), local(t, sc.time_zone()));
                    }
                    None => {
                        let _ = writeln!(out, "  {what}: never");
                    }
                }
            }
        }
        let (store, log) = files(s);
        if store.is_empty() {
            let _ = writeln!(out, "  store: memory (no FileStorePath)");
        } else {
            let _ = writeln!(out, "  store: {}", store.join(", "));
        }
        if log.is_empty() {
            let _ = writeln!(out, "  log: none (events go to standard error)");
        } else {
            let _ = writeln!(out, "  log: {}", log.join(", "));
        }
        let _ = writeln!(out, "  settings:");
        for (k, v) in s.effective() {
            let _ = writeln!(out, "    {k}={v}");
        }
    }
    let (ignored, no_effect, other) = warnings(&config.warnings);
    let lists = [("ignored", ignored), ("no effect", no_effect)];
    for (title, list) in lists {
        if !list.is_empty() {
            let _ = writeln!(out, "\n{title}:");
            for (key, line, why) in list {
                let _ = writeln!(out, "  line {line}: {key}: {why}");
            }
        }
    }
    if !other.is_empty() {
        let _ = writeln!(out, "\nwarnings:");
        for w in other {
            let _ = writeln!(out, "  {w}");
        }
    }
    if !c.problems.is_empty() {
        let _ = writeln!(out, "\nproblems:");
        for p in &c.problems {
            let _ = writeln!(out, "  {p}");
        }
    }
    out
}

fn entries(list: Vec<Keyed>) -> Value {
    Value::Array(
        list.into_iter()
            .map(|(key, line, why)| json!({"key": key, "line": line, "why": why}))
            .collect(),
    )
}

/// The JSON form: one object.
pub fn json(c: &Checked) -> Value {
    let mut sessions = Vec::new();
    let mut ignored = Value::Array(Vec::new());
    let mut no_effect = Value::Array(Vec::new());
    let mut other = Vec::new();
    if let Some((config, sources)) = &c.config {
        for (s, source) in config.sessions.iter().zip(sources) {
            let settings: Map<String, Value> = s
                .effective()
                .into_iter()
                .map(|(k, v)| (k, Value::String(v)))
                .collect();
            let sc = &s.schedule;
            let when = |t: Option<UtcTimestamp>| t.map_or(Value::Null, |t| Value::String(utc(t)));
            let (store, log) = files(s);
            sessions.push(json!({
                "id": s.id.to_string(),
                "line": source.line,
                "settings": settings,
                "open_now": sc.is_in_session(c.at),
                "next_open": when(sc.next_open(c.at)),
                "next_close": when(sc.next_close(c.at)),
                "store": store,
                "log": log,
            }));
        }
        let (i, n, o) = warnings(&config.warnings);
        ignored = entries(i);
        no_effect = entries(n);
        other = o;
    }
    json!({
        "file": c.file,
        "at": utc(c.at),
        "would_start": c.would_start(),
        "sessions": sessions,
        "ignored": ignored,
        "no_effect": no_effect,
        "warnings": other,
        "problems": c.problems,
    })
}
