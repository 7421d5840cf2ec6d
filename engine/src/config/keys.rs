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
    // Messages.
    "TimestampPrecision",
    "MillisecondsInTimeStamp",
    "ResendRequestChunkSize",
    "SendRedundantResendRequests",
    // Storage and logging.
    "PersistMessages",
    "FileStorePath",
    "FileLogPath",
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
    // ringfix's own keys.
    "ReactorCore",
    "ReactorMode",
    "StoreFsync",
    "MaxOutboundQueueBytes",
    "OutboundCalmPeriod",
    "MaxConnections",
    "StopOnFatalError",
    "ReconnectMaxInterval",
    "SocketAcceptRetryTimeout",
    "MetricsListen",
];

/// Other spellings of implemented keys (QuickFIX/J names), mapped to the
/// implemented key.
const ALIASES: &[(&str, &str)] = &[
    ("SocketTcpNoDelay", "SocketNodelay"),
    ("SocketAcceptAddress", "SocketAcceptHost"),
    ("MaxMessagesInResendRequest", "ResendRequestChunkSize"),
    // QuickFIX/n's name.
    ("SSLEnable", "SocketUseSSL"),
];

/// Keys QuickFIX C++ or QuickFIX/J documents that ringfix accepts but does
/// not implement yet: each use yields a warning and the value is ignored.
pub const DOCUMENTED: &[&str] = &[
    // Session (C++ and /J).
    "LogonTime",
    "LogoutTime",
    "LogonDay",
    "LogoutDay",
    "UseLocalTime",
    "Weekdays",
    "SendNextExpectedMsgSeqNum",
    "EnableNextExpectedMsgSeqNum",
    "EnableLastMsgSeqNumProcessed",
    "PreserveMessageFieldsOrder",
    "ResetOnError",
    "DisconnectOnError",
    "ResetOnLogonRejected",
    "DisableHeartBeatCheck",
    "HeartBeatTimeoutMultiplier",
    "TestRequestDelayMultiplier",
    "ForceResendWhenCorruptedStore",
    "ClosedResendInterval",
    "UseClosedResendInterval",
    "IgnoreAbsenceOf141tag",
    "RequiresOrigSendingTime",
    "RejectGarbledMessage",
    "RejectInvalidMessage",
    "RejectMessageOnUnhandledException",
    "ValidateIncomingMessage",
    "ValidateSequenceNumbers",
    "ValidateChecksum",
    "ValidateLengthAndChecksum",
    "ValidateUnorderedGroupFields",
    "FirstFieldInGroupIsDelimiter",
    "AllowPosDup",
    "LogonTag",
    "MaxScheduledWriteRequests",
    "ContinueInitializationOnError",
    "ThreadModel",
    "AcceptorTemplate",
    "HttpAcceptPort",
    "OnlyUseOneThread",
    // Sockets.
    "SocketConnectProtocol",
    "SocketAcceptProtocol",
    "SocketOobInline",
    "SocketSynchronousWrites",
    "SocketSynchronousWriteTimeout",
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
    "EndpointIdentificationAlgorithm",
    // Storage.
    "FileStoreSync",
    "FileStoreMaxCachedMsgs",
    "FileStoreBackupPath",
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
    "FileLogBackupPath",
    "FileIncludeMilliseconds",
    "FileIncludeTimeStampForMessages",
    "FileLogHeartbeats",
    "ScreenLogShowIncoming",
    "ScreenLogShowOutgoing",
    "ScreenLogShowEvents",
    "ScreenLogShowHeartBeats",
    "ScreenIncludeMilliseconds",
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

/// Keys that may carry a failover number (`SocketConnectHost1`, ...).
const NUMBERED: &[&str] = &[
    "SocketConnectHost",
    "SocketConnectPort",
    "SocketConnectSourceHost",
    "SocketConnectSourcePort",
    "SocketLocalHost",
    "SocketLocalPort",
];

/// A recognised key: its canonical spelling and any suffix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct KnownKey {
    /// Canonical spelling from [`IMPLEMENTED`] or [`DOCUMENTED`].
    pub canonical: &'static str,
    /// Failover number (`SocketConnectHost2` -> 2) or dictionary version
    /// (`AppDataDictionary.FIX.4.4` -> `FIX.4.4`); empty if none.
    pub suffix: String,
    /// Whether ringfix implements the key.
    pub implemented: bool,
}

fn find(list: &'static [&'static str], key: &str) -> Option<&'static str> {
    list.iter().copied().find(|k| k.eq_ignore_ascii_case(key))
}

fn known(canonical: &'static str, suffix: &str) -> KnownKey {
    KnownKey {
        canonical,
        suffix: suffix.to_owned(),
        implemented: IMPLEMENTED.contains(&canonical),
    }
}

/// Classifies `key`; `None` for a key nobody documents.
pub(crate) fn classify(key: &str) -> Option<KnownKey> {
    if let Some(k) = find(IMPLEMENTED, key).or_else(|| find(DOCUMENTED, key)) {
        return Some(known(k, ""));
    }
    if let Some((_, target)) = ALIASES.iter().find(|(a, _)| a.eq_ignore_ascii_case(key)) {
        return Some(known(target, ""));
    }
    let digits = key.len() - key.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits > 0 {
        let (stem, number) = key.split_at(key.len() - digits);
        if let Some(k) = find(NUMBERED, stem) {
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
