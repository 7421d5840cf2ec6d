//! The log writer: files written and screen lines, as the settings say.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::*;
use crate::config::EngineConfig;

const HEARTBEAT: &[u8] = b"8=FIX.4.4\x019=5\x0135=0\x0110=000\x01";
const ORDER: &[u8] = b"8=FIX.4.4\x019=5\x0135=D\x0110=000\x01";
/// 2023-11-14 22:13:20.123 UTC.
const T: i64 = 1_700_000_000_123_000_000;

/// The settings of a session configured with `keys` (`dir` as FileLogPath).
fn session(dir: &Path, keys: &str) -> SessionSettings {
    let text = format!(
        "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n\
         ConnectionType=acceptor\nSocketAcceptPort=1\nNonStopSession=Y\n\
         FileLogPath={}\n{keys}\n",
        dir.display()
    );
    let cfg = EngineConfig::parse(&text, "log.cfg").unwrap();
    assert!(cfg.warnings.is_empty(), "{:?}", cfg.warnings);
    cfg.sessions[0].clone()
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(format!("FIX.4.4-A-B.{name}"))).unwrap_or_default()
}

/// Logs a heartbeat and an order each way and an event through a writer
/// started for `s`; returns what reached the screen.
fn run(s: &SessionSettings) -> String {
    let out = Shared::default();
    let mut log = FileLog::new().with_screen(Box::new(out.clone()));
    let sink = log.session(s).unwrap();
    log.start().unwrap();
    let t = UtcTimestamp::from_nanos(T);
    sink.incoming(t, HEARTBEAT);
    sink.incoming(t, ORDER);
    sink.outgoing(t, HEARTBEAT);
    sink.outgoing(t, ORDER);
    sink.event(t, "Logon");
    log.stop();
    out.text()
}

#[derive(Clone, Default)]
struct Shared(Arc<Mutex<Vec<u8>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Shared {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[test]
fn writes_quickfix_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = FileLog::new();
    let sink = log.sink(dir.path(), "FIX.4.4-A-B", crate::store::FileMode::PRIVATE);
    log.start().unwrap();
    let t = UtcTimestamp::from_nanos(T);
    sink.incoming(t, HEARTBEAT);
    sink.event(t, "Logon");
    log.stop();
    assert_eq!(
        read(dir.path(), "messages.current.log"),
        "20231114-22:13:20.123 : 8=FIX.4.4\x019=5\x0135=0\x0110=000\x01\n"
    );
    assert_eq!(
        read(dir.path(), "event.current.log"),
        "20231114-22:13:20.123 : Logon\n"
    );
}

#[test]
fn defaults_log_everything_to_files_and_nothing_to_the_screen() {
    let dir = tempfile::tempdir().unwrap();
    let screen = run(&session(dir.path(), ""));
    assert_eq!(screen, "");
    let m = read(dir.path(), "messages.current.log");
    assert_eq!(m.lines().count(), 4, "{m}");
    assert!(m
        .lines()
        .all(|l| l.starts_with("20231114-22:13:20.123 : 8=FIX")));
}

#[test]
fn file_stamps_and_heartbeats_follow_the_quickfix_j_keys() {
    let dir = tempfile::tempdir().unwrap();
    let s = session(
        dir.path(),
        "FileIncludeMilliseconds=N\nFileLogHeartbeats=N\nFileIncludeTimeStampForMessages=N",
    );
    run(&s);
    assert_eq!(
        read(dir.path(), "messages.current.log"),
        "8=FIX.4.4\x019=5\x0135=D\x0110=000\x01\n8=FIX.4.4\x019=5\x0135=D\x0110=000\x01\n"
    );
    // Events keep their stamp (QuickFIX/J stamps them always).
    assert_eq!(
        read(dir.path(), "event.current.log"),
        "20231114-22:13:20 : Logon\n"
    );
    let stamped = tempfile::tempdir().unwrap();
    run(&session(
        stamped.path(),
        "FileIncludeTimeStampForMessages=Y\nFileIncludeMilliseconds=N",
    ));
    let m = read(stamped.path(), "messages.current.log");
    assert_eq!(m.lines().count(), 4);
    assert!(
        m.lines()
            .all(|l| l.starts_with("20231114-22:13:20 : 8=FIX")),
        "{m}"
    );
}

#[test]
fn screen_log_shows_what_its_keys_say() {
    let dir = tempfile::tempdir().unwrap();
    let all = run(&session(dir.path(), "ScreenLogShowEvents=Y"));
    assert_eq!(
        all,
        "<20231114-22:13:20, FIX.4.4:A->B, incoming> (8=FIX.4.4|9=5|35=0|10=000|)\n\
         <20231114-22:13:20, FIX.4.4:A->B, incoming> (8=FIX.4.4|9=5|35=D|10=000|)\n\
         <20231114-22:13:20, FIX.4.4:A->B, outgoing> (8=FIX.4.4|9=5|35=0|10=000|)\n\
         <20231114-22:13:20, FIX.4.4:A->B, outgoing> (8=FIX.4.4|9=5|35=D|10=000|)\n\
         <20231114-22:13:20, FIX.4.4:A->B, event> (Logon)\n"
    );
    let some = run(&session(
        dir.path(),
        "ScreenLogShowIncoming=N\nScreenLogShowEvents=N\nScreenLogShowHeartBeats=N\n\
         ScreenIncludeMilliseconds=Y",
    ));
    assert_eq!(
        some,
        "<20231114-22:13:20.123, FIX.4.4:A->B, outgoing> (8=FIX.4.4|9=5|35=D|10=000|)\n"
    );
    let no_out = run(&session(dir.path(), "ScreenLogShowOutgoing=N"));
    assert!(
        !no_out.contains("outgoing") && no_out.contains("incoming") && no_out.contains("event")
    );
    // A screen log alone, without FileLogPath.
    let text = "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n\
                ConnectionType=acceptor\nSocketAcceptPort=1\nNonStopSession=Y\n\
                ScreenLogShowIncoming=Y\n";
    let s = EngineConfig::parse(text, "log.cfg").unwrap().sessions[0].clone();
    assert_eq!(run(&s).lines().count(), 5);
    let mut none = s.clone();
    none.log.screen = None;
    assert!(FileLog::new().session(&none).is_none());
}

#[test]
fn backups_keep_earlier_logs_apart() {
    let dir = tempfile::tempdir().unwrap();
    let backups = dir.path().join("old");
    let s = session(
        dir.path(),
        &format!("FileLogBackupPath={}", backups.display()),
    );
    // A previous run's logs move away when the writer starts.
    run(&s);
    run(&s);
    assert_eq!(read(&backups, "messages.backup.1.log").lines().count(), 4);
    assert_eq!(read(&backups, "event.backup.1.log").lines().count(), 1);
    assert_eq!(read(dir.path(), "messages.current.log").lines().count(), 4);
    // A new period: what came before goes to the next backup.
    let mut log = FileLog::new();
    let sink = log.session(&s).unwrap();
    log.start().unwrap();
    let t = UtcTimestamp::from_nanos(T);
    sink.incoming(t, ORDER);
    sink.backup(t);
    sink.event(t, "Session reset");
    log.stop();
    assert_eq!(read(&backups, "messages.backup.2.log").lines().count(), 4);
    assert_eq!(read(&backups, "messages.backup.3.log").lines().count(), 1);
    assert_eq!(read(dir.path(), "messages.current.log"), "");
    assert_eq!(
        read(dir.path(), "event.current.log"),
        "20231114-22:13:20.123 : Session reset\n"
    );
    // Without a backup path nothing moves.
    let plain = tempfile::tempdir().unwrap();
    let s = session(plain.path(), "");
    run(&s);
    run(&s);
    assert_eq!(
        read(plain.path(), "messages.current.log").lines().count(),
        8
    );
}

/// RedactFieldsInLogs: a Logon's Password (554) and EncryptedPassword
/// (1402, a data field) reach the message log, the event log and the
/// screen as `***`, the logged message still valid; `N` logs them as they
/// are.
#[test]
fn secrets_are_masked_in_message_and_event_logs_and_on_screen() {
    use ringfix_codec::{frame, Encoder, Frame};
    let mut logon = Vec::new();
    let mut e = Encoder::new(&mut logon, b"FIX.4.4", b"A");
    e.uint(34, 1).bytes(49, b"A").bytes(56, b"B").uint(98, 0);
    e.uint(108, 30).bytes(553, b"alice").bytes(554, b"hunter22");
    e.uint(1401, 6).bytes(1402, b"s\x01cret");
    e.finish();
    let event = "Logon refused: 35=A|553=alice|554=hunter22|58=x";
    let logged = |keys: &str| {
        let dir = tempfile::tempdir().unwrap();
        let s = session(dir.path(), &format!("ScreenLogShowEvents=Y\n{keys}"));
        let out = Shared::default();
        let mut log = FileLog::new().with_screen(Box::new(out.clone()));
        let sink = log.session(&s).unwrap();
        log.start().unwrap();
        let t = UtcTimestamp::from_nanos(T);
        sink.incoming(t, &logon);
        sink.outgoing(t, &logon);
        sink.event(t, event);
        log.stop();
        (
            read(dir.path(), "messages.current.log"),
            read(dir.path(), "event.current.log"),
            out.text(),
        )
    };
    let (messages, events, screen) = logged("");
    for text in [&messages, &events, &screen] {
        assert!(
            !text.contains("hunter22") && !text.contains("cret"),
            "{text}"
        );
    }
    assert_eq!(messages.matches("\x01554=***\x01").count(), 2, "{messages}");
    assert_eq!(messages.matches("\x011401=3\x011402=***\x01").count(), 2);
    for line in messages.lines() {
        let msg = line.split_once(" : ").unwrap().1.as_bytes();
        assert!(
            matches!(frame(msg, 4096), Frame::Complete(n) if n == msg.len()),
            "{line}"
        );
    }
    assert!(events.contains("|553=alice|554=***|58=x"), "{events}");
    assert_eq!(screen.matches("|554=***|").count(), 3, "{screen}");

    let (messages, events, _) = logged("RedactFieldsInLogs=N");
    assert_eq!(messages.matches("\x01554=hunter22\x01").count(), 2);
    assert!(events.contains("554=hunter22"));
}
