//! `RedactFieldsInLogs` through the `ringfix` binary (issue 30): an
//! acceptor checking credentials and an initiator sending them, both with
//! every tracing level on (`RUST_LOG=trace`), screen logs of messages and
//! events on, file logs and file stores. The password appears in none of
//! their outputs or files; its masked form `554=***` does.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::runtime_support::{connect, free_port, terminate, wait_exit, write_file};

const BIN: &str = env!("CARGO_BIN_EXE_ringfix");
const PASSWORD: &str = "Zq7-very-s3cret-pw";

/// Every file under `dir`, recursively (path, bytes).
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let path = e.path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.push((path.display().to_string(), std::fs::read(&path).unwrap()));
        }
    }
    out
}

fn has(bytes: &[u8], s: &[u8]) -> bool {
    bytes.windows(s.len()).any(|w| w == s)
}

#[test]
fn no_output_or_file_of_the_binary_holds_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // The secrets live apart from what the engines write.
    let secrets = d.join("secrets");
    std::fs::create_dir(&secrets).unwrap();
    let pw = write_file(&secrets, "password", &format!("{PASSWORD}\n"));
    let hash = ringfix::engine::config::hash_password(PASSWORD.as_bytes()).unwrap();
    let creds = write_file(&secrets, "credentials", &format!("ORDERS alice {hash}\n"));
    let port = free_port();
    let screen = "ScreenLogShowIncoming=Y\nScreenLogShowOutgoing=Y\nScreenLogShowEvents=Y\n";
    let out = d.join("out");
    std::fs::create_dir(&out).unwrap();
    let acc = write_file(
        &secrets,
        "acceptor.cfg",
        &format!(
            "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\n{screen}\
             FileStorePath={0}/acceptor/store\nFileLogPath={0}/acceptor/log\n\
             LogonCredentialsFile={1}\n\
             [SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
             SocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\n",
            out.display(),
            creds.display()
        ),
    );
    let ini = write_file(
        &secrets,
        "initiator.cfg",
        &format!(
            "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\n{screen}\
             FileStorePath={0}/initiator/store\nFileLogPath={0}/initiator/log\n\
             LogonUsername=alice\nLogonPasswordFile={1}\n\
             [SESSION]\nBeginString=FIX.4.4\nSenderCompID=ORDERS\nTargetCompID=EXEC\n\
             SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n",
            out.display(),
            pw.display()
        ),
    );
    let acc_stdout = std::fs::File::create(out.join("acceptor.stdout")).unwrap();
    let acc_stderr = std::fs::File::create(out.join("acceptor.stderr")).unwrap();
    let mut acceptor = Command::new(BIN)
        .args(["acceptor", "--app", "exec", "--config"])
        .arg(&acc)
        .env("RUST_LOG", "trace")
        .stdout(Stdio::from(acc_stdout))
        .stderr(Stdio::from(acc_stderr))
        .spawn()
        .unwrap();
    drop(connect(port, Duration::from_secs(10)));
    let mut initiator = Command::new(BIN)
        .args([
            "initiator",
            "--app",
            "orders",
            "--count",
            "3",
            "--rate",
            "100",
        ])
        .args(["--config"])
        .arg(&ini)
        .env("RUST_LOG", "trace")
        .stdout(Stdio::from(
            std::fs::File::create(out.join("initiator.stdout")).unwrap(),
        ))
        .stderr(Stdio::from(
            std::fs::File::create(out.join("initiator.stderr")).unwrap(),
        ))
        .spawn()
        .unwrap();
    let ini_code = wait_exit(&mut initiator, Duration::from_secs(30));
    assert_eq!(terminate(&mut acceptor), Some(0));
    let written = files(&out);
    let show = |name: &str| {
        written
            .iter()
            .find(|(p, _)| p.ends_with(name))
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    };
    assert_eq!(ini_code, Some(0), "{}", show("initiator.stderr"));
    // The orders went through: the password was right.
    assert!(
        has(show("initiator.stdout").as_bytes(), b"35=8"),
        "{}",
        show("initiator.stdout")
    );
    let names: Vec<&str> = written.iter().map(|(p, _)| p.as_str()).collect();
    for want in [
        "acceptor.stdout",
        "acceptor.stderr",
        "initiator.stdout",
        "initiator.stderr",
        "acceptor/log/FIX.4.4-EXEC-ORDERS.messages.current.log",
        "acceptor/log/FIX.4.4-EXEC-ORDERS.event.current.log",
        "initiator/log/FIX.4.4-ORDERS-EXEC.messages.current.log",
        "initiator/store/FIX.4.4-ORDERS-EXEC.journal",
    ] {
        assert!(
            names.iter().any(|n| n.ends_with(want)),
            "{want} in {names:?}"
        );
    }
    for (name, bytes) in &written {
        assert!(
            !has(bytes, PASSWORD.as_bytes()),
            "{name} holds the password"
        );
    }
    // What carried the Logon shows it masked: both screen logs (the
    // initiator's outgoing, the acceptor's incoming), both message logs and
    // the initiator's journal.
    for want in [
        "acceptor.stdout",
        "initiator.stdout",
        "acceptor/log/FIX.4.4-EXEC-ORDERS.messages.current.log",
        "initiator/log/FIX.4.4-ORDERS-EXEC.messages.current.log",
        "initiator/store/FIX.4.4-ORDERS-EXEC.journal",
    ] {
        let (_, bytes) = written.iter().find(|(p, _)| p.ends_with(want)).unwrap();
        assert!(
            has(bytes, b"553=alice|554=***|") || has(bytes, b"553=alice\x01554=***\x01"),
            "{want}: {}",
            String::from_utf8_lossy(bytes)
        );
    }
}

/// The tracing output's own masking, through the binary: a counterparty
/// that refuses the Logon quoting the credentials in its Logout Text
/// (`554=<password>`) puts them in an event, which the initiator writes to
/// its tracing output (stderr), its screen log of events and its event
/// log: each shows `554=***`. (The Logout itself is logged as received in
/// the message log: Text is not a masked tag.)
#[test]
fn an_event_quoting_the_password_is_masked_in_tracing_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let pw = write_file(d, "password", &format!("{PASSWORD}\n"));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let ini = write_file(
        d,
        "initiator.cfg",
        &format!(
            "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\n\
             ScreenLogShowEvents=Y\nScreenLogShowIncoming=N\nFileStorePath={0}/store\nFileLogPath={0}/log\n\
             LogonUsername=alice\nLogonPasswordFile={1}\n\
             [SESSION]\nBeginString=FIX.4.4\nSenderCompID=ORDERS\nTargetCompID=EXEC\n\
             SocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n",
            d.display(),
            pw.display()
        ),
    );
    let stderr_path = d.join("initiator.stderr");
    let stdout_path = d.join("initiator.stdout");
    let mut initiator = Command::new(BIN)
        .args(["initiator", "--app", "orders", "--count", "1", "--config"])
        .arg(&ini)
        .env("RUST_LOG", "trace")
        .stdout(Stdio::from(std::fs::File::create(&stdout_path).unwrap()))
        .stderr(Stdio::from(std::fs::File::create(&stderr_path).unwrap()))
        .spawn()
        .unwrap();
    let (stream, _) = listener.accept().unwrap();
    let mut peer = crate::runtime_support::Peer::new(stream);
    let logon = peer.read(Duration::from_secs(10)).expect("the Logon");
    assert!(has(&logon, format!("\x01554={PASSWORD}\x01").as_bytes()));
    peer.send(&format!(
        "8=FIX.4.4|35=5|34=1|49=EXEC|52={}|56=ORDERS|58=refused 553=alice 554={PASSWORD} (unknown user)",
        crate::runtime_support::now_fix()
    ));
    let events = d.join("log/FIX.4.4-ORDERS-EXEC.event.current.log");
    let start = std::time::Instant::now();
    let seen = |p: &Path| std::fs::read(p).is_ok_and(|b| has(&b, b"refused 553=alice"));
    while !(seen(&stderr_path) && seen(&events) && seen(&stdout_path)) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the Logout's text never reached the logs"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    drop(peer);
    assert_eq!(terminate(&mut initiator), Some(0));
    let masked = b"refused 553=alice 554=*** (unknown user)";
    for p in [&stderr_path, &stdout_path, &events] {
        let bytes = std::fs::read(p).unwrap();
        assert!(
            !has(&bytes, PASSWORD.as_bytes()),
            "{}: {}",
            p.display(),
            String::from_utf8_lossy(&bytes)
        );
        assert!(
            has(&bytes, masked),
            "{}: {}",
            p.display(),
            String::from_utf8_lossy(&bytes)
        );
    }
}
