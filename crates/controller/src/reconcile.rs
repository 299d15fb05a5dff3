//! One reconcile of one ClaudeEnvironment: fetch → render → validate → gate → apply/prune or
//! detect drift → health → status.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use claude_env_api::{
    ClaudeEnvironment, ClaudeEnvironmentStatus, FIELD_MANAGER, FINALIZER, HistoryResult,
    annotations,
};
use claude_env_config::Document;
use claude_env_render::RenderContext;
use claude_env_rollout::{Observations, RolloutState};
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
use crate::{apply, drift, health, inventory, rollout, shape, target};

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

    let rollout_plan = match claude_env_rollout::Plan::from_spec(&env.spec) {
        Ok(p) => p,
        Err(e) => {
            let obs = Observation::Failed {
                revision: Some(target.clone()),
                reason: "InvalidSpec",
                message: e.to_string(),
            };
            write_status(ctx, &env, &old, &obs).await?;
            return Ok(Action::await_change());
        }
    };
    let mut renders = shape::Rendered::new();
    renders.insert(target.clone(), render(&plan, &doc, &target)?);
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
        match render_revision(ctx, &plan, &revision).await {
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
        if let Err(e) = apply_all(ctx, &env, &plan, &old, &desired, &new_inventory, announce).await
        {
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
        report_drift(ctx, &env, &plan, &old, &checked).await;
        Some(drift::status(&checked, old.drift.as_ref(), &now()))
    };
    if let Some(d) = &drift_status {
        export_drift(ctx, &plan, d);
    }
    rollout::record(ctx, &env, &effects).await;

    let rollout_status = decision.status();
    let serving = if in_flight {
        state.revision.clone()
    } else {
        state.stable.clone().or(state.revision.clone())
    };
    let health = workload_health(ctx, &plan, &desired);
    let outcomes = outcomes(&effects, state, rollback.as_ref(), &target);
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
    let written = write_status(ctx, &env, &old, &obs).await?;
    ctx.succeeded(&plan.namespace, &plan.name);
    if written && !in_flight && health == Health::Healthy {
        wake_dependents(ctx, &env);
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

/// The objects of `doc` (already loaded and validated) at `revision`.
fn render(plan: &Plan, doc: &Document, revision: &str) -> Result<Vec<Desired>> {
    let render_ctx = RenderContext {
        instance: plan.name.clone(),
        owner_namespace: plan.namespace.clone(),
        target_namespace: plan.target_namespace.clone(),
        environment: plan.selection.environment.clone(),
        team: plan.selection.team.clone(),
        project: plan.selection.project.clone(),
        revision: Some(revision.to_string()),
    };
    let rendered =
        claude_env_render::render_objects(doc, &render_ctx).map_err(|source| Error::Render {
            selection: plan.selection.to_string(),
            revision: revision.to_string(),
            source: Box::new(source),
        })?;
    Ok(objects::desired(&rendered, plan))
}

/// Another revision's objects (the stable one, during and after a rollout), from Git.
async fn render_revision(ctx: &Context, plan: &Plan, revision: &str) -> Result<Vec<Desired>> {
    let prepared = ctx
        .sources
        .prepare(&plan.source.url, revision, plan.path.as_deref())
        .await?;
    let doc = prepared
        .parsed
        .load(&plan.selection, None)
        .map_err(|d| Error::Spec(format!("revision {revision} no longer loads: {d}")))?
        .document()
        .map_err(|e| Error::Spec(format!("revision {revision}: {e}")))?;
    render(plan, &doc, revision)
}

/// History entries for what the rollout machine finished, and for a manual rollback.
fn outcomes(
    effects: &[claude_env_rollout::Action],
    state: &RolloutState,
    rollback: Option<&target::Rollback>,
    target: &str,
) -> Vec<(String, HistoryResult, Option<String>)> {
    use claude_env_rollout::{Action as A, RolloutResult};
    let mut out = Vec::new();
    if let Some(rb) = rollback {
        let from = rb
            .rejected
            .as_deref()
            .map(|r| format!(" from {}", status::short(r)))
            .unwrap_or_default();
        out.push((
            target.to_string(),
            HistoryResult::RolledBack,
            Some(format!("rolled back on request{from}")),
        ));
    }
    let revision = state.revision.clone().unwrap_or_else(|| target.to_string());
    for a in effects {
        if let A::RecordRollout { result, .. } = a {
            let entry = match result {
                RolloutResult::Success => (revision.clone(), HistoryResult::Succeeded, None),
                RolloutResult::RolledBack => (
                    revision.clone(),
                    HistoryResult::RolledBack,
                    state.message.clone(),
                ),
                RolloutResult::Failed => (
                    revision.clone(),
                    HistoryResult::Failed,
                    state.message.clone(),
                ),
                RolloutResult::Superseded => continue,
            };
            out.push(entry);
        }
    }
    out
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

async fn apply_all(
    ctx: &Context,
    env: &ClaudeEnvironment,
    plan: &Plan,
    old: &ClaudeEnvironmentStatus,
    desired: &[Desired],
    new_inventory: &claude_env_api::Inventory,
    announce: bool,
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
    if announce {
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
            format!("{}: {}", plan.selection, names.join(", ")),
        )
        .await;
    }
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
    let written = api
        .patch_status(
            &env.name_any(),
            &PatchParams::apply(FIELD_MANAGER).force(),
            &Patch::Apply(&patch),
        )
        .await
        .map_err(Error::Status)?;
    ctx.seen_version(
        &env.namespace().unwrap_or_default(),
        &env.name_any(),
        written.resource_version(),
    );
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
