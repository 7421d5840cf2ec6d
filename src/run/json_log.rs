//! `--log-format json`: the event log and tracing as one JSON object per
//! line on stderr.
//!
//! Keys: `ts` (RFC 3339, UTC, nanoseconds), `level` (`error`, `warn`,
//! `info`, `debug`, `trace`), `session` (the event's `session` field, or
//! null), `event` (the event's `event` field naming what happened, e.g.
//! `logon`, `disconnected`, when it has one, else the module that logged
//! it), `text` (the message), then every other field of the event under
//! its own name (numbers and booleans typed, the rest as strings).

use std::fmt;

use ringfix_codec::UtcTimestamp;
use serde_json::{Map, Value};
use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

/// The formatter (used with `tracing_subscriber::fmt().event_format`).
pub struct JsonLines;

#[derive(Default)]
struct Fields {
    message: Option<String>,
    session: Option<String>,
    event: Option<String>,
    rest: Map<String, Value>,
}

impl Fields {
    fn put(&mut self, field: &Field, v: Value) {
        match (field.name(), v) {
            ("message", Value::String(s)) => self.message = Some(s),
            ("session", Value::String(s)) => self.session = Some(s),
            ("event", Value::String(s)) => self.event = Some(s),
            (name, v) => {
                // The contract keys are never overwritten by a field.
                let name = match name {
                    "ts" | "level" | "text" | "message" | "session" | "event" => {
                        format!("field_{name}")
                    }
                    n => n.to_owned(),
                };
                self.rest.insert(name, v);
            }
        }
    }
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::String(value.to_owned()));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::Bool(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Value::from(value));
    }
    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.put(field, Value::String(value.to_string()));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, Value::String(format!("{value:?}")));
    }
}

impl<S, N> FormatEvent<S, N> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let meta = event.metadata();
        let mut f = Fields::default();
        event.record(&mut f);
        writeln!(
            writer,
            "{}",
            line(UtcTimestamp::now(), meta.level(), meta.target(), f)
        )
    }
}

/// The line's object, contract keys first, as JSON text.
fn line(now: UtcTimestamp, level: &tracing::Level, target: &str, f: Fields) -> String {
    let mut obj = Map::new();
    obj.insert(
        "ts".into(),
        Value::String(crate::store_cmd::rfc3339_ts(now, 9)),
    );
    obj.insert(
        "level".into(),
        Value::String(level.as_str().to_ascii_lowercase()),
    );
    obj.insert(
        "session".into(),
        f.session.map_or(Value::Null, Value::String),
    );
    obj.insert(
        "event".into(),
        Value::String(f.event.unwrap_or_else(|| target.to_owned())),
    );
    obj.insert("text".into(), Value::String(f.message.unwrap_or_default()));
    // serde_json's map is sorted: write the contract keys first by hand.
    let mut out = String::from("{");
    let keys = ["ts", "level", "session", "event", "text"];
    let rest = f.rest.iter().filter(|(k, _)| !keys.contains(&k.as_str()));
    let pairs = keys
        .iter()
        .filter_map(|k| obj.get(*k).map(|v| (*k, v)))
        .chain(rest.map(|(k, v)| (k.as_str(), v)));
    for (i, (k, v)) in pairs.enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&Value::String(k.to_owned()).to_string());
        out.push(':');
        out.push_str(&v.to_string());
    }
    out.push('}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contract_keys_come_first_and_are_not_overwritten() {
        let mut f = Fields {
            message: Some("MsgSeqNum too high, expecting 5 but received 55".into()),
            session: Some("FIX.4.4:ACC->INIT".into()),
            event: Some("seq_too_high".into()),
            rest: Map::new(),
        };
        f.rest.insert("expected".into(), Value::from(5u64));
        f.rest.insert("field_level".into(), Value::from("x"));
        let v = line(
            UtcTimestamp::from_nanos(1_700_000_000_123_456_789),
            &tracing::Level::WARN,
            "ringfix_engine::runtime::core",
            f,
        );
        let text = v.clone();
        let v: Value = serde_json::from_str(&v).unwrap();
        assert!(
            text.starts_with(
                "{\"ts\":\"2023-11-14T22:13:20.123456789Z\",\"level\":\"warn\",\"session\":\"FIX.4.4:ACC->INIT\",\"event\":\"seq_too_high\",\"text\":"
            ),
            "{text}"
        );
        assert_eq!(v["expected"], 5);
        let bare = line(
            UtcTimestamp::from_nanos(0),
            &tracing::Level::INFO,
            "ringfix_engine::runtime::supervisor",
            Fields::default(),
        );
        let bare: Value = serde_json::from_str(&bare).unwrap();
        assert_eq!(bare["session"], Value::Null);
        assert_eq!(bare["event"], "ringfix_engine::runtime::supervisor");
        assert_eq!(bare["text"], "");
    }
}
