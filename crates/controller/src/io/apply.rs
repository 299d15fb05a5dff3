//! Server-side apply, prune and reads of the objects we render (the only writes besides
//! status and Events).

use claude_env_api::{FIELD_MANAGER, Inventory, ObjectKey};
use kube::Client;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams};
use serde_json::Value;
use tracing::warn;

use crate::context::Context;
use crate::decisions::inventory;
use crate::decisions::plan::EnvPlan;
use crate::error::{Error, Result};
use claude_env_render::Manifest;

fn api(client: &Client, key: &ObjectKey) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), &key.namespace, &key.kind.api_resource())
}

/// Apply with force: our one field manager owns what we render, whoever changed it since.
pub(crate) async fn apply(client: &Client, obj: &Manifest) -> Result<()> {
    api(client, &obj.key)
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
pub(crate) async fn delete(client: &Client, key: &ObjectKey) -> Result<bool> {
    match api(client, key)
        .delete(&key.name, &DeleteParams::background())
        .await
    {
        Ok(_) => Ok(true),
        Err(kube::Error::Api(s)) if s.code == 404 => Ok(false),
        Err(source) => Err(Error::Prune {
            object: key.to_string(),
            source,
        }),
    }
}

/// The live object, read from the API server (drift confirmation; not the cache).
pub(crate) async fn get(client: &Client, key: &ObjectKey) -> Result<Option<Value>> {
    let obj = api(client, key)
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
pub(crate) struct Changes {
    pub(crate) applied: Vec<String>,
    pub(crate) pruned: Vec<String>,
}

impl Changes {
    pub(crate) fn is_empty(&self) -> bool {
        self.applied.is_empty() && self.pruned.is_empty()
    }

    /// `applied ConfigMap/a, Deployment/b; pruned ConfigMap/c`.
    pub(crate) fn summary(&self) -> String {
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
pub(crate) async fn apply_and_prune(
    ctx: &Context,
    plan: &EnvPlan,
    old_inventory: Option<&Inventory>,
    desired: &[Manifest],
    new_inventory: &Inventory,
) -> Result<Changes> {
    let changed = ctx.changed(&plan.namespace, &plan.name, desired);
    for d in &changed {
        apply(&ctx.client, d).await?;
    }
    ctx.metrics.apply_requests(changed.len());
    let (old, unknown) = inventory::keys(old_inventory);
    for u in unknown {
        warn!(error = %u, "inventory entry not pruned");
    }
    let stale = inventory::stale(&old, new_inventory);
    let mut pruned = Vec::new();
    for key in &stale {
        if delete(&ctx.client, key).await? {
            pruned.push(format!("{}/{}", key.kind, key.name));
        }
    }
    ctx.metrics.apply_requests(stale.len());
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
