//! Finding message boundaries: `8=FIX…|9=len|…|10=ccc|`.

/// Result of looking for one message at the start of a buffer (which starts at `8=FIX`).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Framed {
    /// A whole message of this many bytes.
    Complete(usize),
    /// More bytes are needed.
    Incomplete,
    /// Not a valid message: drop `skip` bytes (up to the next `8=FIX` candidate).
    Garbled { skip: usize, error: String },
}

/// Start of every FIX message.
pub(crate) const BEGIN: &[u8] = b"8=FIX";

/// Offset of the next `8=FIX` at or after `from`.
pub(crate) fn find_begin(buf: &[u8], from: usize) -> Option<usize> {
    let hay = buf.get(from..)?;
    memchr::memmem::find(hay, BEGIN).map(|i| i + from)
}

/// Frames the message at the start of `buf`.
pub(crate) fn frame(buf: &[u8], max_len: usize) -> Framed {
    let garbled = |error: String| Framed::Garbled {
        skip: find_begin(buf, 1).unwrap_or(buf.len()),
        error,
    };
    // 8=FIX.4.4<SOH>9=
    let Some(soh) = memchr::memchr(0x01, buf) else {
        return if buf.len() > 32 {
            garbled("BeginString (8) not terminated".into())
        } else {
            Framed::Incomplete
        };
    };
    let rest = &buf[soh + 1..];
    if rest.len() < 2 {
        return Framed::Incomplete;
    }
    if !rest.starts_with(b"9=") {
        return garbled("BodyLength (9) is not the second field".into());
    }
    let digits = &rest[2..];
    let Some(end) = digits.iter().position(|b| !b.is_ascii_digit()) else {
        return if digits.len() > 10 {
            garbled("BodyLength (9) is not a number".into())
        } else {
            Framed::Incomplete
        };
    };
    if end == 0 || end > 9 || digits[end] != 0x01 {
        return garbled("BodyLength (9) is not a number".into());
    }
    let body_len: usize = digits[..end]
        .iter()
        .fold(0, |v, &b| v * 10 + usize::from(b - b'0'));
    let body_start = soh + 1 + 2 + end + 1;
    let total = body_start + body_len + 7;
    if total > max_len {
        return garbled(format!(
            "BodyLength {body_len} exceeds the {max_len}-byte limit"
        ));
    }
    let Some(msg) = buf.get(..total) else {
        return Framed::Incomplete;
    };
    let trailer = &msg[body_start + body_len..];
    if !trailer.starts_with(b"10=") || trailer[6] != 0x01 {
        return garbled(format!(
            "CheckSum (10) not found where BodyLength {body_len} says it ends"
        ));
    }
    let declared = &trailer[3..6];
    let sum = msg[..body_start + body_len]
        .iter()
        .fold(0u8, |s, &b| s.wrapping_add(b));
    if !declared.iter().all(u8::is_ascii_digit)
        || declared
            .iter()
            .fold(0u32, |v, &b| v * 10 + u32::from(b - b'0'))
            != u32::from(sum)
    {
        return Framed::Garbled {
            skip: total,
            error: format!(
                "CheckSum (10) is {}, computed {sum:03}",
                String::from_utf8_lossy(declared)
            ),
        };
    }
    Framed::Complete(total)
}
