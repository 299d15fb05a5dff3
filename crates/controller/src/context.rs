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
        self.applied
            .lock()
            .expect("applied lock")
            .entry(key)
            .or_default()
            .objects = Some(fingerprint(desired));
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
