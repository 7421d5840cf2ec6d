//! From `--config` and `--session` to the stores to act on.

use std::path::{Path, PathBuf};

use ringfix_engine::config::{EngineConfig, SessionId, SessionSettings};
use ringfix_engine::runtime::store_options;
use ringfix_engine::store::{FileStoreOptions, StoreFiles, StoreId};

use super::{StoreCmdError, Which};

/// One session of the configuration and where its store lives.
#[derive(Debug, Clone)]
pub struct Target {
    /// The session.
    pub id: SessionId,
    /// Its file store, `None` for a memory store (no FileStorePath).
    pub files: Option<StoreFiles>,
    /// The options the engine opens that store with (segment size, ...).
    pub options: FileStoreOptions,
    /// `RedactFieldsInLogs`: what `dump` masks.
    pub redact: ringfix_codec::redact::Redaction,
}

impl Target {
    /// The file store, or a usage error naming the session.
    pub(crate) fn file_store(&self) -> Result<&StoreFiles, StoreCmdError> {
        self.files.as_ref().ok_or_else(|| {
            StoreCmdError::Usage(format!(
                "{}: memory store (no FileStorePath): nothing on disk to change",
                self.id
            ))
        })
    }
}

/// The sessions `which` names: all of the config's without `--session`
/// (or only one allowed when `single`), else the one matching.
pub fn select(which: &Which, single: bool) -> Result<Vec<Target>, StoreCmdError> {
    let cfg = EngineConfig::load(&which.config)
        .map_err(|e| StoreCmdError::Failed(format!("config: {e}")))?;
    let all: Vec<Target> = cfg.sessions.iter().map(target).collect();
    let known = || {
        all.iter()
            .map(|t| t.id.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match &which.session {
        None if single && all.len() > 1 => Err(StoreCmdError::Usage(format!(
            "{} has {} sessions: name one with --session ({})",
            which.config.display(),
            all.len(),
            known()
        ))),
        None if all.is_empty() => Err(StoreCmdError::Usage(format!(
            "{} has no session",
            which.config.display()
        ))),
        None => Ok(all),
        Some(name) => {
            let found: Vec<Target> = all
                .iter()
                .filter(|t| matches(&t.id, name))
                .cloned()
                .collect();
            match found.len() {
                0 => Err(StoreCmdError::Usage(format!(
                    "unknown session `{name}`; {} has: {}",
                    which.config.display(),
                    known()
                ))),
                1 => Ok(found),
                _ => Err(StoreCmdError::Usage(format!(
                    "`{name}` matches several sessions; use the full id: {}",
                    found
                        .iter()
                        .map(|t| t.id.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))),
            }
        }
    }
}

fn target(s: &SessionSettings) -> Target {
    let dir = s.store.file_store_path.as_deref();
    Target {
        id: s.id.clone(),
        files: dir.map(|d| StoreFiles::new(absolute(d), &store_id(&s.id))),
        options: FileStoreOptions {
            backup_dir: s.store.backup_path.as_deref().map(absolute),
            ..store_options(s)
        },
        redact: s.security.redact.clone(),
    }
}

/// Relative FileStorePaths are the engine's working directory's; show
/// the operator which directory was read.
fn absolute(dir: &Path) -> PathBuf {
    std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned())
}

/// The store file name parts of a session (the runtime names them alike).
pub(crate) fn store_id(id: &SessionId) -> StoreId {
    StoreId {
        begin_string: id.begin_string.clone(),
        sender_comp_id: id.sender_comp_id.clone(),
        sender_sub_id: id.sender_sub_id.clone().unwrap_or_default(),
        sender_location_id: id.sender_location_id.clone().unwrap_or_default(),
        target_comp_id: id.target_comp_id.clone(),
        target_sub_id: id.target_sub_id.clone().unwrap_or_default(),
        target_location_id: id.target_location_id.clone().unwrap_or_default(),
        qualifier: id.qualifier.clone().unwrap_or_default(),
    }
}

/// `FIX.4.4:A->B` (QuickFIX), `FIX.4.4-A-B` (file prefix) or `A->B`.
pub(crate) fn matches(id: &SessionId, name: &str) -> bool {
    let full = id.to_string();
    if name == full || name == store_id(id).file_prefix() {
        return true;
    }
    full.split_once(':').is_some_and(|(_, rest)| rest == name)
}
