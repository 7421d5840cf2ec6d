//! FIX.4.4 by hand: build, parse, read back, dispatch.

use ringfix_codec::typed::{Build, Draft, EntryError, VecDraft};
use ringfix_codec::{Decimal, Parser, UtcTimestamp};
use ringfix_messages::fix44::field::{
    BidType, OrdStatus, OrdType, PartyIDSource, PartyRole, PartySubIDType, Side,
};
use ringfix_messages::fix44::prelude::*;
use ringfix_messages::fix44::{self, execution_report, new_order_list, Message};

fn draft<'b>(out: &'b mut Vec<u8>, msg_type: &[u8]) -> VecDraft<'b> {
    let mut d = VecDraft::new(out, b"FIX.4.4", msg_type);
    d.encoder()
        .uint(34, 2)
        .bytes(49, b"INIT")
        .bytes(52, b"20261124-10:00:00.000")
        .bytes(56, b"ACC");
    d
}

#[test]
fn new_order_single_round_trip() {
    let now = UtcTimestamp::parse(b"20261124-10:00:00.123").unwrap();
    let mut out = Vec::new();
    let range = fix44::NewOrderSingle::empty(draft(&mut out, b"D"))
        .cl_ord_id("ORD1")
        .symbol("MSFT")
        .side(Side::Buy)
        .transact_time(now)
        .order_qty(Decimal::new(100, 0))
        .ord_type(OrdType::Limit)
        .price(Decimal::new(12345, 2))
        .no_party_ids(|g| {
            g.entry("PARTYA")
                .party_id_source(PartyIDSource::Proprietary)
                .party_role(PartyRole::ExecutingFirm)
                .no_party_sub_ids(|s| {
                    s.entry("SUB1").party_sub_id_type(PartySubIDType::Firm);
                });
            g.entry("PARTYB");
        })
        .unwrap()
        .extra_field(5001, "custom")
        .send();
    let mut p = Parser::new();
    let msg = p.parse(&out[range]).unwrap();
    let Message::NewOrderSingle(v) = fix44::dispatch(msg) else {
        panic!("not a NewOrderSingle")
    };
    assert_eq!(v.cl_ord_id(), Ok(&b"ORD1"[..]));
    assert_eq!(v.symbol(), Some(&b"MSFT"[..]));
    assert_eq!(v.side(), Ok(Side::Buy));
    assert_eq!(v.transact_time(), Ok(now));
    assert_eq!(v.order_qty(), Ok(Some(Decimal::new(1000, 1))));
    assert_eq!(v.price(), Ok(Some(Decimal::new(12345, 2))));
    assert_eq!(v.stop_px(), Ok(None));
    let parties: Vec<_> = v.no_party_ids().unwrap().collect();
    assert_eq!(parties.len(), 2);
    assert_eq!(parties[0].party_id(), Some(&b"PARTYA"[..]));
    assert_eq!(
        parties[0].party_id_source(),
        Some(PartyIDSource::Proprietary)
    );
    assert_eq!(parties[0].party_role(), Some(PartyRole::ExecutingFirm));
    let subs: Vec<_> = parties[0].no_party_sub_ids().unwrap().collect();
    assert_eq!(subs[0].party_sub_id(), Some(&b"SUB1"[..]));
    assert_eq!(parties[1].no_party_sub_ids().unwrap().len(), 0);
    assert_eq!(v.message().get(5001), Some(&b"custom"[..]));
}

#[test]
fn unknown_values_and_malformed_values() {
    let mut out = Vec::new();
    let mut d = draft(&mut out, b"8");
    d.encoder()
        .bytes(37, b"O1")
        .bytes(17, b"E1")
        .bytes(150, b"0")
        .bytes(39, b"Z")
        .bytes(54, b"1")
        .bytes(151, b"1x")
        .bytes(14, b"0")
        .bytes(6, b"0");
    let r = d.send();
    let mut p = Parser::new();
    let v = execution_report::View::new(p.parse(&out[r]).unwrap());
    assert_eq!(v.ord_status(), Ok(OrdStatus::Unknown(b"Z")));
    assert!(matches!(
        v.leaves_qty(),
        Err(ringfix_codec::FieldError::Invalid { tag: 151, .. })
    ));
    assert_eq!(
        v.last_qty(),
        Ok(None),
        "absent optional fields are None, not errors"
    );
}

#[test]
fn entries_report_missing_required_members() {
    let mut out = Vec::new();
    let list = |out: &mut Vec<u8>, second_seq: Option<i64>| {
        fix44::NewOrderList::empty(draft(out, b"E"))
            .list_id("L1")
            .bid_type(BidType::NoBiddingProcess)
            .tot_no_orders(2)
            .no_orders(|g| {
                g.entry("C1").list_seq_no(1).side(Side::Buy);
                let e = g.entry("C2").side(Side::Sell);
                if let Some(seq) = second_seq {
                    e.list_seq_no(seq);
                }
            })
            .map(|b| b.send())
    };
    let err = list(&mut out, None).err();
    assert_eq!(
        err,
        Some(EntryError {
            count_tag: 73,
            entry: 1,
            tag: 67
        })
    );
    assert!(out.is_empty(), "a refused message leaves nothing behind");
    let sent = list(&mut out, Some(2)).unwrap();
    let mut p = Parser::new();
    let v = new_order_list::View::new(p.parse(&out[sent]).unwrap());
    let seqs: Vec<_> = v.no_orders().unwrap().map(|o| o.list_seq_no()).collect();
    assert_eq!(seqs, [Ok(1), Ok(2)]);
}
