//! What the session decided, queued for the caller
//! ([`Session::poll_event`](super::Session::poll_event)): state changes,
//! sequence number decisions, resends, rejects, logouts, timeouts. The
//! runtime writes each to the event log and tracing, counts them and
//! tracks logons from them. `Display` gives the event log's line, in
//! QuickFIX's words where QuickFIX logs the same event (runbooks and greps
//! written for QuickFIX keep working).

use std::fmt;

use super::state::{FatalError, LogoutReason, Transition};
use super::validate::reason_text;
use ringfix_codec::dict::business_reason;

/// Which way a reject went.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RejectWay {
    /// We sent it.
    Sent,
    /// The counterparty sent it.
    Received,
    /// We refused an inbound message but could send no reject (before the
    /// Logon exchange: the connection is closed instead).
    NotSent,
}

/// A Reject (35=3) or BusinessMessageReject (35=j), sent or received, or
/// an inbound message the session refused. Given to
/// [`Application::on_reject`](super::Application::on_reject) and queued as
/// [`Event::Reject`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RejectInfo {
    /// Sent, received, or refused without a reject.
    pub way: RejectWay,
    /// BusinessMessageReject (35=j) rather than Reject (35=3).
    pub business: bool,
    /// SessionRejectReason (373) or BusinessRejectReason (380).
    pub reason: Option<u32>,
    /// RefSeqNum (45): the rejected message's MsgSeqNum.
    pub ref_seq: Option<u64>,
    /// RefTagID (371), or the tag a business reject names.
    pub ref_tag: Option<i64>,
    /// RefMsgType (372).
    pub ref_msg_type: String,
    /// Text (58).
    pub text: Option<String>,
    /// Found by data dictionary validation (the message was not delivered).
    pub validation: bool,
}

impl RejectInfo {
    /// The reason's standard text (QuickFIX's), if the reason has one.
    pub fn reason_text(&self) -> Option<&'static str> {
        let r = self.reason?;
        if self.business {
            business_reason::text(r)
        } else {
            reason_text(r)
        }
    }
}

/// One decision of the session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The state changed.
    State(Transition),
    /// Our Logon went out: initiating (`answer` false) or answering.
    LogonSent {
        /// It answers the peer's Logon.
        answer: bool,
    },
    /// The peer's Logon passed the checks: a request we answer, or the
    /// answer to ours.
    LogonReceived {
        /// It answers our Logon.
        answer: bool,
    },
    /// The peer's Logon carried ResetSeqNumFlag=Y.
    LogonReset,
    /// The Logon exchange completed (`Application::on_logon` was called).
    LoggedOn,
    /// Sequence numbers back to 1, the store reset (`on_reset` was called).
    Reset,
    /// MsgSeqNum higher than expected: the message is queued.
    SeqTooHigh {
        /// What we expected.
        expected: u64,
        /// What arrived.
        received: u64,
        /// A new gap (else one an outstanding ResendRequest covers).
        new_gap: bool,
    },
    /// MsgSeqNum lower than expected without PossDupFlag: fatal.
    SeqTooLow {
        /// What we expected.
        expected: u64,
        /// What arrived.
        received: u64,
    },
    /// A ResendRequest went out (`end` as on the wire: 0 or 999999 is
    /// "to the last").
    ResendRequestSent {
        /// BeginSeqNo (7).
        begin: u64,
        /// EndSeqNo (16).
        end: u64,
    },
    /// A gap inside the outstanding ResendRequest's range: no new request.
    ResendRequestPending {
        /// First number asked for.
        begin: u64,
        /// Last number missing.
        end: u64,
    },
    /// The outstanding ResendRequest has been answered.
    ResendSatisfied {
        /// First number asked for.
        begin: u64,
        /// Last number of the request.
        end: u64,
    },
    /// A ResendRequest arrived.
    ResendRequestReceived {
        /// BeginSeqNo (7).
        begin: u64,
        /// EndSeqNo (16), as received.
        end: u64,
    },
    /// A stored message went out again (PossDupFlag=Y).
    Resent {
        /// Its MsgSeqNum.
        seq: u64,
    },
    /// A SequenceReset-GapFill went out in a resend.
    GapFillSent {
        /// Its MsgSeqNum: the first number covered.
        begin: u64,
        /// NewSeqNo (36).
        new_seq_no: u64,
    },
    /// A ResendRequest was answered.
    ResendAnswered {
        /// First number answered.
        begin: u64,
        /// Last number answered.
        end: u64,
        /// Messages sent again.
        resent: u64,
        /// Ranges replaced by GapFills (first, last).
        gap_filled: Vec<(u64, u64)>,
    },
    /// A SequenceReset arrived and was applied (or rejected: NewSeqNo too
    /// low).
    SequenceResetReceived {
        /// GapFill mode (else Reset mode).
        gap_fill: bool,
        /// The number expected before it.
        from: u64,
        /// NewSeqNo (36).
        new_seq_no: u64,
    },
    /// Queued messages below a SequenceReset's NewSeqNo were dropped: the
    /// counterparty says it will not send them again.
    QueueSkipped {
        /// How many.
        count: u64,
        /// The lowest dropped.
        first: u64,
        /// The highest dropped.
        last: u64,
    },
    /// A queued message is processed now that the gap before it is filled.
    QueuedProcessed {
        /// Its MsgSeqNum.
        seq: u64,
    },
    /// A reject sent or received, or an inbound message refused.
    Reject(RejectInfo),
    /// A Logout went out: initiating (`answer` false) or answering.
    LogoutSent {
        /// It answers the peer's Logout.
        answer: bool,
        /// Its Text (58).
        text: Option<String>,
    },
    /// A Logout arrived.
    LogoutReceived {
        /// It answers our Logout.
        answer: bool,
        /// Its Text (58).
        text: Option<String>,
    },
    /// Nothing received for 1.2 x HeartBtInt: a TestRequest went out.
    TestRequestSent,
    /// The session ended the connection, for this reason.
    Closing(LogoutReason),
    /// The application was told the session logged out
    /// (`Application::on_logout`).
    LoggedOut(LogoutReason),
    /// The peer's Logon asked (789) for messages we sent before it: they
    /// are resent after our Logon.
    NextExpectedResend {
        /// The peer's NextExpectedMsgSeqNum.
        begin: u64,
        /// The last number we sent before the Logon exchange.
        end: u64,
    },
    /// The peer's Logon is beyond a gap and our Logon carried 789: the peer
    /// resends the gap without a ResendRequest.
    ExpectingRetransmits {
        /// First missing number.
        begin: u64,
        /// Last missing number.
        end: u64,
    },
    /// ResetOnError (`reset`) or DisconnectOnError: an application message
    /// we would have rejected ends the session instead.
    ErrorPolicy {
        /// ResetOnError (else DisconnectOnError).
        reset: bool,
        /// The message's MsgSeqNum.
        seq: u64,
    },
    /// The application panicked on an inbound message.
    AppPanicked {
        /// The message's MsgSeqNum.
        seq: u64,
        /// Rejected (RejectMessageOnUnhandledException), else not counted.
        rejected: bool,
        /// The panic's message.
        text: String,
    },
    /// ForceResendWhenCorruptedStore: the store could not be read for a
    /// resend; Heartbeats with PossDupFlag=Y stand in for these numbers.
    StoreUnreadableResend {
        /// First number.
        begin: u64,
        /// Last number.
        end: u64,
    },
    /// A stored message the codec cannot read was gap-filled instead of
    /// resent (a damaged store).
    StoredUnreadable {
        /// Its MsgSeqNum.
        seq: u64,
    },
}

fn text_suffix(f: &mut fmt::Formatter<'_>, text: &Option<String>) -> fmt::Result {
    match text {
        Some(t) if !t.is_empty() => write!(f, ": {t}"),
        _ => Ok(()),
    }
}

impl Event {
    /// A short snake_case name for the event (the `event` field of JSON
    /// log lines; stable, for alerting rules).
    pub fn name(&self) -> &'static str {
        match self {
            Event::State(_) => "state",
            Event::LogonSent { .. } => "logon_sent",
            Event::LogonReceived { .. } => "logon_received",
            Event::LogonReset => "logon_reset",
            Event::LoggedOn => "logon",
            Event::Reset => "seqnum_reset",
            Event::SeqTooHigh { .. } => "seqnum_too_high",
            Event::SeqTooLow { .. } => "seqnum_too_low",
            Event::ResendRequestSent { .. } => "resend_request_sent",
            Event::ResendRequestPending { .. } => "resend_request_pending",
            Event::ResendSatisfied { .. } => "resend_satisfied",
            Event::ResendRequestReceived { .. } => "resend_request_received",
            Event::Resent { .. } => "resent",
            Event::GapFillSent { .. } => "gap_fill_sent",
            Event::ResendAnswered { .. } => "resend_answered",
            Event::SequenceResetReceived { .. } => "sequence_reset_received",
            Event::QueueSkipped { .. } => "queue_skipped",
            Event::QueuedProcessed { .. } => "queued_processed",
            Event::LogoutSent { .. } => "logout_sent",
            Event::LogoutReceived { .. } => "logout_received",
            Event::TestRequestSent => "test_request_sent",
            Event::Closing(_) => "closing",
            Event::LoggedOut(_) => "logout",
            Event::StoredUnreadable { .. } => "stored_unreadable",
            Event::NextExpectedResend { .. } => "next_expected_resend",
            Event::ExpectingRetransmits { .. } => "expecting_retransmits",
            Event::ErrorPolicy { .. } => "error_policy",
            Event::AppPanicked { .. } => "app_panicked",
            Event::StoreUnreadableResend { .. } => "store_unreadable_resend",
            Event::Reject(r) => match r.way {
                RejectWay::Received => "reject_received",
                _ => "reject_sent",
            },
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::State(t) => write!(f, "State {} -> {}", t.from.name(), t.to.name()),
            Self::LogonSent { answer: false } => f.write_str("Initiated logon request"),
            Self::LogonSent { answer: true } => f.write_str("Responding to logon request"),
            Self::LogonReceived { answer: false } => f.write_str("Received logon request"),
            Self::LogonReceived { answer: true } => f.write_str("Received logon response"),
            Self::LogonReset => {
                f.write_str("Logon contains ResetSeqNumFlag=Y, reseting sequence numbers to 1")
            }
            Self::LoggedOn => f.write_str("Logon complete"),
            Self::Reset => f.write_str("Sequence numbers reset"),
            Self::SeqTooHigh {
                expected, received, ..
            } => write!(
                f,
                "MsgSeqNum too high, expecting {expected} but received {received}"
            ),
            Self::SeqTooLow { expected, received } => write!(
                f,
                "MsgSeqNum too low, expecting {expected} but received {received}"
            ),
            Self::ResendRequestSent { begin, end } => {
                write!(f, "Sent ResendRequest FROM: {begin} TO: {end}")
            }
            Self::ResendRequestPending { begin, end } => write!(
                f,
                "Already sent ResendRequest FROM: {begin} TO: {end}.  Not sending another."
            ),
            Self::ResendSatisfied { begin, end } => write!(
                f,
                "ResendRequest for messages FROM: {begin} TO: {end} has been satisfied."
            ),
            Self::ResendRequestReceived { begin, end } => {
                write!(f, "Received ResendRequest FROM: {begin} TO: {end}")
            }
            Self::Resent { seq } => write!(f, "Resending Message: {seq}"),
            Self::GapFillSent { new_seq_no, .. } => write!(f, "Sent SequenceReset TO: {new_seq_no}"),
            Self::ResendAnswered {
                begin,
                end,
                resent,
                gap_filled,
            } => {
                write!(
                    f,
                    "Answered ResendRequest FROM: {begin} TO: {end}: {resent} messages resent"
                )?;
                if !gap_filled.is_empty() {
                    f.write_str(", gap filled")?;
                    for (i, (a, b)) in gap_filled.iter().enumerate() {
                        let sep = if i == 0 { " " } else { ", " };
                        if a == b {
                            write!(f, "{sep}{a}")?;
                        } else {
                            write!(f, "{sep}{a}-{b}")?;
                        }
                    }
                }
                Ok(())
            }
            Self::SequenceResetReceived {
                gap_fill,
                from,
                new_seq_no,
            } => {
                let mode = if *gap_fill { "GapFill" } else { "Reset" };
                write!(
                    f,
                    "Received SequenceReset FROM: {from} TO: {new_seq_no} ({mode})"
                )
            }
            Self::QueueSkipped { count, first, last } => write!(
                f,
                "Skipped {count} queued messages FROM: {first} TO: {last}: below the SequenceReset's NewSeqNo"
            ),
            Self::QueuedProcessed { seq } => write!(f, "Processing QUEUED message: {seq}"),
            Self::Reject(r) => fmt_reject(f, r),
            Self::LogoutSent { answer, text } => {
                f.write_str(if *answer {
                    "Sending logout response"
                } else {
                    "Initiated logout request"
                })?;
                text_suffix(f, text)
            }
            Self::LogoutReceived { answer, text } => {
                f.write_str(if *answer {
                    "Received logout response"
                } else {
                    "Received logout request"
                })?;
                text_suffix(f, text)
            }
            Self::TestRequestSent => f.write_str("Sent test request TEST"),
            Self::Closing(reason) => match reason {
                LogoutReason::HeartbeatTimeout => f.write_str("Timed out waiting for heartbeat"),
                LogoutReason::LogonTimeout => f.write_str("Timed out waiting for logon response"),
                LogoutReason::LogoutTimeout => f.write_str("Timed out waiting for logout response"),
                LogoutReason::StoreFailure => f.write_str("Error Reading/Writing in MessageStore"),
                LogoutReason::Fatal(e) => write!(f, "Disconnecting: {}", fatal_text(*e)),
                LogoutReason::PeerLogout | LogoutReason::OurLogout => {
                    f.write_str("Disconnecting after the Logout exchange")
                }
                LogoutReason::Disconnected => f.write_str("Disconnecting"),
                LogoutReason::ErrorPolicy => f.write_str("Auto disconnect"),
            },
            Self::LoggedOut(reason) => write!(f, "Logged out: {}", logout_text(*reason)),
            Self::NextExpectedResend { begin, end } => write!(
                f,
                "Sending retransmits due to received NextExpectedMsgSeqNum is too low. FROM: {begin} TO: {end}"
            ),
            Self::ExpectingRetransmits { begin, end } => {
                write!(f, "Expecting retransmits FROM: {begin} TO: {end}")
            }
            Self::ErrorPolicy { reset: true, seq } => {
                write!(f, "Auto reset: message {seq} would have been rejected")
            }
            Self::ErrorPolicy { reset: false, seq } => {
                write!(f, "Auto disconnect: message {seq} would have been rejected")
            }
            Self::AppPanicked {
                seq,
                rejected,
                text,
            } => {
                let what = if *rejected {
                    "Rejecting message"
                } else {
                    "Not counting message"
                };
                write!(f, "{what} {seq}: the application panicked: {text}")
            }
            Self::StoreUnreadableResend { begin, end } => write!(
                f,
                "Cannot read messages from stores, resend HeartBeats FROM: {begin} TO: {end}"
            ),
            Self::StoredUnreadable { seq } => write!(
                f,
                "Stored message {seq} cannot be read: sent as a gap fill instead"
            ),
        }
    }
}

/// QuickFIX's `generateReject` line for what we sent: `Message 7 Rejected:
/// Invalid tag number:5002`; our own for what we received.
fn fmt_reject(f: &mut fmt::Formatter<'_>, r: &RejectInfo) -> fmt::Result {
    let seq = r.ref_seq.map_or_else(String::new, |s| s.to_string());
    let what = match (r.way, r.business) {
        (RejectWay::Received, false) => "Received Reject",
        (RejectWay::Received, true) => "Received BusinessMessageReject",
        (_, false) => "Message",
        (_, true) => "Message",
    };
    if r.way == RejectWay::Received {
        write!(f, "{what} for message {seq}")?;
        if !r.ref_msg_type.is_empty() {
            write!(f, " (35={})", r.ref_msg_type)?;
        }
        if let Some(reason) = r.reason {
            write!(f, ", reason {reason}")?;
        }
        if let Some(tag) = r.ref_tag {
            write!(f, ", tag {tag}")?;
        }
        return text_suffix(f, &r.text);
    }
    write!(f, "{what} {seq} Rejected")?;
    // QuickFIX: the reason's text and the tag; else the text given.
    match (r.reason_text(), r.ref_tag, &r.text) {
        (Some(t), Some(tag), _) => write!(f, ": {t}:{tag}")?,
        (Some(t), None, _) => write!(f, ": {t}")?,
        (None, _, Some(text)) => write!(f, ": {text}")?,
        (None, _, None) => {}
    }
    if r.way == RejectWay::NotSent {
        f.write_str(" (no Reject sent before the Logon exchange)")?;
    }
    Ok(())
}

fn fatal_text(e: FatalError) -> String {
    match e {
        FatalError::SeqNumTooLow { expected, received } => {
            format!("MsgSeqNum too low, expecting {expected} but received {received}")
        }
        FatalError::BadLogonState => "message not allowed before the Logon exchange".into(),
        FatalError::BadLogon => "Logon message is not valid".into(),
        FatalError::CompIdMismatch => "CompID problem".into(),
        FatalError::BeginStringMismatch => "Incorrect BeginString".into(),
    }
}

fn logout_text(r: LogoutReason) -> String {
    match r {
        LogoutReason::PeerLogout => "the counterparty logged out".into(),
        LogoutReason::OurLogout => "we logged out".into(),
        LogoutReason::Fatal(e) => fatal_text(e),
        LogoutReason::LogonTimeout => "logon timeout".into(),
        LogoutReason::LogoutTimeout => "logout timeout".into(),
        LogoutReason::HeartbeatTimeout => "heartbeat timeout".into(),
        LogoutReason::StoreFailure => "store failure".into(),
        LogoutReason::Disconnected => "disconnected".into(),
        LogoutReason::ErrorPolicy => "disconnected on an error (DisconnectOnError)".into(),
    }
}
