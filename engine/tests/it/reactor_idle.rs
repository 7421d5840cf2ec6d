//! Idle time: `on_idle` runs only in loop turns with nothing else to do,
//! only for connections whose handler asked, one per turn, round-robin.

use crate::reactor_support;

use reactor_support::{config, serial, wait_until, with_timeout};
use ringfix_engine::reactor::{
    self, CloseReason, ConnectionHandler, Ctx, Framed, Mode, MonoTime, Now, ReactorHandle,
};
use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the handlers saw, in order: `(connection, recv stamp)` per frame,
/// `(connection, None)` per idle call.
type Seen = Arc<Mutex<Vec<(u8, Option<u64>)>>>;

/// Frames are `F<n>\n`: the connection wants `n` idle steps more. The first
/// frame names the connection (`Fa...`, `Fb...`: its letter).
struct Idler {
    name: u8,
    deadline: Option<MonoTime>,
    steps: u32,
    seen: Seen,
}

impl ConnectionHandler for Idler {
    fn frame(&mut self, buf: &[u8], _max_len: usize) -> Framed {
        match buf.iter().position(|b| *b == b'\n') {
            Some(i) => Framed::Complete(i + 1),
            None => Framed::Incomplete,
        }
    }
    fn on_open(&mut self, _ctx: &mut Ctx<'_>, now: Now) {
        // Fixed: a deadline of "default from now" moves at every event.
        self.deadline = Some(now.mono.add_nanos(60_000_000_000));
    }
    fn on_frame(&mut self, frame: &[u8], ctx: &mut Ctx<'_>, _now: Now) {
        let body = &frame[1..frame.len() - 1];
        let digits = match body.first() {
            Some(c) if c.is_ascii_alphabetic() => {
                self.name = *c;
                &body[1..]
            }
            _ => body,
        };
        self.steps += std::str::from_utf8(digits)
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        self.seen
            .lock()
            .unwrap()
            .push((self.name, Some(ctx.recv_stamp())));
    }
    fn on_garbled(&mut self, _s: &[u8], _ctx: &mut Ctx<'_>, _now: Now) {}
    fn on_deadline(&mut self, _ctx: &mut Ctx<'_>, _now: Now) {}
    fn deadline(&self) -> Option<MonoTime> {
        self.deadline
    }
    fn wants_idle(&self) -> bool {
        self.steps > 0
    }
    fn on_idle(&mut self, _ctx: &mut Ctx<'_>, _now: Now) -> bool {
        assert!(self.steps > 0, "on_idle without asking");
        self.steps -= 1;
        self.seen.lock().unwrap().push((self.name, None));
        self.steps > 0
    }
    fn on_closed(&mut self, _reason: &CloseReason, _now: Now) {}
}

fn start(mode: Mode, seen: &Seen) -> (ReactorHandle<Idler>, SocketAddr) {
    let r = reactor::spawn::<Idler>(config(mode)).unwrap();
    let seen = Arc::clone(seen);
    let addr = r
        .add_listener(
            "127.0.0.1:0".parse().unwrap(),
            Box::new(move |_| {
                Some(Idler {
                    name: b'?',
                    deadline: None,
                    steps: 0,
                    seen: Arc::clone(&seen),
                })
            }),
        )
        .unwrap();
    (r, addr)
}

fn idles(seen: &Seen, name: u8) -> usize {
    let s = seen.lock().unwrap();
    s.iter().filter(|&&(n, f)| n == name && f.is_none()).count()
}

fn frames(seen: &Seen) -> usize {
    seen.lock()
        .unwrap()
        .iter()
        .filter(|(_, f)| f.is_some())
        .count()
}

#[test]
fn idle_steps_go_only_to_connections_that_ask_round_robin() {
    let _g = serial();
    for mode in [Mode::Block, Mode::Spin] {
        with_timeout(20, move || {
            let seen: Seen = Arc::default();
            let (r, addr) = start(mode, &seen);
            let mut quiet = TcpStream::connect(addr).unwrap();
            quiet.write_all(b"Fq0\n").unwrap();
            let mut a = TcpStream::connect(addr).unwrap();
            let mut b = TcpStream::connect(addr).unwrap();
            a.write_all(b"Fa0\n").unwrap();
            b.write_all(b"Fb0\n").unwrap();
            assert!(wait_until(Duration::from_secs(5), || frames(&seen) == 3));
            assert_eq!(r.stats().snapshot().idle_calls, 0, "nobody asked");
            // Both ask in one go: their steps interleave.
            seen.lock().unwrap().clear();
            a.write_all(b"F30\n").unwrap();
            b.write_all(b"F30\n").unwrap();
            let done = wait_until(Duration::from_secs(5), || {
                idles(&seen, b'a') == 30 && idles(&seen, b'b') == 30
            });
            assert!(done, "{mode:?}: {:?}", seen.lock().unwrap());
            std::thread::sleep(Duration::from_millis(50));
            assert_eq!(idles(&seen, b'a'), 30, "exactly the steps asked for");
            assert_eq!(idles(&seen, b'b'), 30);
            assert_eq!(
                idles(&seen, b'q'),
                0,
                "never for a connection that did not ask"
            );
            let order: Vec<u8> = {
                let s = seen.lock().unwrap();
                s.iter()
                    .filter(|(_, f)| f.is_none())
                    .map(|(n, _)| *n)
                    .collect()
            };
            // Once both are queued, neither runs twice in a row until
            // one is done.
            let last_b = order.iter().rposition(|&n| n == b'b').unwrap();
            let last_a = order.iter().rposition(|&n| n == b'a').unwrap();
            let both = last_a.min(last_b);
            let first_both = order.iter().position(|&n| n != order[0]).unwrap();
            for w in order[first_both..=both].windows(2) {
                assert_ne!(w[0], w[1], "not round-robin: {order:?}");
            }
            assert_eq!(r.stats().snapshot().idle_calls, 60);
            if mode == Mode::Block {
                // Done: the reactor goes back to sleep.
                let turns = r.stats().snapshot().loop_turns;
                std::thread::sleep(Duration::from_millis(100));
                assert!(r.stats().snapshot().loop_turns <= turns + 2);
            }
            drop((quiet, a, b));
            r.stop().unwrap();
            r.join().unwrap();
        });
    }
}

#[test]
fn idle_steps_never_split_one_turn_of_frames() {
    let _g = serial();
    with_timeout(20, || {
        let seen: Seen = Arc::default();
        let (r, addr) = start(Mode::Spin, &seen);
        let mut a = TcpStream::connect(addr).unwrap();
        a.set_nodelay(true).unwrap();
        // Each burst asks for many steps and arrives in one segment: all its
        // frames are reaped in one turn, and no idle step may fall inside.
        let burst: Vec<u8> = (0..50).flat_map(|_| b"F2\n".iter().copied()).collect();
        a.write_all(b"Fa1\n").unwrap();
        for _ in 0..20 {
            a.write_all(&burst).unwrap();
            std::thread::sleep(Duration::from_millis(2));
        }
        assert!(wait_until(Duration::from_secs(5), || frames(&seen) == 1001));
        let s = seen.lock().unwrap().clone();
        let mut idle_seen = 0;
        // (stamp of the last frame, an idle call came after it)
        let mut last: Option<(u64, bool)> = None;
        for &(_, stamp) in &s {
            match (stamp, &mut last) {
                (None, Some((_, idle))) => {
                    idle_seen += 1;
                    *idle = true;
                }
                (None, None) => idle_seen += 1,
                (Some(t), Some((prev, idle))) => {
                    // Frames around an idle call were reaped in different turns.
                    assert!(
                        !(*idle && *prev == t),
                        "an idle step inside one turn's frames"
                    );
                    last = Some((t, false));
                }
                (Some(t), None) => last = Some((t, false)),
            }
        }
        assert!(idle_seen > 0, "idle steps ran between the bursts");
        drop(a);
        r.stop().unwrap();
        r.join().unwrap();
    });
}
