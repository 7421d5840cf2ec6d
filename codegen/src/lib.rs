//! ringfix-codegen: QuickFIX XML data dictionaries to Rust modules of typed
//! FIX messages.
//!
//! For each dictionary, one module with:
//! - `field::*`: an enum per field with listed values (exactly that
//!   version's values, plus `Unknown(&[u8])` for bytes it does not list);
//! - per message, a marker type (`NewOrderSingle`, implementing
//!   [`ringfix_codec::typed::Build`]) and a module (`new_order_single`)
//!   with its `View` (zero copy, a typed getter per field, groups as
//!   iterators of entry views) and its `Builder` (writes straight into a
//!   [`Draft`](ringfix_codec::typed::Draft); required fields are in its type,
//!   so `send` only exists once they are set);
//! - `component::*`: per component, the traits `View` and `Build` that put
//!   its fields on every view and builder holding it (bring them into scope
//!   with `use <module>::prelude::*`), and the component's groups;
//! - `Message` and `dispatch`: every message as its view, to `match`;
//! - the groups' layouts as statics (no dictionary at run time).
//!
//! Names follow the rules of [`names`](crate::naming) (a contract).
//!
//! # From a `build.rs`
//!
//! ```no_run
//! // build.rs of a crate with `ringfix-codegen` as a build-dependency:
//! let out = std::path::PathBuf::from(std::env::var("OUT_DIR").unwrap());
//! println!("cargo:rerun-if-changed=venue.xml");
//! ringfix_codegen::Generator::new()
//!     .runtime("::ringfix::codec") // the path of ringfix_codec in the crate
//!     .dictionary_file("venue.xml", "venue")
//!     .unwrap()
//!     .write(&out)
//!     .unwrap();
//! ```
//! and in the crate: `pub mod venue { include!(concat!(env!("OUT_DIR"), "/venue.rs")); }`.
//! The command line does the same: `ringfix codegen --dict venue.xml --out src/`.
#![deny(missing_docs)]

use std::path::{Path, PathBuf};

use ringfix_codec::dict::{DictError, Dictionary};

mod emit;
mod model;
pub mod names;

/// The naming rules (an alias of [`names`] for the docs' links).
pub use names as naming;

/// Why generation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The dictionary could not be loaded.
    #[error(transparent)]
    Load(#[from] DictError),
    /// The dictionary cannot be generated from.
    #[error("{0}")]
    Dictionary(String),
    /// Two names of the dictionary give the same Rust name.
    #[error("name collision: {0}")]
    Collision(String),
    /// Writing an output file failed.
    #[error("{path}: {reason}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        reason: String,
    },
}

/// Generates modules from dictionaries.
#[derive(Debug)]
pub struct Generator {
    runtime: String,
    modules: Vec<(String, Dictionary)>,
    roundtrip: Option<String>,
}

impl Default for Generator {
    fn default() -> Self {
        Generator::new()
    }
}

impl Generator {
    /// A generator whose output refers to the codec as `::ringfix_codec`.
    pub fn new() -> Generator {
        Generator {
            runtime: "::ringfix_codec".to_string(),
            modules: Vec::new(),
            roundtrip: None,
        }
    }

    /// The path generated code uses for `ringfix_codec` (e.g. `::ringfix::codec`
    /// in a crate that depends on the `ringfix` facade only).
    pub fn runtime(mut self, path: &str) -> Generator {
        self.runtime = path.to_string();
        self
    }

    /// Adds a loaded dictionary, generated as module `module`.
    pub fn dictionary(mut self, dict: Dictionary, module: &str) -> Generator {
        self.modules.push((module.to_string(), dict));
        self
    }

    /// Loads a dictionary file, generated as module `module`.
    pub fn dictionary_file(self, path: impl AsRef<Path>, module: &str) -> Result<Generator, Error> {
        let dict = Dictionary::load(path)?;
        Ok(self.dictionary(dict, module))
    }

    /// Also generates `<module>_roundtrip`, a property test of every
    /// message (build with random values in every field and group, parse,
    /// read back through the view, validate); `prefix` is the path under
    /// which the tested modules are reachable from it (`crate`,
    /// `::ringfix_messages`).
    pub fn roundtrip(mut self, prefix: &str) -> Generator {
        self.roundtrip = Some(prefix.to_string());
        self
    }

    /// The generated sources: `(module name, module body)`.
    pub fn generate(&self) -> Result<Vec<(String, String)>, Error> {
        let mut out = Vec::new();
        for (name, dict) in &self.modules {
            let model = model::Model::new(dict)?;
            out.push((name.clone(), emit::module(&model, &self.runtime)));
            if let Some(prefix) = &self.roundtrip {
                let target = format!("{prefix}::{name}");
                out.push((
                    format!("{name}_roundtrip"),
                    emit::roundtrip(&model, &target, &self.runtime),
                ));
            }
        }
        Ok(out)
    }

    /// Writes `<dir>/<module>.rs` per dictionary; returns the files.
    pub fn write(&self, dir: impl AsRef<Path>) -> Result<Vec<PathBuf>, Error> {
        let dir = dir.as_ref();
        std::fs::create_dir_all(dir).map_err(|e| Error::Write {
            path: dir.to_path_buf(),
            reason: e.to_string(),
        })?;
        let mut files = Vec::new();
        for (name, source) in self.generate()? {
            let path = dir.join(format!("{name}.rs"));
            // Unchanged output is not rewritten (no rebuild of dependents).
            if std::fs::read_to_string(&path).ok().as_deref() != Some(source.as_str()) {
                std::fs::write(&path, source).map_err(|e| Error::Write {
                    path: path.clone(),
                    reason: e.to_string(),
                })?;
            }
            files.push(path);
        }
        Ok(files)
    }
}

/// The module body for one dictionary (`runtime`: the path of `ringfix_codec`).
pub fn generate(dict: &Dictionary, runtime: &str) -> Result<String, Error> {
    let model = model::Model::new(dict)?;
    Ok(emit::module(&model, runtime))
}

/// The module name for a dictionary file: its stem in lower case, any
/// character not a letter or digit as `_` (`FIX50SP2.xml` -> `fix50sp2`,
/// `venue-fix44.xml` -> `venue_fix44`).
pub fn module_name(path: &Path) -> String {
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    names::escape(name, &[])
}
