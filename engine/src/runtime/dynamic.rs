//! Dynamic sessions (`AcceptorTemplate=Y`, as QuickFIX/J): a template's
//! SenderCompID or TargetCompID may be `*`, matching any value. A Logon
//! that matches no configured session of the listener but matches a
//! template gets a session of its own, with the template's settings and
//! the Logon's CompIDs: its store, its log, its application. The store
//! and log files are made on a side thread ([`super::side`]) while the
//! connection waits (bounded by LogonTimeout); a later Logon with the
//! same CompIDs finds that session again (its sequence numbers and store
//! kept). CompIDs that cannot be part of a file name, and sessions past
//! `MaxDynamicSessions`, are refused with a Logout before any file is made.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use super::build::ValidatorSpec;
use super::core::{SessionCore, Slot};
use super::log::FileLog;
use super::AppFactory;
use crate::config::{Credentials, SessionConfig};
use crate::time::Now;

/// A session configured with `AcceptorTemplate=Y`.
pub(crate) struct Template {
    /// Its index in the configuration (the supervisor's session events of
    /// the sessions made from it carry it).
    pub idx: usize,
    pub cfg: Arc<SessionConfig>,
    pub spec: Option<ValidatorSpec>,
    /// Its `LogonCredentialsFile`, loaded at start.
    pub credentials: Option<Arc<Credentials>>,
}

/// The template's CompID `pattern` (`*`: any) matches `value`.
fn matches(pattern: &str, value: &[u8]) -> bool {
    pattern == "*" || pattern.as_bytes() == value
}

impl Template {
    /// Does a Logon with this BeginString, to `ours` (its TargetCompID)
    /// from `theirs` (its SenderCompID), match?
    pub fn matches(&self, begin: &[u8], ours: &[u8], theirs: &[u8]) -> bool {
        let id = &self.cfg.id;
        id.begin_string.as_bytes() == begin
            && matches(&id.sender_comp_id, ours)
            && matches(&id.target_comp_id, theirs)
    }
}

/// Why a CompID cannot name a session's files, if it cannot: empty,
/// `/`, `..`, `*`, control bytes, not UTF-8.
pub(crate) fn unsafe_comp_id(id: &[u8]) -> Option<&'static str> {
    if id.is_empty() {
        return Some("empty CompID");
    }
    if id.iter().any(|&b| b < 0x20 || b == 0x7f) {
        return Some("control byte in CompID");
    }
    if id.contains(&b'/') || id.contains(&b'\\') {
        return Some("path separator in CompID");
    }
    if id.windows(2).any(|w| w == b"..") || id == b"." {
        return Some("'..' in CompID");
    }
    if id.contains(&b'*') {
        return Some("'*' in CompID");
    }
    if std::str::from_utf8(id).is_err() {
        return Some("CompID not UTF-8");
    }
    None
}

/// BeginString, our SenderCompID, our TargetCompID.
pub(crate) type Key = (String, String, String);

/// What a Logon matching a template finds.
pub(crate) enum Found {
    /// The session made earlier for these CompIDs.
    Existing(Slot),
    /// A new, empty slot reserved for them: the session is to be made.
    Create(Key, Slot),
    /// Refused, with the Logout text.
    Refused(String),
}

/// The sessions made from templates, shared by every listener.
pub(crate) struct DynamicSessions {
    sessions: Mutex<HashMap<Key, Slot>>,
    apps: Arc<Mutex<AppFactory>>,
}

impl DynamicSessions {
    pub(crate) fn new(apps: Arc<Mutex<AppFactory>>) -> Self {
        Self {
            sessions: Mutex::new(HashMap::new()),
            apps,
        }
    }

    /// On the reactor thread (no file touched): the session for these
    /// CompIDs, or an empty slot reserved for it, or why not.
    pub(crate) fn find_or_reserve(
        &self,
        t: &Template,
        begin: &[u8],
        ours: &[u8],
        theirs: &[u8],
    ) -> Found {
        if let Some(why) = unsafe_comp_id(ours).or_else(|| unsafe_comp_id(theirs)) {
            return Found::Refused(format!("Logon refused: {why}"));
        }
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        let key = (text(begin), text(ours), text(theirs));
        let mut map = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = map.get(&key) {
            return Found::Existing(Arc::clone(slot));
        }
        if map.len() >= t.cfg.network.max_dynamic_sessions {
            return Found::Refused("too many sessions".to_owned());
        }
        let slot: Slot = Arc::new(Mutex::new(None));
        map.insert(key.clone(), Arc::clone(&slot));
        Found::Create(key, slot)
    }

    /// Drops a reservation whose session will not be made.
    pub(crate) fn forget(&self, key: &Key) {
        self.sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
    }

    /// On a side thread: makes the session (application, log, store)
    /// into `slot`; on failure the reservation is dropped and the error
    /// is the Logout text.
    pub(crate) fn create(&self, t: &Template, key: &Key, slot: &Slot) -> Result<(), String> {
        let made = self.make(t, key);
        match made {
            Ok(core) => {
                *slot.lock().unwrap_or_else(PoisonError::into_inner) = Some(Box::new(core));
                Ok(())
            }
            Err(e) => {
                tracing::error!(event = "dynamic_session_failed", error = %e, "cannot make a session from a template");
                self.sessions
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .remove(key);
                Err("Logon refused: the session cannot be created".to_owned())
            }
        }
    }

    fn make(&self, t: &Template, key: &Key) -> Result<SessionCore, String> {
        let mut s = (*t.cfg).clone();
        s.id.sender_comp_id.clone_from(&key.1);
        s.id.target_comp_id.clone_from(&key.2);
        s.network.acceptor_template = false;
        let app = {
            let mut apps = self.apps.lock().unwrap_or_else(PoisonError::into_inner);
            (*apps)(&s)
        };
        let mut log = FileLog::new();
        let sink = log.session(&s);
        log.start().map_err(|e| format!("log of {}: {e}", s.id))?;
        let name = s.id.to_string();
        let cfg = Arc::new(s);
        let now = Now::read();
        let mut core = SessionCore::new(t.idx, cfg, app, t.spec.clone(), sink, None, now)
            .map_err(|e| e.to_string())?;
        core.own_log = Some(log);
        core.event(
            now,
            "dynamic_session",
            &format!("Session {name} created from an acceptor template"),
        );
        Ok(core)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comp_ids_that_cannot_name_files() {
        for bad in [
            &b""[..],
            b"a/b",
            b"..",
            b"x..y",
            b".",
            b"a\x02b",
            b"*",
            b"a\\b",
            b"\xff",
        ] {
            assert!(unsafe_comp_id(bad).is_some(), "{bad:?}");
        }
        for good in [&b"CLIENT_A"[..], b"a.b", b"Z-9"] {
            assert_eq!(unsafe_comp_id(good), None, "{good:?}");
        }
    }
}
