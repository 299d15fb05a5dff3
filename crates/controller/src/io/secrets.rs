//! Secrets the spec references: source credentials and signature verification keys. Only
//! these are read, and only when needed.

use std::collections::BTreeMap;

use claude_env_api::ClaudeEnvironment;
use claude_env_source::auth::Auth;
use k8s_openapi::api::core::v1::Secret;
use kube::ResourceExt;
use kube::api::Api;

use crate::context::Context;
use crate::error::{Error, Result};

/// Credentials for the source, from `spec.source.secretRef` (read only when fetching).
pub(crate) async fn read_auth(ctx: &Context, env: &ClaudeEnvironment) -> Result<Auth> {
    let Some(r) = &env.spec.source.secret_ref else {
        return Ok(Auth::None);
    };
    let (_, data) = read_secret(ctx, env, &r.name).await?;
    Auth::from_secret_data(&data).map_err(|e| Error::SecretInvalid {
        namespace: env.namespace().unwrap_or_default(),
        name: r.name.clone(),
        reason: e.to_string(),
    })
}

/// A Secret in the environment's namespace: (resourceVersion, data). Only Secrets the spec
/// references are read.
pub(crate) async fn read_secret(
    ctx: &Context,
    env: &ClaudeEnvironment,
    name: &str,
) -> Result<(String, BTreeMap<String, Vec<u8>>)> {
    let ns = env.namespace().unwrap_or_default();
    let secret = Api::<Secret>::namespaced(ctx.client.clone(), &ns)
        .get(name)
        .await
        .map_err(|source| Error::SecretRead {
            namespace: ns.clone(),
            name: name.to_string(),
            source,
        })?;
    let version = secret.metadata.resource_version.clone().unwrap_or_default();
    let data = secret
        .data
        .unwrap_or_default()
        .into_iter()
        .map(|(k, v)| (k, v.0))
        .collect();
    Ok((version, data))
}
