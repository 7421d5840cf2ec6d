//! Store errors.

use std::io;
use std::path::PathBuf;

/// Why a store operation failed. A failed `append` means the message must
/// not be sent.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A system call on a store file failed (ENOSPC: disk full, EIO, ...).
    #[error("{op} {}: {source}", path.display())]
    Io {
        /// What was being done ("fallocate", "msync", ...).
        op: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A store file holds data that cannot be trusted (not a torn tail:
    /// valid data follows, or a header is damaged).
    #[error("{}: corrupt at offset {offset}: {reason}", path.display())]
    Corrupt {
        /// The damaged file.
        path: PathBuf,
        /// Byte offset of the damage.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// Another process holds the store's lock.
    #[error("{}: store is locked by another process", path.display())]
    Locked {
        /// The lock file.
        path: PathBuf,
    },
    /// The journal reached its configured maximum size.
    #[error("{}: journal full ({limit} bytes)", path.display())]
    JournalFull {
        /// The journal file.
        path: PathBuf,
        /// The configured maximum size in bytes.
        limit: u64,
    },
    /// A message larger than a record can hold.
    #[error("message of {len} bytes is too large to store")]
    TooLarge {
        /// The message length.
        len: usize,
    },
    /// Sequence number 0 (never valid in FIX).
    #[error("invalid sequence number 0")]
    ZeroSeq,
}

impl StoreError {
    /// Builds an [`StoreError::Io`].
    pub(crate) fn io(op: &'static str, path: impl Into<PathBuf>, source: io::Error) -> Self {
        Self::Io {
            op,
            path: path.into(),
            source,
        }
    }

    /// True when the failure is lack of space: ENOSPC, EDQUOT, EFBIG (file
    /// size limit), or the journal's configured limit.
    pub fn is_disk_full(&self) -> bool {
        match self {
            Self::Io { source, .. } => matches!(
                source.raw_os_error(),
                Some(libc::ENOSPC) | Some(libc::EDQUOT) | Some(libc::EFBIG)
            ),
            Self::JournalFull { .. } => true,
            _ => false,
        }
    }
}
