//! The path of one message through the runtime without a ring: a
//! [`Conn`] of an acceptor session (memory store, the `exec`
//! application) gets its frames straight into
//! [`ConnectionHandler::on_input`] and the outbound bytes are captured
//! from its `Ctx`. `scripts/hops.sh` runs it under callgrind to count the
//! function hops from the completion's bytes to the application and from
//! the application to the outbound buffer. Not part of the API.

use std::sync::{mpsc, Arc, Mutex};

use super::conn::{Conn, ListenerTable};
use super::core::SessionCore;
use super::Event;
use crate::apps::exec::Exec;
use crate::config::EngineConfig;
use crate::reactor::{self, AcceptInfo, CloseMode, ConnId, ConnectionHandler, Ctx, Framed};
use crate::session::Router;
use crate::store::UtcTimestamp;
use crate::time::Now;

const CONFIG: &str = "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\n\
    [SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
    SocketAcceptPort=1\nHeartBtInt=30\n";

/// 2026-01-01T00:00:00Z: the harness's clock, which never moves.
const START_NANOS: i64 = 1_767_225_600 * 1_000_000_000;
const SENDING_TIME: &str = "20260101-00:00:00.000";
const MAX_LEN: usize = ringfix_codec::DEFAULT_MAX_MESSAGE_SIZE;

/// An acceptor connection, logged on, fed prepared NewOrderSingles.
pub struct Hops {
    conn: Conn,
    out: Vec<u8>,
    close: Option<CloseMode>,
    now: Now,
    orders: Vec<Vec<u8>>,
    next: usize,
    /// Kept alive: the connection's channel to the (absent) supervisor.
    _events: mpsc::Receiver<Event>,
}

/// A frame from ORDERS to EXEC: `body` is the fields after the header's
/// CompIDs, each ending in SOH.
fn frame(msg_type: &str, seq: u64, body: &str) -> Vec<u8> {
    let body =
        format!("35={msg_type}\x0149=ORDERS\x0156=EXEC\x0134={seq}\x0152={SENDING_TIME}\x01{body}");
    let head = format!("8=FIX.4.4\x019={}\x01{body}", body.len());
    let sum = head.bytes().fold(0u8, |a, b| a.wrapping_add(b));
    format!("{head}10={sum:03}\x01").into_bytes()
}

impl Hops {
    /// Logs the session on and prepares `orders` NewOrderSingles.
    pub fn new(orders: usize) -> Result<Self, String> {
        let cfg = EngineConfig::parse(CONFIG, "hops.cfg").map_err(|e| e.to_string())?;
        let settings = cfg.sessions.first().ok_or("no session")?.clone();
        let now = Now::same(UtcTimestamp::from_nanos(START_NANOS));
        let core = SessionCore::new(
            0,
            Arc::new(settings.clone()),
            Box::new(Exec::new()),
            None,
            None,
            None,
            now,
        )
        .map_err(|e| e.to_string())?;
        let mut router = Router::new();
        router.add(
            &settings.id.begin_string,
            &settings.id.sender_comp_id,
            &settings.id.target_comp_id,
        );
        let table = Arc::new(ListenerTable {
            router,
            slots: vec![Arc::new(Mutex::new(Some(Box::new(core))))],
            logon_timeout: i64::MAX / 2,
            checks: ringfix_codec::FrameChecks::ALL,
            guard: super::guard::LogonGuard::new(0, Arc::default()),
            credentials: vec![None],
        });
        let remote = reactor::detached_remote().map_err(|e| e.to_string())?;
        let (tx, rx) = mpsc::channel();
        let id = ConnId {
            slot: 0,
            generation: 0,
        };
        let info = AcceptInfo {
            id,
            peer: None,
            local: std::net::SocketAddr::from(([127, 0, 0, 1], 1)),
        };
        let conn = Conn::accepted(table, now, tx, remote, &info);
        let orders = (2..)
            .take(orders)
            .map(|seq| {
                frame(
                    "D",
                    seq,
                    &format!(
                        "11=ORD{seq}\x0121=1\x0155=RFIX\x0154=1\x0160={SENDING_TIME}\x01\
                         38=100\x0140=2\x0144=10.25\x01"
                    ),
                )
            })
            .collect();
        let mut h = Self {
            conn,
            out: Vec::with_capacity(1 << 16),
            close: None,
            now,
            orders,
            next: 0,
            _events: rx,
        };
        let logon = frame("A", 1, "98=0\x01108=30\x01");
        if h.input(&logon) == 0 || h.close.is_some() {
            return Err("the Logon was not answered".into());
        }
        Ok(h)
    }

    fn input(&mut self, data: &[u8]) -> usize {
        self.out.clear();
        let mut ctx = Ctx {
            id: ConnId {
                slot: 0,
                generation: 0,
            },
            out: &mut self.out,
            close: &mut self.close,
            stamp: 0,
            wire_unsent: 0,
        };
        match self.conn.on_input(data, MAX_LEN, &mut ctx, self.now) {
            Framed::Complete(_) => self.out.len(),
            _ => 0,
        }
    }

    /// Feeds the next prepared NewOrderSingle; the length of the answer
    /// (an ExecutionReport), 0 when none was written or none is left.
    #[inline(never)]
    pub fn order(&mut self) -> usize {
        let i = self.next;
        let Some(frame) = self.orders.get_mut(i).map(std::mem::take) else {
            return 0;
        };
        self.next += 1;
        let n = self.input(&frame);
        // Put back: no free inside the measured call.
        if let Some(slot) = self.orders.get_mut(i) {
            *slot = frame;
        }
        n
    }

    /// The bytes the last call wrote.
    pub fn written(&self) -> &[u8] {
        &self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_order_gets_an_execution_report() {
        let mut h = Hops::new(3).unwrap();
        for _ in 0..3 {
            assert!(h.order() > 0);
            let w = h.written();
            assert!(w.windows(5).any(|x| x == b"\x0135=8"), "{w:?}");
        }
        assert_eq!(h.order(), 0, "only three prepared");
    }
}
