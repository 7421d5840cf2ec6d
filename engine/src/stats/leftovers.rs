//! Pages outliving their engine: removal at every exit the process
//! controls, and pruning of pages a killed engine left behind.
//!
//! A publisher's page is registered here while it lives; an `atexit`
//! handler removes every registered page, so `process::exit` (an
//! application exiting right after `Engine::stop`, say), a return from
//! `main` or `exit(3)` from C code remove them too, not only a drop.
//! What the process cannot control (kill -9, an abort) leaves the page;
//! its owner's `flock` is gone with the process, which is how readers
//! tell it is dead whatever process now has its pid, and [`prune`]
//! removes it.

use std::fs::File;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, Once};

use super::page::{at_exit, try_flock};
use super::StatsError;

/// Pages of live publishers of this process.
static LIVE: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

/// Registers `path` for removal at exit.
pub(crate) fn register(path: &Path) {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| at_exit(remove_at_exit));
    let mut live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
    live.push(path.to_owned());
}

/// Removes `path` (its publisher is dropped) and forgets it.
pub(crate) fn unregister(path: &Path) {
    let mut live = LIVE.lock().unwrap_or_else(|p| p.into_inner());
    live.retain(|p| p != path);
    drop(live);
    let _ = std::fs::remove_file(path);
}

extern "C" fn remove_at_exit() {
    // Never block at exit: another thread may hold the lock (it is only
    // held to push or remove an entry).
    let live = match LIVE.try_lock() {
        Ok(l) => l,
        Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
        Err(std::sync::TryLockError::WouldBlock) => return,
    };
    for p in live.iter() {
        let _ = std::fs::remove_file(p);
    }
}

/// Removes the page at `path` if no live engine holds it: true if it was
/// removed, false if it is live (it is never touched then). The page is
/// locked while it is checked and removed, and removed only if `path`
/// still names the file that was locked.
pub fn prune(path: &Path) -> Result<bool, StatsError> {
    let file = File::open(path).map_err(|e| StatsError::io("open", path, e))?;
    if !try_flock(&file, true).map_err(|e| StatsError::io("flock", path, e))? {
        return Ok(false);
    }
    let locked = file
        .metadata()
        .map_err(|e| StatsError::io("stat", path, e))?;
    let named = std::fs::metadata(path).map_err(|e| StatsError::io("stat", path, e))?;
    if (locked.dev(), locked.ino()) != (named.dev(), named.ino()) {
        // A new engine's page took the name meanwhile.
        return Ok(false);
    }
    std::fs::remove_file(path).map_err(|e| StatsError::io("remove", path, e))?;
    Ok(true)
}
