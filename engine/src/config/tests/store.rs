//! Store keys.

use std::path::PathBuf;

use crate::config::keys::{status, KeyStatus};
use crate::config::ConfigWarning;
use crate::config::*;
use crate::store::FsyncPolicy;

const INITIATOR: &str = "\
[DEFAULT]
ConnectionType=initiator
HeartBtInt=30
NonStopSession=Y

[SESSION]
BeginString=FIX.4.4
SenderCompID=CLIENT
TargetCompID=SERVER
SocketConnectHost=127.0.0.1
SocketConnectPort=9876
";

/// Line of the first key appended to [`INITIATOR`].
const LINE: usize = 12;

fn parse(extra: &str) -> Result<EngineConfig, ConfigError> {
    EngineConfig::parse(&format!("{INITIATOR}{extra}"), "sessions.cfg")
}

fn store(extra: &str) -> StoreSettings {
    let cfg = parse(extra).unwrap();
    assert!(cfg.warnings.is_empty(), "{:?}", cfg.warnings);
    cfg.sessions[0].store.clone()
}

fn err(extra: &str) -> String {
    parse(extra).unwrap_err().to_string()
}

#[test]
fn defaults() {
    let s = store("");
    assert_eq!(s.segment_bytes, 16 << 20);
    assert_eq!(s.backup_path, None);
    assert_eq!(s.file_permissions.file(), 0o600);
    assert!(!s.upkeep_thread);
    assert_eq!(s.fsync, FsyncPolicy::Never);
}

#[test]
fn segment_size_takes_suffixes() {
    for (value, bytes) in [
        ("65536", 64 << 10),
        ("64K", 64 << 10),
        ("64k", 64 << 10),
        ("100000", 100_000),
        ("1M", 1 << 20),
        ("16m", 16 << 20),
        ("1G", 1 << 30),
    ] {
        let s = store(&format!("StoreSegmentSize={value}\n"));
        assert_eq!(s.segment_bytes, bytes, "{value}");
    }
}

#[test]
fn bad_segment_sizes_are_errors_naming_the_key() {
    const WANT: &str = "expected a size from 64K to 1G: bytes, or a number with a K, M or G suffix";
    for bad in [
        "",
        "63K",
        "65535",
        "0",
        "2G",
        "16MB",
        "1.5M",
        "-64K",
        "K",
        "16 M",
        "0x10000",
        "99999999999999999999G",
    ] {
        assert_eq!(
            err(&format!("StoreSegmentSize={bad}\n")),
            format!("sessions.cfg:{LINE}: StoreSegmentSize: {WANT}, got {bad:?}"),
        );
    }
}

#[test]
fn file_store_sync_maps_to_store_fsync() {
    assert_eq!(store("FileStoreSync=Y\n").fsync, FsyncPolicy::Always);
    assert_eq!(store("FileStoreSync=N\n").fsync, FsyncPolicy::Never);
    // Agreeing spellings are fine; a session's line beats [DEFAULT]'s.
    let s = store("FileStoreSync=Y\nStoreFsync=always\n");
    assert_eq!(s.fsync, FsyncPolicy::Always);
    let text = INITIATOR.replace("NonStopSession=Y", "NonStopSession=Y\nFileStoreSync=Y");
    let cfg = EngineConfig::parse(&format!("{text}StoreFsync=5ms\n"), "s.cfg").unwrap();
    assert_eq!(cfg.sessions[0].store.fsync, FsyncPolicy::EveryMillis(5));
    let text = INITIATOR.replace("NonStopSession=Y", "NonStopSession=Y\nStoreFsync=5ms");
    let cfg = EngineConfig::parse(&format!("{text}FileStoreSync=N\n"), "s.cfg").unwrap();
    assert_eq!(cfg.sessions[0].store.fsync, FsyncPolicy::Never);
    // Contradicting each other on one level: an error naming both.
    assert_eq!(
        err("StoreFsync=5ms\nFileStoreSync=Y\n"),
        format!(
            "sessions.cfg:{}: FileStoreSync: expected StoreFsync and FileStoreSync to agree \
             (FileStoreSync=Y is StoreFsync=always, N is never), got \"StoreFsync=5ms, FileStoreSync=Y\"",
            LINE + 1
        )
    );
    assert_eq!(
        err("FileStoreSync=yes\n"),
        format!("sessions.cfg:{LINE}: FileStoreSync: expected Y or N, got \"yes\"")
    );
}

#[test]
fn backup_path_and_no_op_cache_size() {
    let s = store("FileStoreBackupPath=old/stores\n");
    assert_eq!(s.backup_path, Some(PathBuf::from("old/stores")));
    // Accepted, value checked, and noted as without effect.
    let cfg = parse("FileStoreMaxCachedMsgs=10000\n").unwrap();
    assert!(
        matches!(&cfg.warnings[..], [ConfigWarning::NoEffect { key, .. }] if key == "FileStoreMaxCachedMsgs"),
        "{:?}",
        cfg.warnings
    );
    assert!(
        matches!(status("FileStoreMaxCachedMsgs"), KeyStatus::NoEffect(why) if why.contains("mapped"))
    );
    assert!(matches!(status("FileStorePath"), KeyStatus::Implemented));
    assert_eq!(
        err("FileStoreMaxCachedMsgs=lots\n"),
        format!(
            "sessions.cfg:{LINE}: FileStoreMaxCachedMsgs: expected a non-negative integer, got \"lots\""
        )
    );
}

#[test]
fn file_permissions_are_octal_and_keep_the_owner_in() {
    let mode = |v: &str| {
        store(&format!("FilePermissions={v}\n"))
            .file_permissions
            .file()
    };
    assert_eq!(mode("0640"), 0o640);
    assert_eq!(mode("0600"), 0o600);
    assert_eq!(mode("660"), 0o660);
    const WANT: &str =
        "expected an octal mode such as 0600 or 0640 (owner read and write, nothing above 0777)";
    for bad in [
        "",
        "0400",
        "0200",
        "0648",
        "rw-r-----",
        "04640",
        "01640",
        "0o640",
        "00640",
    ] {
        assert_eq!(
            err(&format!("FilePermissions={bad}\n")),
            format!("sessions.cfg:{LINE}: FilePermissions: {WANT}, got {bad:?}"),
        );
    }
}

#[test]
fn upkeep_thread_is_a_switch() {
    assert!(store("StoreUpkeepThread=Y\n").upkeep_thread);
    assert!(!store("StoreUpkeepThread=N\n").upkeep_thread);
    assert_eq!(
        err("StoreUpkeepThread=1\n"),
        format!("sessions.cfg:{LINE}: StoreUpkeepThread: expected Y or N, got \"1\"")
    );
}
