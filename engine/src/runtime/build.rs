//! From typed configuration to the parts of a running session: session
//! settings, dictionary validator, store.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ringfix_codec::dict::{self, Dictionary, Options};
use ringfix_codec::TimePrecision;

use super::store::RuntimeStore;
use super::RuntimeError;
use crate::config::{self, SessionId};
use crate::session::{self, Role, Validator};
use crate::store::{FileStore, FileStoreOptions, MemoryStore, StoreFiles, StoreId, UtcTimestamp};

/// The session-layer settings of a configured session.
pub fn session_settings(s: &config::SessionSettings) -> session::SessionSettings {
    let role = match s.role {
        config::Role::Initiator => Role::Initiator,
        config::Role::Acceptor => Role::Acceptor,
    };
    let id = &s.id;
    let mut out = session::SessionSettings::new(
        role,
        &id.begin_string,
        &id.sender_comp_id,
        &id.target_comp_id,
    );
    out.default_appl_ver_id = s
        .dictionaries
        .default_appl_ver_id
        .map(|v| v.code().to_owned());
    if let Some(hb) = s.timing.heartbeat_interval {
        out.heart_bt_int = secs(hb);
    }
    out.logon_timeout = secs(s.timing.logon_timeout);
    out.logout_timeout = secs(s.timing.logout_timeout);
    out.check_latency = s.validation.check_latency;
    out.max_latency = secs(s.validation.max_latency);
    out.reset_on_logon = s.reset.on_logon;
    out.reset_on_logout = s.reset.on_logout;
    out.reset_on_disconnect = s.reset.on_disconnect;
    out.resend_request_chunk_size = u64::from(s.messages.resend_request_chunk_size);
    out.send_redundant_resend_requests = s.messages.send_redundant_resend_requests;
    out.timestamp_precision = digits(s.messages.timestamp_precision);
    out.reconnect = role == Role::Initiator;
    out
}

fn secs(d: std::time::Duration) -> u32 {
    u32::try_from(d.as_secs()).unwrap_or(u32::MAX)
}

fn digits(p: TimePrecision) -> u8 {
    match p {
        TimePrecision::Seconds => 0,
        TimePrecision::Millis => 3,
        TimePrecision::Micros => 6,
        TimePrecision::Nanos => 9,
    }
}

/// Dictionaries loaded once per file, shared by the sessions naming them.
#[derive(Default)]
pub struct DictCache {
    files: HashMap<PathBuf, Arc<Dictionary>>,
}

impl DictCache {
    fn load(&mut self, path: &Path) -> Result<Arc<Dictionary>, RuntimeError> {
        if let Some(d) = self.files.get(path) {
            return Ok(Arc::clone(d));
        }
        let d = Arc::new(Dictionary::load(path).map_err(RuntimeError::Dictionary)?);
        self.files.insert(path.to_owned(), Arc::clone(&d));
        Ok(d)
    }
}

/// What a session's validator is made of (kept to rebuild it when the
/// session is rebuilt after a schedule reset).
#[derive(Clone)]
pub struct ValidatorSpec {
    session: Arc<Dictionary>,
    apps: Vec<(String, Arc<Dictionary>)>,
    default_app: Option<Arc<Dictionary>>,
    default_appl_ver_id: Option<String>,
    options: Options,
}

impl ValidatorSpec {
    /// The spec of a configured session; `None` with `UseDataDictionary=N`.
    /// Built-in dictionaries stand in for paths not given.
    pub fn from_config(
        s: &config::SessionSettings,
        cache: &mut DictCache,
    ) -> Result<Option<Self>, RuntimeError> {
        if !s.validation.use_data_dictionary {
            return Ok(None);
        }
        let v = &s.validation;
        let options = Options {
            validate_fields_have_values: v.fields_have_values,
            validate_fields_out_of_order: v.fields_out_of_order,
            validate_user_defined_fields: v.user_defined_fields,
            allow_unknown_msg_fields: v.allow_unknown_msg_fields,
            ..Options::default()
        };
        let d = &s.dictionaries;
        let begin = s.id.begin_string.as_bytes();
        let default_appl_ver_id = d.default_appl_ver_id.map(|v| v.code().to_owned());
        let builtin =
            |b: &[u8]| dict::builtin_for_begin_string(b).map_err(RuntimeError::Dictionary);
        if !s.id.is_fixt() {
            let session = match &d.data_dictionary {
                Some(p) => cache.load(p)?,
                None => builtin(begin)?,
            };
            return Ok(Some(Self {
                session,
                apps: Vec::new(),
                default_app: None,
                default_appl_ver_id: None,
                options,
            }));
        }
        let session = match &d.transport_data_dictionary {
            Some(p) => cache.load(p)?,
            None => builtin(begin)?,
        };
        let mut apps = Vec::new();
        for (version, path) in &d.app_data_dictionaries {
            let code = config::ApplVerId::parse(version)
                .map(|v| v.code().to_owned())
                .unwrap_or_else(|| version.clone());
            apps.push((code, cache.load(path)?));
        }
        let default_app = match &d.app_data_dictionary {
            Some(p) => Some(cache.load(p)?),
            None => None,
        };
        Ok(Some(Self {
            session,
            apps,
            default_app,
            default_appl_ver_id,
            options,
        }))
    }

    /// A fresh validator.
    pub fn build(&self) -> Result<Box<dyn Validator + Send>, RuntimeError> {
        let mut v = dict::Validator::new(Arc::clone(&self.session), self.options);
        for (code, d) in &self.apps {
            v = v.with_app_dictionary(code.as_bytes(), Arc::clone(d));
        }
        match (&self.default_app, &self.default_appl_ver_id) {
            (Some(d), code) => {
                if let Some(code) = code {
                    v = v.with_app_dictionary(code.as_bytes(), Arc::clone(d));
                }
                v.set_default_app_dictionary(Arc::clone(d));
            }
            (None, Some(code)) => v
                .set_default_appl_ver_id(code.as_bytes())
                .map_err(RuntimeError::Dictionary)?,
            (None, None) => {}
        }
        Ok(Box::new(v))
    }
}

/// The file name prefix of a session's store and logs (QuickFIX style,
/// `FIX.4.4-SENDER-TARGET`).
pub fn store_id(id: &SessionId) -> StoreId {
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

/// Hot standby: the store of a session this node leads (its `FileStore`,
/// wrapped so every change is replicated), or a placeholder while it
/// stands by (the standby side writes the files meanwhile).
pub(crate) fn open_ha_store(
    s: &config::SessionSettings,
    ha: &std::sync::Arc<crate::ha::SessionHa>,
    now: UtcTimestamp,
) -> Result<RuntimeStore, RuntimeError> {
    if ha.token() == 0 {
        return Ok(RuntimeStore::Memory(MemoryStore::new(now), false));
    }
    let store = match ha.take_store() {
        Some(open) => open,
        None => open_file(s, ha.files.clone(), now)?,
    };
    Ok(RuntimeStore::Replicated(Box::new(
        crate::ha::ReplicatedStore::new(store, std::sync::Arc::clone(ha)),
    )))
}

/// The file store options a configured session's store is opened with
/// (also what `ringfix store` uses, so a tool's reset writes the journal
/// the engine would).
pub fn store_options(s: &config::SessionSettings) -> FileStoreOptions {
    FileStoreOptions {
        fsync: s.store.fsync,
        segment_bytes: usize::try_from(s.store.segment_bytes).unwrap_or(usize::MAX),
        backup_dir: s.store.backup_path.clone(),
        mode: s.store.file_permissions,
        upkeep_thread: s.store.upkeep_thread,
        ..FileStoreOptions::default()
    }
}

fn open_file(
    s: &config::SessionSettings,
    files: StoreFiles,
    now: UtcTimestamp,
) -> Result<FileStore, RuntimeError> {
    FileStore::open(files, store_options(s), now).map_err(|e| RuntimeError::Store {
        session: s.id.to_string(),
        source: e,
    })
}

/// Opens the session's store: a `FileStore` under `FileStorePath`, else a
/// `MemoryStore`.
pub fn open_store(
    s: &config::SessionSettings,
    now: UtcTimestamp,
) -> Result<RuntimeStore, RuntimeError> {
    let persist = s.store.persist_messages;
    match &s.store.file_store_path {
        None => Ok(RuntimeStore::Memory(MemoryStore::new(now), persist)),
        Some(dir) => {
            let store = open_file(s, StoreFiles::new(dir, &store_id(&s.id)), now)?;
            Ok(RuntimeStore::File(Box::new(store), persist))
        }
    }
}
