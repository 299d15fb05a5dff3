//! Writing status: what `status::next` computes (pure), patched only when it differs, and
//! only over the version it was computed from.

use claude_env_api::{
    ClaudeEnvironment, ClaudeEnvironmentStatus, FIELD_MANAGER, annotations, condition,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;
use kube::api::{Api, Patch, PatchParams};
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
    let params = PatchParams {
        field_manager: Some(FIELD_MANAGER.into()),
        ..PatchParams::default()
    };
    let written = api
        .patch_status(&env.name_any(), &params, &Patch::Json::<()>(patch))
        .await
        .map_err(Error::Status)?;
    ctx.governance.status_written(env, old, &new);
    // The watch cache may lag this write: the next reconcile decides from it until then.
    ctx.own_writes.record(written);
    Ok(true)
}

/// The whole status replaced, conditional on the version this reconcile decided from: a
/// replica that lost the lease, or any write since, fails the patch's test (retried once the
/// watch shows the newer version) instead of overwriting a newer rollout state.
///
/// A JSON Patch, not a server-side apply: status has one writer, so field ownership buys
/// nothing, and at 10,000 environments the API server's apply merge of every status (two
/// per environment per push) was much of its CPU, the bottleneck of a push.
fn patch(env: &ClaudeEnvironment, status: &ClaudeEnvironmentStatus) -> json_patch::Patch {
    let mut ops = Vec::new();
    if let Some(version) = env.resource_version() {
        ops.push(json!({"op": "test", "path": "/metadata/resourceVersion", "value": version}));
    }
    ops.push(json!({"op": "add", "path": "/status", "value": status}));
    serde_json::from_value(serde_json::Value::Array(ops)).expect("a JSON Patch")
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
        let status = ClaudeEnvironmentStatus {
            observed_generation: Some(3),
            ..Default::default()
        };
        let p = serde_json::to_value(patch(&env, &status)).unwrap();
        assert_eq!(
            p,
            json!([
                {"op": "test", "path": "/metadata/resourceVersion", "value": "4711"},
                {"op": "add", "path": "/status", "value": {"observedGeneration": 3}},
            ])
        );
        // The patch applied to an object at another version fails its test.
        let mut live = serde_json::to_value(&env).unwrap();
        json_patch::patch(&mut live, &patch(&env, &status)).unwrap();
        assert_eq!(live["status"]["observedGeneration"], 3);
        live["metadata"]["resourceVersion"] = json!("4712");
        assert!(json_patch::patch(&mut live, &patch(&env, &status)).is_err());
    }
}
