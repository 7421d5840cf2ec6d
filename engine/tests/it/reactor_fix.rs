//! FIX framing through the handler's default `frame` (the codec's framer).

use crate::reactor_support;

use reactor_support::*;
use ringfix_codec::Encoder;
use ringfix_engine::reactor::{self, CloseReason, ConnectionHandler, Ctx, Mode};
use ringfix_engine::time::{MonoTime, Now};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Default)]
struct Seen {
    frames: Vec<Vec<u8>>,
    garbled: usize,
    closed: Option<CloseReason>,
}

/// Echoes every FIX message; framing is the trait's default.
struct FixEcho(Arc<Mutex<Seen>>);

impl ConnectionHandler for FixEcho {
    fn on_open(&mut self, _ctx: &mut Ctx<'_>, _now: Now) {}
    fn on_frame(&mut self, frame: &[u8], ctx: &mut Ctx<'_>, _now: Now) {
        self.0.lock().unwrap().frames.push(frame.to_vec());
        ctx.outbound().extend_from_slice(frame);
    }
    fn on_garbled(&mut self, skipped: &[u8], _ctx: &mut Ctx<'_>, _now: Now) {
        self.0.lock().unwrap().garbled += skipped.len();
    }
    fn on_deadline(&mut self, _ctx: &mut Ctx<'_>, _now: Now) {}
    fn deadline(&self) -> Option<MonoTime> {
        None
    }
    fn on_closed(&mut self, reason: &CloseReason, _now: Now) {
        self.0.lock().unwrap().closed = Some(reason.clone());
    }
}

fn message(seq: u64, text: &str) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut e = Encoder::new(&mut buf, b"FIX.4.4", b"0");
    e.uint(34, seq).str(49, "A").str(56, "B").str(112, text);
    e.finish();
    buf
}

#[test]
fn fix_messages_are_framed_in_place_across_reads_with_garbage_skipped() {
    let _g = serial();
    if isolated(
        module_path!(),
        "fix_messages_are_framed_in_place_across_reads_with_garbage_skipped",
    ) {
        return;
    }
    with_timeout(20, || {
        let seen = Arc::new(Mutex::new(Seen::default()));
        let r = reactor::spawn::<FixEcho>(config(Mode::Block)).unwrap();
        let s2 = Arc::clone(&seen);
        let addr = r
            .add_listener(
                "127.0.0.1:0".parse().unwrap(),
                Box::new(move |_| Some(FixEcho(Arc::clone(&s2)))),
            )
            .unwrap();
        let base = fd_count();
        let mut peer = TcpStream::connect(addr).unwrap();
        let m1 = message(1, "one");
        let m2 = message(2, "two");
        let mut wire = b"junk".to_vec();
        wire.extend_from_slice(&m1);
        wire.extend_from_slice(&m2[..10]);
        peer.write_all(&wire).unwrap();
        std::thread::sleep(Duration::from_millis(20));
        peer.write_all(&m2[10..]).unwrap();
        // Many messages, split at every size, through the 4 KiB buffer.
        let mut bulk = Vec::new();
        for i in 0..300u64 {
            bulk.extend_from_slice(&message(3 + i, &"z".repeat((i % 50) as usize)));
        }
        for chunk in bulk.chunks(777) {
            peer.write_all(chunk).unwrap();
        }
        let mut want = m1.clone();
        want.extend_from_slice(&m2);
        want.extend_from_slice(&bulk);
        let mut got = vec![0u8; want.len()];
        peer.read_exact(&mut got).unwrap();
        assert!(got == want, "echo differs");
        {
            let s = seen.lock().unwrap();
            assert_eq!(s.frames.len(), 302);
            assert_eq!(s.frames[0], m1);
            assert_eq!(s.garbled, 4);
        }
        drop(peer);
        assert!(wait_until(Duration::from_secs(2), || seen
            .lock()
            .unwrap()
            .closed
            .is_some()));
        assert_eq!(seen.lock().unwrap().closed, Some(CloseReason::PeerClosed));
        assert_clean(addr.port(), base);
        r.stop().unwrap();
        r.join().unwrap();
    });
}
