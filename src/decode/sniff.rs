//! Input format detection from the first bytes (magic numbers, then content).

use std::io::{Cursor, Read};

use super::framing::find_begin;
use super::{DecodeError, Format};

/// How much is read up front to decide.
const PEEK: usize = 64 << 10;

/// Input with its sniffed prefix put back in front.
pub(crate) type Peeked<R> = std::io::Chain<Cursor<Vec<u8>>, R>;

/// Reads up to [`PEEK`] bytes, decides the format, and returns the whole input again.
pub(crate) fn sniff<R: Read>(mut input: R) -> Result<(Format, Peeked<R>), DecodeError> {
    let mut head = Vec::with_capacity(PEEK);
    (&mut input).take(PEEK as u64).read_to_end(&mut head)?;
    if head.is_empty() {
        return Err(DecodeError::Unreadable("empty input".into()));
    }
    let format = detect(&head);
    Ok((format, Cursor::new(head).chain(input)))
}

/// The format of an input starting with `head`.
pub(crate) fn detect(head: &[u8]) -> Format {
    match head.get(..4) {
        Some([0xd4, 0xc3, 0xb2, 0xa1])
        | Some([0xa1, 0xb2, 0xc3, 0xd4])
        | Some([0x4d, 0x3c, 0xb2, 0xa1])
        | Some([0xa1, 0xb2, 0x3c, 0x4d]) => return Format::Pcap,
        Some([0x0a, 0x0d, 0x0d, 0x0a]) => return Format::PcapNg,
        _ => {}
    }
    if head.starts_with(super::journal::MAGIC) {
        return Format::Journal;
    }
    let Some(first) = find_begin(head, 0) else {
        // No FIX in sight: text is read line by line (each bad line reported),
        // binary as a raw stream (skipped bytes reported).
        let binary = head
            .iter()
            .any(|&b| b == 0 || (b < 0x20 && !b"\t\r\n\x01".contains(&b)));
        return if binary { Format::Raw } else { Format::Log };
    };
    let line_start = head[..first]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let prefix = &head[line_start..first];
    if !prefix.iter().all(u8::is_ascii_whitespace) {
        // A timestamp or other text before the message: a log.
        return Format::Log;
    }
    let rest = &head[first..];
    let line = match memchr::memchr(b'\n', rest) {
        Some(end) => &rest[..end],
        None => rest,
    };
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if !line.contains(&0x01) {
        // `8=FIX.4.4|9=…`: shown with a visible separator, one per line.
        return Format::Log;
    }
    // Messages ending their lines are a log without prefixes; otherwise back to back.
    let ends_line = line.len() >= 7
        && line[line.len() - 7..].starts_with(b"10=")
        && line.ends_with(&[0x01])
        && rest.len() > line.len();
    if ends_line {
        Format::Log
    } else {
        Format::Raw
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MSG: &[u8] = b"8=FIX.4.4\x019=5\x0135=0\x0110=000\x01";

    #[test]
    fn magic_numbers() {
        assert_eq!(detect(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]), Format::Pcap);
        assert_eq!(detect(&[0x4d, 0x3c, 0xb2, 0xa1, 2, 0]), Format::Pcap);
        assert_eq!(detect(&[0xa1, 0xb2, 0xc3, 0xd4, 0, 2]), Format::Pcap);
        assert_eq!(detect(&[0x0a, 0x0d, 0x0d, 0x0a, 0, 0]), Format::PcapNg);
        assert_eq!(detect(b"RFXJRNL1\x01\0\0\0"), Format::Journal);
    }

    #[test]
    fn text_kinds() {
        let mut raw = MSG.to_vec();
        raw.extend_from_slice(MSG);
        assert_eq!(detect(&raw), Format::Raw);
        let mut lines = MSG.to_vec();
        lines.push(b'\n');
        lines.extend_from_slice(MSG);
        assert_eq!(detect(&lines), Format::Log);
        let mut filelog = b"20240102-03:04:05.678 : ".to_vec();
        filelog.extend_from_slice(MSG);
        assert_eq!(detect(&filelog), Format::Log);
        assert_eq!(detect(b"8=FIX.4.4|9=5|35=0|10=000|\n"), Format::Log);
        assert_eq!(detect(b"hello world\n"), Format::Log);
        assert_eq!(detect(&[0, 1, 2, 3, 4, 5]), Format::Raw);
    }
}
