//! Server-side apply, prune and reads of the objects we render (the only writes besides
//! status and Events).

use claude_env_api::{ClaudeEnvironment, FIELD_MANAGER, Inventory, InventoryEntry};
use claude_env_drift::ObjectKey;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Service};
use kube::Client;
use kube::api::{Api, ApiResource, DeleteParams, DynamicObject, Patch, PatchParams};
use serde_json::Value;

use crate::context::Context;
use crate::error::{Error, Result};
use crate::events::publish;
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

/// Apply the desired objects this process has not applied as they are now (all of them
/// after a restart or a forgotten apply; SSA makes a repeat a no-op), then prune what the
/// old inventory has and the new one does not. `announce`: publish an Applied Event (when
/// the rollout state or inventory changed, not on every re-apply).
pub async fn apply_and_prune(
    ctx: &Context,
    env: &ClaudeEnvironment,
    plan: &Plan,
    old_inventory: Option<&Inventory>,
    desired: &[Desired],
    new_inventory: &Inventory,
    announce: bool,
) -> Result<()> {
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
    if announce && !changed.is_empty() {
        let names: Vec<String> = changed
            .iter()
            .map(|d| format!("{}/{}", d.key.kind, d.key.name))
            .collect();
        publish(
            &ctx.recorder,
            env,
            false,
            "Applied",
            "Apply",
            format!("{}: {}", plan.selection, names.join(", ")),
        )
        .await;
    }
    if !pruned.is_empty() {
        publish(
            &ctx.recorder,
            env,
            false,
            "Pruned",
            "Prune",
            format!("no longer rendered: {}", pruned.join(", ")),
        )
        .await;
    }
    Ok(())
}
