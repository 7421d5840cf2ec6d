//! Framing: find one complete FIX message at the start of a byte slice
//! (rules on [`frame`]).

use crate::data_fields::data_tag_for;
use crate::error::FrameError;
use crate::simd::{Base, Simd};
use crate::swar;
use crate::SOH;
use memchr::{memchr, memmem};

/// Longest accepted BeginString value ("FIXT.1.1" is 8 bytes).
pub const MAX_BEGIN_STRING: usize = 16;
/// Most digits accepted in BodyLength.
pub const MAX_BODY_LENGTH_DIGITS: usize = 9;
/// Default maximum size of one message, in bytes.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 64 * 1024;
/// Bytes of the trailer `10=nnn<SOH>`.
pub const TRAILER_LEN: usize = 7;
/// Candidates examined when looking for a frame inside a claimed body.
const MAX_EMBEDDED_CANDIDATES: usize = 64;
const CANDIDATE: &[u8] = b"8=FIX";

/// Outcome of [`frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub enum Frame {
    /// A valid message occupies `buf[..len]`.
    Complete(usize),
    /// More bytes are needed.
    Incomplete,
    /// Drop `skip` (>= 1) bytes; `error` says why.
    Garbled {
        /// Bytes to drop from the start of the buffer.
        skip: usize,
        /// What was wrong.
        error: FrameError,
    },
}

/// Parsed positions of `8=...|9=...|`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Header {
    /// End (exclusive) of the BeginString value.
    pub begin_string_end: usize,
    /// Start of the BodyLength value.
    pub body_length_start: usize,
    /// First byte after the BodyLength field's SOH: the body starts here.
    pub body_start: usize,
    /// The BodyLength value.
    pub body_len: usize,
}

impl Header {
    /// Offset of the `10=` trailer.
    pub fn body_end(&self) -> usize {
        self.body_start + self.body_len
    }
    /// Total frame length.
    pub fn total(&self) -> usize {
        self.body_end() + TRAILER_LEN
    }
}

pub(crate) enum HeaderResult {
    Ok(Header),
    Incomplete,
    Bad(FrameError),
}

/// Frame one message at the start of `buf`.
///
///
/// Rules (checked in this order, never reading past `buf`):
/// 1. `8=` first, a non-empty BeginString of at most [`MAX_BEGIN_STRING`] bytes;
/// 2. `9=` second, BodyLength of 1..=[`MAX_BODY_LENGTH_DIGITS`] digits;
/// 3. `35=` third (it starts the body);
/// 4. the whole frame fits in `max_len`;
/// 5. the body ends with SOH and `10=` + 3 digits + SOH follows at the exact
///    offset BodyLength gives;
/// 6. the CheckSum equals the byte sum modulo 256.
///
/// Resynchronisation after a bad header (rules 1-4): skip to the next `8=FIX`
/// candidate. After a bad checksum value (rule 6): skip the whole frame (its
/// boundaries were consistent). When the trailer is not where BodyLength
/// says (rule 5), or while waiting for a claimed body that has not fully
/// arrived:
/// - if a *complete, valid* frame starts at a field boundary inside the
///   claimed frame and ends within it, skip to that frame (`Superseded`), so
///   a huge wrong BodyLength cannot hold back the messages behind it;
/// - otherwise (trailer wrong) the garbled message ends at the first
///   `<SOH>10=...<SOH>` at or after the claimed end of the body, as QuickFIX
///   does: a too-long BodyLength swallows the next message when that message
///   straddles the claimed end (the acceptance script
///   `2m_BodyLengthValueNotCorrect` expects exactly that). If no such field
///   has arrived yet the result is `Incomplete`, until `max_len` bytes are
///   buffered.
///
/// The reactor must therefore be able to buffer `max_len` bytes.
pub fn frame(buf: &[u8], max_len: usize) -> Frame {
    match frame_header(Base, buf, max_len) {
        Ok(h) => Frame::Complete(h.total()),
        Err(f) => f,
    }
}

/// [`frame`], keeping the header of a complete frame (its parse need not
/// read it again); `Err` holds every other outcome.
#[inline(always)]
pub(crate) fn frame_header<S: Simd>(simd: S, buf: &[u8], max_len: usize) -> Result<Header, Frame> {
    let h = match header(buf, max_len) {
        HeaderResult::Ok(h) => h,
        HeaderResult::Incomplete => return Err(Frame::Incomplete),
        HeaderResult::Bad(error) => {
            return Err(Frame::Garbled {
                skip: skip_to_candidate(buf, 1),
                error,
            })
        }
    };
    let total = h.total();
    if buf.len() < total {
        return Err(match find_embedded(buf, h.body_start, buf.len(), max_len) {
            Some(skip) => Frame::Garbled {
                skip,
                error: FrameError::Superseded,
            },
            None => Frame::Incomplete,
        });
    }
    match trailer(buf, h.body_end()) {
        Some(found) => {
            let computed = simd.checksum(buf.get(..h.body_end()).unwrap_or_default());
            if u16::from(computed) == found {
                Ok(h)
            } else {
                Err(Frame::Garbled {
                    skip: total,
                    error: FrameError::ChecksumMismatch { computed, found },
                })
            }
        }
        None => Err(garbled_length(buf, &h, max_len)),
    }
}

/// A frame whose trailer is not where BodyLength says.
fn garbled_length(buf: &[u8], h: &Header, max_len: usize) -> Frame {
    if let Some(skip) = find_embedded(buf, h.body_start, h.total(), max_len) {
        return Frame::Garbled {
            skip,
            error: FrameError::Superseded,
        };
    }
    let from = h.body_end() - 1;
    let tail = buf.get(from..).unwrap_or_default();
    if let Some(q) = memmem::find(tail, b"\x0110=") {
        let value = from + q + 4;
        if let Some(e) = memchr(SOH, buf.get(value..).unwrap_or_default()) {
            return Frame::Garbled {
                skip: value + e + 1,
                error: FrameError::BodyLengthMismatch,
            };
        }
    }
    if buf.len() >= max_len {
        return Frame::Garbled {
            skip: skip_to_candidate(buf, h.body_end()),
            error: FrameError::BodyLengthMismatch,
        };
    }
    Frame::Incomplete
}

/// Parse and check `8=...|9=...|35=`.
#[inline(always)]
pub(crate) fn header(buf: &[u8], max_len: usize) -> HeaderResult {
    match quick_header(buf, max_len) {
        Some(h) => HeaderResult::Ok(h),
        None => careful_header(buf, max_len),
    }
}

/// The usual header, found with one bitmap of the first 32 bytes (both
/// SOHs at once, rather than one search waiting on the other); `None`
/// when anything is unusual, and [`careful_header`] decides.
#[inline(always)]
fn quick_header(buf: &[u8], max_len: usize) -> Option<Header> {
    let sohs = crate::scan::soh_mask(buf.get(..32)?);
    let begin_string_end = sohs.trailing_zeros() as usize;
    let body_start = (sohs & sohs.wrapping_sub(1)).trailing_zeros() as usize + 1;
    // At most 16 BeginString bytes; BodyLength of 1..=7 digits (the
    // careful path takes longer ones).
    let digits = body_start.checked_sub(begin_string_end + 4)?;
    if !(3..=2 + MAX_BEGIN_STRING).contains(&begin_string_end)
        || buf.get(..2)? != b"8="
        || buf.get(begin_string_end + 1..begin_string_end + 3)? != b"9="
    {
        return None;
    }
    let w = swar::load(buf, begin_string_end + 3)?;
    let body_len = swar::small_number(w, digits)? as usize;
    let h = Header {
        begin_string_end,
        body_length_start: begin_string_end + 3,
        body_start,
        body_len,
    };
    let msg_type_third = buf.get(body_start..body_start + 3)? == b"35=";
    (msg_type_third && body_len >= 5 && h.total() <= max_len).then_some(h)
}

/// [`header`] for every input: the exact error, or `Incomplete`.
#[inline(never)]
fn careful_header(buf: &[u8], max_len: usize) -> HeaderResult {
    use HeaderResult::{Bad, Incomplete};
    match buf {
        [] | [b'8'] => return Incomplete,
        [b'8', b'=', ..] => {}
        _ => return Bad(FrameError::BeginStringMissing),
    }
    let bs_limit = 2 + MAX_BEGIN_STRING + 1;
    let soh = match find_soh_within(buf, 2, bs_limit) {
        Some(2) => return Bad(FrameError::BeginStringInvalid),
        Some(i) => i,
        None if buf.len() >= bs_limit => return Bad(FrameError::BeginStringInvalid),
        None => return Incomplete,
    };
    let p = soh + 1;
    match buf.get(p..).unwrap_or_default() {
        [] | [b'9'] => return Incomplete,
        [b'9', b'=', ..] => {}
        _ => return Bad(FrameError::BodyLengthMissing),
    }
    let digits_start = p + 2;
    // One word holds the usual 2..=4 digits and their SOH.
    let quick = swar::load(buf, digits_start).and_then(|w| {
        let n = (swar::matches(w, SOH).trailing_zeros() / 8) as usize;
        swar::small_number(w, n).map(|v| (v as usize, n))
    });
    let (body_len, n) = match quick {
        Some(q) => q,
        None => match body_length_digits(buf, digits_start) {
            Ok(q) => q,
            Err(r) => return r,
        },
    };
    let body_start = digits_start + n + 1;
    let h = Header {
        begin_string_end: soh,
        body_length_start: digits_start,
        body_start,
        body_len,
    };
    if h.total() > max_len {
        return Bad(FrameError::TooLarge {
            len: h.total(),
            max: max_len,
        });
    }
    // The body must start with `35=` and hold at least `35=x<SOH>`.
    let msg_type_third = matches!(
        buf.get(body_start..).unwrap_or_default(),
        [b'3', b'5', b'=', ..] | [b'3', b'5'] | [b'3'] | []
    );
    if !msg_type_third || body_len < 5 {
        return Bad(FrameError::MsgTypeNotThird);
    }
    HeaderResult::Ok(h)
}

/// Offset of the first SOH in `buf[from..limit]` (clamped to `buf`).
#[inline(always)]
fn find_soh_within(buf: &[u8], from: usize, limit: usize) -> Option<usize> {
    let mut i = from;
    // Word steps while a full word is loadable, then bytes.
    while i + 8 <= limit {
        let Some(w) = swar::load(buf, i) else { break };
        let m = swar::matches(w, SOH);
        if m != 0 {
            return Some(i + (m.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    let end = limit.min(buf.len());
    buf.get(i..end)?
        .iter()
        .position(|&b| b == SOH)
        .map(|k| i + k)
}

/// BodyLength digits at `at` up to SOH, one byte at a time (short buffers,
/// long or malformed values): `(value, digit count)`.
#[cold]
fn body_length_digits(buf: &[u8], at: usize) -> Result<(usize, usize), HeaderResult> {
    use HeaderResult::{Bad, Incomplete};
    let mut body_len = 0usize;
    let mut n = 0usize;
    loop {
        let Some(&b) = buf.get(at + n) else {
            return Err(Incomplete);
        };
        if b == SOH {
            break;
        }
        let d = b.wrapping_sub(b'0');
        if d > 9 || n >= MAX_BODY_LENGTH_DIGITS {
            return Err(Bad(FrameError::BodyLengthInvalid));
        }
        body_len = body_len * 10 + usize::from(d);
        n += 1;
    }
    if n == 0 {
        return Err(Bad(FrameError::BodyLengthInvalid));
    }
    Ok((body_len, n))
}

/// The CheckSum value if `buf[body_end..]` is `10=ddd<SOH>` after an SOH.
#[inline]
pub(crate) fn trailer(buf: &[u8], body_end: usize) -> Option<u16> {
    // `<SOH>10=ddd<SOH>` is exactly one word starting at the body's last byte.
    const SHAPE: u64 = u64::from_le_bytes([SOH, b'1', b'0', b'=', 0, 0, 0, SOH]);
    const MASK: u64 = u64::from_le_bytes([0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0xFF]);
    let w = swar::load(buf, body_end.checked_sub(1)?)?;
    if w & MASK != SHAPE {
        return None;
    }
    swar::small_number(w >> 32, 3).map(|v| v as u16)
}

/// Sum of the bytes modulo 256 (the FIX CheckSum).
#[inline]
pub fn checksum(bytes: &[u8]) -> u8 {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    if bytes.len() >= 16 {
        return sum_sse2(bytes) as u8;
    }
    sum_portable(bytes) as u8
}

/// Byte sum without SIMD (short inputs, other architectures).
#[inline]
fn sum_portable(bytes: &[u8]) -> u64 {
    let mut chunks = bytes.chunks_exact(16);
    let mut sum = sum_chunks_swar(&mut chunks);
    let mut rest = chunks.remainder();
    if let Some(w) = swar::load(rest, 0) {
        // Eight bytes at once: pairwise into 16-bit lanes, then fold.
        const LO: u64 = 0x00FF_00FF_00FF_00FF;
        sum += fold_lanes((w & LO) + ((w >> 8) & LO));
        rest = rest.get(8..).unwrap_or_default();
    }
    for b in rest {
        sum = sum.wrapping_add(u64::from(*b));
    }
    sum
}

/// `TAIL_KEEP[r..r + 16]` keeps the last `r` bytes of a 16-byte load.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
const TAIL_KEEP: [u8; 32] = {
    let mut t = [0u8; 32];
    let mut i = 16;
    while i < 32 {
        t[i] = 0xFF;
        i += 1;
    }
    t
};

/// Byte sum of at least 16 bytes: SSE2 `psadbw` on 16-byte loads into two
/// accumulators (alternate adds do not wait on each other); the last
/// partial chunk re-reads the final 16 bytes and masks off those already
/// summed, rather than a byte loop.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn sum_sse2(bytes: &[u8]) -> u64 {
    use std::arch::x86_64::{
        __m128i, _mm_add_epi64, _mm_and_si128, _mm_cvtsi128_si64, _mm_loadu_si128, _mm_sad_epu8,
        _mm_setzero_si128, _mm_unpackhi_epi64,
    };
    let mut chunks = bytes.chunks_exact(16);
    let rem = chunks.remainder().len();
    let last = bytes
        .get(bytes.len().saturating_sub(16)..)
        .unwrap_or_default();
    let keep = TAIL_KEEP.get(rem..rem + 16).unwrap_or_default();
    // SAFETY: every chunk, `last` (the caller passes at least 16 bytes) and
    // `keep` (16 of the table's 32 bytes, as `rem < 16`) are 16 readable
    // bytes (unaligned loads are allowed); the intrinsics need only SSE2,
    // which this cfg guarantees.
    unsafe {
        debug_assert!(last.len() == 16 && keep.len() == 16);
        let zero = _mm_setzero_si128();
        let tail = _mm_and_si128(
            _mm_loadu_si128(last.as_ptr().cast::<__m128i>()),
            _mm_loadu_si128(keep.as_ptr().cast::<__m128i>()),
        );
        let mut a = _mm_sad_epu8(tail, zero);
        let mut b = zero;
        while let (Some(x), y) = (chunks.next(), chunks.next()) {
            a = _mm_add_epi64(a, _mm_sad_epu8(_mm_loadu_si128(x.as_ptr().cast()), zero));
            if let Some(y) = y {
                b = _mm_add_epi64(b, _mm_sad_epu8(_mm_loadu_si128(y.as_ptr().cast()), zero));
            }
        }
        let acc = _mm_add_epi64(a, b);
        let both = _mm_add_epi64(acc, _mm_unpackhi_epi64(acc, acc));
        _mm_cvtsi128_si64(both) as u64
    }
}

/// Portable SWAR byte sum of whole 16-byte chunks (16-bit lanes, flushed
/// before they can overflow).
fn sum_chunks_swar(chunks: &mut std::slice::ChunksExact<'_, u8>) -> u64 {
    const LO: u64 = 0x00FF_00FF_00FF_00FF;
    let mut total = 0u64;
    let mut lanes = 0u64;
    for (i, c) in chunks.enumerate() {
        for w in [swar::load(c, 0).unwrap_or(0), swar::load(c, 8).unwrap_or(0)] {
            lanes += (w & LO) + ((w >> 8) & LO);
        }
        // Each chunk adds at most 4 * 255 to a lane: flush well before 65535.
        if i % 32 == 31 {
            total += fold_lanes(lanes);
            lanes = 0;
        }
    }
    total + fold_lanes(lanes)
}

#[inline(always)]
fn fold_lanes(l: u64) -> u64 {
    (l & 0xFFFF) + (l >> 16 & 0xFFFF) + (l >> 32 & 0xFFFF) + (l >> 48)
}

/// Offset of the first `8=FIX` at or after `from`, or the offset that keeps
/// only a trailing partial candidate; always >= `from` (clamped to `buf`).
pub(crate) fn skip_to_candidate(buf: &[u8], from: usize) -> usize {
    let from = from.min(buf.len());
    let rest = buf.get(from..).unwrap_or_default();
    if let Some(i) = memmem::find(rest, CANDIDATE) {
        return from + i;
    }
    for s in (1..CANDIDATE.len()).rev() {
        if rest.len() >= s && rest.ends_with(CANDIDATE.get(..s).unwrap_or_default()) {
            return buf.len() - s;
        }
    }
    buf.len()
}

/// Is `buf` a complete valid frame at its start? Returns its length.
/// `budget` bounds the bytes summed across calls, so a hostile stream of
/// nested candidates cannot make one `frame` call quadratic.
fn complete_frame(buf: &[u8], max_len: usize, budget: &mut usize) -> Option<usize> {
    let HeaderResult::Ok(h) = header(buf, max_len) else {
        return None;
    };
    let found = trailer(buf, h.body_end())?;
    *budget = budget.checked_sub(h.body_end())?;
    (u16::from(checksum(buf.get(..h.body_end())?)) == found).then_some(h.total())
}

/// First field boundary in `buf[body_start..limit]` (honouring data-field
/// lengths) where a complete valid frame lies entirely before `limit`.
fn find_embedded(buf: &[u8], body_start: usize, limit: usize, max_len: usize) -> Option<usize> {
    let region = buf.get(..limit.min(buf.len()))?;
    memmem::find(region.get(body_start..)?, b"\x018=FIX")?;
    let mut p = body_start;
    let mut pending_data: Option<(u32, usize)> = None;
    let mut examined = 0;
    let mut budget = max_len.saturating_mul(2);
    while p < region.len() {
        let rest = region.get(p..)?;
        if p > body_start && rest.starts_with(CANDIDATE) {
            if complete_frame(rest, max_len, &mut budget).is_some() {
                return Some(p);
            }
            examined += 1;
            if examined >= MAX_EMBEDDED_CANDIDATES {
                return None;
            }
        }
        let eq = memchr(b'=', rest)?;
        let tag = parse_plain_tag(rest.get(..eq)?);
        let value = p + eq + 1;
        match (pending_data.take(), tag) {
            (Some((data_tag, len)), Some(t)) if t == data_tag => {
                p = value + len + 1;
                continue;
            }
            _ => {}
        }
        let end = value + memchr(SOH, region.get(value..)?)?;
        if let Some(data_tag) = tag.and_then(data_tag_for) {
            let len = parse_plain_tag(region.get(value..end)?).map(|v| v as usize);
            pending_data = len.map(|len| (data_tag, len));
        }
        p = end + 1;
    }
    None
}

/// A plain unsigned decimal (used for tags and lengths in the resync walk).
fn parse_plain_tag(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 9 {
        return None;
    }
    digits.iter().try_fold(0u32, |acc, &b| {
        let d = b.wrapping_sub(b'0');
        (d <= 9).then(|| acc * 10 + u32::from(d))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn key(r: Option<Header>) -> Option<(usize, usize, usize, usize)> {
        r.map(|h| {
            (
                h.begin_string_end,
                h.body_length_start,
                h.body_start,
                h.body_len,
            )
        })
    }

    fn careful(buf: &[u8], max_len: usize) -> Option<(usize, usize, usize, usize)> {
        match careful_header(buf, max_len) {
            HeaderResult::Ok(h) => key(Some(h)),
            _ => None,
        }
    }

    proptest! {
        /// Whenever the quick header answers, the careful one agrees.
        #[test]
        fn quick_header_agrees_with_the_careful_one(
            bs in "[A-Z0-9.]{0,18}",
            len in "[0-9]{0,10}|[0-9]{1,3}[a=/]?",
            third in prop_oneof!["35=", "35", "34=", "", "3"],
            tail in proptest::collection::vec(any::<u8>(), 0..40),
            max_len in prop_oneof![Just(64usize), Just(DEFAULT_MAX_MESSAGE_SIZE)],
        ) {
            let mut buf = format!("8={bs}\x019={len}\x01{third}").into_bytes();
            buf.extend(tail);
            for cut in [buf.len(), 31, 32, 33] {
                let b = &buf[..cut.min(buf.len())];
                let quick = key(quick_header(b, max_len));
                if quick.is_some() {
                    prop_assert_eq!(quick, careful(b, max_len));
                }
            }
        }
    }

    #[test]
    fn quick_header_takes_the_usual_header() {
        let m = b"8=FIX.4.4\x019=0172\x0135=D\x0134=2\x0149=INIT\x0152=20261124\x01";
        assert_eq!(key(quick_header(m, 1000)), Some((9, 12, 17, 172)));
        assert_eq!(careful(m, 1000), Some((9, 12, 17, 172)));
    }

    #[test]
    fn checksum_matches_a_plain_sum_for_every_length() {
        let data: Vec<u8> = (0..5000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for n in (0..70).chain([255, 256, 257, 1000, 4096, 5000]) {
            let plain = data[..n].iter().fold(0u8, |a, b| a.wrapping_add(*b));
            assert_eq!(checksum(&data[..n]), plain, "n={n}");
            let mut chunks = data[..n].chunks_exact(16);
            let swar = sum_chunks_swar(&mut chunks)
                + chunks
                    .remainder()
                    .iter()
                    .map(|&b| u64::from(b))
                    .sum::<u64>();
            assert_eq!(swar as u8, plain, "swar n={n}");
            assert_eq!(sum_portable(&data[..n]) as u8, plain, "portable n={n}");
        }
        assert_eq!(checksum(&[0xFF; 4096]), (4096u32 * 255 % 256) as u8);
    }
}
