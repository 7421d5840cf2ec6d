//! The seam to dictionary validation: the session asks a [`Validator`]
//! before processing a message and turns its verdict into a Reject.

use super::incoming::Incoming;

/// SessionRejectReason (373) codes and QuickFIX's Text (58) for them: the
/// codec's table, so validator and session answer with the same words.
pub use ringfix_codec::dict::reason;
/// QuickFIX's Text (58) for a SessionRejectReason.
pub use ringfix_codec::dict::reason::text as reason_text;

/// A failed validation: which reject answers it (35=3 with a
/// SessionRejectReason or 35=j with a BusinessRejectReason), the offending
/// tag (371, signed: `-1=x` is reported as -1) and the text. The codec's
/// dictionary type, shared so the layers speak one language.
pub use ringfix_codec::dict::{Reject as ValidationError, RejectKind};

/// Dictionary validation of inbound messages (plugged in by the runtime;
/// the session works without one). `&mut self`: validators keep scratch.
pub trait Validator {
    /// `Ok` when `msg` is valid for this session's dictionaries.
    fn validate(&mut self, msg: &Incoming<'_>) -> Result<(), ValidationError>;
}

impl Validator for ringfix_codec::dict::Validator {
    fn validate(&mut self, msg: &Incoming<'_>) -> Result<(), ValidationError> {
        // The reactor's parse already indexed the message: walk that index.
        ringfix_codec::dict::Validator::validate(self, msg.view())
    }
}
