//! Input format detection from the first bytes (magic numbers, then content).

use std::io::{Cursor, Read};

use super::framing::find_begin;
use super::{DecodeError, Format};

/// How much is read up front to decide.
const PEEK: usize = 64 << 10;

/// Input with its sniffed prefix put back in front.
pub(crate) type Peeked<R> = std::io::Chain<Cursor<Vec<u8>>, R>;

/// Reads just enough to decide (at most [`PEEK`] bytes, so a live pipe such
/// as `tcpdump -w - | ringfix decode -` starts at once), and returns the
/// format with the whole input.
pub(crate) fn sniff<R: Read>(mut input: R) -> Result<(Format, Peeked<R>), DecodeError> {
    let mut head = Vec::new();
    let mut chunk = vec![0u8; 8 << 10];
    let format = loop {
        if head.len() >= PEEK || conclusive(&head) {
            break detect(&head);
        }
        let want = chunk.len().min(PEEK - head.len());
        let n = match input.read(&mut chunk[..want]) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e.into()),
        };
        if n == 0 {
            if head.is_empty() {
                return Err(DecodeError::Unreadable("empty input".into()));
            }
            break detect(&head);
        }
        head.extend_from_slice(&chunk[..n]);
    };
    Ok((format, Cursor::new(head).chain(input)))
}

/// Whether more bytes could not change what [`detect`] says about `head`.
fn conclusive(head: &[u8]) -> bool {
    if head.len() < 4 {
        return false;
    }
    if head.len() < 8 && super::journal::MAGIC.starts_with(head) {
        return false;
    }
    match detect(head) {
        // The reader needs the whole file header up front.
        Format::Pcap => return head.len() >= 24,
        Format::PcapNg => {
            let len = match head.get(8..12) {
                Some([0x1a, 0x2b, 0x3c, 0x4d]) => head
                    .get(4..8)
                    .map(|b| [b[0], b[1], b[2], b[3]])
                    .map(u32::from_be_bytes),
                Some(_) => head
                    .get(4..8)
                    .map(|b| [b[0], b[1], b[2], b[3]])
                    .map(u32::from_le_bytes),
                None => None,
            };
            return len.is_some_and(|l| head.len() >= l as usize);
        }
        Format::Journal => return true,
        Format::Log | Format::Raw => {}
    }
    if head.contains(&0) {
        return true;
    }
    let Some(first) = find_begin(head, 0) else {
        // A whole line of text without FIX: a log.
        return memchr::memchr(b'\n', head).is_some();
    };
    let line_start = head[..first]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    if !head[line_start..first].iter().all(u8::is_ascii_whitespace) {
        return true;
    }
    // A message at the start of a line: its line end, or the byte after it, decides.
    let rest = &head[first..];
    if memchr::memchr(b'\n', rest).is_some() {
        return true;
    }
    matches!(ringfix_codec::frame(rest, rest.len()), ringfix_codec::Frame::Complete(len) if rest.len() > len)
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
    // NUL bytes or control bytes before the first message: binary, not a log.
    let binary = |b: &u8| *b < 0x20 && !b"\t\r\n".contains(b);
    if head.contains(&0) || prefix.iter().any(binary) {
        return Format::Raw;
    }
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

    const MSG: &[u8] = b"8=FIX.4.4\x019=5\x0135=0\x0110=163\x01";

    #[test]
    fn magic_numbers() {
        assert_eq!(detect(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]), Format::Pcap);
        assert_eq!(detect(&[0x4d, 0x3c, 0xb2, 0xa1, 2, 0]), Format::Pcap);
        assert_eq!(detect(&[0xa1, 0xb2, 0xc3, 0xd4, 0, 2]), Format::Pcap);
        assert_eq!(detect(&[0x0a, 0x0d, 0x0d, 0x0a, 0, 0]), Format::PcapNg);
        assert_eq!(detect(b"RFXJRNL1\x01\0\0\0"), Format::Journal);
    }

    #[test]
    fn decides_without_reading_everything() {
        assert!(!conclusive(&[0xd4, 0xc3, 0xb2, 0xa1]));
        assert!(conclusive(&[
            0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0
        ]));
        let mut shb = vec![0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d, 0x3c, 0x2b, 0x1a];
        assert!(!conclusive(&shb));
        shb.resize(28, 0);
        assert!(conclusive(&shb));
        assert!(!conclusive(b"RFXJ"));
        assert!(conclusive(b"RFXJRNL1"));
        assert!(!conclusive(b"2023"));
        assert!(conclusive(b"20231114-22:13:20.123 : 8=FIX"));
        assert!(!conclusive(b"20231114-22:13:20.123 : 8=FI"));
        assert!(!conclusive(MSG));
        let mut two = MSG.to_vec();
        two.push(b'8');
        assert!(conclusive(&two));
        assert!(conclusive(b"hello\n"));
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
        let mut junk_first = b"\x00\x17\x03".to_vec();
        junk_first.extend_from_slice(MSG);
        assert_eq!(detect(&junk_first), Format::Raw);
    }
}
