//! Keeping the cache under its size cap: least recently used repositories go first.
//!
//! "Used" is the modification time of a repository's lock file, touched by every fetch and
//! every [`GitCache::open_as`]. A repository is only removed while its lock is held by the
//! eviction, so a fetch in this or any other process (the lock is an OS file lock) either
//! finishes before the repository goes or starts after it went and fetches it anew; a
//! repository whose lock someone holds is skipped. The removal is a rename out of the way
//! first, so no fetch ever sees half a repository. A reader that opened the repository just
//! before (reads take no lock) may see its later reads fail and retry: the least recently
//! used repository is the one least likely to be read at that moment.

use std::fs::{self, File};
use std::io;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::cache::GitCache;
use super::error::FetchError;

/// What one eviction pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Eviction {
    /// Bytes on disk of the repositories before the pass.
    pub total_bytes: u64,
    /// Bytes on disk of the repositories the cache keeps.
    pub kept_bytes: u64,
    /// Repositories removed (their directories, least recently used first).
    pub evicted: Vec<PathBuf>,
    /// Repositories that would have gone but were in use (lock held, or the one the
    /// triggering fetch just brought up to date).
    pub skipped: usize,
}

/// One repository found in the cache directory.
struct Entry {
    name: String,
    used: SystemTime,
    bytes: u64,
}

impl GitCache {
    /// Evicts least recently used repositories until the cache fits its cap (no-op
    /// without one). Fetches call it after downloading; callers may call it too (after
    /// lowering the cap, say). Blocking I/O.
    pub fn evict(&self) -> Result<Eviction, FetchError> {
        self.evict_except(None)
    }

    /// [`evict`](Self::evict), never touching repository `keep` (the one a fetch holds).
    pub(crate) fn evict_except(&self, keep: Option<&str>) -> Result<Eviction, FetchError> {
        let Some(max) = self.max_bytes() else {
            return Ok(Eviction::default());
        };
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| FetchError::Io { path, source }
        };
        let mut entries = self.entries().map_err(io(self.dir()))?;
        entries.sort_by_key(|e| e.used);
        let total: u64 = entries.iter().map(|e| e.bytes).sum();
        let mut out = Eviction {
            total_bytes: total,
            kept_bytes: total,
            ..Eviction::default()
        };
        for e in entries {
            if out.kept_bytes <= max {
                break;
            }
            if keep == Some(e.name.as_str()) {
                out.skipped += 1;
                continue;
            }
            let lock_path = self.dir().join(format!("{}.lock", e.name));
            let lock = File::options()
                .create(true)
                .truncate(false)
                .write(true)
                .open(&lock_path)
                .map_err(io(&lock_path))?;
            match lock.try_lock() {
                Ok(()) => {}
                Err(fs::TryLockError::WouldBlock) => {
                    out.skipped += 1;
                    continue;
                }
                Err(fs::TryLockError::Error(source)) => {
                    return Err(FetchError::Io {
                        path: lock_path,
                        source,
                    });
                }
            }
            let repo = self.dir().join(format!("{}.git", e.name));
            let doomed = self
                .dir()
                .join(format!("{}.git.evicting-{}", e.name, std::process::id()));
            match fs::rename(&repo, &doomed) {
                Ok(()) => {}
                // Another process evicted it between our listing and our lock.
                Err(err) if err.kind() == io::ErrorKind::NotFound => {
                    out.kept_bytes = out.kept_bytes.saturating_sub(e.bytes);
                    continue;
                }
                Err(source) => return Err(FetchError::Io { path: repo, source }),
            }
            drop(lock);
            fs::remove_dir_all(&doomed).map_err(io(&doomed))?;
            out.kept_bytes = out.kept_bytes.saturating_sub(e.bytes);
            out.evicted.push(repo);
        }
        Ok(out)
    }

    /// Every repository with its last use and size; leftovers of an eviction that crashed
    /// mid-removal are removed on the way.
    fn entries(&self) -> io::Result<Vec<Entry>> {
        let mut out = Vec::new();
        for entry in fs::read_dir(self.dir())? {
            let entry = entry?;
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if file_name.contains(".git.evicting-") {
                fs::remove_dir_all(entry.path())?;
                continue;
            }
            let Some(name) = file_name.strip_suffix(".git") else {
                continue;
            };
            if !entry.file_type()?.is_dir() {
                continue;
            }
            let lock = self.dir().join(format!("{name}.lock"));
            let used = fs::metadata(&lock)
                .or_else(|_| entry.metadata())
                .and_then(|m| m.modified())?;
            out.push(Entry {
                name: name.to_owned(),
                used,
                bytes: dir_bytes(&entry.path())?,
            });
        }
        Ok(out)
    }
}

/// Bytes of every file below `dir` (symbolic links not followed; a bare repository has
/// none).
fn dir_bytes(dir: &Path) -> io::Result<u64> {
    let mut total = 0;
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        if kind.is_dir() {
            total += dir_bytes(&entry.path())?;
        } else if kind.is_file() {
            total += entry.metadata()?.len();
        }
    }
    Ok(total)
}
