//! Session policy keys: both spellings, defaults, bad values naming the
//! line and key.

use crate::config::*;

const INITIATOR: &str = "\
[DEFAULT]
ConnectionType=initiator
HeartBtInt=30
NonStopSession=Y

[SESSION]
BeginString=FIX.4.4
SenderCompID=CLIENT
TargetCompID=SERVER
SocketConnectHost=127.0.0.1
SocketConnectPort=9876
";

/// Line of the first key appended to [`INITIATOR`].
const LINE: usize = 12;

fn parse(extra: &str) -> Result<EngineConfig, ConfigError> {
    EngineConfig::parse(&format!("{INITIATOR}{extra}"), "sessions.cfg")
}

fn policy(extra: &str) -> PolicySettings {
    let cfg = parse(extra).unwrap();
    assert!(cfg.warnings.is_empty(), "{:?}", cfg.warnings);
    cfg.sessions[0].policy.clone()
}

fn err(extra: &str) -> String {
    parse(extra).unwrap_err().to_string()
}

#[test]
fn defaults_as_quickfix() {
    let p = policy("");
    assert_eq!(p, PolicySettings::default());
    assert!(!p.next_expected_msg_seq_num);
    assert!(p.validate_sequence_numbers);
    assert!(p.requires_orig_sending_time);
    assert_eq!(p.heartbeat_timeout_multiplier, 1400);
    assert_eq!(p.test_request_delay_multiplier, 200);
    assert_eq!(p.on_error, ErrorAction::Reject);
}

#[test]
fn next_expected_either_spelling_must_agree() {
    assert!(policy("SendNextExpectedMsgSeqNum=Y\n").next_expected_msg_seq_num);
    assert!(policy("EnableNextExpectedMsgSeqNum=Y\n").next_expected_msg_seq_num);
    assert!(
        policy("SendNextExpectedMsgSeqNum=Y\nEnableNextExpectedMsgSeqNum=Y\n")
            .next_expected_msg_seq_num
    );
    let e = err("SendNextExpectedMsgSeqNum=Y\nEnableNextExpectedMsgSeqNum=N\n");
    assert!(e.contains(&format!("sessions.cfg:{}", LINE + 1)), "{e}");
    assert!(e.contains("EnableNextExpectedMsgSeqNum"), "{e}");
    let e = err("ClosedResendInterval=Y\nUseClosedResendInterval=N\n");
    assert!(e.contains("UseClosedResendInterval"), "{e}");
    assert!(policy("UseClosedResendInterval=Y\n").closed_resend_interval);
}

#[test]
fn error_action_reset_wins() {
    assert_eq!(policy("ResetOnError=Y\n").on_error, ErrorAction::Reset);
    assert_eq!(
        policy("DisconnectOnError=Y\n").on_error,
        ErrorAction::Disconnect
    );
    assert_eq!(
        policy("DisconnectOnError=Y\nResetOnError=Y\n").on_error,
        ErrorAction::Reset
    );
    assert_eq!(policy("ResetOnError=N\n").on_error, ErrorAction::Reject);
}

#[test]
fn multipliers_in_thousandths() {
    let p = policy("HeartBeatTimeoutMultiplier=2.5\nTestRequestDelayMultiplier=0.125\n");
    assert_eq!(p.heartbeat_timeout_multiplier, 2500);
    assert_eq!(p.test_request_delay_multiplier, 125);
    assert_eq!(
        policy("HeartBeatTimeoutMultiplier=3\n").heartbeat_timeout_multiplier,
        3000
    );
    for bad in ["-1", "1.2345", "x", "1e3", "100.5", ""] {
        let e = err(&format!("HeartBeatTimeoutMultiplier={bad}\n"));
        assert!(e.contains(&format!("sessions.cfg:{LINE}")), "{bad}: {e}");
        assert!(e.contains("HeartBeatTimeoutMultiplier"), "{bad}: {e}");
    }
    assert_eq!(multiplier_text(1400), "1.4");
    assert_eq!(multiplier_text(125), "0.125");
    assert_eq!(multiplier_text(3000), "3");
}

#[test]
fn logon_tags_in_order_without_gaps() {
    let p = policy("LogonTag=553=user\nLogonTag1=554=secret=1\n");
    assert_eq!(
        p.logon_tags,
        vec![(553, "user".to_owned()), (554, "secret=1".to_owned())]
    );
    let e = err("LogonTag=553=user\nLogonTag2=554=pw\n");
    assert!(e.contains(&format!("sessions.cfg:{}", LINE + 1)), "{e}");
    assert!(e.contains("LogonTag2"), "{e}");
    for bad in ["553", "x=1", "0=a", "553="] {
        let e = err(&format!("LogonTag={bad}\n"));
        assert!(e.contains("LogonTag"), "{bad}: {e}");
    }
    // Fields the session writes itself.
    let e = err("LogonTag=108=5\n");
    assert!(e.contains("the session does not write itself"), "{e}");
}

#[test]
fn effective_settings_show_them() {
    let cfg = parse("ResetOnError=Y\nHeartBeatTimeoutMultiplier=2\nLogonTag=553=u\n").unwrap();
    let eff = cfg.sessions[0].effective();
    let get = |k: &str| eff.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
    assert_eq!(get("ResetOnError").as_deref(), Some("Y"));
    assert_eq!(get("DisconnectOnError").as_deref(), Some("N"));
    assert_eq!(get("HeartBeatTimeoutMultiplier").as_deref(), Some("2"));
    assert_eq!(get("LogonTag").as_deref(), Some("553=u"));
}

#[test]
fn reject_on_panic_and_the_no_effect_reset_flag() {
    assert!(policy("RejectMessageOnUnhandledException=Y\n").reject_message_on_unhandled_exception);
    assert!(!policy("").reject_message_on_unhandled_exception);
    // Without effect, yet its value is checked and it warns.
    let cfg = parse("SendResetSeqNumFlag=Y\n").unwrap();
    let shown: Vec<String> = cfg.warnings.iter().map(ToString::to_string).collect();
    assert_eq!(shown.len(), 1, "{shown:?}");
    assert!(
        shown[0].contains("SendResetSeqNumFlag: no effect"),
        "{shown:?}"
    );
    let e = err("SendResetSeqNumFlag=maybe\n");
    assert!(
        e.contains(&format!("sessions.cfg:{LINE}: SendResetSeqNumFlag")),
        "{e}"
    );
}
