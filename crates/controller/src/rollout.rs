//! Driving the rollout machine (`claude_env_rollout::decide`): observations from the watch
//! caches, checks run when the machine asks, and the actions that are not object changes
//! (metrics, Events, history entries). Object changes follow from the machine's state
//! (`shape`).

use std::collections::BTreeMap;

use claude_env_api::{ClaudeEnvironment, Color, HistoryResult};
use claude_env_config::Document;
use claude_env_rollout::action::strategy_label;
use claude_env_rollout::{
    Action, CheckTarget, Decision, Observations, Plan as RolloutPlan, Readiness, Role,
    RolloutResult, RolloutState, decide,
};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use tracing::warn;

use crate::apply::Changes;
use crate::checks::{self, Checks, ServerEndpoint};
use crate::context::Context;
use crate::events::publish;
use crate::plan::Plan;
use crate::shape::{self, Role as ShapeRole};
use crate::{status, target};

/// Decisions in one reconcile: a decision that asks for checks is followed by one that reads
/// their results, and that one may ask for the next check that is due.
const MAX_ROUNDS: usize = 3;

/// Decide, running the checks the machine asks for inline. Returns the last decision and
/// every non-object action of all rounds, in order.
pub async fn decide_with_checks(
    ctx: &Context,
    env: &ClaudeEnvironment,
    plan: &Plan,
    doc: &Document,
    rollout: &RolloutPlan,
    mut state: RolloutState,
    mut obs: Observations,
) -> (Decision, Vec<Action>) {
    let mut effects = Vec::new();
    let mut decision = decide(rollout, &state, &obs);
    for _ in 1..MAX_ROUNDS {
        let runs: Vec<(String, Vec<String>, CheckTarget)> = decision
            .actions
            .iter()
            .filter_map(|a| match a {
                Action::RunChecks {
                    revision,
                    checks,
                    target,
                } => Some((revision.clone(), checks.clone(), *target)),
                _ => None,
            })
            .collect();
        effects.extend(
            decision
                .actions
                .iter()
                .filter(|a| !matches!(a, Action::RunChecks { .. }))
                .cloned(),
        );
        if runs.is_empty() {
            return (decision, effects);
        }
        obs.results = run_checks(ctx, env, plan, doc, &runs).await;
        obs.now = jiff::Timestamp::now();
        state = decision.state.clone();
        decision = decide(rollout, &state, &obs);
    }
    effects.extend(
        decision
            .actions
            .iter()
            .filter(|a| !matches!(a, Action::RunChecks { .. }))
            .cloned(),
    );
    (decision, effects)
}

async fn run_checks(
    ctx: &Context,
    env: &ClaudeEnvironment,
    plan: &Plan,
    doc: &Document,
    runs: &[(String, Vec<String>, CheckTarget)],
) -> Vec<claude_env_rollout::CheckResult> {
    let checks = match Checks::from_spec(env.spec.health_checks.as_ref()) {
        Ok(c) => c,
        Err(e) => {
            warn!(error = %e, "health checks cannot run");
            return Vec::new();
        }
    };
    let endpoint = |server: &str, target: CheckTarget| -> Option<ServerEndpoint> {
        let deploy = doc.mcp_servers.get(server)?.deploy.as_ref()?;
        let service = match target {
            CheckTarget::Service => shape::role_name(&plan.name, server, None),
            CheckTarget::Preview => shape::preview_name(&plan.name, server),
        };
        Some(ServerEndpoint {
            base: format!(
                "http://{service}.{}.svc:{}",
                plan.target_namespace, deploy.port
            ),
            mcp_path: deploy.path.clone().unwrap_or_else(|| "/mcp".into()),
        })
    };
    let mut results = Vec::new();
    for (revision, names, target) in runs {
        let c = checks::Context {
            revision,
            namespace: &plan.target_namespace,
            environment: &plan.selection.environment,
            target: *target,
            endpoint: &endpoint,
        };
        for m in checks.run(names, &c).await {
            let (check, result) = checks::labels(&m);
            ctx.metrics
                .health_check_total
                .with_label_values(&[check, result])
                .inc();
            results.push(m.result);
        }
    }
    results
}

/// Live readiness of every role's Deployment of each server (missing: not observed).
pub async fn readiness(
    ctx: &Context,
    plan: &Plan,
    servers: &BTreeMap<String, u32>,
) -> BTreeMap<(String, Role), Readiness> {
    let roles = [
        (Role::Stable, None),
        (Role::Canary, Some(ShapeRole::Canary)),
        (
            Role::Color(Color::Blue),
            Some(ShapeRole::Color(Color::Blue)),
        ),
        (
            Role::Color(Color::Green),
            Some(ShapeRole::Color(Color::Green)),
        ),
    ];
    let mut out = BTreeMap::new();
    for server in servers.keys() {
        for (role, shape_role) in roles {
            let name = shape::role_name(&plan.name, server, shape_role);
            if let Some(d) = ctx.stores.deployment(&plan.target_namespace, &name) {
                let mut r = of_deployment(&d);
                if r.current && !settled(&r) {
                    r.crash_looping = crash_looping(ctx, &plan.target_namespace, &d).await;
                }
                out.insert((server.clone(), role), r);
            }
        }
    }
    out
}

/// A Deployment's status as the machine reads it.
pub fn of_deployment(d: &Deployment) -> Readiness {
    let status = d.status.clone().unwrap_or_default();
    let n = |v: Option<i32>| v.unwrap_or(0).max(0) as u32;
    Readiness {
        replicas: n(d.spec.as_ref().and_then(|s| s.replicas)),
        updated: n(status.updated_replicas),
        available: n(status.available_replicas),
        total: n(status.replicas),
        current: status.observed_generation.unwrap_or(0) >= d.metadata.generation.unwrap_or(0),
        deadline_exceeded: status.conditions.iter().flatten().any(|c| {
            c.type_ == "Progressing"
                && c.status == "False"
                && c.reason.as_deref() == Some("ProgressDeadlineExceeded")
        }),
        crash_looping: false,
    }
}

/// All pods run the current spec and are available: nothing can be crash-looping into it.
/// (Not just "available": a rolling update keeps the old pods available while the new ones
/// crash, so `available == replicas` says nothing about the new template.)
fn settled(r: &Readiness) -> bool {
    r.updated >= r.replicas && r.available >= r.replicas && r.total <= r.updated
}

/// Whether a pod of the Deployment's current template crash-loops or failed: fail fast
/// instead of waiting out the progress deadline. Read only while a rollout is not settled.
async fn crash_looping(ctx: &Context, namespace: &str, d: &Deployment) -> bool {
    let Some(labels) = d
        .spec
        .as_ref()
        .and_then(|s| s.selector.match_labels.clone())
    else {
        return false;
    };
    let selector = labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",");
    let pods: Api<Pod> = Api::namespaced(ctx.client.clone(), namespace);
    // From the API server's watch cache (resourceVersion=0), not a quorum read of every pod
    // of the namespace from etcd: this runs in each reconcile of a rolling Deployment, and a
    // fraction of a second of staleness only delays the verdict to the next one.
    let params = ListParams::default().labels(&selector).match_any();
    match pods.list(&params).await {
        Ok(list) => list
            .items
            .iter()
            .filter(|p| of_template(p, d))
            .any(pod_failing),
        Err(e) => {
            warn!(error = %e, "listing pods for crash detection");
            false
        }
    }
}

/// Whether a pod runs the Deployment's current template, as far as a pod shows it: the
/// template's labels and annotations (the config hash among them) and its images. Old pods
/// of a rolling update differ in one of them for any change a rollout makes to the pods'
/// identity; a crash of the old revision is not the new revision's failure.
fn of_template(p: &Pod, d: &Deployment) -> bool {
    let Some(t) = d.spec.as_ref().map(|s| &s.template) else {
        return true;
    };
    let contains = |want: Option<&BTreeMap<String, String>>,
                    have: Option<&BTreeMap<String, String>>| {
        want.into_iter()
            .flatten()
            .all(|(k, v)| have.and_then(|h| h.get(k)) == Some(v))
    };
    let meta = t.metadata.as_ref();
    let images = |c: &[k8s_openapi::api::core::v1::Container]| -> Vec<Option<String>> {
        c.iter().map(|c| c.image.clone()).collect()
    };
    contains(
        meta.and_then(|m| m.labels.as_ref()),
        p.metadata.labels.as_ref(),
    ) && contains(
        meta.and_then(|m| m.annotations.as_ref()),
        p.metadata.annotations.as_ref(),
    ) && match (t.spec.as_ref(), p.spec.as_ref()) {
        (Some(want), Some(have)) => images(&want.containers) == images(&have.containers),
        _ => true,
    }
}

fn pod_failing(p: &Pod) -> bool {
    let Some(s) = &p.status else { return false };
    s.phase.as_deref() == Some("Failed")
        || s.container_statuses.iter().flatten().any(|c| {
            c.state
                .as_ref()
                .and_then(|st| st.waiting.as_ref())
                .and_then(|w| w.reason.as_deref())
                == Some("CrashLoopBackOff")
        })
}

/// Metrics and Events the machine asked for (object changes are applied from its state),
/// and the objects this sync applied and pruned: told in the rollout's first Event, or in
/// an `Applied` Event of their own when the machine had nothing to say. One Event per sync,
/// not one per kind of change: at 1000 environments Events were 40% of a push's requests.
pub async fn record(ctx: &Context, env: &ClaudeEnvironment, effects: &[Action], changes: &Changes) {
    let m = &ctx.metrics;
    let mut untold = (!changes.is_empty()).then(|| changes.summary());
    for a in effects {
        match a {
            Action::RecordCheck { check, outcome } => {
                m.health_check_total
                    .with_label_values(&[check.label(), outcome.label()])
                    .inc();
            }
            Action::RecordRollout { strategy, result } => {
                m.rollouts_total
                    .with_label_values(&[strategy_label(*strategy), result.label()])
                    .inc();
            }
            Action::RecordRollback { reason } => {
                m.rollbacks_total.with_label_values(&[reason.label()]).inc()
            }
            Action::RecordRollbackDuration { duration, .. } => {
                m.rollback_duration_seconds.observe(duration.as_secs_f64())
            }
            Action::Event {
                warning,
                reason,
                message,
            } => {
                let note = match untold.take() {
                    Some(summary) => format!("{message} ({summary})"),
                    None => message.clone(),
                };
                publish(&ctx.recorder, env, *warning, reason, "Rollout", note).await;
            }
            _ => {}
        }
    }
    if let Some(summary) = untold {
        publish(&ctx.recorder, env, false, "Applied", "Apply", summary).await;
    }
}

/// History entries for what the rollout machine finished, and for a manual rollback.
pub fn outcomes(
    effects: &[Action],
    state: &RolloutState,
    rollback: Option<&target::Rollback>,
    target: &str,
) -> Vec<(String, HistoryResult, Option<String>)> {
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
        if let Action::RecordRollout { result, .. } = a {
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn readiness_reads_replicas_availability_and_the_deadline() {
        let d: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "a", "generation": 3},
            "spec": {"replicas": 4, "selector": {}, "template": {}},
            "status": {"observedGeneration": 3, "replicas": 5, "updatedReplicas": 2, "availableReplicas": 3,
                "conditions": [{"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded"}]}
        }))
        .unwrap();
        let r = of_deployment(&d);
        assert_eq!((r.replicas, r.updated, r.available, r.total), (4, 2, 3, 5));
        assert!(r.current && r.deadline_exceeded && !r.crash_looping);
    }

    #[test]
    fn an_older_observed_generation_is_not_current() {
        let d: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "a", "generation": 4},
            "spec": {"selector": {}, "template": {}},
            "status": {"observedGeneration": 3}
        }))
        .unwrap();
        assert!(!of_deployment(&d).current);
    }

    #[test]
    fn settled_means_every_pod_on_the_current_spec_and_available() {
        let r = |replicas, updated, available, total| Readiness {
            replicas,
            updated,
            available,
            total,
            current: true,
            ..Readiness::default()
        };
        assert!(settled(&r(2, 2, 2, 2)));
        // A rolling update whose new pod crash-loops: the old pod keeps it available.
        assert!(!settled(&r(1, 1, 1, 2)));
        assert!(!settled(&r(2, 2, 1, 2)));
        assert!(!settled(&r(2, 1, 2, 2)));
    }

    #[test]
    fn only_pods_of_the_current_template_are_judged() {
        let d: Deployment = serde_json::from_value(json!({
            "metadata": {"name": "a"},
            "spec": {"selector": {"matchLabels": {"app": "a"}}, "template": {
                "metadata": {"labels": {"app": "a", "claude-env.io/simulate": "crashloop"},
                             "annotations": {"claude-env.io/config-hash": "new"}},
                "spec": {"containers": [{"name": "mcp", "image": "ctx:2"}]}}}
        }))
        .unwrap();
        let pod = |labels: serde_json::Value, hash: &str, image: &str| -> Pod {
            serde_json::from_value(json!({
                "metadata": {"labels": labels, "annotations": {"claude-env.io/config-hash": hash, "other": "x"}},
                "spec": {"containers": [{"name": "mcp", "image": image}]}
            }))
            .unwrap()
        };
        let new =
            json!({"app": "a", "claude-env.io/simulate": "crashloop", "pod-template-hash": "h2"});
        assert!(of_template(&pod(new.clone(), "new", "ctx:2"), &d));
        assert!(
            !of_template(&pod(new.clone(), "old", "ctx:2"), &d),
            "config"
        );
        assert!(!of_template(&pod(new, "new", "ctx:1"), &d), "image");
        assert!(
            !of_template(&pod(json!({"app": "a"}), "new", "ctx:2"), &d),
            "labels"
        );
    }

    #[test]
    fn crash_loop_back_off_and_failed_pods_count_as_failing() {
        let waiting: Pod = serde_json::from_value(json!({"status": {"phase": "Running", "containerStatuses": [
            {"name": "mcp", "ready": false, "restartCount": 3, "image": "i", "imageID": "", "state": {"waiting": {"reason": "CrashLoopBackOff"}}}
        ]}}))
        .unwrap();
        let failed: Pod = serde_json::from_value(json!({"status": {"phase": "Failed"}})).unwrap();
        let fine: Pod = serde_json::from_value(json!({"status": {"phase": "Running"}})).unwrap();
        assert!(pod_failing(&waiting));
        assert!(pod_failing(&failed));
        assert!(!pod_failing(&fine));
    }
}
