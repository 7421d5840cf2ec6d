//! Appending one field to the outbound buffer: the bytes go into the
//! `Vec`'s spare capacity through a cursor whose length and capacity stay
//! in registers, and the length is stored once when the cursor is dropped
//! (a `Vec::push` or `extend_from_slice` per piece reloads the buffer
//! pointer and stores the length after every byte or slice).

use crate::Tag;
use std::ptr;

/// A cursor appending to `buf`; its bytes become part of `buf` (its length
/// is set) when it is dropped.
pub(crate) struct Out<'a> {
    buf: &'a mut Vec<u8>,
    /// `buf.as_mut_ptr()`, refreshed whenever `buf` grows.
    ptr: *mut u8,
    /// Bytes written so far (those from `buf.len()` on are initialized).
    len: usize,
    /// `buf.capacity()`, refreshed whenever `buf` grows.
    cap: usize,
}

impl<'a> Out<'a> {
    /// A cursor at the end of `buf`, with room for `need` bytes reserved
    /// (each write still checks, so `need` is only a hint).
    #[inline(always)]
    pub(crate) fn new(buf: &'a mut Vec<u8>, need: usize) -> Self {
        buf.reserve(need);
        Out {
            ptr: buf.as_mut_ptr(),
            len: buf.len(),
            cap: buf.capacity(),
            buf,
        }
    }

    /// Room for `n` more bytes.
    #[inline(always)]
    fn room(&mut self, n: usize) {
        if self.cap - self.len < n {
            (self.ptr, self.cap) = grow(self.buf, self.len, n);
        }
    }

    /// Append one byte.
    #[inline(always)]
    pub(crate) fn byte(&mut self, b: u8) {
        self.room(1);
        // SAFETY: `room` made `self.len < self.cap`.
        unsafe { self.ptr.add(self.len).write(b) };
        self.len += 1;
    }

    /// Append the first `n` (at most 8) bytes of the little-endian word `w`.
    #[inline(always)]
    pub(crate) fn word(&mut self, w: u64, n: usize) {
        debug_assert!(n <= 8);
        self.room(8);
        // SAFETY: `room` made 8 bytes from `self.len` writable.
        unsafe {
            self.ptr
                .add(self.len)
                .cast::<u64>()
                .write_unaligned(w.to_le())
        };
        self.len += n.min(8);
    }

    /// Append `src`: fixed-size copies for short slices (the usual field
    /// value), rather than a `memcpy` call.
    #[inline(always)]
    pub(crate) fn bytes(&mut self, src: &[u8]) {
        let n = src.len();
        self.room(n);
        // SAFETY: `room` made `n` bytes from `self.len` writable; every
        // copy below reads inside `src` and writes inside those `n` bytes
        // (the overlapping pairs cover exactly `0..n`).
        unsafe {
            let d = self.ptr.add(self.len);
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
        }
        self.len += n;
    }

    /// Append `tag=`.
    #[inline(always)]
    pub(crate) fn tag(&mut self, tag: Tag) {
        match tag_word(tag) {
            Some((w, n)) => self.word(w, n),
            None => {
                let mut buf = [0u8; crate::itoa::MAX_INT_LEN];
                let start = crate::itoa::format_u64(u64::from(tag), &mut buf);
                self.bytes(buf.get(start..).unwrap_or_default());
                self.byte(b'=');
            }
        }
    }
}

impl Drop for Out<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        // SAFETY: `self.len <= self.cap` (each write checked its room) and
        // every byte from the buffer's length up to `self.len` was written.
        unsafe { self.buf.set_len(self.len) };
    }
}

/// Set `buf`'s length to `len` (bytes up to it written) and make room for
/// `n` more bytes: the new pointer and capacity (out of line, and by value
/// so the cursor's fields stay in registers: the caller reserved).
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
unsafe fn copy<T>(s: *const u8, d: *mut u8, at: usize) {
    // SAFETY: the caller's guarantee.
    unsafe {
        d.add(at)
            .cast::<T>()
            .write_unaligned(s.add(at).cast::<T>().read_unaligned())
    };
}

/// `tag=` as a little-endian word and its length, for a tag of at most
/// seven digits (a constant tag folds to an immediate).
#[inline(always)]
fn tag_word(tag: Tag) -> Option<(u64, usize)> {
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
        let src: Vec<u8> = (0..80u8).collect();
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
                    let mut o = Out::new(&mut buf, 0);
                    o.tag(tag);
                    o.bytes(&src[..n]);
                    o.byte(1);
                }
                let mut want = format!("ab{tag}=").into_bytes();
                want.extend_from_slice(&src[..n]);
                want.push(1);
                assert_eq!(buf, want, "tag {tag} n {n}");
            }
        }
    }
}
