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

/// Writes an enumerated value: one word store for a one-byte value.
#[inline(always)]
pub fn put_enum(e: &mut Encoder<'_>, tag: Tag, wire: &[u8]) {
    match wire {
        [c] => e.char(tag, *c),
        v => e.bytes(tag, v),
    };
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
/// entries so far, the required fields the open entry has, the first error.
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

    /// Starts the next entry, closing the open one against `required`
    /// (bit `i` of a generated mask is `tags[i]`).
    #[inline(always)]
    pub fn next_entry(&mut self, required: u64, tags: &[Tag]) {
        if self.entries > 0 {
            self.close(required, tags);
        }
        self.entries += 1;
        self.have = 0;
    }

    /// Records that the open entry has the required field of bit `bit`.
    #[inline(always)]
    pub fn mark(&mut self, bit: u64) {
        self.have |= bit;
    }

    #[inline(always)]
    fn close(&mut self, required: u64, tags: &[Tag]) {
        let missing = required & !self.have;
        if missing != 0 && self.error.is_none() {
            self.error = Some(EntryError {
                count_tag: self.count_tag,
                entry: self.entries - 1,
                tag: tags
                    .get(missing.trailing_zeros() as usize)
                    .copied()
                    .unwrap_or(0),
            });
        }
    }

    /// Closes the open entry and writes the number of entries.
    #[inline(always)]
    pub fn finish(
        mut self,
        e: &mut Encoder<'_>,
        required: u64,
        tags: &[Tag],
    ) -> Result<(), EntryError> {
        if self.entries > 0 {
            self.close(required, tags);
        }
        e.group_count_finish(self.slot, self.entries);
        match self.error {
            None => Ok(()),
            Some(err) => Err(err),
        }
    }
}
