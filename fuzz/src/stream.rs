//! The `session_stream` target: `data[..4]` are the [`Knobs`], the rest is
//! the byte stream from the peer. A small PRNG seeded by the knobs cuts the
//! stream into chunks and, between chunks, moves the clock and fires
//! timers, so the stream bytes stay contiguous for the mutator.

use crate::driver::{Driver, Knobs};
use crate::repair::repair;
use crate::NANOS;

/// xorshift64*: deterministic per input.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}

/// Runs one input; see the module docs.
pub fn run_stream(data: &[u8]) {
    if data.len() < 4 {
        return;
    }
    let knobs = Knobs([data[0], data[1], data[2], data[3]]);
    let raw = &data[4..];
    let repaired;
    let stream: &[u8] = if knobs.repair() {
        repaired = repair(raw);
        &repaired
    } else {
        raw
    };
    let mut d = Driver::new(knobs);
    d.validate_outbound();
    let mut rng =
        Rng(0x9E37_79B9_7F4A_7C15 ^ (u64::from(knobs.seed()) << 32 | stream.len() as u64));
    let hb = i64::from(d.settings().heart_bt_int.max(1)) * NANOS;
    let mut pos = 0;
    let mut connections = 0;
    while pos < stream.len() {
        if !d.is_connected() {
            // Reconnect (bounded: every connection costs a Logon exchange).
            if connections >= 8 {
                break;
            }
            connections += 1;
            d.connect();
        }
        let r = rng.next();
        let max_chunk = [8usize, 64, 512, usize::MAX][(r & 3) as usize];
        let chunk = 1 + ((r >> 8) as usize % max_chunk.min(stream.len() - pos));
        d.feed(&stream[pos..pos + chunk]);
        pos += chunk;
        match (r >> 32) % 16 {
            0..=7 => {}
            8..=9 => d.advance(((r >> 40) % 1000) as i64 * 1_000_000),
            10 => d.advance(hb / 2),
            11 => {
                d.advance(hb);
                d.tick();
            }
            12..=13 => d.to_deadline(),
            14 => d.app_send(b"ORD"),
            _ => {
                if ((r >> 40) & 3) == 0 {
                    d.logout();
                } else {
                    d.tick();
                }
            }
        }
    }
    // Let the timers run out the connection.
    for _ in 0..6 {
        d.to_deadline();
    }
    d.disconnect();
}
