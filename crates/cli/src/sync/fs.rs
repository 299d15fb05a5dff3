//! The file-system operations the sync engine needs, behind a trait so tests can make any
//! one of them fail and check that the target is left exactly as it was.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::Path;

/// What is at a path, without following symlinks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Symlink,
    Other,
}

pub trait Fs {
    /// `None` when nothing is at `path`.
    fn kind(&self, path: &Path) -> io::Result<Option<Kind>>;
    /// The file's bytes, or `None` when it does not exist.
    fn read(&self, path: &Path) -> io::Result<Option<Vec<u8>>>;
    /// Create or truncate `path`, write `bytes`, fsync. Permissions are copied from
    /// `permissions_of` when it exists, so replacing a file keeps its mode.
    fn write_synced(
        &self,
        path: &Path,
        bytes: &[u8],
        permissions_of: Option<&Path>,
    ) -> io::Result<()>;
    /// Atomic on one file system: readers see the old or the new file, never a mix.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    fn create_dir(&self, path: &Path) -> io::Result<()>;
    /// Removes an empty directory.
    fn remove_dir(&self, path: &Path) -> io::Result<()>;
    /// fsync a directory, so the renames in it survive a crash.
    fn sync_dir(&self, path: &Path) -> io::Result<()>;
}

/// The real file system.
#[derive(Clone, Copy, Debug, Default)]
pub struct RealFs;

impl Fs for RealFs {
    fn kind(&self, path: &Path) -> io::Result<Option<Kind>> {
        match fs::symlink_metadata(path) {
            Ok(m) => Ok(Some(if m.is_symlink() {
                Kind::Symlink
            } else if m.is_dir() {
                Kind::Dir
            } else if m.is_file() {
                Kind::File
            } else {
                Kind::Other
            })),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn read(&self, path: &Path) -> io::Result<Option<Vec<u8>>> {
        match fs::read(path) {
            Ok(b) => Ok(Some(b)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    fn write_synced(
        &self,
        path: &Path,
        bytes: &[u8],
        permissions_of: Option<&Path>,
    ) -> io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .open(path)?;
        f.write_all(bytes)?;
        if let Some(m) = permissions_of.and_then(|p| fs::metadata(p).ok()) {
            f.set_permissions(m.permissions())?;
        }
        f.sync_all()
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        fs::rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        fs::remove_file(path)
    }

    fn create_dir(&self, path: &Path) -> io::Result<()> {
        fs::create_dir(path)
    }

    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        fs::remove_dir(path)
    }

    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        // Directories can be opened and fsynced on Unix; elsewhere renames are as durable
        // as the platform makes them.
        if cfg!(unix) {
            File::open(path)?.sync_all()
        } else {
            Ok(())
        }
    }
}

/// An operation [`FaultyFs`] can make fail.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op {
    Write,
    Rename,
    RemoveFile,
    CreateDir,
    SyncDir,
}

/// The real file system with one injected failure: the `at`-th call (0-based) of `op`
/// fails. Every call is counted, so a test can first run cleanly to learn how many calls of
/// an operation a change takes, then fail each one in turn.
#[derive(Debug, Default)]
pub struct FaultyFs {
    pub fail: Option<(Op, usize)>,
    calls: std::sync::Mutex<std::collections::HashMap<Op, usize>>,
}

impl FaultyFs {
    pub fn failing(op: Op, at: usize) -> Self {
        Self {
            fail: Some((op, at)),
            ..Self::default()
        }
    }

    /// How many times `op` was called.
    pub fn calls(&self, op: Op) -> usize {
        self.calls
            .lock()
            .map(|c| c.get(&op).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    fn check(&self, op: Op) -> io::Result<()> {
        let n = match self.calls.lock() {
            Ok(mut calls) => {
                let n = calls.entry(op).or_insert(0);
                *n += 1;
                *n - 1
            }
            Err(_) => return Err(io::Error::other("poisoned")),
        };
        if self.fail == Some((op, n)) {
            return Err(io::Error::other(format!("injected failure of {op:?} #{n}")));
        }
        Ok(())
    }
}

impl Fs for FaultyFs {
    fn kind(&self, path: &Path) -> io::Result<Option<Kind>> {
        RealFs.kind(path)
    }
    fn read(&self, path: &Path) -> io::Result<Option<Vec<u8>>> {
        RealFs.read(path)
    }
    fn write_synced(&self, path: &Path, bytes: &[u8], like: Option<&Path>) -> io::Result<()> {
        // A failing write leaves a partial file behind, as a full disk would.
        if let Err(e) = self.check(Op::Write) {
            fs::write(path, &bytes[..bytes.len() / 2])?;
            return Err(e);
        }
        RealFs.write_synced(path, bytes, like)
    }
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.check(Op::Rename)?;
        RealFs.rename(from, to)
    }
    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.check(Op::RemoveFile)?;
        RealFs.remove_file(path)
    }
    fn create_dir(&self, path: &Path) -> io::Result<()> {
        self.check(Op::CreateDir)?;
        RealFs.create_dir(path)
    }
    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        RealFs.remove_dir(path)
    }
    fn sync_dir(&self, path: &Path) -> io::Result<()> {
        self.check(Op::SyncDir)?;
        RealFs.sync_dir(path)
    }
}
