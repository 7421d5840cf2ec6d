//! Text and JSON forms of engine snapshots.

use ringfix_codec::UtcTimestamp;
use ringfix_engine::stats::{EngineSnapshot, SessionSnapshot};
use serde_json::{json, Value};

use crate::store_cmd::rfc3339_ts as ts;

fn opt_ts(t: Option<UtcTimestamp>) -> Value {
    t.map_or(Value::Null, |t| Value::String(ts(t, 9)))
}

fn ms(nanos: i64) -> i64 {
    nanos.div_euclid(1_000_000)
}

/// `{"engines": [...]}`.
pub(crate) fn json(engines: &[EngineSnapshot], now: i64) -> Value {
    let engines: Vec<Value> = engines
        .iter()
        .map(|e| {
            json!({
                "pid": e.pid,
                "page": e.path.display().to_string(),
                "live": e.live,
                "started_at": ts(e.started_at, 9),
                "role": e.role.name(),
                "sessions": e.sessions.iter().map(|s| session_json(s, now)).collect::<Vec<_>>(),
                "reactors": e.reactors.iter().enumerate().map(|(i, r)| json!({
                    "reactor": i,
                    "core": r.core,
                    "loop_turns": r.loop_turns,
                    "uring_submissions": r.uring_submissions,
                    "recv_timeouts": r.recv_timeouts,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "engines": engines })
}

fn session_json(s: &SessionSnapshot, now: i64) -> Value {
    let c = &s.counters;
    json!({
        "session": s.id,
        "state": c.state.name(),
        "state_since": ts(c.state_since, 9),
        "time_in_state_ms": ms(now.saturating_sub(c.state_since.as_nanos())),
        "next_sender_seq": c.next_sender_seq,
        "next_target_seq": c.next_target_seq,
        "messages_in": c.messages_in,
        "messages_out": c.messages_out,
        "bytes_in": c.bytes_in,
        "bytes_out": c.bytes_out,
        "resend_requests_in": c.resend_requests_received,
        "resend_requests_out": c.resend_requests,
        "messages_resent": c.messages_resent,
        "rejects_in": c.rejects_received,
        "rejects_out": c.rejects_sent,
        "sequence_gaps": c.sequence_gaps,
        "validation_failures": c.validation_failures,
        "recv_timeouts": c.recv_timeouts,
        "outbound_queue_bytes": c.outbound_queue_bytes,
        "internal_count": c.internal.count(),
        "internal_sum_ns": c.internal.sum_ns,
        "last_inbound": opt_ts(c.last_inbound),
        "last_outbound": opt_ts(c.last_outbound),
        "reads_in_flight": c.reads_in_flight,
        "read_deadline": opt_ts(c.read_deadline),
        "read_deadline_in_ms": c.read_deadline.map(|d| ms(d.as_nanos().saturating_sub(now))),
        "connections": c.connections,
        "updated_at": ts(c.updated_at, 9),
    })
}

/// `12.3s`, `4m05s`, `2h03m`, `3d04h`.
fn duration(nanos: i64) -> String {
    let sign = if nanos < 0 { "-" } else { "" };
    let secs = nanos.unsigned_abs() / 1_000_000_000;
    let tenths = nanos.unsigned_abs() / 100_000_000 % 10;
    let body = match secs {
        s if s < 60 => format!("{s}.{tenths}s"),
        s if s < 3600 => format!("{}m{:02}s", s / 60, s % 60),
        s if s < 86_400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        s => format!("{}d{:02}h", s / 86_400, s % 86_400 / 3600),
    };
    format!("{sign}{body}")
}

fn when(t: Option<UtcTimestamp>, now: i64) -> String {
    t.map_or_else(
        || "never".to_owned(),
        |t| {
            format!(
                "{} ({} ago)",
                ts(t, 3),
                duration(now.saturating_sub(t.as_nanos()))
            )
        },
    )
}

/// The human form.
pub(crate) fn text(engines: &[EngineSnapshot], now: i64) -> String {
    let mut s = String::new();
    for e in engines {
        s.push_str(&format!(
            "engine pid {} started {} ({}){}\n",
            e.pid,
            ts(e.started_at, 3),
            e.path.display(),
            if e.live {
                ""
            } else {
                ": NOT RUNNING, last values"
            }
        ));
        for x in &e.sessions {
            let c = &x.counters;
            s.push_str(&format!(
                "{}  {} for {}\n",
                x.id,
                c.state.name(),
                duration(now.saturating_sub(c.state_since.as_nanos()))
            ));
            s.push_str(&format!(
                "  seq        next sender {}, next target {}\n",
                c.next_sender_seq, c.next_target_seq
            ));
            s.push_str(&format!(
                "  messages   in {} ({} bytes), out {} ({} bytes)\n",
                c.messages_in, c.bytes_in, c.messages_out, c.bytes_out
            ));
            s.push_str(&format!(
                "  resends    requests in {}, requests out {}, messages resent {}\n",
                c.resend_requests_received, c.resend_requests, c.messages_resent
            ));
            s.push_str(&format!(
                "  rejects    in {}, out {}\n",
                c.rejects_received, c.rejects_sent
            ));
            s.push_str(&format!(
                "  queue      {} bytes unsent; {} sequence gaps, {} read timeouts\n",
                c.outbound_queue_bytes, c.sequence_gaps, c.recv_timeouts
            ));
            s.push_str(&format!("  last in    {}\n", when(c.last_inbound, now)));
            s.push_str(&format!("  last out   {}\n", when(c.last_outbound, now)));
            let deadline = c.read_deadline.map_or_else(String::new, |d| {
                format!(
                    ", deadline {} (in {})",
                    ts(d, 3),
                    duration(d.as_nanos().saturating_sub(now))
                )
            });
            s.push_str(&format!(
                "  reads      {} in flight{deadline}; {} connections\n",
                c.reads_in_flight, c.connections
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::duration;

    #[test]
    fn durations_read_well() {
        assert_eq!(duration(12_345_000_000), "12.3s");
        assert_eq!(duration(245_000_000_000), "4m05s");
        assert_eq!(duration(7_380_000_000_000), "2h03m");
        assert_eq!(duration(273_600_000_000_000), "3d04h");
        assert_eq!(duration(-1_500_000_000), "-1.5s");
    }
}
