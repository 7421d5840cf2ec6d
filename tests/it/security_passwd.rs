//! `ringfix passwd`: a password on standard input becomes an Argon2id PHC
//! string that a `LogonCredentialsFile` line accepts; on a terminal the
//! password is asked twice and never echoed.

use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ringfix::engine::config::Credentials;

const BIN: &str = env!("CARGO_BIN_EXE_ringfix");

#[test]
fn a_piped_password_prints_a_hash_the_credentials_file_accepts() {
    let mut child = Command::new(BIN)
        .arg("passwd")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"correct horse\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let hash = String::from_utf8(out.stdout).unwrap();
    let hash = hash.trim_end();
    assert!(hash.starts_with("$argon2id$v=19$"), "{hash}");
    assert!(!hash.contains("correct"));
    let creds = Credentials::parse(&format!("CLIENT alice {hash}\n"), "c").unwrap();
    assert!(creds.verify("CLIENT", b"alice", b"correct horse"));
    assert!(!creds.verify("CLIENT", b"alice", b"correct horse\n"));

    let empty = Command::new(BIN)
        .arg("passwd")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(empty.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&empty.stderr).contains("empty password"));
}

#[test]
fn on_a_terminal_the_password_is_not_echoed() {
    let (mut master, slave) = pty();
    let slave_in: OwnedFd = slave.try_clone().unwrap();
    let child = Command::new(BIN)
        .arg("passwd")
        .stdin(Stdio::from(slave_in))
        .stdout(Stdio::piped())
        .stderr(Stdio::from(slave))
        .spawn()
        .unwrap();
    // The prompts come on the terminal; answer each once it is there.
    let mut seen = Vec::new();
    for (prompt, answer) in [("Password: ", "tr0ub4dor\n"), ("Again: ", "tr0ub4dor\n")] {
        let start = Instant::now();
        while !String::from_utf8_lossy(&seen).contains(prompt) {
            assert!(
                start.elapsed() < Duration::from_secs(20),
                "no {prompt:?}: {seen:?}"
            );
            let mut buf = [0u8; 256];
            let n = master.read(&mut buf).unwrap();
            seen.extend_from_slice(&buf[..n]);
        }
        master.write_all(answer.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    // What the terminal showed after the last prompt (the child has exited).
    let mut buf = [0u8; 256];
    if let Ok(n) = master.read(&mut buf) {
        seen.extend_from_slice(&buf[..n]);
    }
    let shown = String::from_utf8_lossy(&seen);
    assert!(!shown.contains("tr0ub4dor"), "echoed: {shown:?}");
    let hash = String::from_utf8(out.stdout).unwrap();
    let creds = Credentials::parse(&format!("C u {}", hash.trim_end()), "c").unwrap();
    assert!(creds.verify("C", b"u", b"tr0ub4dor"));
}

/// A pseudo-terminal: the master as a file, the slave's descriptor.
fn pty() -> (std::fs::File, OwnedFd) {
    let (mut master, mut slave) = (-1, -1);
    // SAFETY: two valid out-pointers; the name and settings may be null.
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(rc, 0, "openpty: {}", std::io::Error::last_os_error());
    // SAFETY: openpty returned two fresh descriptors that we now own.
    unsafe {
        (
            std::fs::File::from_raw_fd(master),
            OwnedFd::from_raw_fd(slave),
        )
    }
}
