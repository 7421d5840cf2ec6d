//! The `exec` application: answers every NewOrderSingle (D) with an
//! ExecutionReport (8) that fills it completely, valid under the data
//! dictionary of the session's version (ExecType F / OrdStatus 2 from
//! FIX.4.3 on; ExecTransType 0 and ExecType 2 before). Nothing is
//! allocated per message: fields are copied from the order into the
//! outbound buffer, ids are counters.

use crate::session::{AppVerdict, Application, Incoming, Sender, SessionSettings, Version};

/// Fills every order.
#[derive(Debug, Default)]
pub struct Exec {
    next_id: u64,
}

impl Exec {
    /// A fresh exec application (ids start at 1).
    pub fn new() -> Self {
        Self::default()
    }
}

/// The order fields the report echoes.
#[derive(Default)]
struct Order<'a> {
    cl_ord_id: Option<&'a [u8]>,
    side: Option<&'a [u8]>,
    symbol: Option<&'a [u8]>,
    qty: Option<&'a [u8]>,
    price: Option<&'a [u8]>,
}

impl<'a> Order<'a> {
    fn read(msg: &Incoming<'a>) -> Self {
        let mut o = Self::default();
        for (tag, v) in msg.fields() {
            match tag {
                11 => o.cl_ord_id = Some(v),
                54 => o.side = Some(v),
                55 => o.symbol = Some(v),
                38 => o.qty = Some(v),
                44 => o.price = Some(v),
                _ => {}
            }
        }
        o
    }
}

impl Application for Exec {
    fn on_app(
        &mut self,
        session: &SessionSettings,
        msg: &Incoming<'_>,
        out: &mut Sender<'_>,
    ) -> AppVerdict {
        if msg.msg_type() != b"D" {
            return AppVerdict::BusinessReject {
                reason: 3,
                ref_tag: None,
                text: None,
            };
        }
        let o = Order::read(msg);
        let missing = |tag| AppVerdict::BusinessReject {
            reason: 5,
            ref_tag: Some(tag),
            text: None,
        };
        let Some(cl_ord_id) = o.cl_ord_id else {
            return missing(11);
        };
        let Some(side) = o.side else {
            return missing(54);
        };
        let Some(symbol) = o.symbol else {
            return missing(55);
        };
        let qty = o.qty.unwrap_or(b"0");
        // A market order has no price: report a nominal one.
        let price = o.price.unwrap_or(b"1");
        self.next_id += 1;
        let id = self.next_id;
        let old = session.version() < Version::Fix43;
        let digits = session.timestamp_precision;
        let now = out.now().wall.as_nanos();
        // A store failure stops the session; the session reports it.
        let _ = out.send(b"8", &[], |w| {
            w.field(6, price)
                .field(11, cl_ord_id)
                .field(14, qty)
                .field_u64(17, id);
            if old {
                w.field(20, b"0");
            }
            w.field(31, price)
                .field(32, qty)
                .field_u64(37, id)
                .field(38, qty)
                .field(39, b"2")
                .field(54, side)
                .field(55, symbol)
                .field_time(60, now, digits)
                .field(150, if old { b"2" } else { b"F" })
                .field(151, b"0");
        });
        AppVerdict::Accept
    }
}
