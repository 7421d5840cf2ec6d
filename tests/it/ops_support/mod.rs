//! Shared helpers of the `ringfix store` / `ringfix stats` tests.
#![allow(dead_code)]

pub mod prom;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ringfix::codec::UtcTimestamp;
use ringfix::engine::store::{
    FileStore, FileStoreOptions, MessageStore, StoreError, StoreFiles, StoreId,
};

/// A FIX message with BeginString, BodyLength and CheckSum around `body`
/// (`|` for SOH).
pub fn fix(body: &str) -> Vec<u8> {
    let body = body.replace('|', "\x01");
    let mut m = format!("8=FIX.4.4\x019={}\x01{body}", body.len()).into_bytes();
    let sum: u32 = m.iter().map(|&b| u32::from(b)).sum();
    m.extend_from_slice(format!("10={:03}\x01", sum % 256).as_bytes());
    m
}

/// The message stored as `seq` by [`fill`].
pub fn order(seq: u64) -> Vec<u8> {
    fix(&format!(
        "35=D|34={seq}|49=A|56=B|52=20261124-03:00:00.000|11=ORD{seq}|55=XYZ|54=1|38=100|40=1|"
    ))
}

/// A config with sessions A->B (file store), A->C (file store) and
/// A->D (memory store), all under `dir`.
pub fn config(dir: &Path) -> PathBuf {
    let store = dir.join("store");
    let text = format!(
        "[DEFAULT]\nConnectionType=initiator\nSocketConnectHost=127.0.0.1\n\
         SocketConnectPort=1\nHeartBtInt=30\nStartTime=00:00:00\nEndTime=00:00:00\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\nFileStorePath={s}\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=C\nFileStorePath={s}\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=D\n",
        s = store.display()
    );
    let path = dir.join("engine.cfg");
    std::fs::write(&path, text).unwrap();
    path
}

/// A config with the single session A->B.
pub fn single_config(dir: &Path) -> PathBuf {
    let text = format!(
        "[DEFAULT]\nConnectionType=initiator\nSocketConnectHost=127.0.0.1\n\
         SocketConnectPort=1\nHeartBtInt=30\nStartTime=00:00:00\nEndTime=00:00:00\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\nFileStorePath={}\n",
        dir.join("store").display()
    );
    let path = dir.join("single.cfg");
    std::fs::write(&path, text).unwrap();
    path
}

/// The store files of `FIX.4.4:A->{target}` under `dir/store`.
pub fn files(dir: &Path, target: &str) -> StoreFiles {
    StoreFiles::new(dir.join("store"), &StoreId::new("FIX.4.4", "A", target))
}

pub const CREATED: UtcTimestamp = UtcTimestamp::from_secs(1_795_000_000);

/// Opens (creating) the store as an engine would.
pub fn open(dir: &Path, target: &str) -> FileStore {
    let options = FileStoreOptions {
        segment_bytes: 1 << 16,
        prefault: false,
        ..FileStoreOptions::default()
    };
    // Another test's fork (before its exec) can briefly share the lock of
    // a store this test just closed.
    let start = std::time::Instant::now();
    loop {
        match FileStore::open(files(dir, target), options.clone(), CREATED) {
            Err(StoreError::Locked { .. }) if start.elapsed().as_secs() < 2 => {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            r => return r.unwrap(),
        }
    }
}

/// A->`target` with messages `1..=n` stored, next sender n+1, next target `t`.
pub fn fill(dir: &Path, target: &str, n: u64, t: u64) {
    let mut s = open(dir, target);
    for seq in 1..=n {
        s.append(seq, &order(seq)).unwrap();
        s.set_next_sender_seq(seq + 1).unwrap();
    }
    s.set_next_target_seq(t).unwrap();
}

/// Runs `ringfix args...`.
pub fn ringfix(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ringfix"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
