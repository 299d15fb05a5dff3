//! One reconcile of one ClaudeEnvironment: fetch → render → validate → gate → apply/prune or
//! detect drift → health → status.

use std::sync::Arc;
use std::time::{Duration, Instant};

use claude_env_api::{
    ClaudeEnvironment, ClaudeEnvironmentStatus, FINALIZER, HistoryResult, annotations,
};
use claude_env_rollout::{Observations, RolloutState};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::ResourceExt;
use kube::api::Api;
use kube::runtime::controller::Action;
use kube::runtime::finalizer::{Event as Finalizer, finalizer};
use tracing::{Span, field, info, instrument, warn};

use crate::context::Context;
use crate::depends::Gate;
use crate::error::{Error, Result};
use crate::events::publish;
use crate::objects::{self, Desired};
use crate::plan::Plan;
use crate::status::{self, Health, Observation};
use crate::{apply, depends, drift, health, render, rollout, secrets, shape, status_io, target};

/// How soon to look again while workloads roll out or dependencies catch up (watch events
/// usually come first).
const PROGRESS_REQUEUE: Duration = Duration::from_secs(5);

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

#[instrument(skip_all, fields(namespace = env.namespace(), name = env.name_any(), revision = field::Empty))]
async fn sync(env: Arc<ClaudeEnvironment>, ctx: &Context) -> Result<Action> {
    let old = env.status.clone().unwrap_or_default();
    let plan = match Plan::from_spec(&env, &ctx.branches) {
        Ok(p) => p,
        Err(e) => {
            let obs = Observation::Failed {
                revision: None,
                reason: e.category(),
                message: e.to_string(),
            };
            status_io::write(ctx, &env, &old, &obs).await?;
            publish(
                &ctx.recorder,
                &env,
                true,
                e.category(),
                "Validate",
                e.to_string(),
            )
            .await;
            return Ok(Action::await_change());
        }
    };
    if env.spec.suspend {
        status_io::write(ctx, &env, &old, &Observation::Suspended).await?;
        return Ok(Action::await_change());
    }
    if let Some(requested) = env.annotations().get(annotations::RECONCILE)
        && old.last_handled_reconcile_at.as_deref() != Some(requested)
    {
        ctx.sources.invalidate(&plan.source);
    }

    let tip = match ctx
        .sources
        .revision(&plan.source, plan.interval, plan.timeout, || {
            secrets::read_auth(ctx, &env)
        })
        .await
    {
        Ok(rev) => rev,
        Err(e) => {
            let obs = Observation::SourceFailed {
                reason: e.category(),
                message: e.to_string(),
            };
            status_io::write(ctx, &env, &old, &obs).await?;
            publish(
                &ctx.recorder,
                &env,
                true,
                e.category(),
                "Fetch",
                e.to_string(),
            )
            .await;
            return Err(e);
        }
    };
    let target = match choose_target(ctx, &env, &plan, &old, &tip).await {
        Ok(t) => t,
        Err(e) => {
            let obs = Observation::Failed {
                revision: None,
                reason: e.category(),
                message: e.to_string(),
            };
            status_io::write(ctx, &env, &old, &obs).await?;
            publish(
                &ctx.recorder,
                &env,
                true,
                e.category(),
                "Rollback",
                e.to_string(),
            )
            .await;
            return Ok(Action::await_change());
        }
    };
    let rollback = target.rollback.clone();
    let target = target.revision;
    Span::current().record("revision", status::short(&target));

    if let Some(verify) = &env.spec.source.verify {
        let (version, keys) = secrets::read_secret(ctx, &env, &verify.secret_ref.name).await?;
        if let Err(e) = ctx
            .sources
            .verify(&plan.source.url, &target, &version, keys)
            .await?
        {
            let obs = Observation::Unverified {
                revision: target.clone(),
                message: e.to_string(),
            };
            if status_io::write(ctx, &env, &old, &obs).await? {
                publish(
                    &ctx.recorder,
                    &env,
                    true,
                    e.reason(),
                    "Verify",
                    e.to_string(),
                )
                .await;
            }
            return Ok(Action::requeue(plan.interval));
        }
    }

    let prepared = ctx
        .sources
        .prepare(&plan.source.url, &target, plan.path.as_deref())
        .await?;
    let document = match prepared.parsed.load(&plan.selection, None) {
        Ok(d) => d,
        Err(diagnostics) => {
            let message = diagnostics.to_string();
            info!(
                problems = diagnostics.len(),
                "revision is invalid; keeping what is applied"
            );
            let obs = Observation::Invalid {
                revision: target.clone(),
                message: message.clone(),
            };
            if status_io::write(ctx, &env, &old, &obs).await? {
                ctx.metrics
                    .sync_total
                    .with_label_values(&[&plan.selection.environment, "invalid"])
                    .inc();
                publish(
                    &ctx.recorder,
                    &env,
                    true,
                    "ValidationFailed",
                    "Validate",
                    message,
                )
                .await;
            }
            return Ok(Action::requeue(plan.interval));
        }
    };
    let doc = document
        .document()
        .map_err(|e| Error::Spec(format!("revision {target}: {e}")))?;

    let changes_revision = old.last_applied_revision.as_deref() != Some(&target);
    if changes_revision
        && !env.spec.depends_on.is_empty()
        && let Gate::Wait(message) = depends::gate_of(ctx, &env, &target)
    {
        let obs = Observation::DependencyNotReady {
            revision: target.clone(),
            message,
        };
        status_io::write(ctx, &env, &old, &obs).await?;
        return Ok(Action::requeue(PROGRESS_REQUEUE));
    }

    let rollout_plan = match claude_env_rollout::Plan::from_spec(&env.spec) {
        Ok(p) => p,
        Err(e) => {
            let obs = Observation::Failed {
                revision: Some(target.clone()),
                reason: "InvalidSpec",
                message: e.to_string(),
            };
            status_io::write(ctx, &env, &old, &obs).await?;
            return Ok(Action::await_change());
        }
    };
    let mut renders = shape::Rendered::new();
    renders.insert(target.clone(), render::document(&plan, &doc, &target)?);
    let servers = shape::servers(&renders[&target]);
    let observations = Observations {
        now: jiff::Timestamp::now(),
        desired: target.clone(),
        last_known_good: old.last_known_good_revision.clone(),
        approval: env.annotations().get(annotations::APPROVE).cloned(),
        retry: env.annotations().get(annotations::RETRY).cloned(),
        manual_rollback: rollback.is_some(),
        readiness: rollout::readiness(ctx, &plan, &servers).await,
        servers,
        results: Vec::new(),
    };
    let old_state = RolloutState::from_status(old.rollout.as_ref());
    let (decision, effects) = rollout::decide_with_checks(
        ctx,
        &env,
        &plan,
        &doc,
        &rollout_plan,
        old_state.clone(),
        observations,
    )
    .await;
    let state = &decision.state;
    let missing: Vec<String> = shape::revisions_needed(state)
        .into_iter()
        .filter(|r| !renders.contains_key(r))
        .collect();
    for revision in missing {
        match render::revision(ctx, &plan, &revision).await {
            Ok(objects) => {
                renders.insert(revision, objects);
            }
            Err(e) => {
                warn!(revision = status::short(&revision), error = %e, "cannot render a revision the rollout needs")
            }
        }
    }
    let desired = shape::desired_set(rollout_plan.strategy.kind(), state, &plan.name, &renders);
    let new_inventory = objects::inventory_of(&desired);
    let in_flight = state.stage.in_flight();

    let must_apply = ctx.needs_apply(&plan.namespace, &plan.name, &desired)
        || old.inventory.as_ref() != Some(&new_inventory);
    let drift_status = if must_apply {
        let announce = state != &old_state || old.inventory.as_ref() != Some(&new_inventory);
        if let Err(e) = apply::apply_and_prune(
            ctx,
            &env,
            &plan,
            old.inventory.as_ref(),
            &desired,
            &new_inventory,
            announce,
        )
        .await
        {
            let obs = Observation::Failed {
                revision: Some(target.clone()),
                reason: e.category(),
                message: e.to_string(),
            };
            status_io::write(ctx, &env, &old, &obs).await?;
            ctx.metrics
                .sync_total
                .with_label_values(&[&plan.selection.environment, "failure"])
                .inc();
            publish(
                &ctx.recorder,
                &env,
                true,
                e.category(),
                "Apply",
                e.to_string(),
            )
            .await;
            return Err(e);
        }
        ctx.applied(&plan.namespace, &plan.name, &desired);
        let managed = claude_env_drift::detect(
            desired.iter().map(|d| (&d.key, &d.value)),
            |k| desired.iter().find(|d| &d.key == k).map(|d| &d.value),
            &plan.ignore,
        )
        .managed_leaves;
        Some(drift::clean(managed, old.drift.as_ref()))
    } else if in_flight {
        // Objects change under a rollout: drift is judged once it is over.
        old.drift.clone()
    } else {
        let checked = drift::check(ctx, &plan, &desired).await?;
        drift::report(ctx, &env, &plan, old.drift.as_ref(), &checked).await;
        Some(drift::status(
            &checked,
            old.drift.as_ref(),
            &Time(jiff::Timestamp::now()),
        ))
    };
    if let Some(d) = &drift_status {
        drift::export(ctx, &plan, d);
    }
    rollout::record(ctx, &env, &effects).await;

    let rollout_status = decision.status();
    let serving = if in_flight {
        state.revision.clone()
    } else {
        state.stable.clone().or(state.revision.clone())
    };
    let health = workload_health(ctx, &plan, &desired);
    let outcomes = rollout::outcomes(&effects, state, rollback.as_ref(), &target);
    for (_, result, _) in &outcomes {
        let label = if *result == HistoryResult::Succeeded {
            "success"
        } else {
            "failure"
        };
        ctx.metrics
            .sync_total
            .with_label_values(&[&plan.selection.environment, label])
            .inc();
    }
    ctx.metrics.set_rollout_phase(
        &plan.namespace,
        &plan.name,
        &plan.selection.environment,
        &format!("{:?}", rollout_status.phase),
    );
    ctx.metrics
        .canary_weight
        .with_label_values(&[&plan.namespace, &plan.name, &plan.selection.environment])
        .set(i64::from(rollout_status.weight.unwrap_or(0)));
    let obs = Observation::Reconciled(Box::new(status::Reconciled {
        revision: serving.unwrap_or_else(|| target.clone()),
        inventory: new_inventory,
        health: health.clone(),
        drift: drift_status,
        rollout: Some(rollout_status),
        last_known_good: state.stable.clone(),
        outcomes,
        rollback,
    }));
    let written = status_io::write(ctx, &env, &old, &obs).await?;
    ctx.succeeded(&plan.namespace, &plan.name);
    if written && !in_flight && health == Health::Healthy {
        depends::wake_dependents(ctx, &env);
    }
    let wake = if in_flight || matches!(health, Health::Progressing(_)) {
        PROGRESS_REQUEUE
    } else {
        plan.interval
    };
    Ok(Action::requeue(
        decision.requeue_after.map_or(wake, |d| d.min(wake)),
    ))
}

/// The revision to run: the branch tip, unless a rollback asked for another one.
async fn choose_target(
    ctx: &Context,
    env: &ClaudeEnvironment,
    plan: &Plan,
    old: &ClaudeEnvironmentStatus,
    tip: &str,
) -> Result<target::Target> {
    let requested = env
        .annotations()
        .get(annotations::ROLLBACK_TO)
        .filter(|v| !v.is_empty());
    let resolved = match requested {
        Some(a) if old.last_handled_rollback_to.as_deref() != Some(a.as_str()) => Some((
            a.as_str(),
            ctx.sources
                .resolve(&plan.source.url, target::rollback_revision(a))
                .await?,
        )),
        _ => None,
    };
    // A failed rollout's revision is held by the rollout machine itself; what the controller
    // holds back is the tip a manual rollback turned away from.
    Ok(target::choose(target::Inputs {
        rollback_to: resolved.as_ref().map(|(a, r)| (*a, r.as_str())),
        last_handled_rollback: old.last_handled_rollback_to.as_deref(),
        rejected: old.rejected_revision.as_deref(),
        last_applied: old.last_applied_revision.as_deref(),
        tip,
    }))
}

fn workload_health(ctx: &Context, plan: &Plan, desired: &[Desired]) -> Health {
    let mut all = Vec::new();
    for d in desired.iter().filter(|d| d.key.kind == "Deployment") {
        let live = ctx.stores.deployment(&d.key.namespace, &d.key.name);
        if let Some(server) = &d.server {
            let up = health::is_up(live.as_deref());
            ctx.metrics
                .mcp_server_up
                .with_label_values(&[&plan.selection.environment, server])
                .set(i64::from(up));
        }
        all.push(health::deployment(&d.key.name, live.as_deref()));
    }
    if plan.readiness {
        health::combine(all)
    } else {
        Health::Healthy
    }
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
