//! The replication stream's frames: `[u32 length][u8 kind][fields]`, all
//! integers little-endian, strings and message bytes length-prefixed.
//!
//! Leader -> standby: `Hello`, `Join` (start streaming a session with this
//! fencing token), records (`Append`, `SenderSeq`, `TargetSeq`, `Reset`,
//! each with the token, a record id and the cumulative byte count; record
//! id 0 for catch-up records, which are not acknowledged one by one) and
//! `Synced` (the standby now holds everything up to a record id).
//! Standby -> leader: `HelloAck`, `State` (what it holds of a session, the
//! answer to `Join`), `Ack` and `Refuse` (a stale token, or a session this
//! node leads or does not know).

use std::io::{self, Read, Write};

/// Largest frame accepted (a FIX message is far smaller).
pub const MAX_FRAME: usize = 16 << 20;

/// Record kinds (the part of a frame a standby applies to its store).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RecordKind {
    /// An outbound message stored with MsgSeqNum `value`.
    Append,
    /// Next sender sequence number = `value`.
    SenderSeq,
    /// Next target sequence number = `value`.
    TargetSeq,
    /// The store was reset; `value` is the new creation time (ns).
    Reset,
}

/// One decoded frame (borrowing message bytes from the read buffer).
#[derive(Debug, PartialEq, Eq)]
pub enum Frame<'a> {
    /// First frame of a stream: the leader's node name.
    Hello(&'a str),
    /// The standby's node name.
    HelloAck(&'a str),
    /// Start streaming session `sid` (the leader's index) named `name`.
    Join { sid: u32, token: u64, name: &'a str },
    /// The standby's store of `sid`: creation time, sequence numbers and
    /// the highest stored sequence number (0: none).
    State {
        sid: u32,
        creation: i64,
        next_sender: u64,
        next_target: u64,
        max_seq: u64,
    },
    /// A record.
    Record {
        sid: u32,
        kind: RecordKind,
        token: u64,
        rid: u64,
        cum: u64,
        value: u64,
        bytes: &'a [u8],
    },
    /// Catch-up done: the standby holds every record up to `rid`.
    Synced {
        sid: u32,
        token: u64,
        rid: u64,
        cum: u64,
    },
    /// The standby holds every record of `sid` up to `rid` (`cum` bytes)
    /// of the leader with `token` (an acknowledgement from an earlier
    /// term says nothing about this one).
    Ack {
        sid: u32,
        token: u64,
        rid: u64,
        cum: u64,
    },
    /// The standby will not take `sid` from this leader.
    Refuse { sid: u32, reason: &'a str },
}

const HELLO: u8 = 1;
const HELLO_ACK: u8 = 2;
const JOIN: u8 = 3;
const STATE: u8 = 4;
const RECORD: u8 = 5;
const SYNCED: u8 = 6;
const ACK: u8 = 7;
const REFUSE: u8 = 8;

fn kind_code(k: RecordKind) -> u8 {
    match k {
        RecordKind::Append => 1,
        RecordKind::SenderSeq => 2,
        RecordKind::TargetSeq => 3,
        RecordKind::Reset => 4,
    }
}

fn kind_of(c: u8) -> Option<RecordKind> {
    Some(match c {
        1 => RecordKind::Append,
        2 => RecordKind::SenderSeq,
        3 => RecordKind::TargetSeq,
        4 => RecordKind::Reset,
        _ => return None,
    })
}

/// Appends one frame to `out`.
pub fn encode(out: &mut Vec<u8>, frame: &Frame<'_>) {
    let start = out.len();
    out.extend_from_slice(&[0; 4]);
    let u32_ = |o: &mut Vec<u8>, v: u32| o.extend_from_slice(&v.to_le_bytes());
    let u64_ = |o: &mut Vec<u8>, v: u64| o.extend_from_slice(&v.to_le_bytes());
    let blob = |o: &mut Vec<u8>, b: &[u8]| {
        o.extend_from_slice(&(b.len() as u32).to_le_bytes());
        o.extend_from_slice(b);
    };
    match *frame {
        Frame::Hello(name) => {
            out.push(HELLO);
            blob(out, name.as_bytes());
        }
        Frame::HelloAck(name) => {
            out.push(HELLO_ACK);
            blob(out, name.as_bytes());
        }
        Frame::Join { sid, token, name } => {
            out.push(JOIN);
            u32_(out, sid);
            u64_(out, token);
            blob(out, name.as_bytes());
        }
        Frame::State {
            sid,
            creation,
            next_sender,
            next_target,
            max_seq,
        } => {
            out.push(STATE);
            u32_(out, sid);
            u64_(out, creation as u64);
            u64_(out, next_sender);
            u64_(out, next_target);
            u64_(out, max_seq);
        }
        Frame::Record {
            sid,
            kind,
            token,
            rid,
            cum,
            value,
            bytes,
        } => {
            out.push(RECORD);
            out.push(kind_code(kind));
            u32_(out, sid);
            u64_(out, token);
            u64_(out, rid);
            u64_(out, cum);
            u64_(out, value);
            blob(out, bytes);
        }
        Frame::Synced {
            sid,
            token,
            rid,
            cum,
        } => {
            out.push(SYNCED);
            u32_(out, sid);
            u64_(out, token);
            u64_(out, rid);
            u64_(out, cum);
        }
        Frame::Ack {
            sid,
            token,
            rid,
            cum,
        } => {
            out.push(ACK);
            u32_(out, sid);
            u64_(out, token);
            u64_(out, rid);
            u64_(out, cum);
        }
        Frame::Refuse { sid, reason } => {
            out.push(REFUSE);
            u32_(out, sid);
            blob(out, reason.as_bytes());
        }
    }
    let len = (out.len() - start - 4) as u32;
    out[start..start + 4].copy_from_slice(&len.to_le_bytes());
}

/// Writes one frame.
pub fn write(w: &mut impl Write, scratch: &mut Vec<u8>, frame: &Frame<'_>) -> io::Result<()> {
    scratch.clear();
    encode(scratch, frame);
    w.write_all(scratch)
}

/// Reads one frame body into `buf` (reused), returning it undecoded.
pub fn read_body(r: &mut impl Read, buf: &mut Vec<u8>) -> io::Result<()> {
    let mut len = [0; 4];
    r.read_exact(&mut len)?;
    let len = u32::from_le_bytes(len) as usize;
    if len == 0 || len > MAX_FRAME {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("replication frame of {len} bytes"),
        ));
    }
    buf.resize(len, 0);
    r.read_exact(buf)
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }
    fn u8(&mut self) -> Option<u8> {
        self.take(1).map(|b| b[0])
    }
    fn u32(&mut self) -> Option<u32> {
        self.take(4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_le_bytes)
    }
    fn u64(&mut self) -> Option<u64> {
        self.take(8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_le_bytes)
    }
    fn blob(&mut self) -> Option<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }
    fn text(&mut self) -> Option<&'a str> {
        std::str::from_utf8(self.blob()?).ok()
    }
}

/// Decodes a frame body read by [`read_body`].
pub fn decode(body: &[u8]) -> io::Result<Frame<'_>> {
    let mut c = Cursor(body);
    let frame = (|| {
        Some(match c.u8()? {
            HELLO => Frame::Hello(c.text()?),
            HELLO_ACK => Frame::HelloAck(c.text()?),
            JOIN => Frame::Join {
                sid: c.u32()?,
                token: c.u64()?,
                name: c.text()?,
            },
            STATE => Frame::State {
                sid: c.u32()?,
                creation: c.u64()? as i64,
                next_sender: c.u64()?,
                next_target: c.u64()?,
                max_seq: c.u64()?,
            },
            RECORD => Frame::Record {
                kind: kind_of(c.u8()?)?,
                sid: c.u32()?,
                token: c.u64()?,
                rid: c.u64()?,
                cum: c.u64()?,
                value: c.u64()?,
                bytes: c.blob()?,
            },
            SYNCED => Frame::Synced {
                sid: c.u32()?,
                token: c.u64()?,
                rid: c.u64()?,
                cum: c.u64()?,
            },
            ACK => Frame::Ack {
                sid: c.u32()?,
                token: c.u64()?,
                rid: c.u64()?,
                cum: c.u64()?,
            },
            REFUSE => Frame::Refuse {
                sid: c.u32()?,
                reason: c.text()?,
            },
            _ => return None,
        })
    })();
    match frame {
        Some(f) if c.0.is_empty() => Ok(f),
        _ => Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "malformed replication frame",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_frame_round_trips_and_damage_is_an_error() {
        let frames = [
            Frame::Hello("a"),
            Frame::HelloAck("node-b"),
            Frame::Join {
                sid: 3,
                token: 99,
                name: "FIX.4.4:A->B",
            },
            Frame::State {
                sid: 1,
                creation: -5,
                next_sender: 10,
                next_target: 20,
                max_seq: 9,
            },
            Frame::Record {
                sid: 2,
                kind: RecordKind::Append,
                token: 7,
                rid: 8,
                cum: 100,
                value: 42,
                bytes: b"8=FIX.4.4\x01",
            },
            Frame::Record {
                sid: 2,
                kind: RecordKind::Reset,
                token: 7,
                rid: 0,
                cum: 0,
                value: 1,
                bytes: b"",
            },
            Frame::Synced {
                sid: 0,
                token: 1,
                rid: 2,
                cum: 3,
            },
            Frame::Ack {
                sid: 4,
                token: 9,
                rid: 5,
                cum: 6,
            },
            Frame::Refuse {
                sid: 4,
                reason: "stale token",
            },
        ];
        let mut stream = Vec::new();
        for f in &frames {
            encode(&mut stream, f);
        }
        let mut r = &stream[..];
        let mut body = Vec::new();
        for f in &frames {
            read_body(&mut r, &mut body).unwrap();
            assert_eq!(&decode(&body).unwrap(), f);
            // Any truncation of the body is rejected, never misread.
            for cut in 0..body.len() {
                assert!(decode(&body[..cut]).is_err());
            }
        }
        assert!(r.is_empty());
        let huge = ((MAX_FRAME + 1) as u32).to_le_bytes();
        assert!(read_body(&mut &huge[..], &mut body).is_err());
    }
}
