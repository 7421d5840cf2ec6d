//! Field names for the expanded form, from the codec's data dictionaries.

use std::path::Path;

use super::expand::Names;

/// The names to use: `dict` if given, else the built-in dictionaries.
pub(crate) fn load(dict: Option<&Path>) -> Result<Option<Box<dyn Names>>, String> {
    match dict {
        Some(path) => Err(format!(
            "--dict {}: data dictionaries are not available in this build yet",
            path.display()
        )),
        None => Ok(None),
    }
}
