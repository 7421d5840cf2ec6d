//! `MessageView`: a parsed message borrowing its bytes and the parser's index.

use crate::decimal::Decimal;
use crate::error::{FieldError, ValueError};
use crate::tags::{self, header_slot, HEADER_SLOTS};
use crate::time::UtcTimestamp;
use crate::value::{parse_bool, parse_char, parse_i64, parse_u64};
use crate::Tag;

/// One field in the index: tag and value byte range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Entry {
    pub tag: Tag,
    pub start: u32,
    pub end: u32,
}

/// One field of a message, in wire order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    /// The tag ([`crate::INVALID_TAG`] for a negative tag text).
    pub tag: Tag,
    /// The raw value (may contain SOH for a length-prefixed data field).
    pub value: &'a [u8],
    /// Position among the message's fields (0 is BeginString).
    pub position: usize,
    /// Byte offset of the value in the message.
    pub offset: usize,
}

/// A parsed message: the bytes plus the index, both borrowed.
#[derive(Debug, Clone, Copy)]
pub struct MessageView<'a> {
    buf: &'a [u8],
    fields: &'a [Entry],
    header: &'a [u32; HEADER_SLOTS],
}

impl<'a> MessageView<'a> {
    pub(crate) fn new(buf: &'a [u8], fields: &'a [Entry], header: &'a [u32; HEADER_SLOTS]) -> Self {
        MessageView {
            buf,
            fields,
            header,
        }
    }

    /// The index entries (for tests comparing the parse paths).
    #[cfg(test)]
    pub(crate) fn fields_raw(&self) -> &'a [Entry] {
        self.fields
    }

    /// The header index (for tests comparing the parse paths).
    #[cfg(test)]
    pub(crate) fn header_raw(&self) -> &'a [u32; HEADER_SLOTS] {
        self.header
    }

    /// The bytes and the index (the validator walks them directly).
    #[inline]
    pub(crate) fn entries(&self) -> (&'a [u8], &'a [Entry]) {
        (self.buf, self.fields)
    }

    /// The whole message, `8=` to the CheckSum's SOH.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.buf
    }

    /// Number of fields, including 8, 9 and 10.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Always false: a parsed message has at least 8, 9, 35 and 10.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    #[inline]
    fn value_of(&self, e: &Entry) -> &'a [u8] {
        self.buf
            .get(e.start as usize..e.end as usize)
            .unwrap_or_default()
    }

    /// The field at `position` (wire order).
    #[inline]
    pub fn field(&self, position: usize) -> Option<Field<'a>> {
        let e = self.fields.get(position)?;
        Some(Field {
            tag: e.tag,
            value: self.value_of(e),
            position,
            offset: e.start as usize,
        })
    }

    /// The raw tag text of the field at `position` (e.g. `-1`).
    pub fn tag_text(&self, position: usize) -> Option<&'a [u8]> {
        let e = self.fields.get(position)?;
        let start = match position.checked_sub(1) {
            Some(prev) => self.fields.get(prev)?.end as usize + 1,
            None => 0,
        };
        self.buf.get(start..(e.start as usize).checked_sub(1)?)
    }

    /// All fields in wire order (duplicates included).
    pub fn fields(&self) -> Fields<'a> {
        Fields {
            view: *self,
            next: 0,
            end: self.fields.len(),
        }
    }

    /// Fields at positions `start..end` (clamped).
    pub fn fields_in(&self, start: usize, end: usize) -> Fields<'a> {
        let end = end.min(self.fields.len());
        Fields {
            view: *self,
            next: start.min(end),
            end,
        }
    }

    /// Position of the first field with `tag`.
    #[inline]
    pub fn position(&self, tag: Tag) -> Option<usize> {
        let slot = header_slot(tag);
        if slot != 0 {
            let idx = *self.header.get(slot)?;
            return idx.checked_sub(1).map(|i| i as usize);
        }
        self.fields.iter().position(|e| e.tag == tag)
    }

    /// Position of the first field with `tag` at or after `from`.
    pub fn position_from(&self, tag: Tag, from: usize) -> Option<usize> {
        self.fields
            .get(from..)?
            .iter()
            .position(|e| e.tag == tag)
            .map(|i| from + i)
    }

    /// Value of the first field with `tag`.
    #[inline]
    pub fn get(&self, tag: Tag) -> Option<&'a [u8]> {
        let e = self.fields.get(self.position(tag)?)?;
        Some(self.value_of(e))
    }

    /// Values of every field with `tag`, in wire order.
    pub fn get_all(&self, tag: Tag) -> impl Iterator<Item = &'a [u8]> + 'a {
        let view = *self;
        self.fields
            .iter()
            .filter(move |e| e.tag == tag)
            .map(move |e| view.value_of(e))
    }

    /// Whether `tag` is present.
    pub fn contains(&self, tag: Tag) -> bool {
        self.position(tag).is_some()
    }

    fn typed<T>(
        &self,
        tag: Tag,
        f: impl FnOnce(&[u8]) -> Result<T, ValueError>,
    ) -> Result<T, FieldError> {
        let v = self.get(tag).ok_or(FieldError::Missing(tag))?;
        f(v).map_err(|error| FieldError::Invalid { tag, error })
    }

    /// Signed integer value of `tag`.
    pub fn get_int(&self, tag: Tag) -> Result<i64, FieldError> {
        self.typed(tag, parse_i64)
    }
    /// Unsigned integer value of `tag` (SeqNum, Length, NumInGroup...).
    pub fn get_u64(&self, tag: Tag) -> Result<u64, FieldError> {
        self.typed(tag, parse_u64)
    }
    /// Single-character value of `tag`.
    pub fn get_char(&self, tag: Tag) -> Result<u8, FieldError> {
        self.typed(tag, parse_char)
    }
    /// Boolean (`Y`/`N`) value of `tag`.
    pub fn get_bool(&self, tag: Tag) -> Result<bool, FieldError> {
        self.typed(tag, parse_bool)
    }
    /// Decimal value of `tag` (no floating point).
    pub fn get_decimal(&self, tag: Tag) -> Result<Decimal, FieldError> {
        self.typed(tag, Decimal::parse)
    }
    /// UTCTimestamp value of `tag` (s, ms, µs or ns precision).
    pub fn get_timestamp(&self, tag: Tag) -> Result<UtcTimestamp, FieldError> {
        self.typed(tag, UtcTimestamp::parse)
    }
    /// UTF-8 text value of `tag` (validates; not for the hot path).
    pub fn get_str(&self, tag: Tag) -> Result<&'a str, FieldError> {
        let v = self.get(tag).ok_or(FieldError::Missing(tag))?;
        std::str::from_utf8(v).map_err(|_| FieldError::Invalid {
            tag,
            error: ValueError::Format,
        })
    }

    /// BeginString (8).
    pub fn begin_string(&self) -> &'a [u8] {
        self.get(tags::BEGIN_STRING).unwrap_or_default()
    }
    /// BodyLength (9) as written.
    pub fn body_length(&self) -> Result<u64, FieldError> {
        self.get_u64(tags::BODY_LENGTH)
    }
    /// MsgType (35).
    pub fn msg_type(&self) -> &'a [u8] {
        self.get(tags::MSG_TYPE).unwrap_or_default()
    }
    /// MsgSeqNum (34).
    pub fn msg_seq_num(&self) -> Result<u64, FieldError> {
        self.get_u64(tags::MSG_SEQ_NUM)
    }
    /// SenderCompID (49).
    pub fn sender_comp_id(&self) -> Option<&'a [u8]> {
        self.get(tags::SENDER_COMP_ID)
    }
    /// TargetCompID (56).
    pub fn target_comp_id(&self) -> Option<&'a [u8]> {
        self.get(tags::TARGET_COMP_ID)
    }
    /// SenderSubID (50).
    pub fn sender_sub_id(&self) -> Option<&'a [u8]> {
        self.get(tags::SENDER_SUB_ID)
    }
    /// TargetSubID (57).
    pub fn target_sub_id(&self) -> Option<&'a [u8]> {
        self.get(tags::TARGET_SUB_ID)
    }
    /// OnBehalfOfCompID (115).
    pub fn on_behalf_of_comp_id(&self) -> Option<&'a [u8]> {
        self.get(tags::ON_BEHALF_OF_COMP_ID)
    }
    /// DeliverToCompID (128).
    pub fn deliver_to_comp_id(&self) -> Option<&'a [u8]> {
        self.get(tags::DELIVER_TO_COMP_ID)
    }
    /// SendingTime (52).
    pub fn sending_time(&self) -> Result<UtcTimestamp, FieldError> {
        self.get_timestamp(tags::SENDING_TIME)
    }
    /// OrigSendingTime (122).
    pub fn orig_sending_time(&self) -> Result<UtcTimestamp, FieldError> {
        self.get_timestamp(tags::ORIG_SENDING_TIME)
    }
    /// PossDupFlag (43); `Missing` when absent.
    pub fn poss_dup(&self) -> Result<bool, FieldError> {
        self.get_bool(tags::POSS_DUP_FLAG)
    }
    /// PossResend (97); `Missing` when absent.
    pub fn poss_resend(&self) -> Result<bool, FieldError> {
        self.get_bool(tags::POSS_RESEND)
    }
    /// ApplVerID (1128).
    pub fn appl_ver_id(&self) -> Option<&'a [u8]> {
        self.get(tags::APPL_VER_ID)
    }
    /// CstmApplVerID (1129).
    pub fn cstm_appl_ver_id(&self) -> Option<&'a [u8]> {
        self.get(tags::CSTM_APPL_VER_ID)
    }
    /// ApplExtID (1156).
    pub fn appl_ext_id(&self) -> Result<u64, FieldError> {
        self.get_u64(tags::APPL_EXT_ID)
    }
    /// CheckSum (10) as written.
    pub fn check_sum(&self) -> &'a [u8] {
        self.get(tags::CHECK_SUM).unwrap_or_default()
    }
}

/// Iterator over a view's fields in wire order.
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    view: MessageView<'a>,
    next: usize,
    end: usize,
}

impl<'a> Iterator for Fields<'a> {
    type Item = Field<'a>;

    #[inline]
    fn next(&mut self) -> Option<Field<'a>> {
        if self.next >= self.end {
            return None;
        }
        let f = self.view.field(self.next)?;
        self.next += 1;
        Some(f)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.end.saturating_sub(self.next);
        (n, Some(n))
    }
}

impl ExactSizeIterator for Fields<'_> {}
