//! Frame checks a session may switch off (QuickFIX C++
//! `ValidateLengthAndChecksum`, QuickFIX/J `ValidateChecksum`): framing
//! and parsing that accept a wrong CheckSum, or that find a message's end
//! as QuickFIX's framer does when BodyLength is wrong.

use crate::error::{FrameError, ParseError};
use crate::frame::{checksum, frame, header, trailer, Frame, HeaderResult, TRAILER_LEN};
use crate::{MessageView, Parser};

/// Which of the frame's own checks apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameChecks {
    /// The trailer must be where BodyLength (9) says.
    pub body_length: bool,
    /// CheckSum (10) must equal the byte sum.
    pub checksum: bool,
}

impl FrameChecks {
    /// Every check: what [`frame`] and [`Parser::parse_framed`] do.
    pub const ALL: FrameChecks = FrameChecks {
        body_length: true,
        checksum: true,
    };

    /// True when every check applies.
    pub fn all(self) -> bool {
        self.body_length && self.checksum
    }

    /// The checks `other` leaves off, also off here: one framer for
    /// connections that may turn out to belong to either.
    pub fn union_lenient(self, other: FrameChecks) -> FrameChecks {
        FrameChecks {
            body_length: self.body_length && other.body_length,
            checksum: self.checksum && other.checksum,
        }
    }
}

impl Default for FrameChecks {
    fn default() -> Self {
        Self::ALL
    }
}

/// [`frame`] with some checks off. Without the CheckSum check a frame whose
/// sum is wrong is `Complete`. Without the BodyLength check the message
/// ends at the first `<SOH>10=ddd<SOH>` at or after the end BodyLength
/// claims (QuickFIX's framer): a short BodyLength is forgiven, a long one
/// swallows what follows up to the next trailer. Everything else (header
/// rules, maximum size, resynchronisation) is as in [`frame`].
pub fn frame_with(buf: &[u8], max_len: usize, checks: FrameChecks) -> Frame {
    let f = frame(buf, max_len);
    if checks.all() {
        return f;
    }
    match f {
        Frame::Garbled {
            skip,
            error: FrameError::ChecksumMismatch { .. },
        } if !checks.checksum => Frame::Complete(skip),
        Frame::Garbled {
            skip,
            error: FrameError::BodyLengthMismatch,
        } if !checks.body_length => match buf.get(..skip).and_then(trailer_at_end) {
            Some(found) if checks.checksum => {
                let computed = checksum(buf.get(..skip - TRAILER_LEN).unwrap_or_default());
                if u16::from(computed) == found {
                    Frame::Complete(skip)
                } else {
                    Frame::Garbled {
                        skip,
                        error: FrameError::ChecksumMismatch { computed, found },
                    }
                }
            }
            Some(_) => Frame::Complete(skip),
            None => f,
        },
        other => other,
    }
}

/// The CheckSum value when `msg` ends with `<SOH>10=ddd<SOH>`.
fn trailer_at_end(msg: &[u8]) -> Option<u16> {
    trailer(msg, msg.len().checked_sub(TRAILER_LEN)?)
}

impl Parser {
    /// [`Parser::parse_framed`] for a frame [`frame_with`] returned as
    /// `Complete` under `checks`: without the BodyLength check the body
    /// ends where the frame's trailer starts, whatever BodyLength says.
    pub fn parse_framed_with<'a>(
        &'a mut self,
        msg: &'a [u8],
        checks: FrameChecks,
    ) -> Result<MessageView<'a>, ParseError> {
        if checks.body_length {
            return self.parse_framed(msg);
        }
        let h = match header(msg, self.max_len()) {
            HeaderResult::Ok(h) => h,
            HeaderResult::Incomplete => return Err(ParseError::Truncated),
            HeaderResult::Bad(e) => return Err(e.into()),
        };
        trailer_at_end(msg).ok_or(FrameError::BodyLengthMismatch)?;
        let body_len = msg
            .len()
            .checked_sub(TRAILER_LEN + h.body_start)
            .filter(|&n| n > 0)
            .ok_or(ParseError::Truncated)?;
        self.index(msg, &crate::frame::Header { body_len, ..h })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `fields` (`|` for SOH, no 9/10) framed with BodyLength `len` (None:
    /// the right one) and CheckSum `sum` (None: the right one).
    fn msg(fields: &str, len: Option<usize>, sum: Option<u8>) -> Vec<u8> {
        let fields = fields.replace('|', "\x01");
        let (begin, body) = fields.split_once('\x01').unwrap();
        let body = format!("{body}\x01");
        let len = len.unwrap_or(body.len());
        let mut out = format!("{begin}\x019={len}\x01{body}").into_bytes();
        let right = checksum(&out);
        out.extend_from_slice(format!("10={:03}\x01", sum.unwrap_or(right)).as_bytes());
        out
    }

    const NOS: &str = "8=FIX.4.4|35=D|34=2|49=TW|52=20260101-00:00:00|56=ISLD|11=id|55=X";
    const NO_CHECKSUM: FrameChecks = FrameChecks {
        body_length: true,
        checksum: false,
    };
    const NONE: FrameChecks = FrameChecks {
        body_length: false,
        checksum: false,
    };

    #[test]
    fn wrong_checksum_is_complete_only_without_the_check() {
        let m = msg(NOS, None, Some(1));
        let max = 4096;
        assert!(matches!(
            frame_with(&m, max, FrameChecks::ALL),
            Frame::Garbled {
                error: FrameError::ChecksumMismatch { .. },
                ..
            }
        ));
        assert_eq!(frame_with(&m, max, NO_CHECKSUM), Frame::Complete(m.len()));
        let mut p = Parser::new();
        let v = p.parse_framed_with(&m, NO_CHECKSUM).unwrap();
        assert_eq!(v.get(55), Some(&b"X"[..]));
    }

    #[test]
    fn wrong_body_length_is_framed_at_the_next_trailer() {
        let right = msg(NOS, None, None);
        let body = right.len() - TRAILER_LEN - 17;
        for len in [body - 9, body + 4] {
            let m = msg(NOS, Some(len), None);
            let mut two = m.clone();
            two.extend_from_slice(&right);
            let f = frame_with(&two, 4096, FrameChecks::ALL);
            assert!(matches!(f, Frame::Garbled { .. }), "{f:?}");
            if len < body {
                // QuickFIX's framer: the trailer at or after the claimed end.
                assert_eq!(frame_with(&two, 4096, NONE), Frame::Complete(m.len()));
                let mut p = Parser::new();
                let v = p.parse_framed_with(&m, NONE).unwrap();
                assert_eq!((v.get(11), v.get(55)), (Some(&b"id"[..]), Some(&b"X"[..])));
                assert!(p.parse_framed(&m).is_err());
            } else {
                // Too long: it swallows the next message, as QuickFIX's does.
                assert_eq!(frame_with(&two, 4096, NONE), Frame::Complete(two.len()));
            }
        }
        // The CheckSum is still checked when only BodyLength is off.
        let bad = msg(NOS, Some(body - 9), Some(7));
        let length_only = FrameChecks {
            body_length: false,
            checksum: true,
        };
        assert!(matches!(
            frame_with(&bad, 4096, length_only),
            Frame::Garbled {
                error: FrameError::ChecksumMismatch { .. },
                ..
            }
        ));
        assert_eq!(frame_with(&bad, 4096, NONE), Frame::Complete(bad.len()));
    }

    #[test]
    fn union_keeps_what_both_check() {
        let u = NO_CHECKSUM.union_lenient(FrameChecks::ALL);
        assert_eq!(u, NO_CHECKSUM);
        assert_eq!(u.union_lenient(NONE), NONE);
        assert!(FrameChecks::default().all());
    }
}
