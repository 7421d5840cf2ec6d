//! QuickFIX-style `.cfg` files -> typed settings, schedules, reconnect
//! backoff. Pure code: no sockets, no clock reads (time is passed in).
//!
//! ```text
//! [DEFAULT]
//! ConnectionType=initiator
//! HeartBtInt=30
//! StartTime=00:00:00
//! EndTime=00:00:00
//!
//! [SESSION]
//! BeginString=FIX.4.4
//! SenderCompID=CLIENT
//! TargetCompID=SERVER
//! SocketConnectHost=127.0.0.1
//! SocketConnectPort=9876
//! ```
//!
//! Keys are those of QuickFIX C++ and QuickFIX/J (case-insensitive). Each
//! has a [`keys::KeyStatus`]: implemented; without effect by design (value
//! checked, a [`ConfigWarning::NoEffect`] note); another product's machinery
//! or a proxy ([`ConfigWarning::Foreign`], saying what to use instead); or
//! not implemented yet ([`ConfigWarning::Unimplemented`]). Unknown keys are
//! errors. ringfix adds its own keys
//! (see [`ReactorSettings`], [`StoreSettings`]): `ReactorCore`,
//! `ReactorMode`, `StoreFsync`, `StoreSegmentSize`, `StoreUpkeepThread`, `FilePermissions`,
//! `MaxOutboundQueueBytes`, `MaxConnections`
//! (connections one reactor holds, logged on or not; beyond it an accepted
//! connection is closed at once), `StopOnFatalError`,
//! `ReconnectMaxInterval`, `MetricsListen` (`HOST:PORT` serving
//! `/metrics` and `/health`), and the hot standby keys (`HaEnabled`, ...:
//! see [`HaSettings`]).

mod backoff;
mod build;
mod build_schedule;
mod credentials;
mod effective;
mod error;
mod ha;
mod ini;
pub mod keys;
mod schedule;
mod security;
mod session_id;
mod settings;
mod table;
mod tls;
mod value;

#[cfg(test)]
mod tests;

use std::path::Path;

pub use backoff::{after_end, AfterEnd, Backoff, JitterSource, SessionEnd, SplitMix64};
pub use build_schedule::host_time_zone;
pub use credentials::{hash_password, Credentials, CredentialsError, Password};
pub use error::{ConfigError, ConfigWarning, ErrorKind, Location, SettingsError};
pub use ha::{
    HaReplication, HaSettings, DEFAULT_HA_LEASE_TTL, DEFAULT_HA_MAX_UNACKED,
    DEFAULT_HA_SYNC_TIMEOUT, HA_SAFETY_MARGIN,
};
/// Time types of the schedule API (from `jiff`, re-exported so callers
/// need not depend on it).
pub use jiff::{
    civil::{Time, Weekday},
    tz::TimeZone,
};
pub use ringfix_codec::{TimePrecision, UtcTimestamp};
pub use schedule::{Period, Schedule};
pub use security::{SecuritySettings, DEFAULT_MAX_FAILED_LOGONS_PER_MINUTE};
pub use session_id::{SessionId, BEGIN_STRINGS};
pub use settings::{
    multiplier_text, ApplVerId, DictionarySettings, ErrorAction, HostPort, LogSettings,
    MessageSettings, NetworkSettings, PolicySettings, ReactorMode, ReactorSettings, ResetSettings,
    Role, ScreenLogSettings, SessionSettings, SourceAddress, StoreSettings, TimingSettings,
    TlsSettings, ValidationSettings, DEFAULT_ACCEPT_RETRY_TIMEOUT, DEFAULT_MAX_CONNECTIONS,
    DEFAULT_MAX_OUTBOUND_QUEUE_BYTES, DEFAULT_RECONNECT_CAP_FACTOR, DEFAULT_SEGMENT_BYTES,
    DEFAULT_SYNCHRONOUS_WRITE_TIMEOUT, MAX_CONNECTIONS_LIMIT, MULTIPLIER_SCALE,
};
pub use table::{settings_table, table_problems};
pub use tls::{suite_speaks, TlsVersion};

/// Sessions that share one reactor thread.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReactorGroup {
    /// The core the reactor is pinned to; `None` for the one unpinned
    /// reactor that runs every session without `ReactorCore`.
    pub core: Option<usize>,
    /// How the reactor waits (the same for every session of the group).
    pub mode: ReactorMode,
    /// Indexes into [`EngineConfig::sessions`].
    pub sessions: Vec<usize>,
}

/// Where one session's keys were set, for messages that name file, line
/// and key after parsing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SessionSource {
    /// Line of the `[SESSION]` header.
    pub line: usize,
    /// Each key read, as `(name, line)`: the canonical name with its
    /// suffix (`SocketConnectHost1`, `AppDataDictionary.FIX.5.0`); the line
    /// is in `[DEFAULT]` for an inherited key.
    pub keys: Vec<(String, usize)>,
}

impl SessionSource {
    fn of(section: &ini::Section) -> Self {
        let keys = section
            .entries
            .iter()
            .map(|e| {
                let k = &e.key;
                let name = match (k.suffix.is_empty(), k.canonical) {
                    (true, c) => c.to_owned(),
                    (false, "AppDataDictionary") => format!("AppDataDictionary.{}", k.suffix),
                    (false, c) => format!("{c}{}", k.suffix),
                };
                (name, e.line)
            })
            .collect();
        Self {
            line: section.line,
            keys,
        }
    }

    /// The line that set `key`, else the `[SESSION]` header's.
    pub fn line_of(&self, key: &str) -> usize {
        self.keys
            .iter()
            .find(|(k, _)| k == key)
            .map_or(self.line, |(_, line)| *line)
    }
}

/// A whole configuration file, typed and validated.
#[derive(Clone, Debug, PartialEq)]
pub struct EngineConfig {
    /// One entry per `[SESSION]`, in file order.
    pub sessions: Vec<SessionSettings>,
    /// Findings that are not errors (unimplemented keys, ...), for the
    /// caller to log.
    pub warnings: Vec<ConfigWarning>,
}

impl EngineConfig {
    /// Parses `text`; `file` names it in errors and warnings. With
    /// `ContinueInitializationOnError=Y` (QuickFIX/J) a session that cannot
    /// be configured is left out with a warning instead of failing all.
    pub fn parse(text: &str, file: &str) -> Result<Self, ConfigError> {
        Self::parse_with_sources(text, file).map(|(config, _)| config)
    }

    /// [`parse`](Self::parse), and where each session's keys were set
    /// (one [`SessionSource`] per session, in the same order).
    pub fn parse_with_sources(
        text: &str,
        file: &str,
    ) -> Result<(Self, Vec<SessionSource>), ConfigError> {
        let mut warnings = Vec::new();
        let raw = ini::parse(text, file, &mut warnings)?;
        let mut sessions: Vec<SessionSettings> = Vec::with_capacity(raw.sessions.len());
        let mut sources = Vec::with_capacity(raw.sessions.len());
        for section in &raw.sessions {
            let continue_on_error = match section.get("ContinueInitializationOnError") {
                Some(e) => value::boolean(&e.value).map_err(|expected| ConfigError {
                    location: Location {
                        file: file.to_owned(),
                        line: e.line,
                    },
                    key: Some(e.spelled.clone()),
                    kind: ErrorKind::BadValue {
                        expected,
                        got: e.value.clone(),
                    },
                })?,
                None => false,
            };
            match session(section, file, &sessions) {
                Ok(settings) => {
                    sessions.push(settings);
                    sources.push(SessionSource::of(section));
                }
                Err(error) if continue_on_error => warnings.push(ConfigWarning::SkippedSession {
                    error: Box::new(error),
                }),
                Err(error) => return Err(error),
            }
        }
        Ok((Self { sessions, warnings }, sources))
    }

    /// Reads and parses the file at `path`.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            location: Location {
                file: file.clone(),
                line: 0,
            },
            key: None,
            kind: ErrorKind::Io(e.to_string()),
        })?;
        Self::parse(&text, &file)
    }

    /// The reactors to start: one per `ReactorCore` value, plus one
    /// unpinned reactor for the sessions without it, in order of first use.
    pub fn reactors(&self) -> Vec<ReactorGroup> {
        let mut groups: Vec<ReactorGroup> = Vec::new();
        for (index, s) in self.sessions.iter().enumerate() {
            match groups.iter_mut().find(|g| g.core == s.reactor.core) {
                Some(g) => g.sessions.push(index),
                None => groups.push(ReactorGroup {
                    core: s.reactor.core,
                    mode: s.reactor.mode,
                    sessions: vec![index],
                }),
            }
        }
        groups
    }

    /// The hot standby settings of the node, from the first session with
    /// `HaEnabled=Y` (the node-wide keys agree between sessions).
    pub fn ha(&self) -> Option<&HaSettings> {
        self.sessions.iter().map(|s| &s.ha).find(|h| h.enabled)
    }

    /// `MetricsListen`: where the engine serves `/metrics` and `/health`.
    pub fn metrics_listen(&self) -> Option<&HostPort> {
        self.sessions.iter().find_map(|s| s.metrics_listen.as_ref())
    }

    /// The session with this id.
    pub fn session(&self, id: &SessionId) -> Option<&SessionSettings> {
        self.sessions.iter().find(|s| &s.id == id)
    }
}

/// The first setting of one listener (one accept address) on which two
/// acceptor sessions sharing it differ. `AllowedRemoteAddresses` may list
/// different peers per session (the listener allows all of them), but is
/// set for every session on the address or for none.
fn listener_key_mismatch(a: &SessionSettings, b: &SessionSettings) -> Option<&'static str> {
    let (x, y) = (&a.network, &b.network);
    [
        ("SocketUseSSL", a.tls.enabled == b.tls.enabled),
        (
            "SocketSendBufferSize",
            x.send_buffer_size == y.send_buffer_size,
        ),
        (
            "SocketReceiveBufferSize",
            x.receive_buffer_size == y.receive_buffer_size,
        ),
        ("SocketKeepAlive", x.keepalive == y.keepalive),
        ("SocketLinger", x.linger == y.linger),
        ("SocketTrafficClass", x.traffic_class == y.traffic_class),
        (
            "MaxFailedLogonsPerMinute",
            a.security.max_failed_logons_per_minute == b.security.max_failed_logons_per_minute,
        ),
        (
            "AllowedRemoteAddresses",
            x.allowed_remote_addresses.is_some() == y.allowed_remote_addresses.is_some(),
        ),
    ]
    .into_iter()
    .find(|(_, same)| !same)
    .map(|(key, _)| key)
}

/// Builds one session and checks it against the sessions before it.
fn session(
    section: &ini::Section,
    file: &str,
    sessions: &[SessionSettings],
) -> Result<SessionSettings, ConfigError> {
    let settings = build::build(section, file)?;
    let location = || Location {
        file: file.to_owned(),
        line: section.line,
    };
    if sessions.iter().any(|s| s.id == settings.id) {
        return Err(ConfigError {
            location: location(),
            key: None,
            kind: ErrorKind::DuplicateSession(settings.id.to_string()),
        });
    }
    if let Some(other) = sessions.iter().find(|s| {
        s.reactor.core.is_some()
            && s.reactor.core == settings.reactor.core
            && s.reactor.mode != settings.reactor.mode
    }) {
        return Err(ConfigError {
            location: location(),
            key: Some("ReactorMode".into()),
            kind: ErrorKind::Invalid(SettingsError::Inconsistent {
                session: settings.id.to_string(),
                message: format!(
                    "shares ReactorCore with {} but not its ReactorMode",
                    other.id
                ),
            }),
        });
    }
    let shared = sessions.iter().filter_map(|s| {
        let same_address = s.role == Role::Acceptor
            && settings.role == Role::Acceptor
            && s.network.accept_port == settings.network.accept_port
            && s.network.accept_host == settings.network.accept_host;
        same_address
            .then(|| listener_key_mismatch(s, &settings).map(|key| (s, key)))
            .flatten()
    });
    if let Some((other, key)) = shared.into_iter().next() {
        return Err(ConfigError {
            location: location(),
            key: Some(key.into()),
            kind: ErrorKind::Invalid(SettingsError::Inconsistent {
                session: settings.id.to_string(),
                message: format!(
                    "shares its accept address with {} but not its {key}",
                    other.id
                ),
            }),
        });
    }
    if let Some(other) = sessions.iter().find(|s| {
        s.metrics_listen.is_some()
            && settings.metrics_listen.is_some()
            && s.metrics_listen != settings.metrics_listen
    }) {
        return Err(ConfigError {
            location: location(),
            key: Some("MetricsListen".into()),
            kind: ErrorKind::Invalid(SettingsError::Inconsistent {
                session: settings.id.to_string(),
                message: format!(
                    "MetricsListen differs from {}'s: one engine serves one metrics address",
                    other.id
                ),
            }),
        });
    }
    ha::check_node_keys(sessions, &settings, location())?;
    Ok(settings)
}
