//! Bitmaps of the SOH and `=` bytes of 64-byte blocks: the parse loop walks
//! the SOH bits, so finding the next field's end never waits on the current
//! field's tag, and reads each tag's length off the `=` bits.

use crate::simd::{Base, Simd};
use crate::swar;
use crate::SOH;

/// Bit `i` set when `bytes[i]` is SOH, for `i` below 64 and the whole
/// 16-byte chunks of `bytes`.
#[inline(always)]
pub(crate) fn soh_mask(bytes: &[u8]) -> u64 {
    masks(bytes).0
}

/// Bitmaps `(SOH, '=')` of `msg[block..block + 64]`, limited to `end`.
#[inline(always)]
pub(crate) fn block_masks<S: Simd>(simd: S, msg: &[u8], block: usize, end: usize) -> (u64, u64) {
    let (s, e) = match msg.get(block..block + 64) {
        Some(chunk) => simd.masks64(chunk),
        // Near the end of a message of 64 bytes or more: the last 64 bytes,
        // shifted (block - from < 64 as block < len), without a call.
        None if msg.len() >= 64 && block < msg.len() => {
            let from = msg.len() - 64;
            let (s, e) = simd.masks64(msg.get(from..).unwrap_or_default());
            (s >> (block - from), e >> (block - from))
        }
        None => masks_tail(msg, block),
    };
    let keep = end.saturating_sub(block);
    if keep >= 64 {
        (s, e)
    } else {
        let m = (1u64 << keep) - 1;
        (s & m, e & m)
    }
}

/// Bitmap of the SOH bytes in `msg[block..block + 64]`, limited to `end`.
#[inline(always)]
pub(crate) fn soh_bitmap(msg: &[u8], block: usize, end: usize) -> u64 {
    block_masks(Base, msg, block, end).0
}

/// [`masks`] of `msg[block..]` for a message shorter than 64 bytes (longer
/// ones are read inline by [`block_masks`]): re-reads bytes before `block`
/// and shifts them out rather than copying the tail into a buffer (the
/// copy's narrow stores would stall the wide loads).
#[inline(never)]
fn masks_tail(msg: &[u8], block: usize) -> (u64, u64) {
    let len = msg.len();
    if block >= len {
        return (0, 0);
    }
    if len < 16 {
        let (mut s, mut e) = (0u64, 0u64);
        for (i, &b) in msg.get(block..).unwrap_or_default().iter().enumerate() {
            s |= u64::from(b == SOH) << (i & 63);
            e |= u64::from(b == b'=') << (i & 63);
        }
        return (s, e);
    }
    // A short message: 16-byte chunks, the last one re-reading bytes.
    let (mut s, mut e) = (0u64, 0u64);
    let mut at = block;
    while at < len {
        let from = at.min(len - 16);
        let (cs, ce) = masks(msg.get(from..from + 16).unwrap_or_default());
        let drop = at - from;
        s |= (cs >> drop) << (at - block);
        e |= (ce >> drop) << (at - block);
        at += 16;
    }
    (s, e)
}

/// Bit `i` of each mask set when `bytes[i]` (i < 64) is SOH, resp. `=`,
/// for the whole 16-byte chunks of `bytes`: SSE2 (x86-64 baseline).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
pub(crate) fn masks(bytes: &[u8]) -> (u64, u64) {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    let (mut s, mut e) = (0u64, 0u64);
    for (i, c) in bytes.chunks_exact(16).take(4).enumerate() {
        // SAFETY: `c` is exactly 16 readable bytes (unaligned load is
        // allowed); the intrinsics need only SSE2, which this cfg guarantees.
        let (sb, eb) = unsafe {
            let v = _mm_loadu_si128(c.as_ptr().cast::<__m128i>());
            (
                _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(SOH as i8))),
                _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'=' as i8))),
            )
        };
        s |= u64::from(sb as u16) << (16 * i);
        e |= u64::from(eb as u16) << (16 * i);
    }
    (s, e)
}

/// Bit `i` of each mask set when `bytes[i]` (i < 64) is SOH, resp. `=`:
/// portable fallback.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
pub(crate) fn masks(bytes: &[u8]) -> (u64, u64) {
    (byte_mask_swar(bytes, SOH), byte_mask_swar(bytes, b'='))
}

/// Bit `i` set when `bytes[i]` (i < 64) is `b`: exact SWAR compares.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), allow(dead_code))]
#[inline(always)]
fn byte_mask_swar(bytes: &[u8], b: u8) -> u64 {
    let mut m = 0u64;
    for i in 0..8 {
        let Some(w) = swar::load(bytes, i * 8) else {
            break;
        };
        let x = w ^ (swar::ONES * u64::from(b));
        // High bit of each byte set iff the byte is zero (no cross-byte carry).
        let zero =
            !(((x & 0x7F7F_7F7F_7F7F_7F7F) + 0x7F7F_7F7F_7F7F_7F7F) | x) & 0x8080_8080_8080_8080;
        m |= ((zero >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56) << (8 * i);
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plain(bytes: &[u8], b: u8) -> u64 {
        bytes
            .iter()
            .take(64)
            .enumerate()
            .fold(0u64, |m, (i, &x)| m | u64::from(x == b) << i)
    }

    #[test]
    fn block_masks_mark_every_soh_and_equals_up_to_end() {
        let mut msg = vec![b'a'; 100];
        for i in [0usize, 5, 63, 64, 70, 99] {
            msg[i] = SOH;
        }
        for i in [1usize, 62, 65, 98] {
            msg[i] = b'=';
        }
        assert_eq!(soh_bitmap(&msg, 0, 100), 1 | 1 << 5 | 1 << 63);
        assert_eq!(soh_bitmap(&msg, 64, 100), 1 | 1 << 6 | 1 << 35);
        assert_eq!(soh_bitmap(&msg, 64, 99), 1 | 1 << 6);
        assert_eq!(soh_bitmap(&msg, 5, 64), 1 | 1 << 58);
        assert_eq!(soh_bitmap(&msg, 100, 100), 0);
        assert_eq!(block_masks(Base, &msg, 0, 100).1, 1 << 1 | 1 << 62);
        assert_eq!(block_masks(Base, &msg, 64, 100).1, 1 << 1 | 1 << 34);
        assert_eq!(block_masks(Base, &msg, 64, 98).1, 1 << 1);
        // Short messages take the byte loop.
        for len in [10usize, 16, 17, 40, 63] {
            let short = &msg[..len];
            for block in [0usize, 3, 9, 16, 39, 40, 62, 63] {
                let want = |b| plain(&short[block.min(len)..], b);
                assert_eq!(
                    block_masks(Base, short, block, len),
                    (want(SOH), want(b'='))
                );
            }
        }
    }

    #[test]
    fn swar_masks_match_the_simd_ones() {
        let mut bytes = [0u8; 64];
        for seed in 0..200u32 {
            for (i, b) in bytes.iter_mut().enumerate() {
                let x = (seed.wrapping_mul(31).wrapping_add(i as u32 * 7)) % 6;
                *b = [SOH, 0, 0x81, b'=', 0x02, 0xBD][x as usize];
            }
            let want = (plain(&bytes, SOH), plain(&bytes, b'='));
            assert_eq!(masks(&bytes), want);
            assert_eq!(
                (byte_mask_swar(&bytes, SOH), byte_mask_swar(&bytes, b'=')),
                want
            );
        }
    }
}
