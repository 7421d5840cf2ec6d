//! Parsing: every implemented key, inheritance, warnings, errors.

use std::path::PathBuf;
use std::time::Duration;

use jiff::civil::{time, Weekday};

use crate::config::keys::{self, KeyStatus, DOCUMENTED};
use crate::config::*;
use crate::store::FsyncPolicy;

fn parse(text: &str) -> Result<EngineConfig, ConfigError> {
    EngineConfig::parse(text, "sessions.cfg")
}

fn err(text: &str) -> String {
    parse(text).unwrap_err().to_string()
}

const INITIATOR: &str = "\
[DEFAULT]
ConnectionType=initiator
HeartBtInt=30
StartTime=00:00:00
EndTime=00:00:00

[SESSION]
BeginString=FIX.4.4
SenderCompID=CLIENT
TargetCompID=SERVER
SocketConnectHost=127.0.0.1
SocketConnectPort=9876
";

#[test]
fn every_implemented_key_is_typed() {
    let text = "\
# full session
[session]
ConnectionType = initiator
BeginString=FIXT.1.1
SenderCompID=S
SenderSubID=SS
SenderLocationID=SL
TargetCompID=T
TargetSubID=TS
TargetLocationID=TL
SessionQualifier=Q
DefaultApplVerID=FIX.5.0SP2
SocketConnectHost=10.0.0.1
SocketConnectPort=1001
SocketConnectHost1=10.0.0.2
SocketConnectPort1=1002
SocketConnectHost2=10.0.0.3
SocketConnectPort2=1003
SocketAcceptHost=0.0.0.0
SocketReuseAddress=N
SocketNodelay=N
HeartBtInt=15
ReconnectInterval=5
ReconnectMaxInterval=60
LogonTimeout=7
LogoutTimeout=3
StartTime=08:30:00
EndTime=17:15:30
StartDay=Mon
EndDay=friday
TimeZone=America/New_York
NonStopSession=N
ResetOnLogon=Y
ResetOnLogout=Y
ResetOnDisconnect=Y
RefreshOnLogon=Y
UseDataDictionary=N
TransportDataDictionary=codec/spec/FIXT11.xml
AppDataDictionary=codec/spec/FIX50SP2.xml
AppDataDictionary.FIX.5.0SP1=codec/spec/FIX50SP1.xml
ValidateFieldsHaveValues=N
ValidateFieldsOutOfOrder=N
ValidateUserDefinedFields=N
AllowUnknownMsgFields=Y
CheckCompID=N
CheckLatency=N
MaxLatency=5
TimestampPrecision=6
MillisecondsInTimeStamp=N
ResendRequestChunkSize=2500
SendRedundantResendRequests=Y
PersistMessages=N
FileStorePath=store
FileLogPath=log
StoreFsync=5ms
SocketUseSSL=Y
ServerCertificateFile=server.pem
ServerCertificateKeyFile=server.key
ClientCertificateFile=client.pem
ClientCertificateKeyFile=client.key
CertificateAuthoritiesFile=ca.pem
CertificateVerifyLevel=1
SSLServerName=fix.example.com
ReactorCore=3
ReactorMode=spin
MaxOutboundQueueBytes=1048576
MaxConnections=5000
StopOnFatalError=Y
MetricsListen=127.0.0.1:9100
";
    let cfg = parse(text).unwrap();
    assert!(cfg.warnings.is_empty(), "{:?}", cfg.warnings);
    let s = &cfg.sessions[0];
    assert_eq!(s.id.to_string(), "FIXT.1.1:S/SS/SL->T/TS/TL:Q");
    assert_eq!(s.role, Role::Initiator);
    let hosts: Vec<(&str, u16)> = s
        .network
        .connect
        .iter()
        .map(|h| (h.host.as_str(), h.port))
        .collect();
    assert_eq!(
        hosts,
        [("10.0.0.1", 1001), ("10.0.0.2", 1002), ("10.0.0.3", 1003)]
    );
    assert_eq!(s.network.accept_host, None, "accept host is for acceptors");
    assert!(!s.network.reuse_address && !s.network.nodelay);
    let t = &s.timing;
    assert_eq!(t.heartbeat_interval, Some(Duration::from_secs(15)));
    assert_eq!(t.reconnect_interval, Duration::from_secs(5));
    assert_eq!(t.reconnect_cap(), Duration::from_secs(60));
    assert_eq!(t.logon_timeout, Duration::from_secs(7));
    assert_eq!(t.logout_timeout, Duration::from_secs(3));
    let tz = jiff::tz::TimeZone::get("America/New_York").unwrap();
    let expected = Schedule::weekly(
        Weekday::Monday,
        time(8, 30, 0, 0),
        Weekday::Friday,
        time(17, 15, 30, 0),
        tz,
    );
    assert_eq!(s.schedule, expected);
    assert_eq!(
        s.reset,
        ResetSettings {
            on_logon: true,
            on_logout: true,
            on_disconnect: true,
            refresh_on_logon: true
        }
    );
    let v = &s.validation;
    assert!(!v.use_data_dictionary && !v.fields_have_values && !v.fields_out_of_order);
    assert!(!v.user_defined_fields && v.allow_unknown_msg_fields && !v.check_comp_id);
    assert!(!v.check_latency);
    assert_eq!(v.max_latency, Duration::from_secs(5));
    let d = &s.dictionaries;
    assert_eq!(d.default_appl_ver_id, Some(ApplVerId::Fix50Sp2));
    assert_eq!(
        d.transport_data_dictionary,
        Some(PathBuf::from("codec/spec/FIXT11.xml"))
    );
    assert_eq!(
        d.app_data_dictionary,
        Some(PathBuf::from("codec/spec/FIX50SP2.xml"))
    );
    assert_eq!(
        d.app_data_dictionaries,
        [(
            "FIX.5.0SP1".to_string(),
            PathBuf::from("codec/spec/FIX50SP1.xml")
        )]
    );
    assert_eq!(d.data_dictionary, None);
    let m = &s.messages;
    assert_eq!(
        m.timestamp_precision,
        TimePrecision::Micros,
        "TimestampPrecision wins"
    );
    assert_eq!(m.resend_request_chunk_size, 2500);
    assert!(m.send_redundant_resend_requests);
    assert!(!s.store.persist_messages);
    assert_eq!(s.store.file_store_path, Some(PathBuf::from("store")));
    assert_eq!(s.store.file_log_path, Some(PathBuf::from("log")));
    assert_eq!(s.store.fsync, FsyncPolicy::EveryMillis(5));
    let tls = &s.tls;
    assert!(tls.enabled);
    assert_eq!(
        tls.server_certificate_file,
        Some(PathBuf::from("server.pem"))
    );
    assert_eq!(
        tls.server_certificate_key_file,
        Some(PathBuf::from("server.key"))
    );
    assert_eq!(
        tls.client_certificate_file,
        Some(PathBuf::from("client.pem"))
    );
    assert_eq!(
        tls.client_certificate_key_file,
        Some(PathBuf::from("client.key"))
    );
    assert_eq!(
        tls.certificate_authorities_file,
        Some(PathBuf::from("ca.pem"))
    );
    assert_eq!(tls.verify_level, 1);
    assert_eq!(tls.server_name.as_deref(), Some("fix.example.com"));
    assert_eq!(s.reactor.core, Some(3));
    assert_eq!(s.reactor.mode, ReactorMode::Spin);
    assert_eq!(s.reactor.max_outbound_queue_bytes, 1_048_576);
    assert_eq!(s.reactor.max_connections, Some(5000));
    assert!(s.stop_on_fatal_error);
    assert_eq!(
        s.metrics_listen,
        Some(HostPort {
            host: "127.0.0.1".into(),
            port: 9100
        })
    );
}

#[test]
fn defaults_are_quickfix_defaults() {
    let s = &parse(INITIATOR).unwrap().sessions[0];
    assert_eq!(s.id.to_string(), "FIX.4.4:CLIENT->SERVER");
    assert_eq!(s.timing.reconnect_interval, Duration::from_secs(30));
    assert_eq!(s.timing.reconnect_cap(), Duration::from_secs(900));
    assert_eq!(s.timing.logon_timeout, Duration::from_secs(10));
    assert_eq!(s.timing.logout_timeout, Duration::from_secs(2));
    assert_eq!(s.validation, ValidationSettings::default());
    assert!(s.validation.use_data_dictionary && s.validation.check_latency);
    assert_eq!(s.validation.max_latency, Duration::from_secs(120));
    assert_eq!(s.messages.timestamp_precision, TimePrecision::Millis);
    assert!(s.store.persist_messages);
    assert_eq!(s.store.fsync, FsyncPolicy::Never);
    assert_eq!(s.reactor.max_outbound_queue_bytes, 8_388_608);
    assert_eq!(s.reactor.max_connections, None);
    assert_eq!(s.reactor.mode, ReactorMode::Block);
    assert!(!s.stop_on_fatal_error && !s.tls.enabled);
    assert_eq!(
        s.schedule,
        Schedule::daily(time(0, 0, 0, 0), time(0, 0, 0, 0), jiff::tz::TimeZone::UTC)
    );
}

#[test]
fn default_section_is_inherited_and_overridden() {
    let text = format!(
        "{INITIATOR}\n[SESSION]\nBeginString=FIX.4.2\nSenderCompID=CLIENT\nTargetCompID=OTHER\n\
         SocketConnectHost=host2\nSocketConnectPort=2\nHeartBtInt=60\n"
    );
    let cfg = parse(&text).unwrap();
    assert_eq!(cfg.sessions.len(), 2);
    assert_eq!(
        cfg.sessions[0].timing.heartbeat_interval,
        Some(Duration::from_secs(30))
    );
    assert_eq!(
        cfg.sessions[1].timing.heartbeat_interval,
        Some(Duration::from_secs(60))
    );
    assert_eq!(
        cfg.sessions[1].role,
        Role::Initiator,
        "inherited ConnectionType"
    );
    // A [DEFAULT] after the sessions still applies to them, as in QuickFIX.
    let late = "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n\
                [DEFAULT]\nConnectionType=acceptor\nSocketAcceptPort=5001\nNonStopSession=Y\n";
    let s = &parse(late).unwrap().sessions[0];
    assert_eq!(
        (s.role, s.network.accept_port),
        (Role::Acceptor, Some(5001))
    );
}

#[test]
fn syntax_comments_case_and_whitespace() {
    let text = "  # comment\n; other comment\n[ default ]\n  connectiontype =  acceptor  \n\
                socketacceptport=0\nNONSTOPSESSION=y\n\n[Session]\r\nBeginString=FIX.4.4\r\n\
                SenderCompID=A B\nTargetCompID=B\ntimestampprecision=9\n";
    let s = &parse(text).unwrap().sessions[0];
    assert_eq!(s.id.sender_comp_id, "A B");
    assert_eq!(s.network.accept_port, Some(0));
    assert!(s.schedule.is_non_stop());
    assert_eq!(s.messages.timestamp_precision, TimePrecision::Nanos);
}

#[test]
fn byte_order_mark_is_skipped() {
    let text = format!("\u{feff}{INITIATOR}");
    assert_eq!(parse(&text).unwrap().sessions.len(), 1);
}

#[test]
fn quickfix_j_spellings_are_aliases() {
    let text = format!(
        "{INITIATOR}SocketTcpNoDelay=N\nMaxMessagesInResendRequest=7\nTimeStampPrecision=0\n"
    );
    let s = &parse(&text).unwrap().sessions[0];
    assert!(!s.network.nodelay);
    assert_eq!(s.messages.resend_request_chunk_size, 7);
    assert_eq!(s.messages.timestamp_precision, TimePrecision::Seconds);
}

#[test]
fn unknown_key_names_file_line_and_key() {
    let text = format!("{INITIATOR}HeartBeatInt=30\n");
    assert_eq!(err(&text), "sessions.cfg:13: HeartBeatInt: unknown key");
}

#[test]
fn bad_values_name_file_line_and_key() {
    let cases: &[(&str, &str)] = &[
        ("HeartBtInt=abc", "HeartBtInt: expected a positive integer, got \"abc\""),
        ("HeartBtInt=0", "HeartBtInt: expected a positive integer, got \"0\""),
        ("HeartBtInt=-5", "HeartBtInt: expected a positive integer, got \"-5\""),
        ("ResetOnLogon=yes", "ResetOnLogon: expected Y or N, got \"yes\""),
        ("SocketConnectPort=70000", "SocketConnectPort: expected a port number 1-65535, got \"70000\""),
        ("SocketConnectPort=0", "SocketConnectPort: expected a port number 1-65535, got \"0\""),
        ("StartTime=8:00:00", "StartTime: expected a time HH:MM:SS, got \"8:00:00\""),
        ("StartTime=24:00:00", "StartTime: expected a time HH:MM:SS, got \"24:00:00\""),
        ("EndTime=12:00", "EndTime: expected a time HH:MM:SS, got \"12:00\""),
        ("TimeZone=Mars/Olympus", "TimeZone: expected an IANA time zone name such as America/New_York, got \"Mars/Olympus\""),
        ("StartDay=Funday", "StartDay: expected a day name (Sunday, Mon, tu, ...), got \"Funday\""),
        ("TimestampPrecision=4", "TimestampPrecision: expected 0, 3, 6 or 9, got \"4\""),
        ("StoreFsync=5s", "StoreFsync: expected never, always or <N>ms, got \"5s\""),
        ("StoreFsync=0ms", "StoreFsync: expected never, always or <N>ms, got \"0ms\""),
        ("ReactorMode=poll", "ReactorMode: expected spin or block, got \"poll\""),
        ("MaxOutboundQueueBytes=0", "MaxOutboundQueueBytes: expected a positive integer, got \"0\""),
        ("MaxConnections=0", "MaxConnections: expected an integer from 1 to 1048576, got \"0\""),
        ("MaxConnections=1048577", "MaxConnections: expected an integer from 1 to 1048576, got \"1048577\""),
        ("BeginString=FIX.5.0", "BeginString: expected FIX.4.0, FIX.4.1, FIX.4.2, FIX.4.3, FIX.4.4 or FIXT.1.1, got \"FIX.5.0\""),
        ("ConnectionType=client", "ConnectionType: expected initiator or acceptor, got \"client\""),
        ("CertificateVerifyLevel=9", "CertificateVerifyLevel: expected a verify level 0-3, got \"9\""),
    ];
    for (line, message) in cases {
        let text = format!("{INITIATOR}{line}\n");
        assert_eq!(err(&text), format!("sessions.cfg:13: {message}"), "{line}");
    }
}

#[test]
fn unimplemented_documented_keys_warn() {
    let text = format!(
        "{INITIATOR}HttpAcceptPort=8080\nDynamicSession=Y\nJdbcURL=jdbc:x\nProxyHost=p\nThreadModel=ThreadPerSession\n"
    );
    let cfg = parse(&text).unwrap();
    let shown: Vec<String> = cfg.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "sessions.cfg:13: HttpAcceptPort: not implemented by ringfix yet, ignored",
            "sessions.cfg:14: DynamicSession: not implemented by ringfix yet, ignored",
            "sessions.cfg:15: JdbcURL: ignored: a JDBC database store and log (QuickFIX/J): use FileStorePath and FileLogPath",
            "sessions.cfg:16: ProxyHost: ignored: ringfix does not connect through proxies: connect directly, or point SocketConnectHost/SocketConnectPort at a TCP tunnel (e.g. ssh -L)",
            "sessions.cfg:17: ThreadModel: no effect: ringfix runs each session on its reactor thread (ReactorCore picks the core); there is no thread model to choose",
        ]
    );
    let ignored: Vec<&str> = cfg
        .warnings
        .iter()
        .filter_map(|w| w.ignored_key().map(|(_, k, _)| k))
        .collect();
    assert_eq!(
        ignored,
        ["HttpAcceptPort", "DynamicSession", "JdbcURL", "ProxyHost"]
    );
}

#[test]
fn every_listed_key_is_accepted() {
    for key in keys::all() {
        // A key ringfix reads may reject "x"; it must never be unknown.
        let text = format!("{INITIATOR}{key}=x\n");
        if let Err(e) = parse(&text) {
            assert_ne!(e.kind, ErrorKind::UnknownKey, "{key}");
        }
    }
    for key in DOCUMENTED {
        let cfg = parse(&format!("{INITIATOR}{key}=x\n")).unwrap();
        let warned = match &cfg.warnings[..] {
            [ConfigWarning::Unimplemented { key: k, .. }] => {
                keys::status(key) == KeyStatus::Pending && k == key
            }
            [ConfigWarning::Foreign {
                key: k, instead, ..
            }] => keys::status(key) == KeyStatus::Foreign(instead) && k == key,
            _ => false,
        };
        assert!(warned, "{key}: {:?}", cfg.warnings);
    }
    for (key, why) in keys::NO_EFFECT {
        let good = if *key == "ThreadModel" {
            "ThreadPerSession"
        } else {
            "Y"
        };
        let good = if *key == "MaxScheduledWriteRequests" || *key == "FileStoreMaxCachedMsgs" {
            "5"
        } else {
            good
        };
        let cfg = parse(&format!("{INITIATOR}{key}={good}\n")).unwrap();
        assert!(
            matches!(&cfg.warnings[..], [ConfigWarning::NoEffect { key: k, why: w, .. }] if k == key && w == why),
            "{key}"
        );
        assert_eq!(
            parse(&format!("{INITIATOR}{key}=bad\n"))
                .unwrap_err()
                .key
                .as_deref(),
            Some(*key)
        );
    }
}

#[test]
fn metrics_listen_forms_and_one_per_engine() {
    let cfg = parse(&format!("{INITIATOR}MetricsListen=[::1]:0\n")).unwrap();
    assert_eq!(
        cfg.metrics_listen(),
        Some(&HostPort {
            host: "::1".into(),
            port: 0
        })
    );
    assert_eq!(parse(INITIATOR).unwrap().metrics_listen(), None);
    for bad in ["9100", "localhost", ":9100", "h:99999", "h:x", "[::1:9100"] {
        let e = err(&format!("{INITIATOR}MetricsListen={bad}\n"));
        assert!(
            e.contains("MetricsListen") && e.contains("HOST:PORT"),
            "{bad}: {e}"
        );
    }
    let two = format!(
        "{INITIATOR}MetricsListen=127.0.0.1:9100\n[SESSION]\nBeginString=FIX.4.4\n\
         SenderCompID=CLIENT\nTargetCompID=OTHER\nSocketConnectHost=127.0.0.1\n\
         SocketConnectPort=9876\nMetricsListen=127.0.0.1:9101\n"
    );
    let e = err(&two);
    assert!(
        e.contains("MetricsListen") && e.contains("one engine"),
        "{e}"
    );
}

#[test]
fn duplicates_and_other_sections() {
    let text = format!("{INITIATOR}HeartBtInt=40\nHeartBtInt=45\n[LOGGING]\nAnything=1\n");
    let cfg = parse(&text).unwrap();
    assert_eq!(
        cfg.sessions[0].timing.heartbeat_interval,
        Some(Duration::from_secs(45))
    );
    let shown: Vec<String> = cfg.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "sessions.cfg:14: HeartBtInt: set twice in this section, last value wins",
            "sessions.cfg:15: [LOGGING]: unknown section, ignored",
        ]
    );
    let twice = format!("{INITIATOR}\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=CLIENT\nTargetCompID=SERVER\nSocketConnectHost=h\nSocketConnectPort=1\n");
    assert_eq!(
        err(&twice),
        "sessions.cfg:14: duplicate session FIX.4.4:CLIENT->SERVER"
    );
    let qualified = format!("{twice}SessionQualifier=2\n");
    assert_eq!(
        parse(&qualified).unwrap().sessions[1].id.to_string(),
        "FIX.4.4:CLIENT->SERVER:2"
    );
}

#[test]
fn syntax_errors() {
    assert_eq!(
        err("HeartBtInt=30\n"),
        "sessions.cfg:1: HeartBtInt: key outside of a [DEFAULT] or [SESSION] section"
    );
    assert_eq!(
        err("[DEFAULT]\nthis is not a setting\n"),
        "sessions.cfg:2: expected [SECTION], # comment or Key=Value, got \"this is not a setting\""
    );
    assert_eq!(
        err("[DEFAULT]\n=5\n"),
        "sessions.cfg:2: expected [SECTION], # comment or Key=Value, got \"=5\""
    );
}

#[test]
fn failover_addresses_must_pair_without_gaps() {
    let gap = format!("{INITIATOR}SocketConnectHost2=h\nSocketConnectPort2=2\n");
    assert_eq!(
        err(&gap),
        "sessions.cfg:13: SocketConnectHost2: expected failover addresses numbered 1, 2, ... without gaps, got \"h\""
    );
    let half = format!("{INITIATOR}SocketConnectHost1=h\n");
    assert_eq!(
        err(&half),
        "sessions.cfg:13: SocketConnectHost1: expected a SocketConnectHost<n> and SocketConnectPort<n> pair, got \"h\""
    );
}

#[test]
fn appl_ver_id_both_forms() {
    for (value, expected) in [
        ("FIX.5.0SP2", ApplVerId::Fix50Sp2),
        ("9", ApplVerId::Fix50Sp2),
        ("7", ApplVerId::Fix50),
        ("FIX.4.4", ApplVerId::Fix44),
    ] {
        let text =
            INITIATOR.replace("FIX.4.4", "FIXT.1.1") + &format!("DefaultApplVerID={value}\n");
        let s = &parse(&text).unwrap().sessions[0];
        assert_eq!(
            s.dictionaries.default_appl_ver_id,
            Some(expected),
            "{value}"
        );
    }
    assert_eq!(ApplVerId::Fix50Sp2.code(), "9");
    assert_eq!(ApplVerId::Fix50Sp1.name(), "FIX.5.0SP1");
    let bad = INITIATOR.replace("FIX.4.4", "FIXT.1.1") + "DefaultApplVerID=FIX50SP2\n";
    assert_eq!(err(&bad), "sessions.cfg:13: DefaultApplVerID: expected an ApplVerID such as FIX.5.0SP2 or 9, got \"FIX50SP2\"");
}

#[test]
fn milliseconds_in_timestamp_alone() {
    let off = format!("{INITIATOR}MillisecondsInTimeStamp=N\n");
    assert_eq!(
        parse(&off).unwrap().sessions[0]
            .messages
            .timestamp_precision,
        TimePrecision::Seconds
    );
    let on = format!("{INITIATOR}MillisecondsInTimeStamp=Y\n");
    assert_eq!(
        parse(&on).unwrap().sessions[0].messages.timestamp_precision,
        TimePrecision::Millis
    );
}

#[test]
fn store_fsync_forms() {
    for (value, expected) in [
        ("never", FsyncPolicy::Never),
        ("always", FsyncPolicy::Always),
        ("250ms", FsyncPolicy::EveryMillis(250)),
    ] {
        let text = format!("{INITIATOR}StoreFsync={value}\n");
        assert_eq!(parse(&text).unwrap().sessions[0].store.fsync, expected);
    }
}

#[test]
fn load_reads_files_and_reports_io_errors() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a.cfg");
    std::fs::write(&path, INITIATOR).unwrap();
    assert_eq!(EngineConfig::load(&path).unwrap().sessions.len(), 1);
    let missing = dir.path().join("missing.cfg");
    let e = EngineConfig::load(&missing).unwrap_err();
    assert!(matches!(e.kind, ErrorKind::Io(_)));
    assert!(e
        .to_string()
        .starts_with(&format!("{}:0: cannot read", missing.display())));
}

#[test]
fn continue_initialization_on_error_leaves_bad_sessions_out() {
    let good =
        "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\nSocketAcceptPort=5\n";
    let bad = "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=C\n";
    let base = "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\n";
    let text = format!("{base}{bad}{good}");
    assert_eq!(
        err(&text),
        "sessions.cfg:4: SocketAcceptPort is required for an acceptor"
    );
    let text = format!("{base}ContinueInitializationOnError=Y\n{bad}{good}{good}");
    let cfg = parse(&text).unwrap();
    assert_eq!(cfg.sessions.len(), 1);
    assert_eq!(cfg.sessions[0].id.to_string(), "FIX.4.4:A->B");
    let shown: Vec<String> = cfg.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(
        shown,
        [
            "sessions.cfg:5: SocketAcceptPort is required for an acceptor \
             (session left out: ContinueInitializationOnError=Y)",
            "sessions.cfg:14: duplicate session FIX.4.4:A->B \
             (session left out: ContinueInitializationOnError=Y)",
        ]
    );
    assert_eq!(
        err(&format!("{base}ContinueInitializationOnError=yes\n{good}")),
        "sessions.cfg:4: ContinueInitializationOnError: expected Y or N, got \"yes\""
    );
}
