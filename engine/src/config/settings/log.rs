//! The message and event logs' settings (`FileLog*`, `ScreenLog*`).

use std::path::PathBuf;

/// What the message and event logs write (`FileLogPath` itself is in
/// [`StoreSettings`](super::StoreSettings)).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LogSettings {
    /// `FileLogBackupPath`: where the logs of earlier runs and periods are
    /// moved (`<prefix>.messages.backup.<n>.log`); no rotation if `None`.
    pub file_log_backup_path: Option<PathBuf>,
    /// `FileLogHeartbeats` (default Y): heartbeats in the message log.
    pub file_heartbeats: bool,
    /// `FileIncludeMilliseconds` (default Y, as QuickFIX C++'s log lines;
    /// QuickFIX/J's default is N): milliseconds in the file log's stamps.
    pub file_millis: bool,
    /// `FileIncludeTimeStampForMessages` (default Y, as QuickFIX C++;
    /// QuickFIX/J's default is N): a stamp before each message line.
    pub file_message_timestamps: bool,
    /// The screen log (standard output): on when any `ScreenLog*` or
    /// `ScreenIncludeMilliseconds` key is set.
    pub screen: Option<ScreenLogSettings>,
}

impl Default for LogSettings {
    fn default() -> Self {
        Self {
            file_log_backup_path: None,
            file_heartbeats: true,
            file_millis: true,
            file_message_timestamps: true,
            screen: None,
        }
    }
}

/// The screen log's filters and stamps (QuickFIX's ScreenLog).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScreenLogSettings {
    /// `ScreenLogShowIncoming` (default Y).
    pub incoming: bool,
    /// `ScreenLogShowOutgoing` (default Y).
    pub outgoing: bool,
    /// `ScreenLogShowEvents` (default Y).
    pub events: bool,
    /// `ScreenLogShowHeartBeats` (default Y, as QuickFIX C++ and
    /// QuickFIX/J's ScreenLogFactory do; QuickFIX/J's table says N).
    pub heartbeats: bool,
    /// `ScreenIncludeMilliseconds` (default N, as QuickFIX/J).
    pub millis: bool,
}

impl Default for ScreenLogSettings {
    fn default() -> Self {
        Self {
            incoming: true,
            outgoing: true,
            events: true,
            heartbeats: true,
            millis: false,
        }
    }
}
