//! Driving the rollout machine (`claude_env_rollout::decide`): observations from the watch
//! caches, checks run when the machine asks, and the actions that are not object changes
//! (metrics, Events, history entries). Object changes follow from the machine's state
//! (`shape`).

use std::collections::{BTreeMap, HashMap};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use claude_env_api::{ClaudeEnvironment, Color, ObjectKey, ObjectKind, reason};
use claude_env_config::Document;
use claude_env_rollout::{
    Action, CheckTarget, Decision, Observations, Plan as RolloutPlan, Readiness, Role,
    RolloutState, decide,
};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use tracing::warn;

use crate::context::Context;
use crate::decisions::plan::EnvPlan;
use crate::decisions::{readiness, shape};
use crate::io::apply::Changes;
use crate::io::checks::{self, Checks, ServerEndpoint};
use crate::io::events::publish;
use crate::lock::LockExt;
use crate::metrics::EnvLabels;

/// Decisions in one reconcile: a decision that asks for checks is followed by one that reads
/// their results, and that one may ask for the next check that is due.
const MAX_ROUNDS: usize = 3;

/// Decide, running the checks the machine asks for inline. Returns the last decision and
/// every non-object action of all rounds, in order.
pub(crate) async fn decide_with_checks(
    ctx: &Context,
    env: &ClaudeEnvironment,
    plan: &EnvPlan,
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
    plan: &EnvPlan,
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
            CheckTarget::Service => shape::role_name(&plan.name, server, Role::Stable),
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
            egress: &ctx.egress,
            namespaces: &[&plan.namespace, &plan.target_namespace],
            metrics: &ctx.metrics,
            endpoint: &endpoint,
        };
        for m in checks.run(names, &c).await {
            ctx.metrics.health_checked(m.kind, m.result.outcome);
            results.push(m.result);
        }
    }
    results
}

/// Live readiness of every role's Deployment of each server (missing: not observed). A
/// cached Deployment older than this process's last apply of it is missing too: its status
/// is about the spec before, and the progress deadline runs from when the new one is
/// observed (`claude_env_rollout::readiness::Deadline`).
pub(crate) async fn readiness(
    ctx: &Context,
    plan: &EnvPlan,
    servers: &BTreeMap<String, u32>,
) -> BTreeMap<(String, Role), Readiness> {
    let roles = [
        Role::Stable,
        Role::Canary,
        Role::Color(Color::Blue),
        Role::Color(Color::Green),
    ];
    let mut out = BTreeMap::new();
    for server in servers.keys() {
        for role in roles {
            let name = shape::role_name(&plan.name, server, role);
            if let Some(d) = ctx.stores.deployment(&plan.target_namespace, &name) {
                let applied = ObjectKey::new(ObjectKind::Deployment, &plan.target_namespace, &name);
                if ctx
                    .applied_versions
                    .cache_lags(&applied, d.metadata.resource_version.as_deref())
                {
                    continue;
                }
                let mut r = readiness::of_deployment(&d);
                let key = (plan.target_namespace.clone(), name);
                if !r.current || readiness::settled(&r) {
                    ctx.crash_checks.forget(&key);
                } else if !readiness::all_pods_available(&r)
                    && ctx.crash_checks.due(&key, Instant::now())
                {
                    r.crash_looping = crash_looping(ctx, &plan.target_namespace, &d).await;
                }
                out.insert((server.clone(), role), r);
            }
        }
    }
    out
}

/// How often a rolling Deployment's pods are listed for crash loops. Every status change of
/// a rolling Deployment reconciles its environment; listing pods in each of those
/// reconciles was 13,000 LISTs in one push at 10,000 environments (about 13 per rolling
/// Deployment), each a scan of the namespace's pods in the API server, the bottleneck.
const CRASH_CHECK_EVERY: Duration = Duration::from_secs(5);

/// When each rolling Deployment's pods were last listed (forgotten once it settles): at
/// most one list per `CRASH_CHECK_EVERY`, so a crash loop fails the rollout that much later
/// at worst, still long before its progress deadline.
#[derive(Default)]
pub(crate) struct CrashChecks(Mutex<HashMap<(String, String), Instant>>);

impl CrashChecks {
    /// Whether the Deployment `key` (namespace, name) is due a list at `now`; if so, it is
    /// counted as listed now.
    fn due(&self, key: &(String, String), now: Instant) -> bool {
        let mut last = self.0.locked();
        match last.get(key) {
            Some(at) if now.saturating_duration_since(*at) < CRASH_CHECK_EVERY => false,
            _ => {
                last.insert(key.clone(), now);
                true
            }
        }
    }

    fn forget(&self, key: &(String, String)) {
        self.0.locked().remove(key);
    }
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
            .filter(|p| readiness::of_template(p, d))
            .any(readiness::pod_failing),
        Err(e) => {
            warn!(error = %e, "listing pods for crash detection");
            false
        }
    }
}

/// Metrics and Events the machine asked for (object changes are applied from its state),
/// and the objects this sync applied and pruned: told in the rollout's first Event, or in
/// an `Applied` Event of their own when the machine had nothing to say. One Event per sync,
/// not one per kind of change: at 1000 environments Events were 40% of a push's requests.
pub(crate) async fn record(
    ctx: &Context,
    env: &ClaudeEnvironment,
    labels: &EnvLabels,
    effects: &[Action],
    changes: &Changes,
) {
    let mut untold = (!changes.is_empty()).then(|| changes.summary());
    for a in effects {
        ctx.metrics.record(labels, a);
        if let Action::Event {
            warning,
            reason,
            message,
        } = a
        {
            let note = match untold.take() {
                Some(summary) => format!("{message} ({summary})"),
                None => message.clone(),
            };
            publish(&ctx.recorder, env, *warning, reason, "Rollout", note).await;
        }
    }
    if let Some(summary) = untold {
        publish(&ctx.recorder, env, false, reason::APPLIED, "Apply", summary).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rolling_deployment_is_listed_at_most_once_per_interval() {
        let checks = CrashChecks::default();
        let (a, b) = (
            ("ns".to_string(), "a".to_string()),
            ("ns".to_string(), "b".to_string()),
        );
        let t0 = Instant::now();
        assert!(checks.due(&a, t0));
        assert!(!checks.due(&a, t0 + Duration::from_secs(1)));
        assert!(
            checks.due(&b, t0 + Duration::from_secs(1)),
            "each Deployment its own"
        );
        assert!(checks.due(&a, t0 + CRASH_CHECK_EVERY));
        checks.forget(&a);
        assert!(
            checks.due(&a, t0 + CRASH_CHECK_EVERY),
            "settled and rolling again"
        );
    }
}
