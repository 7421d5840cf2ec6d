//! Outbound messages: header in QuickFIX order, stored before they count
//! as sent, never sent when the store failed.

use ringfix_codec::fields;

use super::app::Application;
use super::encode::FieldWriter;
use super::event::Event;
use super::incoming::{is_admin_type, Tag};
use super::settings::{SessionSettings, Version};
use super::state::{Close, LogoutReason, Phase};
use super::{Cx, Session};
use crate::store::{MessageStore, StoreError};
use crate::time::{MonoTime, Now, UtcTimestamp};
use ringfix_codec::redact::Redaction;

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
    /// The message's FIX version is not the session's (a FIXT.1.1 session
    /// takes the FIX.5.0 versions).
    #[error("a {message:?} message cannot be sent on a {session:?} session")]
    VersionMismatch {
        /// The version of the message type.
        message: Version,
        /// The session's version.
        session: Version,
    },
}

/// Outbound side of the session state: shared by the session and the
/// [`Sender`] handed to the application.
#[derive(Debug, Default)]
pub(crate) struct OutState {
    /// MsgSeqNum of the next new message.
    pub next_sender: u64,
    /// When we last wrote a complete message (for Heartbeat deadlines).
    pub last_sent: MonoTime,
    /// A store append failed: send nothing more.
    pub stopped: bool,
    /// LastMsgSeqNumProcessed (369) for what we send next: the last
    /// inbound MsgSeqNum processed, or the one an answer answers.
    pub last_processed: u64,
}

impl OutState {
    /// The 369 to write, if the session writes it.
    pub(crate) fn processed(&self, cfg: &SessionSettings) -> Option<u64> {
        cfg.enable_last_msg_seq_num_processed
            .then_some(self.last_processed)
    }
}

/// OrigSendingTime (122) of a resent message.
#[derive(Clone, Copy)]
pub(crate) enum Resent<'a> {
    /// The original SendingTime, as stored.
    Orig(&'a [u8]),
    /// Now (SequenceReset-GapFill).
    Now,
}

/// Writes 34, [43], 49, 52, 56, [122], [369] merged in ascending tag
/// order with `extra` header fields (which must be sorted). `extra` may
/// not set the session's own tags; PossDupFlag and OrigSendingTime only
/// with AllowPosDup on a new message. `processed`: LastMsgSeqNumProcessed.
pub(crate) fn write_header(
    w: &mut FieldWriter<'_>,
    cfg: &SessionSettings,
    seq: u64,
    now: UtcTimestamp,
    resent: Option<Resent<'_>>,
    extra: &[(Tag, &[u8])],
    processed: Option<u64>,
) {
    let pos_dup_ok = cfg.allow_pos_dup && resent.is_none();
    let mut extra = extra.iter().peekable();
    let mut flush_below = |w: &mut FieldWriter<'_>, tag: Tag| {
        while let Some(&&(t, v)) = extra.peek() {
            if t >= tag {
                break;
            }
            let own = match t {
                8 | 9 | 10 | 34 | 35 | 49 | 52 | 56 => true,
                43 | 122 => !pos_dup_ok,
                369 => processed.is_some(),
                _ => false,
            };
            if !own {
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
    let digits = if cfg.version() < Version::Fix42 {
        0
    } else {
        cfg.timestamp_precision
    };
    flush_below(w, 52);
    w.field_time(52, now.as_nanos(), digits);
    flush_below(w, 56);
    w.field(56, cfg.target_comp_id.as_bytes());
    if let Some(r) = resent {
        flush_below(w, 122);
        match r {
            Resent::Orig(v) => w.field(122, v),
            Resent::Now => w.field_time(122, now.as_nanos(), digits),
        };
    }
    if let Some(n) = processed {
        flush_below(w, 369);
        w.field_u64(369, n);
    }
    flush_below(w, Tag::MAX);
}

/// Starts message `msg_type` numbered `seq` at the end of `out`: the
/// header in QuickFIX order (`extra_header` merged in, sorted by tag).
pub(crate) fn begin<'o>(
    cfg: &SessionSettings,
    seq: u64,
    now: UtcTimestamp,
    out: &'o mut Vec<u8>,
    msg_type: &[u8],
    extra_header: &[(Tag, &[u8])],
    processed: Option<u64>,
) -> FieldWriter<'o> {
    let mut w = FieldWriter::begin(out, cfg.begin_string.as_bytes(), msg_type);
    write_header(&mut w, cfg, seq, now, None, extra_header, processed);
    w
}

/// Finishes the message `w` holds, stores it and counts it sent. On a
/// store failure its bytes are removed and the session stops sending.
pub(crate) fn commit(
    w: &mut FieldWriter<'_>,
    st: &mut OutState,
    store: &mut dyn MessageStore,
    seq: u64,
    now: Now,
    mask: Option<&Redaction>,
) -> Result<u64, SendError> {
    w.finish_in_place();
    let stored = match mask {
        // An admin message (our Logon) is never resent: the store keeps
        // it with the RedactFieldsInLogs tags masked.
        Some(r) if r.may_apply(w.written()) => store.append(seq, &r.redact(w.written())),
        _ => store.append(seq, w.written()),
    };
    let stored = stored.and_then(|()| store.set_next_sender_seq(seq.saturating_add(1)));
    if let Err(e) = stored {
        w.rollback();
        st.stopped = true;
        return Err(SendError::Store(e));
    }
    st.next_sender = seq.saturating_add(1);
    st.last_sent = now.mono;
    Ok(seq)
}

/// Writes, stores and counts one new message (`body` writes the body
/// fields; `app` adds to admin messages). On a store failure the bytes
/// are removed from `out` and the session stops sending.
#[allow(clippy::too_many_arguments)]
#[inline]
pub(crate) fn send_new(
    cfg: &SessionSettings,
    st: &mut OutState,
    store: &mut dyn MessageStore,
    out: &mut Vec<u8>,
    now: Now,
    msg_type: &[u8],
    extra_header: &[(Tag, &[u8])],
    body: impl FnOnce(&mut FieldWriter<'_>),
    app: Option<&mut dyn Application>,
) -> Result<u64, SendError> {
    if st.stopped {
        return Err(SendError::Stopped);
    }
    let seq = st.next_sender;
    let processed = st.processed(cfg);
    let mut w = begin(cfg, seq, now.wall, out, msg_type, extra_header, processed);
    body(&mut w);
    if msg_type == b"A" {
        if let Some(u) = &cfg.logon_username {
            w.field(553, u.as_bytes());
        }
        if let Some(p) = &cfg.logon_password {
            w.field(554, p.expose());
        }
    }
    let composed = app.is_some();
    if let Some(app) = app {
        app.on_admin_out(cfg, msg_type, &mut w);
    }
    let mask = is_admin_type(msg_type).then_some(&cfg.redact);
    if let (true, Some(order)) = (composed, &cfg.field_order) {
        // PreserveMessageFieldsOrder: what the session composes goes out
        // (and is stored) in dictionary order.
        let range = w.finish();
        if let Some(bytes) = out.get_mut(range.clone()) {
            order.apply(bytes);
        }
        let stored = match (out.get(range.clone()), mask) {
            (Some(bytes), Some(r)) if r.may_apply(bytes) => store.append(seq, &r.redact(bytes)),
            (Some(bytes), _) => store.append(seq, bytes),
            (None, _) => Ok(()),
        };
        let stored = stored.and_then(|()| store.set_next_sender_seq(seq.saturating_add(1)));
        if let Err(e) = stored {
            out.truncate(range.start);
            st.stopped = true;
            return Err(SendError::Store(e));
        }
        st.next_sender = seq.saturating_add(1);
        st.last_sent = now.mono;
        return Ok(seq);
    }
    commit(&mut w, st, store, seq, now, mask)
}

/// Sends application messages: the one way an application sends on the
/// session's thread, handed to every callback that may send (`on_app`,
/// `on_logon`, `poll`). Encodes straight into the outbound buffer; each
/// send is stored before it counts and returns its MsgSeqNum.
pub struct Sender<'a> {
    pub(crate) cfg: &'a SessionSettings,
    pub(crate) st: &'a mut OutState,
    pub(crate) store: &'a mut dyn MessageStore,
    pub(crate) out: &'a mut Vec<u8>,
    pub(crate) now: Now,
    pub(crate) logged_on: bool,
    /// MsgSeqNum expected next from the peer.
    pub(crate) next_target: u64,
    /// The application asked for a graceful logout.
    pub(crate) logout: bool,
}

impl<'a> Sender<'a> {
    /// A sender over the session's parts (logged on or not).
    pub(crate) fn new(
        cfg: &'a SessionSettings,
        st: &'a mut OutState,
        store: &'a mut dyn MessageStore,
        out: &'a mut Vec<u8>,
        now: Now,
        logged_on: bool,
        next_target: u64,
    ) -> Self {
        Self {
            cfg,
            st,
            store,
            out,
            now,
            logged_on,
            next_target,
            logout: false,
        }
    }

    /// Sends one message of `msg_type`: the session writes the header
    /// (plus `extra_header`, sorted by tag), `body` writes the body fields.
    /// Returns the MsgSeqNum used. (The typed way: [`start`](Self::start).)
    #[inline]
    pub fn send(
        &mut self,
        msg_type: &[u8],
        extra_header: &[(Tag, &[u8])],
        body: impl FnOnce(&mut FieldWriter<'_>),
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
            body,
            None,
        )
    }

    /// The MsgSeqNum the next message will carry.
    pub fn next_seq(&self) -> u64 {
        self.st.next_sender
    }

    /// MsgSeqNum expected next from the peer.
    pub fn next_target_seq(&self) -> u64 {
        self.next_target
    }

    /// Whether the session is logged on (sends are refused otherwise).
    pub fn is_logged_on(&self) -> bool {
        self.logged_on
    }

    /// The session's settings.
    pub fn settings(&self) -> &SessionSettings {
        self.cfg
    }

    /// The time of the event being handled: `wall` for stamps such as
    /// TransactTime, `mono` for timers and measuring.
    pub fn now(&self) -> Now {
        self.now
    }

    /// Starts a graceful logout once this callback returns.
    pub fn logout(&mut self) {
        self.logout = true;
    }
}

/// The session's own messages (admin), stored and counted as every send.
impl<S: MessageStore> Session<S> {
    /// Sends a new admin message (header by the session, `body` fields,
    /// then the application's additions). Store failure closes.
    pub(crate) fn send_admin(
        &mut self,
        cx: &mut Cx<'_>,
        msg_type: &[u8],
        extra_header: &[(Tag, &[u8])],
        body: &mut dyn FnMut(&mut FieldWriter<'_>),
    ) -> bool {
        if matches!(
            self.phase,
            Phase::Closing {
                mode: Close::Now,
                ..
            }
        ) {
            return false;
        }
        let r = send_new(
            &self.cfg,
            &mut self.ob,
            &mut self.store,
            cx.out,
            cx.now,
            msg_type,
            extra_header,
            body,
            Some(&mut *cx.app),
        );
        match r {
            Ok(_) => true,
            Err(_) => {
                self.close(cx, Close::Now, LogoutReason::StoreFailure);
                false
            }
        }
    }

    /// Sends a Logout (`answer`: to the peer's); a logged-on session then
    /// waits for the answer at most LogoutTimeout.
    pub(crate) fn send_logout(&mut self, cx: &mut Cx<'_>, text: Option<&str>, answer: bool) {
        let sent = self.send_admin(cx, b"5", &[], &mut |w| {
            if let Some(t) = text {
                w.field(fields::TEXT, t.as_bytes());
            }
        });
        if sent {
            self.events.push_back(Event::LogoutSent {
                answer,
                text: text.map(str::to_owned),
            });
            if let Phase::LoggedOn { logout_sent } = &mut self.phase {
                logout_sent.get_or_insert(cx.now.mono);
            }
        }
    }

    pub(crate) fn send_heartbeat(&mut self, cx: &mut Cx<'_>, test_req_id: Option<&[u8]>) {
        self.send_admin(cx, b"0", &[], &mut |w| {
            if let Some(id) = test_req_id {
                w.field(fields::TEST_REQ_ID, id);
            }
        });
    }
}
