//! Inbound validation settings (`UseDataDictionary`, the QuickFIX C++ and
//! QuickFIX/J validation switches).

use std::time::Duration;

/// Inbound message validation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValidationSettings {
    /// `UseDataDictionary` (default Y).
    pub use_data_dictionary: bool,
    /// `ValidateFieldsHaveValues` (default Y).
    pub fields_have_values: bool,
    /// `ValidateFieldsOutOfOrder` (default Y).
    pub fields_out_of_order: bool,
    /// `ValidateUserDefinedFields` (default Y).
    pub user_defined_fields: bool,
    /// `AllowUnknownMsgFields` (default N).
    pub allow_unknown_msg_fields: bool,
    /// `CheckCompID` (default Y).
    pub check_comp_id: bool,
    /// `CheckLatency` (default Y).
    pub check_latency: bool,
    /// `MaxLatency` (default 120 s).
    pub max_latency: Duration,
    /// `ValidateLengthAndChecksum` (QuickFIX C++, default Y): N accepts a
    /// message whose BodyLength or CheckSum is wrong.
    pub length_and_checksum: bool,
    /// `ValidateChecksum` (QuickFIX/J, default Y): N accepts a wrong CheckSum.
    pub checksum: bool,
    /// `ValidateIncomingMessage` (QuickFIX/J, default Y): N skips the
    /// dictionary validation of inbound messages.
    pub incoming_message: bool,
    /// `RejectInvalidMessage` (QuickFIX/J, default Y): N logs a message that
    /// fails validation and processes it.
    pub reject_invalid_message: bool,
    /// `RejectGarbledMessage` (QuickFIX/J, default N): Y answers a garbled
    /// message (bad CheckSum, fields that do not parse) with a Reject.
    pub reject_garbled_message: bool,
    /// `ValidateUnorderedGroupFields` (QuickFIX/J): Y rejects group members
    /// out of dictionary order. Default N, QuickFIX C++'s behaviour.
    pub unordered_group_fields: bool,
    /// `FirstFieldInGroupIsDelimiter` (QuickFIX/J, default N): the first
    /// field of a group delimits its instances.
    pub first_field_in_group_is_delimiter: bool,
    /// `IgnoreAbsenceOf141tag` (QuickFIX/J): N disconnects when our Logon
    /// asked for a reset and the answer lacks ResetSeqNumFlag=Y. Default Y,
    /// QuickFIX C++'s behaviour.
    pub ignore_absence_of_141_tag: bool,
    /// `PreserveMessageFieldsOrder` (QuickFIX C++, default N): messages the
    /// session composes carry their fields in dictionary order.
    pub preserve_message_fields_order: bool,
}

impl Default for ValidationSettings {
    fn default() -> Self {
        Self {
            use_data_dictionary: true,
            fields_have_values: true,
            fields_out_of_order: true,
            user_defined_fields: true,
            allow_unknown_msg_fields: false,
            check_comp_id: true,
            check_latency: true,
            max_latency: Duration::from_secs(120),
            length_and_checksum: true,
            checksum: true,
            incoming_message: true,
            reject_invalid_message: true,
            reject_garbled_message: false,
            unordered_group_fields: false,
            first_field_in_group_is_delimiter: false,
            ignore_absence_of_141_tag: true,
            preserve_message_fields_order: false,
        }
    }
}
