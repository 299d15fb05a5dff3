//! This process's own status writes, kept until the watch cache shows them.
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
use std::sync::{Arc, Mutex};

use claude_env_api::ClaudeEnvironment;
use kube::ResourceExt;
use kube::runtime::watcher;

use crate::lock::LockExt;

type Key = (String, String);

/// The last status write of each environment whose watch event has not arrived yet.
#[derive(Clone, Default)]
pub(crate) struct OwnWrites(Arc<Mutex<HashMap<Key, Arc<ClaudeEnvironment>>>>);

fn key_of(env: &ClaudeEnvironment) -> Key {
    (env.namespace().unwrap_or_default(), env.name_any())
}

impl OwnWrites {
    /// Remember the object a status write returned.
    pub(crate) fn record(&self, mut written: ClaudeEnvironment) {
        written.managed_fields_mut().clear();
        self.0.locked().insert(key_of(&written), Arc::new(written));
    }

    /// The newest of `cached` and this process's last write of the same environment. A
    /// write the cache already shows (or has gone past) is forgotten.
    pub(crate) fn newest(&self, cached: Arc<ClaudeEnvironment>) -> Arc<ClaudeEnvironment> {
        let key = key_of(&cached);
        let mut writes = self.0.locked();
        let Some(written) = writes.get(&key) else {
            return cached;
        };
        if at_least(
            cached.resource_version().as_deref(),
            written.resource_version().as_deref(),
        ) {
            writes.remove(&key);
            return cached;
        }
        written.clone()
    }

    /// A watch-stream observer (for `inspect_ok`) that forgets each write once the watch
    /// delivers it, a later version, or the environment's deletion.
    pub(crate) fn feed(&self) -> impl FnMut(&watcher::Event<ClaudeEnvironment>) + Send + 'static {
        let writes = self.clone();
        move |event| match event {
            watcher::Event::Apply(o) | watcher::Event::InitApply(o) => {
                let key = key_of(o);
                let mut w = writes.0.locked();
                if w.get(&key).is_some_and(|written| {
                    at_least(
                        o.resource_version().as_deref(),
                        written.resource_version().as_deref(),
                    )
                }) {
                    w.remove(&key);
                }
            }
            watcher::Event::Delete(o) => {
                writes.0.locked().remove(&key_of(o));
            }
            watcher::Event::Init | watcher::Event::InitDone => {}
        }
    }

    /// How many writes the cache has not shown yet.
    #[cfg(test)]
    fn pending(&self) -> usize {
        self.0.locked().len()
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
