//! `GET /health`: is every session that should be up by its schedule up?
//!
//! An initiator is up when logged on; an acceptor is up when logged on or
//! waiting for its counterparty (no connection). A session outside its
//! schedule is not expected and never makes the engine unhealthy. Under
//! hot standby a session another node leads is up here (this node only
//! replicates it), and a node leading none of its sessions answers 200 with
//! its role, `standby`, whatever its sessions do.

use ringfix_codec::UtcTimestamp;

use super::reader::EngineSnapshot;
use super::{EngineRole, SessionHaRole};
use crate::config::{Role, Schedule};
use crate::session::SessionState;

/// What the health check needs of a session's configuration (in page
/// slot order).
#[derive(Clone, Debug)]
pub struct HealthSpec {
    /// Acceptor or initiator.
    pub role: Role,
    /// When the session should be up.
    pub schedule: Schedule,
}

/// The answer: HTTP status and JSON body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Health {
    /// 200 or 503.
    pub status: u16,
    /// `{"status", "role", "pid", "down": [ids], "sessions": [...]}`.
    pub body: String,
}

/// Judges `snap` against `specs` at `now`.
pub fn check(snap: &EngineSnapshot, specs: &[HealthSpec], now: UtcTimestamp) -> Health {
    let mut down = Vec::new();
    let mut sessions = Vec::new();
    for (s, spec) in snap.sessions.iter().zip(specs) {
        let c = &s.counters;
        let expected = spec.schedule.is_in_session(now);
        let up = c.logged_on()
            || (spec.role == Role::Acceptor && c.state == SessionState::Disconnected)
            || s.ha == SessionHaRole::Standby;
        if expected && !up {
            down.push(s.id.as_str());
        }
        sessions.push(format!(
            "{{\"session\":{},\"state\":\"{}\",\"ha\":\"{}\",\"expected\":{expected},\"up\":{up}}}",
            json_str(&s.id),
            c.state.name(),
            s.ha.name()
        ));
    }
    let standby = snap.role == EngineRole::Standby;
    let (status, word) = match (standby, down.is_empty()) {
        (true, _) => (200, "standby"),
        (false, true) => (200, "up"),
        (false, false) => (503, "down"),
    };
    let down: Vec<String> = down.iter().map(|d| json_str(d)).collect();
    let body = format!(
        "{{\"status\":\"{word}\",\"role\":\"{}\",\"pid\":{},\"down\":[{}],\"sessions\":[{}]}}\n",
        snap.role.name(),
        snap.pid,
        down.join(","),
        sessions.join(",")
    );
    Health { status, body }
}

/// A JSON string literal.
fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if u32::from(c) < 0x20 => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{SessionCounters, SessionSnapshot};

    fn snap(states: &[SessionState], role: EngineRole) -> EngineSnapshot {
        EngineSnapshot {
            path: "p".into(),
            pid: 7,
            started_at: UtcTimestamp::from_secs(0),
            live: true,
            role,
            sessions: states
                .iter()
                .enumerate()
                .map(|(i, st)| {
                    let mut counters = SessionCounters::new(UtcTimestamp::from_secs(0));
                    counters.state = *st;
                    SessionSnapshot {
                        id: format!("FIX.4.4:S{i}->\"T\""),
                        counters,
                        ha: SessionHaRole::None,
                    }
                })
                .collect(),
            reactors: Vec::new(),
        }
    }

    fn spec(role: Role) -> HealthSpec {
        HealthSpec {
            role,
            schedule: Schedule::non_stop(),
        }
    }

    #[test]
    fn who_counts_as_up() {
        use SessionState::*;
        let now = UtcTimestamp::from_secs(1_700_000_000);
        let specs = [spec(Role::Initiator), spec(Role::Acceptor)];
        for (states, want) in [
            ([Active, Disconnected], 200),
            ([AwaitingResend, Active], 200),
            ([Disconnected, Active], 503),
            ([AwaitingLogon, Active], 503),
            ([Active, AwaitingLogon], 503),
            ([Active, LogoutSent], 503),
        ] {
            let h = check(&snap(&states, EngineRole::Primary), &specs, now);
            assert_eq!(h.status, want, "{states:?}: {}", h.body);
            let v: serde_json::Value = serde_json::from_str(&h.body).unwrap();
            assert_eq!(v["role"], "primary");
            assert_eq!(v["pid"], 7);
            assert_eq!(v["status"], if want == 200 { "up" } else { "down" });
            assert_eq!(v["down"].as_array().unwrap().is_empty(), want == 200);
        }
        let h = check(
            &snap(&[Disconnected, Active], EngineRole::Primary),
            &specs,
            now,
        );
        let v: serde_json::Value = serde_json::from_str(&h.body).unwrap();
        assert_eq!(v["down"], serde_json::json!(["FIX.4.4:S0->\"T\""]));
        assert_eq!(v["sessions"][0]["state"], "disconnected");
        assert_eq!(v["sessions"][0]["up"], false);
        assert_eq!(v["sessions"][1]["up"], true);
        // A standby answers 200 with its role.
        let h = check(
            &snap(&[Disconnected, Active], EngineRole::Standby),
            &specs,
            now,
        );
        assert_eq!(h.status, 200);
        let v: serde_json::Value = serde_json::from_str(&h.body).unwrap();
        assert_eq!(
            (v["status"].as_str(), v["role"].as_str()),
            (Some("standby"), Some("standby"))
        );
    }

    #[test]
    fn a_session_another_node_leads_is_up_here() {
        let now = UtcTimestamp::from_secs(1_700_000_000);
        let specs = [spec(Role::Initiator), spec(Role::Initiator)];
        let mut s = snap(
            &[SessionState::Disconnected, SessionState::Active],
            EngineRole::Primary,
        );
        s.sessions[0].ha = SessionHaRole::Standby;
        s.sessions[1].ha = SessionHaRole::Leader;
        let h = check(&s, &specs, now);
        assert_eq!(h.status, 200, "{}", h.body);
        let v: serde_json::Value = serde_json::from_str(&h.body).unwrap();
        assert_eq!(v["status"], "up");
        assert_eq!(v["sessions"][0]["ha"], "standby");
        assert_eq!(v["sessions"][0]["up"], true);
        assert_eq!(v["sessions"][1]["ha"], "leader");
        // The leader's session down is down whatever the other does.
        s.sessions[1].counters.state = SessionState::Disconnected;
        let h = check(&s, &specs, now);
        assert_eq!(h.status, 503, "{}", h.body);
        let v: serde_json::Value = serde_json::from_str(&h.body).unwrap();
        assert_eq!(v["down"], serde_json::json!(["FIX.4.4:S1->\"T\""]));
    }

    #[test]
    fn sessions_out_of_schedule_are_not_expected() {
        use jiff::civil::time;
        // 09:00-10:00 UTC; now is 22:13 UTC.
        let sched = Schedule::daily(time(9, 0, 0, 0), time(10, 0, 0, 0), jiff::tz::TimeZone::UTC);
        let specs = [HealthSpec {
            role: Role::Initiator,
            schedule: sched,
        }];
        let now = UtcTimestamp::from_secs(1_700_000_000);
        let h = check(
            &snap(&[SessionState::Disconnected], EngineRole::Primary),
            &specs,
            now,
        );
        assert_eq!(h.status, 200, "{}", h.body);
        assert!(h.body.contains("\"expected\":false"));
    }
}
