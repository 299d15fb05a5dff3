//! The cache directory: one bare repository per URL, created atomically, locked per URL.
//!
//! Layout under `cache_dir`: `<hash>.git` (the bare repository) and `<hash>.lock` (the
//! per-URL lock), where `<hash>` is derived from [`RepoUrl::cache_key`]. The lock is an OS
//! file lock (`flock`), so it serialises fetches across threads *and* processes, and the
//! kernel releases it when a process dies: a crash can never leave it held.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use git2::Repository;
use sha2::{Digest, Sha256};

use super::error::FetchError;
use crate::url::{RepoUrl, redact};

/// The on-disk fetch cache. Cheap to share: it holds only paths (`Send + Sync`).
#[derive(Clone, Debug)]
pub struct GitCache {
    dir: PathBuf,
    allow_local: bool,
}

/// A held per-URL lock; released on drop (and by the kernel if the process dies).
pub(crate) struct UrlLock {
    _file: File,
}

impl GitCache {
    /// Uses (and creates) `cache_dir`. Blocking I/O.
    pub fn new(cache_dir: impl Into<PathBuf>) -> Result<GitCache, FetchError> {
        let dir = cache_dir.into();
        fs::create_dir_all(&dir).map_err(|source| FetchError::Io {
            path: dir.clone(),
            source,
        })?;
        Ok(GitCache {
            dir,
            allow_local: false,
        })
    }

    /// Allows `file://` URLs and plain paths. Off by default: `spec.source.url` is written
    /// by whoever may create a ClaudeEnvironment, and a local URL would let them read any
    /// repository on the controller's disk — including this cache, holding other tenants'
    /// private repositories. Tests and single-tenant setups turn it on.
    pub fn allow_local_urls(mut self, allow: bool) -> GitCache {
        self.allow_local = allow;
        self
    }

    pub(crate) fn allows_local_urls(&self) -> bool {
        self.allow_local
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the bare repository for `url` lives (whether or not it exists yet).
    pub fn repo_dir(&self, url: &str) -> Result<PathBuf, FetchError> {
        let target = RepoUrl::parse(url)?;
        Ok(self.dir.join(format!("{}.git", key(&target))))
    }

    /// Opens the cached bare repository of `url` for reading (e.g. for
    /// `load::from_commit`). Safe while a fetch of the same URL runs: Git writes packs and
    /// refs atomically. Blocking I/O.
    pub fn open(&self, url: &str) -> Result<Repository, FetchError> {
        let path = self.repo_dir(url)?;
        if !path.exists() {
            return Err(FetchError::NotCached { url: redact(url) });
        }
        Repository::open_bare(&path).map_err(|e| FetchError::Corrupt {
            url: redact(url),
            reason: e.message().to_owned(),
        })
    }

    /// Whether the commit `sha` is in the cache of `url` (`false` for an uncached URL or a
    /// string that is not a SHA). Blocking I/O.
    pub fn commit_exists(&self, url: &str, sha: &str) -> Result<bool, FetchError> {
        let repo = match self.open(url) {
            Ok(repo) => repo,
            Err(FetchError::NotCached { .. }) => return Ok(false),
            Err(e) => return Err(e),
        };
        let Ok(oid) = git2::Oid::from_str(sha) else {
            return Ok(false);
        };
        Ok(sha.len() == 40 && repo.find_commit(oid).is_ok())
    }

    /// The commit the cached `branch` of `url` points at, without any network access: what
    /// the last successful fetch saw. Blocking I/O.
    pub fn cached_revision(&self, url: &str, branch: &str) -> Result<Option<String>, FetchError> {
        let repo = match self.open(url) {
            Ok(repo) => repo,
            Err(FetchError::NotCached { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(repo
            .refname_to_id(&format!("refs/heads/{branch}"))
            .ok()
            .map(|oid| oid.to_string()))
    }

    /// Takes the per-URL lock, waiting at most until `deadline`.
    pub(crate) fn lock(&self, target: &RepoUrl, deadline: Instant) -> Result<UrlLock, LockError> {
        let path = self.dir.join(format!("{}.lock", key(target)));
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| LockError::Io(FetchError::Io { path, source }))?;
        // `File::lock` cannot time out, so poll: fetches of one URL are seconds apart at
        // most, and a waiter must give up at its own deadline.
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(UrlLock { _file: file }),
                Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(fs::TryLockError::WouldBlock) => return Err(LockError::Timeout),
                Err(fs::TryLockError::Error(source)) => {
                    let path = self.dir.join(format!("{}.lock", key(target)));
                    return Err(LockError::Io(FetchError::Io { path, source }));
                }
            }
        }
    }

    /// Opens the bare repository of `target`, creating it if needed. Callers hold the lock.
    ///
    /// Creation happens in a temporary directory renamed into place, so the cache holds
    /// either no repository or a complete one. An existing one that does not open (disk
    /// trouble, manual tampering) is replaced: a full fetch beats a stuck source.
    pub(crate) fn ensure_repo(&self, target: &RepoUrl) -> Result<Repository, FetchError> {
        let name = format!("{}.git", key(target));
        let path = self.dir.join(&name);
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| FetchError::Io { path, source }
        };
        self.remove_leftovers(&name)?;
        if path.exists() {
            if let Ok(repo) = Repository::open_bare(&path) {
                remove_stale_git_locks(&path).map_err(io(&path))?;
                return Ok(repo);
            }
            fs::remove_dir_all(&path).map_err(io(&path))?;
        }
        let tmp = self.dir.join(format!("{name}.tmp-{}", std::process::id()));
        let corrupt = |e: git2::Error| FetchError::Corrupt {
            url: target.to_string(),
            reason: e.message().to_owned(),
        };
        let repo = Repository::init_bare(&tmp).map_err(corrupt)?;
        // For operators looking at the cache: which URL a hashed directory belongs to.
        repo.config()
            .and_then(|mut c| c.set_str("claude-env.url", &target.to_string()))
            .map_err(corrupt)?;
        drop(repo);
        fs::rename(&tmp, &path).map_err(io(&path))?;
        Repository::open_bare(&path).map_err(corrupt)
    }

    /// Temporary directories of a creation that crashed before its rename.
    fn remove_leftovers(&self, name: &str) -> Result<(), FetchError> {
        let prefix = format!("{name}.tmp-");
        let entries = fs::read_dir(&self.dir).map_err(|source| FetchError::Io {
            path: self.dir.clone(),
            source,
        })?;
        for entry in entries.flatten() {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                let path = entry.path();
                fs::remove_dir_all(&path).map_err(|source| FetchError::Io { path, source })?;
            }
        }
        Ok(())
    }
}

pub(crate) enum LockError {
    Timeout,
    Io(FetchError),
}

/// The directory name of a URL's cache: a readable tail of the path (for operators) plus a
/// hash of the cache key (for uniqueness).
fn key(target: &RepoUrl) -> String {
    let digest = Sha256::digest(target.cache_key().as_bytes());
    let tail: String = target
        .path
        .trim_end_matches('/')
        .rsplit('/')
        .next()
        .unwrap_or("")
        .trim_end_matches(".git")
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(40)
        .collect();
    format!(
        "{}-{}",
        tail.trim_start_matches('.'),
        &hex::encode(digest)[..16]
    )
}

/// Git lock files left by a process that died mid-fetch would make every later fetch fail
/// ("failed to lock file"). Only called under the per-URL lock, so no live writer owns them.
fn remove_stale_git_locks(repo: &Path) -> std::io::Result<()> {
    for name in [
        "packed-refs.lock",
        "config.lock",
        "HEAD.lock",
        "shallow.lock",
    ] {
        match fs::remove_file(repo.join(name)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
    }
    remove_lock_files_under(&repo.join("refs"))
}

fn remove_lock_files_under(dir: &Path) -> std::io::Result<()> {
    let Ok(entries) = fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            remove_lock_files_under(&path)?;
        } else if path.extension().is_some_and(|e| e == "lock") {
            fs::remove_file(&path)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_readable_and_distinct() {
        let a = key(&RepoUrl::parse("https://github.com/org/config-repo.git").unwrap());
        let b = key(&RepoUrl::parse("git@github.com:org/config-repo.git").unwrap());
        assert!(a.starts_with("config-repo-"), "{a}");
        assert_ne!(a, b);
        let weird = key(&RepoUrl::parse("file:///tmp/../..").unwrap());
        assert!(!weird.contains('/') && !weird.starts_with('.'), "{weird}");
    }

    #[test]
    fn creation_is_atomic_and_leftovers_are_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let cache = GitCache::new(dir.path()).unwrap();
        let target = RepoUrl::parse("https://example.com/x.git").unwrap();
        let name = format!("{}.git", key(&target));
        // A creation that crashed before its rename, and a ref lock from a crashed fetch.
        fs::create_dir_all(dir.path().join(format!("{name}.tmp-999"))).unwrap();
        cache.ensure_repo(&target).unwrap();
        let lock = dir.path().join(&name).join("refs/heads/main.lock");
        fs::write(&lock, "").unwrap();
        cache.ensure_repo(&target).unwrap();
        assert!(!lock.exists());
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, vec![name]);
    }

    #[test]
    fn a_broken_repository_is_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let cache = GitCache::new(dir.path()).unwrap();
        let url = "https://example.com/y.git";
        let path = cache.repo_dir(url).unwrap();
        fs::create_dir_all(&path).unwrap();
        fs::write(path.join("HEAD"), "garbage").unwrap();
        cache.ensure_repo(&RepoUrl::parse(url).unwrap()).unwrap();
        assert!(cache.open(url).is_ok());
    }

    #[test]
    fn uncached_urls() {
        let dir = tempfile::tempdir().unwrap();
        let cache = GitCache::new(dir.path()).unwrap();
        let url = "https://example.com/z.git";
        assert!(matches!(cache.open(url), Err(FetchError::NotCached { .. })));
        assert!(
            !cache
                .commit_exists(url, "0123456789012345678901234567890123456789")
                .unwrap()
        );
        assert_eq!(cache.cached_revision(url, "main").unwrap(), None);
    }
}
