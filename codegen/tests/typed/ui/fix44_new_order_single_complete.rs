//! The same NewOrderSingle with its ClOrdID sends (the control case).
use ringfix_codec::typed::{Build, VecDraft};
use ringfix_codec::UtcTimestamp;
use ringfix_messages::fix44::field::{OrdType, Side};
use ringfix_messages::fix44::NewOrderSingle;

fn main() {
    let mut out = Vec::new();
    let range = NewOrderSingle::empty(VecDraft::new(&mut out, b"FIX.4.4", b"D"))
        .cl_ord_id("ORD1")
        .side(Side::Buy)
        .transact_time(UtcTimestamp::default())
        .ord_type(OrdType::Market)
        .send();
    assert_eq!(range.start, 0);
}
