//! The validation switches of QuickFIX C++ and QuickFIX/J
//! (`ValidateLengthAndChecksum`, `RejectGarbledMessage`, ...).

use super::super::error::{ConfigError, ErrorKind};
use super::super::settings::ValidationSettings;
use super::super::value;
use super::Reader;

/// The switches, each a Y/N key; then their one forbidden combination.
pub(super) fn switches(r: &Reader<'_>, v: &mut ValidationSettings) -> Result<(), ConfigError> {
    for (key, slot) in [
        ("ValidateLengthAndChecksum", &mut v.length_and_checksum),
        ("ValidateChecksum", &mut v.checksum),
        ("ValidateIncomingMessage", &mut v.incoming_message),
        ("RejectInvalidMessage", &mut v.reject_invalid_message),
        ("RejectGarbledMessage", &mut v.reject_garbled_message),
        (
            "ValidateUnorderedGroupFields",
            &mut v.unordered_group_fields,
        ),
        (
            "FirstFieldInGroupIsDelimiter",
            &mut v.first_field_in_group_is_delimiter,
        ),
        ("IgnoreAbsenceOf141tag", &mut v.ignore_absence_of_141_tag),
        (
            "PreserveMessageFieldsOrder",
            &mut v.preserve_message_fields_order,
        ),
    ] {
        r.set(key, slot, value::boolean)?;
    }
    garbled_needs_checksum(r, v)
}

/// QuickFIX/J refuses to reject garbled messages while accepting wrong
/// CheckSums; so does ringfix (also for `ValidateLengthAndChecksum=N`).
fn garbled_needs_checksum(r: &Reader<'_>, v: &ValidationSettings) -> Result<(), ConfigError> {
    if !v.reject_garbled_message || (v.checksum && v.length_and_checksum) {
        return Ok(());
    }
    let off = if v.checksum {
        "ValidateLengthAndChecksum=N"
    } else {
        "ValidateChecksum=N"
    };
    let line = r
        .section
        .get("RejectGarbledMessage")
        .map_or(r.section.line, |e| e.line);
    Err(ConfigError {
        location: r.location(line),
        key: Some("RejectGarbledMessage".into()),
        kind: ErrorKind::BadValue {
            expected: "N while CheckSums are not validated (a garbled message cannot be told from one with a wrong CheckSum)",
            got: format!("Y with {off}"),
        },
    })
}
