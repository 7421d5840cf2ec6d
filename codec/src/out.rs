//! Appending to the outbound buffer: the bytes go into the `Vec`'s spare
//! capacity through a cursor whose pointers stay in registers for a whole
//! message, and the length is stored once when the
//! cursor is dropped (a `Vec::push` or `extend_from_slice` per piece, or a
//! cursor per field, reloads the `Vec` from memory after every store).
//!
//! The encoder reserves room once per field and then writes its pieces
//! with the unchecked `put_*` methods; the checked methods are for writers
//! whose length is not bounded up front.

use crate::Tag;
use std::ptr;

/// Room the `put_tag` of any tag needs: an 8-byte word store, or 11 bytes
/// (ten digits and `=`) for a tag of eight digits or more.
pub(crate) const TAG_ROOM: usize = 11;

/// A cursor appending to `buf`; its bytes become part of `buf` (its length
/// is set) when it is dropped. The hot state is two pointers, `cur` and
/// `end`: stores address `cur` directly and advance it, and the room test
/// compares against `end` (an index and a base would hold a third register
/// across the message, and spill under the encoder's other values).
pub(crate) struct Out<'a> {
    buf: &'a mut Vec<u8>,
    /// `buf.as_mut_ptr()`, refreshed whenever `buf` grows.
    base: *mut u8,
    /// Where the next byte goes: `base + len` (bytes from `buf.len()` up to
    /// it are initialized).
    cur: *mut u8,
    /// `base + buf.capacity()`, refreshed whenever `buf` grows.
    end: *mut u8,
}

// SAFETY: an `Out` is a `&mut Vec<u8>` with pointers into its buffer;
// `&self` methods only read written bytes, like `&Vec<u8>`.
unsafe impl Send for Out<'_> {}
// SAFETY: as above.
unsafe impl Sync for Out<'_> {}

impl<'a> Out<'a> {
    /// A cursor at the end of `buf`.
    #[inline(always)]
    pub(crate) fn new(buf: &'a mut Vec<u8>) -> Self {
        let base = buf.as_mut_ptr();
        // SAFETY: `len <= capacity`, both inside (or one past) the buffer.
        let (cur, end) = unsafe { (base.add(buf.len()), base.add(buf.capacity())) };
        Out {
            base,
            cur,
            end,
            buf,
        }
    }

    /// Bytes in the buffer, those written through the cursor included.
    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.cur as usize - self.base as usize
    }

    /// Bytes of room left.
    #[inline(always)]
    fn room(&self) -> usize {
        self.end as usize - self.cur as usize
    }

    /// Room for `n` more bytes: after this, `put_*` calls writing at most
    /// `n` bytes in all (an 8-byte word store counts 8) are in bounds.
    #[inline(always)]
    pub(crate) fn reserve(&mut self, n: usize) {
        if self.room() < n {
            self.grow(n);
        }
    }

    /// [`Out::reserve`] for a bounded `n` (a field of known longest form):
    /// `cur + n` cannot overflow (addresses are below `isize::MAX`), so the
    /// test needs no subtraction.
    #[inline(always)]
    pub(crate) fn reserve_small(&mut self, n: u32) {
        if self.cur as usize + n as usize > self.end as usize {
            self.grow(n as usize);
        }
    }

    /// Make room for `n` more bytes (the pointers move with the buffer).
    #[inline(always)]
    fn grow(&mut self, n: usize) {
        let len = self.len();
        let (base, cap) = grow(self.buf, len, n);
        self.base = base;
        // SAFETY: `len <= cap`, both inside (or one past) the new buffer.
        unsafe {
            self.cur = base.add(len);
            self.end = base.add(cap);
        }
    }

    /// Run `f` on the `Vec` itself (length set to the cursor's), then pick
    /// up whatever it left.
    #[inline]
    pub(crate) fn with_vec<R>(&mut self, f: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        // SAFETY: `len <= cap` and every byte up to `len` was written.
        unsafe { self.buf.set_len(self.len()) };
        let r = f(self.buf);
        self.base = self.buf.as_mut_ptr();
        // SAFETY: as in `new`.
        unsafe {
            self.cur = self.base.add(self.buf.len());
            self.end = self.base.add(self.buf.capacity());
        }
        r
    }

    /// The bytes written from `from` on (empty if `from` is past the end).
    #[inline(always)]
    pub(crate) fn written_from(&self, from: usize) -> &[u8] {
        let len = self.len();
        if from > len {
            return &[];
        }
        // SAFETY: `base..cur` is initialized (every byte up to `len` was
        // written) and no write happens while the slice is borrowed.
        unsafe { std::slice::from_raw_parts(self.base.add(from), len - from) }
    }

    /// Overwrite `N` already-written bytes at `at` (no-op if out of range).
    #[inline(always)]
    pub(crate) fn patch<const N: usize>(&mut self, at: usize, v: [u8; N]) {
        let len = self.len();
        if at <= len && len - at >= N {
            // SAFETY: `at + N <= len <= cap`.
            unsafe { self.base.add(at).cast::<[u8; N]>().write_unaligned(v) };
        }
    }

    /// Remove the written byte at `at`, moving the rest back (no-op if out
    /// of range).
    #[inline(always)]
    pub(crate) fn remove_byte(&mut self, at: usize) {
        let len = self.len();
        if at < len {
            // SAFETY: both ranges lie inside the written `base..cur`;
            // `ptr::copy` allows them to overlap; `cur - 1 >= base + at`.
            unsafe {
                ptr::copy(self.base.add(at + 1), self.base.add(at), len - at - 1);
                self.cur = self.cur.sub(1);
            }
        }
    }

    /// Append one byte.
    ///
    /// # Safety
    /// One byte of room (see [`Out::reserve`]).
    #[inline(always)]
    pub(crate) unsafe fn put_byte(&mut self, b: u8) {
        debug_assert!(self.room() >= 1);
        // SAFETY: the caller's guarantee.
        unsafe {
            self.cur.write(b);
            self.cur = self.cur.add(1);
        }
    }

    /// Append the first `n` (at most 8) bytes of the little-endian word `w`.
    ///
    /// # Safety
    /// Eight bytes of room (the whole word is stored).
    #[inline(always)]
    pub(crate) unsafe fn put_word(&mut self, w: u64, n: usize) {
        debug_assert!(n <= 8 && self.room() >= 8);
        // SAFETY: the caller's guarantee.
        unsafe {
            self.cur.cast::<u64>().write_unaligned(w.to_le());
            self.cur = self.cur.add(n.min(8));
        }
    }

    /// Append `src`: fixed-size copies for short slices (the usual field
    /// value), rather than a `memcpy` call.
    ///
    /// # Safety
    /// `src.len()` bytes of room.
    #[inline(always)]
    pub(crate) unsafe fn put_bytes(&mut self, src: &[u8]) {
        let n = src.len();
        debug_assert!(self.room() >= n);
        // SAFETY: the caller guarantees `n` bytes writable from `cur`;
        // every copy below reads inside `src` and writes inside those `n`
        // bytes (the overlapping pairs cover exactly `0..n`).
        unsafe {
            let d = self.cur;
            let s = src.as_ptr();
            if n >= 8 {
                if n <= 16 {
                    copy::<u64>(s, d, 0);
                    copy::<u64>(s, d, n - 8);
                } else if n <= 32 {
                    copy::<u128>(s, d, 0);
                    copy::<u128>(s, d, n - 16);
                } else {
                    ptr::copy_nonoverlapping(s, d, n);
                }
            } else if n >= 4 {
                copy::<u32>(s, d, 0);
                copy::<u32>(s, d, n - 4);
            } else if n > 0 {
                // One, two or three bytes: first, middle and last.
                d.write(*s);
                d.add(n / 2).write(*s.add(n / 2));
                d.add(n - 1).write(*s.add(n - 1));
            }
            self.cur = d.add(n);
        }
    }

    /// Append `tag=`.
    ///
    /// # Safety
    /// [`TAG_ROOM`] bytes of room.
    #[inline(always)]
    pub(crate) unsafe fn put_tag(&mut self, tag: Tag) {
        // The caller reserved TAG_ROOM >= 8 bytes, and a tag's digits and
        // `=` are at most 11.
        match tag_word(tag) {
            // SAFETY: a word of at most 8 bytes fits the room reserved.
            Some((w, n)) => unsafe { self.put_word(w, n) },
            None => {
                let mut buf = [0u8; crate::itoa::MAX_INT_LEN];
                let start = crate::itoa::format_u64(u64::from(tag), &mut buf);
                // SAFETY: the digits and `=` are at most TAG_ROOM bytes.
                unsafe {
                    self.put_bytes(buf.get(start..).unwrap_or_default());
                    self.put_byte(b'=');
                }
            }
        }
    }

    /// Append `src` (checked).
    #[inline(always)]
    pub(crate) fn bytes(&mut self, src: &[u8]) {
        self.reserve(src.len());
        // SAFETY: reserved just above.
        unsafe { self.put_bytes(src) };
    }
}

impl Drop for Out<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: `cur <= end` (each write had its room) and every byte
        // from the buffer's length up to `cur` was written.
        unsafe { self.buf.set_len(self.len()) };
    }
}

/// Set `buf`'s length to `len` (bytes up to it written) and make room for
/// `n` more bytes: the new pointer and capacity (out of line, and by value
/// so the cursor's fields stay in registers).
#[cold]
#[inline(never)]
fn grow(buf: &mut Vec<u8>, len: usize, n: usize) -> (*mut u8, usize) {
    // SAFETY: the cursor's `len <= capacity` and every byte up to `len`
    // was written (the invariant of its write methods).
    unsafe { buf.set_len(len) };
    buf.reserve(n);
    (buf.as_mut_ptr(), buf.capacity())
}

/// Copy one `T` from `s + at` to `d + at` (unaligned).
///
/// # Safety
/// Both ranges are in bounds of their allocations.
#[inline(always)]
unsafe fn copy<T: Copy>(s: *const u8, d: *mut u8, at: usize) {
    // SAFETY: the caller's guarantee.
    unsafe {
        let v = s.add(at).cast::<T>().read_unaligned();
        d.add(at).cast::<T>().write_unaligned(v);
    }
}

/// `tag=` as a little-endian word and its length, for a tag of at most
/// seven digits (a constant tag folds to an immediate).
#[inline(always)]
pub(crate) fn tag_word(tag: Tag) -> Option<(u64, usize)> {
    if tag >= 10_000_000 {
        return None;
    }
    // Prepend digits, last first, in front of '='.
    let mut w = u64::from(b'=');
    let mut n = 1;
    let mut v = tag;
    loop {
        w = w << 8 | u64::from(b'0' + (v % 10) as u8);
        n += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    Some((w, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_and_bytes_of_every_length() {
        let src: Vec<u8> = (0..80u8)
            .map(|i| i.wrapping_mul(97).wrapping_add(200))
            .collect();
        for tag in (0..10u32)
            .flat_map(|e| {
                let p = 10u32.pow(e);
                [p - 1, p, p + 1]
            })
            .chain([u32::MAX])
        {
            for n in 0..=80 {
                // Start from no spare room, so every path grows the buffer.
                let mut buf = b"ab".to_vec();
                buf.shrink_to_fit();
                {
                    let mut o = Out::new(&mut buf);
                    o.reserve(TAG_ROOM + n + 1);
                    // SAFETY: reserved just above.
                    unsafe {
                        o.put_tag(tag);
                        o.put_bytes(&src[..n]);
                        o.put_byte(1);
                    }
                }
                let mut want = format!("ab{tag}=").into_bytes();
                want.extend_from_slice(&src[..n]);
                want.push(1);
                assert_eq!(buf, want, "tag {tag} n {n}");
            }
        }
    }
}
