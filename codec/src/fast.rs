//! The parse fast path: indexes a well-formed message with few, always
//! predicted branches and few live values (the loop is bound by the number
//! of instructions per field). Anything unusual (a tag that is not 1..=7
//! digits before `=`, a length-prefixed data field) makes it give up, and
//! the checked path in `parse` indexes the message again and reports the
//! exact error. Both paths produce the same index for every message the
//! fast path accepts (a test compares them).

use crate::frame::Header;
use crate::scan::block_masks;
use crate::swar;
use crate::tags::{
    header_slot, short_tag_class, tag_class, BEGIN_STRING, BODY_LENGTH, CHECK_SUM, CLASS_LEN,
    HEADER_SLOTS,
};
use crate::view::Entry;

/// Index `msg` (one frame whose header is `h`) into `slots` and `header`
/// (zeroed by the caller); the number of entries, or `None` to fall back.
#[inline(always)]
pub(crate) fn index(
    msg: &[u8],
    h: &Header,
    slots: &mut [Entry],
    header: &mut [u32; HEADER_SLOTS],
) -> Option<usize> {
    let body_end = h.body_end();
    let mut n = 0;
    put(slots, &mut n, header, BEGIN_STRING, 2, h.begin_string_end)?;
    put(
        slots,
        &mut n,
        header,
        BODY_LENGTH,
        h.body_length_start,
        h.body_start - 1,
    )?;
    // The trailer follows the body: every tag load below stays in `msg`.
    if msg.len() < body_end + 7 || slots.len() < h.body_len / 3 + 3 {
        return None;
    }
    let mut field_start = h.body_start;
    let mut block = h.body_start;
    while block < body_end {
        let (mut sohs, eqs) = block_masks(msg, block, body_end);
        while sohs != 0 {
            let soh = block + sohs.trailing_zeros() as usize;
            sohs &= sohs - 1;
            // The tag's length from the '=' bitmap when the field starts in
            // this block and its '=' is in it too; else (a field across
            // blocks, or a long tag) out of line, which keeps the loop's
            // values in registers.
            let after = match field_start.checked_sub(block) {
                Some(r) => eqs >> (r & 63),
                None => 0,
            };
            let digits = after.trailing_zeros() as usize;
            let short = if digits.wrapping_sub(1) < 4 {
                // SAFETY: `field_start <= soh < body_end` (the SOH bits are
                // visited in order and limited to the body) and the body is
                // followed by the 7-byte trailer (checked above).
                unsafe { short_tag(msg, field_start, digits) }
            } else {
                None
            };
            let (tag, digits, class) = match short {
                Some(tag) => (tag, digits, short_tag_class(tag)),
                None => {
                    let (tag, digits) = long_tag(msg, field_start)?;
                    (tag, digits, tag_class(tag))
                }
            };
            let value = field_start + digits + 1;
            let entry = Entry {
                tag,
                start: value as u32,
                end: soh as u32,
            };
            if class != 0 {
                if class & CLASS_LEN != 0 {
                    // The next value may hold SOH: the checked path handles it.
                    return None;
                }
                // The class's low bits are the tag's header slot.
                claim(header, usize::from(class), n);
            }
            debug_assert!(n < slots.len());
            // SAFETY: checked on entry: each entry written here takes at
            // least three body bytes.
            unsafe { *slots.get_unchecked_mut(n) = entry };
            n += 1;
            field_start = soh + 1;
        }
        // The next block starts at the first field not yet indexed, so its
        // tag and '=' are in the bitmaps (a field across two blocks would
        // need the slow tag path); a value longer than a block moves on by
        // a whole block.
        block = if field_start > block {
            field_start
        } else {
            block + 64
        };
    }
    put(slots, &mut n, header, CHECK_SUM, body_end + 3, body_end + 6)?;
    Some(n)
}

/// A tag of `n` (1..=4) digits at `at`, if they are digits.
///
/// # Safety
/// `at + 4 <= msg.len()`.
#[inline(always)]
unsafe fn short_tag(msg: &[u8], at: usize, n: usize) -> Option<u32> {
    debug_assert!(at + 4 <= msg.len());
    // SAFETY: the caller guarantees the four bytes are in `msg`.
    let w = unsafe { msg.as_ptr().add(at).cast::<u32>().read_unaligned() };
    // Little-endian: shifting left by the bytes that are not digits drops
    // them and moves the digits to the top (zero bytes are leading zeros).
    let d = u32::from_le(w) ^ 0x3030_3030;
    let d = d << ((32 - n * 8) & 31);
    // A byte is a digit iff (byte ^ 0x30) <= 9: +0x76 sets its high bit
    // otherwise (32-bit constants fit in the instructions).
    if (d.wrapping_add(0x7676_7676) | d) & 0x8080_8080 != 0 {
        return None;
    }
    let v = (d.wrapping_mul(10 << 8 | 1) >> 8) & 0x00FF_00FF;
    Some(v.wrapping_mul(100 << 16 | 1) >> 16)
}

/// The tag at `at` found without the bitmaps (it crosses a block, or has
/// five to seven digits): `(tag, digits)`, `None` for anything else.
#[cold]
#[inline(never)]
fn long_tag(msg: &[u8], at: usize) -> Option<(u32, usize)> {
    let w = swar::load(msg, at)?;
    let n = (swar::matches(w, b'=').trailing_zeros() / 8) as usize;
    match swar::tag_digits(w, n) {
        (tag, 0) => Some((tag, n)),
        _ => None,
    }
}

/// Record position `n` in header slot `slot` unless it is taken (the first
/// occurrence of a header tag wins).
#[inline(always)]
fn claim(header: &mut [u32; HEADER_SLOTS], slot: usize, n: usize) {
    if let Some(s) = header.get_mut(slot) {
        if *s == 0 {
            *s = n as u32 + 1;
        }
    }
}

/// Append a field that may be in the header index.
#[inline(always)]
fn put(
    slots: &mut [Entry],
    n: &mut usize,
    header: &mut [u32; HEADER_SLOTS],
    tag: u32,
    start: usize,
    end: usize,
) -> Option<()> {
    claim(header, header_slot(tag), *n);
    *slots.get_mut(*n)? = Entry {
        tag,
        start: start as u32,
        end: end as u32,
    };
    *n += 1;
    Some(())
}
