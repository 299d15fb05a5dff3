//! This process's own writes, kept until the watch caches show them: status writes
//! (`OwnWrites`) and the versions of applied objects (`AppliedVersions`).
//!
//! The rollout machine's state lives in status, and the watch cache can lag this process's
//! own status writes (by seconds on a busy API server): deciding from an older status
//! repeats or undoes steps — a canary back at an earlier weight, a second promotion. The
//! API server answers a status write with the whole object as written, so that answer is
//! the newest state this process knows; a reconcile uses it while the cache is older. The
//! watch forgets a write once it delivers it (or a later version), so the memo holds only
//! the writes in flight, not a second copy of every environment.
//!
//! Before this, a reconcile that found the cache behind waited up to 500 ms in its slot and
//! then read the environment again: at 10,000 environments most reconciles of a push did
//! both, a GET each and half a second of one of the `--concurrency` slots.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use claude_env_api::{ClaudeEnvironment, ObjectKey};
use kube::runtime::watcher;
use kube::{Resource, ResourceExt};

use crate::lock::LockExt;

type Key = (String, String);

/// One write per key, with the resourceVersion it produced, until the watch cache shows
/// that version or a later one (the mechanism under `OwnWrites` and `AppliedVersions`).
struct Pending<K, V>(Arc<Mutex<HashMap<K, (String, V)>>>);

impl<K, V> Clone for Pending<K, V> {
    fn clone(&self) -> Self {
        Pending(self.0.clone())
    }
}

impl<K, V> Default for Pending<K, V> {
    fn default() -> Self {
        Pending(Arc::default())
    }
}

impl<K: Eq + Hash + Send + 'static, V: Clone + Send + 'static> Pending<K, V> {
    /// Remember a write; one without a version is no news for the cache.
    fn record(&self, key: K, version: Option<String>, value: V) {
        if let Some(v) = version {
            self.0.locked().insert(key, (v, value));
        }
    }

    /// The write of `key` the cache (showing version `cached`, `None`: not at all) has not
    /// caught up with. A write the cache shows, or has gone past, is forgotten.
    fn lagging(&self, key: &K, cached: Option<&str>) -> Option<V> {
        let mut pending = self.0.locked();
        let (version, value) = pending.get(key)?;
        if at_least(cached, Some(version)) {
            pending.remove(key);
            return None;
        }
        Some(value.clone())
    }

    /// A watch-stream observer (for `inspect_ok`) that forgets each write once the watch
    /// delivers it, a later version, or the object's deletion.
    fn feed<R: Resource>(
        &self,
        key: impl Fn(&R) -> K + Send + 'static,
    ) -> impl FnMut(&watcher::Event<R>) + Send + 'static {
        let pending = self.clone();
        move |event| match event {
            watcher::Event::Apply(o) | watcher::Event::InitApply(o) => {
                let k = key(o);
                let mut p = pending.0.locked();
                if p.get(&k).is_some_and(|(version, _)| {
                    at_least(o.meta().resource_version.as_deref(), Some(version))
                }) {
                    p.remove(&k);
                }
            }
            watcher::Event::Delete(o) => {
                pending.0.locked().remove(&key(o));
            }
            watcher::Event::Init | watcher::Event::InitDone => {}
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.0.locked().len()
    }
}

/// The last status write of each environment whose watch event has not arrived yet.
#[derive(Clone, Default)]
pub(crate) struct OwnWrites(Pending<Key, Arc<ClaudeEnvironment>>);

fn key_of(env: &ClaudeEnvironment) -> Key {
    (env.namespace().unwrap_or_default(), env.name_any())
}

impl OwnWrites {
    /// Remember the object a status write returned.
    pub(crate) fn record(&self, mut written: ClaudeEnvironment) {
        written.managed_fields_mut().clear();
        let version = written.resource_version();
        self.0.record(key_of(&written), version, Arc::new(written));
    }

    /// The newest of `cached` and this process's last write of the same environment. A
    /// write the cache already shows (or has gone past) is forgotten.
    pub(crate) fn newest(&self, cached: Arc<ClaudeEnvironment>) -> Arc<ClaudeEnvironment> {
        self.0
            .lagging(&key_of(&cached), cached.resource_version().as_deref())
            .unwrap_or(cached)
    }

    /// A watch-stream observer (for `inspect_ok`) that forgets each write once the watch
    /// delivers it, a later version, or the environment's deletion.
    pub(crate) fn feed(&self) -> impl FnMut(&watcher::Event<ClaudeEnvironment>) + Send + 'static {
        self.0.feed(key_of)
    }

    /// How many writes the cache has not shown yet.
    #[cfg(test)]
    fn pending(&self) -> usize {
        self.0.len()
    }
}

/// The resourceVersion each rendered object got from this process's last apply of it, kept
/// until its watch shows that version or a later one. An object the cache shows older, or
/// not at all, is not judged for drift yet: the watch event that brings our apply triggers
/// a reconcile of its own, which judges it (before this, such a reconcile read the object
/// from the API server to confirm a drift that was only the cache's lag: at 10,000
/// environments about one GET per environment per push).
#[derive(Clone, Default)]
pub(crate) struct AppliedVersions(Pending<ObjectKey, ()>);

impl AppliedVersions {
    /// Remember the version an apply of `key` returned.
    pub(crate) fn record(&self, key: &ObjectKey, version: Option<String>) {
        self.0.record(key.clone(), version, ());
    }

    /// Whether the cache (showing `cached`, `None`: not at all) has not caught up with
    /// this process's last apply of `key`. A cache that has is forgotten.
    pub(crate) fn cache_lags(&self, key: &ObjectKey, cached: Option<&str>) -> bool {
        self.0.lagging(key, cached).is_some()
    }

    /// A watch-stream observer (for `inspect_ok`) that forgets an apply once the watch
    /// delivers it, a later version, or the object's deletion (then it is missing for real).
    pub(crate) fn feed<K: Resource>(
        &self,
        key: impl Fn(&K) -> ObjectKey + Send + 'static,
    ) -> impl FnMut(&watcher::Event<K>) + Send + 'static {
        self.0.feed(key)
    }
}

/// Whether a cached resourceVersion is `known` or newer. resourceVersions are opaque to
/// clients in general; the API server's are etcd revisions (integers that only grow), and
/// anything that does not parse counts as not newer (then our own write is used).
fn at_least(cached: Option<&str>, known: Option<&str>) -> bool {
    match (cached, known) {
        (_, None) => true,
        (None, Some(_)) => false,
        (Some(c), Some(k)) if c == k => true,
        (Some(c), Some(k)) => {
            matches!((c.parse::<u64>(), k.parse::<u64>()), (Ok(c), Ok(k)) if c > k)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn env(name: &str, version: &str, phase: &str) -> ClaudeEnvironment {
        serde_json::from_value(json!({
            "apiVersion": "claude-env.io/v1alpha1", "kind": "ClaudeEnvironment",
            "metadata": {"name": name, "namespace": "ns", "resourceVersion": version,
                         "managedFields": [{"manager": "claude-env-controller"}]},
            "spec": {"source": {"url": "u"}, "environment": phase}
        }))
        .unwrap()
    }

    #[test]
    fn a_cache_behind_our_write_gives_the_write() {
        let w = OwnWrites::default();
        w.record(env("a", "42", "written"));
        let got = w.newest(Arc::new(env("a", "41", "cached")));
        assert_eq!(got.spec.environment, "written");
        assert!(
            got.managed_fields().is_empty(),
            "kept as the cache keeps it"
        );
        assert_eq!(w.pending(), 1, "still in flight");
    }

    #[test]
    fn a_cache_that_caught_up_wins_and_the_write_is_forgotten() {
        let w = OwnWrites::default();
        w.record(env("a", "42", "written"));
        for version in ["42", "43"] {
            w.record(env("a", "42", "written"));
            let got = w.newest(Arc::new(env("a", version, "cached")));
            assert_eq!(got.spec.environment, "cached", "at {version}");
            assert_eq!(w.pending(), 0);
        }
        // Another environment's write is not this one's.
        w.record(env("b", "50", "written"));
        let got = w.newest(Arc::new(env("a", "1", "cached")));
        assert_eq!(got.spec.environment, "cached");
    }

    #[test]
    fn the_watch_forgets_writes_it_delivered_or_deleted() {
        let w = OwnWrites::default();
        let mut feed = w.feed();
        w.record(env("a", "42", "written"));
        w.record(env("b", "42", "written"));
        feed(&watcher::Event::Apply(env("a", "41", "older")));
        assert_eq!(w.pending(), 2, "an older event is not our write");
        feed(&watcher::Event::Apply(env("a", "42", "ours")));
        feed(&watcher::Event::Delete(env("b", "40", "gone")));
        assert_eq!(w.pending(), 0);
        w.record(env("a", "50", "written"));
        feed(&watcher::Event::InitApply(env("a", "51", "relisted")));
        assert_eq!(w.pending(), 0);
    }

    #[test]
    fn an_applied_object_lags_until_the_watch_shows_its_version() {
        use claude_env_api::ObjectKind;
        use k8s_openapi::api::core::v1::ConfigMap;
        let key = ObjectKey::new(ObjectKind::ConfigMap, "ns", "c");
        let cm = |version: &str| {
            let mut c = ConfigMap::default();
            c.metadata.name = Some("c".into());
            c.metadata.namespace = Some("ns".into());
            c.metadata.resource_version = Some(version.into());
            c
        };
        let applied = AppliedVersions::default();
        assert!(
            !applied.cache_lags(&key, None),
            "never applied: judged as it is"
        );
        applied.record(&key, Some("10".into()));
        assert!(
            applied.cache_lags(&key, None),
            "created, not in the cache yet"
        );
        assert!(applied.cache_lags(&key, Some("9")));
        assert!(
            !applied.cache_lags(&key, Some("11")),
            "a later version: judged"
        );
        assert!(!applied.cache_lags(&key, None), "forgotten once caught up");

        let mut feed = applied.feed(|c: &ConfigMap| {
            ObjectKey::new(
                ObjectKind::ConfigMap,
                "ns",
                c.metadata.name.clone().unwrap(),
            )
        });
        applied.record(&key, Some("20".into()));
        feed(&watcher::Event::Apply(cm("19")));
        assert!(applied.cache_lags(&key, Some("19")));
        feed(&watcher::Event::Apply(cm("20")));
        assert!(
            !applied.cache_lags(&key, Some("19")),
            "the watch delivered it"
        );
        applied.record(&key, Some("30".into()));
        feed(&watcher::Event::Delete(cm("25")));
        assert!(
            !applied.cache_lags(&key, None),
            "deleted since: missing for real"
        );
    }

    #[test]
    fn a_cached_version_counts_when_it_is_the_known_one_or_later() {
        assert!(at_least(Some("42"), Some("42")));
        assert!(at_least(Some("43"), Some("42")));
        assert!(
            !at_least(Some("41"), Some("42")),
            "the cache lags our write"
        );
        assert!(!at_least(None, Some("42")));
        assert!(
            at_least(Some("1"), None),
            "a write without a version is no news"
        );
        // Not integers: only equality is trusted.
        assert!(at_least(Some("abc"), Some("abc")));
        assert!(!at_least(Some("abd"), Some("abc")));
    }
}
