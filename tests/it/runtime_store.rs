//! The store's keys seen from the files a running engine writes:
//! FileStoreBackupPath, FileStoreMaxCachedMsgs, FileStoreSync. Every wait
//! is bounded.

use crate::runtime_support;

use std::time::{Duration, Instant};

use ringfix::engine::apps::exec::Exec;
use ringfix::engine::config::{ConfigWarning, EngineConfig, SessionSettings};
use ringfix::engine::runtime::Runtime;
use ringfix::engine::session::Application;
use runtime_support::{connect, field, now_fix, Peer};

fn acceptor_cfg(port: u16, extra: &str) -> EngineConfig {
    let text = format!(
        "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\n{extra}\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID=ORDERS\n\
         SocketAcceptHost=127.0.0.1\nSocketAcceptPort={port}\n"
    );
    EngineConfig::parse(&text, "acceptor.cfg").unwrap()
}

fn exec_acceptor(port: u16, extra: &str) -> Runtime {
    Runtime::start(
        &acceptor_cfg(port, extra),
        Box::new(|_s: &SessionSettings| -> Box<dyn Application + Send> { Box::new(Exec::new()) }),
    )
    .unwrap()
}

/// Waits (bounded) until `cond` holds.
fn wait_until(within: Duration, mut cond: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < within {
        if cond() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    cond()
}

/// Logs on as ORDERS with MsgSeqNum 1 and sends `n` NewOrderSingles,
/// reading the Logon answer and one ExecutionReport each.
fn trade(port: u16, n: u64) {
    // The session may still hold the last connection for a moment: a
    // Logon then gets a bare close, and is tried again.
    let start = Instant::now();
    let mut peer = loop {
        let mut peer = Peer::new(connect(port, Duration::from_secs(2)));
        peer.send(&format!(
            "8=FIX.4.4|35=A|34=1|49=ORDERS|52={}|56=EXEC|98=0|108=30",
            now_fix()
        ));
        match peer.read(Duration::from_secs(1)) {
            Some(answer) => {
                assert_eq!(field(&answer, 35).as_deref(), Some("A"));
                break peer;
            }
            None => assert!(start.elapsed() < Duration::from_secs(5), "no Logon answer"),
        }
    };
    for i in 1..=n {
        let t = now_fix();
        peer.send(&format!(
            "8=FIX.4.4|35=D|34={}|49=ORDERS|52={t}|56=EXEC|11=O{i}|21=1|55=IBM|54=1|60={t}|38=100|40=2|44=12.5",
            i + 1
        ));
        let er = peer.read(Duration::from_secs(2)).expect("ExecutionReport");
        assert_eq!(field(&er, 35).as_deref(), Some("8"));
    }
}

/// The records (MsgType of each) of a journal file on disk.
fn journal_types(path: &std::path::Path) -> Vec<String> {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_ringfix"))
        .args(["decode", "--json"])
        .arg(path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let fields = v["fields"].as_array().unwrap().clone();
            let t = fields.into_iter().find(|f| f[0] == 35).unwrap();
            t[1].as_str().unwrap().to_owned()
        })
        .collect()
}

/// FileStoreBackupPath (QuickFIX/J): a reset (here ResetOnLogon at the
/// second logon) moves the replaced journal and its sequence numbers
/// there. FileStoreMaxCachedMsgs is without effect by design: with it at 1
/// every message is still in the journal, and it is noted as such, not
/// warned about as unimplemented.
#[test]
fn file_store_backup_path_gets_the_journal_a_reset_replaces() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let cfg = acceptor_cfg(
        0,
        &format!(
            "FileStorePath={d}/store\nFileStoreBackupPath={d}/backup\nResetOnLogon=Y\n\
             FileStoreMaxCachedMsgs=1\n"
        ),
    );
    assert!(
        matches!(&cfg.warnings[..], [ConfigWarning::NoEffect { key, .. }] if key == "FileStoreMaxCachedMsgs"),
        "{:?}",
        cfg.warnings
    );
    let mut server = Runtime::start(
        &cfg,
        Box::new(|_s: &SessionSettings| -> Box<dyn Application + Send> { Box::new(Exec::new()) }),
    )
    .unwrap();
    let port = server.listen_addrs()[0].port();
    trade(port, 3);
    let journal = dir.path().join("store/FIX.4.4-EXEC-ORDERS.journal");
    let first = ["A", "8", "8", "8"];
    assert!(wait_until(Duration::from_secs(2), || journal_types(
        &journal
    ) == first));
    // The first logon's reset moved the fresh journal of generation 1.
    let backup = dir.path().join("backup");
    assert!(backup.join("FIX.4.4-EXEC-ORDERS.journal.1").is_file());
    assert!(backup.join("FIX.4.4-EXEC-ORDERS.seqnums.1").is_file());

    trade(port, 1);
    assert_eq!(
        journal_types(&backup.join("FIX.4.4-EXEC-ORDERS.journal.2")),
        first
    );
    assert!(backup.join("FIX.4.4-EXEC-ORDERS.seqnums.2").is_file());
    assert_eq!(journal_types(&journal), ["A", "8"]);
    server.stopper().stop();
    server.wait();
}

/// Pages of `path` in `0..len` that are dirty or under writeback in the
/// page cache (cachestat, Linux 6.5+).
fn unsynced_pages(path: &std::path::Path, len: u64) -> u64 {
    use std::os::fd::AsRawFd;
    #[repr(C)]
    struct Range {
        off: u64,
        len: u64,
    }
    #[repr(C)]
    #[derive(Default)]
    struct Stat {
        cache: u64,
        dirty: u64,
        writeback: u64,
        evicted: u64,
        recently_evicted: u64,
    }
    const SYS_CACHESTAT: libc::c_long = 451;
    let f = std::fs::File::open(path).unwrap();
    let range = Range { off: 0, len };
    let mut st = Stat::default();
    // SAFETY: cachestat reads `range` and writes `st`, both live and sized
    // as the kernel's structs.
    let rc = unsafe { libc::syscall(SYS_CACHESTAT, f.as_raw_fd(), &range, &mut st, 0u32) };
    assert_eq!(rc, 0, "cachestat: {}", std::io::Error::last_os_error());
    st.dirty + st.writeback
}

/// FileStoreSync=Y (QuickFIX/J) is StoreFsync=always: by the time the
/// counterparty has an answer, the journal records and sequence numbers
/// are on disk (no dirty page left in the page cache).
#[test]
fn file_store_sync_forces_the_store_to_disk_before_sending() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let mut server = exec_acceptor(0, &format!("FileStorePath={d}/store\nFileStoreSync=Y\n"));
    let port = server.listen_addrs()[0].port();
    trade(port, 40);
    let store = dir.path().join("store");
    let reader = ringfix::engine::store::StoreReader::open(
        ringfix::engine::store::StoreFiles::with_prefix(&store, "FIX.4.4-EXEC-ORDERS"),
    )
    .unwrap();
    // Whole pages of records (the one being filled may take zero-filling).
    let used = reader.journal_used() / 4096 * 4096;
    assert!(used >= 4096, "{used}");
    let journal = store.join("FIX.4.4-EXEC-ORDERS.journal");
    assert_eq!(
        unsynced_pages(&journal, used),
        0,
        "journal records not synced"
    );
    let seqnums = store.join("FIX.4.4-EXEC-ORDERS.seqnums");
    assert_eq!(unsynced_pages(&seqnums, 4096), 0, "seqnums not synced");
    server.stopper().stop();
    server.wait();
}

/// StoreUpkeepThread=Y: the store's upkeep runs on the `ringfix-upkeep`
/// thread, and the session trades and stores as without it.
#[test]
fn store_upkeep_thread_serves_the_session() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().display();
    let mut server = exec_acceptor(
        0,
        &format!("FileStorePath={d}/store\nStoreUpkeepThread=Y\nStoreSegmentSize=64K\n"),
    );
    let port = server.listen_addrs()[0].port();
    trade(port, 400);
    let threads: Vec<String> = std::fs::read_dir("/proc/self/task")
        .unwrap()
        .filter_map(|t| std::fs::read_to_string(t.ok()?.path().join("comm")).ok())
        .map(|c| c.trim().to_owned())
        .collect();
    assert!(threads.iter().any(|t| t == "ringfix-upkeep"), "{threads:?}");
    let journal = dir.path().join("store/FIX.4.4-EXEC-ORDERS.journal");
    assert!(wait_until(Duration::from_secs(2), || journal_types(
        &journal
    )
    .len()
        == 401));
    server.stopper().stop();
    server.wait();
}
