//! Typed sends on the session's thread: [`SessionDraft`] is the session's
//! side of the codec's `typed::Draft` seam. [`Sender::start`] checks the
//! message's FIX version against the session's, writes the header (the
//! MsgSeqNum the message will carry, SendingTime, CompIDs) straight into
//! the outbound buffer and hands the draft to the generated builder, which
//! writes the body; [`Draft::send`] finishes, stores and counts it. A draft
//! dropped unsent removes its bytes: a refused or abandoned send consumes
//! no MsgSeqNum and leaves nothing in the outbound buffer.

use ringfix_codec::typed::{Build, Draft};
use ringfix_codec::{tags, Encoder};

use super::encode::FieldWriter;
use super::outbound::{begin, commit, OutState, SendError, Sender};
use super::settings::{SessionSettings, Version};
use crate::store::MessageStore;
use crate::time::Now;

/// A message being written on the session's thread: header written, body
/// open. Made by [`Sender::start`] (typed) or [`Sender::draft`].
pub struct SessionDraft<'d> {
    w: FieldWriter<'d>,
    st: &'d mut OutState,
    store: &'d mut dyn MessageStore,
    seq: u64,
    now: Now,
    sent: bool,
}

impl<'d> SessionDraft<'d> {
    /// The field writer (untyped fields, in the order written).
    pub fn writer(&mut self) -> &mut FieldWriter<'d> {
        &mut self.w
    }

    /// The MsgSeqNum the message will carry once sent.
    pub fn seq(&self) -> u64 {
        self.seq
    }
}

impl<'d> Draft<'d> for SessionDraft<'d> {
    type Sent = Result<u64, SendError>;

    #[inline]
    fn encoder(&mut self) -> &mut Encoder<'d> {
        self.w.encoder()
    }

    /// Finishes the message, stores it and counts it sent; its MsgSeqNum.
    #[inline]
    fn send(mut self) -> Result<u64, SendError> {
        self.sent = true;
        commit(&mut self.w, self.st, self.store, self.seq, self.now, None)
    }
}

impl Drop for SessionDraft<'_> {
    fn drop(&mut self) {
        if !self.sent {
            self.w.rollback();
        }
    }
}

/// Whether a message of `version` may go out on this session; for FIXT.1.1
/// the ApplVerID (1128) to put in its header when it is not the session's
/// DefaultApplVerID.
pub(crate) fn check_version(
    cfg: &SessionSettings,
    version: Version,
) -> Result<Option<&'static [u8]>, SendError> {
    let session = cfg.version();
    let mismatch = SendError::VersionMismatch {
        message: version,
        session,
    };
    if session != Version::Fixt11 {
        return if version == session {
            Ok(None)
        } else {
            Err(mismatch)
        };
    }
    if !matches!(
        version,
        Version::Fix50 | Version::Fix50Sp1 | Version::Fix50Sp2
    ) {
        return Err(mismatch);
    }
    let code = version.appl_ver_id();
    let default = cfg.default_appl_ver_id.as_deref().map(str::as_bytes);
    Ok(code.filter(|c| Some(*c) != default))
}

impl Sender<'_> {
    /// Starts a typed message `M` (e.g. `fix44::NewOrderSingle`): refused
    /// unless logged on and `M`'s version is the session's; the builder's
    /// `send()` returns the MsgSeqNum.
    #[inline]
    pub fn start<M: Build>(&mut self) -> Result<M::Empty<'_, SessionDraft<'_>>, SendError> {
        let appl_ver = check_version(self.cfg, M::VERSION)?;
        let draft = self.draft_with(M::MSG_TYPE, appl_ver)?;
        Ok(M::empty(draft))
    }

    /// Starts an untyped message of `msg_type`: write fields through
    /// [`SessionDraft::writer`], then [`Draft::send`].
    pub fn draft(&mut self, msg_type: &[u8]) -> Result<SessionDraft<'_>, SendError> {
        self.draft_with(msg_type, None)
    }

    #[inline]
    fn draft_with(
        &mut self,
        msg_type: &[u8],
        appl_ver: Option<&[u8]>,
    ) -> Result<SessionDraft<'_>, SendError> {
        if !self.logged_on {
            return Err(SendError::NotLoggedOn);
        }
        if self.st.stopped {
            return Err(SendError::Stopped);
        }
        let seq = self.st.next_sender;
        let header = appl_ver.map(|v| [(tags::APPL_VER_ID, v)]);
        let w = begin(
            self.cfg,
            seq,
            self.now.wall,
            self.out,
            msg_type,
            header.as_ref().map_or(&[], |h| h.as_slice()),
            self.st.processed(self.cfg),
        );
        Ok(SessionDraft {
            w,
            st: self.st,
            store: self.store,
            seq,
            now: self.now,
            sent: false,
        })
    }
}
