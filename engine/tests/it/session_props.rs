//! Property tests: any sequence of inbound messages, garbage, timer firings
//! and reconnects leaves the session consistent - no panic, a deadline
//! exactly while connected, well-formed output, sane sequence numbers.

use crate::common;

use common::{settings, Rig, NANOS};
use proptest::prelude::*;
use ringfix_codec::{frame, Frame, DEFAULT_MAX_MESSAGE_SIZE};
use ringfix_engine::session::{Role, SessionState};
use ringfix_engine::store::MemoryStore;

#[derive(Clone, Debug)]
enum Ev {
    Msg {
        kind: usize,
        seq_delta: i64,
        poss_dup: bool,
        time_skew: i64,
        bad_comp: bool,
    },
    Timer(u32),
    Garbled,
    Reconnect,
    Logout,
}

const KINDS: [&str; 9] = ["0", "1", "2", "3", "4", "4g", "5", "A", "D"];

fn ev() -> impl Strategy<Value = Ev> {
    prop_oneof![
        6 => (0..KINDS.len(), -3i64..6, any::<bool>(), prop_oneof![9 => Just(0i64), 1 => -200i64..200], prop::bool::weighted(0.05))
            .prop_map(|(kind, seq_delta, poss_dup, time_skew, bad_comp)| Ev::Msg { kind, seq_delta, poss_dup, time_skew, bad_comp }),
        2 => (0u32..40).prop_map(Ev::Timer),
        1 => Just(Ev::Garbled),
        1 => Just(Ev::Reconnect),
        1 => Just(Ev::Logout),
    ]
}

fn check_output(r: &mut Rig<MemoryStore>) {
    let mut rest = &r.out[..];
    while !rest.is_empty() {
        match frame(rest, DEFAULT_MAX_MESSAGE_SIZE) {
            Frame::Complete(len) => rest = &rest[len..],
            other => panic!("malformed output {other:?}: {}", common::show(rest)),
        }
    }
    r.out.clear();
    r.sent();
}

fn body(kind: &str, r: &Rig<MemoryStore>) -> String {
    let next = r.s.next_target_seq();
    match kind {
        "1" => "112=t|".into(),
        "2" => format!("7={}|16=0|", next.saturating_sub(2).max(1)),
        "3" => "45=1|".into(),
        "4" => format!("36={}|", next + 2),
        "4g" => format!("36={}|123=Y|", next + 1),
        "A" => "98=0|108=5|".into(),
        "D" => "11=x|21=1|40=1|54=1|55=X|60=<TIME>|".into(),
        _ => String::new(),
    }
}

fn run(role: Role, events: Vec<Ev>) {
    let mut cfg = settings(role, "FIX.4.4");
    cfg.heart_bt_int = 5;
    let mut r = Rig::new(cfg);
    r.app.echo = true;
    r.connect();
    let mut connected = true;
    for e in events {
        match e {
            Ev::Msg {
                kind,
                seq_delta,
                poss_dup,
                time_skew,
                bad_comp,
            } if connected => {
                let k = KINDS[kind];
                let seq = (r.s.next_target_seq() as i64 + seq_delta).max(0) as u64;
                let msg_type = if k == "4g" { "4" } else { k };
                let body = body(k, &r);
                let time = r.time_text(time_skew);
                let sender = if bad_comp { "XX" } else { "TW" };
                let dup = if poss_dup {
                    format!("43=Y|122={}|", r.time_text(time_skew - 1))
                } else {
                    String::new()
                };
                let text = format!(
                    "8=FIX.4.4|35={msg_type}|34={seq}|{dup}49={sender}|52={time}|56=ISLD|{body}"
                );
                r.recv_text(&text);
            }
            Ev::Timer(tenths) if connected => {
                r.advance_secs(f64::from(tenths) / 10.0 * 5.0);
            }
            Ev::Garbled if connected => {
                let now = r.ts();
                r.last = r.s.on_garbled(now);
            }
            Ev::Logout if connected => {
                let now = r.ts();
                r.last = r.s.logout(None, now, &mut r.out, &mut r.app);
            }
            Ev::Reconnect => {
                if connected {
                    r.disconnect();
                }
                r.now += NANOS;
                r.mono += NANOS;
                r.connect();
                connected = true;
            }
            _ => {}
        }
        check_output(&mut r);
        if connected {
            assert!(r.s.deadline().is_some(), "deadline while connected");
            assert_ne!(r.s.state(), SessionState::Disconnected);
            if r.last.is_close() {
                r.disconnect();
                connected = false;
                r.last = ringfix_engine::session::Disposition::KEEP;
            }
        }
        if !connected {
            assert!(r.s.deadline().is_none());
            assert_eq!(r.s.state(), SessionState::Disconnected);
        }
        assert!(r.s.next_sender_seq() >= 1);
        assert!(r.s.next_target_seq() >= 1);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn acceptor_stays_consistent(events in prop::collection::vec(ev(), 1..60)) {
        run(Role::Acceptor, events);
    }

    #[test]
    fn initiator_stays_consistent(events in prop::collection::vec(ev(), 1..60)) {
        run(Role::Initiator, events);
    }

    #[test]
    fn arbitrary_bytes_never_panic(raw in prop::collection::vec(any::<u8>(), 0..200)) {
        let mut r = Rig::logged_on("FIX.4.4", 5);
        let now = r.ts();
        // What the codec accepts reaches the session; the rest never does.
        let _ = ringfix_engine::session::Incoming::parse_with(&raw, |msg| {
            r.s.on_message(msg, now, &mut r.out, &mut r.app)
        });
        prop_assert!(r.s.deadline().is_some() || r.s.state() == SessionState::Disconnected);
    }
}
