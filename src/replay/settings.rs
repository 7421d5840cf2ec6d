//! Our session from a configuration file: which `[SESSION]`, and its
//! dictionary validator.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use ringfix_codec::dict::{Dictionary, Options, Validator};
use ringfix_engine::config::{self, EngineConfig};
use ringfix_engine::session::Validator as SessionValidator;

use super::capture::Side;
use super::ReplayError;

/// Loads a configuration.
pub(crate) fn load(path: &Path) -> Result<EngineConfig, ReplayError> {
    EngineConfig::load(path).map_err(|e| ReplayError::Config(e.to_string()))
}

/// The `[SESSION]` we play: the one with our CompIDs `(ours, theirs)` when
/// given, else the first of our side's role, else the first.
pub(crate) fn pick<'a>(
    cfg: &'a EngineConfig,
    path: &Path,
    side: Side,
    comp_ids: Option<(&str, &str)>,
) -> Result<&'a config::SessionSettings, ReplayError> {
    let want = match side {
        Side::Initiator => config::Role::Initiator,
        Side::Acceptor => config::Role::Acceptor,
    };
    let by_ids = comp_ids.and_then(|(ours, theirs)| {
        cfg.sessions
            .iter()
            .find(|s| s.id.sender_comp_id == ours && s.id.target_comp_id == theirs)
    });
    by_ids
        .or_else(|| cfg.sessions.iter().find(|s| s.role == want))
        .or_else(|| cfg.sessions.first())
        .ok_or_else(|| ReplayError::Config(format!("{}: no [SESSION]", path.display())))
}

/// How inbound messages are validated: a dictionary file (FIX.4.x
/// `DataDictionary`) or the built-in dictionary of the BeginString.
#[derive(Clone, Debug, Default)]
pub struct Dictionaries {
    /// `DataDictionary`, for FIX.4.x sessions.
    pub data_dictionary: Option<PathBuf>,
    /// Validation options.
    pub options: Options,
}

impl Dictionaries {
    /// The validation a configured session asks for; `None` with `UseDataDictionary=N`.
    pub(crate) fn of(s: &config::SessionSettings) -> Option<Dictionaries> {
        let v = &s.validation;
        v.use_data_dictionary.then(|| Dictionaries {
            data_dictionary: s.dictionaries.data_dictionary.clone(),
            options: Options {
                validate_fields_have_values: v.fields_have_values,
                validate_fields_out_of_order: v.fields_out_of_order,
                validate_user_defined_fields: v.user_defined_fields,
                allow_unknown_msg_fields: v.allow_unknown_msg_fields,
                validate_unordered_group_fields: v.unordered_group_fields,
                first_field_in_group_is_delimiter: v.first_field_in_group_is_delimiter,
                ..Options::default()
            },
        })
    }

    /// A validator for a session of `begin_string` (FIXT: `default_appl_ver_id`).
    pub(crate) fn validator(
        &self,
        begin_string: &str,
        default_appl_ver_id: Option<&str>,
    ) -> Result<Box<dyn SessionValidator + Send>, ReplayError> {
        let err = |e: ringfix_codec::dict::DictError| ReplayError::Dictionary(e.to_string());
        let fixt = begin_string.starts_with("FIXT");
        let v = match (&self.data_dictionary, fixt) {
            (Some(p), false) => {
                Validator::new(Arc::new(Dictionary::load(p).map_err(err)?), self.options)
            }
            _ => Validator::builtin(
                begin_string.as_bytes(),
                default_appl_ver_id.map(str::as_bytes),
                self.options,
            )
            .map_err(err)?,
        };
        Ok(Box::new(v))
    }
}
