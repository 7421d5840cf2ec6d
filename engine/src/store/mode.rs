//! Permissions of the files the engine creates (`FilePermissions`): the
//! store's journal, sequence numbers and lock, the message and event logs,
//! the statistics page. One place, so every writer creates alike.
//!
//! A file the engine creates gets exactly the mode (whatever the umask),
//! a directory it creates the same mode with execute wherever read is set
//! (`0600` -> `0700`, `0640` -> `0750`). An existing file is never
//! changed: one readable or writable beyond the mode is reported with a
//! warning naming it.

use std::fs::{File, OpenOptions, Permissions};
use std::io;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// A `FilePermissions` mode: owner read and write, nothing above `0777`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FileMode(u32);

impl Default for FileMode {
    fn default() -> Self {
        Self::PRIVATE
    }
}

impl FileMode {
    /// `0600`: the owner only (the default, and always the stats page's).
    pub const PRIVATE: Self = Self(0o600);

    /// `mode` if it keeps owner read and write and has no bit above
    /// `0777` (the engine must be able to reopen what it writes).
    pub fn new(mode: u32) -> Option<Self> {
        (mode <= 0o777 && mode & 0o600 == 0o600).then_some(Self(mode))
    }

    /// The mode of files.
    pub fn file(self) -> u32 {
        self.0
    }

    /// The mode of directories: execute added wherever read is set.
    pub fn dir(self) -> u32 {
        self.0 | (self.0 & 0o444) >> 2
    }

    /// Options that create files with this mode (the umask still applies
    /// until [`open`](Self::open) sets it exactly).
    pub fn options(self) -> OpenOptions {
        let mut o = OpenOptions::new();
        o.mode(self.0);
        o
    }

    /// Opens `path` with `options` (from [`options`](Self::options), with
    /// `create`). A file this call creates gets exactly the mode; an
    /// existing one is opened as it is (truncated if `options` say so)
    /// and [checked](Self::check).
    pub fn open(self, options: &OpenOptions, path: &Path) -> io::Result<File> {
        let mut new = options.clone();
        new.create_new(true);
        match new.open(path) {
            Ok(file) => {
                file.set_permissions(Permissions::from_mode(self.0))?;
                Ok(file)
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                let file = options.open(path)?;
                self.check(path);
                Ok(file)
            }
            Err(e) => Err(e),
        }
    }

    /// Creates a fresh file at `path` (a stale one is removed first), with
    /// exactly the mode: for temporary files renamed into place.
    pub fn create_fresh(self, path: &Path) -> io::Result<File> {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let mut o = self.options();
        o.read(true).write(true);
        self.open(&o, path)
    }

    /// Warns (naming it) when the file at `path` is readable or writable
    /// by more than the mode allows. Leaves it as it is: it was made so on
    /// purpose or by someone else, and changing it could lock a reader out.
    pub fn check(self, path: &Path) {
        if let Ok(meta) = std::fs::metadata(path) {
            let mode = meta.permissions().mode() & 0o777;
            if mode & !self.0 & 0o777 != 0 {
                tracing::warn!(
                    path = %path.display(),
                    mode = %format!("{mode:04o}"),
                    allowed = %format!("{:04o}", self.0),
                    "file has wider permissions than FilePermissions; left as it is"
                );
            }
        }
    }

    /// Creates `dir` and its missing parents with the directory mode
    /// (exactly); existing directories are left as they are.
    pub fn create_dir_all(self, dir: &Path) -> io::Result<()> {
        if dir.as_os_str().is_empty() || dir.is_dir() {
            return Ok(());
        }
        if let Some(parent) = dir.parent() {
            self.create_dir_all(parent)?;
        }
        match std::fs::DirBuilder::new().mode(self.dir()).create(dir) {
            Ok(()) => std::fs::set_permissions(dir, Permissions::from_mode(self.dir())),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists && dir.is_dir() => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode_of(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o7777
    }

    #[test]
    fn modes_and_directory_modes() {
        assert_eq!(FileMode::new(0o640).map(FileMode::dir), Some(0o750));
        assert_eq!(FileMode::new(0o600).map(FileMode::dir), Some(0o700));
        assert_eq!(FileMode::new(0o644).map(FileMode::dir), Some(0o755));
        assert_eq!(FileMode::new(0o660).map(FileMode::dir), Some(0o770));
        assert_eq!(FileMode::new(0o602).map(FileMode::dir), Some(0o702));
        for bad in [0o400, 0o200, 0o1600, 0o4600, 0o000] {
            assert_eq!(FileMode::new(bad), None, "{bad:o}");
        }
        assert_eq!(FileMode::default(), FileMode::PRIVATE);
    }

    #[test]
    fn creates_exactly_and_leaves_existing_files_alone() {
        let dir = tempfile::tempdir().unwrap();
        let m = FileMode::new(0o640).unwrap();
        let sub = dir.path().join("a/b");
        m.create_dir_all(&sub).unwrap();
        assert_eq!(mode_of(&dir.path().join("a")), 0o750);
        assert_eq!(mode_of(&sub), 0o750);
        let f = sub.join("f");
        let mut o = m.options();
        o.create(true).append(true);
        drop(m.open(&o, &f).unwrap());
        assert_eq!(mode_of(&f), 0o640);
        std::fs::set_permissions(&f, Permissions::from_mode(0o666)).unwrap();
        drop(m.open(&o, &f).unwrap());
        assert_eq!(mode_of(&f), 0o666, "an existing file is not changed");
        drop(m.create_fresh(&f).unwrap());
        assert_eq!(mode_of(&f), 0o640, "a fresh file replaces a stale one");
        // An existing directory keeps its mode.
        std::fs::set_permissions(&sub, Permissions::from_mode(0o755)).unwrap();
        m.create_dir_all(&sub).unwrap();
        assert_eq!(mode_of(&sub), 0o755);
    }
}
