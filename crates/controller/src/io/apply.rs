//! Server-side apply, prune and reads of the objects we render (the only writes besides
//! status and Events). Nothing is applied over, or deleted, that is not the environment's
//! own (`decisions::ownership`): objects another environment owns or that claude-env did
//! not create are a conflict, and a conflict anywhere stops the whole apply before it
//! starts.

use claude_env_api::{FIELD_MANAGER, Inventory, ObjectKey};
use claude_env_render::Manifest;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use kube::Client;
use kube::api::{Api, DeleteParams, DynamicObject, Patch, PatchParams, Preconditions};
use serde_json::Value;
use tracing::warn;

use crate::context::Context;
use crate::decisions::inventory;
use crate::decisions::ownership::{self, Conflict, Owner};
use crate::decisions::plan::EnvPlan;
use crate::error::{Error, Result};

fn api(client: &Client, key: &ObjectKey) -> Api<DynamicObject> {
    Api::namespaced_with(client.clone(), &key.namespace, &key.kind.api_resource())
}

/// Apply with force: our one field manager owns what we render, whoever changed it since.
/// The version it returns is remembered until the watch shows it (`AppliedVersions`).
pub(crate) async fn apply(ctx: &Context, obj: &Manifest) -> Result<()> {
    let applied = api(&ctx.client, &obj.key)
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
    ctx.applied_versions
        .record(&obj.key, applied.metadata.resource_version);
    Ok(())
}

/// Delete an object of the environment `namespace/name`; gone already is fine, and an
/// object that is not the environment's own (any more) is left alone. Returns whether it
/// was deleted.
pub(crate) async fn delete(
    ctx: &Context,
    namespace: &str,
    name: &str,
    key: &ObjectKey,
) -> Result<bool> {
    let Some(meta) = live_meta(ctx, key).await? else {
        ctx.release(key);
        return Ok(false);
    };
    let owner = ownership::owner(meta.labels.as_ref(), namespace, name);
    if owner != Owner::This {
        warn!(object = %key, ?owner, "not pruned: the object is not this environment's");
        return Ok(false);
    }
    // The uid precondition: the object checked above, not one recreated since.
    let params = DeleteParams {
        preconditions: meta.uid.map(|uid| Preconditions {
            uid: Some(uid),
            resource_version: None,
        }),
        ..DeleteParams::background()
    };
    let deleted = match api(&ctx.client, key).delete(&key.name, &params).await {
        Ok(_) => true,
        Err(kube::Error::Api(s)) if s.code == 404 || s.code == 409 => false,
        Err(source) => {
            return Err(Error::Prune {
                object: key.to_string(),
                source,
            });
        }
    };
    ctx.release(key);
    Ok(deleted)
}

/// The live object's metadata: from the watch cache (which holds the objects claude-env
/// labels), else from the API server (an object someone else created has no such label).
async fn live_meta(ctx: &Context, key: &ObjectKey) -> Result<Option<ObjectMeta>> {
    if let Some(meta) = ctx.stores.meta(key) {
        return Ok(Some(meta));
    }
    let found = api(&ctx.client, key)
        .get_metadata_opt(&key.name)
        .await
        .map_err(|source| Error::Read {
            what: key.to_string(),
            source,
        })?;
    Ok(found.map(|o| o.metadata))
}

/// Every object of `objects` is the environment's own or does not exist yet (then it is
/// claimed, so no other environment creates it meanwhile). The first conflict is an error.
async fn ensure_owned(ctx: &Context, plan: &EnvPlan, objects: &[&Manifest]) -> Result<()> {
    let (ns, name) = (plan.namespace.as_str(), plan.name.as_str());
    for d in objects {
        let owner = match live_meta(ctx, &d.key).await? {
            Some(meta) => ownership::owner(meta.labels.as_ref(), ns, name),
            None => match ctx.claim(&d.key, ns, name) {
                Ok(()) => Owner::This,
                Err((namespace, name)) => Owner::Other { namespace, name },
            },
        };
        if owner != Owner::This {
            return Err(Error::Conflict(Conflict {
                object: d.key.clone(),
                owner,
            }));
        }
    }
    Ok(())
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
/// after a restart or a forgotten apply; SSA makes a repeat a no-op) once every one of them
/// is known to be the environment's own, then prune what the old inventory has and the new
/// one does not. The first apply after a start also prunes objects carrying the
/// environment's owner labels that no inventory lists (left by a crash between an apply and
/// the status write recording it).
pub(crate) async fn apply_and_prune(
    ctx: &Context,
    plan: &EnvPlan,
    old_inventory: Option<&Inventory>,
    desired: &[Manifest],
    new_inventory: &Inventory,
) -> Result<Changes> {
    let sweep = !ctx.has_applied(&plan.namespace, &plan.name);
    let changed = ctx.changed(&plan.namespace, &plan.name, desired);
    ensure_owned(ctx, plan, &changed).await?;
    for d in &changed {
        apply(ctx, d).await?;
    }
    ctx.metrics.apply_requests(changed.len());
    let (mut old, unknown) = inventory::keys(old_inventory);
    for u in unknown {
        warn!(error = %u, "inventory entry not pruned");
    }
    if sweep {
        old.extend(ctx.stores.owned_by(&plan.namespace, &plan.name));
    }
    let stale = inventory::stale(&old, new_inventory);
    let mut pruned = Vec::new();
    for key in &stale {
        if delete(ctx, &plan.namespace, &plan.name, key).await? {
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
