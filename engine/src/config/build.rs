//! One merged `[SESSION]` section -> [`SessionSettings`].

use std::path::PathBuf;
use std::time::Duration;

use super::error::{ConfigError, ErrorKind, Location};
use super::ini::{Entry, Section};
use super::session_id::SessionId;
use super::settings::{
    HostPort, NetworkSettings, Role, ScreenLogSettings, SessionSettings, SourceAddress,
};
use super::tls::TlsVersion;
use super::value::{self, Expected};
use ringfix_codec::TimePrecision;

mod policy;
mod store;
mod transport;
mod validation;

pub(super) struct Reader<'a> {
    pub(super) section: &'a Section,
    file: &'a str,
}

impl Reader<'_> {
    pub(super) fn location(&self, line: usize) -> Location {
        Location {
            file: self.file.to_owned(),
            line,
        }
    }

    pub(super) fn parse<T>(
        &self,
        entry: &Entry,
        parse: impl Fn(&str) -> Result<T, Expected>,
    ) -> Result<T, ConfigError> {
        parse(&entry.value).map_err(|expected| ConfigError {
            location: self.location(entry.line),
            key: Some(entry.spelled.clone()),
            kind: ErrorKind::BadValue {
                expected,
                got: entry.value.clone(),
            },
        })
    }

    pub(super) fn get<T>(
        &self,
        key: &str,
        parse: impl Fn(&str) -> Result<T, Expected>,
    ) -> Result<Option<T>, ConfigError> {
        self.section
            .get(key)
            .map(|e| self.parse(e, parse))
            .transpose()
    }

    pub(super) fn missing(&self, key: &'static str, why: &'static str) -> ConfigError {
        ConfigError {
            location: self.location(self.section.line),
            key: None,
            kind: ErrorKind::Missing { key, why },
        }
    }

    pub(super) fn require<T>(
        &self,
        key: &'static str,
        why: &'static str,
        parse: impl Fn(&str) -> Result<T, Expected>,
    ) -> Result<T, ConfigError> {
        self.get(key, parse)?.ok_or_else(|| self.missing(key, why))
    }

    /// Sets `slot` if the key is present.
    fn set<T>(
        &self,
        key: &str,
        slot: &mut T,
        parse: impl Fn(&str) -> Result<T, Expected>,
    ) -> Result<(), ConfigError> {
        if let Some(v) = self.get(key, parse)? {
            *slot = v;
        }
        Ok(())
    }

    /// An optional string; empty means unset.
    fn optional_text(&self, key: &str) -> Option<String> {
        self.section
            .get(key)
            .filter(|e| !e.value.is_empty())
            .map(|e| e.value.clone())
    }

    /// `key` (present in the section) contradicts another setting.
    fn contradiction(&self, key: &'static str, why: &'static str) -> ConfigError {
        let e = self.section.get(key);
        ConfigError {
            location: self.location(e.map_or(self.section.line, |e| e.line)),
            key: Some(e.map_or_else(|| key.to_owned(), |e| e.spelled.clone())),
            kind: ErrorKind::BadValue {
                expected: why,
                got: e.map(|e| e.value.clone()).unwrap_or_default(),
            },
        }
    }

    pub(super) fn path(&self, key: &str) -> Result<Option<PathBuf>, ConfigError> {
        self.get(key, |v| value::text(v).map(PathBuf::from))
    }
}

/// Builds and validates the settings of one session.
pub(crate) fn build(section: &Section, file: &str) -> Result<SessionSettings, ConfigError> {
    let r = Reader { section, file };
    const EVERY: &str = "in every [SESSION] (or [DEFAULT])";
    let mut id = SessionId::new(
        r.require("BeginString", EVERY, value::begin_string)?,
        r.require("SenderCompID", EVERY, value::text)?,
        r.require("TargetCompID", EVERY, value::text)?,
    );
    id.sender_sub_id = r.optional_text("SenderSubID");
    id.sender_location_id = r.optional_text("SenderLocationID");
    id.target_sub_id = r.optional_text("TargetSubID");
    id.target_location_id = r.optional_text("TargetLocationID");
    id.qualifier = r.optional_text("SessionQualifier");
    let role = r.require("ConnectionType", EVERY, value::role)?;

    let mut s = match role {
        Role::Initiator => {
            let network = NetworkSettings {
                connect: connect_addresses(&r)?,
                ..NetworkSettings::default()
            };
            SessionSettings::with_role(id, Role::Initiator, network)
        }
        Role::Acceptor => {
            let port = r.require("SocketAcceptPort", "for an acceptor", |v| {
                value::port(v, true)
            })?;
            let network = NetworkSettings {
                accept_host: r.get("SocketAcceptHost", value::text)?,
                accept_port: Some(port),
                ..NetworkSettings::default()
            };
            SessionSettings::with_role(id, Role::Acceptor, network)
        }
    };
    r.set(
        "SocketReuseAddress",
        &mut s.network.reuse_address,
        value::boolean,
    )?;
    r.set("SocketNodelay", &mut s.network.nodelay, value::boolean)?;
    r.set(
        "SocketAcceptRetryTimeout",
        &mut s.network.accept_retry_timeout,
        |v| value::non_negative(v).map(Duration::from_secs),
    )?;
    socket_options(&r, &mut s)?;

    let t = &mut s.timing;
    t.heartbeat_interval = r.get("HeartBtInt", value::seconds)?;
    if role == Role::Initiator && t.heartbeat_interval.is_none() {
        return Err(r.missing("HeartBtInt", "for an initiator"));
    }
    r.set(
        "ReconnectInterval",
        &mut t.reconnect_interval,
        value::seconds,
    )?;
    t.reconnect_max_interval = r.get("ReconnectMaxInterval", value::seconds)?;
    r.set("LogonTimeout", &mut t.logon_timeout, value::seconds)?;
    r.set("LogoutTimeout", &mut t.logout_timeout, value::seconds)?;

    r.set("ResetOnLogon", &mut s.reset.on_logon, value::boolean)?;
    r.set("ResetOnLogout", &mut s.reset.on_logout, value::boolean)?;
    r.set(
        "ResetOnDisconnect",
        &mut s.reset.on_disconnect,
        value::boolean,
    )?;
    r.set(
        "RefreshOnLogon",
        &mut s.reset.refresh_on_logon,
        value::boolean,
    )?;

    let v = &mut s.validation;
    r.set(
        "UseDataDictionary",
        &mut v.use_data_dictionary,
        value::boolean,
    )?;
    r.set(
        "ValidateFieldsHaveValues",
        &mut v.fields_have_values,
        value::boolean,
    )?;
    r.set(
        "ValidateFieldsOutOfOrder",
        &mut v.fields_out_of_order,
        value::boolean,
    )?;
    r.set(
        "ValidateUserDefinedFields",
        &mut v.user_defined_fields,
        value::boolean,
    )?;
    r.set(
        "AllowUnknownMsgFields",
        &mut v.allow_unknown_msg_fields,
        value::boolean,
    )?;
    r.set("CheckCompID", &mut v.check_comp_id, value::boolean)?;
    r.set("CheckLatency", &mut v.check_latency, value::boolean)?;
    r.set("MaxLatency", &mut v.max_latency, value::seconds)?;
    validation::switches(&r, v)?;

    dictionaries(&r, &mut s)?;

    let m = &mut s.messages;
    if let Some(p) = r.get("TimestampPrecision", value::timestamp_precision)? {
        m.timestamp_precision = p;
    } else if r.get("MillisecondsInTimeStamp", value::boolean)? == Some(false) {
        m.timestamp_precision = TimePrecision::Seconds;
    }
    r.set(
        "ResendRequestChunkSize",
        &mut m.resend_request_chunk_size,
        |v| {
            value::non_negative(v)
                .and_then(|n| u32::try_from(n).map_err(|_| "a non-negative integer"))
        },
    )?;
    r.set(
        "SendRedundantResendRequests",
        &mut m.send_redundant_resend_requests,
        value::boolean,
    )?;

    policy::policy(&r, &mut s.policy)?;
    store::store(&r, &mut s.store)?;
    log_settings(&r, &mut s)?;
    no_effect(&r)?;

    s.reactor.core = r.get("ReactorCore", |v| {
        value::non_negative(v).and_then(|n| usize::try_from(n).map_err(|_| "a core number"))
    })?;
    r.set("ReactorMode", &mut s.reactor.mode, value::reactor_mode)?;
    r.set(
        "MaxOutboundQueueBytes",
        &mut s.reactor.max_outbound_queue_bytes,
        |v| value::positive(v).and_then(|n| usize::try_from(n).map_err(|_| "a positive integer")),
    )?;
    r.set(
        "OutboundCalmPeriod",
        &mut s.reactor.outbound_calm,
        value::millis,
    )?;
    s.reactor.max_connections = r.get("MaxConnections", |v| {
        value::positive(v)
            .ok()
            .and_then(|n| usize::try_from(n).ok())
            .filter(|n| *n <= super::settings::MAX_CONNECTIONS_LIMIT)
            .ok_or("an integer from 1 to 1048576")
    })?;
    r.set(
        "StopOnFatalError",
        &mut s.stop_on_fatal_error,
        value::boolean,
    )?;
    s.metrics_listen = r.get("MetricsListen", value::host_port)?;

    tls_settings(&r, &mut s)?;

    s.schedule = super::build_schedule::schedule(&r)?;
    s.ha = super::ha::read(&r, &s)?;
    super::security::read(&r, &mut s)?;

    s.validate().map_err(|e| ConfigError {
        location: r.location(section.line),
        key: None,
        kind: ErrorKind::Invalid(e),
    })?;
    Ok(s)
}

/// `SocketConnectHost`/`Port`, then the failovers `SocketConnectHost1`/
/// `Port1`, ... numbered without gaps.
fn connect_addresses(r: &Reader<'_>) -> Result<Vec<HostPort>, ConfigError> {
    const WHY: &str = "for an initiator";
    let mut out = vec![HostPort {
        host: r.require("SocketConnectHost", WHY, value::text)?,
        port: r.require("SocketConnectPort", WHY, |v| value::port(v, false))?,
    }];
    for n in 1.. {
        let suffix = n.to_string();
        let host = r.section.get_suffixed("SocketConnectHost", &suffix);
        let port = r.section.get_suffixed("SocketConnectPort", &suffix);
        match (host, port) {
            (None, None) => break,
            (Some(h), Some(p)) => out.push(HostPort {
                host: r.parse(h, value::text)?,
                port: r.parse(p, |v| value::port(v, false))?,
            }),
            (Some(h), None) | (None, Some(h)) => {
                return Err(ConfigError {
                    location: r.location(h.line),
                    key: Some(h.spelled.clone()),
                    kind: ErrorKind::BadValue {
                        expected: "a SocketConnectHost<n> and SocketConnectPort<n> pair",
                        got: h.value.clone(),
                    },
                })
            }
        }
    }
    // Every numbered key must have been consumed: no gaps, no `0`.
    let pairs = out.len() - 1;
    let stray = r.section.entries.iter().find(|e| {
        (e.key.canonical.starts_with("SocketConnect") || e.key.canonical.starts_with("SocketLocal"))
            && !e.key.suffix.is_empty()
            && !matches!(e.key.suffix.parse::<usize>(), Ok(n) if (1..=pairs).contains(&n) && e.key.suffix == n.to_string())
    });
    if let Some(e) = stray {
        return Err(ConfigError {
            location: r.location(e.line),
            key: Some(e.spelled.clone()),
            kind: ErrorKind::BadValue {
                expected: "failover addresses numbered 1, 2, ... without gaps",
                got: e.value.clone(),
            },
        });
    }
    Ok(out)
}

/// The TLS keys, QuickFIX C++ and QuickFIX/J spellings; contradictions
/// are errors naming the key.
fn tls_settings(r: &Reader<'_>, s: &mut SessionSettings) -> Result<(), ConfigError> {
    let tls = &mut s.tls;
    r.set("SocketUseSSL", &mut tls.enabled, value::boolean)?;
    tls.server_certificate_file = r.path("ServerCertificateFile")?;
    tls.server_certificate_key_file = r.path("ServerCertificateKeyFile")?;
    tls.client_certificate_file = r.path("ClientCertificateFile")?;
    tls.client_certificate_key_file = r.path("ClientCertificateKeyFile")?;
    tls.certificate_authorities_file = r.path("CertificateAuthoritiesFile")?;
    tls.certificate_authorities_directory = r.path("CertificateAuthoritiesDirectory")?;
    tls.certificate_revocation_list_file = r.path("CertificateRevocationListFile")?;
    tls.certificate_revocation_list_directory = r.path("CertificateRevocationListDirectory")?;
    let level = r.get("CertificateVerifyLevel", value::verify_level)?;
    if let Some(l) = level {
        tls.verify_level = l;
    }
    tls.server_name = r.get("SSLServerName", value::text)?;
    tls.use_sni = r.get("UseSNI", value::boolean)?;
    tls.sni_host_name = r.get("SNIHostName", value::text)?;
    let cpp = r.get("SSLProtocol", super::tls::ssl_protocol)?;
    let java = r.get("EnabledProtocols", super::tls::enabled_protocols)?;
    if let (Some(a), Some(b)) = (&cpp, &java) {
        if a != b {
            return Err(r.contradiction("EnabledProtocols", "SSLProtocol allows other versions"));
        }
    }
    tls.protocols = cpp.or(java);
    let cpp = r.get("SSLCipherSuite", super::tls::ssl_cipher_suite)?;
    let java = r.get("CipherSuites", super::tls::cipher_suites)?;
    if cpp.is_some() && java.is_some() {
        return Err(r.contradiction(
            "CipherSuites",
            "set SSLCipherSuite (OpenSSL syntax) or CipherSuites (JSSE names), not both",
        ));
    }
    let cipher_key = if cpp.is_some() {
        "SSLCipherSuite"
    } else {
        "CipherSuites"
    };
    let java_set = java.is_some();
    tls.cipher_suites = cpp.or(java);
    transport::tls13_suites(r, tls, java_set)?;
    transport::endpoint_identification(r, tls)?;
    if let Some(suites) = &tls.cipher_suites {
        let versions = tls
            .protocols
            .clone()
            .unwrap_or(vec![TlsVersion::Tls12, TlsVersion::Tls13]);
        let usable = suites
            .iter()
            .any(|c| versions.iter().any(|v| super::tls::suite_speaks(*c, *v)));
        if !usable {
            return Err(r.contradiction(
                cipher_key,
                "no cipher suite left for the TLS versions allowed",
            ));
        }
    }
    if let Some(need) = r.get("NeedClientAuth", value::boolean)? {
        match (need, level) {
            (true, None) => tls.verify_level = 2,
            (true, Some(l)) if l < 2 => {
                return Err(r.contradiction(
                    "NeedClientAuth",
                    "NeedClientAuth=Y requires a client certificate; CertificateVerifyLevel below 2 does not",
                ))
            }
            (false, Some(l)) if l >= 2 => {
                return Err(r.contradiction(
                    "NeedClientAuth",
                    "NeedClientAuth=N contradicts CertificateVerifyLevel 2 (certificate required)",
                ))
            }
            _ => {}
        }
    }
    if r.get("SSLValidateCertificates", value::boolean)? == Some(false) {
        if s.role == Role::Acceptor && tls.verify_level > 0 {
            return Err(r.contradiction(
                "SSLValidateCertificates",
                "SSLValidateCertificates=N contradicts checking client certificates \
                 (CertificateVerifyLevel or NeedClientAuth)",
            ));
        }
        tls.skip_certificate_validation = true;
    }
    tls.check_revocation = r.get("SSLCheckCertificateRevocation", value::boolean)?;
    if tls.check_revocation == Some(true) && s.role == Role::Acceptor && tls.verify_level == 0 {
        return Err(r.contradiction(
            "SSLCheckCertificateRevocation",
            "revocation is checked on client certificates: set CertificateVerifyLevel or \
             NeedClientAuth",
        ));
    }
    if tls.check_revocation == Some(true)
        && tls.certificate_revocation_list_file.is_none()
        && tls.certificate_revocation_list_directory.is_none()
    {
        return Err(r.contradiction(
            "SSLCheckCertificateRevocation",
            "revocation is checked against CertificateRevocationListFile or \
             CertificateRevocationListDirectory (no OCSP): set one",
        ));
    }
    Ok(())
}

/// The `Socket*` options and `AllowedRemoteAddresses`.
fn socket_options(r: &Reader<'_>, s: &mut SessionSettings) -> Result<(), ConfigError> {
    let n = &mut s.network;
    n.connect_timeout = r.get("SocketConnectTimeout", value::seconds)?;
    n.send_buffer_size = r.get("SocketSendBufferSize", value::buffer_size)?.flatten();
    n.receive_buffer_size = r
        .get("SocketReceiveBufferSize", value::buffer_size)?
        .flatten();
    r.set("SocketKeepAlive", &mut n.keepalive, value::boolean)?;
    n.linger = r.get("SocketLinger", value::linger)?.flatten();
    n.traffic_class = r.get("SocketTrafficClass", value::traffic_class)?;
    n.allowed_remote_addresses = r.get("AllowedRemoteAddresses", value::list)?;
    transport::socket(r, n)?;
    if s.role == Role::Initiator {
        let mut sources = Vec::with_capacity(n.connect.len());
        for i in 0..n.connect.len() {
            let suffix = if i == 0 { String::new() } else { i.to_string() };
            let numbered = source_address(r, &suffix)?;
            sources.push(match numbered {
                None if i > 0 => source_address(r, "")?,
                other => other,
            });
        }
        n.connect_source = sources;
    }
    Ok(())
}

/// `SocketConnectSourceHost`/`Port` (QuickFIX C++) or `SocketLocalHost`/
/// `Port` (QuickFIX/J) with this failover suffix; both spellings of one
/// must agree.
fn source_address(r: &Reader<'_>, suffix: &str) -> Result<Option<SourceAddress>, ConfigError> {
    let either = |cpp: &str, j: &str| -> Result<Option<&Entry>, ConfigError> {
        let (a, b) = (
            r.section.get_suffixed(cpp, suffix),
            r.section.get_suffixed(j, suffix),
        );
        match (a, b) {
            (Some(a), Some(b)) if a.value != b.value => Err(ConfigError {
                location: r.location(b.line),
                key: Some(b.spelled.clone()),
                kind: ErrorKind::BadValue {
                    expected: "the same value as the other spelling of this key",
                    got: format!("{}={}, {}={}", a.spelled, a.value, b.spelled, b.value),
                },
            }),
            (a, b) => Ok(a.or(b)),
        }
    };
    let host = either("SocketConnectSourceHost", "SocketLocalHost")?
        .map(|e| r.parse(e, value::text))
        .transpose()?;
    let port = either("SocketConnectSourcePort", "SocketLocalPort")?
        .map(|e| r.parse(e, |v| value::port(v, true)))
        .transpose()?;
    Ok((host.is_some() || port.is_some()).then(|| SourceAddress {
        host,
        port: port.unwrap_or(0),
    }))
}

fn dictionaries(r: &Reader<'_>, s: &mut SessionSettings) -> Result<(), ConfigError> {
    let d = &mut s.dictionaries;
    if s.id.is_fixt() {
        if let Some(e) = r.section.get("DataDictionary").filter(|e| !e.from_default) {
            return Err(ConfigError {
                location: r.location(e.line),
                key: Some(e.spelled.clone()),
                kind: ErrorKind::BadValue {
                    expected: "no DataDictionary in a FIXT.1.1 session (use TransportDataDictionary and AppDataDictionary)",
                    got: e.value.clone(),
                },
            });
        }
        d.default_appl_ver_id = r.get("DefaultApplVerID", value::appl_ver_id)?;
        d.transport_data_dictionary = r.path("TransportDataDictionary")?;
        d.app_data_dictionary = r.path("AppDataDictionary")?;
        for e in &r.section.entries {
            if e.key.canonical == "AppDataDictionary" && !e.key.suffix.is_empty() {
                let path = r.parse(e, |v| value::text(v).map(PathBuf::from))?;
                d.app_data_dictionaries.push((e.key.suffix.clone(), path));
            }
        }
    } else {
        d.data_dictionary = r.path("DataDictionary")?;
    }
    Ok(())
}

fn log_settings(r: &Reader<'_>, s: &mut SessionSettings) -> Result<(), ConfigError> {
    let log = &mut s.log;
    log.file_log_backup_path = r.path("FileLogBackupPath")?;
    r.set(
        "FileLogHeartbeats",
        &mut log.file_heartbeats,
        value::boolean,
    )?;
    r.set(
        "FileIncludeMilliseconds",
        &mut log.file_millis,
        value::boolean,
    )?;
    r.set(
        "FileIncludeTimeStampForMessages",
        &mut log.file_message_timestamps,
        value::boolean,
    )?;
    const SCREEN: [&str; 5] = [
        "ScreenLogShowIncoming",
        "ScreenLogShowOutgoing",
        "ScreenLogShowEvents",
        "ScreenLogShowHeartBeats",
        "ScreenIncludeMilliseconds",
    ];
    if SCREEN.iter().any(|k| r.section.get(k).is_some()) {
        let mut screen = ScreenLogSettings::default();
        let slots = [
            &mut screen.incoming,
            &mut screen.outgoing,
            &mut screen.events,
            &mut screen.heartbeats,
            &mut screen.millis,
        ];
        for (key, slot) in SCREEN.iter().zip(slots) {
            r.set(key, slot, value::boolean)?;
        }
        log.screen = Some(screen);
    }
    Ok(())
}

/// Keys without effect still get their values checked, as QuickFIX would.
fn no_effect(r: &Reader<'_>) -> Result<(), ConfigError> {
    r.get("ThreadModel", |v| match v {
        "ThreadPerConnector" | "ThreadPerSession" => Ok(()),
        _ => Err("ThreadPerConnector or ThreadPerSession"),
    })?;
    r.get("OnlyUseOneThread", value::boolean)?;
    r.get("MaxScheduledWriteRequests", value::non_negative)?;
    r.get("SendResetSeqNumFlag", value::boolean)?;
    Ok(())
}
