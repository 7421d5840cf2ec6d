//! Typed order-flow messages over the generated field constants
//! ([`ringfix_codec::fields`]): [`NewOrderSingle`] and [`ExecutionReport`]
//! builders that write into a callback's [`FieldWriter`] (zero copy) or a
//! bodies for a [`SessionSender`], and
//! borrowed views of both for the receiving side.

use ringfix_codec::fields::{self, msg_type, values};
use ringfix_codec::Decimal;
use ringfix_engine::runtime::{SessionSender, Ticket, TrySendError};
use ringfix_engine::session::{FieldWriter, Incoming, SendError, Sender, Tag, Version};
use ringfix_engine::store::UtcTimestamp;

/// An identifier field (ClOrdID, OrderID, ExecID): bytes, or a number
/// formatted without allocation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Id<'a> {
    /// As given.
    Bytes(&'a [u8]),
    /// In decimal.
    Num(u64),
}

impl<'a> From<&'a str> for Id<'a> {
    fn from(s: &'a str) -> Self {
        Self::Bytes(s.as_bytes())
    }
}

impl<'a> From<&'a [u8]> for Id<'a> {
    fn from(s: &'a [u8]) -> Self {
        Self::Bytes(s)
    }
}

impl From<u64> for Id<'_> {
    fn from(n: u64) -> Self {
        Self::Num(n)
    }
}

/// Side (54).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `1`.
    Buy,
    /// `2`.
    Sell,
    /// `5`.
    SellShort,
}

impl Side {
    /// The wire value.
    pub fn code(self) -> &'static [u8] {
        match self {
            Self::Buy => values::side::BUY,
            Self::Sell => values::side::SELL,
            Self::SellShort => values::side::SELL_SHORT,
        }
    }

    /// From the wire value.
    pub fn parse(v: &[u8]) -> Option<Self> {
        [Self::Buy, Self::Sell, Self::SellShort]
            .into_iter()
            .find(|s| s.code() == v)
    }
}

/// OrdType (40).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrdType {
    /// `1`.
    Market,
    /// `2`: needs a price.
    Limit,
    /// `3`.
    Stop,
    /// `4`.
    StopLimit,
}

impl OrdType {
    /// The wire value.
    pub fn code(self) -> &'static [u8] {
        match self {
            Self::Market => values::ord_type::MARKET,
            Self::Limit => values::ord_type::LIMIT,
            Self::Stop => values::ord_type::STOP,
            Self::StopLimit => values::ord_type::STOP_LIMIT,
        }
    }

    /// From the wire value.
    pub fn parse(v: &[u8]) -> Option<Self> {
        [Self::Market, Self::Limit, Self::Stop, Self::StopLimit]
            .into_iter()
            .find(|s| s.code() == v)
    }
}

/// TimeInForce (59).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeInForce {
    /// `0`.
    Day,
    /// `1`.
    GoodTillCancel,
    /// `3`.
    ImmediateOrCancel,
    /// `4`.
    FillOrKill,
}

impl TimeInForce {
    /// The wire value.
    pub fn code(self) -> &'static [u8] {
        match self {
            Self::Day => values::time_in_force::DAY,
            Self::GoodTillCancel => values::time_in_force::GOOD_TILL_CANCEL,
            Self::ImmediateOrCancel => values::time_in_force::IMMEDIATE_OR_CANCEL,
            Self::FillOrKill => values::time_in_force::FILL_OR_KILL,
        }
    }
}

/// Where a builder writes: a [`FieldWriter`] (on the session's thread, or
/// a body for another thread).
trait Out {
    fn bytes(&mut self, tag: Tag, v: &[u8]);
    fn num(&mut self, tag: Tag, v: u64);
    fn decimal(&mut self, tag: Tag, v: Decimal);
    fn id(&mut self, tag: Tag, v: Id<'_>) {
        match v {
            Id::Bytes(b) => self.bytes(tag, b),
            Id::Num(n) => self.num(tag, n),
        }
    }
}

impl Out for FieldWriter<'_> {
    fn bytes(&mut self, tag: Tag, v: &[u8]) {
        self.field(tag, v);
    }
    fn num(&mut self, tag: Tag, v: u64) {
        self.field_u64(tag, v);
    }
    fn decimal(&mut self, tag: Tag, v: Decimal) {
        self.encoder().decimal(tag, v);
    }
}

/// A NewOrderSingle (35=D). TransactTime (60) is the send time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewOrderSingle<'a> {
    /// ClOrdID (11).
    pub cl_ord_id: Id<'a>,
    /// Symbol (55).
    pub symbol: &'a [u8],
    /// Side (54).
    pub side: Side,
    /// OrderQty (38).
    pub qty: Decimal,
    /// OrdType (40).
    pub ord_type: OrdType,
    /// Price (44), for limit orders.
    pub price: Option<Decimal>,
    /// TimeInForce (59), omitted when `None` (Day by default).
    pub time_in_force: Option<TimeInForce>,
    /// Account (1).
    pub account: Option<&'a [u8]>,
}

impl<'a> NewOrderSingle<'a> {
    /// A market order; [`limit`](Self::limit) makes it a limit order.
    pub fn new(cl_ord_id: impl Into<Id<'a>>, symbol: &'a str, side: Side, qty: Decimal) -> Self {
        Self {
            cl_ord_id: cl_ord_id.into(),
            symbol: symbol.as_bytes(),
            side,
            qty,
            ord_type: OrdType::Market,
            price: None,
            time_in_force: None,
            account: None,
        }
    }

    /// OrdType=Limit at `price`.
    pub fn limit(mut self, price: Decimal) -> Self {
        self.ord_type = OrdType::Limit;
        self.price = Some(price);
        self
    }

    /// Sets TimeInForce.
    pub fn time_in_force(mut self, tif: TimeInForce) -> Self {
        self.time_in_force = Some(tif);
        self
    }

    /// Sets Account.
    pub fn account(mut self, account: &'a str) -> Self {
        self.account = Some(account.as_bytes());
        self
    }

    fn body(&self, o: &mut impl Out) {
        if let Some(a) = self.account {
            o.bytes(fields::ACCOUNT, a);
        }
        o.id(fields::CL_ORD_ID, self.cl_ord_id);
        o.bytes(
            fields::HANDL_INST,
            values::handl_inst::AUTOMATED_EXECUTION_NO_INTERVENTION,
        );
        o.decimal(fields::ORDER_QTY, self.qty);
        o.bytes(fields::ORD_TYPE, self.ord_type.code());
        if let Some(p) = self.price {
            o.decimal(fields::PRICE, p);
        }
        o.bytes(fields::SIDE, self.side.code());
        o.bytes(fields::SYMBOL, self.symbol);
        if let Some(t) = self.time_in_force {
            o.bytes(fields::TIME_IN_FORCE, t.code());
        }
    }

    /// Writes the body into a message being sent from a callback, with
    /// TransactTime `now` at `digits` fractional digits.
    pub fn write(&self, w: &mut FieldWriter<'_>, now: UtcTimestamp, digits: u8) {
        self.body(w);
        w.field_time(fields::TRANSACT_TIME, now.as_nanos(), digits);
    }

    /// Sends it from inside a callback (straight into the outbound
    /// buffer); returns the MsgSeqNum.
    pub fn send(&self, out: &mut Sender<'_>, now: UtcTimestamp) -> Result<u64, SendError> {
        let digits = out.settings().timestamp_precision;
        out.send(msg_type::NEW_ORDER_SINGLE, &[], |w| {
            self.write(w, now, digits)
        })
    }

    /// Queues it on `tx` from another thread, waiting for room; the
    /// reactor stamps TransactTime with the time it sends (`tx` keeps
    /// stamping it).
    pub fn queue(&self, tx: &mut SessionSender) -> Result<Ticket, TrySendError> {
        tx.stamp_send_time(Some(fields::TRANSACT_TIME));
        tx.send(msg_type::NEW_ORDER_SINGLE, |w| self.body(w))
    }

    /// As [`queue`](Self::queue), never waiting ([`TrySendError::QueueFull`]).
    pub fn try_queue(&self, tx: &mut SessionSender) -> Result<Ticket, TrySendError> {
        tx.stamp_send_time(Some(fields::TRANSACT_TIME));
        tx.try_send(msg_type::NEW_ORDER_SINGLE, |w| self.body(w))
    }
}

/// A NewOrderSingle as received (borrowed from the inbound buffer).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderView<'a> {
    /// ClOrdID (11).
    pub cl_ord_id: &'a [u8],
    /// Symbol (55).
    pub symbol: &'a [u8],
    /// Side (54).
    pub side: Side,
    /// OrderQty (38).
    pub qty: Decimal,
    /// OrdType (40), `None` if unknown.
    pub ord_type: Option<OrdType>,
    /// Price (44).
    pub price: Option<Decimal>,
}

impl<'a> OrderView<'a> {
    /// Reads a NewOrderSingle; `Err(tag)` names the first missing or
    /// malformed required field (for a BusinessMessageReject's RefTagID).
    pub fn read(msg: &Incoming<'a>) -> Result<Self, Tag> {
        let need = |tag| msg.get(tag).ok_or(tag);
        let qty = Decimal::parse(need(fields::ORDER_QTY)?).map_err(|_| fields::ORDER_QTY)?;
        let price = match msg.get(fields::PRICE) {
            Some(p) => Some(Decimal::parse(p).map_err(|_| fields::PRICE)?),
            None => None,
        };
        Ok(Self {
            cl_ord_id: need(fields::CL_ORD_ID)?,
            symbol: need(fields::SYMBOL)?,
            side: Side::parse(need(fields::SIDE)?).ok_or(fields::SIDE)?,
            qty,
            ord_type: msg.get(fields::ORD_TYPE).and_then(OrdType::parse),
            price,
        })
    }
}

/// ExecType (150) / OrdStatus (39) pairs of an [`ExecutionReport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Execution {
    /// Order accepted: ExecType=0, OrdStatus=0.
    New,
    /// A fill that leaves quantity open: ExecType=F, OrdStatus=1.
    PartialFill,
    /// The last fill: ExecType=F, OrdStatus=2.
    Fill,
    /// Order rejected: ExecType=8, OrdStatus=8.
    Rejected,
}

impl Execution {
    fn codes(self, before_44: bool) -> (&'static [u8], &'static [u8]) {
        match self {
            Self::New => (b"0", b"0"),
            // FIX 4.2 and earlier: ExecType 1/2 instead of F (Trade).
            Self::PartialFill => (if before_44 { b"1" } else { b"F" }, b"1"),
            Self::Fill => (if before_44 { b"2" } else { b"F" }, b"2"),
            Self::Rejected => (b"8", b"8"),
        }
    }
}

/// An ExecutionReport (35=8) answering an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecutionReport<'a> {
    /// OrderID (37).
    pub order_id: Id<'a>,
    /// ExecID (17).
    pub exec_id: Id<'a>,
    /// ClOrdID (11).
    pub cl_ord_id: &'a [u8],
    /// Symbol (55).
    pub symbol: &'a [u8],
    /// Side (54).
    pub side: Side,
    /// ExecType / OrdStatus.
    pub execution: Execution,
    /// OrderQty (38).
    pub order_qty: Decimal,
    /// LastQty (32) and LastPx (31) of this fill (zero otherwise).
    pub last: (Decimal, Decimal),
    /// CumQty (14).
    pub cum_qty: Decimal,
    /// LeavesQty (151).
    pub leaves_qty: Decimal,
    /// AvgPx (6).
    pub avg_px: Decimal,
}

impl ExecutionReport<'_> {
    /// Writes the body (the FIX version decides ExecType codes and
    /// ExecTransType), TransactTime `now`.
    pub fn write(&self, w: &mut FieldWriter<'_>, version: Version, now: UtcTimestamp, digits: u8) {
        let before_44 = version < Version::Fix43;
        let (exec_type, ord_status) = self.execution.codes(before_44);
        w.encoder().decimal(fields::AVG_PX, self.avg_px);
        w.field(fields::CL_ORD_ID, self.cl_ord_id);
        w.encoder().decimal(fields::CUM_QTY, self.cum_qty);
        w.id(fields::EXEC_ID, self.exec_id);
        if before_44 {
            w.field(fields::EXEC_TRANS_TYPE, values::exec_trans_type::NEW);
        }
        w.encoder().decimal(fields::LAST_PX, self.last.1);
        w.encoder().decimal(fields::LAST_QTY, self.last.0);
        w.id(fields::ORDER_ID, self.order_id);
        w.encoder().decimal(fields::ORDER_QTY, self.order_qty);
        w.field(fields::ORD_STATUS, ord_status);
        w.field(fields::SIDE, self.side.code());
        w.field(fields::SYMBOL, self.symbol);
        w.field_time(fields::TRANSACT_TIME, now.as_nanos(), digits);
        w.field(fields::EXEC_TYPE, exec_type);
        w.encoder().decimal(fields::LEAVES_QTY, self.leaves_qty);
    }

    /// Sends it from inside a callback; returns the MsgSeqNum.
    pub fn send(&self, out: &mut Sender<'_>, now: UtcTimestamp) -> Result<u64, SendError> {
        let version = out.settings().version();
        let digits = out.settings().timestamp_precision;
        out.send(msg_type::EXECUTION_REPORT, &[], |w| {
            self.write(w, version, now, digits)
        })
    }
}

/// An ExecutionReport as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecutionView<'a> {
    /// ClOrdID (11).
    pub cl_ord_id: &'a [u8],
    /// OrdStatus (39).
    pub ord_status: &'a [u8],
    /// ExecType (150), absent before FIX 4.1.
    pub exec_type: Option<&'a [u8]>,
    /// LastQty (32), zero if absent.
    pub last_qty: Decimal,
    /// CumQty (14), zero if absent.
    pub cum_qty: Decimal,
    /// LeavesQty (151), zero if absent.
    pub leaves_qty: Decimal,
}

impl<'a> ExecutionView<'a> {
    /// Reads an ExecutionReport; `Err(tag)` names a missing or malformed field.
    pub fn read(msg: &Incoming<'a>) -> Result<Self, Tag> {
        let dec = |tag| match msg.get(tag) {
            Some(v) => Decimal::parse(v).map_err(|_| tag),
            None => Ok(Decimal::default()),
        };
        Ok(Self {
            cl_ord_id: msg.get(fields::CL_ORD_ID).ok_or(fields::CL_ORD_ID)?,
            ord_status: msg.get(fields::ORD_STATUS).ok_or(fields::ORD_STATUS)?,
            exec_type: msg.get(fields::EXEC_TYPE),
            last_qty: dec(fields::LAST_QTY)?,
            cum_qty: dec(fields::CUM_QTY)?,
            leaves_qty: dec(fields::LEAVES_QTY)?,
        })
    }

    /// OrdStatus is Filled, Canceled, Rejected or DoneForDay: nothing more
    /// will come for the order.
    pub fn is_final(&self) -> bool {
        matches!(self.ord_status, b"2" | b"3" | b"4" | b"8")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ringfix_codec::Parser;

    fn dec(mantissa: i64, scale: u8) -> Decimal {
        Decimal { mantissa, scale }
    }

    #[test]
    fn order_encodes_a_body_and_reads_back() {
        let nos = NewOrderSingle::new(42u64, "RFIX", Side::Sell, dec(100, 0))
            .limit(dec(10025, 2))
            .time_in_force(TimeInForce::ImmediateOrCancel)
            .account("ACC");
        let mut body = Vec::new();
        let mut w = FieldWriter::body(&mut body);
        nos.body(&mut w);
        drop(w);
        assert_eq!(
            body,
            b"1=ACC\x0111=42\x0121=1\x0138=100\x0140=2\x0144=100.25\x0154=2\x0155=RFIX\x0159=3\x01"
                .as_slice()
        );

        // The same body inside a whole message, read through the view.
        let mut buf = Vec::new();
        let mut w = FieldWriter::begin(&mut buf, b"FIX.4.4", b"D");
        w.encoder().raw(&body);
        w.finish();
        let mut parser = Parser::new();
        let view = parser.parse(&buf).unwrap();
        let msg = Incoming::from_view(&view);
        let o = OrderView::read(&msg).unwrap();
        assert_eq!(o.cl_ord_id, b"42");
        assert_eq!(o.side, Side::Sell);
        assert_eq!(o.qty, dec(100, 0));
        assert_eq!(o.price, Some(dec(10025, 2)));
        assert_eq!(o.ord_type, Some(OrdType::Limit));
    }

    #[test]
    fn order_view_names_the_missing_field() {
        let mut buf = Vec::new();
        let mut w = FieldWriter::begin(&mut buf, b"FIX.4.4", b"D");
        w.field(11, b"A").field(38, b"10").field(54, b"1");
        w.finish();
        let mut parser = Parser::new();
        let view = parser.parse(&buf).unwrap();
        assert_eq!(
            OrderView::read(&Incoming::from_view(&view)),
            Err(fields::SYMBOL)
        );
    }

    #[test]
    fn execution_report_codes_follow_the_version() {
        let er = ExecutionReport {
            order_id: Id::Num(7),
            exec_id: Id::Bytes(b"E7"),
            cl_ord_id: b"C1",
            symbol: b"RFIX",
            side: Side::Buy,
            execution: Execution::PartialFill,
            order_qty: dec(100, 0),
            last: (dec(40, 0), dec(1005, 1)),
            cum_qty: dec(40, 0),
            leaves_qty: dec(60, 0),
            avg_px: dec(1005, 1),
        };
        for (version, exec_type, trans) in
            [(Version::Fix44, b"F", false), (Version::Fix42, b"1", true)]
        {
            let mut buf = Vec::new();
            let mut w = FieldWriter::begin(&mut buf, b"FIX.4.4", b"8");
            er.write(&mut w, version, UtcTimestamp::from_nanos(0), 3);
            w.finish();
            let mut parser = Parser::new();
            let view = parser.parse(&buf).unwrap();
            let msg = Incoming::from_view(&view);
            let v = ExecutionView::read(&msg).unwrap();
            assert_eq!(v.exec_type, Some(exec_type.as_slice()));
            assert_eq!(v.ord_status, b"1");
            assert_eq!(
                (v.last_qty, v.cum_qty, v.leaves_qty),
                (dec(40, 0), dec(40, 0), dec(60, 0))
            );
            assert!(!v.is_final());
            assert_eq!(msg.get(fields::EXEC_TRANS_TYPE).is_some(), trans);
            assert_eq!(msg.get(fields::ORDER_ID), Some(b"7".as_slice()));
            assert_eq!(msg.get(fields::LAST_PX), Some(b"100.5".as_slice()));
        }
    }
}
