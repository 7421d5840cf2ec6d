//! Inbound message view used by the session: the raw bytes plus the header
//! fields the session needs, extracted in one pass. Borrowed, no allocation.

use ringfix_codec::MessageView;

pub use ringfix_codec::{Tag, SOH};

/// Iterates `tag=value<SOH>` fields of a raw message in wire order.
/// A field whose tag is not a plain number yields tag `0` (the session
/// treats it as an invalid tag); iteration stops at the first field without
/// `=` or SOH.
#[derive(Clone)]
pub struct FieldIter<'a> {
    rest: &'a [u8],
    /// (data tag, byte count) announced by the previous length field.
    pending: Option<(Tag, usize)>,
}

impl<'a> FieldIter<'a> {
    /// Fields of `raw`.
    pub fn new(raw: &'a [u8]) -> Self {
        Self {
            rest: raw,
            pending: None,
        }
    }
}

/// Parses a tag; `None` when it is not a plain positive decimal number.
pub fn parse_tag(b: &[u8]) -> Option<Tag> {
    if b.is_empty() || b.len() > 9 {
        return None;
    }
    let mut v: u32 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Parses an unsigned decimal integer (sequence numbers, counts).
pub fn parse_u64(b: &[u8]) -> Option<u64> {
    if b.is_empty() || b.len() > 19 {
        return None;
    }
    let mut v: u64 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u64::from(c - b'0');
    }
    Some(v)
}

impl<'a> Iterator for FieldIter<'a> {
    type Item = (Tag, &'a [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let eq = self.rest.iter().position(|&c| c == b'=')?;
        let after = self.rest.get(eq + 1..)?;
        let tag = self.rest.get(..eq).and_then(parse_tag).unwrap_or(0);
        // A data field takes the byte count its length field gave (it may
        // hold SOH), as the codec parser does (fuzz finding: splitting it at
        // SOH made the echo and resends write broken messages).
        let end = match self.pending.take() {
            Some((data, n)) if data == tag && after.get(n) == Some(&SOH) => n,
            _ => after.iter().position(|&c| c == SOH)?,
        };
        let value = after.get(..end)?;
        self.pending = ringfix_codec::data_fields::data_tag_for(tag).and_then(|data| {
            let n = usize::try_from(parse_u64(value)?).ok()?;
            Some((data, n))
        });
        self.rest = after.get(end + 1..).unwrap_or(&[]);
        Some((tag, value))
    }
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

/// Header fields of an inbound message, found in one pass.
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
    /// Records one field; `true` once the header is complete (a body field
    /// after the fields the session needs), so the scan can stop early.
    #[inline]
    fn take(&mut self, tag: Tag, v: &'a [u8]) -> bool {
        match tag {
            8 if self.begin_string.is_none() => self.begin_string = Some(v),
            35 if self.msg_type.is_none() => self.msg_type = Some(v),
            34 if self.seq_raw.is_none() => {
                self.seq_raw = Some(v);
                self.seq = parse_u64(v);
            }
            49 if self.sender.is_none() => self.sender = Some(v),
            56 if self.target.is_none() => self.target = Some(v),
            52 if self.sending_time.is_none() => self.sending_time = Some(v),
            122 if self.orig_sending_time.is_none() => self.orig_sending_time = Some(v),
            43 => self.poss_dup = v == b"Y",
            97 => self.poss_resend = v == b"Y",
            t if !is_header_tag(t) => {
                // Header fields after the body are malformed (validation
                // rejects them) but the identity fields are still needed.
                return self.seq_raw.is_some()
                    && self.sender.is_some()
                    && self.target.is_some()
                    && self.sending_time.is_some();
            }
            _ => {}
        }
        false
    }
}

/// A borrowed inbound message: raw bytes (one complete frame) and its
/// header. Build it with [`Incoming::parse`] or from a codec view's bytes.
#[derive(Clone, Copy, Debug)]
pub struct Incoming<'a> {
    raw: &'a [u8],
    header: Header<'a>,
    /// The codec's index of `raw`, when the caller parsed it (validation
    /// then walks it instead of parsing again).
    view: Option<MessageView<'a>>,
}

impl<'a> From<&MessageView<'a>> for Incoming<'a> {
    fn from(v: &MessageView<'a>) -> Self {
        Self::from_view(v)
    }
}

impl<'a> Incoming<'a> {
    /// Indexes the header of one complete message (framing and checksum
    /// are the caller's concern: pass only what the framer accepted).
    pub fn parse(raw: &'a [u8]) -> Self {
        let mut h = Header::default();
        for (tag, v) in FieldIter::new(raw) {
            if h.take(tag, v) {
                break;
            }
        }
        Self {
            raw,
            header: h,
            view: None,
        }
    }

    /// The header of a message the codec framed and parsed (no re-scan:
    /// the view's index answers).
    pub fn from_view(v: &MessageView<'a>) -> Self {
        let mut h = Header::default();
        for f in v.fields() {
            if h.take(f.tag, f.value) {
                break;
            }
        }
        Self {
            raw: v.as_bytes(),
            header: h,
            view: Some(*v),
        }
    }

    /// A message whose header the caller already extracted (e.g. from its
    /// own index). `header` must describe `raw`.
    pub fn from_parts(raw: &'a [u8], header: Header<'a>) -> Self {
        Self {
            raw,
            header,
            view: None,
        }
    }

    /// The codec's parsed view of the message, if it came from one.
    pub fn view(&self) -> Option<&MessageView<'a>> {
        self.view.as_ref()
    }

    /// The whole message as received.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
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
        FieldIter::new(self.raw)
    }

    /// First value of `tag` (linear scan).
    pub fn get(&self, tag: Tag) -> Option<&'a [u8]> {
        self.fields().find(|&(t, _)| t == tag).map(|(_, v)| v)
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
    fn header_in_one_pass() {
        let raw = b"8=FIX.4.4\x019=5\x0135=D\x0134=7\x0149=A\x0152=x\x0156=B\x0143=Y\x0111=id\x0110=000\x01";
        let m = Incoming::parse(raw);
        assert_eq!(m.msg_type(), b"D");
        assert_eq!(m.header().seq, Some(7));
        assert!(m.header().poss_dup);
        assert_eq!(m.get(11), Some(&b"id"[..]));
        assert_eq!(m.fields().count(), 10);
    }

    #[test]
    fn odd_tags_become_zero() {
        let raw = b"8=FIX.4.4\x01-1=HI\x01";
        let tags: Vec<_> = FieldIter::new(raw).map(|(t, _)| t).collect();
        assert_eq!(tags, vec![8, 0]);
    }
}
