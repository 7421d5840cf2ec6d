//! Outbound messages: header in QuickFIX order, stored before they count
//! as sent, never sent when the store failed.

use super::app::Application;
use super::encode::FieldWriter;
use super::incoming::{is_admin_type, Tag};
use super::settings::SessionSettings;
use crate::store::{MessageStore, StoreError};

/// Why a message was not sent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    /// The store could not keep the message; the session stopped sending.
    #[error("store failed, message not sent: {0}")]
    Store(#[from] StoreError),
    /// An earlier store failure stopped the session.
    #[error("session stopped sending after a store failure")]
    Stopped,
    /// Application messages need a logged-on session.
    #[error("session is not logged on")]
    NotLoggedOn,
}

/// Outbound side of the session state: shared by the session and the
/// [`Sender`] handed to the application.
#[derive(Debug, Default)]
pub(crate) struct OutState {
    /// MsgSeqNum of the next new message.
    pub next_sender: u64,
    /// When we last wrote a complete message (for Heartbeat deadlines).
    pub last_sent: i64,
    /// A store append failed: send nothing more.
    pub stopped: bool,
}

/// OrigSendingTime (122) of a resent message.
#[derive(Clone, Copy)]
pub(crate) enum Resent<'a> {
    /// The original SendingTime, as stored.
    Orig(&'a [u8]),
    /// Now (SequenceReset-GapFill).
    Now,
}

/// Writes 34, [43], 49, 52, 56, [122] merged in ascending tag order with
/// `extra` header fields (which must be sorted and exclude those tags).
pub(crate) fn write_header(
    w: &mut FieldWriter<'_>,
    cfg: &SessionSettings,
    seq: u64,
    now: i64,
    resent: Option<Resent<'_>>,
    extra: &[(Tag, &[u8])],
) {
    let mut extra = extra.iter().peekable();
    let mut flush_below = |w: &mut FieldWriter<'_>, tag: Tag| {
        while let Some(&&(t, v)) = extra.peek() {
            if t >= tag {
                break;
            }
            if !matches!(t, 8 | 9 | 10 | 34 | 35 | 43 | 49 | 52 | 56 | 122) {
                w.field(t, v);
            }
            extra.next();
        }
    };
    flush_below(w, 34);
    w.field_u64(34, seq);
    if resent.is_some() {
        flush_below(w, 43);
        w.field(43, b"Y");
    }
    flush_below(w, 49);
    w.field(49, cfg.sender_comp_id.as_bytes());
    // UTCTimestamp has no fractional seconds before FIX.4.2 (QuickFIX
    // writes none there either): a strict 4.0/4.1 peer rejects them.
    let digits = if cfg.version() < 42 {
        0
    } else {
        cfg.timestamp_precision
    };
    flush_below(w, 52);
    w.field_time(52, now, digits);
    flush_below(w, 56);
    w.field(56, cfg.target_comp_id.as_bytes());
    if let Some(r) = resent {
        flush_below(w, 122);
        match r {
            Resent::Orig(v) => w.field(122, v),
            Resent::Now => w.field_time(122, now, digits),
        };
    }
    flush_below(w, Tag::MAX);
}

/// Writes, stores and counts one new message. On a store failure the bytes
/// are removed from `out` and the session stops sending.
#[allow(clippy::too_many_arguments)]
pub(crate) fn send_new(
    cfg: &SessionSettings,
    st: &mut OutState,
    store: &mut dyn MessageStore,
    out: &mut Vec<u8>,
    now: i64,
    msg_type: &[u8],
    extra_header: &[(Tag, &[u8])],
    body: &mut dyn FnMut(&mut FieldWriter<'_>),
    app: Option<&mut dyn Application>,
) -> Result<u64, SendError> {
    if st.stopped {
        return Err(SendError::Stopped);
    }
    let seq = st.next_sender;
    let mut w = FieldWriter::begin(out, cfg.begin_string.as_bytes(), msg_type);
    write_header(&mut w, cfg, seq, now, None, extra_header);
    body(&mut w);
    if msg_type == b"A" {
        if let Some(u) = &cfg.logon_username {
            w.field(553, u.as_bytes());
        }
        if let Some(p) = &cfg.logon_password {
            w.field(554, p.expose());
        }
    }
    if let Some(app) = app {
        app.on_admin_out(cfg, msg_type, &mut w);
    }
    let range = w.finish();
    let stored = match out.get(range.clone()) {
        // Admin messages are never resent: the store keeps them masked.
        Some(bytes) if is_admin_type(msg_type) && cfg.redact.may_apply(bytes) => {
            store.append(seq, &cfg.redact.redact(bytes))
        }
        Some(bytes) => store.append(seq, bytes),
        None => Ok(()),
    };
    let stored = stored.and_then(|()| store.set_next_sender_seq(seq.saturating_add(1)));
    if let Err(e) = stored {
        out.truncate(range.start);
        st.stopped = true;
        return Err(SendError::Store(e));
    }
    st.next_sender = seq.saturating_add(1);
    st.last_sent = now;
    Ok(seq)
}

/// Sends application messages from inside a callback or from the owner.
pub struct Sender<'a> {
    pub(crate) cfg: &'a SessionSettings,
    pub(crate) st: &'a mut OutState,
    pub(crate) store: &'a mut dyn MessageStore,
    pub(crate) out: &'a mut Vec<u8>,
    pub(crate) now: i64,
    pub(crate) logged_on: bool,
}

impl Sender<'_> {
    /// Sends one message of `msg_type`: the session writes the header
    /// (plus `extra_header`, sorted by tag), `body` writes the body fields.
    /// Returns the MsgSeqNum used.
    pub fn send(
        &mut self,
        msg_type: &[u8],
        extra_header: &[(Tag, &[u8])],
        mut body: impl FnMut(&mut FieldWriter<'_>),
    ) -> Result<u64, SendError> {
        if !self.logged_on {
            return Err(SendError::NotLoggedOn);
        }
        send_new(
            self.cfg,
            self.st,
            self.store,
            self.out,
            self.now,
            msg_type,
            extra_header,
            &mut body,
            None,
        )
    }

    /// The MsgSeqNum the next message will carry.
    pub fn next_seq(&self) -> u64 {
        self.st.next_sender
    }

    /// The session's settings.
    pub fn settings(&self) -> &SessionSettings {
        self.cfg
    }
}
