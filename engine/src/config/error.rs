//! Errors and warnings produced while reading a configuration.

use std::fmt;

/// Where a problem was found: file name and 1-based line number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    /// File name as given to the parser (e.g. `sessions.cfg`).
    pub file: String,
    /// 1-based line number.
    pub line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// What is wrong, without the location.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ErrorKind {
    /// The file could not be read.
    #[error("cannot read: {0}")]
    Io(String),
    /// A line that is neither a section header, a comment nor `Key=Value`.
    #[error("expected [SECTION], # comment or Key=Value, got {0:?}")]
    Syntax(String),
    /// A `Key=Value` line before the first section header.
    #[error("key outside of a [DEFAULT] or [SESSION] section")]
    OutsideSection,
    /// A key that neither QuickFIX nor ringfix documents.
    #[error("unknown key")]
    UnknownKey,
    /// A password written in the `.cfg` file (`LogonPassword`, `Password`):
    /// refused, saying what to use instead.
    #[error("{0}")]
    PasswordInConfig(&'static str),
    /// A key the section needs is not set (neither there nor in
    /// `[DEFAULT]`).
    #[error("{key} is required {why}")]
    Missing {
        /// The missing key.
        key: &'static str,
        /// Why, e.g. `in every [SESSION]`.
        why: &'static str,
    },
    /// A value that does not parse as the key's type.
    #[error("expected {expected}, got {got:?}")]
    BadValue {
        /// What the key accepts.
        expected: &'static str,
        /// The value as written.
        got: String,
    },
    /// Settings that are inconsistent with each other.
    #[error(transparent)]
    Invalid(#[from] SettingsError),
    /// Two `[SESSION]` sections with the same session id.
    #[error("duplicate session {0}")]
    DuplicateSession(String),
}

/// A configuration error, naming file, line and (when there is one) key.
///
/// Displays as `sessions.cfg:12: HeartBtInt: expected a positive integer, got "abc"`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    /// File and line of the offending line (for cross-key rules: the
    /// `[SESSION]` header of the session).
    pub location: Location,
    /// The key as spelled in the file, if the error is about one key.
    pub key: Option<String>,
    /// What is wrong.
    pub kind: ErrorKind,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.key {
            Some(key) => write!(f, "{}: {}: {}", self.location, key, self.kind),
            None => write!(f, "{}: {}", self.location, self.kind),
        }
    }
}

/// A cross-key rule broken by a [`SessionSettings`](super::SessionSettings),
/// whether read from a file or built in code.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// A key the session's role or version requires is missing.
    #[error("session {session}: {key} is required {why}")]
    Missing {
        /// The session (QuickFIX display form).
        session: String,
        /// The missing key.
        key: &'static str,
        /// Why it is required, e.g. `for an initiator`.
        why: &'static str,
    },
    /// Any other inconsistency.
    #[error("session {session}: {message}")]
    Inconsistent {
        /// The session (QuickFIX display form).
        session: String,
        /// What is inconsistent.
        message: String,
    },
}

/// A non-fatal finding, returned as data for the caller to log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConfigWarning {
    /// A key QuickFIX documents that ringfix does not implement yet; its
    /// value is ignored.
    Unimplemented {
        /// Where the key was set.
        location: Location,
        /// The key as spelled in the file.
        key: String,
    },
    /// A key set twice in one section; the last value wins, as in QuickFIX.
    Duplicate {
        /// Where the later value was set.
        location: Location,
        /// The key as spelled in the file.
        key: String,
    },
    /// A section other than `[DEFAULT]` or `[SESSION]`; QuickFIX ignores it.
    IgnoredSection {
        /// The section header.
        location: Location,
        /// The section name.
        name: String,
    },
    /// A key naming another product's machinery (JDBC, ODBC, MySQL,
    /// PostgreSQL, Sleepycat, SLF4J, Java key and trust stores) or a proxy;
    /// its value is ignored.
    Foreign {
        /// Where the key was set.
        location: Location,
        /// The key as spelled in the file.
        key: String,
        /// What it is and what to use instead.
        instead: &'static str,
    },
    /// A key ringfix's design makes meaningless: its value was checked and
    /// has no effect.
    NoEffect {
        /// Where the key was set.
        location: Location,
        /// The key as spelled in the file.
        key: String,
        /// Why it has no effect.
        why: &'static str,
    },
    /// `ContinueInitializationOnError=Y`: a session that could not be
    /// configured is left out and the others start.
    SkippedSession {
        /// The error that left it out.
        error: Box<ConfigError>,
    },
}

impl ConfigWarning {
    /// For a key whose value is ignored (not implemented yet, or another
    /// product's): where it was set, the key as spelled, and why.
    pub fn ignored_key(&self) -> Option<(&Location, &str, String)> {
        match self {
            Self::Unimplemented { location, key } => {
                Some((location, key, "not implemented by ringfix yet".to_owned()))
            }
            Self::Foreign {
                location,
                key,
                instead,
            } => Some((location, key, (*instead).to_owned())),
            _ => None,
        }
    }
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Unimplemented { location, key } => {
                write!(
                    f,
                    "{location}: {key}: not implemented by ringfix yet, ignored"
                )
            }
            Self::Duplicate { location, key } => {
                write!(
                    f,
                    "{location}: {key}: set twice in this section, last value wins"
                )
            }
            Self::IgnoredSection { location, name } => {
                write!(f, "{location}: [{name}]: unknown section, ignored")
            }
            Self::Foreign {
                location,
                key,
                instead,
            } => write!(f, "{location}: {key}: ignored: {instead}"),
            Self::NoEffect { location, key, why } => {
                write!(f, "{location}: {key}: no effect: {why}")
            }
            Self::SkippedSession { error } => write!(
                f,
                "{error} (session left out: ContinueInitializationOnError=Y)"
            ),
        }
    }
}
