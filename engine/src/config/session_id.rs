//! Session identity.

use std::fmt;

/// The BeginString values a session may use.
pub const BEGIN_STRINGS: &[&str] = &[
    "FIX.4.0", "FIX.4.1", "FIX.4.2", "FIX.4.3", "FIX.4.4", "FIXT.1.1",
];

/// Identifies a session: BeginString, sender and target CompID with their
/// optional Sub and Location IDs, and an optional qualifier.
///
/// Displays as QuickFIX does: `FIX.4.4:SENDER->TARGET`, with
/// `/SubID/LocationID` after a CompID and `:Qualifier` at the end when set.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionId {
    /// BeginString (8), e.g. `FIX.4.4` or `FIXT.1.1`.
    pub begin_string: String,
    /// SenderCompID (49) of messages this side sends.
    pub sender_comp_id: String,
    /// SenderSubID (50).
    pub sender_sub_id: Option<String>,
    /// SenderLocationID (142).
    pub sender_location_id: Option<String>,
    /// TargetCompID (56) of messages this side sends.
    pub target_comp_id: String,
    /// TargetSubID (57).
    pub target_sub_id: Option<String>,
    /// TargetLocationID (143).
    pub target_location_id: Option<String>,
    /// SessionQualifier: tells apart sessions that are otherwise identical.
    pub qualifier: Option<String>,
}

impl SessionId {
    /// A session id with only BeginString and the two CompIDs.
    pub fn new(
        begin_string: impl Into<String>,
        sender_comp_id: impl Into<String>,
        target_comp_id: impl Into<String>,
    ) -> Self {
        Self {
            begin_string: begin_string.into(),
            sender_comp_id: sender_comp_id.into(),
            sender_sub_id: None,
            sender_location_id: None,
            target_comp_id: target_comp_id.into(),
            target_sub_id: None,
            target_location_id: None,
            qualifier: None,
        }
    }

    /// Whether the session runs FIXT.1.1 (FIX 5.0 and later applications).
    pub fn is_fixt(&self) -> bool {
        self.begin_string == "FIXT.1.1"
    }
}

fn part(f: &mut fmt::Formatter<'_>, value: &Option<String>) -> fmt::Result {
    match value {
        Some(v) if !v.is_empty() => write!(f, "/{v}"),
        _ => Ok(()),
    }
}

impl fmt::Display for SessionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.begin_string, self.sender_comp_id)?;
        part(f, &self.sender_sub_id)?;
        part(f, &self.sender_location_id)?;
        write!(f, "->{}", self.target_comp_id)?;
        part(f, &self.target_sub_id)?;
        part(f, &self.target_location_id)?;
        match &self.qualifier {
            Some(q) if !q.is_empty() => write!(f, ":{q}"),
            _ => Ok(()),
        }
    }
}
