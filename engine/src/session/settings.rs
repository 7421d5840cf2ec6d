//! Session settings (the session-layer subset of a QuickFIX .cfg section).

use ringfix_codec::redact::Redaction;

/// A secret value (our Logon's Password): `Debug` shows `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Vec<u8>);

impl Secret {
    /// Holds `bytes`.
    pub fn new(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}
pub use ringfix_codec::dict::Version;
use std::sync::Arc;

use ringfix_codec::dict::FieldOrder;

/// Which side opens the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Connects and sends the first Logon.
    Initiator,
    /// Accepts connections and answers Logons.
    Acceptor,
}

/// What an inbound application message the session would reject does
/// while logged on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ErrorPolicy {
    /// Reject it (the FIX rules).
    #[default]
    Reject,
    /// Log out ("Session reset"); sequence numbers go back to 1 when the
    /// logout ends.
    Reset,
    /// Close the connection at once, without a Logout.
    Disconnect,
}

/// Settings of one session. Times are in seconds unless named otherwise.
#[derive(Clone, Debug)]
pub struct SessionSettings {
    /// Initiator or acceptor.
    pub role: Role,
    /// BeginString (8), e.g. `FIX.4.4` or `FIXT.1.1`.
    pub begin_string: String,
    /// Our CompID (49 on what we send).
    pub sender_comp_id: String,
    /// The counterparty's CompID (56 on what we send).
    pub target_comp_id: String,
    /// DefaultApplVerID (1137) we send on Logon when FIXT (e.g. `9`).
    pub default_appl_ver_id: Option<String>,
    /// HeartBtInt an initiator proposes; acceptors take the peer's value.
    pub heart_bt_int: u32,
    /// Seconds to wait for the Logon (acceptor: from accept; initiator:
    /// from sending ours).
    pub logon_timeout: u32,
    /// Seconds to wait for the Logout answer after we sent a Logout.
    pub logout_timeout: u32,
    /// Check inbound SendingTime against `now` (QuickFIX CheckLatency).
    pub check_latency: bool,
    /// Maximum |SendingTime - now| in seconds (QuickFIX MaxLatency).
    pub max_latency: u32,
    /// Reset sequence numbers on every Logon.
    pub reset_on_logon: bool,
    /// Reset sequence numbers after a Logout.
    pub reset_on_logout: bool,
    /// Reset sequence numbers when the connection drops.
    pub reset_on_disconnect: bool,
    /// Largest range asked for in one ResendRequest (0: no limit).
    pub resend_request_chunk_size: u64,
    /// Send a new ResendRequest even when one covering the gap is pending.
    pub send_redundant_resend_requests: bool,
    /// Fractional digits of written timestamps (0, 3, 6, 9).
    pub timestamp_precision: u8,
    /// Send NextExpectedMsgSeqNum (789) on Logon (FIX.4.4+).
    pub enable_next_expected_msg_seq_num: bool,
    /// Reconnect after a disconnect (initiators).
    pub reconnect: bool,
    /// LastMsgSeqNumProcessed (369) in the header of every message we
    /// send: the last inbound MsgSeqNum processed (an answer names the
    /// message it answers).
    pub enable_last_msg_seq_num_processed: bool,
    /// What an inbound application message we would reject does while
    /// logged on (QuickFIX/J ResetOnError, DisconnectOnError).
    pub on_error: ErrorPolicy,
    /// Check inbound MsgSeqNums (gaps: ResendRequest; too low: Logout).
    /// Off: any number is taken as the next.
    pub validate_sequence_numbers: bool,
    /// Send PossDupFlag (43) and OrigSendingTime (122) an application puts
    /// in a header (else dropped).
    pub allow_pos_dup: bool,
    /// A PossDup message without OrigSendingTime is rejected.
    pub requires_orig_sending_time: bool,
    /// A resend the store cannot read sends Heartbeats (PossDupFlag=Y) in
    /// place of the messages instead of ending the session.
    pub force_resend_when_corrupted_store: bool,
    /// Silence before the connection is dropped: (1 + m) x HeartBtInt, m
    /// in thousandths (1400: 2.4 x).
    pub heartbeat_timeout_multiplier: u32,
    /// Silence before a TestRequest: (1 + m) x HeartBtInt per outstanding
    /// request plus one, m in thousandths (200: 1.2 x).
    pub test_request_delay_multiplier: u32,
    /// Never drop the connection for silence (TestRequests still go out).
    pub disable_heartbeat_check: bool,
    /// A ResendRequest's EndSeqNo is the last missing number, not 0.
    pub closed_resend_interval: bool,
    /// A panic in [`Application::on_app`](super::Application::on_app)
    /// rejects the message (else it is not counted and comes again).
    pub reject_message_on_unhandled_exception: bool,
    /// Extra `(tag, value)` fields in every Logon we send (QuickFIX/J
    /// LogonTag).
    pub logon_tags: Vec<(u32, String)>,
    /// Username (553) on our Logon (`LogonUsername`), before the fields
    /// the application adds in `on_admin_out`.
    pub logon_username: Option<String>,
    /// Password (554) on our Logon (`LogonPasswordFile`'s first line).
    pub logon_password: Option<Secret>,
    /// `RedactFieldsInLogs`: an admin message (our Logon) is stored with
    /// these tags' values masked; admin messages are never resent, so the
    /// store needs no secret.
    pub redact: Redaction,
    /// The session version of `begin_string` (kept in step with it by
    /// [`SessionSettings::new`] and the session: one type, decided once).
    version: Version,
    /// Answer a garbled message with a Reject "Message failed basic
    /// validity check" instead of ignoring it (QuickFIX/J RejectGarbledMessage).
    pub reject_garbled_message: bool,
    /// Accept a Logon answer without ResetSeqNumFlag=Y to our reset
    /// (QuickFIX C++; QuickFIX/J disconnects: IgnoreAbsenceOf141tag=N).
    pub ignore_absence_of_141_tag: bool,
    /// Write the messages the session composes, and resends, in dictionary
    /// order (QuickFIX C++ PreserveMessageFieldsOrder); `None`: 8, 9, 35,
    /// then ascending tags.
    pub field_order: Option<Arc<FieldOrder>>,
}

impl SessionSettings {
    /// QuickFIX defaults for a session between `sender` and `target`.
    pub fn new(role: Role, begin_string: &str, sender: &str, target: &str) -> Self {
        Self {
            role,
            begin_string: begin_string.to_owned(),
            sender_comp_id: sender.to_owned(),
            target_comp_id: target.to_owned(),
            default_appl_ver_id: None,
            heart_bt_int: 30,
            logon_timeout: 10,
            logout_timeout: 2,
            check_latency: true,
            max_latency: 120,
            reset_on_logon: false,
            reset_on_logout: false,
            reset_on_disconnect: false,
            resend_request_chunk_size: 0,
            send_redundant_resend_requests: false,
            timestamp_precision: 3,
            enable_next_expected_msg_seq_num: false,
            reconnect: role == Role::Initiator,
            enable_last_msg_seq_num_processed: false,
            on_error: ErrorPolicy::Reject,
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
            logon_username: None,
            logon_password: None,
            redact: Redaction::default(),
            version: version_of(begin_string),
            reject_garbled_message: false,
            ignore_absence_of_141_tag: true,
            field_order: None,
        }
    }

    /// Whether the session speaks FIXT.1.1 (FIX 5.0+ application layer).
    pub fn is_fixt(&self) -> bool {
        self.begin_string.starts_with("FIXT")
    }

    /// The session's FIX version, for version-dependent rules: FIX.4.0 to
    /// FIX.4.4, or FIXT.1.1 (ordered after every FIX.4.x).
    pub fn version(&self) -> Version {
        self.version
    }

    /// Brings the version in step with `begin_string` (after a change of
    /// the public field; the session does it when it takes its settings).
    pub fn sync_version(&mut self) {
        self.version = version_of(&self.begin_string);
    }
}

/// FIXT.1.1 for a BeginString that names no FIX.4.x (FIXT is newer than
/// every FIX.4.x).
fn version_of(begin_string: &str) -> Version {
    Version::from_begin_string(begin_string.as_bytes()).unwrap_or(Version::Fixt11)
}
