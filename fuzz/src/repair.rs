//! Rewrites BodyLength and CheckSum of every message-like segment of a
//! byte stream, so that mutated seeds still reach the session instead of
//! dying in the framer (the stream target does this for half its inputs).

use ringfix_codec::SOH;

/// Starts of segments: `8=` at the start or right after a SOH.
fn starts(stream: &[u8]) -> Vec<usize> {
    let mut v = Vec::new();
    for i in 0..stream.len() {
        if stream[i..].starts_with(b"8=") && (i == 0 || stream[i - 1] == SOH) {
            v.push(i);
        }
    }
    v
}

/// Each segment `8=...` up to the next one is rebuilt as
/// `8=...|9=<len>|<fields except 9 and 10>|10=<sum>|`; bytes before the
/// first segment are kept as they are.
pub fn repair(stream: &[u8]) -> Vec<u8> {
    let starts = starts(stream);
    let Some(&first) = starts.first() else {
        return stream.to_vec();
    };
    let mut out = stream[..first].to_vec();
    for (i, &s) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(stream.len());
        rebuild(&stream[s..end], &mut out);
    }
    out
}

fn rebuild(seg: &[u8], out: &mut Vec<u8>) {
    let mut fields = seg.split(|&b| b == SOH).filter(|f| !f.is_empty());
    let Some(begin) = fields.next() else { return };
    let mut body = Vec::with_capacity(seg.len());
    for f in fields {
        if f.starts_with(b"9=") || f.starts_with(b"10=") {
            continue;
        }
        body.extend_from_slice(f);
        body.push(SOH);
    }
    let start = out.len();
    out.extend_from_slice(begin);
    out.push(SOH);
    out.extend_from_slice(format!("9={}", body.len()).as_bytes());
    out.push(SOH);
    out.extend_from_slice(&body);
    let sum = out[start..].iter().fold(0u8, |a, &b| a.wrapping_add(b));
    out.extend_from_slice(format!("10={sum:03}").as_bytes());
    out.push(SOH);
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringfix_codec::{frame, Frame};

    #[test]
    fn repaired_messages_frame() {
        let s =
            b"junk\x018=FIX.4.4\x019=1\x0135=0\x0134=1\x0110=000\x018=FIX.4.4\x0135=1\x01112=X\x01";
        let r = repair(s);
        assert!(r.starts_with(b"junk\x01"));
        let a = match frame(&r[5..], 4096) {
            Frame::Complete(n) => n,
            f => panic!("{f:?}"),
        };
        assert_eq!(frame(&r[5 + a..], 4096), Frame::Complete(r.len() - 5 - a));
    }
}
