//! Typed per-session settings, with QuickFIX defaults.

use std::path::PathBuf;
use std::time::Duration;

use super::error::SettingsError;
use super::schedule::Schedule;
use super::session_id::{SessionId, BEGIN_STRINGS};
use super::tls::TlsVersion;
use ringfix_codec::TimePrecision;

mod log;
mod policy;
mod store;
mod validation;
pub use log::{LogSettings, ScreenLogSettings};
pub use policy::{multiplier_text, ErrorAction, PolicySettings, MULTIPLIER_SCALE};
pub use store::{StoreSettings, DEFAULT_SEGMENT_BYTES};
pub use validation::ValidationSettings;

/// Default `MaxOutboundQueueBytes`: 8 MiB.
pub const DEFAULT_MAX_OUTBOUND_QUEUE_BYTES: usize = 8 * 1024 * 1024;

/// Reconnect backoff cap when `ReconnectMaxInterval` is not set: this many
/// times `ReconnectInterval`.
pub const DEFAULT_RECONNECT_CAP_FACTOR: u32 = 30;

/// Which side opens the connection (`ConnectionType`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Connects out and sends the first Logon.
    Initiator,
    /// Listens and answers Logons.
    Acceptor,
}

/// One `SocketConnectHost`/`SocketConnectPort` pair.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct HostPort {
    /// Host name or IP address.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

/// Sockets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NetworkSettings {
    /// Initiator: addresses to try in order (primary, then
    /// `SocketConnectHost1`/`Port1`, ...).
    pub connect: Vec<HostPort>,
    /// Acceptor: address to bind (`SocketAcceptHost`); all interfaces if
    /// `None`.
    pub accept_host: Option<String>,
    /// Acceptor: port to bind (`SocketAcceptPort`; 0 = any free port).
    pub accept_port: Option<u16>,
    /// `SocketReuseAddress` (default Y).
    pub reuse_address: bool,
    /// `SocketNodelay`: disable Nagle (default Y).
    pub nodelay: bool,
    /// `SocketAcceptRetryTimeout` (ringfix, seconds, default 5): an
    /// acceptor whose address is in use at start keeps retrying the bind
    /// this long (a crashed predecessor's socket lingers while the kernel
    /// tears it down), then start-up fails.
    pub accept_retry_timeout: Duration,
    /// Initiator: the local address to bind before connecting, per entry
    /// of `connect` (`SocketConnectSourceHost`/`Port` as QuickFIX C++,
    /// `SocketLocalHost`/`Port` as QuickFIX/J, numbered like the connect
    /// addresses; an unnumbered one applies to every address). `None`:
    /// any.
    pub connect_source: Vec<Option<SourceAddress>>,
    /// `SocketConnectTimeout` (QuickFIX/J, seconds): the Connect's linked
    /// timeout. `None`: `LogonTimeout`.
    pub connect_timeout: Option<Duration>,
    /// `SocketSendBufferSize` (bytes; SO_SNDBUF). `None`: system default.
    pub send_buffer_size: Option<usize>,
    /// `SocketReceiveBufferSize` (bytes; SO_RCVBUF). `None`: system default.
    pub receive_buffer_size: Option<usize>,
    /// `SocketKeepAlive` (QuickFIX/J): SO_KEEPALIVE.
    pub keepalive: bool,
    /// `SocketLinger` (QuickFIX/J, seconds; negative: off): SO_LINGER.
    pub linger: Option<Duration>,
    /// `SocketTrafficClass` (QuickFIX/J): IP_TOS / IPV6_TCLASS.
    pub traffic_class: Option<u8>,
    /// `AllowedRemoteAddresses`: host names or IP addresses, resolved at
    /// start; an acceptor closes any other peer at accept. `None`: anyone.
    pub allowed_remote_addresses: Option<Vec<String>>,
    /// `SocketOobInline` (QuickFIX/J): SO_OOBINLINE, urgent data read in line.
    pub oob_inline: bool,
    /// `SocketSynchronousWrites` (QuickFIX/J): a write not completed within
    /// `synchronous_write_timeout` disconnects.
    pub synchronous_writes: bool,
    /// `SocketSynchronousWriteTimeout` (QuickFIX/J, milliseconds, default
    /// 10000).
    pub synchronous_write_timeout: Duration,
}

/// Default `SocketSynchronousWriteTimeout` (QuickFIX/J's).
pub const DEFAULT_SYNCHRONOUS_WRITE_TIMEOUT: Duration = Duration::from_millis(10_000);

/// A local address to bind an initiator's socket to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SourceAddress {
    /// Host name or IP address; `None`: any interface.
    pub host: Option<String>,
    /// Port; 0: any.
    pub port: u16,
}

/// Default `SocketAcceptRetryTimeout`.
pub const DEFAULT_ACCEPT_RETRY_TIMEOUT: Duration = Duration::from_secs(5);

/// Timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimingSettings {
    /// `HeartBtInt`; required for initiators, acceptors take the peer's.
    pub heartbeat_interval: Option<Duration>,
    /// `ReconnectInterval` (default 30 s): the first reconnect delay.
    pub reconnect_interval: Duration,
    /// `ReconnectMaxInterval` (ringfix): the backoff cap; `None` means
    /// [`DEFAULT_RECONNECT_CAP_FACTOR`] × `reconnect_interval`.
    pub reconnect_max_interval: Option<Duration>,
    /// `LogonTimeout` (default 10 s).
    pub logon_timeout: Duration,
    /// `LogoutTimeout` (default 2 s).
    pub logout_timeout: Duration,
}

impl TimingSettings {
    /// The reconnect backoff cap in effect.
    pub fn reconnect_cap(&self) -> Duration {
        self.reconnect_max_interval.unwrap_or_else(|| {
            self.reconnect_interval
                .saturating_mul(DEFAULT_RECONNECT_CAP_FACTOR)
        })
    }
}

/// When sequence numbers are reset or reloaded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ResetSettings {
    /// `ResetOnLogon`.
    pub on_logon: bool,
    /// `ResetOnLogout`.
    pub on_logout: bool,
    /// `ResetOnDisconnect`.
    pub on_disconnect: bool,
    /// `RefreshOnLogon`: reload the store before logon.
    pub refresh_on_logon: bool,
}

/// ApplVerID (1128) values, as `DefaultApplVerID` accepts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ApplVerId {
    /// `0` / `FIX.2.7`.
    Fix27,
    /// `1` / `FIX.3.0`.
    Fix30,
    /// `2` / `FIX.4.0`.
    Fix40,
    /// `3` / `FIX.4.1`.
    Fix41,
    /// `4` / `FIX.4.2`.
    Fix42,
    /// `5` / `FIX.4.3`.
    Fix43,
    /// `6` / `FIX.4.4`.
    Fix44,
    /// `7` / `FIX.5.0`.
    Fix50,
    /// `8` / `FIX.5.0SP1`.
    Fix50Sp1,
    /// `9` / `FIX.5.0SP2`.
    Fix50Sp2,
}

const APPL_VER_IDS: &[(ApplVerId, &str, &str)] = &[
    (ApplVerId::Fix27, "0", "FIX.2.7"),
    (ApplVerId::Fix30, "1", "FIX.3.0"),
    (ApplVerId::Fix40, "2", "FIX.4.0"),
    (ApplVerId::Fix41, "3", "FIX.4.1"),
    (ApplVerId::Fix42, "4", "FIX.4.2"),
    (ApplVerId::Fix43, "5", "FIX.4.3"),
    (ApplVerId::Fix44, "6", "FIX.4.4"),
    (ApplVerId::Fix50, "7", "FIX.5.0"),
    (ApplVerId::Fix50Sp1, "8", "FIX.5.0SP1"),
    (ApplVerId::Fix50Sp2, "9", "FIX.5.0SP2"),
];

impl ApplVerId {
    /// Parses the code (`9`) or the name (`FIX.5.0SP2`).
    pub fn parse(s: &str) -> Option<Self> {
        APPL_VER_IDS
            .iter()
            .find(|(_, code, name)| *code == s || *name == s)
            .map(|(v, _, _)| *v)
    }

    /// The value of tag 1128/1137, e.g. `9`.
    pub fn code(self) -> &'static str {
        APPL_VER_IDS
            .iter()
            .find(|(v, _, _)| *v == self)
            .map_or("", |(_, code, _)| code)
    }

    /// The version name, e.g. `FIX.5.0SP2`.
    pub fn name(self) -> &'static str {
        APPL_VER_IDS
            .iter()
            .find(|(v, _, _)| *v == self)
            .map_or("", |(_, _, name)| name)
    }
}

/// Data dictionaries. Paths are kept as written (QuickFIX resolves them
/// against the working directory); `None` means the built-in dictionary
/// for the version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DictionarySettings {
    /// `DataDictionary` (FIX.4.x sessions).
    pub data_dictionary: Option<PathBuf>,
    /// `TransportDataDictionary` (FIXT.1.1 sessions).
    pub transport_data_dictionary: Option<PathBuf>,
    /// `AppDataDictionary` (FIXT.1.1 sessions, the default application
    /// version).
    pub app_data_dictionary: Option<PathBuf>,
    /// `AppDataDictionary.<version>`: dictionaries for other application
    /// versions, keyed by the suffix as written (e.g. `FIX.5.0SP1`).
    pub app_data_dictionaries: Vec<(String, PathBuf)>,
    /// `DefaultApplVerID`; required for FIXT.1.1.
    pub default_appl_ver_id: Option<ApplVerId>,
}

/// Outbound message behaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MessageSettings {
    /// `TimestampPrecision` (or `MillisecondsInTimeStamp=N` for 0).
    pub timestamp_precision: TimePrecision,
    /// `ResendRequestChunkSize`: largest range per ResendRequest; 0 means
    /// unlimited (default).
    pub resend_request_chunk_size: u32,
    /// `SendRedundantResendRequests` (default N).
    pub send_redundant_resend_requests: bool,
}

impl Default for MessageSettings {
    fn default() -> Self {
        Self {
            timestamp_precision: TimePrecision::Millis,
            resend_request_chunk_size: 0,
            send_redundant_resend_requests: false,
        }
    }
}

/// How the reactor thread waits (`ReactorMode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ReactorMode {
    /// Busy-poll the ring: lowest latency, burns the core.
    Spin,
    /// Block in `io_uring_enter` until work arrives (default).
    #[default]
    Block,
}

/// Reactor placement (ringfix keys).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReactorSettings {
    /// `ReactorCore`: CPU core to pin to; sessions with the same core share
    /// a reactor. `None`: not pinned, default reactor.
    pub core: Option<usize>,
    /// `ReactorMode` (default block).
    pub mode: ReactorMode,
    /// `MaxOutboundQueueBytes` (default 8 MiB): outbound bytes queued
    /// before sends are refused.
    pub max_outbound_queue_bytes: usize,
    /// `OutboundCalmPeriod` (milliseconds, default 1000): outbound buffers
    /// grown by a backlog are given back once drained and calm this long;
    /// the shortest among a reactor's sessions applies.
    pub outbound_calm: std::time::Duration,
    /// `MaxConnections` (1..=[`MAX_CONNECTIONS_LIMIT`]): connections, logged
    /// on or not, the session's reactor holds at once; the largest value
    /// among a reactor's sessions applies. An accepted connection beyond
    /// it is closed at once (logged). Memory is taken as connections come,
    /// in chunks of 64 (64 KiB receive buffer each). `None`: the larger of
    /// 4 per session and [`DEFAULT_MAX_CONNECTIONS`].
    pub max_connections: Option<usize>,
}

/// `MaxConnections` when not set (the floor; 4 per session above it).
pub const DEFAULT_MAX_CONNECTIONS: usize = 1024;
/// Largest `MaxConnections`.
pub const MAX_CONNECTIONS_LIMIT: usize = 1 << 20;

impl Default for ReactorSettings {
    fn default() -> Self {
        Self {
            core: None,
            mode: ReactorMode::Block,
            max_outbound_queue_bytes: DEFAULT_MAX_OUTBOUND_QUEUE_BYTES,
            outbound_calm: std::time::Duration::from_secs(1),
            max_connections: None,
        }
    }
}

/// TLS (QuickFIX C++ key names).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// `SocketUseSSL`.
    pub enabled: bool,
    /// `ServerCertificateFile` (acceptor, PEM).
    pub server_certificate_file: Option<PathBuf>,
    /// `ServerCertificateKeyFile` (acceptor; the key may be in the
    /// certificate file).
    pub server_certificate_key_file: Option<PathBuf>,
    /// `ClientCertificateFile` (initiator, PEM).
    pub client_certificate_file: Option<PathBuf>,
    /// `ClientCertificateKeyFile`.
    pub client_certificate_key_file: Option<PathBuf>,
    /// `CertificateAuthoritiesFile`: trusted CAs (PEM).
    pub certificate_authorities_file: Option<PathBuf>,
    /// `CertificateVerifyLevel` as QuickFIX C++ (0 = do not verify the
    /// peer's certificate).
    pub verify_level: u8,
    /// `SSLServerName`: SNI and name checked in the server certificate.
    pub server_name: Option<String>,
    /// `SSLProtocol` (QuickFIX C++) or `EnabledProtocols` (QuickFIX/J):
    /// the versions allowed. `None`: TLS 1.2 and 1.3.
    pub protocols: Option<Vec<TlsVersion>>,
    /// `SSLCipherSuite` (QuickFIX C++, OpenSSL syntax, TLS 1.2 suites) or
    /// `CipherSuites` (QuickFIX/J): the suites allowed (IANA codes), in
    /// order of preference. `None`: rustls' defaults.
    pub cipher_suites: Option<Vec<u16>>,
    /// `UseSNI` (QuickFIX/J, initiator): `Some(false)` sends no server
    /// name. `None`: the checked name is sent, as before.
    pub use_sni: Option<bool>,
    /// `SNIHostName` (QuickFIX/J, initiator): the server name to send
    /// (the certificate is still checked against `SSLServerName` or the
    /// connect host).
    pub sni_host_name: Option<String>,
    /// `SSLValidateCertificates=N`: the peer's certificate is not verified
    /// (a warning at start).
    pub skip_certificate_validation: bool,
    /// `EndpointIdentificationAlgorithm` empty (QuickFIX/J, initiator): the
    /// server's certificate is verified but not its host name.
    pub skip_host_name_check: bool,
    /// `SSLCheckCertificateRevocation`: `Some(true)` needs a CRL file or
    /// directory, `Some(false)` ignores them; `None`: checked whenever
    /// CRLs are given.
    pub check_revocation: Option<bool>,
    /// `CertificateAuthoritiesDirectory`: every PEM certificate of every
    /// file in it is trusted (beside `CertificateAuthoritiesFile`).
    pub certificate_authorities_directory: Option<PathBuf>,
    /// `CertificateRevocationListFile`: PEM CRLs.
    pub certificate_revocation_list_file: Option<PathBuf>,
    /// `CertificateRevocationListDirectory`: every PEM CRL of every file in it.
    pub certificate_revocation_list_directory: Option<PathBuf>,
}

impl TlsSettings {
    /// Whether revocation is checked: CRLs given and not switched off.
    pub fn checks_revocation(&self) -> bool {
        self.check_revocation != Some(false)
            && (self.certificate_revocation_list_file.is_some()
                || self.certificate_revocation_list_directory.is_some())
    }
}

/// Everything about one session.
#[derive(Clone, Debug, PartialEq)]
pub struct SessionSettings {
    /// Who the session is.
    pub id: SessionId,
    /// `ConnectionType`.
    pub role: Role,
    /// Sockets.
    pub network: NetworkSettings,
    /// Timers.
    pub timing: TimingSettings,
    /// Sequence resets.
    pub reset: ResetSettings,
    /// Inbound validation.
    pub validation: ValidationSettings,
    /// Data dictionaries and `DefaultApplVerID`.
    pub dictionaries: DictionarySettings,
    /// Outbound message behaviour.
    pub messages: MessageSettings,
    /// Session-layer policies (789, 369, errors, heartbeat multipliers).
    pub policy: PolicySettings,
    /// Store and log.
    pub store: StoreSettings,
    /// What the logs write.
    pub log: LogSettings,
    /// Reactor placement.
    pub reactor: ReactorSettings,
    /// TLS.
    pub tls: TlsSettings,
    /// When the session is active.
    pub schedule: Schedule,
    /// `StopOnFatalError` (ringfix, default N): after a fatal error the
    /// session stops instead of reconnecting.
    pub stop_on_fatal_error: bool,
    /// `MetricsListen=HOST:PORT` (ringfix, engine-wide: the same in every
    /// session that sets it): serve `GET /metrics` (Prometheus) and
    /// `GET /health` there.
    pub metrics_listen: Option<HostPort>,
    /// Hot standby (`HaEnabled` and the other `Ha*` keys).
    pub ha: super::ha::HaSettings,
    /// Logon authentication and redaction.
    pub security: super::security::SecuritySettings,
}

impl Default for NetworkSettings {
    fn default() -> Self {
        Self {
            connect: Vec::new(),
            accept_host: None,
            accept_port: None,
            reuse_address: true,
            nodelay: true,
            accept_retry_timeout: DEFAULT_ACCEPT_RETRY_TIMEOUT,
            connect_source: Vec::new(),
            connect_timeout: None,
            send_buffer_size: None,
            receive_buffer_size: None,
            keepalive: false,
            linger: None,
            traffic_class: None,
            allowed_remote_addresses: None,
            oob_inline: false,
            synchronous_writes: false,
            synchronous_write_timeout: DEFAULT_SYNCHRONOUS_WRITE_TIMEOUT,
        }
    }
}

impl SessionSettings {
    /// Settings with QuickFIX defaults for everything but `network`.
    pub(crate) fn with_role(id: SessionId, role: Role, network: NetworkSettings) -> Self {
        Self {
            id,
            role,
            network,
            timing: TimingSettings {
                heartbeat_interval: None,
                reconnect_interval: Duration::from_secs(30),
                reconnect_max_interval: None,
                logon_timeout: Duration::from_secs(10),
                logout_timeout: Duration::from_secs(2),
            },
            reset: ResetSettings::default(),
            validation: ValidationSettings::default(),
            dictionaries: DictionarySettings::default(),
            messages: MessageSettings::default(),
            policy: PolicySettings::default(),
            store: StoreSettings {
                persist_messages: true,
                ..StoreSettings::default()
            },
            log: LogSettings::default(),
            reactor: ReactorSettings::default(),
            tls: TlsSettings::default(),
            schedule: Schedule::non_stop(),
            stop_on_fatal_error: false,
            metrics_listen: None,
            ha: super::ha::HaSettings::default(),
            security: super::security::SecuritySettings::default(),
        }
    }

    /// An initiator connecting to `host:port` with this heartbeat interval;
    /// every other setting at its QuickFIX default and a non-stop schedule.
    /// Fields are public: adjust them, then call [`validate`](Self::validate).
    pub fn initiator(
        id: SessionId,
        host: impl Into<String>,
        port: u16,
        heartbeat_interval: Duration,
    ) -> Self {
        let network = NetworkSettings {
            connect: vec![HostPort {
                host: host.into(),
                port,
            }],
            ..NetworkSettings::default()
        };
        let mut s = Self::with_role(id, Role::Initiator, network);
        s.timing.heartbeat_interval = Some(heartbeat_interval);
        s
    }

    /// An acceptor listening on `port` (all interfaces); defaults as
    /// [`initiator`](Self::initiator).
    pub fn acceptor(id: SessionId, port: u16) -> Self {
        let network = NetworkSettings {
            accept_port: Some(port),
            ..NetworkSettings::default()
        };
        Self::with_role(id, Role::Acceptor, network)
    }

    /// Checks the rules between settings: an initiator needs a connect
    /// address and a positive HeartBtInt, an acceptor a port, FIXT.1.1 a
    /// DefaultApplVerID, and so on.
    pub fn validate(&self) -> Result<(), SettingsError> {
        let session = || self.id.to_string();
        let missing = |key, why| SettingsError::Missing {
            session: session(),
            key,
            why,
        };
        let bad = |message: String| SettingsError::Inconsistent {
            session: session(),
            message,
        };
        if !BEGIN_STRINGS.contains(&self.id.begin_string.as_str()) {
            return Err(bad(format!(
                "BeginString {:?} is not one of {}",
                self.id.begin_string,
                BEGIN_STRINGS.join(", ")
            )));
        }
        if self.id.sender_comp_id.is_empty() {
            return Err(missing("SenderCompID", "for every session"));
        }
        if self.id.target_comp_id.is_empty() {
            return Err(missing("TargetCompID", "for every session"));
        }
        if self.id.is_fixt() && self.dictionaries.default_appl_ver_id.is_none() {
            return Err(missing("DefaultApplVerID", "for FIXT.1.1"));
        }
        match self.role {
            Role::Initiator => {
                if self.network.connect.is_empty() {
                    return Err(missing("SocketConnectHost", "for an initiator"));
                }
                if self.network.connect.iter().any(|hp| hp.port == 0) {
                    return Err(bad("SocketConnectPort must not be 0".into()));
                }
                match self.timing.heartbeat_interval {
                    None => return Err(missing("HeartBtInt", "for an initiator")),
                    Some(d) if d.is_zero() => {
                        return Err(bad("HeartBtInt must be positive".into()))
                    }
                    Some(_) => {}
                }
            }
            Role::Acceptor => {
                if self.network.accept_port.is_none() {
                    return Err(missing("SocketAcceptPort", "for an acceptor"));
                }
                if self.tls.enabled && self.tls.server_certificate_file.is_none() {
                    return Err(missing("ServerCertificateFile", "for a TLS acceptor"));
                }
            }
        }
        if self.timing.reconnect_interval.is_zero() {
            return Err(bad("ReconnectInterval must be positive".into()));
        }
        if self.timing.reconnect_cap() < self.timing.reconnect_interval {
            return Err(bad(
                "ReconnectMaxInterval must not be below ReconnectInterval".into(),
            ));
        }
        if self.reactor.max_outbound_queue_bytes == 0 {
            return Err(bad("MaxOutboundQueueBytes must be positive".into()));
        }
        Ok(())
    }
}
