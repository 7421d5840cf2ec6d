//! `HttpAcceptPort` (QuickFIX C++): a read-only HTML page of the engine's
//! sessions, served by the [`http`](super::http) server from the stats
//! page: `GET /` lists every session with its role, whether it is inside
//! its schedule, its state, whether it is logged on and its next
//! incoming and outgoing sequence numbers. `GET /session?id=<session id>`
//! shows one session with its counters. QuickFIX's pages that change a
//! session (reset, refresh, enable, disable) are not offered: the page
//! only reads.

use std::fmt::Write;

use ringfix_codec::UtcTimestamp;

use super::health::HealthSpec;
use super::reader::{EngineSnapshot, SessionSnapshot};
use crate::config::Role;

/// The answer to `path` (with its query): status and HTML body.
pub fn page(path: &str, query: &str, snap: &EngineSnapshot, specs: &[HealthSpec]) -> (u16, String) {
    let now = UtcTimestamp::now();
    match path {
        "/" => (200, sessions(snap, specs, now)),
        "/session" => {
            let id = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("id="))
                .map(percent_decode)
                .unwrap_or_default();
            match snap.sessions.iter().zip(specs).find(|(s, _)| s.id == id) {
                Some((s, spec)) => (200, session(s, spec, now)),
                None => (
                    404,
                    wrap("Not found", &format!("<p>No session {}.</p>", html(&id))),
                ),
            }
        }
        _ => (404, wrap("Not found", "<p>Try <a href=\"/\">/</a>.</p>")),
    }
}

fn role(r: Role) -> &'static str {
    match r {
        Role::Initiator => "initiator",
        Role::Acceptor => "acceptor",
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

fn sessions(snap: &EngineSnapshot, specs: &[HealthSpec], now: UtcTimestamp) -> String {
    let mut rows = String::new();
    for (s, spec) in snap.sessions.iter().zip(specs) {
        let c = &s.counters;
        let _ = writeln!(
            rows,
            "<tr><td><a href=\"/session?id={}\">{}</a></td><td>{}</td><td>{}</td>\
             <td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            percent_encode(&s.id),
            html(&s.id),
            role(spec.role),
            yes_no(spec.schedule.is_in_session(now)),
            c.state.name(),
            yes_no(c.logged_on()),
            c.next_target_seq,
            c.next_sender_seq,
        );
    }
    let body = format!(
        "<p>Process {}, {} since {}; {} sessions.</p>\n<table border=\"1\">\n\
         <tr><th>Session</th><th>ConnectionType</th><th>Session Time</th><th>State</th>\
         <th>Logged On</th><th>Next Incoming</th><th>Next Outgoing</th></tr>\n{rows}</table>",
        snap.pid,
        snap.role.name(),
        snap.started_at,
        snap.sessions.len()
    );
    wrap("Sessions", &body)
}

fn session(s: &SessionSnapshot, spec: &HealthSpec, now: UtcTimestamp) -> String {
    let c = &s.counters;
    let stamp = |t: Option<UtcTimestamp>| t.map_or_else(|| "never".to_owned(), |t| t.to_string());
    let rows: [(&str, String); 14] = [
        ("ConnectionType", role(spec.role).to_owned()),
        (
            "Session Time",
            yes_no(spec.schedule.is_in_session(now)).to_owned(),
        ),
        ("State", c.state.name().to_owned()),
        ("State Since", c.state_since.to_string()),
        ("Logged On", yes_no(c.logged_on()).to_owned()),
        ("Next Incoming", c.next_target_seq.to_string()),
        ("Next Outgoing", c.next_sender_seq.to_string()),
        ("Messages In", c.messages_in.to_string()),
        ("Messages Out", c.messages_out.to_string()),
        ("Connections", c.connections.to_string()),
        ("Rejects Sent", c.rejects_sent.to_string()),
        ("Rejects Received", c.rejects_received.to_string()),
        ("Last Inbound", stamp(c.last_inbound)),
        ("Last Outbound", stamp(c.last_outbound)),
    ];
    let mut body = String::from("<p><a href=\"/\">All sessions</a></p>\n<table border=\"1\">\n");
    for (k, v) in rows {
        let _ = writeln!(body, "<tr><th>{k}</th><td>{}</td></tr>", html(&v));
    }
    body.push_str("</table>");
    wrap(&s.id, &body)
}

fn wrap(title: &str, body: &str) -> String {
    let title = html(title);
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>ringfix: {title}</title></head>\n\
         <body><h1>{title}</h1>\n{body}\n</body></html>\n"
    )
}

/// `s` safe inside HTML text and attribute values.
fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `s` as a URL query value (unreserved bytes kept, the rest `%XX`).
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// The inverse of [`percent_encode`] (`+` is a space, as forms send it);
/// a malformed escape is kept as it is.
fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while let Some(&c) = b.get(i) {
        let hex = b
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (c, hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            _ => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_the_query_and_are_escaped_in_html() {
        let id = "FIX.4.4:A&B->C<D> x";
        assert_eq!(percent_decode(&percent_encode(id)), id);
        assert_eq!(html(id), "FIX.4.4:A&amp;B-&gt;C&lt;D&gt; x");
        assert_eq!(percent_decode("a%2"), "a%2");
    }
}
