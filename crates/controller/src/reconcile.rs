//! One reconcile of one ClaudeEnvironment: fetch → render → validate → gate → apply/prune or
//! detect drift → health → status.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use claude_env_api::{
    ClaudeEnvironment, ClaudeEnvironmentStatus, FIELD_MANAGER, FINALIZER, annotations,
};
use claude_env_render::RenderContext;
use claude_env_source::auth::Auth;
use k8s_openapi::api::core::v1::Secret;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::Time;
use kube::api::{Api, Patch, PatchParams};
use kube::runtime::controller::Action;
use kube::runtime::finalizer::{Event as Finalizer, finalizer};
use kube::runtime::reflector::ObjectRef;
use kube::{Resource, ResourceExt};
use serde_json::json;
use tracing::{Span, field, info, instrument, warn};

use crate::context::Context;
use crate::depends::{self, Gate};
use crate::error::{Error, Result};
use crate::events::publish;
use crate::objects::{self, Desired};
use crate::plan::Plan;
use crate::status::{self, Health, Input, Observation};
use crate::{apply, drift, health, inventory, target};

/// How soon to look again while workloads roll out or dependencies catch up (watch events
/// usually come first).
const PROGRESS_REQUEUE: Duration = Duration::from_secs(5);

pub async fn reconcile(env: Arc<ClaudeEnvironment>, ctx: Arc<Context>) -> Result<Action> {
    let started = Instant::now();
    let ns = env.namespace().unwrap_or_default();
    let api: Api<ClaudeEnvironment> = Api::namespaced(ctx.client.clone(), &ns);
    let result = finalizer(&api, FINALIZER, env, |event| async {
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
    });
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
            write_status(ctx, &env, &old, &obs).await?;
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
        write_status(ctx, &env, &old, &Observation::Suspended).await?;
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
            read_auth(ctx, &env)
        })
        .await
    {
        Ok(rev) => rev,
        Err(e) => {
            let obs = Observation::SourceFailed {
                reason: e.category(),
                message: e.to_string(),
            };
            write_status(ctx, &env, &old, &obs).await?;
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
            write_status(ctx, &env, &old, &obs).await?;
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
        let (version, keys) = read_secret(ctx, &env, &verify.secret_ref.name).await?;
        if let Err(e) = ctx
            .sources
            .verify(&plan.source.url, &target, &version, keys)
            .await?
        {
            let obs = Observation::Unverified {
                revision: target.clone(),
                message: e.to_string(),
            };
            if write_status(ctx, &env, &old, &obs).await? {
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
            if write_status(ctx, &env, &old, &obs).await? {
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
        && let Gate::Wait(message) = dependency_gate(ctx, &env, &target)
    {
        let obs = Observation::DependencyNotReady {
            revision: target.clone(),
            message,
        };
        write_status(ctx, &env, &old, &obs).await?;
        return Ok(Action::requeue(PROGRESS_REQUEUE));
    }

    let render_ctx = RenderContext {
        instance: plan.name.clone(),
        owner_namespace: plan.namespace.clone(),
        target_namespace: plan.target_namespace.clone(),
        environment: plan.selection.environment.clone(),
        team: plan.selection.team.clone(),
        project: plan.selection.project.clone(),
        revision: Some(target.clone()),
    };
    let rendered =
        claude_env_render::render_objects(&doc, &render_ctx).map_err(|source| Error::Render {
            selection: plan.selection.to_string(),
            revision: target.clone(),
            source: Box::new(source),
        })?;
    let desired = objects::desired(&rendered, &plan);
    let new_inventory = objects::inventory_of(&desired);

    let must_apply = rollback.is_some()
        || changes_revision
        || old.observed_generation != env.metadata.generation
        || old.inventory.as_ref() != Some(&new_inventory);
    let drift_status = if must_apply {
        if let Err(e) = apply_all(ctx, &env, &plan, &old, &desired, &new_inventory, &target).await {
            let obs = Observation::Failed {
                revision: Some(target.clone()),
                reason: e.category(),
                message: e.to_string(),
            };
            write_status(ctx, &env, &old, &obs).await?;
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
        let managed = claude_env_drift::detect(
            desired.iter().map(|d| (&d.key, &d.value)),
            |k| desired.iter().find(|d| &d.key == k).map(|d| &d.value),
            &plan.ignore,
        )
        .managed_leaves;
        drift::clean(managed, old.drift.as_ref())
    } else {
        let checked = drift::check(ctx, &plan, &desired).await?;
        report_drift(ctx, &env, &plan, &old, &checked).await;
        drift::status(&checked, old.drift.as_ref(), &now())
    };
    export_drift(ctx, &plan, &drift_status);

    let health = workload_health(ctx, &plan, &desired);
    let obs = Observation::Reconciled {
        revision: target.clone(),
        inventory: new_inventory,
        health: health.clone(),
        drift: Some(drift_status),
        rollback,
    };
    let became_ready = write_status(ctx, &env, &old, &obs).await? && health == Health::Healthy;
    ctx.succeeded(&plan.namespace, &plan.name);
    if became_ready {
        if changes_revision || old.last_known_good_revision.as_deref() != Some(&target) {
            ctx.metrics
                .sync_total
                .with_label_values(&[&plan.selection.environment, "success"])
                .inc();
        }
        wake_dependents(ctx, &env);
    }
    Ok(match health {
        Health::Progressing(_) => Action::requeue(PROGRESS_REQUEUE),
        _ => Action::requeue(plan.interval),
    })
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
    let rejected = old
        .rollout
        .as_ref()
        .and_then(|r| r.failed_revision.as_deref());
    Ok(target::choose(target::Inputs {
        rollback_to: resolved.as_ref().map(|(a, r)| (*a, r.as_str())),
        last_handled_rollback: old.last_handled_rollback_to.as_deref(),
        rejected,
        last_applied: old.last_applied_revision.as_deref(),
        tip,
    }))
}

async fn apply_all(
    ctx: &Context,
    env: &ClaudeEnvironment,
    plan: &Plan,
    old: &ClaudeEnvironmentStatus,
    desired: &[Desired],
    new_inventory: &claude_env_api::Inventory,
    revision: &str,
) -> Result<()> {
    for d in desired {
        apply::apply(&ctx.client, d).await?;
    }
    ctx.metrics
        .apply_requests_total
        .inc_by(desired.len() as u64);
    let stale = inventory::stale(old.inventory.as_ref(), new_inventory);
    let mut pruned = Vec::new();
    for e in &stale {
        if apply::delete(&ctx.client, e).await? {
            pruned.push(format!("{}/{}", e.kind, e.name));
        }
    }
    ctx.metrics.apply_requests_total.inc_by(stale.len() as u64);
    let names: Vec<String> = desired
        .iter()
        .map(|d| format!("{}/{}", d.key.kind, d.key.name))
        .collect();
    publish(
        &ctx.recorder,
        env,
        false,
        "Applied",
        "Apply",
        format!(
            "revision {} of {}: {}",
            status::short(revision),
            plan.selection,
            names.join(", ")
        ),
    )
    .await;
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

async fn report_drift(
    ctx: &Context,
    env: &ClaudeEnvironment,
    plan: &Plan,
    old: &ClaudeEnvironmentStatus,
    checked: &drift::Checked,
) {
    let detected = &checked.detected;
    if !detected.is_drifted() {
        return;
    }
    let already_reported = old
        .drift
        .as_ref()
        .is_some_and(|d| d.items == detected.items);
    if !already_reported || !checked.restored.is_empty() {
        publish(
            &ctx.recorder,
            env,
            true,
            "DriftDetected",
            "DetectDrift",
            drift::summary(detected),
        )
        .await;
    }
    if !checked.restored.is_empty() {
        let restored: Vec<String> = checked.restored.iter().map(ToString::to_string).collect();
        ctx.metrics
            .drift_remediations_total
            .with_label_values(&[&plan.selection.environment])
            .inc_by(restored.len() as u64);
        ctx.metrics
            .apply_requests_total
            .inc_by(restored.len() as u64);
        publish(
            &ctx.recorder,
            env,
            false,
            "DriftRemediated",
            "Remediate",
            format!(
                "restored ({:?} policy): {}",
                checked.remediation,
                restored.join(", ")
            ),
        )
        .await;
    }
}

fn export_drift(ctx: &Context, plan: &Plan, d: &claude_env_api::DriftStatus) {
    let (ns, name, env) = (&plan.namespace, &plan.name, &plan.selection.environment);
    ctx.metrics
        .drift_percentage
        .with_label_values(&[ns, name, env])
        .set(d.percentage);
    for (category, severity) in crate::metrics::all_classes() {
        let n = d
            .items
            .iter()
            .filter(|i| {
                format!("{:?}", i.category) == category && format!("{:?}", i.severity) == severity
            })
            .count();
        ctx.metrics
            .drift_items
            .with_label_values(&[ns, name, env, category, severity])
            .set(n as i64);
    }
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

fn dependency_gate(ctx: &Context, env: &ClaudeEnvironment, revision: &str) -> Gate {
    let own_ns = env.namespace().unwrap_or_default();
    let deps: Vec<(String, Option<Arc<ClaudeEnvironment>>)> = env
        .spec
        .depends_on
        .iter()
        .map(|d| {
            let ns = d.namespace.clone().unwrap_or_else(|| own_ns.clone());
            let found = ctx
                .stores
                .environments
                .get(&ObjectRef::new(&d.name).within(&ns));
            (format!("{ns}/{}", d.name), found)
        })
        .collect();
    let borrowed: Vec<(String, Option<&ClaudeEnvironment>)> = deps
        .iter()
        .map(|(n, e)| (n.clone(), e.as_deref()))
        .collect();
    depends::gate(revision, &borrowed)
}

/// Environments depending on `env` may be waiting for it: look now, not at their requeue.
fn wake_dependents(ctx: &Context, env: &ClaudeEnvironment) {
    let (ns, name) = (env.namespace().unwrap_or_default(), env.name_any());
    for other in ctx.stores.environments.state() {
        let other_ns = other.namespace().unwrap_or_default();
        let depends = other
            .spec
            .depends_on
            .iter()
            .any(|d| d.name == name && d.namespace.as_deref().unwrap_or(&other_ns) == ns);
        if depends {
            let _ = ctx.trigger.send(ObjectRef::from_obj(&*other));
        }
    }
}

/// Credentials for the source, from `spec.source.secretRef` (read only when fetching).
async fn read_auth(ctx: &Context, env: &ClaudeEnvironment) -> Result<Auth> {
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
async fn read_secret(
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

/// Write the status `observation` leads to, if it differs. Returns whether it wrote.
async fn write_status(
    ctx: &Context,
    env: &ClaudeEnvironment,
    old: &ClaudeEnvironmentStatus,
    observation: &Observation,
) -> Result<bool> {
    let now = now();
    let mut next = status::next(Input {
        old,
        observation,
        generation: env.metadata.generation,
        verify: env.spec.source.verify.is_some(),
        now: &now,
    });
    next.last_handled_reconcile_at = env.annotations().get(annotations::RECONCILE).cloned();
    let Some(new) = status::changed(old, next) else {
        return Ok(false);
    };
    let api: Api<ClaudeEnvironment> =
        Api::namespaced(ctx.client.clone(), &env.namespace().unwrap_or_default());
    let patch = json!({
        "apiVersion": ClaudeEnvironment::api_version(&()),
        "kind": ClaudeEnvironment::kind(&()),
        "status": new,
    });
    api.patch_status(
        &env.name_any(),
        &PatchParams::apply(FIELD_MANAGER).force(),
        &Patch::Apply(&patch),
    )
    .await
    .map_err(Error::Status)?;
    Ok(true)
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

fn now() -> Time {
    Time(jiff::Timestamp::now())
}
