//! Session-layer policies: sequence recovery at logon, what an error in an
//! inbound application message does, heartbeat multipliers, resend and
//! PossDup rules (QuickFIX C++ and QuickFIX/J keys).

/// What an inbound application message the session would reject does
/// instead (`ResetOnError`, `DisconnectOnError`, QuickFIX/J).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ErrorAction {
    /// Reject it (the FIX rules; default).
    #[default]
    Reject,
    /// `ResetOnError=Y`: Logout "Session reset", then sequence numbers
    /// back to 1 once the logout ends; the connection closes.
    Reset,
    /// `DisconnectOnError=Y`: close the connection, no Logout.
    Disconnect,
}

/// Multipliers are kept in thousandths (`1.4` -> 1400): no floating point
/// in the timers.
pub const MULTIPLIER_SCALE: u32 = 1000;

/// The session's policies.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PolicySettings {
    /// `SendNextExpectedMsgSeqNum` (QuickFIX C++) or
    /// `EnableNextExpectedMsgSeqNum` (QuickFIX/J), default N:
    /// NextExpectedMsgSeqNum (789) in our Logon (FIX.4.4 and later) and a
    /// received 789 acted on (resend from it; above what we sent: Logout).
    pub next_expected_msg_seq_num: bool,
    /// `EnableLastMsgSeqNumProcessed` (default N): LastMsgSeqNumProcessed
    /// (369) in the header of what we send.
    pub last_msg_seq_num_processed: bool,
    /// `ResetOnError` / `DisconnectOnError` (default: reject).
    pub on_error: ErrorAction,
    /// `ValidateSequenceNumbers` (QuickFIX/J, default Y): N accepts any
    /// MsgSeqNum (no ResendRequest, no too-low Logout).
    pub validate_sequence_numbers: bool,
    /// `AllowPosDup` (QuickFIX/J, default N): PossDupFlag (43) and
    /// OrigSendingTime (122) an application puts in a header are sent
    /// (else the session drops them).
    pub allow_pos_dup: bool,
    /// `RequiresOrigSendingTime` (QuickFIX/J, default Y): a PossDup
    /// message without OrigSendingTime is rejected.
    pub requires_orig_sending_time: bool,
    /// `ForceResendWhenCorruptedStore` (QuickFIX/J, default N): when the
    /// store cannot be read for a resend, Heartbeats with PossDupFlag=Y
    /// stand in for the messages instead of ending the session.
    pub force_resend_when_corrupted_store: bool,
    /// `HeartBeatTimeoutMultiplier` (QuickFIX/J, thousandths, default
    /// 1.4): the connection is dropped after (1 + m) x HeartBtInt of
    /// silence.
    pub heartbeat_timeout_multiplier: u32,
    /// `TestRequestDelayMultiplier` (QuickFIX/J, thousandths): a
    /// TestRequest after (1 + m) x HeartBtInt of silence. Default 0.2
    /// (QuickFIX C++'s fixed 1.2 x; QuickFIX/J's default is 0.5).
    pub test_request_delay_multiplier: u32,
    /// `DisableHeartBeatCheck` (QuickFIX/J, default N): Y never drops the
    /// connection for silence (TestRequests are still sent).
    pub disable_heartbeat_check: bool,
    /// `ClosedResendInterval` (QuickFIX/J) or `UseClosedResendInterval`,
    /// default N: a ResendRequest's EndSeqNo is the last missing number,
    /// not 0 (infinity).
    pub closed_resend_interval: bool,
    /// `RejectMessageOnUnhandledException` (QuickFIX/J, default N): a panic
    /// in the application's `on_app` rejects the message (else it is not
    /// counted and is asked for again).
    pub reject_message_on_unhandled_exception: bool,
    /// `LogonTag`, `LogonTag1`, ... (QuickFIX/J): `tag=value` fields added
    /// to every Logon we send.
    pub logon_tags: Vec<(u32, String)>,
}

impl Default for PolicySettings {
    fn default() -> Self {
        Self {
            next_expected_msg_seq_num: false,
            last_msg_seq_num_processed: false,
            on_error: ErrorAction::Reject,
            validate_sequence_numbers: true,
            allow_pos_dup: false,
            requires_orig_sending_time: true,
            force_resend_when_corrupted_store: false,
            heartbeat_timeout_multiplier: 1400,
            test_request_delay_multiplier: 200,
            disable_heartbeat_check: false,
            closed_resend_interval: false,
            reject_message_on_unhandled_exception: false,
            logon_tags: Vec::new(),
        }
    }
}

/// A multiplier in thousandths as text (`1400` -> `1.4`).
pub fn multiplier_text(m: u32) -> String {
    let (whole, frac) = (m / MULTIPLIER_SCALE, m % MULTIPLIER_SCALE);
    if frac == 0 {
        return whole.to_string();
    }
    let f = format!("{frac:03}");
    format!("{whole}.{}", f.trim_end_matches('0'))
}
