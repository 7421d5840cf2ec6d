//! Logon authentication and redaction keys (issue 30): who may log on, with
//! what the initiator logs on, and which values never reach a log in clear.

use std::path::PathBuf;

use super::build::Reader;
use super::error::{ConfigError, ErrorKind, SettingsError};
use super::settings::{Role, SessionSettings};
use super::value::{self, Expected};
use ringfix_codec::redact::Redaction;

/// `MaxFailedLogonsPerMinute` when not set.
pub const DEFAULT_MAX_FAILED_LOGONS_PER_MINUTE: u32 = 10;

/// Authentication and secrets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SecuritySettings {
    /// `LogonCredentialsFile` (acceptor): `TargetCompID Username HASH`
    /// lines (see [`Credentials`](super::Credentials)); a Logon whose
    /// Username (553) and Password (554) do not match its line is refused
    /// with the Logout text `Invalid credentials`. `None`: no check.
    pub logon_credentials_file: Option<PathBuf>,
    /// `MaxFailedLogonsPerMinute` (acceptor, per peer address, default 10;
    /// 0: no limit): past it the address's connections are closed at
    /// accept for the rest of the minute.
    pub max_failed_logons_per_minute: u32,
    /// `LogonUsername` (initiator): Username (553) of our Logon.
    pub logon_username: Option<String>,
    /// `LogonPasswordFile` (initiator): the file whose first line is the
    /// Password (554) of our Logon; read at start, never kept in the
    /// `.cfg`.
    pub logon_password_file: Option<PathBuf>,
    /// `RedactFieldsInLogs` (QuickFIX/n, default `554,925,1402,1404`): the
    /// tags whose values logs, tracing, the journal's copy of a Logon and
    /// the tools write as `***`.
    pub redact: Redaction,
}

impl Default for SecuritySettings {
    fn default() -> Self {
        Self {
            logon_credentials_file: None,
            max_failed_logons_per_minute: DEFAULT_MAX_FAILED_LOGONS_PER_MINUTE,
            logon_username: None,
            logon_password_file: None,
            redact: Redaction::default(),
        }
    }
}

/// `554,925`; `N` (or nothing) for none.
fn tag_list(v: &str) -> Result<Redaction, Expected> {
    const EXPECTED: Expected = "a comma-separated list of tag numbers, or N for none";
    if v.is_empty() || v == "N" || v == "n" {
        return Ok(Redaction::none());
    }
    let mut tags = Vec::new();
    for item in v.split(',') {
        let tag: u32 = item.trim().parse().map_err(|_| EXPECTED)?;
        if tag == 0 {
            return Err(EXPECTED);
        }
        tags.push(tag);
    }
    Ok(Redaction::new(tags))
}

fn per_minute(v: &str) -> Result<u32, Expected> {
    value::non_negative(v)
        .ok()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or("a non-negative integer (0: no limit)")
}

/// The keys of one section.
pub(super) fn read(r: &Reader<'_>, s: &mut SessionSettings) -> Result<(), ConfigError> {
    let sec = &mut s.security;
    sec.logon_credentials_file = r.path("LogonCredentialsFile")?;
    if let Some(n) = r.get("MaxFailedLogonsPerMinute", per_minute)? {
        sec.max_failed_logons_per_minute = n;
    }
    sec.logon_username = r.get("LogonUsername", value::text)?;
    sec.logon_password_file = r.path("LogonPasswordFile")?;
    if let Some(tags) = r.get("RedactFieldsInLogs", tag_list)? {
        sec.redact = tags;
    }
    let wrong_side = |key: &str, side: &str| {
        let entry = r.section.get(key).filter(|e| !e.from_default)?;
        Some(ConfigError {
            location: r.location(entry.line),
            key: Some(entry.spelled.clone()),
            kind: ErrorKind::Invalid(SettingsError::Inconsistent {
                session: s.id.to_string(),
                message: format!("{key} is for an {side}"),
            }),
        })
    };
    let misplaced = match s.role {
        Role::Initiator => wrong_side("LogonCredentialsFile", "acceptor"),
        Role::Acceptor => wrong_side("LogonUsername", "initiator")
            .or_else(|| wrong_side("LogonPasswordFile", "initiator")),
    };
    if let Some(e) = misplaced {
        return Err(e);
    }
    let sec = &s.security;
    if sec.logon_password_file.is_some() && sec.logon_username.is_none() {
        return Err(r.missing("LogonUsername", "with LogonPasswordFile"));
    }
    Ok(())
}

/// Keys that would keep a password in the `.cfg` file: refused, saying
/// what to use instead.
pub(super) const PASSWORD_KEYS: &[&str] = &["LogonPassword", "Password"];

/// The message for a password written in the `.cfg` file.
pub(super) const PASSWORD_IN_CONFIG: &str =
    "a password is never kept in the .cfg file: put it alone in a file only you can read and \
     name that file with LogonPasswordFile";

/// The effective settings of this module, as `(key, value)`.
pub(super) fn effective(s: &SessionSettings, put: &mut dyn FnMut(&str, String)) {
    let sec = &s.security;
    match s.role {
        Role::Acceptor => {
            if let Some(p) = &sec.logon_credentials_file {
                put("LogonCredentialsFile", p.display().to_string());
            }
            put(
                "MaxFailedLogonsPerMinute",
                sec.max_failed_logons_per_minute.to_string(),
            );
        }
        Role::Initiator => {
            if let Some(u) = &sec.logon_username {
                put("LogonUsername", u.clone());
            }
            if let Some(p) = &sec.logon_password_file {
                put("LogonPasswordFile", p.display().to_string());
            }
        }
    }
    let tags: Vec<String> = sec.redact.tags().iter().map(u32::to_string).collect();
    put(
        "RedactFieldsInLogs",
        if tags.is_empty() {
            "N".to_owned()
        } else {
            tags.join(",")
        },
    );
}
