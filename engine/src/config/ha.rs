//! Hot standby keys (`HaEnabled`, `HaEtcdEndpoints`, ...): leadership per
//! session through etcd and a journal replicated to standby nodes.

use std::time::Duration;

use super::build::Reader;
use super::error::{ConfigError, ErrorKind, Location, SettingsError};
use super::settings::{HostPort, SessionSettings};
use super::value::{self, Expected};

/// How long before its lease could expire a leader stops acting: the
/// leader's local deadline is `HaLeaseTtl` less this, counted from when its
/// last successful keepalive was sent. It covers the time to stop sending
/// and the clock rates of two hosts.
pub const HA_SAFETY_MARGIN: Duration = Duration::from_secs(1);

/// Default `HaLeaseTtl`.
pub const DEFAULT_HA_LEASE_TTL: Duration = Duration::from_secs(2);

/// Default `HaSyncTimeout`.
pub const DEFAULT_HA_SYNC_TIMEOUT: Duration = Duration::from_millis(500);

/// Default `HaMaxUnacked`.
pub const DEFAULT_HA_MAX_UNACKED: u64 = 1024;

/// `HaReplication`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HaReplication {
    /// An outbound message goes to the counterparty only after a standby
    /// acknowledged its record (falls back to async after `HaSyncTimeout`).
    #[default]
    Sync,
    /// Sent at once; at most `HaMaxUnacked` records unacknowledged.
    Async,
}

impl HaReplication {
    /// `sync` or `async`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sync => "sync",
            Self::Async => "async",
        }
    }
}

/// The `Ha*` keys of one session. The node-wide ones (endpoints, node
/// name, lease TTL, replication addresses) are the same in every session
/// with `HaEnabled=Y` (checked across sessions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HaSettings {
    /// `HaEnabled` (default N).
    pub enabled: bool,
    /// `HaEtcdEndpoints=http://H:P[,...]`.
    pub etcd_endpoints: Vec<String>,
    /// `HaNodeName`: this node's name, unique among live nodes.
    pub node_name: String,
    /// `HaLeaseTtl` in whole seconds (default 2), above
    /// [`HA_SAFETY_MARGIN`].
    pub lease_ttl: Duration,
    /// `HaReplicationListen=HOST:PORT`: where this node takes a leader's
    /// stream.
    pub replication_listen: Option<HostPort>,
    /// `HaPeers=HOST:PORT[,...]`: the other nodes' replication addresses.
    pub peers: Vec<HostPort>,
    /// `HaReplication=sync|async` (default sync).
    pub mode: HaReplication,
    /// `HaSyncTimeout` (`<N>ms` or seconds, default 500ms): how long a sync
    /// leader waits for an acknowledgement before falling back to async.
    pub sync_timeout: Duration,
    /// `HaMaxUnacked` (default 1024): records a standby may be behind before
    /// the leader waits for it (and, after `HaSyncTimeout`, drops it from
    /// the standbys that may take over).
    pub max_unacked: u64,
}

impl Default for HaSettings {
    fn default() -> Self {
        Self {
            enabled: false,
            etcd_endpoints: Vec::new(),
            node_name: String::new(),
            lease_ttl: DEFAULT_HA_LEASE_TTL,
            replication_listen: None,
            peers: Vec::new(),
            mode: HaReplication::Sync,
            sync_timeout: DEFAULT_HA_SYNC_TIMEOUT,
            max_unacked: DEFAULT_HA_MAX_UNACKED,
        }
    }
}

impl HaSettings {
    /// The node-wide part, for comparing sessions.
    fn node_part(&self) -> impl PartialEq + '_ {
        (
            &self.etcd_endpoints,
            &self.node_name,
            self.lease_ttl,
            &self.replication_listen,
            &self.peers,
        )
    }
}

/// `http://HOST:PORT` (no TLS to etcd: the gateway is reached in clear).
fn endpoint(v: &str) -> Result<String, Expected> {
    const WANT: Expected = "http://HOST:PORT[,...]";
    let rest = v.strip_prefix("http://").ok_or(WANT)?;
    let rest = rest.strip_suffix('/').unwrap_or(rest);
    host_port(rest).map_err(|_| WANT)?;
    Ok(format!("http://{rest}"))
}

/// `HOST:PORT` (an IPv6 host in brackets).
pub(crate) fn host_port(v: &str) -> Result<HostPort, Expected> {
    const WANT: Expected = "HOST:PORT";
    let (host, port) = v.rsplit_once(':').ok_or(WANT)?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() || host.contains(',') {
        return Err(WANT);
    }
    let port = value::port(port, false).map_err(|_| WANT)?;
    Ok(HostPort {
        host: host.to_owned(),
        port,
    })
}

fn list<T>(v: &str, item: fn(&str) -> Result<T, Expected>) -> Result<Vec<T>, Expected> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(item)
        .collect()
}

fn node_name(v: &str) -> Result<String, Expected> {
    const WANT: Expected = "a name of letters, digits, '.', '_' or '-'";
    if v.is_empty()
        || !v
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b))
    {
        return Err(WANT);
    }
    Ok(v.to_owned())
}

fn lease_ttl(v: &str) -> Result<Duration, Expected> {
    match value::seconds(v) {
        Ok(d) if d > HA_SAFETY_MARGIN => Ok(d),
        _ => Err("whole seconds above the 1 s safety margin (2 or more)"),
    }
}

/// `<N>ms` or `<N>` seconds, positive.
fn duration(v: &str) -> Result<Duration, Expected> {
    const WANT: Expected = "<N>ms or <N> (seconds), positive";
    match v.strip_suffix("ms") {
        Some(ms) => value::positive(ms)
            .map(Duration::from_millis)
            .map_err(|_| WANT),
        None => value::seconds(v).map_err(|_| WANT),
    }
}

fn mode(v: &str) -> Result<HaReplication, Expected> {
    match v {
        "sync" => Ok(HaReplication::Sync),
        "async" => Ok(HaReplication::Async),
        _ => Err("sync or async"),
    }
}

/// Reads the `Ha*` keys of one section; `s` is the rest of the session,
/// read already (the store settings are checked against `HaEnabled`).
pub(super) fn read(r: &Reader<'_>, s: &SessionSettings) -> Result<HaSettings, ConfigError> {
    let mut ha = HaSettings {
        enabled: r.get("HaEnabled", value::boolean)?.unwrap_or(false),
        ..HaSettings::default()
    };
    ha.etcd_endpoints = r
        .get("HaEtcdEndpoints", |v| list(v, endpoint))?
        .unwrap_or_default();
    ha.node_name = r.get("HaNodeName", node_name)?.unwrap_or_default();
    if let Some(ttl) = r.get("HaLeaseTtl", lease_ttl)? {
        ha.lease_ttl = ttl;
    }
    ha.replication_listen = r.get("HaReplicationListen", host_port)?;
    ha.peers = r
        .get("HaPeers", |v| list(v, host_port))?
        .unwrap_or_default();
    if let Some(m) = r.get("HaReplication", mode)? {
        ha.mode = m;
    }
    if let Some(t) = r.get("HaSyncTimeout", duration)? {
        ha.sync_timeout = t;
    }
    if let Some(n) = r.get("HaMaxUnacked", value::positive)? {
        ha.max_unacked = n;
    }
    if !ha.enabled {
        return Ok(ha);
    }
    const WHY: &str = "when HaEnabled=Y";
    let missing = |key: &'static str| ConfigError {
        location: r.location(r.section.line),
        key: None,
        kind: ErrorKind::Missing { key, why: WHY },
    };
    if ha.etcd_endpoints.is_empty() {
        return Err(missing("HaEtcdEndpoints"));
    }
    if ha.node_name.is_empty() {
        return Err(missing("HaNodeName"));
    }
    if ha.replication_listen.is_none() {
        return Err(missing("HaReplicationListen"));
    }
    let conflict = |key: &str, message: &str| {
        let entry = r.section.get(key);
        ConfigError {
            location: r.location(entry.map_or(r.section.line, |e| e.line)),
            key: Some(entry.map_or_else(|| key.to_owned(), |e| e.spelled.clone())),
            kind: ErrorKind::Invalid(SettingsError::Inconsistent {
                session: s.id.to_string(),
                message: message.to_owned(),
            }),
        }
    };
    if !s.store.persist_messages {
        return Err(conflict(
            "PersistMessages",
            "PersistMessages=N with HaEnabled=Y: a standby could not answer resends",
        ));
    }
    if s.store.file_store_path.is_none() {
        return Err(conflict(
            "HaEnabled",
            "HaEnabled=Y needs a file store (FileStorePath): a memory store cannot be replicated",
        ));
    }
    if ha
        .peers
        .iter()
        .any(|p| Some(p) == ha.replication_listen.as_ref())
    {
        return Err(conflict(
            "HaPeers",
            "HaPeers lists this node's own HaReplicationListen",
        ));
    }
    Ok(ha)
}

/// Node-wide `Ha*` keys must agree between sessions (one lease, one node
/// name, one stream per node pair).
pub(super) fn check_node_keys(
    sessions: &[SessionSettings],
    new: &SessionSettings,
    location: Location,
) -> Result<(), ConfigError> {
    if !new.ha.enabled {
        return Ok(());
    }
    match sessions.iter().find(|s| s.ha.enabled) {
        Some(first) if first.ha.node_part() != new.ha.node_part() => Err(ConfigError {
            location,
            key: Some("HaNodeName".into()),
            kind: ErrorKind::Invalid(SettingsError::Inconsistent {
                session: new.id.to_string(),
                message: format!(
                    "HaEtcdEndpoints, HaNodeName, HaLeaseTtl, HaReplicationListen and HaPeers \
                     differ from {}'s (they are the node's, set them in [DEFAULT])",
                    first.id
                ),
            }),
        }),
        _ => Ok(()),
    }
}
