//! Server-side apply, prune and reads of the objects we render (the only writes besides
//! status and Events).

use claude_env_api::{FIELD_MANAGER, Inventory, InventoryEntry};
use claude_env_drift::ObjectKey;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use kube::Client;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, Patch, PatchParams};
use serde_json::Value;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::inventory;
use crate::objects::Desired;
use crate::plan::Plan;

fn resource(kind: &str) -> ApiResource {
    match kind {
        "Deployment" => ApiResource::erase::<Deployment>(&()),
        "Service" => ApiResource::erase::<Service>(&()),
        _ => ApiResource::erase::<ConfigMap>(&()),
    }
}

fn api(client: &Client, kind: &str, namespace: &str) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), namespace, &resource(kind))
}

/// Apply with force: our one field manager owns what we render, whoever changed it since.
pub async fn apply(client: &Client, obj: &Desired) -> Result<()> {
    api(client, &obj.key.kind, &obj.key.namespace)
        .patch(
            &obj.key.name,
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&obj.value),
        )
        .await
        .map_err(|source| Error::Apply {
            object: obj.key.to_string(),
            source,
        })?;
    Ok(())
}

/// Delete an object we applied before; gone already is fine.
pub async fn delete(client: &Client, e: &InventoryEntry) -> Result<bool> {
    match api(client, &e.kind, &e.namespace)
        .delete(&e.name, &DeleteParams::background())
        .await
    {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(false),
        Err(source) => Err(Error::Prune {
            object: format!("{}/{}/{}", e.kind, e.namespace, e.name),
            source,
        }),
    }
}

/// The live object, read from the API server (drift confirmation; not the cache).
pub async fn get(client: &Client, key: &ObjectKey) -> Result<Option<Value>> {
    let obj = api(client, &key.kind, &key.namespace)
        .get_opt(&key.name)
        .await
        .map_err(|source| Error::Read {
            what: key.to_string(),
            source,
        })?;
    Ok(obj.map(|o| serde_json::to_value(o).expect("objects serialize")))
}

/// What one apply changed, for the sync's Event: `Kind/name` of objects applied and pruned.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Changes {
    pub applied: Vec<String>,
    pub pruned: Vec<String>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.applied.is_empty() && self.pruned.is_empty()
    }

    /// `applied ConfigMap/a, Deployment/b; pruned ConfigMap/c`.
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if !self.applied.is_empty() {
            parts.push(format!("applied {}", self.applied.join(", ")));
        }
        if !self.pruned.is_empty() {
            parts.push(format!("pruned {}", self.pruned.join(", ")));
        }
        parts.join("; ")
    }
}

/// Apply the desired objects this process has not applied as they are now (all of them
/// after a restart or a forgotten apply; SSA makes a repeat a no-op), then prune what the
/// old inventory has and the new one does not.
pub async fn apply_and_prune(
    ctx: &Context,
    plan: &Plan,
    old_inventory: Option<&Inventory>,
    desired: &[Desired],
    new_inventory: &Inventory,
) -> Result<Changes> {
    let changed = ctx.changed(&plan.namespace, &plan.name, desired);
    for d in &changed {
        apply(&ctx.client, d).await?;
    }
    ctx.metrics
        .apply_requests_total
        .inc_by(changed.len() as u64);
    let stale = inventory::stale(old_inventory, new_inventory);
    let mut pruned = Vec::new();
    for e in &stale {
        if delete(&ctx.client, e).await? {
            pruned.push(format!("{}/{}", e.kind, e.name));
        }
    }
    ctx.metrics.apply_requests_total.inc_by(stale.len() as u64);
    Ok(Changes {
        applied: changed
            .iter()
            .map(|d| format!("{}/{}", d.key.kind, d.key.name))
            .collect(),
        pruned,
    })
}

#[cfg(test)]
mod tests {
    use super::Changes;

    #[test]
    fn the_summary_names_what_was_applied_and_pruned() {
        let c = |applied: &[&str], pruned: &[&str]| Changes {
            applied: applied.iter().map(|s| s.to_string()).collect(),
            pruned: pruned.iter().map(|s| s.to_string()).collect(),
        };
        assert_eq!(
            c(&["ConfigMap/a", "Deployment/b"], &["ConfigMap/c"]).summary(),
            "applied ConfigMap/a, Deployment/b; pruned ConfigMap/c"
        );
        assert_eq!(c(&[], &["ConfigMap/c"]).summary(), "pruned ConfigMap/c");
        assert!(c(&[], &[]).is_empty());
    }
}
