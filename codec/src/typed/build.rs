//! Writing side of generated messages: where builders write, the typestate
//! markers, repeating groups whose NumInGroup is the number of entries
//! added, and the escape hatch for fields the dictionary does not name.

use crate::encode::GroupCount;
use crate::{Encoder, Tag, TimePrecision, UtcTimestamp};

/// Implemented by generated builders and group entries: the encoder their
/// fields go to.
pub trait Sink<'b> {
    /// The encoder, positioned where the next field goes.
    fn sink(&mut self) -> &mut Encoder<'b>;
}

/// Typestate: a required field is set.
#[derive(Debug, Clone, Copy)]
pub struct Set;

/// Typestate: a required field is not set yet.
#[derive(Debug, Clone, Copy)]
pub struct Unset;

/// Fields the dictionary does not name, on any builder or group entry.
pub trait Extra<'b>: Sink<'b> + Sized {
    /// Appends `tag=value` (the caller guarantees no SOH in `value`).
    #[inline(always)]
    fn extra_field(mut self, tag: Tag, value: impl AsRef<[u8]>) -> Self {
        self.sink().bytes(tag, value.as_ref());
        self
    }

    /// Writes through the encoder directly (any typed writer).
    #[inline(always)]
    fn encode_with(mut self, f: impl FnOnce(&mut Encoder<'b>)) -> Self {
        f(self.sink());
        self
    }
}

impl<'b, T: Sink<'b>> Extra<'b> for T {}

/// A timestamp and the precision to write it at; a bare `UtcTimestamp`
/// is written to the millisecond.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// The time.
    pub time: UtcTimestamp,
    /// Digits of the fraction.
    pub precision: TimePrecision,
}

impl From<UtcTimestamp> for Stamp {
    #[inline(always)]
    fn from(time: UtcTimestamp) -> Self {
        Stamp {
            time,
            precision: TimePrecision::Millis,
        }
    }
}

impl From<(UtcTimestamp, TimePrecision)> for Stamp {
    #[inline(always)]
    fn from((time, precision): (UtcTimestamp, TimePrecision)) -> Self {
        Stamp { time, precision }
    }
}

/// Field writers of generated setters: inlined everywhere in release
/// builds; in debug builds one out-of-line copy each, so thousands of
/// setters do not each carry the encoder's inlined code.
macro_rules! writer {
    ($(#[$doc:meta] $name:ident($($arg:ident: $ty:ty),*) => $body:expr;)*) => {$(
        #[$doc]
        #[cfg_attr(debug_assertions, inline)]
        #[cfg_attr(not(debug_assertions), inline(always))]
        pub fn $name(e: &mut Encoder<'_>, tag: Tag, $($arg: $ty),*) {
            $body(e, tag);
        }
    )*};
}

writer! {
    /// Text or any bytes without SOH.
    put_bytes(v: &[u8]) => |e: &mut Encoder<'_>, tag| { e.bytes(tag, v); };
    /// One byte.
    put_char(v: u8) => |e: &mut Encoder<'_>, tag| { e.char(tag, v); };
    /// A signed integer.
    put_int(v: i64) => |e: &mut Encoder<'_>, tag| { e.int(tag, v); };
    /// An unsigned integer.
    put_uint(v: u64) => |e: &mut Encoder<'_>, tag| { e.uint(tag, v); };
    /// A decimal.
    put_decimal(v: crate::Decimal) => |e: &mut Encoder<'_>, tag| { e.decimal(tag, v); };
    /// `Y` or `N`.
    put_bool(v: bool) => |e: &mut Encoder<'_>, tag| { e.bool(tag, v); };
    /// A timestamp at its precision.
    put_stamp(v: Stamp) => |e: &mut Encoder<'_>, tag| { stamp_cached(e, tag, v); };
    /// DATA and its length field (`len_tag`) before it.
    put_data(len_tag: Tag, v: &[u8]) => |e: &mut Encoder<'_>, tag| { e.data(len_tag, tag, v); };
    /// An enumerated value: one word store for a one-byte value.
    put_enum(wire: &[u8]) => |e: &mut Encoder<'_>, tag| {
        match wire {
            [c] => e.char(tag, *c),
            v => e.bytes(tag, v),
        };
    };
}

/// A timestamp through this thread's formatter, which keeps the formatted
/// date and second (a report's TransactTime is mostly the same second as
/// the last one): the cost of a session's cached SendingTime.
#[inline(never)]
fn stamp_cached(e: &mut Encoder<'_>, tag: Tag, v: Stamp) {
    thread_local! {
        static FORMATTER: std::cell::RefCell<crate::TimestampFormatter> =
            const { std::cell::RefCell::new(crate::TimestampFormatter::new()) };
    }
    FORMATTER.with(|f| match f.try_borrow_mut() {
        Ok(mut f) => {
            e.timestamp_cached(tag, v.time, v.precision, &mut f);
        }
        Err(_) => {
            e.timestamp(tag, v.time, v.precision);
        }
    });
}

/// Space-separated enumerated values.
#[inline]
pub fn put_values<'a, E: crate::typed::Enumerated<'a>>(
    e: &mut Encoder<'_>,
    tag: Tag,
    values: &[E],
) {
    e.values(tag, values.iter().map(|v| v.as_bytes()));
}

/// A group entry closed without one of its required fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("group {count_tag}: entry {entry} has no required field {tag}")]
pub struct EntryError {
    /// The group's NumInGroup tag.
    pub count_tag: Tag,
    /// The entry (0 is the first).
    pub entry: u32,
    /// The first required tag missing.
    pub tag: Tag,
}

/// The state of a group being written: where its NumInGroup goes, the
/// entries so far, the required fields the open entry has, the first error
/// (of its entries or of groups nested in them).
#[derive(Debug, Clone, Copy)]
pub struct GroupState {
    count_tag: Tag,
    slot: GroupCount,
    entries: u32,
    have: u64,
    error: Option<EntryError>,
}

impl GroupState {
    /// Writes `count_tag=` with a placeholder count.
    #[inline(always)]
    pub fn start(e: &mut Encoder<'_>, count_tag: Tag) -> Self {
        GroupState {
            count_tag,
            slot: e.group_count_start(count_tag),
            entries: 0,
            have: 0,
            error: None,
        }
    }

    /// Opens the next entry.
    #[inline(always)]
    pub fn open(&mut self) {
        self.entries += 1;
        self.have = 0;
    }

    /// Records that the open entry has the required field of bit `bit`.
    #[inline(always)]
    pub fn mark(&mut self, bit: u64) {
        self.have |= bit;
    }

    /// Closes the open entry against `required` (bit `i` of a generated
    /// mask is `tags[i]`).
    #[inline(always)]
    pub fn close(&mut self, required: u64, tags: &[Tag]) {
        let missing = required & !self.have;
        if missing != 0 {
            self.record(EntryError {
                count_tag: self.count_tag,
                entry: self.entries.saturating_sub(1),
                tag: tags
                    .get(missing.trailing_zeros() as usize)
                    .copied()
                    .unwrap_or(0),
            });
        }
    }

    /// Keeps the first error (a nested group's, or an entry's).
    #[cold]
    pub fn record(&mut self, error: EntryError) {
        if self.error.is_none() {
            self.error = Some(error);
        }
    }

    /// Writes the number of entries; the first error, if any.
    #[inline(always)]
    pub fn finish(self, e: &mut Encoder<'_>) -> Result<(), EntryError> {
        e.group_count_finish(self.slot, self.entries);
        match self.error {
            None => Ok(()),
            Some(err) => Err(err),
        }
    }
}
