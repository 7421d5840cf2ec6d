//! Parsing in place: header accessors, lookup, typed getters, duplicates,
//! data fields, groups and typed errors on bad input.

use crate::common;
use common::{msg, soh};
use ringfix_codec::{
    Decimal, FieldError, FrameError, GroupError, GroupLayout, ParseError, Parser, UtcTimestamp,
    ValueError, INVALID_TAG,
};

const NOS: &str = "35=D|34=2|49=INIT|52=20261124-10:00:00.000|56=ACC|11=ORD0000000001|21=1|55=MSFT|54=1|60=20261124-10:00:00.000|38=100|40=2|44=123.45|59=0|1=ACCOUNT01|";
const ER: &str = "35=8|34=2|49=Broker|52=20231103-09:30:00|56=Client|11=Order12345|17=Exec12345|150=0|39=0|55=APPL|54=1|38=100|32=50|31=150.00|151=50|14=50|6=150.00|453=2|448=PARTYA|447=D|452=1|802=2|523=SUBPARTYA1|803=1|523=SUBPARTYA2|803=2|448=PARTYB|447=D|452=2|";

fn parties() -> GroupLayout {
    GroupLayout::new(453, 448, [448, 447, 452]).with_nested(GroupLayout::new(802, 523, [523, 803]))
}

#[test]
fn header_accessors_and_typed_getters() {
    let m = msg("FIX.4.4", NOS);
    let mut p = Parser::new();
    let v = p.parse(&m).unwrap();
    assert_eq!(v.begin_string(), b"FIX.4.4");
    assert_eq!(v.body_length().unwrap() as usize, m.len() - 16 - 7);
    assert_eq!(v.msg_type(), b"D");
    assert_eq!(v.msg_seq_num(), Ok(2));
    assert_eq!(v.sender_comp_id(), Some(&b"INIT"[..]));
    assert_eq!(v.target_comp_id(), Some(&b"ACC"[..]));
    assert_eq!(
        v.sending_time().ok(),
        UtcTimestamp::parse(b"20261124-10:00:00.000").ok()
    );
    assert_eq!(v.poss_dup(), Err(FieldError::Missing(43)));
    assert_eq!(v.orig_sending_time(), Err(FieldError::Missing(122)));
    assert_eq!(v.get(11), Some(&b"ORD0000000001"[..]));
    assert_eq!(v.get_char(54), Ok(b'1'));
    assert_eq!(v.get_int(38), Ok(100));
    assert_eq!(v.get_decimal(44), Ok(Decimal::new(12345, 2)));
    assert_eq!(v.get_str(1), Ok("ACCOUNT01"));
    assert_eq!(v.get_timestamp(60), v.sending_time());
    assert_eq!(
        v.get_bool(55),
        Err(FieldError::Invalid {
            tag: 55,
            error: ValueError::Format
        })
    );
    assert_eq!(v.get(9999), None);
    let tags: Vec<u32> = v.fields().map(|f| f.tag).collect();
    assert_eq!(
        tags,
        [8, 9, 35, 34, 49, 52, 56, 11, 21, 55, 54, 60, 38, 40, 44, 59, 1, 10]
    );
    assert_eq!(v.check_sum(), &m[m.len() - 4..m.len() - 1]);
    let f = v.field(7).unwrap();
    assert_eq!((f.tag, f.value, f.position), (11, &b"ORD0000000001"[..], 7));
    assert_eq!(&m[f.offset..f.offset + f.value.len()], f.value);
}

#[test]
fn duplicates_are_kept_in_order() {
    let m = msg("FIX.4.4", "35=0|34=2|49=A|56=B|58=one|58=two|34=9|");
    let mut p = Parser::new();
    let v = p.parse(&m).unwrap();
    assert_eq!(v.get(58), Some(&b"one"[..]));
    assert_eq!(v.get_all(58).collect::<Vec<_>>(), [&b"one"[..], b"two"]);
    assert_eq!(v.msg_seq_num(), Ok(2));
    assert_eq!(v.position(34), Some(3));
    assert_eq!(v.position_from(34, 4), Some(8));
}

#[test]
fn empty_values_zero_and_negative_tags_are_indexed_for_rejects() {
    let m = msg("FIX.4.4", "35=0|34=2|49=A|56=|0=HI|-1=HI|5000=HI|");
    let mut p = Parser::new();
    let v = p.parse(&m).unwrap();
    assert_eq!(v.target_comp_id(), Some(&b""[..]));
    assert_eq!(
        v.get_u64(56),
        Err(FieldError::Invalid {
            tag: 56,
            error: ValueError::Empty
        })
    );
    assert_eq!(v.get(0), Some(&b"HI"[..]));
    let neg = v.fields().find(|f| f.tag == INVALID_TAG).unwrap();
    assert_eq!(v.tag_text(neg.position), Some(&b"-1"[..]));
    assert_eq!(v.tag_text(0), Some(&b"8"[..]));
    assert_eq!(v.get(5000), Some(&b"HI"[..]));
}

#[test]
fn data_fields_may_contain_soh() {
    let m = msg("FIX.4.4", "35=A|34=1|49=A|56=B|95=5|96=a|b=c|98=0|108=30|");
    let mut p = Parser::new();
    let v = p.parse(&m).unwrap();
    assert_eq!(v.get(96), Some(&b"a\x01b=c"[..]));
    assert_eq!(v.get(98), Some(&b"0"[..]));
    // Length longer than the data: typed error, no panic.
    let m = msg("FIX.4.4", "35=A|34=1|95=50|96=abc|");
    assert_eq!(p.parse(&m).err(), Some(ParseError::DataLength { tag: 96 }));
    let m = msg("FIX.4.4", "35=A|34=1|95=2|96=abc|");
    assert_eq!(p.parse(&m).err(), Some(ParseError::DataLength { tag: 96 }));
}

#[test]
fn bad_input_gives_typed_errors() {
    let mut p = Parser::new();
    // Offset of the bad field: after `8=FIX.4.4|9=NN|35=0|`.
    let at = |m: &[u8]| m.windows(5).position(|w| w == b"35=0\x01").unwrap() + 5;
    type At = fn(usize) -> ParseError;
    let cases: Vec<(Vec<u8>, At)> = vec![
        (
            msg("FIX.4.4", "35=0|4garbled9=TW|"),
            ParseError::TagNotNumeric,
        ),
        (msg("FIX.4.4", "35=0|=x|"), ParseError::EmptyTag),
        (msg("FIX.4.4", "35=0|49|"), ParseError::MissingEquals),
        (
            msg("FIX.4.4", "35=0|99999999999=x|"),
            ParseError::TagTooLarge,
        ),
    ];
    for (m, e) in cases {
        assert_eq!(p.parse(&m).err(), Some(e(at(&m))), "{}", common::show(&m));
    }
    for (m, e) in [
        (soh("8=FIX.4.4|9=5|35=0|"), ParseError::Truncated),
        (b"".to_vec(), ParseError::Truncated),
        (
            soh("9=5|35=0|10=000|"),
            ParseError::Frame(FrameError::BeginStringMissing),
        ),
    ] {
        assert_eq!(p.parse(&m).err(), Some(e), "{}", common::show(&m));
    }
    let mut two = msg("FIX.4.4", "35=0|");
    two.extend_from_slice(&msg("FIX.4.4", "35=0|"));
    assert_eq!(
        p.parse(&two).err(),
        Some(ParseError::TrailingBytes(two.len() / 2))
    );
    let mut bad_sum = msg("FIX.4.4", "35=0|");
    let n = bad_sum.len();
    bad_sum[n - 2] ^= 1;
    assert!(matches!(
        p.parse(&bad_sum),
        Err(ParseError::Frame(FrameError::ChecksumMismatch { .. }))
    ));
    // parse_framed trusts the sum but checks everything else.
    assert!(p.parse_framed(&bad_sum).is_ok());
    assert_eq!(
        p.parse_framed(&two).err(),
        Some(ParseError::TrailingBytes(two.len() / 2))
    );
}

#[test]
fn nested_groups() {
    let m = msg("FIX.4.4", ER);
    let mut p = Parser::new();
    let v = p.parse(&m).unwrap();
    let layout = parties();
    let g = v.group(&layout).unwrap().unwrap();
    assert_eq!(g.len(), 2);
    let entries: Vec<_> = g.entries().collect();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].get(448), Some(&b"PARTYA"[..]));
    assert_eq!(
        entries[0].get(523),
        None,
        "nested fields are not at the entry's level"
    );
    assert_eq!(entries[1].get(448), Some(&b"PARTYB"[..]));
    assert_eq!(entries[1].get(452), Some(&b"2"[..]));
    let sub = entries[0].group(&layout.nested[0]).unwrap().unwrap();
    let subs: Vec<_> = sub.entries().map(|e| e.get(523).unwrap()).collect();
    assert_eq!(subs, [&b"SUBPARTYA1"[..], b"SUBPARTYA2"]);
    assert!(entries[1].group(&layout.nested[0]).unwrap().is_none());
    assert_eq!(g.end_position(), v.len() - 1);
}

#[test]
fn group_count_errors() {
    let layout = parties();
    let mut p = Parser::new();
    let m = msg("FIX.4.4", "35=8|453=3|448=A|452=1|448=B|452=2|58=x|");
    assert_eq!(
        p.parse(&m).unwrap().group(&layout).err(),
        Some(GroupError::CountMismatch {
            tag: 453,
            declared: 3,
            found: 2
        })
    );
    let m = msg("FIX.4.4", "35=8|453=x|448=A|");
    assert_eq!(
        p.parse(&m).unwrap().group(&layout).err(),
        Some(GroupError::BadCount { tag: 453 })
    );
    let m = msg("FIX.4.4", "35=8|453=0|58=x|");
    assert!(p
        .parse(&m)
        .unwrap()
        .group(&layout)
        .unwrap()
        .unwrap()
        .is_empty());
}

#[test]
fn big_snapshot_grows_the_index() {
    let mut body = String::from("35=W|34=2|49=A|56=B|55=X|268=500|");
    for i in 0..500 {
        body.push_str(&format!("269=0|270=1.{i}|271=100|"));
    }
    let m = msg("FIX.4.4", &body);
    let mut p = Parser::new();
    let v = p.parse(&m).unwrap();
    assert_eq!(v.len(), 1509);
    let layout = GroupLayout::new(268, 269, [269, 270, 271]);
    let g = v.group(&layout).unwrap().unwrap();
    assert_eq!(g.entries().count(), 500);
    assert_eq!(g.entries().last().unwrap().get(270), Some(&b"1.499"[..]));
}
