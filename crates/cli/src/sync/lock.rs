//! One command at a time per target.

use std::path::{Path, PathBuf};

use super::SyncError;
use super::fs::Fs;
use super::{journal, state};

/// `<target>/.claude-env.lock` holding our process id, removed when dropped. Taking it
/// also undoes whatever an interrupted command left half-done, so every change starts from
/// a consistent target.
pub struct Lock(PathBuf);

impl Lock {
    pub fn take(fs: &dyn Fs, target: &Path) -> Result<Self, SyncError> {
        let path = state::join(target, state::LOCK);
        let lock = match Self::create(&path) {
            Err(SyncError::Locked { .. }) if Self::is_stale(&path) => {
                // Its process is gone (killed mid-sync): the journal tells what to undo.
                let _ = std::fs::remove_file(&path);
                Self::create(&path)?
            }
            other => other?,
        };
        journal::recover(fs, target, state::JOURNAL)?;
        Ok(lock)
    }

    fn create(path: &Path) -> Result<Self, SyncError> {
        use std::io::Write;
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
        {
            Ok(mut f) => {
                let _ = write!(f, "{}", std::process::id());
                Ok(Lock(path.to_path_buf()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(SyncError::Locked {
                path: path.display().to_string(),
            }),
            Err(source) => Err(SyncError::Lock {
                path: path.display().to_string(),
                source,
            }),
        }
    }

    /// The lock names a process that no longer runs (known only where /proc exists; elsewhere
    /// a stale lock is deleted by hand, as the error says).
    fn is_stale(path: &Path) -> bool {
        let Some(pid) = std::fs::read_to_string(path)
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
        else {
            return false;
        };
        Path::new("/proc/self").exists() && !Path::new(&format!("/proc/{pid}")).exists()
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}
