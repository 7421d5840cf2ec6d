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
    /// The journal could not be given the space it needs (no space left,
    /// quota, or the process's file size limit): says how much.
    #[error(
        "{}: cannot allocate {needed} more bytes ({}) for the journal, which grows by \
         StoreSegmentSize: {source}; make that much room (free space on its volume, or a \
         larger file size limit) or lower StoreSegmentSize",
        path.display(),
        human(*needed)
    )]
    NoSpace {
        /// The journal file.
        path: PathBuf,
        /// Bytes the journal asked for.
        needed: u64,
        /// The OS error (ENOSPC, EDQUOT or EFBIG).
        #[source]
        source: io::Error,
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

    /// An error from allocating `needed` bytes of `path`: [`Self::NoSpace`]
    /// when the OS says there is no room, else [`Self::Io`].
    pub(crate) fn allocating(path: &std::path::Path, needed: u64, source: io::Error) -> Self {
        if matches!(
            source.raw_os_error(),
            Some(libc::ENOSPC) | Some(libc::EDQUOT) | Some(libc::EFBIG)
        ) {
            Self::NoSpace {
                path: path.to_owned(),
                needed,
                source,
            }
        } else {
            Self::io("fallocate", path, source)
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
            Self::JournalFull { .. } | Self::NoSpace { .. } => true,
            _ => false,
        }
    }
}

/// `n` bytes in KiB, MiB or GiB, one decimal.
fn human(n: u64) -> String {
    let units = [("GiB", 30), ("MiB", 20), ("KiB", 10)];
    for (name, shift) in units {
        if n >= 1 << shift {
            return format!("{:.1} {name}", n as f64 / (1u64 << shift) as f64);
        }
    }
    format!("{n} bytes")
}
