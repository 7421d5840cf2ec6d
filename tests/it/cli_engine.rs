//! `ringfix acceptor | initiator | demo` as a supervisor sees them: exit
//! codes, signals, the summary. Every wait is bounded.

use crate::runtime_support;

use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use runtime_support::{
    connect, field, free_port, now_fix, spawn_exec_acceptor, terminate, wait_exit, write_file, Peer,
};

const BIN: &str = env!("CARGO_BIN_EXE_ringfix");

#[test]
fn bad_config_exits_1_with_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_file(
        dir.path(),
        "bad.cfg",
        "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\n\n[SESSION]\nBeginString=FIX.4.4\n\
         SenderCompID=A\nTargetCompID=B\nSocketAcceptPort=9\nHeartBtInt=abc\n",
    );
    let out = Command::new(BIN)
        .args(["acceptor", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.cfg:10"), "stderr: {err}");
}

#[test]
fn sigterm_logs_out_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let cfg = write_file(
        dir.path(),
        "acceptor.cfg",
        &format!(
            "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nFileStorePath={}/store\n\
             FileLogPath={}/log\n\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\n\
             TargetCompID=ORDERS\nSocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\n",
            dir.path().display(),
            dir.path().display()
        ),
    );
    let mut child = spawn_exec_acceptor(&cfg);
    let mut peer = Peer::new(connect(port, Duration::from_secs(10)));
    peer.send(&format!(
        "8=FIX.4.4|35=A|34=1|49=ORDERS|52={}|56=EXEC|98=0|108=30",
        now_fix()
    ));
    let logon = peer.read(Duration::from_secs(5)).expect("Logon answer");
    assert_eq!(field(&logon, 35).as_deref(), Some("A"));
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let logout = peer
        .read(Duration::from_secs(5))
        .expect("Logout on SIGTERM");
    assert_eq!(field(&logout, 35).as_deref(), Some("5"));
    peer.send(&format!(
        "8=FIX.4.4|35=5|34=2|49=ORDERS|52={}|56=EXEC",
        now_fix()
    ));
    assert_eq!(wait_exit(&mut child, Duration::from_secs(10)), Some(0));
    // The FileLog has both directions and the events.
    let log = dir.path().join("log");
    let messages =
        std::fs::read_to_string(log.join("FIX.4.4-EXEC-ORDERS.messages.current.log")).unwrap();
    assert!(messages.contains("\x0135=A\x01") && messages.contains("\x0135=5\x01"));
    assert!(messages
        .lines()
        .all(|l| l.len() > 24 && &l[21..24] == " : "));
    let events =
        std::fs::read_to_string(log.join("FIX.4.4-EXEC-ORDERS.event.current.log")).unwrap();
    assert!(events.contains("Logon"));
}

#[test]
fn stop_on_fatal_error_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let cfg = write_file(
        dir.path(),
        "initiator.cfg",
        &format!(
            "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\n\
             StopOnFatalError=Y\n\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=ORDERS\n\
             TargetCompID=EXEC\nSocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n"
        ),
    );
    let mut child = Command::new(BIN)
        .args(["initiator", "--count", "1000000", "--rate", "1", "--config"])
        .arg(&cfg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let (stream, _) = listener.accept().unwrap();
    let mut peer = Peer::new(stream);
    let logon = peer.read(Duration::from_secs(10)).expect("Logon");
    assert_eq!(field(&logon, 35).as_deref(), Some("A"));
    peer.send(&format!(
        "8=FIX.4.4|35=A|34=1|49=EXEC|52={}|56=ORDERS|98=0|108=30",
        now_fix()
    ));
    // MsgSeqNum 1 again without PossDupFlag: fatal for the initiator.
    peer.send(&format!(
        "8=FIX.4.4|35=0|34=1|49=EXEC|52={}|56=ORDERS",
        now_fix()
    ));
    assert_eq!(wait_exit(&mut child, Duration::from_secs(10)), Some(2));
}

#[test]
fn demo_runs_2000_orders() {
    let out = Command::new(BIN)
        .args(["demo", "--orders", "2000", "--json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["orders_filled"], 2000);
    assert_eq!(v["complete"], true);
    assert!(v["rtt_ns"]["p50"].as_u64().unwrap() > 0);
    assert_eq!(v["next_sender_seq"], 2003);
}

#[test]
fn initiator_json_summary_against_exec_acceptor() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let acc = write_file(
        dir.path(),
        "acceptor.cfg",
        &format!(
            "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\n\n[SESSION]\n\
             BeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
             SocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\n"
        ),
    );
    let ini = write_file(
        dir.path(),
        "initiator.cfg",
        &format!(
            "[DEFAULT]\nConnectionType=initiator\nNonStopSession=Y\nHeartBtInt=30\n\
             ReconnectInterval=1\n\n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=ORDERS\n\
             TargetCompID=EXEC\nSocketConnectHost=127.0.0.1\nSocketConnectPort={port}\n"
        ),
    );
    let mut acceptor = spawn_exec_acceptor(&acc);
    drop(connect(port, Duration::from_secs(10)));
    let out = Command::new(BIN)
        .args([
            "initiator",
            "--app",
            "orders",
            "--count",
            "300",
            "--rate",
            "2000",
            "--json",
            "--config",
        ])
        .arg(&ini)
        .output()
        .unwrap();
    assert_eq!(terminate(&mut acceptor), Some(0));
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["orders_sent"], 300);
    assert_eq!(v["orders_filled"], 300);
    assert_eq!(v["messages_sent"], 302);
    assert_eq!(v["messages_received"], 302);
}

fn acceptor_cfg(dir: &std::path::Path, port: u16, extra: &str) -> std::path::PathBuf {
    write_file(
        dir,
        "acceptor.cfg",
        &format!(
            "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\n{extra}\n[SESSION]\n\
             BeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
             SocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\n"
        ),
    )
}

#[test]
fn port_in_use_past_the_retry_timeout_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let cfg = acceptor_cfg(dir.path(), port, "SocketAcceptRetryTimeout=1\n");
    let started = std::time::Instant::now();
    let out = Command::new(BIN)
        .args(["acceptor", "--config"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(started.elapsed() >= Duration::from_secs(1), "retried first");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("cannot start"), "stderr: {err}");
    assert!(
        err.contains("address still in use after 1s"),
        "stderr: {err}"
    );
    // One log line for the whole retry, however many binds it took.
    assert_eq!(err.matches("retrying the bind").count(), 1, "stderr: {err}");
    drop(busy);
}

#[test]
fn port_released_within_the_retry_timeout_starts() {
    let dir = tempfile::tempdir().unwrap();
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port();
    let cfg = acceptor_cfg(dir.path(), port, "");
    let log = dir.path().join("stderr.log");
    let mut child = Command::new(BIN)
        .args(["acceptor", "--app", "exec", "--config"])
        .arg(&cfg)
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    // The engine found the port taken (default SocketAcceptRetryTimeout 5 s).
    let retrying = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .contains("retrying the bind")
    };
    let until = std::time::Instant::now() + Duration::from_secs(4);
    while !retrying() && std::time::Instant::now() < until {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(retrying(), "no retry logged");
    drop(busy);
    let mut peer = Peer::new(connect(port, Duration::from_secs(5)));
    peer.send(&format!(
        "8=FIX.4.4|35=A|34=1|49=ORDERS|52={}|56=EXEC|98=0|108=30",
        now_fix()
    ));
    let logon = peer.read(Duration::from_secs(5)).expect("Logon answer");
    assert_eq!(field(&logon, 35).as_deref(), Some("A"));
    drop(peer);
    assert_eq!(terminate(&mut child), Some(0));
}

/// Runs `ringfix acceptor` on `cfg` under a file size limit of `limit`
/// bytes (as a small volume would be).
fn acceptor_with_file_limit(cfg: &std::path::Path, limit: u64) -> std::process::Child {
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(BIN);
    cmd.args(["acceptor", "--app", "exec", "--config"])
        .arg(cfg)
        .stderr(Stdio::piped());
    // SAFETY: only setrlimit (async-signal-safe) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            let l = libc::rlimit {
                rlim_cur: limit,
                rlim_max: limit,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &l) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
    cmd.spawn().unwrap()
}

/// A store volume with less room than a journal segment: start-up fails
/// with exit 1 naming the journal and the bytes it needs (not a SIGXFSZ
/// death); with a StoreSegmentSize that fits, the same engine starts.
#[test]
fn store_without_room_for_a_segment_names_the_space_needed() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let config = |extra: &str| {
        format!(
            "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nFileStorePath={}/store\n{extra}\
             \n[SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
             SocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\n",
            dir.path().display(),
        )
    };
    let cfg = write_file(dir.path(), "a.cfg", &config(""));
    let mut child = acceptor_with_file_limit(&cfg, 1 << 20);
    assert_eq!(wait_exit(&mut child, Duration::from_secs(20)), Some(1));
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    let journal = dir.path().join("store/FIX.4.4-EXEC-ORDERS.journal");
    assert!(
        err.contains(&journal.display().to_string()),
        "stderr: {err}"
    );
    assert!(
        err.contains("cannot allocate 16777152 more bytes (16.0 MiB) for the journal")
            && err.contains("StoreSegmentSize"),
        "stderr: {err}"
    );

    let cfg = write_file(dir.path(), "a.cfg", &config("StoreSegmentSize=256K\n"));
    let mut child = Running(acceptor_with_file_limit(&cfg, 1 << 20));
    let mut peer = Peer::new(connect(port, Duration::from_secs(10)));
    peer.send(&format!(
        "8=FIX.4.4|35=A|34=1|49=ORDERS|52={}|56=EXEC|98=0|108=30",
        now_fix()
    ));
    let logon = peer.read(Duration::from_secs(5)).expect("Logon answer");
    assert_eq!(field(&logon, 35).as_deref(), Some("A"));
    assert_eq!(std::fs::metadata(&journal).unwrap().len(), 256 << 10);
    drop(peer);
    assert_eq!(terminate(&mut child.0), Some(0));
}

/// The mode bits of `path`.
fn mode_of(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .permissions()
        .mode()
        & 0o7777
}

/// A child process killed if the test ends (or panics) with it running.
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.0.try_wait(), Ok(None)) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Starts `ringfix acceptor` on `cfg` (stats page in `stats`), logs a peer
/// on with MsgSeqNum `seq`, and returns the child (running) and its
/// stderr file.
fn started_with_files(
    dir: &std::path::Path,
    cfg: &std::path::Path,
    stats: &std::path::Path,
    port: u16,
    seq: u64,
) -> (Running, std::path::PathBuf) {
    let err = dir.join("stderr.txt");
    let child = Command::new(BIN)
        .args(["acceptor", "--app", "exec", "--config"])
        .arg(cfg)
        .env("RINGFIX_STATS_DIR", stats)
        .env("NO_COLOR", "1")
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let child = Running(child);
    let mut peer = Peer::new(connect(port, Duration::from_secs(10)));
    peer.send(&format!(
        "8=FIX.4.4|35=A|34={seq}|49=ORDERS|52={}|56=EXEC|98=0|108=30",
        now_fix()
    ));
    let logon = peer.read(Duration::from_secs(5)).expect("Logon answer");
    assert_eq!(
        field(&logon, 35).as_deref(),
        Some("A"),
        "{:?}",
        field(&logon, 58)
    );
    (child, err)
}

/// Every file the engine creates (journal, sequence numbers, lock, message
/// and event logs, statistics page) is 0600 and every directory it makes
/// 0700; FilePermissions=0640 lets a group read the store and logs (0750
/// directories), the statistics page staying 0600 and readable by
/// `ringfix stats`; an existing file with wider permissions is left as it
/// is, with a warning naming it.
#[test]
fn files_are_private_unless_file_permissions_say_otherwise() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let d = dir.path();
    let config = |name: &str, extra: &str| {
        write_file(
            d,
            &format!("{name}.cfg"),
            &format!(
                "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\n\
                 FileStorePath={0}/{name}/store\nFileLogPath={0}/{name}/log\n{extra}\n\
                 [SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
                 SocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\n",
                d.display()
            ),
        )
    };
    let prefix = "FIX.4.4-EXEC-ORDERS";
    let check = |name: &str, file: u32, dirs: u32, stats: &std::path::Path| {
        let root = d.join(name);
        assert_eq!(mode_of(&root), dirs, "{name}");
        for sub in ["store", "log"] {
            assert_eq!(mode_of(&root.join(sub)), dirs, "{name}/{sub}");
        }
        for f in [
            format!("store/{prefix}.journal"),
            format!("store/{prefix}.seqnums"),
            format!("store/{prefix}.lock"),
            format!("log/{prefix}.messages.current.log"),
            format!("log/{prefix}.event.current.log"),
        ] {
            assert_eq!(mode_of(&root.join(&f)), file, "{name}/{f}");
        }
        let pages: Vec<_> = std::fs::read_dir(stats).unwrap().collect();
        assert_eq!(pages.len(), 1, "one stats page");
        let page = pages.into_iter().next().unwrap().unwrap().path();
        assert_eq!(mode_of(&page), 0o600, "{}", page.display());
        assert_eq!(mode_of(stats), 0o700, "stats directory");
        let out = Command::new(BIN)
            .args(["stats", "--json", "--dir"])
            .arg(stats)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(String::from_utf8_lossy(&out.stdout).contains("FIX.4.4:EXEC->ORDERS"));
    };

    let stats = d.join("stats-private");
    let (mut child, _) = started_with_files(d, &config("private", ""), &stats, port, 1);
    check("private", 0o600, 0o700, &stats);
    assert_eq!(terminate(&mut child.0), Some(0));

    let stats = d.join("stats-group");
    let cfg = config("group", "FilePermissions=0640");
    let (mut child, _) = started_with_files(d, &cfg, &stats, port, 1);
    check("group", 0o640, 0o750, &stats);
    assert_eq!(terminate(&mut child.0), Some(0));

    // Made wider by someone else: kept as it is, and named in a warning.
    use std::os::unix::fs::PermissionsExt;
    let wide = [
        d.join(format!("private/store/{prefix}.journal")),
        d.join(format!("private/log/{prefix}.messages.current.log")),
    ];
    for f in &wide {
        std::fs::set_permissions(f, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    let stats = d.join("stats-again");
    let (mut child, err) = started_with_files(d, &config("private", ""), &stats, port, 2);
    assert_eq!(terminate(&mut child.0), Some(0));
    let err = std::fs::read_to_string(err).unwrap();
    for f in &wide {
        assert_eq!(mode_of(f), 0o644);
        let warned = err.lines().any(|l| {
            l.contains("WARN") && l.contains(&f.display().to_string()) && l.contains("0644")
        });
        assert!(warned, "no warning naming {}:\n{err}", f.display());
    }
    let seqnums = d.join(format!("private/store/{prefix}.seqnums"));
    assert!(!err.contains(&seqnums.display().to_string()), "{err}");
}
