//! SendingTime/OrigSendingTime format per FIX version: no fractional
//! seconds before FIX.4.2 (UTCTimestamp is `YYYYMMDD-HH:MM:SS` there).

use crate::common;

use common::Rig;
use ringfix_engine::store::MemoryStore;

fn logon_sending_time(begin: &str) -> String {
    let mut r = Rig::acceptor(begin);
    r.connect();
    r.recv("A", 1, "98=0|108=30|");
    let sent = r.sent();
    let logon = sent.first().expect("a Logon answer");
    Rig::<MemoryStore>::field(logon, 52).expect("SendingTime")
}

#[test]
fn sending_time_has_no_millis_before_fix42() {
    for begin in ["FIX.4.0", "FIX.4.1"] {
        let t = logon_sending_time(begin);
        assert_eq!(t.len(), 17, "{begin}: {t}");
        assert!(!t.contains('.'), "{begin}: {t}");
    }
}

#[test]
fn sending_time_has_millis_from_fix42() {
    for begin in ["FIX.4.2", "FIX.4.3", "FIX.4.4"] {
        let t = logon_sending_time(begin);
        assert_eq!(t.len(), 21, "{begin}: {t}");
        assert_eq!(t.as_bytes()[17], b'.', "{begin}: {t}");
    }
}

#[test]
fn orig_sending_time_of_gap_fills_follows_the_same_rule() {
    for (begin, len) in [("FIX.4.0", 17), ("FIX.4.4", 21)] {
        let mut r = Rig::acceptor(begin);
        r.connect();
        r.recv("A", 1, "98=0|108=30|");
        r.sent();
        // Ask for everything: the Logon is answered with a GapFill.
        let end = if begin == "FIX.4.0" { "999999" } else { "0" };
        r.recv("2", 2, &format!("7=1|16={end}|"));
        let sent = r.sent();
        let fill = sent
            .iter()
            .find(|m| Rig::<MemoryStore>::field(m, 35).as_deref() == Some("4"))
            .expect("a GapFill");
        let orig = Rig::<MemoryStore>::field(fill, 122).expect("OrigSendingTime");
        assert_eq!(orig.len(), len, "{begin}: {fill}");
        assert_eq!(
            Rig::<MemoryStore>::field(fill, 52)
                .expect("SendingTime")
                .len(),
            len,
            "{begin}: {fill}"
        );
    }
}
