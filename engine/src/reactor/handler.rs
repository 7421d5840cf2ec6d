//! The per-connection handler contract: what the reactor calls, what it gives.

use std::fmt;

pub use crate::time::{MonoTime, Now, UtcTimestamp};

/// Internal time: nanoseconds of CLOCK_BOOTTIME (the value of a
/// [`MonoTime`]): every deadline and linked timeout is on this clock.
pub(crate) type Nanos = i64;

/// Result of framing the start of the receive buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framed {
    /// A complete frame of this many bytes starts the buffer.
    Complete(usize),
    /// More bytes are needed.
    Incomplete,
    /// The buffer starts with garbage: drop this many bytes (at least 1).
    Garbled {
        /// Bytes to drop.
        skip: usize,
    },
}

impl From<ringfix_codec::Frame> for Framed {
    fn from(f: ringfix_codec::Frame) -> Self {
        match f {
            ringfix_codec::Frame::Complete(len) => Self::Complete(len),
            ringfix_codec::Frame::Incomplete => Self::Incomplete,
            ringfix_codec::Frame::Garbled { skip, .. } => Self::Garbled { skip },
        }
    }
}

/// How a connection should be closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseMode {
    /// Write what is queued only if the socket takes it at once, then close
    /// (unsent bytes are dropped with SO_LINGER 0).
    Now,
    /// Flush what is queued, waiting at most the handler's deadline, then close.
    Graceful,
}

/// Why a connection was closed (given to [`ConnectionHandler::on_closed`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// The handler asked for it.
    Requested(CloseMode),
    /// The peer closed its side (EOF).
    PeerClosed,
    /// A socket error (errno).
    Error(i32),
    /// The outbound queue exceeded `max_outbound_queue_bytes`.
    QueueLimit {
        /// Bytes queued when the limit was hit.
        queued: usize,
        /// The configured limit.
        limit: usize,
    },
    /// A frame did not fit in the receive buffer.
    FrameTooLarge,
    /// Connecting failed (errno).
    ConnectFailed(i32),
    /// Connecting did not finish before its timeout.
    ConnectTimeout,
    /// TLS refused the peer, the peer refused us, or the handshake timed out.
    Tls(super::tls::TlsFailure),
    /// A send did not complete within the write timeout
    /// (`SocketSynchronousWriteTimeout`): the peer stopped reading.
    WriteTimeout(std::time::Duration),
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Requested(m) => write!(f, "closed by handler ({m:?})"),
            Self::PeerClosed => f.write_str("peer closed the connection"),
            Self::Error(e) => write!(f, "socket error: {}", std::io::Error::from_raw_os_error(*e)),
            Self::QueueLimit { queued, limit } => {
                write!(f, "outbound queue {queued} bytes exceeds limit {limit}")
            }
            Self::FrameTooLarge => f.write_str("frame larger than the receive buffer"),
            Self::ConnectFailed(e) => {
                write!(
                    f,
                    "connect failed: {}",
                    std::io::Error::from_raw_os_error(*e)
                )
            }
            Self::ConnectTimeout => f.write_str("connect timed out"),
            Self::Tls(t) => t.fmt(f),
            Self::WriteTimeout(t) => write!(
                f,
                "write not completed within {} ms (SocketSynchronousWriteTimeout)",
                t.as_millis()
            ),
        }
    }
}

/// Identifies one connection of one reactor (slot + generation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnId {
    pub(crate) slot: u32,
    pub(crate) generation: u16,
}

impl ConnId {
    /// A stable number for logs and maps.
    pub fn as_u64(self) -> u64 {
        (u64::from(self.generation) << 32) | u64::from(self.slot)
    }
}

/// What a handler may do during a callback: queue bytes, ask to close.
pub struct Ctx<'a> {
    pub(crate) id: ConnId,
    pub(crate) out: &'a mut Vec<u8>,
    pub(crate) close: &'a mut Option<CloseMode>,
    /// Bytes handed to a send and not yet written (before `out`).
    pub(crate) wire_unsent: usize,
    /// [`probe::stamp`](super::probe::stamp) when the completions of this
    /// callback were reaped; 0 outside a receive.
    pub(crate) stamp: u64,
}

impl Ctx<'_> {
    /// This connection's id.
    pub fn id(&self) -> ConnId {
        self.id
    }

    /// The outbound buffer: append bytes to send. Its capacity is reused.
    pub fn outbound(&mut self) -> &mut Vec<u8> {
        self.out
    }

    /// Bytes queued for this connection and not yet written to the
    /// socket: the part of a send in flight not yet done, plus
    /// [`outbound`](Self::outbound).
    pub fn queued_bytes(&self) -> usize {
        self.wire_unsent.saturating_add(self.out.len())
    }

    /// Ask to close. `Now` wins over `Graceful`.
    pub fn close(&mut self, mode: CloseMode) {
        *self.close = match (*self.close, mode) {
            (Some(CloseMode::Now), _) | (_, CloseMode::Now) => Some(CloseMode::Now),
            _ => Some(CloseMode::Graceful),
        };
    }

    /// When the bytes of this callback's frame were reaped from the ring
    /// ([`probe::stamp`](super::probe::stamp) ticks), 0 outside a receive:
    /// `stamp() - recv_stamp()` is the engine's own time so far.
    pub fn recv_stamp(&self) -> u64 {
        self.stamp
    }

    /// The close asked for so far, if any.
    pub fn close_requested(&self) -> Option<CloseMode> {
        *self.close
    }
}

/// Per-connection logic driven by the reactor (the runtime wraps a session).
///
/// Created at accept time by a listener's factory (it may decide later which
/// session it belongs to) or handed to [`crate::reactor::Remote::connect`].
pub trait ConnectionHandler {
    /// Frames the start of `buf`; frames longer than `max_len` must be reported
    /// as `Garbled` (they can never fit in the receive buffer). The default is
    /// FIX framing ([`ringfix_codec::frame`]).
    fn frame(&mut self, buf: &[u8], max_len: usize) -> Framed {
        ringfix_codec::frame(buf, max_len).into()
    }
    /// New bytes: takes what starts `data` (at most one frame) and says
    /// what it was. `Complete(len)` and `Garbled { skip }` consume bytes,
    /// `Incomplete` waits for more. The framer's verdict and the frame go
    /// to the handler together, so a handler that frames and indexes in one
    /// pass (the runtime's, with `Parser::parse_next`) parses each frame
    /// once. The default frames with [`frame`](Self::frame) and hands the
    /// result to [`on_frame`](Self::on_frame) or
    /// [`on_garbled`](Self::on_garbled).
    fn on_input(&mut self, data: &[u8], max_len: usize, ctx: &mut Ctx<'_>, now: Now) -> Framed {
        let framed = self.frame(data, max_len);
        match framed {
            Framed::Complete(len) if len > 0 && len <= data.len() => {
                self.on_frame(&data[..len], ctx, now)
            }
            Framed::Incomplete => {}
            Framed::Garbled { skip } => {
                self.on_garbled(&data[..skip.clamp(1, data.len())], ctx, now)
            }
            Framed::Complete(_) => {
                // A framer bug: report everything as garbled rather than loop.
                self.on_garbled(data, ctx, now);
                return Framed::Garbled { skip: data.len() };
            }
        }
        framed
    }
    /// The connection is established (with TLS: the handshake completed;
    /// a connection refused during the handshake gets only `on_closed`).
    fn on_open(&mut self, ctx: &mut Ctx<'_>, now: Now);
    /// One complete frame, borrowed from the receive buffer.
    fn on_frame(&mut self, frame: &[u8], ctx: &mut Ctx<'_>, now: Now);
    /// Bytes dropped because they were not a frame.
    fn on_garbled(&mut self, skipped: &[u8], ctx: &mut Ctx<'_>, now: Now);
    /// `now` is at or past [`Self::deadline`].
    fn on_deadline(&mut self, ctx: &mut Ctx<'_>, now: Now);
    /// The next deadline on the monotonic clock; `None` means the
    /// reactor's `default_deadline` from now.
    fn deadline(&self) -> Option<MonoTime>;
    /// Another thread called [`crate::reactor::Remote::notify`] or
    /// [`crate::reactor::Remote::wake`] for this connection (after a wake it
    /// may be spurious: wakes are kept per connection slot).
    fn on_notify(&mut self, _ctx: &mut Ctx<'_>, _now: Now) {}
    /// Whether this connection has work for [`on_idle`](Self::on_idle)
    /// (e.g. store upkeep). Asked after every callback, so keep it cheap.
    fn wants_idle(&self) -> bool {
        false
    }
    /// The reactor has nothing else to do (a loop turn reaped no completion
    /// and has nothing to submit): do one small bounded step of background
    /// work, true while more remains. Called only after
    /// [`wants_idle`](Self::wants_idle) said yes, for one connection per
    /// idle turn, round-robin. It runs between messages: every microsecond
    /// here is one a message arriving meanwhile may wait.
    fn on_idle(&mut self, _ctx: &mut Ctx<'_>, _now: Now) -> bool {
        false
    }
    /// The reactor is stopping; the default closes gracefully.
    fn on_stop(&mut self, ctx: &mut Ctx<'_>, _now: Now) {
        ctx.close(CloseMode::Graceful);
    }
    /// The TLS peer presented this certificate (its subject and SANs),
    /// told once, just before [`on_open`](Self::on_open); not called
    /// without TLS or without a client certificate.
    fn on_peer_certificate(&mut self, _cert: super::PeerCertificate) {}
    /// The connection is closed: its fd is closed and no operation is left.
    fn on_closed(&mut self, reason: &CloseReason, now: Now);
}

/// Information about a freshly accepted connection, for a listener's factory.
#[derive(Debug, Clone, Copy)]
pub struct AcceptInfo {
    /// The connection's id.
    pub id: ConnId,
    /// The peer's address, when known.
    pub peer: Option<std::net::SocketAddr>,
    /// The listener's local address.
    pub local: std::net::SocketAddr,
}
