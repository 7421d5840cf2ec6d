//! In-place parsing: a `Parser` indexes one framed message into reusable
//! storage and hands out a `MessageView` borrowing the bytes and the index.

use crate::data_fields::data_tag_for;
use crate::error::{FrameError, ParseError};
use crate::fast;
use crate::frame::{
    checksum, frame_header, header, trailer, Frame, Header, HeaderResult, DEFAULT_MAX_MESSAGE_SIZE,
    TRAILER_LEN,
};
use crate::scan::soh_bitmap;
use crate::simd::{Avx2, Base, Simd};
use crate::swar;
use crate::tags::{
    header_slot, tag_class, BEGIN_STRING, BODY_LENGTH, CHECK_SUM, CLASS_LEN, HEADER_SLOTS,
};
use crate::view::{Entry, MessageView};
use crate::{Tag, SOH};

/// Tag recorded for a field whose tag text is negative (e.g. `-1=x`): the
/// message is still indexed so the session can reject it ("Invalid tag
/// number"); [`MessageView::tag_text`] gives the text.
pub const INVALID_TAG: Tag = u32::MAX;

/// Entries reserved up front (a typical message has far fewer).
const INITIAL_FIELDS: usize = 64;

/// What [`Parser::parse_next`] found at the start of a buffer.
#[derive(Debug)]
pub enum Parsed<'a> {
    /// A complete, valid frame, indexed; it is `view.as_bytes().len()` long.
    Message(MessageView<'a>),
    /// A complete frame (framing and CheckSum good) whose fields are not:
    /// drop its `len` bytes.
    Invalid {
        /// The frame's length.
        len: usize,
        /// What is wrong with its fields.
        error: ParseError,
    },
    /// [`crate::frame`]'s answer when there is no complete frame: more bytes
    /// are needed, or some must be dropped (never `Frame::Complete`).
    NoFrame(Frame),
}

/// Owns the reusable field index; parses one message at a time.
#[derive(Debug, Clone)]
pub struct Parser {
    /// Pre-sized slots; the view borrows the ones the last message filled.
    fields: Vec<Entry>,
    header: [u32; HEADER_SLOTS],
    max_len: usize,
    /// The wider instruction set when this CPU has it.
    avx2: Option<Avx2>,
}

impl Default for Parser {
    fn default() -> Self {
        Self::new()
    }
}

impl Parser {
    /// A parser accepting messages up to [`DEFAULT_MAX_MESSAGE_SIZE`].
    pub fn new() -> Self {
        Self::with_max_len(DEFAULT_MAX_MESSAGE_SIZE)
    }

    /// A parser accepting messages up to `max_len` bytes.
    pub fn with_max_len(max_len: usize) -> Self {
        Parser {
            fields: vec![Entry::default(); INITIAL_FIELDS],
            header: [0; HEADER_SLOTS],
            max_len,
            avx2: Avx2::detect(),
        }
    }

    /// Parse exactly one complete message, verifying framing and CheckSum.
    pub fn parse<'a>(&'a mut self, msg: &'a [u8]) -> Result<MessageView<'a>, ParseError> {
        let h = check_frame(msg, self.max_len)?;
        let found = trailer(msg, h.body_end()).ok_or(FrameError::BodyLengthMismatch)?;
        let computed = checksum(msg.get(..h.body_end()).unwrap_or_default());
        if u16::from(computed) != found {
            return Err(FrameError::ChecksumMismatch { computed, found }.into());
        }
        self.index(msg, &h)
    }

    /// Parse a message that [`crate::frame`] already returned as `Complete`:
    /// the CheckSum is not summed again (everything else is checked, and no
    /// input makes this panic).
    pub fn parse_framed<'a>(&'a mut self, msg: &'a [u8]) -> Result<MessageView<'a>, ParseError> {
        let h = check_frame(msg, self.max_len)?;
        trailer(msg, h.body_end()).ok_or(FrameError::BodyLengthMismatch)?;
        self.index(msg, &h)
    }

    /// Frame the message at the start of `buf` (as [`crate::frame`], with
    /// this parser's maximum size) and index it, checking the header once
    /// for both (`frame` then `parse_framed` check it twice).
    #[inline]
    pub fn parse_next<'a>(&'a mut self, buf: &'a [u8]) -> Parsed<'a> {
        match self.avx2 {
            // SAFETY: the token exists only on a CPU with those features.
            Some(t) => unsafe { self.parse_next_avx2(t, buf) },
            None => self.parse_next_with(Base, buf),
        }
    }

    /// [`Parser::parse_next`] compiled for AVX2 and BMI (off x86-64 the
    /// token cannot be made, so this never runs).
    #[cfg_attr(
        target_arch = "x86_64",
        target_feature(enable = "avx2,bmi1,bmi2,lzcnt,popcnt")
    )]
    unsafe fn parse_next_avx2<'a>(&'a mut self, t: Avx2, buf: &'a [u8]) -> Parsed<'a> {
        self.parse_next_with(t, buf)
    }

    #[inline(always)]
    fn parse_next_with<'a, S: Simd>(&'a mut self, simd: S, buf: &'a [u8]) -> Parsed<'a> {
        match frame_header(simd, buf, self.max_len) {
            Ok(h) => {
                let msg = buf.get(..h.total()).unwrap_or_default();
                match self.index_with(simd, msg, &h) {
                    Ok(view) => Parsed::Message(view),
                    Err(error) => Parsed::Invalid {
                        len: h.total(),
                        error,
                    },
                }
            }
            Err(f) => Parsed::NoFrame(f),
        }
    }

    /// This parser on the baseline instruction set, whatever the CPU has
    /// (tests compare both paths).
    #[cfg(test)]
    fn baseline(mut self) -> Self {
        self.avx2 = None;
        self
    }

    /// Fields the index can hold before it must grow.
    pub fn capacity(&self) -> usize {
        self.fields.len()
    }

    /// The checked path: every field's tag and `=` are verified and length
    /// prefixed data fields are honoured; returns the number of entries.
    #[cold]
    #[inline(never)]
    fn checked(&mut self, msg: &[u8], h: &Header) -> Result<usize, ParseError> {
        self.header = [0; HEADER_SLOTS];
        let mut fill = Fill {
            slots: &mut self.fields,
            n: 0,
            header: &mut self.header,
        };
        fill.body(msg, h)?;
        Ok(fill.n.min(fill.slots.len()))
    }

    /// The largest message this parser accepts.
    pub(crate) fn max_len(&self) -> usize {
        self.max_len
    }

    /// Index a framed message with the best instruction set.
    pub(crate) fn index<'a>(
        &'a mut self,
        msg: &'a [u8],
        h: &Header,
    ) -> Result<MessageView<'a>, ParseError> {
        match self.avx2 {
            // SAFETY: the token exists only on a CPU with those features.
            Some(t) => unsafe { self.index_avx2(t, msg, h) },
            None => self.index_with(Base, msg, h),
        }
    }

    /// [`Parser::index`] compiled for AVX2 and BMI, as `parse_next_avx2`.
    #[cfg_attr(
        target_arch = "x86_64",
        target_feature(enable = "avx2,bmi1,bmi2,lzcnt,popcnt")
    )]
    unsafe fn index_avx2<'a>(
        &'a mut self,
        t: Avx2,
        msg: &'a [u8],
        h: &Header,
    ) -> Result<MessageView<'a>, ParseError> {
        self.index_with(t, msg, h)
    }

    #[inline(always)]
    fn index_with<'a, S: Simd>(
        &'a mut self,
        simd: S,
        msg: &'a [u8],
        h: &Header,
    ) -> Result<MessageView<'a>, ParseError> {
        // Every field takes at least 3 bytes (`t=<SOH>`), so this many slots
        // always suffice; the storage only grows for a larger message.
        let need = h.body_len / 3 + 3;
        if self.fields.len() < need {
            self.fields.resize(need, Entry::default());
        }
        // Reset in place: building the slots in a local and copying them
        // out made the copy's wide loads wait on the narrow stores.
        self.header = [0; HEADER_SLOTS];
        let n = match fast::index(simd, msg, h, &mut self.fields, &mut self.header) {
            Some(n) => n,
            None => self.checked(msg, h)?,
        };
        let fields = self.fields.get(..n).unwrap_or_default();
        Ok(MessageView::new(msg, fields, &self.header))
    }
}

/// The index being filled: entries go into pre-sized slots with the count
/// in a register (a `Vec::push` per field would round-trip the length
/// through memory on every field).
struct Fill<'s> {
    slots: &'s mut [Entry],
    n: usize,
    header: &'s mut [u32; HEADER_SLOTS],
}

impl Fill<'_> {
    /// Index `8`, `9`, every body field and `10`.
    #[inline(always)]
    fn body(&mut self, msg: &[u8], h: &Header) -> Result<(), ParseError> {
        let body_end = h.body_end();
        self.indexed(BEGIN_STRING, 2, h.begin_string_end);
        self.indexed(BODY_LENGTH, h.body_length_start, h.body_start - 1);
        // Fields end at SOH: find the SOHs 64 bytes at a time (a bitmap per
        // block), so the next field's start never waits for the current
        // field's tag to be decoded.
        let mut field_start = h.body_start;
        let mut block = h.body_start;
        let mut mask = soh_bitmap(msg, block, body_end);
        // Data tag announced by the previous field (0: none; tag 0 is never a data tag).
        let mut pending_tag: Tag = 0;
        let mut pending_len = 0usize;
        loop {
            if mask == 0 {
                block += 64;
                if block >= body_end {
                    break;
                }
                mask = soh_bitmap(msg, block, body_end);
                continue;
            }
            let soh = block + mask.trailing_zeros() as usize;
            mask &= mask - 1;
            let (tag, v) = tag_at(msg, field_start)?;
            if pending_tag != 0 {
                let announced = pending_tag == tag;
                pending_tag = 0;
                if announced {
                    // The value may hold SOH: it ends where its length says.
                    let end = self.data_field(msg, tag, v, pending_len, body_end)?;
                    field_start = end + 1;
                    block = field_start;
                    mask = soh_bitmap(msg, block, body_end);
                    continue;
                }
            }
            if v > soh {
                return Err(ParseError::MissingEquals(field_start));
            }
            // One table lookup decides the common case: a plain body field.
            let class = tag_class(tag);
            if class == 0 {
                self.plain(tag, v, soh);
            } else {
                if class & CLASS_LEN != 0 {
                    (pending_tag, pending_len) = announce_data(msg, tag, v, soh);
                }
                self.indexed(tag, v, soh);
            }
            field_start = soh + 1;
        }
        self.indexed(CHECK_SUM, body_end + 3, body_end + 6);
        Ok(())
    }

    /// Index a data field of `len` bytes starting at `v`; returns its end.
    #[cold]
    #[inline(never)]
    fn data_field(
        &mut self,
        msg: &[u8],
        tag: Tag,
        v: usize,
        len: usize,
        body_end: usize,
    ) -> Result<usize, ParseError> {
        let end = v.saturating_add(len);
        if end >= body_end || msg.get(end) != Some(&SOH) {
            return Err(ParseError::DataLength { tag });
        }
        self.indexed(tag, v, end);
        Ok(end)
    }

    /// A field that is not in the header index.
    #[inline(always)]
    fn plain(&mut self, tag: Tag, start: usize, end: usize) {
        if let Some(slot) = self.slots.get_mut(self.n) {
            *slot = Entry {
                tag,
                start: start as u32,
                end: end as u32,
            };
        }
        self.n += 1;
    }

    /// A field that may be in the header index (first occurrence wins).
    #[inline(always)]
    fn indexed(&mut self, tag: Tag, start: usize, end: usize) {
        if let Some(s) = self.header.get_mut(header_slot(tag)) {
            if *s == 0 {
                *s = self.n as u32 + 1;
            }
        }
        self.plain(tag, start, end);
    }
}

/// Header and exact length of a buffer that must hold exactly one frame.
#[inline(always)]
fn check_frame(msg: &[u8], max_len: usize) -> Result<Header, ParseError> {
    let h = match header(msg, max_len) {
        HeaderResult::Ok(h) => h,
        HeaderResult::Incomplete => return Err(ParseError::Truncated),
        HeaderResult::Bad(e) => return Err(e.into()),
    };
    let total = h.total();
    match msg.len().cmp(&total) {
        std::cmp::Ordering::Less => Err(ParseError::Truncated),
        std::cmp::Ordering::Greater => Err(ParseError::TrailingBytes(msg.len() - total)),
        // Equal, so the body's end follows from the length alone: what
        // comes next need not wait for the BodyLength digits to decode.
        std::cmp::Ordering::Equal => Ok(Header {
            body_len: msg.len().saturating_sub(TRAILER_LEN + h.body_start),
            ..h
        }),
    }
}

/// Tag at `p` and the offset of its value (one word for tags of 1..=7 digits).
#[inline(always)]
fn tag_at(msg: &[u8], p: usize) -> Result<(Tag, usize), ParseError> {
    if let Some(w) = swar::load(msg, p) {
        let eq = swar::matches(w, b'=');
        let n = (eq.trailing_zeros() / 8) as usize;
        if let Some(tag) = swar::small_number(w, n) {
            return Ok((tag, p + n + 1));
        }
    }
    let (tag, eq) = parse_tag(msg, p)?;
    Ok((tag, eq + 1))
}

/// `(data tag, length)` announced by the length field `tag` with value
/// `msg[v..soh]`; `(0, 0)` if the value is not a length (the data field is
/// then read up to its SOH and the validator reports the bad length).
#[cold]
#[inline(never)]
fn announce_data(msg: &[u8], tag: Tag, v: usize, soh: usize) -> (Tag, usize) {
    let len = crate::value::parse_u64(msg.get(v..soh).unwrap_or_default())
        .ok()
        .and_then(|n| usize::try_from(n).ok());
    match (data_tag_for(tag), len) {
        (Some(data_tag), Some(len)) => (data_tag, len),
        _ => (0, 0),
    }
}

/// Parse the tag starting at `p`; returns it and the offset of its `=`
/// (the general path: long, negative or malformed tags).
#[cold]
#[inline(never)]
fn parse_tag(msg: &[u8], p: usize) -> Result<(Tag, usize), ParseError> {
    let mut i = p;
    let negative = msg.get(i) == Some(&b'-');
    if negative {
        i += 1;
    }
    let digits_start = i;
    let mut tag: u64 = 0;
    loop {
        let Some(&b) = msg.get(i) else {
            return Err(ParseError::MissingEquals(p));
        };
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            if b != b'=' {
                return Err(if b == SOH {
                    ParseError::MissingEquals(p)
                } else {
                    ParseError::TagNotNumeric(p)
                });
            }
            break;
        }
        tag = tag * 10 + u64::from(d);
        if tag >= u64::from(INVALID_TAG) {
            return Err(ParseError::TagTooLarge(p));
        }
        i += 1;
    }
    if i == digits_start {
        return Err(if negative {
            ParseError::TagNotNumeric(p)
        } else {
            ParseError::EmptyTag(p)
        });
    }
    Ok((if negative { INVALID_TAG } else { tag as Tag }, i))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The index of `msg` from the checked path alone.
    fn checked_only(msg: &[u8]) -> Result<(Vec<Entry>, [u32; HEADER_SLOTS]), ParseError> {
        let mut p = Parser::new();
        let h = check_frame(msg, p.max_len)?;
        p.fields.resize(h.body_len / 3 + 3, Entry::default());
        let n = p.checked(msg, &h)?;
        Ok((p.fields[..n].to_vec(), p.header))
    }

    /// A framed message (valid BodyLength and CheckSum) around `body`.
    fn framed(body: &[u8]) -> Vec<u8> {
        let mut m = format!("8=FIX.4.4\x019={}\x01", body.len()).into_bytes();
        m.extend_from_slice(body);
        let sum = checksum(&m);
        m.extend_from_slice(format!("10={sum:03}\x01").as_bytes());
        m
    }

    /// Field texts that exercise both paths: header tags, long and odd
    /// tags, data fields, SOH and '=' in odd places.
    fn field() -> impl Strategy<Value = Vec<u8>> {
        let tag = prop_oneof![
            60 => (0u32..100_000_000).prop_map(|t| t.to_string()),
            60 => (1u32..200).prop_map(|t| t.to_string()),
            4 => Just("34".to_string()),
            4 => Just("49".to_string()),
            1 => Just("1128".to_string()),
            1 => Just("95".to_string()),
            1 => Just("96".to_string()),
            1 => Just("".to_string()),
            1 => Just("-1".to_string()),
            1 => Just("4a".to_string()),
            1 => Just("0".to_string()),
            1 => (1u32..20).prop_map(|t| "9".repeat(t as usize)),
        ];
        let value = proptest::collection::vec(
            prop_oneof![160 => b'a'..=b'z', 4 => Just(b'='), 1 => Just(SOH), 16 => b'0'..=b'9'],
            0..24,
        );
        // Some values longer than the parse loop's 64-byte blocks.
        let long = proptest::option::weighted(0.1, 40usize..150);
        (tag, proptest::bool::weighted(0.99), value, long).prop_map(|(t, eq, v, long)| {
            let mut f = t.into_bytes();
            if eq {
                f.push(b'=');
            }
            f.extend(v);
            f.extend(std::iter::repeat_n(b'x', long.unwrap_or(0)));
            f.push(SOH);
            f
        })
    }

    proptest! {
        #[test]
        fn fast_and_checked_paths_agree(fields in proptest::collection::vec(field(), 0..40)) {
            let mut body = b"35=D\x01".to_vec();
            for f in &fields {
                body.extend_from_slice(f);
            }
            let msg = framed(&body);
            let want = checked_only(&msg);
            for mut p in [Parser::new(), Parser::new().baseline()] {
                let got = p
                    .parse(&msg)
                    .map(|v| (v.fields_raw().to_vec(), *v.header_raw()));
                prop_assert_eq!(&got, &want);
            }
        }
    }

    /// `parse_next` as the two calls it replaces: `frame`, then
    /// `parse_framed` of a complete frame.
    fn two_calls(buf: &[u8]) -> String {
        let mut p = Parser::new();
        match crate::frame(buf, DEFAULT_MAX_MESSAGE_SIZE) {
            Frame::Complete(len) => match p.parse_framed(&buf[..len]) {
                Ok(v) => format!("msg {len} {:?} {:?}", v.fields_raw(), v.header_raw()),
                Err(e) => format!("invalid {len} {e:?}"),
            },
            other => format!("{other:?}"),
        }
    }

    fn one_call(mut p: Parser, buf: &[u8]) -> String {
        match p.parse_next(buf) {
            Parsed::Message(v) => {
                let len = v.as_bytes().len();
                format!("msg {len} {:?} {:?}", v.fields_raw(), v.header_raw())
            }
            Parsed::Invalid { len, error } => format!("invalid {len} {error:?}"),
            Parsed::NoFrame(f) => {
                assert!(!matches!(f, Frame::Complete(_)), "NoFrame(Complete)");
                format!("{f:?}")
            }
        }
    }

    proptest! {
        #[test]
        fn parse_next_is_frame_then_parse_framed(
            fields in proptest::collection::vec(field(), 0..12),
            cut in 0usize..400,
            flip in proptest::option::of((0usize..400, any::<u8>())),
            garbage in proptest::collection::vec(any::<u8>(), 0..4),
        ) {
            let mut body = b"35=D\x01".to_vec();
            for f in &fields {
                body.extend_from_slice(f);
            }
            // Garbage first, a message (maybe corrupted, maybe cut short), then another.
            let mut buf = garbage;
            buf.extend(framed(&body));
            buf.extend(framed(b"35=0\x01"));
            if let Some((at, b)) = flip {
                let at = at % buf.len();
                buf[at] = b;
            }
            buf.truncate(cut.min(buf.len()));
            let want = two_calls(&buf);
            prop_assert_eq!(one_call(Parser::new(), &buf), want.clone());
            prop_assert_eq!(one_call(Parser::new().baseline(), &buf), want);
        }
    }

    #[test]
    fn parse_next_reports_each_outcome() {
        let msg = framed(b"35=D\x0134=2\x01");
        let mut p = Parser::new();
        let Parsed::Message(v) = p.parse_next(&msg) else {
            panic!("a valid frame")
        };
        assert_eq!((v.as_bytes().len(), v.msg_type()), (msg.len(), &b"D"[..]));
        assert!(matches!(
            p.parse_next(&msg[..msg.len() - 1]),
            Parsed::NoFrame(Frame::Incomplete)
        ));
        let bad_tag = framed(b"35=D\x014a=x\x01");
        assert!(matches!(
            p.parse_next(&bad_tag),
            Parsed::Invalid { len, error: ParseError::TagNotNumeric(_) } if len == bad_tag.len()
        ));
        let mut bad_sum = msg.clone();
        let n = bad_sum.len();
        bad_sum[n - 2] ^= 1;
        assert!(matches!(
            p.parse_next(&bad_sum),
            Parsed::NoFrame(Frame::Garbled { skip, error: FrameError::ChecksumMismatch { .. } }) if skip == n
        ));
    }

    #[test]
    fn the_fast_path_takes_ordinary_messages() {
        // Tags of 1 to 7 digits, header tags repeated, fields across blocks.
        let mut body = b"35=D\x0134=2\x0149=INIT\x0152=20261124-10:00:00.000\x01".to_vec();
        for (i, t) in [1u32, 11, 453, 1128, 9999, 10000, 49, 1234567, 21]
            .iter()
            .enumerate()
        {
            body.extend_from_slice(format!("{t}={}\x01", "v".repeat(i * 3)).as_bytes());
        }
        // Values around and beyond a block's 64 bytes (`58=` and 61 or 125
        // bytes end exactly one or two blocks after the field's start), one
        // holding '='.
        for (t, n) in [
            (58u32, 61usize),
            (58, 63),
            (148, 64),
            (58, 65),
            (58, 125),
            (20000, 150),
        ] {
            body.extend_from_slice(format!("{t}={}\x01", "w".repeat(n)).as_bytes());
        }
        body.extend_from_slice(b"58=a=b==c\x0121=1\x01");
        let msg = framed(&body);
        let h = check_frame(&msg, DEFAULT_MAX_MESSAGE_SIZE).unwrap();
        let mut slots = vec![Entry::default(); h.body_len / 3 + 3];
        let mut header = [0; HEADER_SLOTS];
        let n = fast::index(Base, &msg, &h, &mut slots, &mut header);
        let (fields, want_header) = checked_only(&msg).unwrap();
        assert_eq!(n, Some(fields.len()));
        assert_eq!(&slots[..fields.len()], &fields[..]);
        assert_eq!(header, want_header);
    }

    #[test]
    fn tags() {
        assert_eq!(parse_tag(b"35=D", 0), Ok((35, 2)));
        assert_eq!(parse_tag(b"-1=x", 0), Ok((INVALID_TAG, 2)));
        assert_eq!(parse_tag(b"0=x", 0), Ok((0, 1)));
        assert_eq!(parse_tag(b"=x", 0), Err(ParseError::EmptyTag(0)));
        assert_eq!(parse_tag(b"-=x", 0), Err(ParseError::TagNotNumeric(0)));
        assert_eq!(parse_tag(b"4a=x", 0), Err(ParseError::TagNotNumeric(0)));
        assert_eq!(parse_tag(b"49\x01", 0), Err(ParseError::MissingEquals(0)));
        assert_eq!(parse_tag(b"49", 0), Err(ParseError::MissingEquals(0)));
        assert_eq!(
            parse_tag(b"4294967295=x", 0),
            Err(ParseError::TagTooLarge(0))
        );
        assert_eq!(parse_tag(b"4294967294=x", 0), Ok((4_294_967_294, 10)));
        assert_eq!(
            parse_tag(b"99999999999999999999999=x", 0),
            Err(ParseError::TagTooLarge(0))
        );
    }
}
