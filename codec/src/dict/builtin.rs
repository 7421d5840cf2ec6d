//! The project's copies of the QuickFIX dictionaries, embedded and parsed
//! once on first use.

use std::sync::{Arc, OnceLock};

use super::{DictError, Dictionary};

/// A FIX version with a shipped dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    /// FIX.4.0
    Fix40,
    /// FIX.4.1
    Fix41,
    /// FIX.4.2
    Fix42,
    /// FIX.4.3
    Fix43,
    /// FIX.4.4
    Fix44,
    /// FIX.5.0 (ApplVerID 7)
    Fix50,
    /// FIX.5.0SP1 (ApplVerID 8)
    Fix50Sp1,
    /// FIX.5.0SP2 (ApplVerID 9)
    Fix50Sp2,
    /// FIXT.1.1 transport
    Fixt11,
}

const ALL: [Version; 9] = [
    Version::Fix40,
    Version::Fix41,
    Version::Fix42,
    Version::Fix43,
    Version::Fix44,
    Version::Fix50,
    Version::Fix50Sp1,
    Version::Fix50Sp2,
    Version::Fixt11,
];

impl Version {
    /// Every shipped version.
    pub fn all() -> &'static [Version] {
        &ALL
    }

    /// The session version for a BeginString (FIX.4.0 ... FIX.4.4, FIXT.1.1).
    pub fn from_begin_string(begin_string: &[u8]) -> Option<Version> {
        Some(match begin_string {
            b"FIX.4.0" => Version::Fix40,
            b"FIX.4.1" => Version::Fix41,
            b"FIX.4.2" => Version::Fix42,
            b"FIX.4.3" => Version::Fix43,
            b"FIX.4.4" => Version::Fix44,
            b"FIXT.1.1" => Version::Fixt11,
            _ => return None,
        })
    }

    /// The version a dictionary declares (`FIX.4.4`, `FIX.5.0SP2`, `FIXT.1.1`).
    pub fn from_version_string(version: &str) -> Option<Version> {
        Some(match version {
            "FIX.4.0" => Version::Fix40,
            "FIX.4.1" => Version::Fix41,
            "FIX.4.2" => Version::Fix42,
            "FIX.4.3" => Version::Fix43,
            "FIX.4.4" => Version::Fix44,
            "FIX.5.0" => Version::Fix50,
            "FIX.5.0SP1" => Version::Fix50Sp1,
            "FIX.5.0SP2" => Version::Fix50Sp2,
            "FIXT.1.1" => Version::Fixt11,
            _ => return None,
        })
    }

    /// The application version for an ApplVerID (1128) / DefaultApplVerID (1137) value.
    pub fn from_appl_ver_id(id: &[u8]) -> Option<Version> {
        Some(match id {
            b"2" => Version::Fix40,
            b"3" => Version::Fix41,
            b"4" => Version::Fix42,
            b"5" => Version::Fix43,
            b"6" => Version::Fix44,
            b"7" => Version::Fix50,
            b"8" => Version::Fix50Sp1,
            b"9" => Version::Fix50Sp2,
            _ => return None,
        })
    }

    /// The ApplVerID value of an application version (None for FIXT.1.1).
    pub fn appl_ver_id(self) -> Option<&'static [u8]> {
        Some(match self {
            Version::Fix40 => b"2",
            Version::Fix41 => b"3",
            Version::Fix42 => b"4",
            Version::Fix43 => b"5",
            Version::Fix44 => b"6",
            Version::Fix50 => b"7",
            Version::Fix50Sp1 => b"8",
            Version::Fix50Sp2 => b"9",
            Version::Fixt11 => return None,
        })
    }

    /// The shipped file name, e.g. `FIX44.xml`.
    pub fn file_name(self) -> &'static str {
        match self {
            Version::Fix40 => "FIX40.xml",
            Version::Fix41 => "FIX41.xml",
            Version::Fix42 => "FIX42.xml",
            Version::Fix43 => "FIX43.xml",
            Version::Fix44 => "FIX44.xml",
            Version::Fix50 => "FIX50.xml",
            Version::Fix50Sp1 => "FIX50SP1.xml",
            Version::Fix50Sp2 => "FIX50SP2.xml",
            Version::Fixt11 => "FIXT11.xml",
        }
    }

    fn xml(self) -> &'static str {
        match self {
            Version::Fix40 => include_str!("../../spec/FIX40.xml"),
            Version::Fix41 => include_str!("../../spec/FIX41.xml"),
            Version::Fix42 => include_str!("../../spec/FIX42.xml"),
            Version::Fix43 => include_str!("../../spec/FIX43.xml"),
            Version::Fix44 => include_str!("../../spec/FIX44.xml"),
            Version::Fix50 => include_str!("../../spec/FIX50.xml"),
            Version::Fix50Sp1 => include_str!("../../spec/FIX50SP1.xml"),
            Version::Fix50Sp2 => include_str!("../../spec/FIX50SP2.xml"),
            Version::Fixt11 => include_str!("../../spec/FIXT11.xml"),
        }
    }

    fn slot(self) -> &'static OnceLock<Result<Arc<Dictionary>, DictError>> {
        static SLOTS: [OnceLock<Result<Arc<Dictionary>, DictError>>; 9] = [
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
            OnceLock::new(),
        ];
        // Discriminants are 0..9, in the order of SLOTS.
        &SLOTS[self as usize]
    }
}

/// The shipped dictionary of a version, parsed on first use (once per process).
pub fn builtin(version: Version) -> Result<Arc<Dictionary>, DictError> {
    version
        .slot()
        .get_or_init(|| {
            let source = format!("builtin:{}", version.file_name());
            Dictionary::parse(version.xml(), &source).map(Arc::new)
        })
        .clone()
}

/// The shipped session dictionary for a BeginString (FIXT.1.1 gives the transport one).
pub fn builtin_for_begin_string(begin_string: &[u8]) -> Result<Arc<Dictionary>, DictError> {
    let v = Version::from_begin_string(begin_string).ok_or_else(|| {
        DictError::UnsupportedBeginString(String::from_utf8_lossy(begin_string).into_owned())
    })?;
    builtin(v)
}

/// The shipped application dictionary for an ApplVerID / DefaultApplVerID value.
pub fn builtin_for_appl_ver_id(appl_ver_id: &[u8]) -> Result<Arc<Dictionary>, DictError> {
    let v = Version::from_appl_ver_id(appl_ver_id).ok_or_else(|| {
        DictError::UnknownApplVerId(String::from_utf8_lossy(appl_ver_id).into_owned())
    })?;
    builtin(v)
}
