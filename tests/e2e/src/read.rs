//! Small readers and steering of test objects that several test files share.

use claude_env_api::ClaudeEnvironment;
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams};
use serde_json::json;

/// (status, reason, message) of the environment's condition `type_`.
pub fn condition_of(env: &ClaudeEnvironment, type_: &str) -> Option<(String, String, String)> {
    env.status
        .as_ref()?
        .conditions
        .iter()
        .find(|c| c.type_ == type_)
        .map(|c| (c.status.clone(), c.reason.clone(), c.message.clone()))
}

/// The first container's image of a Deployment's pod template.
pub fn image(d: &Deployment) -> String {
    d.spec
        .as_ref()
        .unwrap()
        .template
        .spec
        .as_ref()
        .unwrap()
        .containers[0]
        .image
        .clone()
        .unwrap_or_default()
}

/// Set one annotation on an environment (a merge patch, as `kubectl annotate` does).
pub async fn annotate(api: &Api<ClaudeEnvironment>, name: &str, key: &str, value: &str) {
    let patch = json!({"metadata": {"annotations": {key: value}}});
    api.patch(name, &PatchParams::default(), &Patch::Merge(&patch))
        .await
        .unwrap();
}
