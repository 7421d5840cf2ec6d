//! Decoding FIX traffic from whatever an incident left behind: pcap/pcapng
//! captures (TCP reassembled per direction), QuickFIX FileLog message logs,
//! raw FIX byte streams, ringfix's store journal. The core is [`Decoder`],
//! an iterator of [`Item`]s (messages with timestamp, source, destination
//! and connection, plus problems found on the way) that `ringfix decode`
//! prints and `ringfix replay` reuses.

mod capture;
pub mod cli;
pub mod expand;
pub mod fields;
mod fixstream;
mod flows;
mod framing;
mod journal;
mod names;
pub mod output;
mod packet;
mod sniff;
mod tcp;
mod text;
mod time;

use std::collections::VecDeque;
use std::fmt;
use std::fs::File;
use std::io::Read;
use std::net::SocketAddr;
use std::path::Path;

pub use fixstream::MAX_MESSAGE;
pub use time::Timestamp;

impl Message {
    /// This message with `redact`'s tags masked (`***`), `None` when it
    /// holds none of them.
    pub fn redacted(&self, redact: &ringfix_codec::redact::Redaction) -> Option<Message> {
        match redact.redact(&self.bytes) {
            std::borrow::Cow::Owned(bytes) => Some(Message {
                bytes,
                ..self.clone()
            }),
            std::borrow::Cow::Borrowed(_) => None,
        }
    }
}

/// One FIX message found in the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// When it was captured or logged (capture: the packet that completed it).
    pub ts: Option<Timestamp>,
    /// Sender's address (captures only).
    pub src: Option<SocketAddr>,
    /// Receiver's address (captures only).
    pub dst: Option<SocketAddr>,
    /// The whole message, `8=` to the CheckSum's SOH (SOH separators, even
    /// when the log showed `|`).
    pub bytes: Vec<u8>,
    /// Where it was found.
    pub at: Position,
    /// The TCP connection it travelled on (captures only).
    pub connection: Option<Connection>,
}

/// A TCP connection in a capture: both directions share it; a reconnection
/// on the same addresses is a new one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Connection {
    /// 1-based, in the order connections first appear in the capture.
    pub id: u64,
    /// The side that opened it (sent the SYN), when the handshake was captured.
    pub client: Option<SocketAddr>,
}

/// A place in the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Position {
    /// Byte offset in a raw stream.
    Byte(u64),
    /// Line number (1-based) in a text log.
    Line(u64),
    /// Packet number (1-based, as Wireshark counts) in a capture.
    Packet(u64),
    /// Byte offset in a capture file, after `after_packet` packets.
    CaptureByte {
        /// Offset of the unreadable block.
        offset: u64,
        /// Packets read before it.
        after_packet: u64,
    },
}

impl fmt::Display for Position {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Position::Byte(o) => write!(f, "byte {o}"),
            Position::Line(n) => write!(f, "line {n}"),
            Position::Packet(n) => write!(f, "packet {n}"),
            Position::CaptureByte {
                offset,
                after_packet,
            } => write!(f, "byte {offset} (after packet {after_packet})"),
        }
    }
}

/// Something wrong in the input; decoding goes on after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Where.
    pub at: Position,
    /// Capture time of the packet concerned.
    pub ts: Option<Timestamp>,
    /// The TCP direction (source, destination) it concerns, in a capture.
    pub flow: Option<(SocketAddr, SocketAddr)>,
    /// What is wrong, for a person.
    pub what: String,
}

impl Problem {
    pub(crate) fn new(at: Position, what: impl Into<String>) -> Self {
        Problem {
            at,
            ts: None,
            flow: None,
            what: what.into(),
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.at)?;
        if let Some(ts) = self.ts {
            write!(f, " at {ts}")?;
        }
        if let Some((s, d)) = self.flow {
            write!(f, " {s} -> {d}")?;
        }
        write!(f, ": {}", self.what)
    }
}

/// What the decoder yields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// A framed FIX message.
    Message(Message),
    /// A problem in the input (decoding continues).
    Problem(Problem),
}

/// The kind of input, found by sniffing its first bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Classic pcap (microsecond or nanosecond, either byte order).
    Pcap,
    /// pcapng.
    PcapNg,
    /// Text log: a message per line, optionally after a timestamp prefix
    /// (QuickFIX FileLog `YYYYMMDD-HH:MM:SS.sss : 8=FIX…`); `|` separators accepted.
    Log,
    /// Raw FIX bytes, messages back to back.
    Raw,
    /// ringfix's file-store journal (`<session>.journal`): the messages a
    /// session sent, without timestamps or addresses.
    Journal,
}

/// The input cannot be decoded at all.
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    /// Opening or reading failed.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The input is of a recognised kind but unusable (e.g. a capture truncated in its header).
    #[error("{0}")]
    Unreadable(String),
}

/// Iterator over the messages (and problems) of one input. Streams: memory
/// stays bounded whatever the input size (per TCP direction: at most
/// [`tcp::MAX_OUT_OF_ORDER`] bytes held out of order and one partial message).
pub struct Decoder {
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "only the tests ask which format was detected")
    )]
    format: Format,
    source: Source,
    queue: VecDeque<Item>,
    messages: u64,
}

enum Source {
    Capture(Box<flows::CaptureSource>),
    Text(Box<text::TextSource>),
    Journal(Box<journal::JournalSource>),
}

impl Message {
    /// Parses the message with the codec (fields, typed getters, groups).
    #[cfg(test)]
    pub fn view<'a>(
        &'a self,
        parser: &'a mut ringfix_codec::Parser,
    ) -> Result<ringfix_codec::MessageView<'a>, ringfix_codec::ParseError> {
        parser.parse_framed(&self.bytes)
    }
}

impl Decoder {
    /// Opens a file and sniffs its format.
    pub fn open(path: &Path) -> Result<Decoder, DecodeError> {
        let file = File::open(path)?;
        Decoder::from_reader(file)
    }

    /// Opens a command-line argument: a path, or `-` for stdin.
    pub fn open_arg(file: &str) -> Result<Decoder, DecodeError> {
        if file == "-" {
            Decoder::from_reader(std::io::stdin())
        } else {
            Decoder::open(Path::new(file))
        }
    }

    /// Decodes any byte source (a file, stdin), sniffing its format from the first bytes.
    pub fn from_reader<R: Read + Send + 'static>(input: R) -> Result<Decoder, DecodeError> {
        let (format, input) = sniff::sniff(input)?;
        Decoder::with_format(format, input)
    }

    /// Decodes `input` as the given format (no sniffing).
    pub fn with_format<R: Read + Send + 'static>(
        format: Format,
        input: R,
    ) -> Result<Decoder, DecodeError> {
        let source = match format {
            Format::Pcap | Format::PcapNg => {
                Source::Capture(Box::new(flows::CaptureSource::new(input)?))
            }
            Format::Log => Source::Text(Box::new(text::TextSource::lines(input))),
            Format::Raw => Source::Text(Box::new(text::TextSource::raw(input))),
            Format::Journal => Source::Journal(Box::new(journal::JournalSource::new(input)?)),
        };
        Ok(Decoder {
            format,
            source,
            queue: VecDeque::new(),
            messages: 0,
        })
    }

    /// The input's format.
    #[cfg(test)]
    pub fn format(&self) -> Format {
        self.format
    }

    /// Messages yielded so far.
    pub fn messages(&self) -> u64 {
        self.messages
    }
}

impl Iterator for Decoder {
    type Item = Item;

    fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                if matches!(item, Item::Message(_)) {
                    self.messages += 1;
                }
                return Some(item);
            }
            let more = match &mut self.source {
                Source::Capture(c) => c.fill(&mut self.queue),
                Source::Text(t) => t.fill(&mut self.queue),
                Source::Journal(j) => j.fill_items(&mut self.queue),
            };
            if !more && self.queue.is_empty() {
                return None;
            }
        }
    }
}
