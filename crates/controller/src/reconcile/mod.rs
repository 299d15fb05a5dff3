//! One reconcile of one ClaudeEnvironment: read it fresh, then through the finalizer either
//! sync it (`sync`) or, when it is being deleted, prune what it created. Errors requeue with
//! backoff.

mod sync;

use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Instant;

use claude_env_api::{ClaudeEnvironment, FINALIZER};
use futures::FutureExt;
use kube::ResourceExt;
use kube::api::Api;
use kube::runtime::controller::Action;
use kube::runtime::finalizer::{Event as Finalizer, finalizer};
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
    // The cache can lag this process's own status writes: decide from the newest.
    let env = ctx.own_writes.newest(env);
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
}
