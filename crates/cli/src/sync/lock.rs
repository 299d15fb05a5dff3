//! One command at a time per target.
//!
//! The lock is an OS file lock on `<target>/.claude-env.lock` (`flock` on Unix,
//! `LockFileEx` on Windows, through [`std::fs::File::try_lock`]): the operating system
//! releases it when the process exits for any reason, `kill -9` included, so a crashed
//! command never leaves a lock that has to be deleted by hand. The file itself stays; its
//! content (the holder's process id) is only for people reading it.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Seek, Write};
use std::path::Path;

use super::SyncError;
use super::fs::Fs;
use super::{journal, state};

/// Held while a command changes the target; released when dropped or when the process dies.
/// Taking it also undoes whatever an interrupted command left half-done, so every change
/// starts from a consistent target.
#[derive(Debug)]
pub struct Lock {
    // Never read: holding the open, locked file is the lock.
    _file: File,
}

impl Lock {
    /// Lock `target` (which must exist) and recover an interrupted transaction, if any.
    pub fn take(fs: &dyn Fs, target: &Path) -> Result<Self, SyncError> {
        let lock = Self::acquire(target)?;
        journal::recover(fs, target, state::JOURNAL)?;
        Ok(lock)
    }

    /// The lock alone, without recovery; `Locked` if another process holds it.
    pub fn acquire(target: &Path) -> Result<Self, SyncError> {
        let path = state::join(target, state::LOCK);
        let io_error = |source| SyncError::Lock {
            path: path.display().to_string(),
            source,
        };
        // Never truncated before it is ours: the holder's process id stays readable.
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(io_error)?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                let holder = std::fs::read_to_string(&path).unwrap_or_default();
                return Err(SyncError::Locked {
                    path: path.display().to_string(),
                    holder: holder.trim().parse().ok(),
                });
            }
            Err(TryLockError::Error(e)) => return Err(io_error(e)),
        }
        // Informational only; a failure to write it does not matter to the lock.
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| write!(file, "{}", std::process::id()));
        Ok(Lock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().expect("tempdir");
        let first = Lock::acquire(dir.path()).expect("first");
        let err = Lock::acquire(dir.path()).expect_err("held");
        match err {
            SyncError::Locked { holder, .. } => assert_eq!(holder, Some(std::process::id())),
            other => panic!("{other}"),
        }
        drop(first);
        Lock::acquire(dir.path()).expect("free again");
        assert!(
            dir.path().join(state::LOCK).exists(),
            "the file stays; only the OS lock is released"
        );
    }

    #[test]
    fn a_lock_file_left_behind_is_not_a_lock() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(state::LOCK), "4194304").expect("write");
        Lock::acquire(dir.path()).expect("a file without a holder is free");
        let pid = std::fs::read_to_string(dir.path().join(state::LOCK)).expect("read");
        assert_eq!(pid, std::process::id().to_string());
    }
}
