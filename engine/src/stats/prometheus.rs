//! The Prometheus text exposition format (version 0.0.4) of engine
//! snapshots: what `ringfix stats --prometheus` prints and what the
//! `MetricsListen` server answers at `GET /metrics`.
//!
//! Every session sample has the labels `session` (the session id as the
//! logs print it, `FIX.4.4:ACC->INIT`) and `pid` (the engine's process, so
//! that several engines on one host stay apart); reactor samples have
//! `reactor` (its index in start order) and `pid`.

use std::fmt::Write as _;

use super::reader::EngineSnapshot;
use super::values::{ReactorCounters, SessionCounters, INTERNAL_BOUNDS_NS};

/// The `Content-Type` of the format.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

type SessionValue = fn(&SessionCounters) -> u64;
type ReactorValue = fn(&ReactorCounters) -> u64;

/// Per-session counters and gauges: name, type, help, value.
const SESSION_METRICS: &[(&str, &str, &str, SessionValue)] = &[
    (
        "ringfix_messages_received_total",
        "counter",
        "Complete FIX messages received.",
        |c| c.messages_in,
    ),
    (
        "ringfix_messages_sent_total",
        "counter",
        "FIX messages sent, resends included.",
        |c| c.messages_out,
    ),
    (
        "ringfix_bytes_received_total",
        "counter",
        "Bytes of complete FIX messages received.",
        |c| c.bytes_in,
    ),
    (
        "ringfix_bytes_sent_total",
        "counter",
        "Bytes of FIX messages sent.",
        |c| c.bytes_out,
    ),
    (
        "ringfix_rejects_sent_total",
        "counter",
        "Reject (35=3) and BusinessMessageReject (35=j) messages sent.",
        |c| c.rejects_sent,
    ),
    (
        "ringfix_rejects_received_total",
        "counter",
        "Reject (35=3) and BusinessMessageReject (35=j) messages received.",
        |c| c.rejects_received,
    ),
    (
        "ringfix_resend_requests_total",
        "counter",
        "ResendRequests sent (the session asked the counterparty for a resend).",
        |c| c.resend_requests,
    ),
    (
        "ringfix_resend_requests_received_total",
        "counter",
        "ResendRequests received from the counterparty.",
        |c| c.resend_requests_received,
    ),
    (
        "ringfix_messages_resent_total",
        "counter",
        "Messages sent again with PossDupFlag=Y (resends and gap fills).",
        |c| c.messages_resent,
    ),
    (
        "ringfix_sequence_gaps_total",
        "counter",
        "Inbound MsgSeqNum gaps detected (MsgSeqNum too high).",
        |c| c.sequence_gaps,
    ),
    (
        "ringfix_recv_timeouts_total",
        "counter",
        "Reads that reached their deadline (linked timeout): heartbeat, TestRequest, logon and logout timers.",
        |c| c.recv_timeouts,
    ),
    (
        "ringfix_connections_total",
        "counter",
        "Connections made or accepted.",
        |c| c.connections,
    ),
    (
        "ringfix_session_logged_on",
        "gauge",
        "1 while the session is logged on, else 0.",
        |c| u64::from(c.logged_on()),
    ),
    (
        "ringfix_next_sender_seq",
        "gauge",
        "Next MsgSeqNum the session sends.",
        |c| c.next_sender_seq,
    ),
    (
        "ringfix_next_target_seq",
        "gauge",
        "Next MsgSeqNum the session expects.",
        |c| c.next_target_seq,
    ),
    (
        "ringfix_outbound_queue_bytes",
        "gauge",
        "Bytes queued for the connection and not yet written to the socket, as of the session's last event.",
        |c| c.outbound_queue_bytes,
    ),
];

/// Per-reactor counters.
const REACTOR_METRICS: &[(&str, &str, ReactorValue)] = &[
    (
        "ringfix_reactor_loop_turns_total",
        "Reactor event loop turns.",
        |r| r.loop_turns,
    ),
    (
        "ringfix_uring_submissions_total",
        "Submission queue entries handed to io_uring (operations and their linked timeouts).",
        |r| r.uring_submissions,
    ),
];

/// Appends the exposition of `engines` to `out`.
pub fn encode(engines: &[EngineSnapshot], out: &mut String) {
    family(
        out,
        "ringfix_engine_start_time_seconds",
        "gauge",
        "When the engine started, seconds since the Unix epoch; role is primary or standby.",
    );
    for e in engines {
        let secs = e.started_at.as_nanos() as f64 / 1e9;
        sample(
            out,
            "ringfix_engine_start_time_seconds",
            &[("pid", &e.pid.to_string()), ("role", e.role.name())],
            &secs.to_string(),
        );
    }
    for (name, kind, help, value) in SESSION_METRICS {
        family(out, name, kind, help);
        for e in engines {
            let pid = e.pid.to_string();
            for s in &e.sessions {
                let labels = [("session", s.id.as_str()), ("pid", pid.as_str())];
                sample(out, name, &labels, &value(&s.counters).to_string());
            }
        }
    }
    for (name, help, value) in REACTOR_METRICS {
        family(out, name, "counter", help);
        for e in engines {
            let pid = e.pid.to_string();
            for (i, r) in e.reactors.iter().enumerate() {
                let idx = i.to_string();
                let labels = [("reactor", idx.as_str()), ("pid", pid.as_str())];
                sample(out, name, &labels, &value(r).to_string());
            }
        }
    }
    internal_histogram(engines, out);
}

/// `ringfix_internal_seconds`: the engine's own time per answered message.
fn internal_histogram(engines: &[EngineSnapshot], out: &mut String) {
    const NAME: &str = "ringfix_internal_seconds";
    family(
        out,
        NAME,
        "histogram",
        "The engine's own time per answered message: from the reactor reaping the message to the answer queued for sending.",
    );
    let bucket = format!("{NAME}_bucket");
    for e in engines {
        let pid = e.pid.to_string();
        for s in &e.sessions {
            let h = &s.counters.internal;
            let mut cumulative = 0u64;
            for (i, n) in h.buckets.iter().enumerate() {
                cumulative = cumulative.saturating_add(*n);
                let le = INTERNAL_BOUNDS_NS
                    .get(i)
                    .map_or_else(|| "+Inf".to_owned(), |ns| (*ns as f64 / 1e9).to_string());
                let labels = [
                    ("session", s.id.as_str()),
                    ("pid", pid.as_str()),
                    ("le", le.as_str()),
                ];
                sample(out, &bucket, &labels, &cumulative.to_string());
            }
            let labels = [("session", s.id.as_str()), ("pid", pid.as_str())];
            let sum = h.sum_ns as f64 / 1e9;
            sample(out, &format!("{NAME}_sum"), &labels, &sum.to_string());
            sample(
                out,
                &format!("{NAME}_count"),
                &labels,
                &cumulative.to_string(),
            );
        }
    }
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: &str) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(k);
            out.push_str("=\"");
            escape_label(v, out);
            out.push('"');
        }
        out.push('}');
    }
    out.push(' ');
    out.push_str(value);
    out.push('\n');
}

/// A label value: backslash, double quote and line feed escaped.
fn escape_label(v: &str, out: &mut String) {
    for ch in v.chars() {
        match ch {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
}

/// HELP text: backslash and line feed escaped.
fn escape_help(h: &str) -> String {
    h.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        let mut s = String::new();
        sample(&mut s, "m", &[("session", "a\\b\"c\nd")], "1");
        assert_eq!(s, "m{session=\"a\\\\b\\\"c\\nd\"} 1\n");
        assert_eq!(escape_help("x\\y\nz"), "x\\\\y\\nz");
    }
}
