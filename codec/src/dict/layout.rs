//! The fast path's view of a dictionary: one word per tag (dense index,
//! FLAG_* bits, value class, byte set of a one-byte enumeration) and, per
//! message, two bits per field (allowed, required). Built once at load.

use super::model::{static_flags, FieldDef, Section, NO_DENSE_INDEX};
use super::types::FieldType;

/// One entry of [`Dictionary::tag_info`]: everything the fast path needs of
/// a tag in one word (dense index, FLAG_* bits, value class, byte set).
#[inline(always)]
pub(crate) fn dense_of(info: u64) -> usize {
    (info & 0xFFFF) as usize
}
#[inline(always)]
pub(crate) fn flags_of(info: u64) -> u8 {
    (info >> 16) as u8
}
#[inline(always)]
pub(crate) fn class_of(info: u64) -> u8 {
    (info >> 24) as u8
}
#[inline(always)]
pub(crate) fn set_of(info: u64) -> usize {
    ((info >> 32) & 0xFFFF) as usize
}
/// `dense_of` of a tag the dictionary does not declare.
pub(crate) const UNKNOWN: usize = 0xFFFF;
/// Flag bit of a tag the dictionary does not declare.
pub(crate) const FLAG_UNKNOWN: u8 = 8;
/// The info word of a tag past the table.
pub(crate) const UNKNOWN_INFO: u64 = UNKNOWN as u64 | (FLAG_UNKNOWN as u64) << 16;

/// [`MessageDef::presence`] of a message section: bit 2i set when the
/// field of dense index i is allowed, bit 2i+1 when it is required.
pub(crate) fn presence(section: &Section, tag_index: &[u16]) -> Box<[u64]> {
    let fields = section.bits.len() * 64;
    let mut out = vec![0u64; (2 * fields).div_ceil(64)];
    for i in (0..fields).filter(|&i| super::model::bit(&section.bits, i)) {
        super::model::set_bit(&mut out, 2 * i);
    }
    for &t in section.required.iter() {
        let dense = tag_index.get(t as usize).copied();
        if let Some(d) = dense.filter(|&d| d != NO_DENSE_INDEX) {
            super::model::set_bit(&mut out, 2 * usize::from(d) + 1);
        }
    }
    out.into()
}

/// Value classes: nothing to check; one byte of a set; one byte; `-?[0-9]+`;
/// a decimal; a UTCTimestamp; the field definition's own checks.
pub(crate) const NONE: u8 = 0;
pub(crate) const CHAR_SET: u8 = 1;
pub(crate) const CHAR1: u8 = 2;
pub(crate) const INT: u8 = 3;
pub(crate) const DECIMAL: u8 = 4;
pub(crate) const TIMESTAMP: u8 = 5;
pub(crate) const GENERAL: u8 = 6;
/// MsgType (35): whether its enumeration lists the message's type is known
/// once per message.
pub(crate) const MSG_TYPE: u8 = 7;

/// The fast path's table of a dictionary, by tag up to its largest
/// (`fields` sorted by tag, `flags` by dense index, `tag_index` as the
/// dictionary's), and the byte sets of one-byte enumerations.
pub(crate) fn layout(
    fields: &[FieldDef],
    flags: &[u8],
    tag_index: &[u16],
) -> (Box<[u64]>, Box<[[u64; 2]]>) {
    let mut sets: Vec<[u64; 2]> = Vec::new();
    let info = tag_index
        .iter()
        .enumerate()
        .map(|(tag, &i)| {
            let dense = usize::from(i);
            match (fields.get(dense), flags.get(dense)) {
                (Some(f), Some(&fl)) if i != NO_DENSE_INDEX => {
                    let (class, set) = classify(f, &mut sets);
                    u64::from(i)
                        | u64::from(fl) << 16
                        | u64::from(class) << 24
                        | u64::from(set) << 32
                }
                _ => UNKNOWN_INFO | u64::from(static_flags(tag as i64)) << 16,
            }
        })
        .collect();
    (info, sets.into())
}

fn classify(f: &FieldDef, sets: &mut Vec<[u64; 2]>) -> (u8, u16) {
    use FieldType::*;
    let t = f.field_type;
    if f.tag == 35 && t == String {
        return (MSG_TYPE, 0);
    }
    if f.has_values() {
        // A one-byte enumeration whose bytes the type accepts anyway.
        let yes_no = |m: &[u64; 2]| (0..128u8).all(|b| !in_set(m, b) || b == b'Y' || b == b'N');
        let set = match (f.char_mask, t) {
            (Some(m), Char | String) => Some(m),
            (Some(m), Boolean) if yes_no(&m) => Some(m),
            _ => None,
        };
        let index = set.and_then(|m| {
            let i = sets.iter().position(|s| *s == m).unwrap_or(sets.len());
            let i = u16::try_from(i).ok()?;
            if usize::from(i) == sets.len() {
                sets.push(m);
            }
            Some(i)
        });
        return match index {
            Some(i) => (CHAR_SET, i),
            None => (GENERAL, 0),
        };
    }
    let class = match t {
        Char => CHAR1,
        Int | DayOfMonth | NumInGroup | SeqNum | Length => INT,
        Price | Amt | Qty | Float | PriceOffset | Percentage => DECIMAL,
        UtcTimestamp => TIMESTAMP,
        String | Currency | MultipleValueString | MultipleStringValue | MultipleCharValue
        | Exchange | Data | Country | TzTimeOnly | TzTimestamp | XmlData | Language | Unknown => {
            NONE
        }
        // Boolean, dates and times, and the types `strict_date_formats` checks.
        _ => GENERAL,
    };
    (class, 0)
}

#[inline(always)]
pub(crate) fn in_set(m: &[u64; 2], b: u8) -> bool {
    b < 128 && m[usize::from(b >> 6)] & (1u64 << (b & 63)) != 0
}
