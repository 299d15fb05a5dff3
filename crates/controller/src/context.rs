//! What every reconcile shares: the client, caches, sources, metrics and Events.

use std::collections::HashMap;
use std::sync::Mutex;

use claude_env_api::{ClaudeEnvironment, ClaudeWorkstation};
use claude_env_api::{ObjectKey, ObjectKind};
use claude_env_source::git::BackoffPolicy;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Client;
use kube::runtime::events::Recorder;
use kube::runtime::reflector::{ObjectRef, Store};
use serde_json::Value;
use tokio::sync::mpsc;

use crate::decisions::egress::Egress;
use crate::decisions::ownership;
use crate::decisions::plan::Policy;
use crate::index::ReverseIndex;
use crate::io::announce::Governance;
use crate::io::sources::Sources;
use crate::lock::LockExt;
use crate::metrics::Metrics;
use crate::own_writes::{AppliedVersions, OwnWrites};
use claude_env_render::Manifest;

/// Watch caches of our environments and of the objects we render (by label).
#[derive(Clone)]
pub(crate) struct Stores {
    pub(crate) environments: Store<ClaudeEnvironment>,
    pub(crate) deployments: Store<Deployment>,
    pub(crate) services: Store<Service>,
    pub(crate) config_maps: Store<ConfigMap>,
    pub(crate) workstations: Store<ClaudeWorkstation>,
    /// The rendered objects by the environment their owner labels name.
    pub(crate) owned: OwnedIndex,
    /// Environments (namespace, name) by the environments their `dependsOn` names.
    pub(crate) dependents: ReverseIndex<(String, String), (String, String)>,
}

/// The rendered objects of each kind by their owner label values, one index per watch (a
/// relist of one kind must not drop the others).
#[derive(Clone, Default)]
pub(crate) struct OwnedIndex {
    pub(crate) config_maps: ReverseIndex<(String, String), ObjectKey>,
    pub(crate) deployments: ReverseIndex<(String, String), ObjectKey>,
    pub(crate) services: ReverseIndex<(String, String), ObjectKey>,
}

impl OwnedIndex {
    /// The index for objects of `kind`.
    pub(crate) fn of(&self, kind: ObjectKind) -> &ReverseIndex<(String, String), ObjectKey> {
        match kind {
            ObjectKind::ConfigMap => &self.config_maps,
            ObjectKind::Deployment => &self.deployments,
            ObjectKind::Service => &self.services,
        }
    }
}

impl Stores {
    /// The cached live object as JSON (`None`: not in the cache).
    pub(crate) fn live(&self, key: &ObjectKey) -> Option<Value> {
        fn get<K>(store: &Store<K>, key: &ObjectKey) -> Option<Value>
        where
            K: kube::Resource<DynamicType = ()> + Clone + serde::Serialize + 'static,
        {
            let r = ObjectRef::new(&key.name).within(&key.namespace);
            store
                .get(&r)
                .map(|o| serde_json::to_value(&*o).expect("objects serialize"))
        }
        match key.kind {
            ObjectKind::Deployment => get(&self.deployments, key),
            ObjectKind::Service => get(&self.services, key),
            ObjectKind::ConfigMap => get(&self.config_maps, key),
        }
    }

    /// The cached object's metadata (`None`: not in the cache).
    pub(crate) fn meta(&self, key: &ObjectKey) -> Option<ObjectMeta> {
        fn get<K: kube::Resource<DynamicType = ()> + Clone + 'static>(
            store: &Store<K>,
            key: &ObjectKey,
        ) -> Option<ObjectMeta> {
            let r = ObjectRef::new(&key.name).within(&key.namespace);
            store.get(&r).map(|o| o.meta().clone())
        }
        match key.kind {
            ObjectKind::Deployment => get(&self.deployments, key),
            ObjectKind::Service => get(&self.services, key),
            ObjectKind::ConfigMap => get(&self.config_maps, key),
        }
    }

    /// Every cached object carrying environment `namespace/name`'s owner labels: what a
    /// crash between an apply and the status write recording it would leave behind.
    pub(crate) fn owned_by(&self, namespace: &str, name: &str) -> Vec<ObjectKey> {
        let key = ownership::owner_key(namespace, name);
        let mut out = self.owned.config_maps.get(&key);
        out.extend(self.owned.deployments.get(&key));
        out.extend(self.owned.services.get(&key));
        out
    }

    /// The environments whose `dependsOn` names `namespace/name`.
    pub(crate) fn dependents_of(&self, namespace: &str, name: &str) -> Vec<(String, String)> {
        self.dependents
            .get(&(namespace.to_owned(), name.to_owned()))
    }

    pub(crate) fn deployment(
        &self,
        namespace: &str,
        name: &str,
    ) -> Option<std::sync::Arc<Deployment>> {
        self.deployments
            .get(&ObjectRef::new(name).within(namespace))
    }
}

pub(crate) struct Context {
    pub(crate) client: Client,
    pub(crate) metrics: Metrics,
    pub(crate) sources: std::sync::Arc<Sources>,
    pub(crate) recorder: Recorder,
    pub(crate) stores: Stores,
    /// The operator's policy every spec is checked against.
    pub(crate) policy: Policy,
    /// Where health checks may connect.
    pub(crate) egress: Egress,
    pub(crate) backoff: BackoffPolicy,
    /// Consecutive failures per environment (namespace, name), for backoff.
    pub(crate) failures: Mutex<HashMap<(String, String), u32>>,
    /// What this process last applied per environment (namespace, name).
    pub(crate) applied: Mutex<HashMap<(String, String), Written>>,
    /// Its status writes the watch cache does not show yet.
    pub(crate) own_writes: OwnWrites,
    /// The versions its applies returned, until the object watches show them.
    pub(crate) applied_versions: AppliedVersions,
    /// When rolling Deployments' pods were last listed for crash loops.
    pub(crate) crash_checks: crate::io::rollout_driver::CrashChecks,
    /// Objects an environment is creating, by key: two environments rendering one name
    /// cannot both create it (the watch cache shows a new object only later).
    pub(crate) claims: Mutex<HashMap<ObjectKey, (String, String)>>,
    /// Environments to reconcile now (webhooks, dependencies becoming ready).
    pub(crate) trigger: mpsc::UnboundedSender<ObjectRef<ClaudeEnvironment>>,
    /// When workstation records are stale, and when they are deleted.
    pub(crate) workstation_periods: crate::decisions::workstations::Periods,
    /// History length, audit log, notifications, commit authors.
    pub(crate) governance: Governance,
}

impl Context {
    /// Whether `desired` differs from what this process last applied for the environment
    /// (a restarted controller applies once; SSA makes that a no-op).
    pub(crate) fn needs_apply(&self, namespace: &str, name: &str, desired: &[Manifest]) -> bool {
        let key = (namespace.to_string(), name.to_string());
        self.applied.locked().get(&key).and_then(|w| w.objects) != Some(fingerprint(desired))
    }

    /// Remember what was applied (see [`Context::needs_apply`]).
    pub(crate) fn applied(&self, namespace: &str, name: &str, desired: &[Manifest]) {
        let key = (namespace.to_string(), name.to_string());
        let mut applied = self.applied.locked();
        let w = applied.entry(key).or_default();
        w.objects = Some(fingerprint(desired));
        w.each = fingerprints(desired);
    }

    /// The objects of `desired` this process has not applied with these values for the
    /// environment: a rollout step changes one or two objects of a set, and re-applying the
    /// others costs the API server an SSA merge each for nothing.
    pub(crate) fn changed<'d>(
        &self,
        namespace: &str,
        name: &str,
        desired: &'d [Manifest],
    ) -> Vec<&'d Manifest> {
        let applied = self.applied.locked();
        let each = applied.get(&(namespace.to_string(), name.to_string()));
        changed(each.map(|w| &w.each), desired)
    }

    /// Claim `key` for environment `namespace/name` before creating it. `Err` names the
    /// environment that claimed it first.
    pub(crate) fn claim(
        &self,
        key: &ObjectKey,
        namespace: &str,
        name: &str,
    ) -> Result<(), (String, String)> {
        let mut claims = self.claims.locked();
        match claims.get(key) {
            Some((ns, n)) if (ns.as_str(), n.as_str()) != (namespace, name) => {
                Err((ns.clone(), n.clone()))
            }
            Some(_) => Ok(()),
            None => {
                claims.insert(key.clone(), (namespace.to_string(), name.to_string()));
                Ok(())
            }
        }
    }

    /// Forget a claim (the object was deleted).
    pub(crate) fn release(&self, key: &ObjectKey) {
        self.claims.locked().remove(key);
    }

    /// Whether this process has applied anything for the environment since it started
    /// (a first apply after a start sweeps objects a crash may have left unrecorded).
    pub(crate) fn has_applied(&self, namespace: &str, name: &str) -> bool {
        self.applied
            .locked()
            .get(&(namespace.to_string(), name.to_string()))
            .is_some_and(|w| w.objects.is_some())
    }

    /// Record a failure; returns how many in a row.
    pub(crate) fn failed(&self, namespace: &str, name: &str) -> u32 {
        let mut f = self.failures.locked();
        let n = f
            .entry((namespace.to_string(), name.to_string()))
            .or_default();
        *n += 1;
        *n
    }

    pub(crate) fn succeeded(&self, namespace: &str, name: &str) {
        self.failures
            .locked()
            .remove(&(namespace.to_string(), name.to_string()));
    }
}

/// What this process last wrote for one environment.
#[derive(Clone, Debug, Default)]
pub(crate) struct Written {
    /// Fingerprint of the objects last applied (see [`Context::needs_apply`]).
    pub(crate) objects: Option<u64>,
    /// Fingerprint of each object last applied (see [`Context::changed`]).
    pub(crate) each: HashMap<ObjectKey, u64>,
}

/// A stable hash of a desired object set (keys and values, in order).
fn fingerprint(desired: &[Manifest]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    for d in desired {
        d.key.hash(&mut h);
        d.value.to_string().hash(&mut h);
    }
    h.finish()
}

/// Each object's fingerprint, by key.
fn fingerprints(desired: &[Manifest]) -> HashMap<ObjectKey, u64> {
    desired
        .iter()
        .map(|d| (d.key.clone(), fingerprint(std::slice::from_ref(d))))
        .collect()
}

/// The objects of `desired` whose fingerprint is not the one recorded in `applied`.
fn changed<'d>(
    applied: Option<&HashMap<ObjectKey, u64>>,
    desired: &'d [Manifest],
) -> Vec<&'d Manifest> {
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

    fn cm(name: &str, data: &str) -> Manifest {
        Manifest::from_value(
            json!({"kind": "ConfigMap", "metadata": {"namespace": "ns", "name": name}, "data": {"k": data}}),
            None,
        )
        .unwrap()
    }

    fn names(v: Vec<&Manifest>) -> Vec<&str> {
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
