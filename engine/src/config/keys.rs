//! The keys ringfix reads and the keys QuickFIX (C++ and /J) documents.
//!
//! Keys compare case-insensitively, as QuickFIX C++ does (it upper-cases
//! them), so QuickFIX/J's `TimeStampPrecision` spelling works too.

/// Keys ringfix implements: typed, validated and used.
pub const IMPLEMENTED: &[&str] = &[
    // Session identity and role.
    "ConnectionType",
    "BeginString",
    "SenderCompID",
    "SenderSubID",
    "SenderLocationID",
    "TargetCompID",
    "TargetSubID",
    "TargetLocationID",
    "SessionQualifier",
    "DefaultApplVerID",
    // Network (SocketConnectHost<n>/SocketConnectPort<n> are failovers).
    "SocketConnectHost",
    "SocketConnectPort",
    "SocketAcceptHost",
    "SocketAcceptPort",
    "SocketReuseAddress",
    "SocketNodelay",
    "SocketConnectSourceHost",
    "SocketConnectSourcePort",
    "SocketLocalHost",
    "SocketLocalPort",
    "SocketConnectTimeout",
    "SocketSendBufferSize",
    "SocketReceiveBufferSize",
    "SocketKeepAlive",
    "SocketLinger",
    "SocketTrafficClass",
    "AllowedRemoteAddresses",
    "SocketConnectProtocol",
    "SocketAcceptProtocol",
    "SocketOobInline",
    "SocketSynchronousWrites",
    "SocketSynchronousWriteTimeout",
    // Timing.
    "HeartBtInt",
    "ReconnectInterval",
    "LogonTimeout",
    "LogoutTimeout",
    // Schedule.
    "StartTime",
    "EndTime",
    "StartDay",
    "EndDay",
    "TimeZone",
    "NonStopSession",
    "Weekdays",
    "UseLocalTime",
    "LogonTime",
    "LogoutTime",
    "LogonDay",
    "LogoutDay",
    // Sequence reset behaviour.
    "ResetOnLogon",
    "ResetOnLogout",
    "ResetOnDisconnect",
    "RefreshOnLogon",
    // Validation and dictionaries (AppDataDictionary.<BeginString> too).
    "UseDataDictionary",
    "DataDictionary",
    "TransportDataDictionary",
    "AppDataDictionary",
    "ValidateFieldsHaveValues",
    "ValidateFieldsOutOfOrder",
    "ValidateUserDefinedFields",
    "AllowUnknownMsgFields",
    "CheckCompID",
    "CheckLatency",
    "MaxLatency",
    "ValidateLengthAndChecksum",
    "ValidateChecksum",
    "ValidateIncomingMessage",
    "RejectInvalidMessage",
    "RejectGarbledMessage",
    "ValidateUnorderedGroupFields",
    "FirstFieldInGroupIsDelimiter",
    "IgnoreAbsenceOf141tag",
    "PreserveMessageFieldsOrder",
    // Messages.
    "TimestampPrecision",
    "MillisecondsInTimeStamp",
    "ResendRequestChunkSize",
    "SendRedundantResendRequests",
    // Session policies (LogonTag<n> are further Logon fields).
    "SendNextExpectedMsgSeqNum",
    "EnableNextExpectedMsgSeqNum",
    "EnableLastMsgSeqNumProcessed",
    "ResetOnError",
    "DisconnectOnError",
    "ValidateSequenceNumbers",
    "AllowPosDup",
    "RequiresOrigSendingTime",
    "ForceResendWhenCorruptedStore",
    "HeartBeatTimeoutMultiplier",
    "TestRequestDelayMultiplier",
    "DisableHeartBeatCheck",
    "ClosedResendInterval",
    "UseClosedResendInterval",
    "RejectMessageOnUnhandledException",
    "LogonTag",
    // Storage and logging.
    "PersistMessages",
    "FileStorePath",
    "FileLogPath",
    "FileLogBackupPath",
    "FileLogHeartbeats",
    "FileIncludeMilliseconds",
    "FileIncludeTimeStampForMessages",
    "ScreenLogShowIncoming",
    "ScreenLogShowOutgoing",
    "ScreenLogShowEvents",
    "ScreenLogShowHeartBeats",
    "ScreenIncludeMilliseconds",
    "FileStoreSync",
    "FileStoreBackupPath",
    // Start-up.
    "ContinueInitializationOnError",
    // TLS.
    "SocketUseSSL",
    "ServerCertificateFile",
    "ServerCertificateKeyFile",
    "ClientCertificateFile",
    "ClientCertificateKeyFile",
    "CertificateAuthoritiesFile",
    "CertificateVerifyLevel",
    "SSLServerName",
    "SSLProtocol",
    "EnabledProtocols",
    "SSLCipherSuite",
    "CipherSuites",
    "UseSNI",
    "SNIHostName",
    "NeedClientAuth",
    "SSLValidateCertificates",
    "SSLCheckCertificateRevocation",
    "CertificateAuthoritiesDirectory",
    "CertificateRevocationListFile",
    "CertificateRevocationListDirectory",
    "TLSCipherSuites",
    "EndpointIdentificationAlgorithm",
    // ringfix's own keys.
    "ReactorCore",
    "ReactorMode",
    "StoreFsync",
    "StoreSegmentSize",
    "StoreUpkeepThread",
    "FilePermissions",
    "MaxOutboundQueueBytes",
    "OutboundCalmPeriod",
    "MaxConnections",
    "StopOnFatalError",
    "ReconnectMaxInterval",
    "SocketAcceptRetryTimeout",
    "MetricsListen",
    // Hot standby (etcd leadership, replicated journal).
    "HaEnabled",
    "HaEtcdEndpoints",
    "HaNodeName",
    "HaLeaseTtl",
    "HaReplicationListen",
    "HaPeers",
    "HaReplication",
    "HaSyncTimeout",
    "HaMaxUnacked",
    // Logon authentication and secrets in logs.
    "LogonCredentialsFile",
    "MaxFailedLogonsPerMinute",
    "LogonUsername",
    "LogonPasswordFile",
    "RedactFieldsInLogs",
];

/// Other spellings of implemented keys (QuickFIX/J names), mapped to the
/// implemented key.
const ALIASES: &[(&str, &str)] = &[
    ("SocketTcpNoDelay", "SocketNodelay"),
    // QuickFIX C++ 1.16's spelling of its own constants.
    ("CertificationAuthoritiesFile", "CertificateAuthoritiesFile"),
    (
        "CertificationAuthoritiesDirectory",
        "CertificateAuthoritiesDirectory",
    ),
    ("SocketAcceptAddress", "SocketAcceptHost"),
    ("MaxMessagesInResendRequest", "ResendRequestChunkSize"),
    // QuickFIX/n's name.
    ("SSLEnable", "SocketUseSSL"),
];

/// Keys QuickFIX C++ or QuickFIX/J documents that ringfix accepts without
/// using the value: each use yields a warning. Those naming another
/// product's machinery say what to use instead ([`foreign`]); the others
/// are not implemented yet.
pub const DOCUMENTED: &[&str] = &[
    // Session (C++ and /J).
    "ResetOnLogonRejected",
    "DynamicSession",
    "LogMessageWhenSessionNotFound",
    "AllowUnknownEnumValues",
    "HostSelectionPolicy",
    "HostSelectionPolicyPriorityStartOverInterval",
    "AcceptorTemplate",
    "HttpAcceptPort",
    // Sockets.
    "ProxyType",
    "ProxyVersion",
    "ProxyHost",
    "ProxyPort",
    "ProxyUser",
    "ProxyPassword",
    "ProxyDomain",
    "ProxyWorkstation",
    // TLS: QuickFIX/J's Java key and trust stores (ringfix reads PEM files).
    "SocketKeyStore",
    "SocketKeyStorePassword",
    "SocketTrustStore",
    "SocketTrustStorePassword",
    "KeyManagerFactoryAlgorithm",
    "KeyStoreType",
    "TrustManagerFactoryAlgorithm",
    "TrustStoreType",
    // Storage.
    "MySQLStoreDatabase",
    "MySQLStoreUser",
    "MySQLStorePassword",
    "MySQLStoreHost",
    "MySQLStorePort",
    "MySQLStoreUseConnectionPool",
    "PostgreSQLStoreDatabase",
    "PostgreSQLStoreUser",
    "PostgreSQLStorePassword",
    "PostgreSQLStoreHost",
    "PostgreSQLStorePort",
    "PostgreSQLStoreUseConnectionPool",
    "OdbcStoreUser",
    "OdbcStorePassword",
    "OdbcStoreConnectionString",
    "OdbcStoreMessagesTableName",
    "OdbcStoreSessionsTableName",
    "JdbcDriver",
    "JdbcURL",
    "JdbcUser",
    "JdbcPassword",
    "JdbcDataSourceName",
    "JdbcStoreMessagesTableName",
    "JdbcStoreSessionsTableName",
    "JdbcSessionIdDefaultPropertyValue",
    "JdbcMaxActiveConnection",
    "JdbcMinIdleConnection",
    "JdbcMaxActiveTime",
    "JdbcMaxConnectionLifeTime",
    "JdbcConnectionTimeout",
    "JdbcConnectionIdleTimeout",
    "JdbcConnectionKeepaliveTime",
    "JdbcConnectionTestQuery",
    "SleepycatDatabaseDir",
    "SleepycatSequenceDbName",
    "SleepycatMessageDbName",
    // Logging.
    "SLF4JLogEventCategory",
    "SLF4JLogErrorEventCategory",
    "SLF4JLogIncomingMessageCategory",
    "SLF4JLogOutgoingMessageCategory",
    "SLF4JLogPrependSessionID",
    "SLF4JLogHeartbeats",
    "JdbcLogHeartBeats",
    "JdbcLogIncomingTable",
    "JdbcLogOutgoingTable",
    "JdbcLogEventTable",
    "MySQLLogDatabase",
    "MySQLLogUser",
    "MySQLLogPassword",
    "MySQLLogHost",
    "MySQLLogPort",
    "MySQLLogUseConnectionPool",
    "MySQLLogIncomingTable",
    "MySQLLogOutgoingTable",
    "MySQLLogEventTable",
    "PostgreSQLLogDatabase",
    "PostgreSQLLogUser",
    "PostgreSQLLogPassword",
    "PostgreSQLLogHost",
    "PostgreSQLLogPort",
    "PostgreSQLLogUseConnectionPool",
    "PostgreSQLLogIncomingTable",
    "PostgreSQLLogOutgoingTable",
    "PostgreSQLLogEventTable",
    "OdbcLogUser",
    "OdbcLogPassword",
    "OdbcLogConnectionString",
    "OdbcLogIncomingTable",
    "OdbcLogOutgoingTable",
    "OdbcLogEventTable",
];

/// Keys that ringfix's design makes meaningless: accepted, their values
/// checked, and no effect; `config check` shows why.
pub const NO_EFFECT: &[(&str, &str)] = &[
    (
        "ThreadModel",
        "ringfix runs each session on its reactor thread (ReactorCore picks the core); there is no thread model to choose",
    ),
    (
        "OnlyUseOneThread",
        "ringfix runs each session on its reactor thread (ReactorCore picks the core; sessions with the same core share one thread)",
    ),
    (
        "MaxScheduledWriteRequests",
        "there is no write-request queue (QuickFIX/J's MINA layer); outbound bytes are bounded by MaxOutboundQueueBytes",
    ),
    (
        "SendResetSeqNumFlag",
        "QuickFIX C++ 1.16 declares this key but never reads it; ResetSeqNumFlag (141=Y) goes out on our Logon with ResetOnLogon=Y",
    ),
    (
        "FileStoreMaxCachedMsgs",
        "the journal is memory-mapped: every stored message is read from the page cache, so there is no message cache to size",
    ),
];

/// What a key naming another product's machinery is (the `Proxy*` keys
/// included), and what to use instead; `None` for other keys.
pub fn foreign(canonical: &str) -> Option<&'static str> {
    let starts = |p: &str| canonical.starts_with(p);
    Some(if starts("Proxy") {
        "ringfix does not connect through proxies: connect directly, or point SocketConnectHost/SocketConnectPort at a TCP tunnel (e.g. ssh -L)"
    } else if starts("SLF4J") {
        "SLF4J is QuickFIX/J's Java logging bridge: ringfix logs events through tracing (RUST_LOG) and messages with FileLogPath and the ScreenLog keys"
    } else if starts("JdbcLog") {
        "a JDBC database log (QuickFIX/J): ringfix logs to files: use FileLogPath"
    } else if starts("Jdbc") {
        "a JDBC database store and log (QuickFIX/J): use FileStorePath and FileLogPath"
    } else if starts("MySQLStore") || starts("PostgreSQLStore") || starts("OdbcStore") {
        "a database store (QuickFIX C++/J): ringfix stores messages and sequence numbers in its own file store: use FileStorePath"
    } else if starts("MySQLLog") || starts("PostgreSQLLog") || starts("OdbcLog") {
        "a database log (QuickFIX C++/J): ringfix logs to files: use FileLogPath"
    } else if starts("Sleepycat") {
        "a Berkeley DB store (QuickFIX/J): ringfix stores messages and sequence numbers in its own file store: use FileStorePath"
    } else if matches!(
        canonical,
        "SocketKeyStore" | "SocketKeyStorePassword" | "KeyStoreType" | "KeyManagerFactoryAlgorithm"
    ) {
        "a Java key store: give the certificate and key as PEM files: ServerCertificateFile/ServerCertificateKeyFile (acceptor), ClientCertificateFile/ClientCertificateKeyFile (initiator)"
    } else if matches!(
        canonical,
        "SocketTrustStore"
            | "SocketTrustStorePassword"
            | "TrustStoreType"
            | "TrustManagerFactoryAlgorithm"
    ) {
        "a Java trust store: give the trusted certificate authorities as a PEM file: CertificateAuthoritiesFile"
    } else {
        return None;
    })
}

/// What ringfix does with a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyStatus {
    /// Typed, validated and used.
    Implemented,
    /// Accepted and checked, without effect by design (why).
    NoEffect(&'static str),
    /// Another product's machinery (or a proxy): warned and ignored (what
    /// to use instead).
    Foreign(&'static str),
    /// Documented by QuickFIX, not implemented by ringfix yet: warned and
    /// ignored.
    Pending,
}

impl KeyStatus {
    /// Whether the value is kept for the settings (implemented or no
    /// effect, both checked).
    pub fn is_read(self) -> bool {
        matches!(self, Self::Implemented | Self::NoEffect(_))
    }
}

/// The status of a canonical key name.
pub fn status(canonical: &str) -> KeyStatus {
    if IMPLEMENTED.contains(&canonical) {
        KeyStatus::Implemented
    } else if let Some((_, why)) = NO_EFFECT.iter().find(|(k, _)| *k == canonical) {
        KeyStatus::NoEffect(why)
    } else if let Some(instead) = foreign(canonical) {
        KeyStatus::Foreign(instead)
    } else {
        KeyStatus::Pending
    }
}

/// Every key ringfix knows, canonical spelling: implemented, no effect,
/// then the rest of the documented keys.
pub fn all() -> impl Iterator<Item = &'static str> {
    IMPLEMENTED
        .iter()
        .copied()
        .chain(NO_EFFECT.iter().map(|(k, _)| *k))
        .chain(DOCUMENTED.iter().copied())
}

/// The QuickFIX/J spellings ringfix accepts for implemented keys
/// (`(alias, key)`).
pub fn aliases() -> &'static [(&'static str, &'static str)] {
    ALIASES
}

/// Keys that may carry a failover number (`SocketConnectHost1`, ...).
const NUMBERED: &[&str] = &[
    "SocketConnectHost",
    "SocketConnectPort",
    "SocketConnectProtocol",
    "LogonTag",
    "SocketConnectSourceHost",
    "SocketConnectSourcePort",
    "SocketLocalHost",
    "SocketLocalPort",
];

/// A recognised key: its canonical spelling and any suffix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KnownKey {
    /// Canonical spelling from [`IMPLEMENTED`], [`NO_EFFECT`] or [`DOCUMENTED`].
    pub canonical: &'static str,
    /// Failover number (`SocketConnectHost2` -> 2) or dictionary version
    /// (`AppDataDictionary.FIX.4.4` -> `FIX.4.4`); empty if none.
    pub suffix: String,
    /// What ringfix does with it.
    pub status: KeyStatus,
}

fn find(key: &str) -> Option<&'static str> {
    all().find(|k| k.eq_ignore_ascii_case(key))
}

fn known(canonical: &'static str, suffix: &str) -> KnownKey {
    KnownKey {
        canonical,
        suffix: suffix.to_owned(),
        status: status(canonical),
    }
}

/// Classifies `key`; `None` for a key nobody documents.
pub(crate) fn classify(key: &str) -> Option<KnownKey> {
    if let Some(k) = find(key) {
        return Some(known(k, ""));
    }
    if let Some((_, target)) = ALIASES.iter().find(|(a, _)| a.eq_ignore_ascii_case(key)) {
        return Some(known(target, ""));
    }
    let digits = key.len() - key.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits > 0 {
        let (stem, number) = key.split_at(key.len() - digits);
        if let Some(k) = NUMBERED
            .iter()
            .copied()
            .find(|k| k.eq_ignore_ascii_case(stem))
        {
            return Some(known(k, number));
        }
    }
    if let Some((stem, version)) = key.split_once('.') {
        if stem.eq_ignore_ascii_case("AppDataDictionary") && !version.is_empty() {
            return Some(known("AppDataDictionary", version));
        }
    }
    None
}
