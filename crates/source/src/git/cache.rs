//! The cache directory: one bare repository per (URL, credential identity), created
//! atomically, locked per repository, evicted least recently used first over a size cap.
//!
//! Layout under `cache_dir`: `<key>.git` (the bare repository) and `<key>.lock` (its lock;
//! its modification time is when the repository was last used), where `<key>` is derived
//! from [`RepoUrl::cache_key`] and the identity. The lock is an OS file lock (`flock`), so it
//! serialises fetches and evictions across threads *and* processes, and the kernel releases
//! it when a process dies: a crash can never leave it held. Lock files are never deleted
//! (deleting a lock file someone may be about to lock breaks the lock).
//!
//! **Identities.** A revision fetched with one tenant's credentials must never be served to
//! an environment that did not prove access itself. So the cache keeps a separate bare
//! repository per identity: an opaque string the caller picks for "who fetched" —
//! [`ANONYMOUS`] for fetches without credentials, and for example `<namespace>/<secret>` for
//! the controller. A commit is only found through the identity that fetched it.

use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use git2::Repository;
use sha2::{Digest, Sha256};

use super::error::FetchError;
use super::timeouts;
use crate::url::{RepoUrl, redact};

/// The identity of fetches without credentials, shared by every environment of a public
/// repository.
pub const ANONYMOUS: &str = "anonymous";

/// The on-disk fetch cache. Cheap to share: it holds only paths and settings
/// (`Send + Sync`).
#[derive(Clone, Debug)]
pub struct GitCache {
    dir: PathBuf,
    allow_local: bool,
    max_bytes: Option<u64>,
}

/// A held per-repository lock; released on drop (and by the kernel if the process dies).
pub(crate) struct RepoLock {
    _file: File,
}

impl GitCache {
    /// Uses (and creates) `cache_dir`. Blocking I/O.
    ///
    /// Sets libgit2's process-wide socket timeouts to [`timeouts::DEFAULT`] unless
    /// [`with_socket_timeout`](Self::with_socket_timeout) already set them.
    pub fn new(cache_dir: impl Into<PathBuf>) -> Result<GitCache, FetchError> {
        let dir = cache_dir.into();
        fs::create_dir_all(&dir).map_err(|source| FetchError::Io {
            path: dir.clone(),
            source,
        })?;
        timeouts::apply_default();
        Ok(GitCache {
            dir,
            allow_local: false,
            max_bytes: None,
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

    /// How long a connect, or a read or write on a Git connection, may stall before the
    /// fetch fails (an operator setting: `--git-socket-timeout`). libgit2 keeps it
    /// process-wide, so it is applied here, once, for every cache of the process (the last
    /// call wins); each fetch's own `timeout` is enforced per fetch on top of it.
    pub fn with_socket_timeout(self, timeout: Duration) -> GitCache {
        timeouts::apply(timeout);
        self
    }

    /// The process-wide socket timeout in force.
    pub fn socket_timeout(&self) -> Duration {
        timeouts::current().unwrap_or(timeouts::DEFAULT)
    }

    /// Caps the cache's size on disk (`--cache-max-bytes`; `None`: no cap, the default).
    /// After a fetch that downloaded something, least recently used repositories are
    /// evicted until the cache fits; see [`evict`](Self::evict).
    pub fn with_max_bytes(mut self, max_bytes: Option<u64>) -> GitCache {
        self.max_bytes = max_bytes;
        self
    }

    /// The size cap, if any.
    pub fn max_bytes(&self) -> Option<u64> {
        self.max_bytes
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the bare repository of `url` fetched as `identity` lives (whether or not it
    /// exists yet).
    pub fn repo_dir_as(&self, url: &str, identity: &str) -> Result<PathBuf, FetchError> {
        let target = RepoUrl::parse(url)?;
        Ok(self.dir.join(format!("{}.git", key(&target, identity))))
    }

    /// [`repo_dir_as`](Self::repo_dir_as) for [`ANONYMOUS`].
    pub fn repo_dir(&self, url: &str) -> Result<PathBuf, FetchError> {
        self.repo_dir_as(url, ANONYMOUS)
    }

    /// Opens the bare repository of `url` fetched as `identity`, for reading (e.g. for
    /// `load::from_commit`), and marks it used. Safe while a fetch of it runs: Git writes
    /// packs and refs atomically. Blocking I/O.
    pub fn open_as(&self, url: &str, identity: &str) -> Result<Repository, FetchError> {
        let target = RepoUrl::parse(url)?;
        let name = key(&target, identity);
        let path = self.dir.join(format!("{name}.git"));
        if !path.exists() {
            return Err(FetchError::NotCached { url: redact(url) });
        }
        let repo = Repository::open_bare(&path).map_err(|e| FetchError::Corrupt {
            url: redact(url),
            reason: e.message().to_owned(),
        })?;
        // Best effort: a cache on a read-only disk still serves reads.
        let _ = self.lock_file(&name).map(|f| touch(&f));
        Ok(repo)
    }

    /// [`open_as`](Self::open_as) for [`ANONYMOUS`]: only what anonymous fetches brought in.
    pub fn open(&self, url: &str) -> Result<Repository, FetchError> {
        self.open_as(url, ANONYMOUS)
    }

    /// Whether the commit `sha` is in the cache of `url` fetched as `identity` (`false` for
    /// an uncached URL or a string that is not a SHA). Blocking I/O.
    pub fn commit_exists_as(
        &self,
        url: &str,
        identity: &str,
        sha: &str,
    ) -> Result<bool, FetchError> {
        let repo = match self.open_as(url, identity) {
            Ok(repo) => repo,
            Err(FetchError::NotCached { .. }) => return Ok(false),
            Err(e) => return Err(e),
        };
        let Ok(oid) = git2::Oid::from_str(sha) else {
            return Ok(false);
        };
        Ok(sha.len() == 40 && repo.find_commit(oid).is_ok())
    }

    /// [`commit_exists_as`](Self::commit_exists_as) for [`ANONYMOUS`].
    pub fn commit_exists(&self, url: &str, sha: &str) -> Result<bool, FetchError> {
        self.commit_exists_as(url, ANONYMOUS, sha)
    }

    /// The commit the cached `branch` of `url` fetched as `identity` points at, without any
    /// network access: what the last successful fetch saw. Blocking I/O.
    pub fn cached_revision_as(
        &self,
        url: &str,
        identity: &str,
        branch: &str,
    ) -> Result<Option<String>, FetchError> {
        let repo = match self.open_as(url, identity) {
            Ok(repo) => repo,
            Err(FetchError::NotCached { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(repo
            .refname_to_id(&format!("refs/heads/{branch}"))
            .ok()
            .map(|oid| oid.to_string()))
    }

    /// [`cached_revision_as`](Self::cached_revision_as) for [`ANONYMOUS`].
    pub fn cached_revision(&self, url: &str, branch: &str) -> Result<Option<String>, FetchError> {
        self.cached_revision_as(url, ANONYMOUS, branch)
    }

    fn lock_file(&self, name: &str) -> Result<File, FetchError> {
        let path = self.dir.join(format!("{name}.lock"));
        File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|source| FetchError::Io { path, source })
    }

    /// Takes the lock of repository `name`, waiting at most until `deadline`, and marks the
    /// repository used.
    pub(crate) fn lock(&self, name: &str, deadline: Instant) -> Result<RepoLock, LockError> {
        let file = self.lock_file(name).map_err(LockError::Io)?;
        // `File::lock` cannot time out, so poll: fetches of one repository are seconds apart
        // at most, and a waiter must give up at its own deadline.
        loop {
            match file.try_lock() {
                Ok(()) => {
                    let _ = touch(&file);
                    return Ok(RepoLock { _file: file });
                }
                Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(fs::TryLockError::WouldBlock) => return Err(LockError::Timeout),
                Err(fs::TryLockError::Error(source)) => {
                    let path = self.dir.join(format!("{name}.lock"));
                    return Err(LockError::Io(FetchError::Io { path, source }));
                }
            }
        }
    }

    /// Opens the bare repository `name` of `target`, creating it if needed. Callers hold
    /// its lock.
    ///
    /// Creation happens in a temporary directory renamed into place, so the cache holds
    /// either no repository or a complete one. An existing one that does not open (disk
    /// trouble, manual tampering) is replaced: a full fetch beats a stuck source.
    pub(crate) fn ensure_repo(
        &self,
        target: &RepoUrl,
        identity: &str,
        name: &str,
    ) -> Result<Repository, FetchError> {
        let dir_name = format!("{name}.git");
        let path = self.dir.join(&dir_name);
        let io = |path: &Path| {
            let path = path.to_owned();
            move |source| FetchError::Io { path, source }
        };
        self.remove_leftovers(&dir_name)?;
        if path.exists() {
            if let Ok(repo) = Repository::open_bare(&path) {
                remove_stale_git_locks(&path).map_err(io(&path))?;
                return Ok(repo);
            }
            fs::remove_dir_all(&path).map_err(io(&path))?;
        }
        let tmp = self
            .dir
            .join(format!("{dir_name}.tmp-{}", std::process::id()));
        let corrupt = |e: git2::Error| FetchError::Corrupt {
            url: target.to_string(),
            reason: e.message().to_owned(),
        };
        let repo = Repository::init_bare(&tmp).map_err(corrupt)?;
        // For operators looking at the cache: which URL and identity a hashed directory
        // belongs to (neither is a secret: the URL is shown without credentials).
        repo.config()
            .and_then(|mut c| {
                c.set_str("claude-env.url", &target.to_string())?;
                c.set_str("claude-env.identity", identity)
            })
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

/// Marks a repository used now (the lock file's modification time).
fn touch(lock: &File) -> std::io::Result<()> {
    lock.set_modified(SystemTime::now())
}

pub(crate) enum LockError {
    Timeout,
    Io(FetchError),
}

/// The name of the repository of `target` fetched as `identity`: a readable tail of the
/// URL's path (for operators) plus a hash of the cache key and the identity (for
/// uniqueness). The anonymous repository keeps the name it had before identities existed,
/// so upgrading does not refetch public repositories.
pub(crate) fn key(target: &RepoUrl, identity: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(target.cache_key().as_bytes());
    if identity != ANONYMOUS {
        // NUL cannot occur in a URL: no (url, identity) pair collides with another.
        hasher.update(b"\0");
        hasher.update(identity.as_bytes());
    }
    let digest = hasher.finalize();
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
        let https = RepoUrl::parse("https://github.com/org/config-repo.git").unwrap();
        let a = key(&https, ANONYMOUS);
        let b = key(
            &RepoUrl::parse("git@github.com:org/config-repo.git").unwrap(),
            ANONYMOUS,
        );
        assert!(a.starts_with("config-repo-"), "{a}");
        assert_ne!(a, b);
        let weird = key(&RepoUrl::parse("file:///tmp/../..").unwrap(), ANONYMOUS);
        assert!(!weird.contains('/') && !weird.starts_with('.'), "{weird}");
        // The anonymous repository keeps its pre-identity name (sha256 of the cache key).
        let legacy = hex::encode(Sha256::digest(https.cache_key().as_bytes()));
        assert_eq!(a, format!("config-repo-{}", &legacy[..16]));
    }

    #[test]
    fn each_identity_has_its_own_repository() {
        let url = RepoUrl::parse("https://github.com/org/cfg.git").unwrap();
        let names = [
            key(&url, ANONYMOUS),
            key(&url, "team-a/git-creds"),
            key(&url, "team-b/git-creds"),
            key(&url, "team-a/other"),
        ];
        for (i, a) in names.iter().enumerate() {
            for b in &names[i + 1..] {
                assert_ne!(a, b);
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let cache = GitCache::new(dir.path()).unwrap();
        let u = "https://github.com/org/cfg.git";
        assert_ne!(
            cache.repo_dir_as(u, "team-a/git-creds").unwrap(),
            cache.repo_dir(u).unwrap()
        );
    }

    #[test]
    fn creation_is_atomic_and_leftovers_are_cleaned() {
        let dir = tempfile::tempdir().unwrap();
        let cache = GitCache::new(dir.path()).unwrap();
        let target = RepoUrl::parse("https://example.com/x.git").unwrap();
        let stem = key(&target, ANONYMOUS);
        let name = format!("{stem}.git");
        // A creation that crashed before its rename, and a ref lock from a crashed fetch.
        fs::create_dir_all(dir.path().join(format!("{name}.tmp-999"))).unwrap();
        cache.ensure_repo(&target, ANONYMOUS, &stem).unwrap();
        let lock = dir.path().join(&name).join("refs/heads/main.lock");
        fs::write(&lock, "").unwrap();
        cache.ensure_repo(&target, ANONYMOUS, &stem).unwrap();
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
        let target = RepoUrl::parse(url).unwrap();
        cache
            .ensure_repo(&target, ANONYMOUS, &key(&target, ANONYMOUS))
            .unwrap();
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
