//! An inbound message as the session sees it: the codec's [`MessageView`]
//! (the bytes and their index, both borrowed) plus the header fields the
//! session reads on every message, taken from the index's O(1) header
//! slots. There is one parser: every field access goes through the codec's
//! index. No allocation.

use ringfix_codec::{tags, value, Fields, MessageView, ParseError, Parser};

pub use ringfix_codec::{Tag, SOH};

/// Parses an unsigned decimal integer (sequence numbers, counts).
pub fn parse_u64(b: &[u8]) -> Option<u64> {
    value::parse_u64(b).ok()
}

/// Standard header tags (FIX 4.0 - FIXT.1.1), used to split a stored or
/// inbound message into header and body.
pub fn is_header_tag(tag: Tag) -> bool {
    matches!(
        tag,
        8 | 9
            | 35
            | 34
            | 43
            | 49
            | 50
            | 52
            | 56
            | 57
            | 90
            | 91
            | 97
            | 115
            | 116
            | 122
            | 128
            | 129
            | 142
            | 143
            | 144
            | 145
            | 212
            | 213
            | 347
            | 369
            | 627
            | 628
            | 629
            | 630
            | 1128
            | 1129
            | 1156
    )
}

/// Admin (session-level) message types.
pub fn is_admin_type(msg_type: &[u8]) -> bool {
    matches!(msg_type, b"0" | b"1" | b"2" | b"3" | b"4" | b"5" | b"A")
}

/// Header fields of an inbound message (first occurrence of each).
#[derive(Clone, Copy, Debug, Default)]
pub struct Header<'a> {
    /// BeginString (8).
    pub begin_string: Option<&'a [u8]>,
    /// MsgType (35).
    pub msg_type: Option<&'a [u8]>,
    /// MsgSeqNum (34) as text.
    pub seq_raw: Option<&'a [u8]>,
    /// MsgSeqNum (34) parsed; `None` when missing or not a number.
    pub seq: Option<u64>,
    /// SenderCompID (49).
    pub sender: Option<&'a [u8]>,
    /// TargetCompID (56).
    pub target: Option<&'a [u8]>,
    /// SendingTime (52).
    pub sending_time: Option<&'a [u8]>,
    /// OrigSendingTime (122).
    pub orig_sending_time: Option<&'a [u8]>,
    /// PossDupFlag (43) = Y.
    pub poss_dup: bool,
    /// PossResend (97) = Y.
    pub poss_resend: bool,
}

impl<'a> Header<'a> {
    /// The header of `view`, from its index (every tag here is in the
    /// codec's header slots: one load each).
    #[inline]
    fn of(view: &MessageView<'a>) -> Self {
        let seq_raw = view.get(tags::MSG_SEQ_NUM);
        Self {
            begin_string: view.get(tags::BEGIN_STRING),
            msg_type: view.get(tags::MSG_TYPE),
            seq_raw,
            seq: seq_raw.and_then(parse_u64),
            sender: view.get(tags::SENDER_COMP_ID),
            target: view.get(tags::TARGET_COMP_ID),
            sending_time: view.get(tags::SENDING_TIME),
            orig_sending_time: view.get(tags::ORIG_SENDING_TIME),
            poss_dup: view.get(tags::POSS_DUP_FLAG) == Some(b"Y"),
            poss_resend: view.get(tags::POSS_RESEND) == Some(b"Y"),
        }
    }
}

/// Fields of a message in wire order, `(tag, value)`, from the codec's
/// index (a data field's value may hold SOH; a negative tag text is
/// [`ringfix_codec::INVALID_TAG`]).
#[derive(Clone, Debug)]
pub struct FieldIter<'a>(Fields<'a>);

impl<'a> Iterator for FieldIter<'a> {
    type Item = (Tag, &'a [u8]);

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|f| (f.tag, f.value))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

/// A borrowed inbound message: the codec's view of one complete frame.
#[derive(Clone, Copy, Debug)]
pub struct Incoming<'a> {
    view: MessageView<'a>,
    header: Header<'a>,
}

impl<'a> From<&MessageView<'a>> for Incoming<'a> {
    fn from(v: &MessageView<'a>) -> Self {
        Self::from_view(v)
    }
}

impl<'a> Incoming<'a> {
    /// A message the codec framed and indexed.
    #[inline]
    pub fn from_view(v: &MessageView<'a>) -> Self {
        Self {
            view: *v,
            header: Header::of(v),
        }
    }

    /// A message whose header the caller adjusted (a benchmark replaying
    /// one message with an advancing MsgSeqNum). `header` must otherwise
    /// describe `view`.
    pub fn with_header(view: &MessageView<'a>, header: Header<'a>) -> Self {
        Self {
            view: *view,
            header,
        }
    }

    /// Parses one whole message with a parser of its own and hands it to
    /// `f` (framing and BodyLength checked, not the CheckSum). For tools
    /// and tests: the parser's index is allocated per call, where the
    /// message path reuses one.
    pub fn parse_with<R>(raw: &[u8], f: impl FnOnce(&Incoming<'_>) -> R) -> Result<R, ParseError> {
        let mut parser = Parser::new();
        let view = parser.parse_framed(raw)?;
        Ok(f(&Incoming::from_view(&view)))
    }

    /// The codec's view: typed getters, groups, positions.
    pub fn view(&self) -> &MessageView<'a> {
        &self.view
    }

    /// The whole message as received.
    pub fn raw(&self) -> &'a [u8] {
        self.view.as_bytes()
    }

    /// The header fields the session uses.
    pub fn header(&self) -> &Header<'a> {
        &self.header
    }

    /// MsgType (35), empty when missing.
    pub fn msg_type(&self) -> &'a [u8] {
        self.header.msg_type.unwrap_or(&[])
    }

    /// All fields in wire order.
    pub fn fields(&self) -> FieldIter<'a> {
        FieldIter(self.view.fields())
    }

    /// First value of `tag` (header tags in O(1), others by a walk of the
    /// index).
    #[inline]
    pub fn get(&self, tag: Tag) -> Option<&'a [u8]> {
        self.view.get(tag)
    }

    /// First value of `tag` as an unsigned integer.
    pub fn get_u64(&self, tag: Tag) -> Option<u64> {
        self.get(tag).and_then(parse_u64)
    }

    /// Whether this is a session-level (admin) message.
    pub fn is_admin(&self) -> bool {
        is_admin_type(self.msg_type())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_from_the_index() {
        let raw = b"8=FIX.4.4\x019=47\x0135=D\x0134=7\x0149=A\x0152=x\x0156=B\x0143=Y\x0195=2\x0196=\x01\x01\x0111=id\x0110=000\x01";
        Incoming::parse_with(raw, |m| {
            assert_eq!(m.msg_type(), b"D");
            assert_eq!(m.header().seq, Some(7));
            assert!(m.header().poss_dup);
            assert_eq!(m.get(11), Some(&b"id"[..]));
            // The data field keeps its SOHs: one parser, the codec's.
            assert_eq!(m.get(96), Some(&b"\x01\x01"[..]));
            assert_eq!(m.fields().count(), 12);
        })
        .unwrap();
        assert!(Incoming::parse_with(b"8=FIX.4.4\x019=5\x01x=1\x0110=000\x01", |_| ()).is_err());
    }
}
