//! Runs one `.def` acceptance script over real TCP against a running
//! acceptor. Needs `defscript` (the parser/comparator) as a sibling module.
//!
//! Framing of what the acceptor sends is done here, independently of the
//! codec under test: `8=...|9=<n>|` + n bytes + `10=nnn|`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ringfix_testkit::defscript::{compare, parse_script, split_fields, substitute_time, to_wire};
use ringfix_testkit::defscript::{Action, FieldFormats, Step};

/// Bound for a message that answers what we just sent.
pub const RESPONSE_BOUND: Duration = Duration::from_secs(5);
/// Margin added to timer-derived bounds (scheduling, a loaded 2-vCPU box).
pub const TIMER_MARGIN: Duration = Duration::from_secs(3);
/// Bound for the acceptor to close after our FIN, or on a logon/logout timeout.
pub const CLOSE_BOUND: Duration = Duration::from_secs(12);
/// How long the acceptor may take to send a timer-driven message, in
/// heartbeat intervals: a TestRequest follows 1.2 x HeartBtInt of silence,
/// the disconnect another 1.2 x later (QuickFIX's timing), so 2.4 covers all.
pub const HEARTBEATS_PER_TIMER: f64 = 2.4;

/// Seconds since the epoch, now.
pub fn now_secs() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// Length of the first complete FIX message in `buf`, `Ok(None)` when more
/// bytes are needed, `Err` when the bytes cannot be a FIX message.
pub fn frame(buf: &[u8]) -> Result<Option<usize>, String> {
    let soh = |from: usize| {
        buf[from..]
            .iter()
            .position(|&b| b == 0x01)
            .map(|p| p + from)
    };
    if buf.len() < 2 {
        return Ok(None);
    }
    if !buf.starts_with(b"8=") {
        return Err(format!(
            "not a FIX message start: {}",
            show(&buf[..buf.len().min(40)])
        ));
    }
    let Some(end8) = soh(0) else {
        return Ok(None);
    };
    let rest = &buf[end8 + 1..];
    if rest.len() < 2 {
        return Ok(None);
    }
    if !rest.starts_with(b"9=") {
        return Err(format!("BodyLength is not the second field: {}", show(buf)));
    }
    let Some(end9) = soh(end8 + 1) else {
        return Ok(None);
    };
    let digits = &buf[end8 + 3..end9];
    let body_len: usize = std::str::from_utf8(digits)
        .ok()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| format!("bad BodyLength {}", show(digits)))?;
    let total = end9 + 1 + body_len + 7;
    if buf.len() < total {
        return Ok(None);
    }
    let trailer = &buf[end9 + 1 + body_len..total];
    if !trailer.starts_with(b"10=") || trailer[6] != 0x01 {
        return Err(format!(
            "BodyLength does not end at the CheckSum: {}",
            show(&buf[..total])
        ));
    }
    Ok(Some(total))
}

/// A message for humans: SOH shown as `|`.
pub fn show(b: &[u8]) -> String {
    String::from_utf8_lossy(b).replace('\x01', "|")
}

/// One client connection of a script.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    /// The acceptor closed (EOF or reset).
    eof: bool,
    /// HeartBtInt (108) of the last Logon we sent on this connection.
    heartbeat: Option<u64>,
}

/// The value of `tag` in split fields.
fn field<'a>(msg: &'a [(String, Vec<u8>)], tag: &str) -> Option<&'a [u8]> {
    msg.iter()
        .find(|(t, _)| t == tag)
        .map(|(_, v)| v.as_slice())
}

impl Conn {
    fn connect(addr: SocketAddr) -> Result<Self, String> {
        let stream = TcpStream::connect_timeout(&addr, RESPONSE_BOUND)
            .map_err(|e| format!("connect {addr}: {e}"))?;
        stream.set_nodelay(true).map_err(|e| e.to_string())?;
        Ok(Self {
            stream,
            buf: Vec::new(),
            eof: false,
            heartbeat: None,
        })
    }

    /// Reads once, waiting at most until `deadline`. `false` on timeout.
    fn fill(&mut self, deadline: Instant) -> Result<bool, String> {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(false);
        }
        self.stream
            .set_read_timeout(Some(left))
            .map_err(|e| e.to_string())?;
        let mut chunk = [0u8; 16 * 1024];
        match self.stream.read(&mut chunk) {
            Ok(0) => {
                self.eof = true;
                Ok(true)
            }
            Ok(n) => {
                self.buf.extend_from_slice(&chunk[..n]);
                Ok(true)
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Ok(false),
            Err(e) if e.kind() == ErrorKind::Interrupted => Ok(true),
            Err(e) if e.kind() == ErrorKind::ConnectionReset => {
                self.eof = true;
                Ok(true)
            }
            Err(e) => Err(format!("read: {e}")),
        }
    }

    /// The next complete message, waiting until `deadline`.
    fn next_message(&mut self, deadline: Instant) -> Result<Option<Vec<u8>>, String> {
        loop {
            if let Some(len) = frame(&self.buf)? {
                return Ok(Some(self.buf.drain(..len).collect()));
            }
            if self.eof || !self.fill(deadline)? {
                return Ok(None);
            }
        }
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), String> {
        let fields = split_fields(bytes);
        if field(&fields, "35") == Some(b"A") {
            self.heartbeat = field(&fields, "108")
                .and_then(|v| std::str::from_utf8(v).ok())
                .and_then(|v| v.parse().ok());
        }
        match self.stream.write_all(bytes) {
            Ok(()) => Ok(()),
            // The acceptor has closed: what we send goes nowhere, as with a
            // real counterparty; a later eDISCONNECT or E step decides.
            Err(e) if matches!(e.kind(), ErrorKind::BrokenPipe | ErrorKind::ConnectionReset) => {
                Ok(())
            }
            Err(e) => Err(format!("write: {e}")),
        }
    }

    /// Half-closes and waits for the acceptor to close too, so it has
    /// released the session before the next script logs on to it.
    fn close(mut self) -> Result<(), String> {
        let _ = self.stream.shutdown(Shutdown::Write);
        let deadline = Instant::now() + CLOSE_BOUND;
        while !self.eof {
            self.buf.clear();
            if !self.fill(deadline)? {
                return Err(format!(
                    "acceptor kept the connection open {}s after our FIN",
                    CLOSE_BOUND.as_secs()
                ));
            }
        }
        Ok(())
    }

    /// Bound for a timer-driven event on this connection.
    fn timer_bound(&self) -> Duration {
        let hb = self.heartbeat.unwrap_or(0) as f64;
        Duration::from_secs_f64(hb * HEARTBEATS_PER_TIMER) + TIMER_MARGIN
    }
}

/// How long an expected message may take: heartbeats and test requests are
/// driven by the heartbeat timer, everything else answers what we sent.
fn expect_bound(conn: &Conn, expected: &[u8]) -> Duration {
    let fields = split_fields(expected);
    let timer = match field(&fields, "35") {
        Some(b"0") => field(&fields, "112").is_none(),
        Some(b"1") => true,
        _ => false,
    };
    if timer {
        conn.timer_bound().max(RESPONSE_BOUND)
    } else {
        RESPONSE_BOUND
    }
}

/// Runs a script against the acceptor at `addr`. `Err` names the line and
/// carries a field-level diff.
pub fn run_script(addr: SocketAddr, text: &str, formats: &FieldFormats) -> Result<(), String> {
    let steps = parse_script(text)?;
    let mut conns: BTreeMap<u32, Conn> = BTreeMap::new();
    let mut result = Ok(());
    for step in &steps {
        if let Err(e) = run_step(addr, step, &mut conns, formats) {
            result = Err(format!("line {}: {e}", step.line));
            break;
        }
    }
    // Close what is still open, waiting for the acceptor to let go.
    for (id, conn) in std::mem::take(&mut conns) {
        if let Err(e) = conn.close() {
            if result.is_ok() {
                result = Err(format!("after the script, connection {id}: {e}"));
            }
        }
    }
    result
}

fn run_step(
    addr: SocketAddr,
    step: &Step,
    conns: &mut BTreeMap<u32, Conn>,
    formats: &FieldFormats,
) -> Result<(), String> {
    let id = step.conn;
    match &step.action {
        Action::Connect => {
            if let Some(old) = conns.remove(&id) {
                old.close()?;
            }
            conns.insert(id, Conn::connect(addr)?);
            Ok(())
        }
        Action::Disconnect => match conns.remove(&id) {
            Some(conn) => conn.close(),
            None => Ok(()),
        },
        Action::Send(m) => {
            let conn = conns
                .get_mut(&id)
                .ok_or("send on a connection never opened")?;
            conn.send(&to_wire(&substitute_time(m, now_secs())))
        }
        Action::Expect(m) => {
            let conn = conns
                .get_mut(&id)
                .ok_or("expect on a connection never opened")?;
            let expected = to_wire(&substitute_time(m, now_secs()));
            let bound = expect_bound(conn, &expected);
            let start = Instant::now();
            match conn.next_message(start + bound)? {
                Some(actual) => compare(&expected, &actual, formats),
                None if conn.eof => Err(format!(
                    "acceptor closed the connection after {:.1}s; expected {}",
                    start.elapsed().as_secs_f64(),
                    show(&expected)
                )),
                None => Err(format!(
                    "nothing within {:.1}s; expected {}",
                    bound.as_secs_f64(),
                    show(&expected)
                )),
            }
        }
        Action::ExpectDisconnect => {
            let conn = conns
                .get_mut(&id)
                .ok_or("eDISCONNECT on a connection never opened")?;
            let bound = conn.timer_bound().max(CLOSE_BOUND);
            let start = Instant::now();
            match conn.next_message(start + bound)? {
                Some(extra) => Err(format!("expected disconnect, got {}", show(&extra))),
                None if conn.eof && conn.buf.is_empty() => {
                    conns.remove(&id);
                    Ok(())
                }
                None if conn.eof => Err(format!(
                    "disconnected with a partial message pending: {}",
                    show(&conn.buf)
                )),
                None => Err(format!(
                    "still connected after {:.1}s; expected a disconnect",
                    bound.as_secs_f64()
                )),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_complete_partial_and_bad() {
        let m = b"8=FIX.4.4\x019=5\x0135=0\x0110=123\x01";
        assert_eq!(frame(m), Ok(Some(m.len())));
        assert_eq!(frame(&m[..m.len() - 1]), Ok(None));
        assert_eq!(frame(&m[..3]), Ok(None));
        assert!(frame(b"9=5\x01").is_err());
        assert!(frame(b"8=FIX.4.4\x019=4\x0135=0\x0110=123\x01").is_err());
    }
}
