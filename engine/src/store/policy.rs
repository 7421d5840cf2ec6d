//! `StoreFsync` setting.

use std::fmt;
use std::str::FromStr;

/// When stored data is forced to disk. Whatever the policy, an appended
/// message is in the kernel's page cache before `append` returns, so a
/// process crash loses nothing; the policy only matters for power loss or
/// a kernel crash.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum FsyncPolicy {
    /// Never force; the kernel writes back on its own schedule (default).
    #[default]
    Never,
    /// Force every append and sequence number change before returning.
    Always,
    /// Group commit: force pending changes at most every this many
    /// milliseconds, driven by `MessageStore::sync(now)`.
    EveryMillis(u32),
}

impl FsyncPolicy {
    /// Group commit interval in nanoseconds, if any.
    pub(crate) fn interval_nanos(self) -> Option<i64> {
        match self {
            Self::EveryMillis(ms) => Some(i64::from(ms) * 1_000_000),
            _ => None,
        }
    }
}

/// A `StoreFsync` value that is not `never`, `always` or `<N>ms`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid StoreFsync {0:?}: expected never, always or <N>ms (N >= 1)")]
pub struct ParseFsyncPolicyError(pub String);

impl FromStr for FsyncPolicy {
    type Err = ParseFsyncPolicyError;

    /// Parses exactly `never`, `always` or `<N>ms` with N a positive
    /// decimal integer.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || ParseFsyncPolicyError(s.to_owned());
        match s {
            "never" => Ok(Self::Never),
            "always" => Ok(Self::Always),
            _ => {
                let digits = s.strip_suffix("ms").ok_or_else(err)?;
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(err());
                }
                match digits.parse::<u32>() {
                    Ok(n) if n > 0 => Ok(Self::EveryMillis(n)),
                    _ => Err(err()),
                }
            }
        }
    }
}

impl fmt::Display for FsyncPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Never => f.write_str("never"),
            Self::Always => f.write_str("always"),
            Self::EveryMillis(n) => write!(f, "{n}ms"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_exact_forms() {
        assert_eq!("never".parse(), Ok(FsyncPolicy::Never));
        assert_eq!("always".parse(), Ok(FsyncPolicy::Always));
        assert_eq!("5ms".parse(), Ok(FsyncPolicy::EveryMillis(5)));
        assert_eq!("250ms".parse(), Ok(FsyncPolicy::EveryMillis(250)));
        for bad in [
            "",
            "ms",
            "0ms",
            "-1ms",
            "+5ms",
            "5",
            "5 ms",
            " never",
            "Never",
            "ALWAYS",
            "5s",
            "1.5ms",
            "99999999999ms",
        ] {
            assert!(bad.parse::<FsyncPolicy>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn display_round_trips() {
        for p in [
            FsyncPolicy::Never,
            FsyncPolicy::Always,
            FsyncPolicy::EveryMillis(7),
        ] {
            assert_eq!(p.to_string().parse(), Ok(p));
        }
        assert_eq!(FsyncPolicy::default(), FsyncPolicy::Never);
    }
}
