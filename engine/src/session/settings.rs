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

pub use super::policy::{ErrorAction, PolicySettings};

use ringfix_codec::dict::FieldOrder;

/// Which side opens the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Connects and sends the first Logon.
    Initiator,
    /// Accepts connections and answers Logons.
    Acceptor,
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
    /// Reset sequence numbers when the counterparty answers our Logon
    /// with a Logout (QuickFIX/J ResetOnLogonRejected).
    pub reset_on_logon_rejected: bool,
    /// Largest range asked for in one ResendRequest (0: no limit).
    pub resend_request_chunk_size: u64,
    /// Send a new ResendRequest even when one covering the gap is pending.
    pub send_redundant_resend_requests: bool,
    /// Fractional digits of written timestamps (0, 3, 6, 9).
    pub timestamp_precision: u8,
    /// Reconnect after a disconnect (initiators).
    pub reconnect: bool,
    /// Session-layer policies (789, 369, errors, heartbeat multipliers,
    /// PossDup rules, LogonTag).
    pub policy: PolicySettings,
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
            reset_on_logon_rejected: false,
            resend_request_chunk_size: 0,
            send_redundant_resend_requests: false,
            timestamp_precision: 3,
            reconnect: role == Role::Initiator,
            policy: PolicySettings::default(),
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
