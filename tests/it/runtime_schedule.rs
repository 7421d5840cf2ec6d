//! Schedules at run time: at the end of the period a logged-on session is
//! logged out and closed, and Logons outside the period are refused.

use crate::runtime_support;

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use ringfix::engine::apps::exec::Exec;
use ringfix::engine::config::{EngineConfig, SessionSettings};
use ringfix::engine::runtime::Runtime;
use ringfix::engine::session::Application;
use runtime_support::{connect, field, now_fix, Peer};

fn hms(secs_of_day: u64) -> String {
    format!(
        "{:02}:{:02}:{:02}",
        secs_of_day / 3600,
        secs_of_day / 60 % 60,
        secs_of_day % 60
    )
}

#[test]
fn end_of_period_logs_out_and_refuses_new_logons() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let sod = now % 86_400;
    if !(120..86_390).contains(&sod) {
        eprintln!("too close to midnight UTC for a daily window: skipped");
        return;
    }
    let text = format!(
        "[DEFAULT]\nConnectionType=acceptor\nStartTime={}\nEndTime={}\nTimeZone=UTC\n\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
         SocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n",
        hms(sod - 60),
        hms(sod + 3)
    );
    let cfg = EngineConfig::parse(&text, "schedule.cfg").unwrap();
    let mut rt = Runtime::start(
        &cfg,
        Box::new(|_s: &SessionSettings| -> Box<dyn Application + Send> { Box::new(Exec::new()) }),
    )
    .unwrap();
    let port = rt.listen_addrs()[0].port();
    let mut peer = Peer::new(connect(port, Duration::from_secs(2)));
    peer.send(&format!(
        "8=FIX.4.4|35=A|34=1|49=ORDERS|52={}|56=EXEC|98=0|108=30",
        now_fix()
    ));
    let logon = peer.read(Duration::from_secs(2)).expect("Logon answer");
    assert_eq!(field(&logon, 35).as_deref(), Some("A"));
    let logout = peer
        .read(Duration::from_secs(6))
        .expect("Logout at end of period");
    assert_eq!(field(&logout, 35).as_deref(), Some("5"));
    peer.send(&format!(
        "8=FIX.4.4|35=5|34=2|49=ORDERS|52={}|56=EXEC",
        now_fix()
    ));
    let (_, eof) = peer.read_to_eof(Duration::from_secs(3));
    assert!(eof, "not closed after the Logout exchange");
    let mut late = Peer::new(connect(port, Duration::from_secs(2)));
    late.send(&format!(
        "8=FIX.4.4|35=A|34=1|49=ORDERS|52={}|56=EXEC|98=0|108=30",
        now_fix()
    ));
    let (msgs, eof) = late.read_to_eof(Duration::from_secs(3));
    assert!(eof && msgs.is_empty(), "Logon outside the period accepted");
    rt.stopper().stop();
    rt.wait();
}

#[test]
fn logout_time_logs_out_inside_the_session_window() {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let sod = now % 86_400;
    if !(120..86_390).contains(&sod) {
        eprintln!("too close to midnight UTC for a daily window: skipped");
        return;
    }
    // One 24-hour session period a day; logons only until LogoutTime, 3 s
    // from now (QuickFIX C++'s LogonTime/LogoutTime).
    let text = format!(
        "[DEFAULT]\nConnectionType=acceptor\nStartTime={start}\nEndTime={start}\n\
         LogonTime={start}\nLogoutTime={}\n\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
         SocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n",
        hms(sod + 3),
        start = hms(sod - 60),
    );
    let cfg = EngineConfig::parse(&text, "schedule.cfg").unwrap();
    assert!(cfg.warnings.is_empty(), "{:?}", cfg.warnings);
    let mut rt = Runtime::start(
        &cfg,
        Box::new(|_s: &SessionSettings| -> Box<dyn Application + Send> { Box::new(Exec::new()) }),
    )
    .unwrap();
    let port = rt.listen_addrs()[0].port();
    let mut peer = Peer::new(connect(port, Duration::from_secs(2)));
    peer.send(&format!(
        "8=FIX.4.4|35=A|34=1|49=ORDERS|52={}|56=EXEC|98=0|108=30",
        now_fix()
    ));
    let logon = peer.read(Duration::from_secs(2)).expect("Logon answer");
    assert_eq!(field(&logon, 35).as_deref(), Some("A"));
    let logout = peer
        .read(Duration::from_secs(6))
        .expect("Logout at LogoutTime");
    assert_eq!(field(&logout, 35).as_deref(), Some("5"));
    peer.send(&format!(
        "8=FIX.4.4|35=5|34=2|49=ORDERS|52={}|56=EXEC",
        now_fix()
    ));
    let (_, eof) = peer.read_to_eof(Duration::from_secs(3));
    assert!(eof, "not closed after the Logout exchange");
    // Still inside the session period, but outside the logon window.
    let mut late = Peer::new(connect(port, Duration::from_secs(2)));
    late.send(&format!(
        "8=FIX.4.4|35=A|34=3|49=ORDERS|52={}|56=EXEC|98=0|108=30",
        now_fix()
    ));
    let (msgs, eof) = late.read_to_eof(Duration::from_secs(3));
    assert!(
        eof && msgs.is_empty(),
        "Logon outside the logon window accepted"
    );
    rt.stopper().stop();
    rt.wait();
}

#[test]
fn store_from_an_earlier_period_is_reset_at_logon() {
    use ringfix::engine::config::SessionId;
    use ringfix::engine::runtime::store_id;
    use ringfix::engine::store::{
        FileStore, FileStoreOptions, MessageStore, StoreFiles, UtcTimestamp,
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let sod = now % 86_400;
    if !(120..86_390).contains(&sod) {
        eprintln!("too close to midnight UTC for a daily window: skipped");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // A store created two days ago, in the middle of a session.
    let id = SessionId::new("FIX.4.4", "EXEC", "ORDERS");
    let files = StoreFiles::new(dir.path(), &store_id(&id));
    let then = UtcTimestamp::from_nanos((now as i64 - 2 * 86_400) * 1_000_000_000);
    let mut old = FileStore::open(files, FileStoreOptions::default(), then).unwrap();
    old.set_next_sender_seq(50).unwrap();
    old.set_next_target_seq(60).unwrap();
    drop(old);
    let text = format!(
        "[DEFAULT]\nConnectionType=acceptor\nStartTime={}\nEndTime={}\nTimeZone=UTC\n\
         FileStorePath={}\n\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\n\
         TargetCompID=ORDERS\nSocketAcceptHost=127.0.0.1\nSocketAcceptPort=0\n",
        hms(sod - 60),
        hms(sod + 60),
        dir.path().display()
    );
    let cfg = EngineConfig::parse(&text, "schedule.cfg").unwrap();
    let mut rt = Runtime::start(
        &cfg,
        Box::new(|_s: &SessionSettings| -> Box<dyn Application + Send> { Box::new(Exec::new()) }),
    )
    .unwrap();
    let port = rt.listen_addrs()[0].port();
    let mut peer = Peer::new(connect(port, Duration::from_secs(2)));
    peer.send(&format!(
        "8=FIX.4.4|35=A|34=1|49=ORDERS|52={}|56=EXEC|98=0|108=30",
        now_fix()
    ));
    let logon = peer.read(Duration::from_secs(2)).expect("Logon answer");
    assert_eq!(field(&logon, 35).as_deref(), Some("A"));
    assert_eq!(field(&logon, 34).as_deref(), Some("1"), "store not reset");
    assert_eq!(rt.sessions()[0].next_target_seq, 2);
    rt.stopper().stop();
    rt.wait();
}

#[test]
fn initiator_waits_for_the_period_to_start() {
    use std::net::TcpListener;
    use std::time::Instant;
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
    let sod = now.as_secs() % 86_400;
    if !(120..86_300).contains(&sod) {
        eprintln!("too close to midnight UTC for a daily window: skipped");
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let start_sod = sod + 2;
    let text = format!(
        "[DEFAULT]\nConnectionType=initiator\nHeartBtInt=30\nStartTime={}\nEndTime={}\n\
         TimeZone=UTC\n\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=ORDERS\n\
         TargetCompID=EXEC\nSocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n",
        hms(start_sod),
        hms(start_sod + 60)
    );
    let cfg = EngineConfig::parse(&text, "schedule.cfg").unwrap();
    let period_start = UNIX_EPOCH + Duration::from_secs(now.as_secs() - sod + start_sod);
    let mut rt = Runtime::start(
        &cfg,
        Box::new(|_s: &SessionSettings| -> Box<dyn Application + Send> { Box::new(Exec::new()) }),
    )
    .unwrap();
    let waited = Instant::now();
    let accepted = loop {
        match listener.accept() {
            Ok((s, _)) => break Some(s),
            Err(_) if waited.elapsed() < Duration::from_secs(6) => {
                std::thread::sleep(Duration::from_millis(10))
            }
            Err(_) => break None,
        }
    };
    let at = SystemTime::now();
    assert!(accepted.is_some(), "no connection once the period started");
    assert!(
        at >= period_start,
        "connected {:?} before the period started",
        period_start.duration_since(at).unwrap_or_default()
    );
    rt.stopper().stop();
    rt.wait();
}
