//! The session policy keys (`EnableNextExpectedMsgSeqNum`, `ResetOnError`,
//! the heartbeat multipliers, `LogonTag`, ...). Where QuickFIX C++ and
//! QuickFIX/J name one setting differently both spellings are read; set
//! both, they must agree.

use super::super::error::{ConfigError, ErrorKind};
use super::super::settings::{ErrorAction, PolicySettings};
use super::super::value;
use super::Reader;

/// Fields of our Logon the session writes itself: a `LogonTag` may not
/// name them (header, trailer, EncryptMethod, HeartBtInt, ResetSeqNumFlag,
/// NextExpectedMsgSeqNum, DefaultApplVerID, LastMsgSeqNumProcessed).
const SESSION_TAGS: &[u32] = &[
    8, 9, 10, 34, 35, 43, 49, 52, 56, 97, 98, 108, 122, 141, 369, 789, 1137,
];

/// The policy keys of a session.
pub(super) fn policy(r: &Reader<'_>, p: &mut PolicySettings) -> Result<(), ConfigError> {
    if let Some(v) = either(
        r,
        "SendNextExpectedMsgSeqNum",
        "EnableNextExpectedMsgSeqNum",
    )? {
        p.next_expected_msg_seq_num = v;
    }
    r.set(
        "EnableLastMsgSeqNumProcessed",
        &mut p.last_msg_seq_num_processed,
        value::boolean,
    )?;
    // QuickFIX/J checks ResetOnError first: it wins when both are set.
    if r.get("DisconnectOnError", value::boolean)? == Some(true) {
        p.on_error = ErrorAction::Disconnect;
    }
    if r.get("ResetOnError", value::boolean)? == Some(true) {
        p.on_error = ErrorAction::Reset;
    }
    r.set(
        "ValidateSequenceNumbers",
        &mut p.validate_sequence_numbers,
        value::boolean,
    )?;
    r.set("AllowPosDup", &mut p.allow_pos_dup, value::boolean)?;
    r.set(
        "RequiresOrigSendingTime",
        &mut p.requires_orig_sending_time,
        value::boolean,
    )?;
    r.set(
        "ForceResendWhenCorruptedStore",
        &mut p.force_resend_when_corrupted_store,
        value::boolean,
    )?;
    r.set(
        "HeartBeatTimeoutMultiplier",
        &mut p.heartbeat_timeout_multiplier,
        value::multiplier,
    )?;
    r.set(
        "TestRequestDelayMultiplier",
        &mut p.test_request_delay_multiplier,
        value::multiplier,
    )?;
    r.set(
        "DisableHeartBeatCheck",
        &mut p.disable_heartbeat_check,
        value::boolean,
    )?;
    if let Some(v) = either(r, "ClosedResendInterval", "UseClosedResendInterval")? {
        p.closed_resend_interval = v;
    }
    r.set(
        "RejectMessageOnUnhandledException",
        &mut p.reject_message_on_unhandled_exception,
        value::boolean,
    )?;
    p.logon_tags = logon_tags(r)?;
    Ok(())
}

/// A Y/N setting with two spellings; both given, they must agree.
fn either(
    r: &Reader<'_>,
    cpp: &'static str,
    java: &'static str,
) -> Result<Option<bool>, ConfigError> {
    let a = r.get(cpp, value::boolean)?;
    let b = r.get(java, value::boolean)?;
    match (a, b) {
        (Some(a), Some(b)) if a != b => {
            Err(r.contradiction(java, "the same value as the other spelling of this key"))
        }
        (a, b) => Ok(a.or(b)),
    }
}

/// `LogonTag`, then `LogonTag1`, `LogonTag2`, ... without gaps.
fn logon_tags(r: &Reader<'_>) -> Result<Vec<(u32, String)>, ConfigError> {
    let mut out = Vec::new();
    let mut used = 0;
    for n in 0.. {
        let suffix = if n == 0 { String::new() } else { n.to_string() };
        let Some(e) = r.section.get_suffixed("LogonTag", &suffix) else {
            if n == 0 {
                continue;
            }
            break;
        };
        used += 1;
        let (tag, v) = r.parse(e, value::logon_tag)?;
        if SESSION_TAGS.contains(&tag) {
            return Err(bad(
                r,
                e,
                "a tag the session does not write itself in a Logon",
            ));
        }
        out.push((tag, v));
    }
    let stray = r
        .section
        .entries
        .iter()
        .filter(|e| e.key.canonical == "LogonTag")
        .nth(used);
    if let Some(e) = stray {
        return Err(bad(
            r,
            e,
            "LogonTag, then LogonTag1, LogonTag2, ... without gaps",
        ));
    }
    Ok(out)
}

fn bad(r: &Reader<'_>, e: &super::Entry, expected: &'static str) -> ConfigError {
    ConfigError {
        location: r.location(e.line),
        key: Some(e.spelled.clone()),
        kind: ErrorKind::BadValue {
            expected,
            got: e.value.clone(),
        },
    }
}
