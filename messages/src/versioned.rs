//! Dispatch across versions: which version's typed views a message reads
//! as (FIX.4.x by BeginString; under FIXT.1.1 the message's ApplVerID, else
//! the session's DefaultApplVerID, and FIXT.1.1 itself for session messages).

use ringfix_codec::dict::{is_admin_msg_type, Version};
use ringfix_codec::MessageView;

/// A message as the typed view of its version (one variant per enabled
/// feature: features are additive, so a match that must keep compiling
/// when another crate enables more versions needs a `_` arm).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub enum Versioned<'a> {
    /// FIX.4.0.
    #[cfg(feature = "fix40")]
    Fix40(crate::fix40::Message<'a>),
    /// FIX.4.1.
    #[cfg(feature = "fix41")]
    Fix41(crate::fix41::Message<'a>),
    /// FIX.4.2.
    #[cfg(feature = "fix42")]
    Fix42(crate::fix42::Message<'a>),
    /// FIX.4.3.
    #[cfg(feature = "fix43")]
    Fix43(crate::fix43::Message<'a>),
    /// FIX.4.4.
    #[cfg(feature = "fix44")]
    Fix44(crate::fix44::Message<'a>),
    /// FIX.5.0.
    #[cfg(feature = "fix50")]
    Fix50(crate::fix50::Message<'a>),
    /// FIX.5.0SP1.
    #[cfg(feature = "fix50sp1")]
    Fix50Sp1(crate::fix50sp1::Message<'a>),
    /// FIX.5.0SP2.
    #[cfg(feature = "fix50sp2")]
    Fix50Sp2(crate::fix50sp2::Message<'a>),
    /// FIXT.1.1 session messages.
    #[cfg(feature = "fixt11")]
    Fixt11(crate::fixt11::Message<'a>),
    /// Lifetime holder when no version is enabled.
    #[doc(hidden)]
    _None(std::marker::PhantomData<&'a ()>),
}

/// Why a message has no typed view.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DispatchError {
    /// The BeginString, ApplVerID or DefaultApplVerID names no known version.
    #[error("no FIX version for BeginString {begin_string:?}, ApplVerID {appl_ver_id:?}")]
    UnknownVersion {
        /// BeginString (8).
        begin_string: String,
        /// ApplVerID (1128) or the DefaultApplVerID given.
        appl_ver_id: Option<String>,
    },
    /// The version's module is not compiled in (its cargo feature is off).
    #[error("{0:?} is not enabled (cargo feature)")]
    NotEnabled(Version),
}

/// The version a message is read as: FIX.4.x by its BeginString; under
/// FIXT.1.1 the session messages (0 A 1 2 3 4 5) are FIXT.1.1 and the
/// others take the message's ApplVerID (1128), else `default_appl_ver_id`
/// (the session's DefaultApplVerID, 1137).
pub fn version_of(msg: &MessageView<'_>, default_appl_ver_id: Option<&[u8]>) -> Option<Version> {
    match Version::from_begin_string(msg.begin_string())? {
        Version::Fixt11 if is_admin_msg_type(msg.msg_type()) => Some(Version::Fixt11),
        Version::Fixt11 => Version::from_appl_ver_id(msg.appl_ver_id().or(default_appl_ver_id)?),
        v => Some(v),
    }
}

/// The typed view of `msg` in its version ([`version_of`]).
pub fn dispatch<'a>(
    msg: MessageView<'a>,
    default_appl_ver_id: Option<&[u8]>,
) -> Result<Versioned<'a>, DispatchError> {
    let version =
        version_of(&msg, default_appl_ver_id).ok_or_else(|| DispatchError::UnknownVersion {
            begin_string: String::from_utf8_lossy(msg.begin_string()).into_owned(),
            appl_ver_id: msg
                .appl_ver_id()
                .or(default_appl_ver_id)
                .map(|v| String::from_utf8_lossy(v).into_owned()),
        })?;
    Ok(match version {
        #[cfg(feature = "fix40")]
        Version::Fix40 => Versioned::Fix40(crate::fix40::dispatch(msg)),
        #[cfg(feature = "fix41")]
        Version::Fix41 => Versioned::Fix41(crate::fix41::dispatch(msg)),
        #[cfg(feature = "fix42")]
        Version::Fix42 => Versioned::Fix42(crate::fix42::dispatch(msg)),
        #[cfg(feature = "fix43")]
        Version::Fix43 => Versioned::Fix43(crate::fix43::dispatch(msg)),
        #[cfg(feature = "fix44")]
        Version::Fix44 => Versioned::Fix44(crate::fix44::dispatch(msg)),
        #[cfg(feature = "fix50")]
        Version::Fix50 => Versioned::Fix50(crate::fix50::dispatch(msg)),
        #[cfg(feature = "fix50sp1")]
        Version::Fix50Sp1 => Versioned::Fix50Sp1(crate::fix50sp1::dispatch(msg)),
        #[cfg(feature = "fix50sp2")]
        Version::Fix50Sp2 => Versioned::Fix50Sp2(crate::fix50sp2::dispatch(msg)),
        #[cfg(feature = "fixt11")]
        Version::Fixt11 => Versioned::Fixt11(crate::fixt11::dispatch(msg)),
        #[allow(unreachable_patterns)]
        other => return Err(DispatchError::NotEnabled(other)),
    })
}
