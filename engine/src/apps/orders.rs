//! The `orders` application: sends NewOrderSingles, measures each round
//! trip to its ExecutionReport (hdrhistogram, nanoseconds), logs out after
//! `count` answers. Back-to-back with one order in flight when no rate is
//! given (the next order leaves from inside the report's callback), else
//! open loop at `rate` orders per second. ClOrdID is a base plus the order
//! number, so answers are matched without allocation. The base is the
//! first order's MsgSeqNum minus 2 (0 on a fresh session, whose Logon is
//! 1): sequence numbers never repeat within a store's epoch, so after a
//! restart every ClOrdID is above the previous run's, and its reports,
//! resent after the logon's ResendRequest, are not taken for answers.

use std::sync::{Arc, Mutex};

use hdrhistogram::{CreationError, Histogram};

use crate::session::{
    parse_u64, AppVerdict, Application, FieldWriter, Incoming, LogoutReason, Sender,
    SessionSettings,
};
use crate::time::{MonoTime, Now, UtcTimestamp};

/// What the orders application measured (shared with the caller).
#[derive(Debug, Clone)]
pub struct OrdersReport {
    /// Round trips in nanoseconds.
    pub histogram: Histogram<u64>,
    /// Orders sent.
    pub sent: u64,
    /// ExecutionReports matched to an order.
    pub answered: u64,
    /// Orders answered by a reject instead.
    pub rejected: u64,
    /// When the first order left (monotonic ns), 0 if none.
    pub first_sent_at: i64,
    /// When the last answer arrived (monotonic ns).
    pub last_answer_at: i64,
    /// Every order was answered and the session logged out.
    pub complete: bool,
}

impl OrdersReport {
    fn new() -> Result<Self, CreationError> {
        Ok(Self {
            histogram: Histogram::new_with_bounds(1, 60_000_000_000, 3)?,
            sent: 0,
            answered: 0,
            rejected: 0,
            first_sent_at: 0,
            last_answer_at: 0,
            complete: false,
        })
    }

    /// Answered orders per second between the first send and the last answer.
    pub fn throughput(&self) -> f64 {
        let span = self.last_answer_at.saturating_sub(self.first_sent_at);
        if span <= 0 {
            return 0.0;
        }
        (self.answered + self.rejected) as f64 * 1e9 / span as f64
    }
}

/// Settings of the orders application.
#[derive(Debug, Clone, Copy)]
pub struct OrdersSettings {
    /// Orders to send.
    pub count: u64,
    /// Orders per second; `None`: back-to-back, one in flight.
    pub rate: Option<u32>,
}

/// Sends orders and measures.
pub struct Orders {
    settings: OrdersSettings,
    interval: i64,
    sent_at: Vec<i64>,
    next_send_at: i64,
    in_flight: u64,
    /// ClOrdID of order 0 (set by the first send).
    id_base: Option<u64>,
    /// The time of the event being handled; round trips and the rate
    /// are measured on `mono`, orders stamped with `wall`.
    now: Now,
    logged_on: bool,
    done: bool,
    local: OrdersReport,
    shared: Arc<Mutex<OrdersReport>>,
}

impl Orders {
    /// An orders application and the report it fills in (published when
    /// it finishes and at every logout).
    pub fn new(
        settings: OrdersSettings,
    ) -> Result<(Self, Arc<Mutex<OrdersReport>>), CreationError> {
        let shared = Arc::new(Mutex::new(OrdersReport::new()?));
        let interval = settings
            .rate
            .filter(|&r| r > 0)
            .map_or(0, |r| 1_000_000_000 / i64::from(r));
        let app = Self {
            settings,
            interval,
            sent_at: vec![0; usize::try_from(settings.count).unwrap_or(0)],
            next_send_at: 0,
            in_flight: 0,
            id_base: None,
            now: Now::same(UtcTimestamp::from_nanos(0)),
            logged_on: false,
            done: false,
            local: OrdersReport::new()?,
            shared: Arc::clone(&shared),
        };
        Ok((app, shared))
    }

    fn publish(&self) {
        if let Ok(mut r) = self.shared.lock() {
            r.clone_from(&self.local);
        }
    }

    fn can_send(&self) -> bool {
        self.logged_on && !self.done && self.local.sent < self.settings.count
    }

    /// ClOrdID of the next order, which will carry MsgSeqNum `next_seq`.
    fn next_id(&mut self, next_seq: u64) -> u64 {
        let base = *self.id_base.get_or_insert(next_seq.saturating_sub(2));
        base.saturating_add(self.local.sent)
    }

    /// Writes the body of the order with ClOrdID `id` (the NewOrderSingle
    /// the benchmarks time, too).
    pub fn body(id: u64, now: UtcTimestamp, digits: u8) -> impl FnMut(&mut FieldWriter<'_>) {
        let now = now.as_nanos();
        move |w| {
            w.field_u64(11, id)
                .field(21, b"1")
                .field(38, b"100")
                .field(40, b"2")
                .field(44, b"100.25")
                .field(54, b"1")
                .field(55, b"RFIX")
                .field_time(60, now, digits);
        }
    }

    fn sent(&mut self, n: u64) {
        if let Some(slot) = usize::try_from(n)
            .ok()
            .and_then(|i| self.sent_at.get_mut(i))
        {
            *slot = self.now.mono.as_nanos();
        }
        if self.local.sent == 0 {
            self.local.first_sent_at = self.now.mono.as_nanos();
        }
        self.local.sent += 1;
        self.in_flight += 1;
    }

    fn answered(&mut self, id: Option<u64>, rejected: bool) {
        let base = self.id_base;
        let Some(t0) = id
            .zip(base)
            .and_then(|(id, base)| id.checked_sub(base))
            .and_then(|n| usize::try_from(n).ok())
            .and_then(|i| self.sent_at.get_mut(i))
            .filter(|t| **t != 0)
        else {
            return;
        };
        let rtt = self.now.mono.as_nanos().saturating_sub(*t0).max(1);
        *t0 = 0;
        if rejected {
            self.local.rejected += 1;
        } else {
            self.local.answered += 1;
            let _ = self.local.histogram.record(u64::try_from(rtt).unwrap_or(1));
        }
        self.local.last_answer_at = self.now.mono.as_nanos();
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    fn all_answered(&self) -> bool {
        self.local.answered + self.local.rejected >= self.settings.count
    }
}

impl Application for Orders {
    fn on_app(
        &mut self,
        session: &SessionSettings,
        msg: &Incoming<'_>,
        out: &mut Sender<'_>,
    ) -> AppVerdict {
        self.now = out.now();
        match msg.msg_type() {
            b"8" => self.answered(msg.get(11).and_then(parse_u64), false),
            b"j" => self.answered(msg.get(379).and_then(parse_u64), true),
            _ => return AppVerdict::Accept,
        }
        // Back-to-back: the next order leaves in the same turn.
        if self.interval == 0 && self.in_flight == 0 && self.can_send() {
            let n = self.local.sent;
            let id = self.next_id(out.next_seq());
            let body = Self::body(id, self.now.wall, session.timestamp_precision);
            if out.send(b"D", &[], body).is_ok() {
                self.sent(n);
            }
        }
        AppVerdict::Accept
    }

    fn on_logon(&mut self, _session: &SessionSettings, _out: &mut Sender<'_>) {
        self.logged_on = true;
        self.in_flight = 0;
    }

    fn on_logout(&mut self, _session: &SessionSettings, _reason: LogoutReason) {
        self.logged_on = false;
        self.publish();
    }

    fn poll(&mut self, io: &mut Sender<'_>) {
        self.now = io.now();
        if self.done || !self.logged_on {
            return;
        }
        if self.next_send_at == 0 {
            self.next_send_at = self.now.mono.as_nanos();
        }
        if self.all_answered() {
            self.done = true;
            self.local.complete = true;
            self.publish();
            io.logout();
            return;
        }
        let digits = io.settings().timestamp_precision;
        if self.interval == 0 {
            if self.in_flight == 0 && self.can_send() {
                let n = self.local.sent;
                let id = self.next_id(io.next_seq());
                if io
                    .send(b"D", &[], Self::body(id, self.now.wall, digits))
                    .is_ok()
                {
                    self.sent(n);
                }
            }
            return;
        }
        while self.can_send() && self.next_send_at <= self.now.mono.as_nanos() {
            let n = self.local.sent;
            let id = self.next_id(io.next_seq());
            if io
                .send(b"D", &[], Self::body(id, self.now.wall, digits))
                .is_err()
            {
                return;
            }
            self.sent(n);
            self.next_send_at = self.next_send_at.saturating_add(self.interval);
        }
    }

    fn wake_at(&self) -> Option<MonoTime> {
        (self.interval > 0 && self.can_send()).then(|| MonoTime::from_nanos(self.next_send_at))
    }

    fn finished(&self) -> bool {
        self.done
    }
}
