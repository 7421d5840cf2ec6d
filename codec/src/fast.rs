//! The parse fast path: indexes a well-formed message with few, always
//! predicted branches and few live values (the loop is bound by the number
//! of instructions per field). Anything unusual (a tag that is not 1..=7
//! digits before `=`, a length-prefixed data field) makes it give up, and
//! the checked path in `parse` indexes the message again and reports the
//! exact error. Both paths produce the same index for every message the
//! fast path accepts (a test compares them).

use crate::frame::Header;
use crate::scan::block_masks;
use crate::simd::Simd;
use crate::swar;
use crate::tags::{
    header_slot, short_tag_class, tag_class, BEGIN_STRING, BODY_LENGTH, CHECK_SUM, CLASS_LEN,
    HEADER_SLOTS,
};
use crate::view::Entry;

/// Index `msg` (one frame whose header is `h`) into `slots` and `header`
/// (zeroed by the caller); the number of entries, or `None` to fall back.
#[inline(always)]
pub(crate) fn index<S: Simd>(
    simd: S,
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
    while field_start < body_end {
        // Each block starts at the first field not yet indexed, so that
        // field's tag and '=' are in the bitmaps, and `field_start` never
        // falls behind `block` (no field crosses into the next block).
        let block = field_start;
        let (mut sohs, eqs) = block_masks(simd, msg, block, body_end);
        if sohs == 0 {
            // A field longer than a block.
            field_start = long_field(msg, field_start, body_end, slots, &mut n, header)?;
            continue;
        }
        while sohs != 0 {
            let soh = block + sohs.trailing_zeros() as usize;
            sohs &= sohs - 1;
            // The tag's length from the '=' bitmap (`field_start - block`
            // is below 64 here); a tag of five digits or more is decoded
            // out of line, which keeps the loop's values in registers.
            let digits = (eqs >> ((field_start - block) & 63)).trailing_zeros() as usize;
            let short = if digits.wrapping_sub(1) < 4 {
                // SAFETY: `field_start <= soh < body_end` (the SOH bits are
                // visited in order and limited to the body), the '=' is at
                // `field_start + digits <= soh` and `field_start` is past
                // the 4-byte minimum `8=X|` header.
                unsafe { short_tag(simd, msg, field_start + digits, digits) }
            } else {
                None
            };
            let (tag, digits, class) = match short {
                // SAFETY: a tag of at most four digits is below 10_000.
                Some(tag) => (tag, digits, unsafe { short_tag_class(tag) }),
                None => {
                    let (tag, digits) = long_tag(msg, field_start)?;
                    (tag, digits, tag_class(tag))
                }
            };
            // SAFETY: checked on entry: each entry takes at least three
            // body bytes (a digit, '=', SOH), so `n` stays below the
            // slots' `body_len / 3 + 3`.
            unsafe {
                record(
                    slots,
                    &mut n,
                    header,
                    tag,
                    field_start + digits + 1,
                    soh,
                    class,
                )
            }?;
            field_start = soh + 1;
        }
    }
    put(slots, &mut n, header, CHECK_SUM, body_end + 3, body_end + 6)?;
    Some(n)
}

/// Keeps the top `n` bytes of a little-endian word (index `n`, 1..=4).
const KEEP_TOP: [u32; 8] = [
    0,
    0xFF00_0000,
    0xFFFF_0000,
    0xFFFF_FF00,
    0xFFFF_FFFF,
    0,
    0,
    0,
];

/// A tag of `n` (1..=4) digits ending just before `eq` (its '='), if they
/// are digits (so it is below 10_000). The four bytes before `eq` are loaded and those before the
/// tag masked off: no shift by a variable amount.
///
/// # Safety
/// `4 <= eq <= msg.len()`.
#[inline(always)]
unsafe fn short_tag<S: Simd>(simd: S, msg: &[u8], eq: usize, n: usize) -> Option<u32> {
    debug_assert!(eq >= 4 && eq <= msg.len() && (1..=4).contains(&n));
    // SAFETY: the caller guarantees the four bytes are in `msg`.
    let w = unsafe { msg.as_ptr().add(eq - 4).cast::<u32>().read_unaligned() };
    // The digits are the top bytes; masked-off bytes read as leading zeros.
    let d = (u32::from_le(w) ^ 0x3030_3030) & KEEP_TOP[n & 7];
    // A byte is a digit iff (byte ^ 0x30) <= 9: +0x76 sets its high bit
    // otherwise (32-bit constants fit in the instructions).
    if (d.wrapping_add(0x7676_7676) | d) & 0x8080_8080 != 0 {
        return None;
    }
    Some(simd.four_digits(d))
}

/// A field with no SOH in the block starting at it (a value longer than a
/// block): its tag from the word at its start, its end by a search.
/// Returns where the next field starts, `None` to fall back.
#[cold]
#[inline(never)]
fn long_field(
    msg: &[u8],
    field_start: usize,
    body_end: usize,
    slots: &mut [Entry],
    n: &mut usize,
    header: &mut [u32; HEADER_SLOTS],
) -> Option<usize> {
    let (tag, digits) = long_tag(msg, field_start)?;
    let soh = field_start + memchr::memchr(crate::SOH, msg.get(field_start..body_end)?)?;
    let class = tag_class(tag);
    push(slots, n, header, tag, field_start + digits + 1, soh, class)?;
    Some(soh + 1)
}

/// [`record`] with its bound checked (outside the loop).
#[inline(always)]
fn push(
    slots: &mut [Entry],
    n: &mut usize,
    header: &mut [u32; HEADER_SLOTS],
    tag: u32,
    value: usize,
    end: usize,
    class: u8,
) -> Option<()> {
    if *n >= slots.len() {
        return None;
    }
    // SAFETY: checked just above.
    unsafe { record(slots, n, header, tag, value, end, class) }
}

/// Appends the entry of a body field; `None` (fall back) for a length
/// field, whose data value may hold SOH.
///
/// # Safety
/// `*n < slots.len()`.
#[inline(always)]
unsafe fn record(
    slots: &mut [Entry],
    n: &mut usize,
    header: &mut [u32; HEADER_SLOTS],
    tag: u32,
    value: usize,
    soh: usize,
    class: u8,
) -> Option<()> {
    if class != 0 {
        if class & CLASS_LEN != 0 {
            return None;
        }
        // The class's low bits are the tag's header slot (first one wins).
        let slot = usize::from(class);
        debug_assert!(slot < HEADER_SLOTS);
        // SAFETY: the class tables hold header slots below HEADER_SLOTS
        // (`tags::small_classes`, `header_slot`; a test checks every tag).
        let s = unsafe { header.get_unchecked_mut(slot) };
        if *s == 0 {
            *s = *n as u32 + 1;
        }
    }
    debug_assert!(*n < slots.len());
    // SAFETY: the caller's guarantee.
    unsafe {
        *slots.get_unchecked_mut(*n) = Entry {
            tag,
            start: value as u32,
            end: soh as u32,
        };
    }
    *n += 1;
    Some(())
}

/// The tag at `at` found without the bitmaps (its field is longer than a
/// block, or it has five to seven digits): `(tag, digits)`, `None` for
/// anything else.
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

/// Append 8, 9 or 10 (header slots, never length fields).
#[inline(always)]
fn put(
    slots: &mut [Entry],
    n: &mut usize,
    header: &mut [u32; HEADER_SLOTS],
    tag: u32,
    start: usize,
    end: usize,
) -> Option<()> {
    push(slots, n, header, tag, start, end, header_slot(tag) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simd::{Avx2, Base};

    /// Every four-byte shape before an '=': digits or not, each `n`.
    #[test]
    fn short_tag_reads_the_digits_before_the_equals_sign() {
        let bytes = [b'0', b'1', b'5', b'9', 0x01, b'/', b':', b'=', 0xB0, b'a'];
        let mut msg = [0u8; 5];
        msg[4] = b'=';
        for a in bytes {
            for b in bytes {
                for c in bytes {
                    for d in bytes {
                        msg[..4].copy_from_slice(&[a, b, c, d]);
                        for n in 1..=4 {
                            let tag = &msg[4 - n..4];
                            let want = tag
                                .iter()
                                .all(u8::is_ascii_digit)
                                .then(|| std::str::from_utf8(tag).ok()?.parse::<u32>().ok())
                                .flatten();
                            // SAFETY: `eq` is 4, `msg` is 5 bytes.
                            let got = unsafe { short_tag(Base, &msg, 4, n) };
                            if let Some(t) = Avx2::detect() {
                                // SAFETY: as above.
                                assert_eq!(unsafe { short_tag(t, &msg, 4, n) }, got);
                            }
                            assert_eq!(got, want, "{:?} n={n}", &msg[..4]);
                            assert!(got.is_none_or(|t| t < 10_000));
                        }
                    }
                }
            }
        }
    }
}
