//! Cross-key rules and the in-code constructors.

use std::time::Duration;

use crate::config::*;

fn err(text: &str) -> String {
    EngineConfig::parse(text, "s.cfg").unwrap_err().to_string()
}

const ID: &str = "BeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n";

#[test]
fn initiator_needs_address_and_heartbeat() {
    let base = format!("[SESSION]\n{ID}ConnectionType=initiator\nNonStopSession=Y\n");
    assert_eq!(
        err(&base),
        "s.cfg:1: SocketConnectHost is required for an initiator"
    );
    let host = format!("{base}SocketConnectHost=h\n");
    assert_eq!(
        err(&host),
        "s.cfg:1: SocketConnectPort is required for an initiator"
    );
    let port = format!("{host}SocketConnectPort=1\n");
    assert_eq!(
        err(&port),
        "s.cfg:1: HeartBtInt is required for an initiator"
    );
    assert!(EngineConfig::parse(&format!("{port}HeartBtInt=30\n"), "s.cfg").is_ok());
}

#[test]
fn acceptor_needs_port_and_heartbeat_is_optional() {
    let base = format!("[SESSION]\n{ID}ConnectionType=acceptor\nNonStopSession=Y\n");
    assert_eq!(
        err(&base),
        "s.cfg:1: SocketAcceptPort is required for an acceptor"
    );
    let cfg = EngineConfig::parse(&format!("{base}SocketAcceptPort=5001\n"), "s.cfg").unwrap();
    assert_eq!(cfg.sessions[0].timing.heartbeat_interval, None);
    let tls = format!("{base}SocketAcceptPort=5001\nSocketUseSSL=Y\n");
    assert_eq!(
        err(&tls),
        "s.cfg:1: session FIX.4.4:A->B: ServerCertificateFile is required for a TLS acceptor"
    );
}

#[test]
fn identity_keys_are_required() {
    let text = "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nConnectionType=acceptor\n";
    assert_eq!(
        err(text),
        "s.cfg:1: TargetCompID is required in every [SESSION] (or [DEFAULT])"
    );
    let text = format!("[SESSION]\n{ID}NonStopSession=Y\n");
    assert_eq!(
        err(&text),
        "s.cfg:1: ConnectionType is required in every [SESSION] (or [DEFAULT])"
    );
}

#[test]
fn fixt_needs_default_appl_ver_id() {
    let text = "[SESSION]\nBeginString=FIXT.1.1\nSenderCompID=A\nTargetCompID=B\n\
                ConnectionType=acceptor\nSocketAcceptPort=1\nNonStopSession=Y\n";
    assert_eq!(
        err(text),
        "s.cfg:1: session FIXT.1.1:A->B: DefaultApplVerID is required for FIXT.1.1"
    );
}

#[test]
fn data_dictionary_in_a_fixt_session_is_an_error_but_inherited_is_ignored() {
    let session = "[SESSION]\nBeginString=FIXT.1.1\nSenderCompID=A\nTargetCompID=B\n\
                   ConnectionType=acceptor\nSocketAcceptPort=1\nNonStopSession=Y\nDefaultApplVerID=9\n";
    let inherited = format!("[DEFAULT]\nDataDictionary=codec/spec/FIX44.xml\n{session}");
    let s = &EngineConfig::parse(&inherited, "s.cfg").unwrap().sessions[0];
    assert_eq!(s.dictionaries.data_dictionary, None);
    let own = format!("{session}DataDictionary=codec/spec/FIX44.xml\n");
    assert!(err(&own)
        .starts_with("s.cfg:9: DataDictionary: expected no DataDictionary in a FIXT.1.1 session"));
}

#[test]
fn schedule_keys_are_required_unless_non_stop() {
    let base = format!("[SESSION]\n{ID}ConnectionType=acceptor\nSocketAcceptPort=1\n");
    assert_eq!(
        err(&base),
        "s.cfg:1: StartTime is required unless NonStopSession=Y"
    );
    let start = format!("{base}StartTime=08:00:00\n");
    assert_eq!(
        err(&start),
        "s.cfg:1: EndTime is required unless NonStopSession=Y"
    );
    let day = format!("{start}EndTime=17:00:00\nStartDay=Mon\n");
    assert_eq!(
        err(&day),
        "s.cfg:1: EndDay is required when StartDay is set"
    );
    let end_day = format!("{start}EndTime=17:00:00\nEndDay=Fri\n");
    assert_eq!(
        err(&end_day),
        "s.cfg:1: StartDay is required when EndDay is set"
    );
    // NonStopSession=Y makes StartTime and friends irrelevant.
    let non_stop = format!("{base}NonStopSession=Y\nStartDay=Mon\n");
    assert!(EngineConfig::parse(&non_stop, "s.cfg").unwrap().sessions[0]
        .schedule
        .is_non_stop());
}

#[test]
fn reconnect_cap_below_interval_is_rejected() {
    let text = format!(
        "[SESSION]\n{ID}ConnectionType=initiator\nNonStopSession=Y\nSocketConnectHost=h\n\
         SocketConnectPort=1\nHeartBtInt=30\nReconnectInterval=10\nReconnectMaxInterval=5\n"
    );
    assert_eq!(
        err(&text),
        "s.cfg:1: session FIX.4.4:A->B: ReconnectMaxInterval must not be below ReconnectInterval"
    );
}

#[test]
fn sessions_sharing_a_core_share_the_mode() {
    let a =
        "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\nConnectionType=acceptor\n\
             SocketAcceptPort=1\nNonStopSession=Y\nReactorCore=2\nReactorMode=spin\n";
    let b = a.replace("TargetCompID=B", "TargetCompID=C");
    let same = format!("{a}{b}");
    let cfg = EngineConfig::parse(&same, "s.cfg").unwrap();
    assert_eq!(cfg.sessions.len(), 2);
    let unpinned = a
        .replace("TargetCompID=B", "TargetCompID=D")
        .replace("ReactorCore=2\n", "");
    let groups = EngineConfig::parse(&format!("{a}{unpinned}{b}"), "s.cfg")
        .unwrap()
        .reactors();
    let expected = [
        ReactorGroup {
            core: Some(2),
            mode: ReactorMode::Spin,
            sessions: vec![0, 2],
        },
        ReactorGroup {
            core: None,
            mode: ReactorMode::Spin,
            sessions: vec![1],
        },
    ];
    assert_eq!(groups, expected);
    let clash = format!("{a}{}", b.replace("spin", "block"));
    assert_eq!(
        err(&clash),
        "s.cfg:10: ReactorMode: session FIX.4.4:A->C: shares ReactorCore with FIX.4.4:A->B but not its ReactorMode"
    );
}

#[test]
fn builders_make_valid_settings() {
    let id = SessionId::new("FIX.4.4", "ME", "YOU");
    let init = SessionSettings::initiator(id.clone(), "127.0.0.1", 9876, Duration::from_secs(30));
    init.validate().unwrap();
    assert_eq!(init.role, Role::Initiator);
    assert!(init.schedule.is_non_stop());
    let acc = SessionSettings::acceptor(id.clone(), 9876);
    acc.validate().unwrap();
    let mut zero = init.clone();
    zero.timing.heartbeat_interval = Some(Duration::ZERO);
    assert_eq!(
        zero.validate().unwrap_err().to_string(),
        "session FIX.4.4:ME->YOU: HeartBtInt must be positive"
    );
    let mut fixt = SessionSettings::acceptor(SessionId::new("FIXT.1.1", "ME", "YOU"), 1);
    assert!(fixt.validate().is_err());
    fixt.dictionaries.default_appl_ver_id = Some(ApplVerId::Fix50Sp2);
    fixt.validate().unwrap();
    let bad = SessionSettings::acceptor(SessionId::new("FIX.5.0", "ME", "YOU"), 1);
    assert!(bad
        .validate()
        .unwrap_err()
        .to_string()
        .contains("BeginString \"FIX.5.0\""));
}

#[test]
fn session_id_display_like_quickfix() {
    let mut id = SessionId::new("FIX.4.2", "S", "T");
    assert_eq!(id.to_string(), "FIX.4.2:S->T");
    id.sender_sub_id = Some("SS".into());
    id.target_location_id = Some("TL".into());
    assert_eq!(id.to_string(), "FIX.4.2:S/SS->T/TL");
    id.qualifier = Some("Q".into());
    assert_eq!(id.to_string(), "FIX.4.2:S/SS->T/TL:Q");
}

#[test]
fn start_and_end_time_may_name_the_zone_as_quickfix_j() {
    let base = format!("[SESSION]\n{ID}ConnectionType=acceptor\nSocketAcceptPort=1\n");
    let ny = jiff::tz::TimeZone::get("America/New_York").unwrap();
    let text =
        format!("{base}StartTime=09:30:00 America/New_York\nEndTime=16:00:00 America/New_York\n");
    let s = &EngineConfig::parse(&text, "s.cfg").unwrap().sessions[0];
    assert_eq!(s.schedule.time_zone(), &ny);
    let text = format!(
        "{base}StartTime=09:30:00 America/New_York\nEndTime=16:00:00\nTimeZone=America/New_York\n"
    );
    assert!(EngineConfig::parse(&text, "s.cfg").is_ok());
    let clash = format!(
        "{base}StartTime=09:30:00 America/New_York\nEndTime=16:00:00\nTimeZone=Europe/London\n"
    );
    assert_eq!(
        err(&clash),
        "s.cfg:1: expected one time zone for TimeZone, StartTime, EndTime, LogonTime and LogoutTime, \
         got \"TimeZone=Europe/London, StartTime=09:30:00 America/New_York, EndTime=16:00:00\""
    );
    let bad = format!("{base}StartTime=09:30:00 Nowhere/Land\nEndTime=16:00:00\n");
    assert_eq!(
        err(&bad),
        "s.cfg:7: StartTime: expected a time HH:MM:SS, optionally followed by a time zone, got \"09:30:00 Nowhere/Land\""
    );
}

#[test]
fn acceptors_sharing_a_port_share_tls() {
    let a =
        "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\nConnectionType=acceptor\n\
             SocketAcceptPort=7\nNonStopSession=Y\n";
    let b = a.replace("TargetCompID=B", "TargetCompID=C");
    assert!(EngineConfig::parse(&format!("{a}{b}"), "s.cfg").is_ok());
    let tls = format!("{b}SocketUseSSL=Y\nServerCertificateFile=cert.pem\n");
    assert_eq!(
        err(&format!("{a}{tls}")),
        "s.cfg:8: SocketUseSSL: session FIX.4.4:A->C: shares its accept address with FIX.4.4:A->B but not its SocketUseSSL"
    );
    let other_port = tls.replace("SocketAcceptPort=7", "SocketAcceptPort=8");
    assert!(EngineConfig::parse(&format!("{a}{other_port}"), "s.cfg").is_ok());
}
