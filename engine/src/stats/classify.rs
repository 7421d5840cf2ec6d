//! Just enough of the outbound bytes to count them: each message's length
//! and PossDupFlag, found by a bounded scan of what an event queued (no
//! parser, no allocation). What the messages mean (rejects, resend
//! requests, gaps) comes from the session's events.

const SOH: u8 = 0x01;

/// What the counters need of one message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Kind {
    /// Bytes of the message.
    pub len: usize,
    /// PossDupFlag (43) is Y.
    pub poss_dup: bool,
}

/// Finds PossDupFlag=Y in a body (built once per writer: building a
/// searcher costs more than a search).
pub(crate) type PossDupFinder = memchr::memmem::Finder<'static>;

/// A [`PossDupFinder`].
pub(crate) fn poss_dup_finder() -> PossDupFinder {
    memchr::memmem::Finder::new(b"\x0143=Y\x01")
}

/// The message at the start of `buf` (`8=..|9=N|` + N bytes + `10=nnn|`),
/// or `None` if `buf` does not start with one. PossDupFlag is only looked
/// for with `poss_dup` (a scan of the body).
pub(crate) fn first(buf: &[u8], poss_dup: Option<&PossDupFinder>) -> Option<Kind> {
    let first_soh = buf.iter().position(|&b| b == SOH)?;
    let rest = buf.get(first_soh + 1..)?;
    let digits = rest.strip_prefix(b"9=")?;
    let mut body_len: usize = 0;
    let mut n = 0;
    for &b in digits.iter().take(8) {
        if b == SOH {
            break;
        }
        if !b.is_ascii_digit() {
            return None;
        }
        body_len = body_len * 10 + usize::from(b - b'0');
        n += 1;
    }
    if n == 0 {
        return None;
    }
    let body_start = first_soh + 1 + 2 + n + 1;
    let len = body_start + body_len + 7;
    let msg = buf.get(..len)?;
    let body = msg.get(body_start..body_start + body_len)?;
    Some(Kind {
        len,
        poss_dup: poss_dup.is_some_and(|f| f.find(body).is_some()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(body: &str) -> Vec<u8> {
        let body = body.replace('|', "\x01");
        let mut m = format!("8=FIX.4.4\x019={}\x01{body}", body.len()).into_bytes();
        m.extend_from_slice(b"10=000\x01");
        m
    }

    #[test]
    fn finds_length_and_possdup() {
        let m = msg("35=2|34=5|49=A|56=B|7=1|16=0|");
        let k = first(&m, Some(&poss_dup_finder())).unwrap();
        assert_eq!(k.len, m.len());
        assert!(!k.poss_dup);
        let dup = msg("35=D|34=7|43=Y|");
        assert!(first(&dup, Some(&poss_dup_finder())).unwrap().poss_dup);
        assert!(!first(&dup, None).unwrap().poss_dup);

        let mut two = msg("35=D|34=7|43=Y|49=A|56=B|");
        let second = msg("35=j|34=8|");
        two.extend_from_slice(&second);
        let k = first(&two, Some(&poss_dup_finder())).unwrap();
        assert!(k.poss_dup);
        let k2 = first(two.get(k.len..).unwrap(), Some(&poss_dup_finder())).unwrap();
        assert!(!k2.poss_dup);
        assert_eq!(k.len + k2.len, two.len());
    }

    #[test]
    fn rejects_what_is_not_a_message() {
        assert_eq!(first(b"", Some(&poss_dup_finder())), None);
        assert_eq!(
            first(b"8=FIX.4.4\x019=x\x01", Some(&poss_dup_finder())),
            None
        );
        assert_eq!(
            first(b"8=FIX.4.4\x019=100\x0135=0\x01", Some(&poss_dup_finder())),
            None
        );
    }
}
