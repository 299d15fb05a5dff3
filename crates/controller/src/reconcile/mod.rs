//! One reconcile of one ClaudeEnvironment: read it fresh, then through the finalizer either
//! sync it (`sync`) or, when it is being deleted, prune what it created. Errors requeue with
//! backoff.

mod sync;

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use claude_env_api::{ClaudeEnvironment, FINALIZER};
use futures::FutureExt;
use kube::ResourceExt;
use kube::api::Api;
use kube::runtime::controller::Action;
use kube::runtime::finalizer::{Event as Finalizer, finalizer};
use kube::runtime::reflector::ObjectRef;
use tracing::{info, warn};

use crate::context::Context;
use crate::decisions::inventory;
use crate::error::{Error, Result};
use crate::io::apply;
use crate::metrics::ReconcileResult;
use sync::sync;

/// The controller's reconcile: timed and counted, whatever the outcome. A panic in one
/// environment's reconcile is that reconcile's error (retried with backoff), not the end of
/// the process: the controller loop runs every reconcile in one task.
pub(crate) async fn reconcile(env: Arc<ClaudeEnvironment>, ctx: Arc<Context>) -> Result<Action> {
    let started = Instant::now();
    let result = guarded(reconcile_once(env, &ctx)).await;
    let outcome = if result.is_ok() {
        ReconcileResult::Success
    } else {
        ReconcileResult::Error
    };
    ctx.metrics.reconciled(outcome, started.elapsed());
    result
}

/// `work`'s result, or its panic as an error.
async fn guarded<F: std::future::Future<Output = Result<Action>>>(work: F) -> Result<Action> {
    match AssertUnwindSafe(work).catch_unwind().await {
        Ok(result) => result,
        Err(panic) => Err(Error::Panic(panic_message(&*panic))),
    }
}

/// What a panic said (a `&str` or `String` payload), for the log and the error.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

async fn reconcile_once(env: Arc<ClaudeEnvironment>, ctx: &Arc<Context>) -> Result<Action> {
    let ns = env.namespace().unwrap_or_default();
    let api: Api<ClaudeEnvironment> = Api::namespaced(ctx.client.clone(), &ns);
    let env = fresh(ctx, &api, env).await?;
    finalizer(&api, FINALIZER, env, |event| async {
        match event {
            Finalizer::Apply(env) => sync(env, ctx).await,
            Finalizer::Cleanup(env) => cleanup(env, ctx).await,
        }
    })
    .await
    .map_err(|e| match e {
        kube::runtime::finalizer::Error::ApplyFailed(e)
        | kube::runtime::finalizer::Error::CleanupFailed(e) => e,
        other => Error::Finalizer(Box::new(other)),
    })
}

/// The environment as the API server has it. The rollout machine's state lives in status,
/// and the watch cache can lag this process's own status writes (by a second or more on a
/// busy API server): deciding from an older status repeats or undoes steps — a canary back
/// at an earlier weight, a second promotion. The cache is used when it shows the newest
/// version this process knows of (its last status write or read), or a later one; when it
/// lags, the watch usually delivers our write within milliseconds, so it is given
/// `CATCH_UP` before one GET (the scale harness saw a GET in most reconciles otherwise).
async fn fresh(
    ctx: &Context,
    api: &Api<ClaudeEnvironment>,
    env: Arc<ClaudeEnvironment>,
) -> Result<Arc<ClaudeEnvironment>> {
    let (ns, name) = (env.namespace().unwrap_or_default(), env.name_any());
    let Some(known) = ctx.known_version(&ns, &name) else {
        // Nothing written or read by this process yet: the cache cannot lag our writes.
        return Ok(env);
    };
    if at_least(env.resource_version().as_deref(), &known) {
        return Ok(env);
    }
    let key = ObjectRef::from_obj(&*env);
    let deadline = Instant::now() + CATCH_UP;
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
        if let Some(cached) = ctx.stores.environments.get(&key)
            && at_least(cached.resource_version().as_deref(), &known)
        {
            return Ok(cached);
        }
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

/// How long a reconcile waits for the watch cache to show this process's last write.
const CATCH_UP: Duration = Duration::from_millis(500);

/// Whether a cached resourceVersion is `known` or newer. resourceVersions are opaque to
/// clients in general; the API server's are etcd revisions (integers that only grow), and
/// anything that does not parse counts as not newer (then the caller reads fresh).
fn at_least(cached: Option<&str>, known: &str) -> bool {
    match cached {
        None => false,
        Some(c) if c == known => true,
        Some(c) => matches!((c.parse::<u64>(), known.parse::<u64>()), (Ok(c), Ok(k)) if c > k),
    }
}

/// Requeue after an error with exponential backoff per environment.
pub(crate) fn error_policy(
    env: Arc<ClaudeEnvironment>,
    error: &Error,
    ctx: Arc<Context>,
) -> Action {
    let n = ctx.failed(&env.namespace().unwrap_or_default(), &env.name_any());
    let delay = ctx.backoff.delay(n);
    warn!(namespace = env.namespace(), name = env.name_any(), category = error.category(), error = %error, retry_in = ?delay, "reconcile failed");
    Action::requeue(delay)
}

/// Deletion: prune everything the environment created (its inventory, and whatever else
/// carries its owner labels: a crash may have left objects no inventory lists), then let
/// it go.
async fn cleanup(env: Arc<ClaudeEnvironment>, ctx: &Context) -> Result<Action> {
    let (ns, name) = (env.namespace().unwrap_or_default(), env.name_any());
    let status = env.status.clone().unwrap_or_default();
    let (mut keys, unknown) = inventory::keys(status.inventory.as_ref());
    for u in unknown {
        warn!(error = %u, "inventory entry not pruned");
    }
    keys.extend(ctx.stores.owned_by(&ns, &name));
    keys.sort();
    keys.dedup();
    let mut pruned = 0;
    for key in &keys {
        if apply::delete(ctx, &ns, &name, key).await? {
            pruned += 1;
        }
    }
    ctx.metrics.forget_environment(&ns, &name);
    info!(
        namespace = ns,
        name, pruned, "environment deleted; pruned its objects"
    );
    Ok(Action::await_change())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panicking_reconcile_is_an_error_and_the_next_one_runs() {
        let r = guarded(async { panic!("boom at {}", 42) }).await;
        assert!(
            matches!(&r, Err(Error::Panic(m)) if m == "boom at 42"),
            "{r:?}"
        );
        assert_eq!(r.unwrap_err().category(), "InternalError");
        let r = guarded(async { Ok(Action::await_change()) }).await;
        assert!(r.is_ok());
    }

    #[test]
    fn a_cached_version_counts_when_it_is_the_known_one_or_later() {
        assert!(at_least(Some("42"), "42"));
        assert!(at_least(Some("43"), "42"));
        assert!(!at_least(Some("41"), "42"), "the cache lags our write");
        assert!(!at_least(None, "42"));
        // Not integers: only equality is trusted.
        assert!(at_least(Some("abc"), "abc"));
        assert!(!at_least(Some("abd"), "abc"));
    }
}
