//! The reading side: find an engine's page, check it is alive, take a
//! consistent snapshot. Never writes to the page.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ringfix_codec::UtcTimestamp;

use super::page::{hdr, page_len, try_flock, unlock, Page, MAGIC, SLOT_BYTES, VERSION};
use super::values::{ReactorCounters, SessionCounters, USED_WORDS};
use super::{EngineRole, SessionHaRole, StatsError};

/// How long a snapshot waits for a slot's writer. A writer holds it for
/// nanoseconds, but one preempted mid-write on a loaded host stays off the
/// CPU for tens of milliseconds (seen: 50 ms was not enough at a load of
/// 11 on 2 vCPUs); only a writer killed mid-write makes it wait this long.
const READ_PATIENCE: Duration = Duration::from_millis(500);
/// Fewest tries of a slot before a reader gives up as `Busy`.
const MIN_TRIES: u32 = 4096;

/// A stats page opened read-only.
#[derive(Debug)]
pub struct StatsReader {
    path: PathBuf,
    file: File,
    page: Page,
    slots: usize,
    reactors: usize,
}

/// One engine's statistics at one moment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EngineSnapshot {
    /// The page read.
    pub path: PathBuf,
    /// Process id of the engine.
    pub pid: u32,
    /// When the engine created the page.
    pub started_at: UtcTimestamp,
    /// Whether the engine still holds the page (false: it died without
    /// removing it, the values are its last ones).
    pub live: bool,
    /// The engine's role (primary, or a hot standby).
    pub role: EngineRole,
    /// Sessions, in the engine's configuration order.
    pub sessions: Vec<SessionSnapshot>,
    /// Reactor threads, in start order.
    pub reactors: Vec<ReactorCounters>,
}

/// One session's statistics.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionSnapshot {
    /// Session id as the engine names it (`FIX.4.4:SENDER->TARGET`).
    pub id: String,
    /// The values.
    pub counters: SessionCounters,
    /// This node's hot standby role for the session.
    pub ha: SessionHaRole,
}

impl StatsReader {
    /// Opens the page at `path`.
    pub fn open(path: &Path) -> Result<Self, StatsError> {
        let file = File::open(path).map_err(|e| StatsError::io("open", path, e))?;
        let len = file
            .metadata()
            .map_err(|e| StatsError::io("stat", path, e))?
            .len();
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        let not_page = |reason: &str| StatsError::NotAPage {
            path: path.to_owned(),
            reason: reason.to_owned(),
        };
        if len < page_len(0, 0) {
            return Err(not_page("too short"));
        }
        let page = Page::map(&file, len, false).map_err(|e| StatsError::io("mmap", path, e))?;
        if page.header(hdr::MAGIC) != MAGIC {
            return Err(not_page("bad magic"));
        }
        if page.header(hdr::VERSION) != VERSION || page.header(hdr::SLOT_BYTES) != SLOT_BYTES as u64
        {
            return Err(not_page("unsupported layout version"));
        }
        let slots = usize::try_from(page.header(hdr::SLOTS)).unwrap_or(usize::MAX);
        let reactors = usize::try_from(page.header(hdr::REACTORS)).unwrap_or(usize::MAX);
        if !page.fits(slots, reactors) {
            return Err(not_page("slot count exceeds the file"));
        }
        Ok(Self {
            path: path.to_owned(),
            file,
            page,
            slots,
            reactors,
        })
    }

    /// The page's file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Process id of the engine.
    pub fn pid(&self) -> u32 {
        u32::try_from(self.page.header(hdr::PID)).unwrap_or(0)
    }

    /// Whether the engine still holds the page.
    pub fn is_live(&self) -> Result<bool, StatsError> {
        let free =
            try_flock(&self.file, false).map_err(|e| StatsError::io("flock", &self.path, e))?;
        if free {
            unlock(&self.file);
        }
        Ok(!free)
    }

    /// Session ids, in slot order.
    pub fn session_ids(&self) -> Vec<String> {
        (0..self.slots).map(|i| self.page.id(i)).collect()
    }

    /// A consistent copy of every slot.
    pub fn snapshot(&self) -> Result<EngineSnapshot, StatsError> {
        let mut sessions = Vec::with_capacity(self.slots);
        for slot in 0..self.slots {
            let mut words = [0u64; USED_WORDS];
            self.settle(slot, |out| self.page.try_read_values(slot, out), &mut words)?;
            sessions.push(SessionSnapshot {
                id: self.page.id(slot),
                counters: SessionCounters::from_words(&words),
                ha: SessionHaRole::from_code(self.page.slot_role(slot)),
            });
        }
        let mut reactors = Vec::with_capacity(self.reactors);
        for r in 0..self.reactors {
            let mut words = [0u64; 4];
            self.settle(
                self.slots + r,
                |out| self.page.try_read_reactor(self.slots, r, out),
                &mut words,
            )?;
            reactors.push(ReactorCounters::from_words(&words));
        }
        Ok(EngineSnapshot {
            path: self.path.clone(),
            pid: self.pid(),
            started_at: UtcTimestamp::from_nanos(self.page.header(hdr::STARTED) as i64),
            live: self.is_live()?,
            role: EngineRole::from_code(self.page.header(hdr::ROLE)),
            sessions,
            reactors,
        })
    }

    /// Retries `read` until it reads a settled slot (numbered `slot` in
    /// the error).
    fn settle(
        &self,
        slot: usize,
        read: impl Fn(&mut [u64]) -> bool,
        out: &mut [u64],
    ) -> Result<(), StatsError> {
        let start = Instant::now();
        let mut spins = 0u32;
        loop {
            if read(out) {
                return Ok(());
            }
            spins += 1;
            if spins % 64 == 0 {
                // Both a time and a number of tries: on a loaded host the
                // reader may be descheduled past the patience between two
                // tries, which says nothing about the writer.
                if spins >= MIN_TRIES && start.elapsed() > READ_PATIENCE {
                    return Err(StatsError::Busy {
                        path: self.path.clone(),
                        slot,
                    });
                }
                if spins >= MIN_TRIES {
                    // The writer is off the CPU: leave it ours.
                    std::thread::sleep(Duration::from_micros(100));
                } else {
                    std::thread::yield_now();
                }
            } else {
                std::hint::spin_loop();
            }
        }
    }
}

/// Every stats page (`ringfix-*.stats`) in `dir`, sorted by name. A
/// missing directory has none.
pub fn find_pages(dir: &Path) -> Result<Vec<PathBuf>, StatsError> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(StatsError::io("readdir", dir, e)),
    };
    let mut out = Vec::new();
    for entry in rd {
        let entry = entry.map_err(|e| StatsError::io("readdir", dir, e))?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if name.starts_with("ringfix-") && name.ends_with(".stats") {
            out.push(entry.path());
        }
    }
    out.sort();
    Ok(out)
}
