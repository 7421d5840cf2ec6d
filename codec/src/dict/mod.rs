//! FIX data dictionaries (QuickFIX XML), repeating-group layouts and
//! message validation that answers like QuickFIX's `DataDictionary::validate`.
//!
//! Dictionaries load once (from a file, or the shipped copies embedded in the
//! crate); validation then runs on precomputed tables and allocates nothing.
//!
//! [`Validator`] answers with the first problem in the order QuickFIX finds
//! it: SenderCompID/TargetCompID missing (checked by QuickFIX's session
//! before validating), header/body/trailer out of order, MsgType, required
//! body fields, required fields of group instances, then header, trailer and
//! body fields in tag order (repeated, empty, format, enum, unknown tag, tag
//! not in this message, NumInGroup count), and last SendingTime/MsgSeqNum
//! missing. Beyond QuickFIX (documented on [`Options`] and [`Reject`]): a
//! MsgType listed as a value of field 35 without a message definition is
//! answered with a BusinessMessageReject (380=3), and optional checks of
//! group members, group delimiters and LOCALMKTDATE/MONTHYEAR syntax.
//!
//! [`Reject`] is data (reason, RefTagID, text); the session builds 35=3 or
//! 35=j from it with the per-version rules of [`Reject::session_reject_reason`],
//! [`Reject::ref_tag_id`] and [`Reject::text_for`].

mod builtin;
mod layout;
mod model;
mod order;
mod pass;
mod quick;
mod reject;
mod syntax;
mod tree;
mod types;
mod validate;
mod xml;

pub use builtin::{builtin, builtin_for_appl_ver_id, builtin_for_begin_string, Version};
pub use model::{Dictionary, EnumValue, FieldDef, GroupDef, GroupRef, MessageDef};
pub use order::FieldOrder;
pub use reject::{business_reason, reason, Reject, RejectKind, RejectText};
pub use tree::{ComponentDef, GroupTree, Member};
pub use types::FieldType;
pub use validate::{is_admin_msg_type, Options, Validator};

/// Loading or selecting a dictionary failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DictError {
    /// The file could not be read.
    #[error("{path}: cannot read data dictionary: {reason}")]
    Io {
        /// The path given.
        path: String,
        /// The I/O error.
        reason: String,
    },
    /// The file is not well-formed XML.
    #[error("{file}: could not parse data dictionary: {reason}")]
    Xml {
        /// The file (or `builtin:...`).
        file: String,
        /// What the XML parser said.
        reason: String,
    },
    /// Well-formed XML that is not a usable dictionary.
    #[error("{file}: {reason}")]
    Invalid {
        /// The file (or `builtin:...`).
        file: String,
        /// What is wrong.
        reason: String,
    },
    /// No shipped dictionary for this BeginString.
    #[error("unsupported BeginString {0:?}")]
    UnsupportedBeginString(String),
    /// No dictionary for this ApplVerID.
    #[error("unknown ApplVerID {0:?}")]
    UnknownApplVerId(String),
}
