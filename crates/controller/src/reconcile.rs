//! One reconcile of one ClaudeEnvironment: read it fresh, then through the finalizer either
//! sync it (`sync`) or, when it is being deleted, prune what it created. Errors requeue with
//! backoff.

use std::sync::Arc;
use std::time::Instant;

use claude_env_api::{ClaudeEnvironment, FINALIZER};
use kube::ResourceExt;
use kube::api::Api;
use kube::runtime::controller::Action;
use kube::runtime::finalizer::{Event as Finalizer, finalizer};
use tracing::{info, warn};

use crate::apply;
use crate::context::Context;
use crate::error::{Error, Result};
use crate::sync::sync;

/// The controller's reconcile: timed and counted, whatever the outcome.
pub async fn reconcile(env: Arc<ClaudeEnvironment>, ctx: Arc<Context>) -> Result<Action> {
    let started = Instant::now();
    let ns = env.namespace().unwrap_or_default();
    let api: Api<ClaudeEnvironment> = Api::namespaced(ctx.client.clone(), &ns);
    let result = match fresh(&ctx, &api, env).await {
        Ok(env) => finalizer(&api, FINALIZER, env, |event| async {
            match event {
                Finalizer::Apply(env) => sync(env, &ctx).await,
                Finalizer::Cleanup(env) => cleanup(env, &ctx).await,
            }
        })
        .await
        .map_err(|e| match e {
            kube::runtime::finalizer::Error::ApplyFailed(e)
            | kube::runtime::finalizer::Error::CleanupFailed(e) => e,
            other => Error::Finalizer(Box::new(other)),
        }),
        Err(e) => Err(e),
    };
    ctx.metrics
        .reconcile_duration_seconds
        .observe(started.elapsed().as_secs_f64());
    let label = if result.is_ok() { "success" } else { "error" };
    ctx.metrics
        .reconcile_total
        .with_label_values(&[label])
        .inc();
    result
}

/// The environment as the API server has it. The rollout machine's state lives in status,
/// and the watch cache can lag this process's own status writes (by a second or more on a
/// busy API server): deciding from an older status repeats or undoes steps — a canary back
/// at an earlier weight, a second promotion. The cache is used when it shows the newest
/// version this process knows of (its last status write or read); otherwise one GET.
async fn fresh(
    ctx: &Context,
    api: &Api<ClaudeEnvironment>,
    env: Arc<ClaudeEnvironment>,
) -> Result<Arc<ClaudeEnvironment>> {
    let (ns, name) = (env.namespace().unwrap_or_default(), env.name_any());
    let cached = env.resource_version();
    if cached.is_some() && ctx.known_version(&ns, &name) == cached {
        return Ok(env);
    }
    match api.get_opt(&name).await {
        Ok(Some(mut live)) => {
            live.managed_fields_mut().clear();
            ctx.seen_version(&ns, &name, live.resource_version());
            Ok(Arc::new(live))
        }
        // Gone: the cached object (being deleted) is all there is.
        Ok(None) => Ok(env),
        Err(source) => Err(Error::Read {
            what: format!("ClaudeEnvironment {ns}/{name}"),
            source,
        }),
    }
}

/// Requeue after an error with exponential backoff per environment.
pub fn error_policy(env: Arc<ClaudeEnvironment>, error: &Error, ctx: Arc<Context>) -> Action {
    let n = ctx.failed(&env.namespace().unwrap_or_default(), &env.name_any());
    let delay = ctx.backoff.delay(n);
    warn!(namespace = env.namespace(), name = env.name_any(), category = error.category(), error = %error, retry_in = ?delay, "reconcile failed");
    Action::requeue(delay)
}

/// Deletion: prune everything the environment created, then let it go.
async fn cleanup(env: Arc<ClaudeEnvironment>, ctx: &Context) -> Result<Action> {
    let status = env.status.clone().unwrap_or_default();
    let mut pruned = 0;
    for e in status.inventory.iter().flat_map(|i| i.entries.iter()) {
        if apply::delete(&ctx.client, e).await? {
            pruned += 1;
        }
    }
    ctx.metrics.forget_environment(
        &env.namespace().unwrap_or_default(),
        &env.name_any(),
        &env.spec.environment,
    );
    info!(
        namespace = env.namespace(),
        name = env.name_any(),
        pruned,
        "environment deleted; pruned its objects"
    );
    Ok(Action::await_change())
}
