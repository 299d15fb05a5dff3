//! What every reconcile shares: the client, caches, sources, metrics and Events.

use std::collections::HashMap;
use std::sync::Mutex;

use claude_env_api::ClaudeEnvironment;
use claude_env_drift::ObjectKey;
use claude_env_source::git::BackoffPolicy;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use kube::Client;
use kube::runtime::events::Recorder;
use kube::runtime::reflector::{ObjectRef, Store};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::args::BranchMap;
use crate::metrics::Metrics;
use crate::objects::Desired;
use crate::sources::Sources;

/// Watch caches of our environments and of the objects we render (by label).
#[derive(Clone)]
pub struct Stores {
    pub environments: Store<ClaudeEnvironment>,
    pub deployments: Store<Deployment>,
    pub services: Store<Service>,
    pub config_maps: Store<ConfigMap>,
}

impl Stores {
    /// The cached live object as JSON (`None`: not in the cache).
    pub fn live(&self, key: &ObjectKey) -> Option<Value> {
        fn get<K>(store: &Store<K>, key: &ObjectKey) -> Option<Value>
        where
            K: kube::Resource<DynamicType = ()> + Clone + serde::Serialize + 'static,
        {
            let r = ObjectRef::new(&key.name).within(&key.namespace);
            store
                .get(&r)
                .map(|o| serde_json::to_value(&*o).expect("objects serialize"))
        }
        match key.kind.as_str() {
            "Deployment" => get(&self.deployments, key),
            "Service" => get(&self.services, key),
            "ConfigMap" => get(&self.config_maps, key),
            _ => None,
        }
    }

    pub fn deployment(&self, namespace: &str, name: &str) -> Option<std::sync::Arc<Deployment>> {
        self.deployments
            .get(&ObjectRef::new(name).within(namespace))
    }
}

pub struct Context {
    pub client: Client,
    pub metrics: Metrics,
    pub sources: std::sync::Arc<Sources>,
    pub recorder: Recorder,
    pub stores: Stores,
    pub branches: BranchMap,
    pub backoff: BackoffPolicy,
    /// Consecutive failures per environment (namespace, name), for backoff.
    pub(crate) failures: Mutex<HashMap<(String, String), u32>>,
    /// What this process last wrote per environment (namespace, name).
    pub(crate) applied: Mutex<HashMap<(String, String), Written>>,
    /// Environments to reconcile now (webhooks, dependencies becoming ready).
    pub trigger: mpsc::UnboundedSender<ObjectRef<ClaudeEnvironment>>,
}

impl Context {
    /// Whether `desired` differs from what this process last applied for the environment
    /// (a restarted controller applies once; SSA makes that a no-op).
    pub fn needs_apply(&self, namespace: &str, name: &str, desired: &[Desired]) -> bool {
        let key = (namespace.to_string(), name.to_string());
        self.applied
            .lock()
            .expect("applied lock")
            .get(&key)
            .and_then(|w| w.objects)
            != Some(fingerprint(desired))
    }

    /// Remember what was applied (see [`Context::needs_apply`]).
    pub fn applied(&self, namespace: &str, name: &str, desired: &[Desired]) {
        let key = (namespace.to_string(), name.to_string());
        let mut applied = self.applied.lock().expect("applied lock");
        let w = applied.entry(key).or_default();
        w.objects = Some(fingerprint(desired));
        w.each = fingerprints(desired);
    }

    /// The objects of `desired` this process has not applied with these values for the
    /// environment: a rollout step changes one or two objects of a set, and re-applying the
    /// others costs the API server an SSA merge each for nothing.
    pub fn changed<'d>(
        &self,
        namespace: &str,
        name: &str,
        desired: &'d [Desired],
    ) -> Vec<&'d Desired> {
        let applied = self.applied.lock().expect("applied lock");
        let each = applied.get(&(namespace.to_string(), name.to_string()));
        changed(each.map(|w| &w.each), desired)
    }

    /// Forget the objects applied for an environment (deleted, or its objects were changed
    /// behind our back).
    pub fn forget_applied(&self, namespace: &str, name: &str) {
        if let Some(w) = self
            .applied
            .lock()
            .expect("applied lock")
            .get_mut(&(namespace.to_string(), name.to_string()))
        {
            w.objects = None;
            w.each.clear();
        }
    }

    /// The newest resourceVersion of the environment this process knows of: the one its
    /// last status write produced, or its last read (see [`Context::seen_version`]).
    pub fn known_version(&self, namespace: &str, name: &str) -> Option<String> {
        self.applied
            .lock()
            .expect("applied lock")
            .get(&(namespace.to_string(), name.to_string()))
            .and_then(|w| w.version.clone())
    }

    /// Remember a resourceVersion of the environment read from or written to the API server.
    pub fn seen_version(&self, namespace: &str, name: &str, version: Option<String>) {
        self.applied
            .lock()
            .expect("applied lock")
            .entry((namespace.to_string(), name.to_string()))
            .or_default()
            .version = version;
    }

    /// Record a failure; returns how many in a row.
    pub fn failed(&self, namespace: &str, name: &str) -> u32 {
        let mut f = self.failures.lock().expect("failures lock");
        let n = f
            .entry((namespace.to_string(), name.to_string()))
            .or_default();
        *n += 1;
        *n
    }

    pub fn succeeded(&self, namespace: &str, name: &str) {
        self.failures
            .lock()
            .expect("failures lock")
            .remove(&(namespace.to_string(), name.to_string()));
    }
}

/// What this process last wrote for one environment.
#[derive(Clone, Debug, Default)]
pub struct Written {
    /// Fingerprint of the objects last applied (see [`Context::needs_apply`]).
    pub objects: Option<u64>,
    /// Fingerprint of each object last applied (see [`Context::changed`]).
    pub each: HashMap<ObjectKey, u64>,
    /// The environment's resourceVersion after its last status write (or last read): a
    /// watch cache showing another version may not have seen that write yet.
    pub version: Option<String>,
}

/// A stable hash of a desired object set (keys and values, in order).
fn fingerprint(desired: &[Desired]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for d in desired {
        d.key.hash(&mut h);
        d.value.to_string().hash(&mut h);
    }
    h.finish()
}

/// Each object's fingerprint, by key.
fn fingerprints(desired: &[Desired]) -> HashMap<ObjectKey, u64> {
    desired
        .iter()
        .map(|d| (d.key.clone(), fingerprint(std::slice::from_ref(d))))
        .collect()
}

/// The objects of `desired` whose fingerprint is not the one recorded in `applied`.
fn changed<'d>(
    applied: Option<&HashMap<ObjectKey, u64>>,
    desired: &'d [Desired],
) -> Vec<&'d Desired> {
    desired
        .iter()
        .filter(|d| {
            applied.and_then(|a| a.get(&d.key)).copied()
                != Some(fingerprint(std::slice::from_ref(*d)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cm(name: &str, data: &str) -> Desired {
        Desired {
            key: ObjectKey::new("ConfigMap", "ns", name),
            api_version: "v1".into(),
            value: json!({"kind": "ConfigMap", "metadata": {"name": name}, "data": {"k": data}}),
            server: None,
        }
    }

    fn names(v: Vec<&Desired>) -> Vec<&str> {
        v.into_iter().map(|d| d.key.name.as_str()).collect()
    }

    #[test]
    fn only_objects_not_applied_with_their_current_value_are_changed() {
        let old = [cm("a", "1"), cm("b", "1")];
        assert_eq!(
            names(changed(None, &old)),
            ["a", "b"],
            "nothing applied yet"
        );
        let applied = fingerprints(&old);
        assert!(changed(Some(&applied), &old).is_empty());
        // A rollout step: b changes, c appears, a stays.
        let new = [cm("a", "1"), cm("b", "2"), cm("c", "1")];
        assert_eq!(names(changed(Some(&applied), &new)), ["b", "c"]);
        // Forgotten (restart, drift): everything again.
        assert_eq!(names(changed(Some(&HashMap::new()), &new)), ["a", "b", "c"]);
    }
}
