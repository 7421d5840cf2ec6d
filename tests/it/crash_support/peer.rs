//! The counterparty's side of one TCP connection: logs on, streams orders
//! (acceptor role) or answers them (initiator role), answers
//! ResendRequests from its record, asks for every gap it sees, and checks
//! each engine message against the record as it arrives.

use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use ringfix_codec::DEFAULT_MAX_MESSAGE_SIZE;
use ringfix_codec::{frame, Encoder, Frame, Parser, TimePrecision, UtcTimestamp};

use super::record::{is_admin, show, Msg, Record, Recv, Sent};

const BEGIN: &[u8] = b"FIX.4.4";

/// Which side the engine under test plays.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// `ringfix acceptor --app exec`; the peer initiates and sends orders.
    Acceptor,
    /// `ringfix initiator --app orders`; the peer accepts and fills.
    Initiator,
}

impl Role {
    /// (our SenderCompID, our TargetCompID)
    fn ids(self) -> (&'static [u8], &'static [u8]) {
        match self {
            Role::Acceptor => (b"ORDERS", b"EXEC"),
            Role::Initiator => (b"EXEC", b"ORDERS"),
        }
    }
}

/// One connection.
pub struct Conn {
    pub role: Role,
    /// Our SenderCompID and TargetCompID (the role's by default).
    sender: Vec<u8>,
    target: Vec<u8>,
    /// HeartBtInt (108) of our Logon, seconds.
    pub heart_bt_int: u32,
    /// Send a Heartbeat when we have written nothing for HeartBtInt
    /// (off by default: the crash trials are shorter than their 30 s).
    pub heartbeats: bool,
    last_write: Instant,
    stream: TcpStream,
    buf: Vec<u8>,
    parser: Parser,
    pub eof: bool,
    /// The connection ended with a reset (ECONNRESET or EPIPE).
    pub reset: bool,
    /// Bytes read from the engine on this connection.
    pub bytes_in: u64,
    /// Both Logons exchanged.
    pub logged_on: bool,
    pub logged_on_at: Option<Instant>,
    /// Our ResendRequest in this connection covers up to here.
    rr_upto: Option<u64>,
    /// The engine must ask us from this number (we logged on ahead of it).
    pub must_rr: Option<u64>,
    pub rr_seen: bool,
    pub logout_received: bool,
    pub logout_sent: bool,
    /// The engine may log out first (its app finished).
    pub logout_expected: bool,
    /// Orders per second we send once logged on (acceptor role).
    pub order_rate: u32,
    orders_started: Option<Instant>,
    orders_this_conn: u64,
    /// Send no more orders (final phase).
    pub orders_stop: bool,
    /// Record what we send but do not write it (lost in flight).
    pub mute: bool,
    /// Keep the engine's orders unanswered (in `held`) for now.
    pub hold_orders: bool,
    pub held: Vec<Msg>,
}

impl Conn {
    pub fn new(role: Role, stream: TcpStream) -> Self {
        stream.set_nodelay(true).unwrap();
        let (sender, target) = role.ids();
        Self {
            role,
            sender: sender.to_vec(),
            target: target.to_vec(),
            heart_bt_int: 30,
            heartbeats: false,
            last_write: Instant::now(),
            stream,
            buf: Vec::new(),
            parser: Parser::new(),
            eof: false,
            reset: false,
            bytes_in: 0,
            logged_on: false,
            logged_on_at: None,
            rr_upto: None,
            must_rr: None,
            rr_seen: false,
            logout_received: false,
            logout_sent: false,
            logout_expected: false,
            order_rate: 0,
            orders_started: None,
            orders_this_conn: 0,
            orders_stop: false,
            mute: false,
            hold_orders: false,
            held: Vec::new(),
        }
    }

    /// The same connection as another session: `sender` -> `target`.
    pub fn with_ids(mut self, sender: &str, target: &str) -> Self {
        self.sender = sender.as_bytes().to_vec();
        self.target = target.as_bytes().to_vec();
        self
    }

    fn write(&mut self, bytes: &[u8]) {
        // Muted bytes count as written: they are lost in flight.
        self.last_write = Instant::now();
        if self.eof || self.mute {
            return;
        }
        if let Err(e) = self.stream.write_all(bytes) {
            self.ended_by(&e);
        }
    }

    fn ended_by(&mut self, e: &std::io::Error) {
        self.eof = true;
        self.reset = matches!(e.kind(), ErrorKind::ConnectionReset | ErrorKind::BrokenPipe);
    }

    /// The connection was made to the killed engine's listening socket,
    /// which lingers for a moment after the process while the kernel tears
    /// its io_uring down: it accepts a connection but is then reset, never
    /// answered. A client reconnects; so do we.
    pub fn landed_on_dead_listener(&self) -> bool {
        self.role == Role::Acceptor && self.eof && self.reset && self.bytes_in == 0
    }

    fn header(&self, e: &mut Encoder<'_>, seq: u64, now: UtcTimestamp) {
        e.uint(34, seq)
            .bytes(49, &self.sender)
            .timestamp(52, now, TimePrecision::Millis)
            .bytes(56, &self.target);
    }

    /// Sends a new message: the next sequence number, recorded first
    /// (like a real engine, it counts as sent even if the write fails).
    pub fn send_new(&mut self, rec: &mut Record, msg_type: &[u8], body: &[u8]) -> u64 {
        let seq = rec.next_sender;
        rec.next_sender += 1;
        let now = UtcTimestamp::now();
        rec.sent.insert(
            seq,
            Sent {
                msg_type: msg_type.to_vec(),
                sending_time: now,
                body: body.to_vec(),
            },
        );
        let mut out = Vec::new();
        let mut e = Encoder::new(&mut out, BEGIN, msg_type);
        self.header(&mut e, seq, now);
        e.raw(body);
        e.finish();
        self.write(&out);
        seq
    }

    /// Sends our Logon (acceptor role: we initiate; initiator role: the
    /// answer). Notes whether the engine must now ask us for a resend.
    pub fn send_logon(&mut self, rec: &mut Record) {
        let seq = rec.next_sender;
        if seq > rec.engine_next_target {
            self.must_rr = Some(rec.engine_next_target);
        }
        let body = format!("98=0\x01108={}\x01", self.heart_bt_int);
        self.send_new(rec, b"A", body.as_bytes());
    }

    fn gap_fill(&mut self, begin: u64, new_seq_no: u64) {
        let now = UtcTimestamp::now();
        let mut out = Vec::new();
        let mut e = Encoder::new(&mut out, BEGIN, b"4");
        e.uint(34, begin)
            .bytes(43, b"Y")
            .bytes(49, &self.sender)
            .timestamp(52, now, TimePrecision::Millis)
            .bytes(56, &self.target)
            .timestamp(122, now, TimePrecision::Millis)
            .uint(36, new_seq_no)
            .bytes(123, b"Y");
        e.finish();
        self.write(&out);
    }

    fn resend(&mut self, seq: u64, sent: &Sent) {
        let mut out = Vec::new();
        let mut e = Encoder::new(&mut out, BEGIN, &sent.msg_type);
        e.uint(34, seq)
            .bytes(43, b"Y")
            .bytes(49, &self.sender)
            .timestamp(52, UtcTimestamp::now(), TimePrecision::Millis)
            .bytes(56, &self.target)
            .timestamp(122, sent.sending_time, TimePrecision::Millis)
            .raw(&sent.body);
        e.finish();
        self.write(&out);
    }

    /// Answers the engine's ResendRequest from our record: application
    /// messages resent with PossDupFlag, admin runs gap-filled.
    fn answer_resend(&mut self, rec: &mut Record, begin: u64, end: u64) {
        let last = rec.next_sender - 1;
        let end = if end == 0 || end > last { last } else { end };
        let mut gap: Option<u64> = None;
        for seq in begin..=end {
            match rec.sent.get(&seq) {
                Some(s) if !is_admin(&s.msg_type) => {
                    if let Some(b) = gap.take() {
                        self.gap_fill(b, seq);
                    }
                    let s = s.clone();
                    self.resend(seq, &s);
                }
                _ => {
                    gap.get_or_insert(seq);
                }
            }
        }
        if let Some(b) = gap {
            self.gap_fill(b, end + 1);
        }
    }

    /// Asks for the lowest gap once per connection until it is filled.
    fn maybe_request_resend(&mut self, rec: &mut Record) {
        if !self.logged_on || self.logout_sent {
            return;
        }
        let next = rec.recv_next();
        let max = rec.recv_max();
        if next > max {
            return;
        }
        if matches!(self.rr_upto, Some(upto) if upto >= next) {
            return;
        }
        self.rr_upto = Some(max);
        rec.stats.our_resend_requests += 1;
        let body = format!("7={next}\x0116=0\x01");
        self.send_new(rec, b"2", body.as_bytes());
    }

    /// Asks again for `begin..=end`, numbers we already have: every
    /// answer must be a PossDup copy of what we saw or a GapFill over
    /// admin messages.
    pub fn request_again(&mut self, rec: &mut Record, begin: u64, end: u64) {
        rec.stats.re_asks += 1;
        let body = format!("7={begin}\x0116={end}\x01");
        self.send_new(rec, b"2", body.as_bytes());
    }

    /// Sends the orders due at `order_rate` (acceptor role).
    pub fn send_orders(&mut self, rec: &mut Record) {
        if self.role != Role::Acceptor
            || !self.logged_on
            || self.logout_sent
            || self.orders_stop
            || self.order_rate == 0
        {
            return;
        }
        let start = *self.orders_started.get_or_insert_with(Instant::now);
        let due = (start.elapsed().as_micros() as u64 * u64::from(self.order_rate)) / 1_000_000 + 1;
        let mut burst = 0;
        while self.orders_this_conn < due && burst < 20 {
            self.send_order(rec);
            burst += 1;
        }
    }

    pub fn send_order(&mut self, rec: &mut Record) {
        let n = rec.next_order;
        rec.next_order += 1;
        rec.orders.insert(n, 0);
        rec.stats.orders += 1;
        self.orders_this_conn += 1;
        let body = format!(
            "11=P{n}\x0121=1\x0138=100\x0140=2\x0144=10.5\x0154=1\x0155=RFIX\x0160={}\x01",
            UtcTimestamp::now()
        );
        self.send_new(rec, b"D", body.as_bytes());
    }

    /// Sends Logout (once).
    pub fn send_logout(&mut self, rec: &mut Record) {
        if !self.logout_sent {
            self.logout_sent = true;
            self.send_new(rec, b"5", b"");
        }
    }

    /// Reads for at most `wait` and handles every complete message.
    pub fn poll(&mut self, rec: &mut Record, wait: Duration) {
        if !self.eof {
            let _ = self
                .stream
                .set_read_timeout(Some(wait.max(Duration::from_micros(200))));
            let mut chunk = [0u8; 16384];
            match self.stream.read(&mut chunk) {
                Ok(0) => self.eof = true,
                Ok(n) => {
                    self.bytes_in += n as u64;
                    self.buf.extend_from_slice(&chunk[..n]);
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(e) => self.ended_by(&e),
            }
        }
        loop {
            match frame(&self.buf, DEFAULT_MAX_MESSAGE_SIZE) {
                Frame::Complete(len) => {
                    let raw: Vec<u8> = self.buf.drain(..len).collect();
                    match Msg::parse(&mut self.parser, &raw) {
                        Ok(m) => self.on_message(rec, m),
                        Err(e) => rec.violation(format!("{e}: {}", show(&raw))),
                    }
                }
                Frame::Incomplete => break,
                Frame::Garbled { skip, error } => {
                    // A kill cuts the stream anywhere: a partial last
                    // message at EOF is expected, garbage before it is not.
                    rec.violation(format!("garbled bytes from engine: {error:?}"));
                    self.buf.drain(..skip.min(self.buf.len()));
                }
            }
        }
        self.send_orders(rec);
        self.heartbeat_if_quiet(rec);
    }

    /// With `heartbeats`: a Heartbeat once we have written nothing for
    /// HeartBtInt.
    fn heartbeat_if_quiet(&mut self, rec: &mut Record) {
        if self.heartbeats
            && self.logged_on
            && !self.logout_sent
            && self.last_write.elapsed() >= Duration::from_secs(self.heart_bt_int.into())
        {
            rec.stats.heartbeats_sent += 1;
            self.send_new(rec, b"0", b"");
        }
    }

    fn on_message(&mut self, rec: &mut Record, m: Msg) {
        rec.stats.engine_msgs += 1;
        let seq = m.seq;
        if m.msg_type == b"4" {
            if m.get(123) != Some(b"Y") {
                rec.violation(format!("SequenceReset-Reset from engine: {}", show(&m.raw)));
                return;
            }
            rec.stats.gap_fill_msgs += 1;
            let new = m.get_u64(36).unwrap_or(0);
            if new <= seq {
                rec.violation(format!("GapFill not forward: {}", show(&m.raw)));
            }
            // Numbers pruned from the record were settled long ago.
            for x in seq.max(rec.recv_base())..new {
                match rec.recv.get(&x) {
                    Some(Recv::Msg(old)) if !old.is_admin() => rec.violation(format!(
                        "GapFill {seq}..{new} covers application message {x} we saw: {}",
                        show(&old.raw)
                    )),
                    Some(_) => {}
                    None => {
                        rec.recv.insert(x, Recv::GapFilled);
                        rec.stats.gap_filled += 1;
                    }
                }
                rec.gap_filled_unverified.push(x);
            }
            self.maybe_request_resend(rec);
            return;
        }
        let first = match rec.recv.get(&seq) {
            // Pruned from the record (settled long ago): only a PossDup
            // copy may come again; its content can no longer be compared.
            None if seq < rec.recv_base() => {
                if m.poss_dup {
                    rec.stats.resent_received += 1;
                } else {
                    rec.violation(format!(
                        "MsgSeqNum {seq} reused without PossDupFlag: {}",
                        show(&m.raw)
                    ));
                }
                false
            }
            None => true,
            Some(_) if !m.poss_dup => {
                rec.violation(format!(
                    "MsgSeqNum {seq} reused without PossDupFlag: {}",
                    show(&m.raw)
                ));
                false
            }
            Some(Recv::GapFilled) => {
                rec.violation(format!(
                    "seq {seq} was gap-filled, now resent: {}",
                    show(&m.raw)
                ));
                false
            }
            Some(Recv::Msg(orig)) => {
                rec.stats.resent_received += 1;
                if orig.normalized() != m.normalized() {
                    rec.violation(format!(
                        "resend of {seq} differs: first {} now {}",
                        show(&orig.raw),
                        show(&m.raw)
                    ));
                } else if !orig.poss_dup && orig.get(52) != m.get(122) {
                    rec.violation(format!(
                        "resend of {seq}: OrigSendingTime {:?} != SendingTime {:?}",
                        m.get(122).map(String::from_utf8_lossy),
                        orig.get(52).map(String::from_utf8_lossy)
                    ));
                }
                false
            }
        };
        if !first {
            self.maybe_request_resend(rec);
            return;
        }
        if m.poss_dup {
            rec.stats.resent_received += 1;
        }
        rec.unverified.push(seq);
        if !m.poss_dup {
            rec.stats.engine_bytes += m.raw.len() as u64;
            rec.stats.engine_sized += 1;
        }
        rec.stats.engine_max_len = rec.stats.engine_max_len.max(m.raw.len());
        rec.recv.insert(seq, Recv::Msg(m.clone()));
        self.dispatch(rec, &m);
        self.maybe_request_resend(rec);
    }

    fn dispatch(&mut self, rec: &mut Record, m: &Msg) {
        match m.msg_type.as_slice() {
            b"A" => {
                if self.role == Role::Initiator {
                    self.send_logon(rec);
                }
                self.logged_on = true;
                self.logged_on_at = Some(Instant::now());
            }
            b"2" => {
                rec.stats.engine_resend_requests += 1;
                let begin = m.get_u64(7).unwrap_or(0);
                let end = m.get_u64(16).unwrap_or(0);
                if let Some(expected) = self.must_rr {
                    if !self.rr_seen {
                        rec.stats.logon_resend_checks += 1;
                        if begin != expected {
                            rec.violation(format!(
                                "engine asked from {begin}, but it had processed up to {}",
                                expected - 1
                            ));
                        }
                    }
                }
                self.rr_seen = true;
                self.answer_resend(rec, begin, end);
            }
            b"0" => rec.stats.engine_heartbeats += 1,
            b"1" => {
                rec.stats.engine_test_requests += 1;
                let id = m.get(112).unwrap_or_default().to_vec();
                let mut body = b"112=".to_vec();
                body.extend_from_slice(&id);
                body.push(1);
                self.send_new(rec, b"0", &body);
            }
            b"5" => {
                self.logout_received = true;
                if !self.logout_sent {
                    if !self.logout_expected {
                        rec.violation(format!("engine logged out: {}", show(&m.raw)));
                    }
                    self.send_logout(rec);
                }
            }
            b"3" | b"j" => rec.violation(format!("engine rejected: {}", show(&m.raw))),
            b"8" => {
                let n = m
                    .get(11)
                    .and_then(|v| v.strip_prefix(b"P"))
                    .and_then(|v| std::str::from_utf8(v).ok())
                    .and_then(|v| v.parse::<u64>().ok());
                match n.and_then(|n| rec.orders.get_mut(&n)) {
                    Some(count) => {
                        *count += 1;
                        if *count > 1 {
                            rec.stats.duplicate_reports += 1;
                        }
                    }
                    None => rec.violation(format!("report for no order of ours: {}", show(&m.raw))),
                }
            }
            b"D" if self.hold_orders => self.held.push(m.clone()),
            b"D" => self.fill(rec, m),
            _ => {}
        }
    }

    /// Answers the orders held so far.
    pub fn release_held(&mut self, rec: &mut Record) {
        self.hold_orders = false;
        for m in std::mem::take(&mut self.held) {
            self.fill(rec, &m);
        }
    }

    /// Initiator role: fill the engine's order (once per engine MsgSeqNum).
    fn fill(&mut self, rec: &mut Record, m: &Msg) {
        rec.answered.insert(m.seq);
        if self.logout_sent {
            // Nothing new after our Logout: the engine would not process it.
            return;
        }
        let id = m.seq;
        let qty = m.get(38).unwrap_or(b"100");
        let px = m.get(44).unwrap_or(b"1");
        let mut body = Vec::new();
        push(&mut body, 6, px);
        push(&mut body, 11, m.get(11).unwrap_or(b"?"));
        push(&mut body, 14, qty);
        push(&mut body, 17, format!("E{id}").as_bytes());
        push(&mut body, 31, px);
        push(&mut body, 32, qty);
        push(&mut body, 37, format!("O{id}").as_bytes());
        push(&mut body, 38, qty);
        push(&mut body, 39, b"2");
        push(&mut body, 54, m.get(54).unwrap_or(b"1"));
        push(&mut body, 55, m.get(55).unwrap_or(b"X"));
        push(&mut body, 60, UtcTimestamp::now().to_string().as_bytes());
        push(&mut body, 150, b"F");
        push(&mut body, 151, b"0");
        self.send_new(rec, b"8", &body);
    }
}

fn field(tag: u32, v: &[u8]) -> Vec<u8> {
    let mut f = format!("{tag}=").into_bytes();
    f.extend_from_slice(v);
    f.push(1);
    f
}

fn push(body: &mut Vec<u8>, tag: u32, v: &[u8]) {
    body.extend_from_slice(&field(tag, v));
}
