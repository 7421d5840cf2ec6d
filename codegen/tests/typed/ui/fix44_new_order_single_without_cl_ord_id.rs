//! A NewOrderSingle without its required ClOrdID (11) has no `send`.
use ringfix_codec::typed::{Build, VecDraft};
use ringfix_codec::UtcTimestamp;
use ringfix_messages::fix44::field::{OrdType, Side};
use ringfix_messages::fix44::NewOrderSingle;

fn main() {
    let mut out = Vec::new();
    NewOrderSingle::empty(VecDraft::new(&mut out, b"FIX.4.4", b"D"))
        .side(Side::Buy)
        .transact_time(UtcTimestamp::default())
        .ord_type(OrdType::Market)
        .send();
}
