//! The Git fetch cache: one bare repository per source URL and credential identity on disk,
//! shared by every environment fetching that URL with those credentials (or anonymously),
//! holding the full history of the branches fetched (so a rollback to an older
//! last-known-good revision works after restarts).
//!
//! Every function here does blocking I/O (disk and network): call it from
//! `tokio::task::spawn_blocking`, never on an async worker thread.
//!
//! ```no_run
//! # use std::time::Duration;
//! # use claude_env_source::{auth::Auth, git::GitCache};
//! # use claude_env_source::git::ANONYMOUS;
//! let cache = GitCache::new("/var/cache/claude-env")?
//!     .with_socket_timeout(Duration::from_secs(30))
//!     .with_max_bytes(Some(10 << 30));
//! let url = "https://github.com/org/cfg.git";
//! let fetched = cache.fetch_as(url, ANONYMOUS, "main", &Auth::None, Duration::from_secs(60))?;
//! let repo = cache.open_as(url, ANONYMOUS)?;
//! let commit = repo.find_commit(git2::Oid::from_str(&fetched.revision).unwrap()).unwrap();
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod backoff;
mod cache;
mod callbacks;
mod error;
mod evict;
mod fetch;
mod timeouts;
mod user_credentials;

use std::time::Duration;

pub use backoff::BackoffPolicy;
pub use cache::{ANONYMOUS, GitCache};
pub use error::FetchError;
pub use evict::Eviction;
pub use timeouts::DEFAULT as DEFAULT_SOCKET_TIMEOUT;

/// The result of a successful fetch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fetched {
    /// The branch's commit SHA (40 hex digits): the revision everything is rendered from.
    pub revision: String,
    /// Whether this fetch moved the cached branch. The cache is shared, so an environment
    /// must still compare `revision` with what it last applied: another environment's fetch
    /// may have moved the branch first.
    pub changed: bool,
    /// Wall time of the fetch, including waiting for another fetch of the same URL.
    pub duration: Duration,
    /// Objects downloaded: 0 when the remote tip was already cached, because libgit2 then
    /// skips the pack negotiation after listing the remote refs (the ls-remote shortcut Flux
    /// takes before cloning).
    pub received_objects: usize,
    /// Bytes downloaded.
    pub received_bytes: usize,
    /// What the eviction after this fetch did, when the cache has a size cap and the fetch
    /// downloaded something.
    pub eviction: Option<Eviction>,
}
