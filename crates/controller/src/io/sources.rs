//! Git sources shared by every environment: one fetch per URL+branch per interval however
//! many environments use it, and one parse per revision.
//!
//! Environments ask for the revision of their (url, branch) with the age they tolerate (their
//! interval). The first caller past that age fetches; concurrent callers wait for it and
//! reuse its result. A webhook only marks a source stale: the next caller fetches once, and
//! a burst of pushes costs one fetch.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use claude_env_config::ParsedRepo;
use claude_env_source::auth::Auth;
use claude_env_source::git::GitCache;
use claude_env_source::load::{self, Limits, LoadError};
use claude_env_source::verify::{Signer, TrustedKeys, VerifyError, verify_commit};
use tokio::sync::OnceCell;

use crate::decisions::branches::SourceKey;
use crate::error::{Error, Result};
use crate::lock::LockExt;
use crate::metrics::Metrics;

/// What is known about one source.
#[derive(Clone, Debug, Default)]
struct Tracked {
    revision: Option<String>,
    fetched_at: Option<Instant>,
    /// Set by webhooks: fetch on the next request, whatever the age.
    invalidated_at: Option<Instant>,
    /// (category, message) of the last failed fetch; cleared by a success.
    last_error: Option<(&'static str, String)>,
}

/// What a caller gets without fetching.
#[derive(Debug, PartialEq)]
enum Cached {
    Revision(String),
    /// The last fetch failed moments ago: every environment asking shares that failure
    /// (their backoff paces the retries) rather than each fetching again.
    Error(&'static str, String),
    Fetch,
}

/// How long a failed fetch answers for everyone before the next attempt.
const FAILURE_TTL: Duration = Duration::from_secs(5);

impl Tracked {
    /// A failed source stays failed until a fetch succeeds: the last good revision is not
    /// served as fresh while the server is down (what is applied stays applied anyway).
    fn cached(&self, max_age: Duration, now: Instant) -> Cached {
        if let Some((kind, message)) = &self.last_error {
            let recent = self.fetched_at.is_some_and(|at| {
                now.duration_since(at) < max_age.min(FAILURE_TTL)
                    && self.invalidated_at.is_none_or(|inv| inv < at)
            });
            return if recent {
                Cached::Error(kind, message.clone())
            } else {
                Cached::Fetch
            };
        }
        match &self.revision {
            Some(rev) if self.fresh(max_age, now) => Cached::Revision(rev.clone()),
            _ => Cached::Fetch,
        }
    }

    fn fresh(&self, max_age: Duration, now: Instant) -> bool {
        match self.fetched_at {
            None => false,
            Some(at) => {
                now.duration_since(at) < max_age && self.invalidated_at.is_none_or(|inv| inv < at)
            }
        }
    }
}

/// A parsed revision, shared by every environment rendering from it.
pub(crate) struct Prepared {
    pub(crate) parsed: ParsedRepo,
}

/// (url, credential identity, revision, path).
type PreparedKey = (String, String, String, Option<String>);
/// (url, credential identity, revision, resourceVersion of the keys Secret).
type VerifiedKey = (String, String, String, String);

pub(crate) struct Sources {
    cache: Arc<GitCache>,
    /// Per-snapshot bounds (`--max-snapshot-bytes`, `--max-snapshot-files`).
    limits: Limits,
    metrics: Metrics,
    sources: Mutex<HashMap<SourceKey, Arc<tokio::sync::Mutex<Tracked>>>>,
    prepared: Mutex<PreparedCache>,
    verified: Mutex<HashMap<VerifiedKey, Result<Signer, VerifyError>>>,
}

/// Parsed revisions, most recently inserted last; small because environments converge on
/// the tips of a few branches (older ones only matter during a rollback).
struct PreparedCache {
    entries: HashMap<PreparedKey, Arc<OnceCell<Arc<Prepared>>>>,
    order: VecDeque<PreparedKey>,
    capacity: usize,
}

impl Sources {
    pub(crate) fn new(cache: GitCache, limits: Limits, metrics: Metrics) -> Self {
        Self {
            cache: Arc::new(cache),
            limits,
            metrics,
            sources: Mutex::default(),
            prepared: Mutex::new(PreparedCache {
                entries: HashMap::new(),
                order: VecDeque::new(),
                capacity: 32,
            }),
            verified: Mutex::default(),
        }
    }

    /// The shared Git cache, for readers of commit metadata (`io::author`).
    pub(crate) fn cache(&self) -> Arc<GitCache> {
        self.cache.clone()
    }

    fn tracked(&self, key: &SourceKey) -> Arc<tokio::sync::Mutex<Tracked>> {
        self.sources
            .locked()
            .entry(key.clone())
            .or_default()
            .clone()
    }

    /// The revision of `key`, fetched if the last fetch is older than `max_age` or a
    /// webhook marked it stale. `auth` is only awaited when a fetch is needed (so Secrets
    /// are read once per fetch, not once per reconcile).
    pub(crate) async fn revision<F, Fut>(
        &self,
        key: &SourceKey,
        max_age: Duration,
        timeout: Duration,
        auth: F,
    ) -> Result<String>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<Auth>>,
    {
        let tracked = self.tracked(key);
        let mut t = tracked.lock().await;
        match t.cached(max_age, Instant::now()) {
            Cached::Revision(rev) => return Ok(rev),
            Cached::Error(kind, message) => return Err(fetch_error(key, kind, message)),
            Cached::Fetch => {}
        }
        let auth = auth().await?;
        let started = Instant::now();
        let (cache, url, branch, identity) = (
            self.cache.clone(),
            key.url.clone(),
            key.branch.clone(),
            key.identity.clone(),
        );
        let result = tokio::task::spawn_blocking(move || {
            cache.fetch_as(&url, &identity, &branch, &auth, timeout)
        })
        .await?;
        t.fetched_at = Some(started);
        match result {
            Ok(fetched) => {
                self.metrics.git_fetched(true, fetched.duration);
                if let Some(e) = &fetched.eviction {
                    self.metrics
                        .git_cache_evicted(e.evicted.len(), e.kept_bytes);
                }
                self.metrics.set_source_revision(
                    &claude_env_source::url::redact(&key.url),
                    &key.branch,
                    t.revision.as_deref(),
                    &fetched.revision,
                );
                t.revision = Some(fetched.revision.clone());
                t.last_error = None;
                Ok(fetched.revision)
            }
            Err(e) => {
                self.metrics.git_fetched(false, started.elapsed());
                self.metrics.git_fetch_failed(e.category());
                let kind = e.category();
                let message = e.to_string();
                t.last_error = Some((kind, message.clone()));
                Err(fetch_error(key, kind, message))
            }
        }
    }

    /// Mark a source stale (a verified push): the next [`Sources::revision`] fetches.
    pub(crate) fn invalidate(&self, key: &SourceKey) {
        let tracked = self.tracked(key);
        // Never blocks on a fetch in flight: try, and otherwise set it from a task.
        let now = Instant::now();
        if let Ok(mut t) = tracked.try_lock() {
            t.invalidated_at = Some(now);
            return;
        }
        tokio::spawn(async move {
            tracked.lock().await.invalidated_at = Some(now);
        });
    }

    /// The parsed config repository at `revision` (read straight from the commit's tree).
    pub(crate) async fn prepare(
        &self,
        source: &SourceKey,
        revision: &str,
        path: Option<&str>,
    ) -> Result<Arc<Prepared>> {
        let url = source.url.as_str();
        let key: PreparedKey = (
            url.to_string(),
            source.identity.clone(),
            revision.to_string(),
            path.map(str::to_string),
        );
        let cell = {
            let mut cache = self.prepared.locked();
            cache.cell(key)
        };
        let (cache, url, identity, revision, path, limits) = (
            self.cache.clone(),
            url.to_string(),
            source.identity.clone(),
            revision.to_string(),
            path.map(str::to_string),
            self.limits,
        );
        cell.get_or_try_init(|| async move {
            let prepared = tokio::task::spawn_blocking(move || {
                load(&cache, &url, &identity, &revision, path.as_deref(), &limits)
            })
            .await??;
            Ok(Arc::new(prepared))
        })
        .await
        .cloned()
    }

    /// The full commit SHA of `rev` (a SHA, short SHA, branch or tag) in the cache of `source`.
    pub(crate) async fn resolve(&self, source: &SourceKey, rev: &str) -> Result<String> {
        let (cache, url, identity, rev) = (
            self.cache.clone(),
            source.url.clone(),
            source.identity.clone(),
            rev.to_string(),
        );
        tokio::task::spawn_blocking(move || {
            let err = |message: String| Error::Load {
                url: claude_env_source::url::redact(&url),
                revision: rev.clone(),
                message,
            };
            let repo = cache
                .open_as(&url, &identity)
                .map_err(|e| err(e.to_string()))?;
            let commit = repo
                .revparse_single(&rev)
                .and_then(|o| o.peel_to_commit())
                .map_err(|e| {
                    err(format!(
                        "no such commit in the fetched history: {}",
                        e.message()
                    ))
                })?;
            Ok(commit.id().to_string())
        })
        .await?
    }

    /// Check `revision`'s signature against the trusted keys (a Secret's data). Results are
    /// cached per (url, revision, keys version): a commit is verified once, not per reconcile.
    pub(crate) async fn verify(
        &self,
        source: &SourceKey,
        revision: &str,
        keys_version: &str,
        keys: std::collections::BTreeMap<String, Vec<u8>>,
    ) -> Result<Result<Signer, VerifyError>> {
        let url = source.url.as_str();
        let key = (
            url.to_string(),
            source.identity.clone(),
            revision.to_string(),
            keys_version.to_string(),
        );
        if let Some(hit) = self.verified.locked().get(&key) {
            return Ok(hit.clone());
        }
        let (cache, u, identity, rev) = (
            self.cache.clone(),
            url.to_string(),
            source.identity.clone(),
            revision.to_string(),
        );
        let result = tokio::task::spawn_blocking(move || {
            let trusted = TrustedKeys::from_secret_data(&keys)?;
            let oid = git2::Oid::from_str(&rev).map_err(|e| VerifyError::CommitNotFound {
                commit: rev.clone(),
                reason: e.message().to_string(),
            })?;
            let repo = cache
                .open_as(&u, &identity)
                .map_err(|e| VerifyError::CommitNotFound {
                    commit: rev.clone(),
                    reason: e.to_string(),
                })?;
            verify_commit(&repo, oid, &trusted)
        })
        .await?;
        let mut verified = self.verified.locked();
        if verified.len() > 256 {
            verified.clear();
        }
        verified.insert(key, result.clone());
        Ok(result)
    }
}

impl PreparedCache {
    fn cell(&mut self, key: PreparedKey) -> Arc<OnceCell<Arc<Prepared>>> {
        if let Some(cell) = self.entries.get(&key) {
            return cell.clone();
        }
        while self.order.len() >= self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.entries.remove(&old);
            }
        }
        let cell = Arc::new(OnceCell::new());
        self.entries.insert(key.clone(), cell.clone());
        self.order.push_back(key);
        cell
    }
}

/// The commit's config repository, parsed; a snapshot over the operator's limits is
/// [`Error::Limit`] (refused until the branch moves), anything else [`Error::Load`].
fn load(
    cache: &GitCache,
    url: &str,
    identity: &str,
    revision: &str,
    path: Option<&str>,
    limits: &Limits,
) -> Result<Prepared> {
    let err = |message: String| Error::Load {
        url: claude_env_source::url::redact(url),
        revision: revision.to_string(),
        message,
    };
    let repo = cache
        .open_as(url, identity)
        .map_err(|e| err(e.to_string()))?;
    let oid = git2::Oid::from_str(revision).map_err(|e| err(e.to_string()))?;
    let snapshot = load::from_commit_with(&repo, oid, path, limits).map_err(|e| match e {
        LoadError::LimitExceeded(exceeded) => Error::Limit {
            revision: revision.to_string(),
            limit: exceeded.limit,
            message: exceeded.to_string(),
        },
        other => err(other.to_string()),
    })?;
    Ok(Prepared {
        parsed: ParsedRepo::parse(&snapshot),
    })
}

fn fetch_error(key: &SourceKey, kind: &'static str, message: String) -> Error {
    Error::Fetch {
        url: claude_env_source::url::redact(&key.url),
        branch: key.branch.clone(),
        kind,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn freshness_respects_age_and_invalidation() {
        let now = Instant::now();
        let mut t = Tracked {
            revision: Some("a".into()),
            fetched_at: Some(now),
            ..Default::default()
        };
        assert!(t.fresh(Duration::from_secs(60), now + Duration::from_secs(10)));
        assert!(!t.fresh(Duration::from_secs(60), now + Duration::from_secs(61)));
        t.invalidated_at = Some(now + Duration::from_millis(1));
        assert!(!t.fresh(Duration::from_secs(60), now + Duration::from_secs(1)));
        // A fetch after the invalidation is fresh again.
        t.fetched_at = Some(now + Duration::from_millis(2));
        assert!(t.fresh(Duration::from_secs(60), now + Duration::from_secs(1)));
    }

    #[test]
    fn a_failed_source_is_never_served_from_the_cache() {
        let now = Instant::now();
        let t = Tracked {
            revision: Some("old".into()),
            fetched_at: Some(now),
            last_error: Some(("network", "refused".into())),
            ..Default::default()
        };
        // Moments after the failure everyone shares it...
        assert_eq!(
            t.cached(Duration::from_secs(60), now + Duration::from_secs(1)),
            Cached::Error("network", "refused".into())
        );
        // ...then the next caller fetches again, though the old revision is "fresh" by age.
        assert_eq!(
            t.cached(Duration::from_secs(60), now + Duration::from_secs(6)),
            Cached::Fetch
        );
    }

    #[test]
    fn a_push_after_a_failure_fetches_at_once() {
        let now = Instant::now();
        let t = Tracked {
            fetched_at: Some(now),
            invalidated_at: Some(now + Duration::from_millis(10)),
            last_error: Some(("network", "refused".into())),
            ..Default::default()
        };
        assert_eq!(
            t.cached(Duration::from_secs(60), now + Duration::from_secs(1)),
            Cached::Fetch
        );
    }

    #[test]
    fn a_good_source_is_served_while_fresh() {
        let now = Instant::now();
        let t = Tracked {
            revision: Some("abc".into()),
            fetched_at: Some(now),
            ..Default::default()
        };
        assert_eq!(
            t.cached(Duration::from_secs(60), now + Duration::from_secs(30)),
            Cached::Revision("abc".into())
        );
        assert_eq!(
            t.cached(Duration::from_secs(60), now + Duration::from_secs(61)),
            Cached::Fetch
        );
    }

    #[test]
    fn never_fetched_is_never_fresh() {
        assert!(!Tracked::default().fresh(Duration::from_secs(600), Instant::now()));
    }

    #[test]
    fn prepared_cache_evicts_the_oldest() {
        let mut c = PreparedCache {
            entries: HashMap::new(),
            order: VecDeque::new(),
            capacity: 2,
        };
        let k = |r: &str| {
            (
                "u".to_string(),
                "anonymous".to_string(),
                r.to_string(),
                None,
            )
        };
        let a = c.cell(k("a"));
        assert!(Arc::ptr_eq(&a, &c.cell(k("a"))), "same key, same cell");
        c.cell(k("b"));
        c.cell(k("c"));
        assert!(!c.entries.contains_key(&k("a")));
        assert_eq!(c.entries.len(), 2);
    }
}
