//! Writing status: what `status::next` computes (pure), patched only when it differs, and
//! only over the version it was computed from.

use claude_env_api::{
    ClaudeEnvironment, ClaudeEnvironmentStatus, FIELD_MANAGER, annotations, condition,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, Patch, PatchParams};
use kube::{Resource, ResourceExt};
use serde_json::json;

use crate::context::Context;
use crate::decisions::status::{self, Input, Observation, conditions};
use crate::error::{Error, Result};
use crate::metrics::EnvLabels;

/// Write the status `observation` leads to, if it differs. Returns whether it wrote.
pub(crate) async fn write(
    ctx: &Context,
    env: &ClaudeEnvironment,
    old: &ClaudeEnvironmentStatus,
    observation: &Observation,
) -> Result<bool> {
    let now = Time(jiff::Timestamp::now());
    let mut next = status::next(Input {
        old,
        observation,
        generation: env.metadata.generation,
        verify: env.spec.source.verify.is_some(),
        now: &now,
        history_limit: ctx.governance.history_limit,
    });
    next.last_handled_reconcile_at = env.annotations().get(annotations::RECONCILE).cloned();
    ctx.metrics.set_environment(
        &EnvLabels::of(env),
        conditions::is_true(&next.conditions, condition::READY),
    );
    let Some(new) = status::changed(old, next) else {
        return Ok(false);
    };
    let api: Api<ClaudeEnvironment> =
        Api::namespaced(ctx.client.clone(), &env.namespace().unwrap_or_default());
    let patch = patch(env, &new);
    let written = api
        .patch_status(
            &env.name_any(),
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&patch),
        )
        .await
        .map_err(Error::Status)?;
    ctx.governance.status_written(env, old, &new);
    // The watch cache may lag this write: the next reconcile decides from it until then.
    ctx.own_writes.record(written);
    Ok(true)
}

/// The status apply, conditional on the version this reconcile decided from: a replica that
/// lost the lease, or any write since, makes it a conflict (retried once the watch shows it)
/// instead of overwriting a newer rollout state.
fn patch(env: &ClaudeEnvironment, status: &ClaudeEnvironmentStatus) -> serde_json::Value {
    json!({
        "apiVersion": ClaudeEnvironment::api_version(&()),
        "kind": ClaudeEnvironment::kind(&()),
        "metadata": {"resourceVersion": env.resource_version()},
        "status": status,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_status_write_is_conditional_on_the_version_decided_from() {
        let env: ClaudeEnvironment = serde_json::from_value(json!({
            "apiVersion": "claude-env.io/v1alpha1", "kind": "ClaudeEnvironment",
            "metadata": {"name": "be", "namespace": "ns", "resourceVersion": "4711"},
            "spec": {"source": {"url": "u"}, "environment": "staging"}
        }))
        .unwrap();
        let p = patch(&env, &ClaudeEnvironmentStatus::default());
        assert_eq!(p["metadata"]["resourceVersion"], "4711");
        assert_eq!(p["kind"], "ClaudeEnvironment");
    }
}
