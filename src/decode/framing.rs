//! Where messages may start: framing itself is `ringfix_codec::frame`.

/// Start of every FIX message.
pub(crate) const BEGIN: &[u8] = b"8=FIX";

/// Offset of the next `8=FIX` at or after `from`.
pub(crate) fn find_begin(buf: &[u8], from: usize) -> Option<usize> {
    let hay = buf.get(from..)?;
    memchr::memmem::find(hay, BEGIN).map(|i| i + from)
}
