//! The seam between generated message types and whoever sends them.
//!
//! A generated builder (e.g. `fix44::NewOrderSingle`'s) writes its body
//! fields into a [`Draft`]: the owner of the draft has written the header
//! and completes the message on [`Draft::send`]. The session's send path
//! implements `Draft` over its outbound buffer; [`VecDraft`] implements it
//! over a plain `Vec<u8>` (tests, benches, tools).
//!
//! Beside the seam, the run-time support generated code is written
//! against (users rarely name these): reading ([`FieldSource`],
//! [`FromWire`], [`Enumerated`], static [`GroupSpec`]s, [`Entries`] of a
//! group, [`Multi`] values) and writing ([`Sink`], the typestate markers
//! [`Set`] and [`Unset`], [`GroupState`] for a group whose NumInGroup is the
//! number of entries added, [`EntryError`], and [`Extra`] for fields the
//! dictionary does not name).
//!
//! ```
//! use ringfix_codec::typed::{Draft, VecDraft};
//!
//! let mut out = Vec::new();
//! let mut draft = VecDraft::new(&mut out, b"FIX.4.4", b"0");
//! draft.encoder().bytes(112, b"TEST1");
//! let range = draft.send();
//! assert_eq!(&out[range], b"8=FIX.4.4\x019=15\x0135=0\x01112=TEST1\x0110=023\x01");
//! ```

use std::ops::Range;

use crate::Encoder;

mod build;
mod view;

pub use build::{
    put_bool, put_bytes, put_char, put_data, put_decimal, put_enum, put_int, put_stamp, put_uint,
    put_values, EntryError, Extra, GroupState, Set, Sink, Stamp, Unset,
};
pub use view::{
    top_level_position, Entries, Entry, Enumerated, FieldSource, FromWire, GroupSpec, Multi, Span,
};

/// Where a typed builder writes its body fields.
pub trait Draft<'b> {
    /// What sending returns (a MsgSeqNum, a ticket...).
    type Sent;
    /// The encoder, positioned in the body (the owner wrote the header).
    fn encoder(&mut self) -> &mut Encoder<'b>;
    /// Completes and sends the message.
    fn send(self) -> Self::Sent;
}

/// Implemented by each generated message marker type (e.g. `fix44::NewOrderSingle`).
pub trait Build {
    /// The MsgType (35) value.
    const MSG_TYPE: &'static [u8];
    /// The FIX version whose dictionary defines the message.
    const VERSION: crate::dict::Version;
    /// The builder with no field set yet.
    type Empty<'b, D: Draft<'b>>;
    /// Starts the builder over a draft whose header is written.
    fn empty<'b, D: Draft<'b>>(draft: D) -> Self::Empty<'b, D>;
}

/// A [`Draft`] over a plain `Vec<u8>`: [`VecDraft::new`] writes the header
/// with [`Encoder::new`], [`Draft::send`] is [`Encoder::finish`] and
/// returns the message's range in the buffer. Dropped unsent, it removes
/// its partial message from the buffer.
#[derive(Debug)]
pub struct VecDraft<'b> {
    encoder: Encoder<'b>,
    sent: bool,
}

impl<'b> VecDraft<'b> {
    /// Starts a message at the end of `buf`: `8=`, BodyLength's placeholder, `35=`.
    #[inline(always)]
    pub fn new(buf: &'b mut Vec<u8>, begin_string: &[u8], msg_type: &[u8]) -> Self {
        VecDraft {
            encoder: Encoder::new(buf, begin_string, msg_type),
            sent: false,
        }
    }

    /// A builder of message `M` over a new draft at the end of `buf`.
    #[inline(always)]
    pub fn build<M: Build>(buf: &'b mut Vec<u8>, begin_string: &[u8]) -> M::Empty<'b, Self> {
        M::empty(VecDraft::new(buf, begin_string, M::MSG_TYPE))
    }
}

impl<'b> Draft<'b> for VecDraft<'b> {
    type Sent = Range<usize>;

    #[inline(always)]
    fn encoder(&mut self) -> &mut Encoder<'b> {
        &mut self.encoder
    }

    #[inline(always)]
    fn send(mut self) -> Range<usize> {
        self.sent = true;
        self.encoder.finish_in_place()
    }
}

impl Drop for VecDraft<'_> {
    #[inline(always)]
    fn drop(&mut self) {
        if !self.sent {
            self.encoder.rollback();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Parser;

    #[test]
    fn vec_draft_sends_and_rolls_back() {
        let mut out = b"previous".to_vec();
        {
            let mut d = VecDraft::new(&mut out, b"FIX.4.4", b"D");
            d.encoder().bytes(11, b"A");
        }
        assert_eq!(out, b"previous", "an unsent draft leaves nothing");
        let mut d = VecDraft::new(&mut out, b"FIX.4.4", b"D");
        d.encoder().bytes(11, b"A");
        let r = d.send();
        assert_eq!(r.start, 8);
        let mut p = Parser::new();
        let v = p.parse(&out[r]).unwrap();
        assert_eq!(v.get(11), Some(&b"A"[..]));
    }

    #[test]
    fn body_encoder_writes_fields_only() {
        let mut out = b"x".to_vec();
        let mut e = Encoder::body(&mut out);
        assert!(e.is_body_only());
        e.bytes(11, b"A").uint(38, 100);
        assert_eq!(e.body_len(), 12);
        let r = e.finish();
        assert_eq!(&out[r], b"11=A\x0138=100\x01");
    }

    static SUB: GroupSpec = GroupSpec {
        count_tag: 802,
        delimiter: 523,
        members: &[523, 803],
        nested: &[],
    };
    static PARTIES: GroupSpec = GroupSpec {
        count_tag: 453,
        delimiter: 448,
        members: &[448, 447, 452, 802],
        nested: &[&SUB],
    };

    struct Party<'a>(Span<'a>);
    impl<'a> Entry<'a> for Party<'a> {
        fn from_span(span: Span<'a>) -> Self {
            Party(span)
        }
    }
    impl<'a> FieldSource<'a> for Party<'a> {
        fn message(&self) -> crate::MessageView<'a> {
            self.0.message()
        }
        fn position_of(&self, tag: crate::Tag) -> Option<usize> {
            self.0.position_of(tag)
        }
    }

    struct Body<'a>(crate::MessageView<'a>);
    impl<'a> FieldSource<'a> for Body<'a> {
        fn message(&self) -> crate::MessageView<'a> {
            self.0
        }
        fn position_of(&self, tag: crate::Tag) -> Option<usize> {
            top_level_position(&self.0, &[&PARTIES], tag)
        }
    }

    static OBLIGATIONS: GroupSpec = GroupSpec {
        count_tag: 40209,
        delimiter: 40210,
        members: &[40210, 40211],
        nested: &[],
    };
    static TERMS: GroupSpec = GroupSpec {
        count_tag: 40204,
        delimiter: 40209,
        members: &[40209, 40205],
        nested: &[&OBLIGATIONS],
    };

    #[test]
    fn an_entry_that_begins_with_a_nested_group_keeps_its_later_fields() {
        let mut out = Vec::new();
        let mut d = VecDraft::new(&mut out, b"FIX.4.4", b"8");
        let e = d.encoder();
        e.int(40204, 2);
        e.int(40209, 2).int(40210, 1).int(40211, 2).int(40210, 3);
        e.bytes(40205, b"EUR");
        e.int(40209, 0).bytes(40205, b"USD");
        e.bytes(58, b"after");
        let r = d.send();
        let mut p = Parser::new();
        let v = p.parse(&out[r]).unwrap();
        let count = top_level_position(&v, &[&TERMS], 40204).unwrap();
        let terms: Vec<Party<'_>> = Entries::at(v, &TERMS, count).unwrap().collect();
        assert_eq!(terms.len(), 2);
        assert_eq!(terms[0].raw(40205), Some(&b"EUR"[..]));
        assert_eq!(terms[1].raw(40205), Some(&b"USD"[..]));
        let obligations: Entries<'_, Party<'_>> = terms[0].group(&OBLIGATIONS).unwrap();
        assert_eq!(obligations.len(), 2);
        assert_eq!(
            v.field(v.len() - 2).map(|f| f.tag),
            Some(58),
            "58 before the trailer"
        );
        assert_eq!(top_level_position(&v, &[&TERMS], 58), Some(v.len() - 2));
    }

    #[test]
    fn groups_count_their_entries_and_read_back() {
        for n in [0u32, 1, 3, 9, 10, 12, 105] {
            let mut out = Vec::new();
            let mut d = VecDraft::new(&mut out, b"FIX.4.4", b"8");
            let e = d.encoder();
            let mut g = GroupState::start(e, 453);
            for i in 0..n {
                g.open();
                e.bytes(448, format!("P{i}").as_bytes());
                g.mark(0b1);
                e.int(452, i64::from(i));
                let mut sub = GroupState::start(e, 802);
                for j in 0..(i % 12) {
                    sub.open();
                    e.bytes(523, format!("S{j}").as_bytes()).int(803, 1);
                    sub.close(0, &[]);
                }
                sub.finish(e).unwrap();
                g.close(0b1, &[448]);
            }
            g.finish(e).unwrap();
            e.bytes(58, b"after");
            let r = d.send();
            let mut p = Parser::new();
            let v = p.parse(&out[r]).unwrap();
            let body = Body(v);
            let parties: Entries<'_, Party<'_>> = body.group(&PARTIES).unwrap();
            assert_eq!(parties.len(), n as usize);
            for (i, party) in parties.enumerate() {
                assert_eq!(party.raw(448), Some(format!("P{i}").as_bytes()));
                assert_eq!(party.req::<i64>(452), Ok(i as i64));
                let subs: Entries<'_, Party<'_>> = party.group(&SUB).unwrap();
                assert_eq!(subs.len(), i % 12);
            }
            assert_eq!(body.raw(58), Some(&b"after"[..]));
            assert_eq!(
                body.opt::<i64>(452),
                Ok(None),
                "group members are not body fields"
            );
        }
    }

    #[test]
    fn a_missing_required_member_is_reported_when_the_group_ends() {
        let mut out = Vec::new();
        let mut e = Encoder::body(&mut out);
        let mut g = GroupState::start(&mut e, 453);
        for have in [0b11, 0b01, 0b00] {
            g.open();
            g.mark(have);
            g.close(0b11, &[448, 452]);
        }
        let err = g.finish(&mut e).unwrap_err();
        assert_eq!(
            err,
            EntryError {
                count_tag: 453,
                entry: 1,
                tag: 452
            }
        );
        assert_eq!(e.finish(), 0..6);
        assert_eq!(out, b"453=3\x01");
    }
}
