//! The `exec` application: answers every NewOrderSingle (D) with an
//! ExecutionReport (8) that fills it completely, valid under the data
//! dictionary of the session's version (ExecType F / OrdStatus 2 from
//! FIX.4.3 on; ExecTransType 0 and ExecType 2 before). Nothing is
//! allocated per message: the order is read through its generated view,
//! the report written by the generated builder straight into the outbound
//! buffer, ids are counters.
//!
//! The versions whose typed module the engine is built with (features
//! `fix42`, `fix44`, `fix50sp2`, on by default; FIXT.1.1 sessions send
//! FIX.5.0SP2 reports) go through the generated types; FIX.4.0, 4.1, 4.3,
//! 5.0 and 5.0SP1, whose modules are not built by default, keep a field
//! writer over the same tags.

use ringfix_codec::Decimal;

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

/// A BusinessMessageReject for a missing or malformed required field.
fn missing(tag: u32) -> AppVerdict {
    AppVerdict::BusinessReject {
        reason: 5,
        ref_tag: Some(tag),
        text: None,
    }
}

/// `n` in decimal, in `buf` (no allocation).
fn digits(n: u64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    let mut n = n;
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

/// A market order has no price: the report carries a nominal one.
const NOMINAL_PRICE: Decimal = Decimal {
    mantissa: 1,
    scale: 0,
};

/// Reads the order through `$m`'s view and sends the fill through `$m`'s
/// builder: the same code for every version from FIX.4.4 on (LastQty 32,
/// ExecType Trade).
macro_rules! fill_from_44 {
    ($m:ident, $self:ident, $session:ident, $msg:ident, $out:ident) => {{
        use ringfix_messages::$m::field::{ExecType, OrdStatus};
        use ringfix_messages::$m::prelude::*;
        use ringfix_messages::$m::{new_order_single, ExecutionReport};
        let o = new_order_single::View::new(*$msg.view());
        let Ok(cl_ord_id) = o.cl_ord_id() else {
            return missing(11);
        };
        let Ok(side) = o.side() else {
            return missing(54);
        };
        let Some(symbol) = o.symbol() else {
            return missing(55);
        };
        let Ok(qty) = o.order_qty() else {
            return missing(38);
        };
        let Ok(price) = o.price() else {
            return missing(44);
        };
        let qty = qty.unwrap_or_default();
        let price = price.unwrap_or(NOMINAL_PRICE);
        $self.next_id += 1;
        let mut buf = [0; 20];
        let id = digits($self.next_id, &mut buf);
        let stamp = (
            $out.now().wall,
            crate::session::precision($session.timestamp_precision),
        );
        // A refused start (not logged on) sends nothing; a store failure
        // stops the session, which reports it.
        if let Ok(b) = $out.start::<ExecutionReport>() {
            let _ = b
                .avg_px(price)
                .cl_ord_id(cl_ord_id)
                .cum_qty(qty)
                .exec_id(id)
                .last_px(price)
                .last_qty(qty)
                .order_id(id)
                .order_qty(qty)
                .ord_status(OrdStatus::Filled)
                .side(side)
                .symbol(symbol)
                .transact_time(stamp)
                .exec_type(ExecType::Trade)
                .leaves_qty(Decimal::default())
                .send();
        }
        AppVerdict::Accept
    }};
}

impl Exec {
    #[cfg(feature = "fix42")]
    fn fill_fix42(
        &mut self,
        session: &SessionSettings,
        msg: &Incoming<'_>,
        out: &mut Sender<'_>,
    ) -> AppVerdict {
        use ringfix_messages::fix42::field::{ExecTransType, ExecType, OrdStatus};
        use ringfix_messages::fix42::{new_order_single, ExecutionReport};
        let o = new_order_single::View::new(*msg.view());
        let Ok(cl_ord_id) = o.cl_ord_id() else {
            return missing(11);
        };
        let Ok(side) = o.side() else {
            return missing(54);
        };
        let Ok(symbol) = o.symbol() else {
            return missing(55);
        };
        let Ok(qty) = o.order_qty() else {
            return missing(38);
        };
        let Ok(price) = o.price() else {
            return missing(44);
        };
        let qty = qty.unwrap_or_default();
        let price = price.unwrap_or(NOMINAL_PRICE);
        self.next_id += 1;
        let mut buf = [0; 20];
        let id = digits(self.next_id, &mut buf);
        let stamp = (
            out.now().wall,
            crate::session::precision(session.timestamp_precision),
        );
        if let Ok(b) = out.start::<ExecutionReport>() {
            let _ = b
                .avg_px(price)
                .cl_ord_id(cl_ord_id)
                .cum_qty(qty)
                .exec_id(id)
                .exec_trans_type(ExecTransType::New)
                .last_px(price)
                .last_shares(qty)
                .order_id(id)
                .order_qty(qty)
                .ord_status(OrdStatus::Filled)
                .side(side)
                .symbol(symbol)
                .transact_time(stamp)
                .exec_type(ExecType::Fill)
                .leaves_qty(Decimal::default())
                .send();
        }
        AppVerdict::Accept
    }

    /// The versions without a built typed module: the same report through
    /// the field writer, values copied as received.
    fn fill_untyped(
        &mut self,
        session: &SessionSettings,
        msg: &Incoming<'_>,
        out: &mut Sender<'_>,
    ) -> AppVerdict {
        let (mut cl_ord_id, mut side, mut symbol, mut qty, mut price) =
            (None, None, None, None, None);
        for (tag, v) in msg.fields() {
            match tag {
                11 => cl_ord_id = Some(v),
                54 => side = Some(v),
                55 => symbol = Some(v),
                38 => qty = Some(v),
                44 => price = Some(v),
                _ => {}
            }
        }
        let Some(cl_ord_id) = cl_ord_id else {
            return missing(11);
        };
        let Some(side) = side else {
            return missing(54);
        };
        let Some(symbol) = symbol else {
            return missing(55);
        };
        let qty = qty.unwrap_or(b"0");
        let price = price.unwrap_or(b"1");
        self.next_id += 1;
        let id = self.next_id;
        let old = session.version() < Version::Fix43;
        let digits = session.timestamp_precision;
        let now = out.now().wall.as_nanos();
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
        match session.version() {
            #[cfg(feature = "fix44")]
            Version::Fix44 => fill_from_44!(fix44, self, session, msg, out),
            #[cfg(feature = "fix42")]
            Version::Fix42 => self.fill_fix42(session, msg, out),
            #[cfg(feature = "fix50sp2")]
            Version::Fixt11 | Version::Fix50Sp2 => {
                fill_from_44!(fix50sp2, self, session, msg, out)
            }
            _ => self.fill_untyped(session, msg, out),
        }
    }
}
