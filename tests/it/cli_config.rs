//! `ringfix config check`: what a QuickFIX-style file would do, without
//! starting anything; exit 0 when it would start, 1 naming file, line and
//! key otherwise. The file with every key is in `cli_config_every`.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_ringfix");

/// Runs `ringfix config check ARGS` with `env` set.
pub fn check(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(BIN);
    cmd.arg("config").arg("check").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// The JSON on standard output.
pub fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

/// Writes `text` to `dir/name`.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn non_stop_sessions_have_no_open_or_close() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "ns.cfg",
        "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n\
         ConnectionType=acceptor\nSocketAcceptPort=5001\nNonStopSession=Y\n",
    );
    let out = check(&[cfg.to_str().unwrap(), "--json"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["sessions"][0]["next_open"], Value::Null);
    assert_eq!(v["sessions"][0]["next_close"], Value::Null);
    assert_eq!(v["sessions"][0]["store"], serde_json::json!([]));
    assert_eq!(v["ignored"], serde_json::json!([]));
}

/// One acceptor session with `extra` keys.
fn one_session(dir: &Path, extra: &str) -> PathBuf {
    write(
        dir,
        "bad.cfg",
        &format!(
            "[SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n\
             ConnectionType=acceptor\nSocketAcceptPort=5001\nNonStopSession=Y\n{extra}\n"
        ),
    )
}

#[test]
fn bad_files_exit_1_naming_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let not_a_dir = write(d, "plain", "x");
    let bad_dict = write(d, "bad.xml", "<fix><oops");
    let creds = write(d, "creds", "# counterparty username hash\nB alice\n");
    let cases = [
        ("Bogus=1".to_owned(), "bad.cfg:8: Bogus: unknown key".to_owned()),
        (
            "HeartBtInt=x".to_owned(),
            "bad.cfg:8: HeartBtInt: expected a positive integer, got \"x\"".to_owned(),
        ),
        (
            format!("SocketUseSSL=Y\nServerCertificateFile={}/none.pem", d.display()),
            format!("bad.cfg:9: ServerCertificateFile: ServerCertificateFile {}/none.pem", d.display()),
        ),
        (
            format!("DataDictionary={}", bad_dict.display()),
            format!("bad.cfg:8: DataDictionary: cannot load {}", bad_dict.display()),
        ),
        (
            format!("FileStorePath={}/store", not_a_dir.display()),
            format!("bad.cfg:8: FileStorePath: {} is not a directory", not_a_dir.display()),
        ),
        (
            format!("FileLogPath={}/log", not_a_dir.display()),
            format!("bad.cfg:8: FileLogPath: {} is not a directory", not_a_dir.display()),
        ),
        (
            format!("LogonCredentialsFile={}", creds.display()),
            format!(
                "bad.cfg:8: LogonCredentialsFile: {}:2: expected `TargetCompID Username HASH`",
                creds.display()
            ),
        ),
        (
            "NonStopSession=N\nStartTime=08:00:00\nEndTime=17:00:00\nWeekdays=Sat\nLogonDay=Mon\nLogoutDay=Tue"
                .to_owned(),
            "bad.cfg:12: LogonDay: the session never opens".to_owned(),
        ),
    ];
    for (extra, message) in cases {
        let cfg = one_session(d, &extra);
        for json_out in [false, true] {
            let mut args = vec![cfg.to_str().unwrap()];
            if json_out {
                args.push("--json");
            }
            let out = check(&args, &[]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(1), "{extra}: {stderr}");
            let want = format!("{}/{message}", d.display());
            assert!(stderr.contains(&want), "{extra}: {stderr}\nwanted {want}");
            if json_out {
                let v = json(&out);
                assert_eq!(v["would_start"], false);
                assert!(
                    v["problems"][0].as_str().unwrap().starts_with(&want),
                    "{extra}: {v}"
                );
            }
        }
    }
    // The validator as the runtime builds it: no built-in FIX.2.7.
    let fixt = write(
        d,
        "fixt.cfg",
        "[SESSION]\nBeginString=FIXT.1.1\nSenderCompID=A\nTargetCompID=B\n\
         ConnectionType=acceptor\nSocketAcceptPort=5001\nNonStopSession=Y\n\
         DefaultApplVerID=FIX.2.7\n",
    );
    let out = check(&[fixt.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    let want = format!("{}:8: DefaultApplVerID: ", fixt.display());
    assert!(String::from_utf8_lossy(&out.stderr).contains(&want));
    let missing = check(&[d.join("nothing.cfg").to_str().unwrap()], &[]);
    assert_eq!(missing.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("nothing.cfg:0: cannot read"));
}

#[test]
fn sessions_left_out_by_continue_initialization_on_error_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = write(
        dir.path(),
        "skip.cfg",
        "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nContinueInitializationOnError=Y\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=C\nSocketAcceptPort=5001\n",
    );
    let out = check(&[cfg.to_str().unwrap(), "--json"], &[]);
    assert_eq!(out.status.code(), Some(0));
    let v = json(&out);
    assert_eq!(v["sessions"].as_array().unwrap().len(), 1);
    assert_eq!(v["sessions"][0]["id"], "FIX.4.4:A->C");
    assert_eq!(
        v["warnings"][0],
        format!(
            "{}:5: SocketAcceptPort is required for an acceptor (session left out: ContinueInitializationOnError=Y)",
            cfg.display()
        )
    );
    let all_out = write(
        dir.path(),
        "none.cfg",
        "[DEFAULT]\nConnectionType=acceptor\nNonStopSession=Y\nContinueInitializationOnError=Y\n\
         [SESSION]\nBeginString=FIX.4.4\nSenderCompID=A\nTargetCompID=B\n",
    );
    let out = check(&[all_out.to_str().unwrap()], &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("every session was left out"));
}
