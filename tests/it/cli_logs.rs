//! The log keys through `ringfix acceptor`: what its screen log prints and
//! its file log writes, as a counterparty exchanges a Logon and a
//! Heartbeat.

use crate::runtime_support;

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::Duration;

use runtime_support::{connect, field, free_port, now_fix, terminate, write_file, Peer};

#[test]
fn screen_and_file_logs_follow_their_keys() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let port = free_port();
    // What a previous run left: moved to FileLogBackupPath at start.
    std::fs::create_dir_all(d.join("log")).unwrap();
    write_file(
        &d.join("log"),
        "FIX.4.4-EXEC-ORDERS.messages.current.log",
        "earlier run\n",
    );
    let cfg = write_file(
        d,
        "acceptor.cfg",
        &format!(
            "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nFileLogPath={d}/log\n\
             FileLogBackupPath={d}/old\nFileLogHeartbeats=N\nFileIncludeTimeStampForMessages=N\n\
             ScreenLogShowOutgoing=N\nScreenLogShowHeartBeats=N\nScreenIncludeMilliseconds=Y\n\n\
             [SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
             SocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\n",
            d = d.display()
        ),
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_ringfix"))
        .args(["acceptor", "--app", "exec", "--config"])
        .arg(&cfg)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut peer = Peer::new(connect(port, Duration::from_secs(10)));
    peer.send(&format!(
        "8=FIX.4.4|35=A|34=1|49=ORDERS|52={}|56=EXEC|98=0|108=30",
        now_fix()
    ));
    let logon = peer.read(Duration::from_secs(5)).expect("Logon answer");
    assert_eq!(field(&logon, 35).as_deref(), Some("A"));
    peer.send(&format!(
        "8=FIX.4.4|35=0|34=2|49=ORDERS|52={}|56=EXEC",
        now_fix()
    ));
    peer.send(&format!(
        "8=FIX.4.4|35=5|34=3|49=ORDERS|52={}|56=EXEC",
        now_fix()
    ));
    let logout = peer.read(Duration::from_secs(5)).expect("Logout answer");
    assert_eq!(field(&logout, 35).as_deref(), Some("5"));
    assert_eq!(terminate(&mut child), Some(0));
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    let screen: Vec<&str> = stdout.lines().filter(|l| l.starts_with('<')).collect();
    let incoming: Vec<&&str> = screen
        .iter()
        .filter(|l| l.contains(", incoming> ("))
        .collect();
    assert_eq!(
        incoming.len(),
        2,
        "Logon and Logout, no Heartbeat: {stdout}"
    );
    assert!(
        incoming[0].starts_with("<20") && incoming[0].contains("|35=A|"),
        "{stdout}"
    );
    // ScreenIncludeMilliseconds=Y: YYYYMMDD-HH:MM:SS.sss
    assert_eq!(&incoming[0][18..19], ".", "{stdout}");
    assert!(incoming[0].contains(", FIX.4.4:EXEC->ORDERS, incoming> (8=FIX.4.4|9="));
    assert!(!stdout.contains(", outgoing> ("), "{stdout}");
    assert!(screen.iter().any(|l| l.contains(", event> (")), "{stdout}");
    let log = d.join("log");
    let messages =
        std::fs::read_to_string(log.join("FIX.4.4-EXEC-ORDERS.messages.current.log")).unwrap();
    assert!(
        messages.lines().all(|l| l.starts_with("8=FIX.4.4\x01")),
        "{messages:?}"
    );
    assert!(!messages.contains("\x0135=0\x01"), "{messages:?}");
    assert_eq!(messages.matches("\x0135=A\x01").count(), 2, "{messages:?}");
    assert_eq!(messages.matches("\x0135=5\x01").count(), 2, "{messages:?}");
    let old =
        std::fs::read_to_string(d.join("old/FIX.4.4-EXEC-ORDERS.messages.backup.1.log")).unwrap();
    assert_eq!(old, "earlier run\n");
}
