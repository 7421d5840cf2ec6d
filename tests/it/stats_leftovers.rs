//! Stats pages that outlive their engine: none after an exit the process
//! controls (process::exit right after Engine::stop), and after kill -9 a
//! page `ringfix stats` reports dead and `--prune` removes, never a live one.

use crate::ops_support::{stderr, stdout};
use crate::runtime_support::{free_port, terminate, write_file};

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use ringfix::api::EngineBuilder;
use ringfix::engine::apps::exec::Exec;
use ringfix::engine::config::{SessionId, SessionSettings};
use ringfix::engine::stats::{find_pages, STATS_DIR_ENV};
use serde_json::Value;

const CHILD: &str = "RINGFIX_TEST_EXIT_AFTER_STOP";

/// In the child: an embedded engine, stopped, then process::exit without
/// any drop. In the parent: no page is left.
#[test]
fn process_exit_after_engine_stop_leaves_no_page() {
    if std::env::var_os(CHILD).is_some() {
        let engine = EngineBuilder::new()
            .session(SessionSettings::acceptor(
                SessionId::new("FIX.4.4", "EXEC", "ORDERS"),
                0,
            ))
            .start(|_s: &SessionSettings| Exec::new())
            .unwrap();
        let dir = PathBuf::from(std::env::var_os(STATS_DIR_ENV).unwrap());
        println!("pages before exit: {}", find_pages(&dir).unwrap().len());
        engine.stop();
        std::process::exit(0);
    }
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(std::env::current_exe().unwrap())
        .args([
            "stats_leftovers::process_exit_after_engine_stop_leaves_no_page",
            "--exact",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, "1")
        .env(STATS_DIR_ENV, dir.path())
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("pages before exit: 1"),
        "the child published a page: {}",
        stdout(&o)
    );
    assert_eq!(find_pages(dir.path()).unwrap(), Vec::<PathBuf>::new());
}

fn acceptor(stats_dir: &Path, cfg_dir: &Path, name: &str) -> Child {
    let cfg = write_file(
        cfg_dir,
        &format!("{name}.cfg"),
        &format!(
            "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\n\
             [SESSION]\nBeginString=FIX.4.4\nSenderCompID=EXEC\nTargetCompID={name}\n\
             SocketAcceptHost=127.0.0.1\nSocketAcceptPort={}\n",
            free_port()
        ),
    );
    Command::new(env!("CARGO_BIN_EXE_ringfix"))
        .args(["acceptor", "--config"])
        .arg(cfg)
        .env(STATS_DIR_ENV, stats_dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

/// The page of process `pid` in `dir`, once it appears (bounded wait).
fn page_of(dir: &Path, pid: u32) -> PathBuf {
    let want = dir.join(format!("ringfix-{pid}.stats"));
    let start = Instant::now();
    while !want.exists() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "no page of {pid}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    want
}

fn stats(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_ringfix"))
        .arg("stats")
        .args(args)
        .env(STATS_DIR_ENV, dir)
        .output()
        .unwrap()
}

#[test]
fn a_killed_engine_page_is_reported_dead_and_pruned_a_live_one_never() {
    let dir = tempfile::tempdir().unwrap();
    let shm = dir.path().join("shm");
    let mut killed = acceptor(&shm, dir.path(), "K");
    let dead = page_of(&shm, killed.id());
    let dead_pid = killed.id();
    killed.kill().unwrap(); // SIGKILL: no exit handler runs.
    killed.wait().unwrap();
    assert!(dead.exists(), "kill -9 leaves the page");

    // Only a dead page: nothing running, the page named on stderr.
    let o = stats(&shm, &[]);
    assert_eq!(o.status.code(), Some(1));
    let note = format!(
        "skipped {}: engine pid {dead_pid} is not running",
        dead.display()
    );
    assert!(stderr(&o).contains(&note), "{}", stderr(&o));

    let mut live = acceptor(&shm, dir.path(), "L");
    let live_page = page_of(&shm, live.id());
    // The live engine is shown, the dead page skipped and reported.
    let o = stats(&shm, &["--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    let engines = v["engines"].as_array().unwrap();
    assert_eq!(engines.len(), 1);
    assert_eq!(engines[0]["pid"], live.id());
    assert!(stderr(&o).contains(&note), "{}", stderr(&o));
    // --pid still shows the dead engine's last values.
    let o = stats(&shm, &["--pid", &dead_pid.to_string(), "--json"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["engines"][0]["live"], false);

    // --prune: the dead page goes, the live one stays and is shown.
    let o = stats(&shm, &["--prune"]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains(&format!("removed {}", dead.display())),
        "{}",
        stderr(&o)
    );
    assert!(stdout(&o).contains(&format!("engine pid {}", live.id())));
    assert!(!dead.exists());
    assert!(live_page.exists(), "a live page is never pruned");
    // Pruning again finds nothing to do and leaves the live page.
    let o = stats(&shm, &["--prune"]);
    assert!(o.status.success());
    assert!(!stderr(&o).contains("removed"), "{}", stderr(&o));
    assert!(live_page.exists());

    // A clean stop removes the page.
    assert_eq!(terminate(&mut live), Some(0));
    assert!(!live_page.exists(), "SIGTERM: page removed");
    let o = stats(&shm, &["--prune"]);
    assert!(o.status.success(), "nothing to prune, nothing running");
}
