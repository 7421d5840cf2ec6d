//! `LogonCredentialsFile`: one line per counterparty,
//! `TargetCompID Username HASH`, where HASH is an Argon2id PHC string
//! (`$argon2id$v=19$m=...,t=...,p=...$salt$hash`, as `ringfix passwd`
//! prints); `#` starts a comment, blank lines are skipped.
//!
//! Verifying costs what the hash's parameters say (the default's 19 MiB
//! and two passes take tens of milliseconds): the runtime verifies on a
//! thread of its own, never on a reactor.

use std::fmt;
use std::path::Path;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// A credentials file that cannot be used: the file and line, and why.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: {message}")]
pub struct CredentialsError {
    /// The file as named in the configuration.
    pub file: String,
    /// 1-based line; 0 when the file itself cannot be read.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

struct Entry {
    target_comp_id: String,
    username: String,
    /// A PHC string checked to parse as Argon2id at load.
    hash: String,
}

/// The credentials of the counterparties, by the session's TargetCompID.
pub struct Credentials {
    entries: Vec<Entry>,
    /// A hash verified when the counterparty or username is unknown, so a
    /// wrong username costs what a wrong password does.
    decoy: String,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("counterparties", &self.entries.len())
            .finish_non_exhaustive()
    }
}

const LINE_SHAPE: &str = "expected `TargetCompID Username HASH` (HASH from `ringfix passwd`)";

impl Credentials {
    /// Parses the text of a credentials file; `file` names it in errors.
    pub fn parse(text: &str, file: &str) -> Result<Self, CredentialsError> {
        let error = |line: usize, message: String| CredentialsError {
            file: file.to_owned(),
            line,
            message,
        };
        let mut entries: Vec<Entry> = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let content = raw.split('#').next().unwrap_or_default().trim();
            if content.is_empty() {
                continue;
            }
            let words: Vec<&str> = content.split_whitespace().collect();
            let [target, username, hash] = words[..] else {
                return Err(error(
                    line,
                    format!("{LINE_SHAPE}, got {} words", words.len()),
                ));
            };
            check_hash(hash).map_err(|why| error(line, why))?;
            if entries.iter().any(|e| e.target_comp_id == target) {
                return Err(error(
                    line,
                    format!("TargetCompID {target} has a line already"),
                ));
            }
            entries.push(Entry {
                target_comp_id: target.to_owned(),
                username: username.to_owned(),
                hash: hash.to_owned(),
            });
        }
        let decoy = entries.first().map(|e| e.hash.clone()).unwrap_or_default();
        Ok(Self { entries, decoy })
    }

    /// Reads and parses the file at `path`.
    pub fn load(path: &Path) -> Result<Self, CredentialsError> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| CredentialsError {
            file: file.clone(),
            line: 0,
            message: format!("cannot read: {e}"),
        })?;
        Self::parse(&text, &file)
    }

    /// Whether the file has a line for this TargetCompID.
    pub fn knows(&self, target_comp_id: &str) -> bool {
        self.entries
            .iter()
            .any(|e| e.target_comp_id == target_comp_id)
    }

    /// Whether `username` and `password` match `target_comp_id`'s line.
    /// Slow by design (Argon2id); an unknown counterparty or username
    /// costs one verification too.
    pub fn verify(&self, target_comp_id: &str, username: &[u8], password: &[u8]) -> bool {
        let entry = self
            .entries
            .iter()
            .find(|e| e.target_comp_id == target_comp_id);
        let (hash, name_ok) = match entry {
            Some(e) => (e.hash.as_str(), e.username.as_bytes() == username),
            None => (self.decoy.as_str(), false),
        };
        let Ok(parsed) = PasswordHash::new(hash) else {
            return false;
        };
        let password_ok = Argon2::default().verify_password(password, &parsed).is_ok();
        name_ok && password_ok
    }
}

/// A hash this file accepts: an Argon2id PHC string, version 19.
fn check_hash(hash: &str) -> Result<(), String> {
    let parsed = PasswordHash::new(hash)
        .map_err(|e| format!("{LINE_SHAPE}: the hash is not a PHC string ({e})"))?;
    if parsed.algorithm.as_str() != "argon2id" {
        return Err(format!(
            "the hash is {}, expected argon2id ($argon2id$v=19$...)",
            parsed.algorithm
        ));
    }
    if parsed.version != Some(19) {
        return Err("the hash is not Argon2 version 19 ($argon2id$v=19$...)".to_owned());
    }
    if parsed.hash.is_none() || parsed.salt.is_none() {
        return Err(format!("{LINE_SHAPE}: the hash has no salt or no value"));
    }
    Ok(())
}

/// An Argon2id PHC string of `password` with a fresh random salt and the
/// crate's default parameters (19 MiB, two passes, one lane), as
/// `ringfix passwd` prints.
pub fn hash_password(password: &[u8]) -> Result<String, String> {
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    Argon2::default()
        .hash_password(password, &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// A password read from `LogonPasswordFile`: shown as `***` by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(Vec<u8>);

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

impl Password {
    /// The password's bytes.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The first line of the file at `path` (without its line ending);
    /// an empty one is an error.
    pub fn load(path: &Path) -> Result<Self, CredentialsError> {
        let file = path.display().to_string();
        let error = |line, message: String| CredentialsError {
            file: file.clone(),
            line,
            message,
        };
        let bytes = std::fs::read(path).map_err(|e| error(0, format!("cannot read: {e}")))?;
        let line = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            return Err(error(
                1,
                "the first line (the password) is empty".to_owned(),
            ));
        }
        Ok(Self(line.to_vec()))
    }
}
