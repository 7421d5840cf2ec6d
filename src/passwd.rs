//! `ringfix passwd`: reads a password from standard input (without echo
//! when it is a terminal, asked twice) and prints its Argon2id PHC string,
//! for a `LogonCredentialsFile` line `TargetCompID Username HASH`.
//!
//! Exit codes: 0 printed, 1 no password (empty input, or the two entries
//! differ).

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use ringfix_engine::config::hash_password;

/// Arguments of `ringfix passwd` (none: the password comes on stdin).
#[derive(Debug, Clone, clap::Args)]
pub struct PasswdArgs {}

/// Runs `ringfix passwd`.
pub fn run(_args: &PasswdArgs) -> ExitCode {
    let terminal = std::io::stdin().is_terminal();
    let password = if terminal {
        match (prompt("Password: "), prompt("Again: ")) {
            (Ok(a), Ok(b)) if a == b => a,
            (Ok(_), Ok(_)) => return fail("the two entries differ"),
            (Err(e), _) | (_, Err(e)) => return fail(&format!("cannot read the terminal: {e}")),
        }
    } else {
        match read_line() {
            Ok(p) => p,
            Err(e) => return fail(&format!("cannot read standard input: {e}")),
        }
    };
    if password.is_empty() {
        return fail("empty password");
    }
    match hash_password(&password) {
        Ok(hash) => {
            println!("{hash}");
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn fail(why: &str) -> ExitCode {
    eprintln!("ringfix passwd: {why}");
    ExitCode::FAILURE
}

/// One line of standard input, without its line ending.
fn read_line() -> std::io::Result<Vec<u8>> {
    let mut line = Vec::new();
    std::io::stdin().lock().read_until(b'\n', &mut line)?;
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    Ok(line)
}

/// Asks on standard error and reads a line from the terminal with echo off
/// (restored afterwards, also when reading fails).
fn prompt(question: &str) -> std::io::Result<Vec<u8>> {
    // Echo goes off before the question shows: an answer typed at once
    // is not echoed either.
    let echo = EchoOff::new();
    eprint!("{question}");
    std::io::stderr().flush()?;
    let line = read_line();
    drop(echo);
    eprintln!();
    line
}

/// Terminal echo switched off on standard input while alive.
struct EchoOff(Option<libc::termios>);

impl EchoOff {
    fn new() -> Self {
        // SAFETY: termios is plain old data; tcgetattr fills it or fails.
        let mut saved: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: fd 0 and a valid pointer to a termios.
        if unsafe { libc::tcgetattr(0, &mut saved) } != 0 {
            return Self(None);
        }
        let mut quiet = saved;
        quiet.c_lflag &= !libc::ECHO;
        quiet.c_lflag |= libc::ECHONL;
        // SAFETY: fd 0 and a valid termios copied from tcgetattr's.
        if unsafe { libc::tcsetattr(0, libc::TCSANOW, &quiet) } != 0 {
            return Self(None);
        }
        Self(Some(saved))
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        if let Some(saved) = &self.0 {
            // SAFETY: fd 0 and the termios read by tcgetattr.
            unsafe { libc::tcsetattr(0, libc::TCSANOW, saved) };
        }
    }
}
