//! Store keys.

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
