//! The QuickFIX `.cfg` syntax: `[DEFAULT]` / `[SESSION]` sections of
//! `Key=Value` lines, `#` (or `;`) comment lines.

use super::error::{ConfigError, ConfigWarning, ErrorKind, Location};
use super::keys::{classify, KeyStatus, KnownKey};

/// One `Key=Value` line ringfix reads.
#[derive(Clone, Debug)]
pub(crate) struct Entry {
    /// The recognised key.
    pub key: KnownKey,
    /// The key as spelled in the file (for messages).
    pub spelled: String,
    /// The value, whitespace trimmed.
    pub value: String,
    /// 1-based line number.
    pub line: usize,
    /// Whether the entry comes from `[DEFAULT]` rather than the session.
    pub from_default: bool,
}

impl Entry {
    fn same_key(&self, other: &KnownKey) -> bool {
        self.key.canonical == other.canonical && self.key.suffix == other.suffix
    }
}

/// The implemented entries of one section; a later value for the same key
/// replaces the earlier one.
#[derive(Clone, Debug, Default)]
pub(crate) struct Section {
    /// Line of the section header.
    pub line: usize,
    /// Entries in file order, one per key.
    pub entries: Vec<Entry>,
}

impl Section {
    /// Sets `entry`, replacing an entry for the same key. Returns whether
    /// one was replaced.
    pub fn set(&mut self, entry: Entry) -> bool {
        match self.entries.iter_mut().find(|e| e.same_key(&entry.key)) {
            Some(slot) => {
                *slot = entry;
                true
            }
            None => {
                self.entries.push(entry);
                false
            }
        }
    }

    /// The entry for `canonical` with no suffix.
    pub fn get(&self, canonical: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.key.canonical == canonical && e.key.suffix.is_empty())
    }

    /// The entry for `canonical` with this suffix.
    pub fn get_suffixed(&self, canonical: &str, suffix: &str) -> Option<&Entry> {
        self.entries
            .iter()
            .find(|e| e.key.canonical == canonical && e.key.suffix == suffix)
    }
}

/// A file split into sections, before typing.
#[derive(Clone, Debug, Default)]
pub(crate) struct RawConfig {
    /// All `[DEFAULT]` sections merged.
    pub defaults: Section,
    /// `[SESSION]` sections in file order, each with the defaults merged
    /// underneath it.
    pub sessions: Vec<Section>,
}

enum Current {
    None,
    Default,
    Session(usize),
    Ignored,
}

/// Splits `text` into sections. Unknown keys are errors; documented keys
/// ringfix does not read become warnings and are dropped; keys without
/// effect are kept (their values are checked) with a note.
pub(crate) fn parse(
    text: &str,
    file: &str,
    warnings: &mut Vec<ConfigWarning>,
) -> Result<RawConfig, ConfigError> {
    let mut raw = RawConfig::default();
    let mut own: Vec<Section> = Vec::new();
    let mut current = Current::None;
    // Editors on Windows like to start files with a byte order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (index, line_text) in text.lines().enumerate() {
        let line = index + 1;
        let location = || Location {
            file: file.to_owned(),
            line,
        };
        let trimmed = line_text.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        if let Some(inner) = trimmed.strip_prefix('[').and_then(|s| s.strip_suffix(']')) {
            let name = inner.trim();
            current = if name.eq_ignore_ascii_case("DEFAULT") {
                Current::Default
            } else if name.eq_ignore_ascii_case("SESSION") {
                own.push(Section {
                    line,
                    entries: Vec::new(),
                });
                Current::Session(own.len() - 1)
            } else {
                warnings.push(ConfigWarning::IgnoredSection {
                    location: location(),
                    name: name.to_owned(),
                });
                Current::Ignored
            };
            continue;
        }
        let error = |key: Option<&str>, kind| ConfigError {
            location: location(),
            key: key.map(str::to_owned),
            kind,
        };
        let Some((key, value)) = trimmed.split_once('=') else {
            return Err(error(None, ErrorKind::Syntax(trimmed.to_owned())));
        };
        let (key, value) = (key.trim(), value.trim());
        if key.is_empty() {
            return Err(error(None, ErrorKind::Syntax(trimmed.to_owned())));
        }
        let section = match current {
            Current::None => return Err(error(Some(key), ErrorKind::OutsideSection)),
            Current::Ignored => continue,
            Current::Default => &mut raw.defaults,
            Current::Session(i) => match own.get_mut(i) {
                Some(s) => s,
                None => continue,
            },
        };
        if super::security::PASSWORD_KEYS
            .iter()
            .any(|k| k.eq_ignore_ascii_case(key))
        {
            return Err(error(
                Some(key),
                ErrorKind::PasswordInConfig(super::security::PASSWORD_IN_CONFIG),
            ));
        }
        let Some(known) = classify(key) else {
            return Err(error(Some(key), ErrorKind::UnknownKey));
        };
        match known.status {
            KeyStatus::Implemented => {}
            KeyStatus::NoEffect(why) => warnings.push(ConfigWarning::NoEffect {
                location: location(),
                key: key.to_owned(),
                why,
            }),
            KeyStatus::Foreign(instead) => {
                warnings.push(ConfigWarning::Foreign {
                    location: location(),
                    key: key.to_owned(),
                    instead,
                });
                continue;
            }
            KeyStatus::Pending => {
                warnings.push(ConfigWarning::Unimplemented {
                    location: location(),
                    key: key.to_owned(),
                });
                continue;
            }
        }
        let entry = Entry {
            key: known,
            spelled: key.to_owned(),
            value: value.to_owned(),
            line,
            from_default: false,
        };
        if section.set(entry) {
            warnings.push(ConfigWarning::Duplicate {
                location: location(),
                key: key.to_owned(),
            });
        }
    }
    for session in own {
        let mut merged = Section {
            line: session.line,
            entries: raw.defaults.entries.clone(),
        };
        for entry in &mut merged.entries {
            entry.from_default = true;
        }
        for entry in session.entries {
            merged.set(entry);
        }
        raw.sessions.push(merged);
    }
    Ok(raw)
}
