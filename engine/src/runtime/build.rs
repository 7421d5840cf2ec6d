//! From typed configuration to the parts of a running session: session
//! settings, dictionary validator, store.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use ringfix_codec::dict::{self, Dictionary, FieldOrder, Options};
use ringfix_codec::{FrameChecks, TimePrecision};

use super::store::RuntimeStore;
use super::RuntimeError;
use crate::config::{self, SessionId};
use crate::session::{self, Incoming, Role, ValidationError, Validator};
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
    out.reject_garbled_message = s.validation.reject_garbled_message;
    out.ignore_absence_of_141_tag = s.validation.ignore_absence_of_141_tag;
    let p = &s.policy;
    out.enable_next_expected_msg_seq_num = p.next_expected_msg_seq_num;
    out.enable_last_msg_seq_num_processed = p.last_msg_seq_num_processed;
    out.on_error = match p.on_error {
        config::ErrorAction::Reject => session::ErrorPolicy::Reject,
        config::ErrorAction::Reset => session::ErrorPolicy::Reset,
        config::ErrorAction::Disconnect => session::ErrorPolicy::Disconnect,
    };
    out.validate_sequence_numbers = p.validate_sequence_numbers;
    out.allow_pos_dup = p.allow_pos_dup;
    out.requires_orig_sending_time = p.requires_orig_sending_time;
    out.force_resend_when_corrupted_store = p.force_resend_when_corrupted_store;
    out.heartbeat_timeout_multiplier = p.heartbeat_timeout_multiplier;
    out.test_request_delay_multiplier = p.test_request_delay_multiplier;
    out.disable_heartbeat_check = p.disable_heartbeat_check;
    out.closed_resend_interval = p.closed_resend_interval;
    out.reject_message_on_unhandled_exception = p.reject_message_on_unhandled_exception;
    out.logon_tags = p.logon_tags.clone();
    out.redact = s.security.redact.clone();
    if role == Role::Initiator {
        out.logon_username = s.security.logon_username.clone();
        // Checked at start-up (`check_secrets`); read again for each new
        // session so a rotated password is sent from the next Logon.
        out.logon_password = s
            .security
            .logon_password_file
            .as_deref()
            .and_then(|p| match config::Password::load(p) {
                Ok(pw) => Some(session::Secret::new(pw.expose().to_vec())),
                Err(e) => {
                    tracing::error!(session = %s.id, error = %e, "LogonPasswordFile: Logon sent without Password");
                    None
                }
            });
    }
    out
}

/// The files of the security keys, read at start-up so a missing or
/// malformed one stops the engine naming file and line:
/// `LogonCredentialsFile` (acceptor) and `LogonPasswordFile` (initiator).
pub(crate) fn check_secrets(s: &config::SessionSettings) -> Result<(), RuntimeError> {
    let failed = |source| RuntimeError::Secrets {
        session: s.id.to_string(),
        source,
    };
    if let Some(p) = &s.security.logon_credentials_file {
        config::Credentials::load(p).map_err(failed)?;
    }
    if let Some(p) = &s.security.logon_password_file {
        config::Password::load(p).map_err(failed)?;
    }
    Ok(())
}

/// The frame checks of a session (`ValidateLengthAndChecksum`,
/// `ValidateChecksum`).
pub fn frame_checks(s: &config::SessionSettings) -> FrameChecks {
    let v = &s.validation;
    FrameChecks {
        body_length: v.length_and_checksum,
        checksum: v.length_and_checksum && v.checksum,
    }
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
    /// `RejectInvalidMessage=N`: failures are logged, not rejected.
    warn_only: bool,
    /// `ValidateIncomingMessage`: validate at all (the dictionaries may
    /// still serve `PreserveMessageFieldsOrder`).
    validate: bool,
    /// `PreserveMessageFieldsOrder`.
    preserve_order: bool,
}

impl ValidatorSpec {
    /// The spec of a configured session; `None` with `UseDataDictionary=N`.
    /// Built-in dictionaries stand in for paths not given.
    pub fn from_config(
        s: &config::SessionSettings,
        cache: &mut DictCache,
    ) -> Result<Option<Self>, RuntimeError> {
        let v = &s.validation;
        if !v.use_data_dictionary {
            return Ok(None);
        }
        let options = Options {
            validate_fields_have_values: v.fields_have_values,
            validate_fields_out_of_order: v.fields_out_of_order,
            validate_user_defined_fields: v.user_defined_fields,
            allow_unknown_msg_fields: v.allow_unknown_msg_fields,
            validate_unordered_group_fields: v.unordered_group_fields,
            first_field_in_group_is_delimiter: v.first_field_in_group_is_delimiter,
            ..Options::default()
        };
        let (warn_only, validate) = (!v.reject_invalid_message, v.incoming_message);
        let preserve_order = v.preserve_message_fields_order;
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
                warn_only,
                validate,
                preserve_order,
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
            warn_only,
            validate,
            preserve_order,
        }))
    }

    /// A fresh validator (whatever `ValidateIncomingMessage` says).
    pub fn build(&self) -> Result<Box<dyn Validator + Send>, RuntimeError> {
        let v = self.dict_validator()?;
        if self.warn_only {
            return Ok(Box::new(WarnOnly(v)));
        }
        Ok(Box::new(v))
    }

    /// What a fresh session takes from the dictionaries: its validator
    /// (none with `ValidateIncomingMessage=N`) and, with
    /// `PreserveMessageFieldsOrder=Y`, the field order of what it writes.
    pub fn parts(&self) -> Result<SessionParts, RuntimeError> {
        let order = self.preserve_order.then(|| {
            let d = self.dict_validator().ok();
            let app = d.and_then(|d| d.default_app_dictionary().cloned());
            Arc::new(FieldOrder::new(Arc::clone(&self.session), app))
        });
        let validator = if self.validate {
            Some(self.build()?)
        } else {
            None
        };
        Ok((validator, order))
    }

    fn dict_validator(&self) -> Result<dict::Validator, RuntimeError> {
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
        Ok(v)
    }
}

/// A session's validator and outbound field order ([`ValidatorSpec::parts`]).
pub type SessionParts = (Option<Box<dyn Validator + Send>>, Option<Arc<FieldOrder>>);

/// A session over `store` with the dictionary parts `spec` gives.
pub(crate) fn new_session<S: crate::store::MessageStore>(
    cfg: &config::SessionSettings,
    spec: Option<&ValidatorSpec>,
    store: S,
) -> Result<session::Session<S>, RuntimeError> {
    let (validator, order) = match spec {
        Some(spec) => spec.parts()?,
        None => (None, None),
    };
    let mut settings = session_settings(cfg);
    settings.field_order = order;
    Ok(session::Session::new(settings, store, validator))
}

/// `RejectInvalidMessage=N` (QuickFIX/J): a message that fails validation
/// is logged as a warning and then processed as if valid.
struct WarnOnly(dict::Validator);

impl Validator for WarnOnly {
    fn validate(&mut self, msg: &Incoming<'_>) -> Result<(), ValidationError> {
        if let Err(e) = Validator::validate(&mut self.0, msg) {
            let seq = msg.header().seq.unwrap_or(0);
            let begin = self.0.session_dictionary().version().as_bytes();
            let text = e.text_for(begin);
            tracing::warn!(seq, %text, "invalid message processed (RejectInvalidMessage=N)");
        }
        Ok(())
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
