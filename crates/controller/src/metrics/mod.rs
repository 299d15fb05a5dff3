//! Prometheus metrics, prefix `claude_env_` (reference: docs/metrics.md). Written only through
//! the typed methods below, which take enums, never free strings: labels stay bounded (no
//! error messages; revisions only in `source_revision_info`). Every per-environment series
//! carries the ClaudeEnvironment's `namespace` and `name`, and all of them are removed when
//! the environment is deleted.

mod families;
mod labels;
mod owned;

use std::sync::Arc;
use std::time::Duration;

use claude_env_api::{
    DriftCategory, DriftSeverity, DriftStatus, ProviderType, RolloutPhase, WorkstationCounts,
};
use claude_env_rollout::{Action, CheckKind, FailureReason, Outcome};
use claude_env_source::webhook::Provider;
use prometheus::{Encoder, Registry, TextEncoder};

use families::Families;
pub(crate) use labels::{
    EnvLabels, Limit, NotifyResult, ReconcileResult, SyncResult, WebhookResult,
};
use owned::{Family, Owned, Series};

#[derive(Clone)]
pub(crate) struct Metrics(Arc<Inner>);

struct Inner {
    registry: Registry,
    f: Families,
    owned: Owned,
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let registry = Registry::new();
        let f = Families::new();
        f.register(&registry);
        #[cfg(target_os = "linux")]
        registry
            .register(Box::new(
                prometheus::process_collector::ProcessCollector::for_self(),
            ))
            .expect("process collector registers once");
        f.build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        Metrics(Arc::new(Inner {
            registry,
            f,
            owned: Owned::default(),
        }))
    }

    fn f(&self) -> &Families {
        &self.0.f
    }

    /// The text exposition format.
    pub(crate) fn render(&self) -> String {
        let mut buf = Vec::new();
        TextEncoder::new()
            .encode(&self.0.registry.gather(), &mut buf)
            .expect("text encoding of gathered metrics");
        String::from_utf8(buf).expect("exposition format is UTF-8")
    }
}

/// Reconciles and syncs.
impl Metrics {
    pub(crate) fn reconciled(&self, result: ReconcileResult, took: Duration) {
        self.f()
            .reconcile_duration_seconds
            .observe(took.as_secs_f64());
        self.f()
            .reconcile_total
            .with_label_values(&[result.label()])
            .inc();
    }

    pub(crate) fn synced(&self, env: &EnvLabels, result: SyncResult) {
        let values = [
            env.namespace.as_str(),
            &env.name,
            &env.environment,
            result.label(),
        ];
        self.own(env, Family::Sync, &values);
        self.f().sync_total.with_label_values(&values).inc();
    }

    /// `environment_info` (replaced when what it says changes) and `environment_ready`.
    pub(crate) fn set_environment(&self, env: &EnvLabels, ready: bool) {
        let info = [
            env.namespace.as_str(),
            &env.name,
            &env.environment,
            &env.team,
            &env.project,
            labels::strategy(env.strategy),
        ];
        self.replace(env, Family::EnvironmentInfo, &info);
        self.f().environment_info.with_label_values(&info).set(1);
        let id = [env.namespace.as_str(), &env.name, &env.environment];
        self.replace(env, Family::EnvironmentReady, &id);
        self.f()
            .environment_ready
            .with_label_values(&id)
            .set(i64::from(ready));
    }

    /// Server-side apply and delete requests made (write amplification).
    pub(crate) fn apply_requests(&self, n: usize) {
        self.f().apply_requests_total.inc_by(n as u64);
    }
}

/// Rollouts and health.
impl Metrics {
    /// The phase gauge (one series: the current phase's) and the canary weight.
    pub(crate) fn set_rollout(&self, env: &EnvLabels, phase: RolloutPhase, weight: Option<i32>) {
        let values = [
            env.namespace.as_str(),
            &env.name,
            &env.environment,
            phase_label(phase),
        ];
        self.replace(env, Family::RolloutPhase, &values);
        self.f().rollout_phase.with_label_values(&values).set(1);
        let id = [env.namespace.as_str(), &env.name];
        self.own(env, Family::CanaryWeight, &id);
        self.f()
            .canary_weight
            .with_label_values(&id)
            .set(i64::from(weight.unwrap_or(0)));
    }

    /// The metric actions of the rollout machine (object changes and Events are not ours).
    pub(crate) fn record(&self, env: &EnvLabels, action: &Action) {
        match action {
            Action::RecordCheck { check, outcome } => self.health_checked(*check, *outcome),
            Action::RecordRollout { strategy, result } => self
                .f()
                .rollouts_total
                .with_label_values(&[labels::strategy(*strategy), result.label()])
                .inc(),
            Action::RecordRollback { reason } => self.rolled_back(env, *reason),
            Action::RecordRollbackDuration { duration, .. } => self
                .f()
                .rollback_duration_seconds
                .observe(duration.as_secs_f64()),
            _ => {}
        }
    }

    fn rolled_back(&self, env: &EnvLabels, reason: FailureReason) {
        let values = [env.namespace.as_str(), &env.name, reason.label()];
        self.own(env, Family::Rollbacks, &values);
        self.f().rollbacks_total.with_label_values(&values).inc();
    }

    /// `changes_total`: a revision with changes of `class` rolled out.
    pub(crate) fn changes_applied(&self, env: &EnvLabels, class: DriftCategory) {
        let values = [env.namespace.as_str(), &env.name, class_label(class)];
        self.own(env, Family::Changes, &values);
        self.f().changes_total.with_label_values(&values).inc();
    }

    pub(crate) fn health_checked(&self, check: CheckKind, outcome: Outcome) {
        self.f()
            .health_check_total
            .with_label_values(&[check.label(), outcome.label()])
            .inc();
    }

    pub(crate) fn set_mcp_server_up(&self, env: &EnvLabels, server: &str, up: bool) {
        let values = [env.namespace.as_str(), &env.name, &env.environment, server];
        self.own(env, Family::McpServerUp, &values);
        self.f()
            .mcp_server_up
            .with_label_values(&values)
            .set(i64::from(up));
    }
}

/// Workstations.
impl Metrics {
    /// `workstations{state}` of one environment: series once it has had a workstation (an
    /// environment nobody syncs from exports none), kept at 0 afterwards.
    pub(crate) fn set_workstations(&self, env: &EnvLabels, counts: &WorkstationCounts) {
        let states = [
            ("total", counts.total),
            ("stable", counts.stable),
            ("canary", counts.canary),
            ("stale", counts.stale),
            ("drifted", counts.drifted),
            ("failing", counts.failing),
        ];
        let total = series(Family::Workstations, &[&env.namespace, &env.name, "total"]);
        if counts.total == 0 && !self.0.owned.contains(&env.key(), &total) {
            return;
        }
        for (state, n) in states {
            let values = [env.namespace.as_str(), &env.name, state];
            self.own(env, Family::Workstations, &values);
            self.f()
                .workstations
                .with_label_values(&values)
                .set(i64::from(n));
        }
    }
}

/// Drift.
impl Metrics {
    /// The drift gauges of one environment. Only classes that have drifted have an items
    /// series, kept at 0 once restored so graphs fall to 0 (16 per environment, nearly all
    /// 0, were the biggest part of the heap at 1000 environments, and of every scrape).
    pub(crate) fn set_drift(&self, env: &EnvLabels, d: &DriftStatus) {
        let id = [env.namespace.as_str(), &env.name, &env.environment];
        self.own(env, Family::DriftPercentage, &id);
        self.f()
            .drift_percentage
            .with_label_values(&id)
            .set(d.percentage);
        for (category, severity) in drift_classes() {
            let n = d
                .items
                .iter()
                .filter(|i| i.category == category && i.severity == severity)
                .count();
            let values = [
                env.namespace.as_str(),
                &env.name,
                &env.environment,
                category_label(category),
                severity_label(severity),
            ];
            let series = series(Family::DriftItems, &values);
            if n == 0 && !self.0.owned.contains(&env.key(), &series) {
                continue;
            }
            self.0.owned.insert(&env.key(), series);
            self.f()
                .drift_items
                .with_label_values(&values)
                .set(n as i64);
        }
    }

    pub(crate) fn drift_remediated(&self, env: &EnvLabels, objects: usize) {
        let id = [env.namespace.as_str(), &env.name];
        self.own(env, Family::DriftRemediations, &id);
        self.f()
            .drift_remediations_total
            .with_label_values(&id)
            .inc_by(objects as u64);
        self.apply_requests(objects);
    }
}

/// Sources and webhooks.
impl Metrics {
    pub(crate) fn git_fetched(&self, ok: bool, took: Duration) {
        let result = if ok { "success" } else { "failure" };
        self.f()
            .git_fetch_duration_seconds
            .with_label_values(&[result])
            .observe(took.as_secs_f64());
    }

    /// A failed fetch, by the source error's stable category.
    pub(crate) fn git_fetch_failed(&self, category: &'static str) {
        self.f()
            .git_fetch_failures_total
            .with_label_values(&[category])
            .inc();
    }

    /// An eviction pass of the Git cache: repositories removed, bytes kept.
    pub(crate) fn git_cache_evicted(&self, evicted: usize, kept_bytes: u64) {
        self.f().git_cache_evictions_total.inc_by(evicted as u64);
        self.f()
            .git_cache_bytes
            .set(i64::try_from(kept_bytes).unwrap_or(i64::MAX));
    }

    /// The revision a source is at: one series per source. `url` must carry no credentials.
    pub(crate) fn set_source_revision(
        &self,
        url: &str,
        branch: &str,
        old: Option<&str>,
        new: &str,
    ) {
        if let Some(old) = old.filter(|o| *o != new) {
            let _ = self
                .f()
                .source_revision_info
                .remove_label_values(&[url, branch, old]);
        }
        self.f()
            .source_revision_info
            .with_label_values(&[url, branch, new])
            .set(1);
    }

    pub(crate) fn webhook(&self, provider: Provider, result: WebhookResult) {
        self.f()
            .webhook_requests_total
            .with_label_values(&[labels::provider(provider), result.label()])
            .inc();
    }

    /// A request refused by one of the operator's limits.
    pub(crate) fn limit_exceeded(&self, limit: Limit) {
        self.f()
            .limit_exceeded_total
            .with_label_values(&[limit.label()])
            .inc();
    }

    /// A notification for a provider of `provider_type` (`None`: not matched to a provider
    /// yet, for messages dropped before matching).
    pub(crate) fn notified(&self, provider_type: Option<ProviderType>, result: NotifyResult) {
        let provider = provider_type.map_or("unknown", ProviderType::label);
        self.f()
            .notifications_total
            .with_label_values(&[provider, result.label()])
            .inc();
    }

    pub(crate) fn set_leader(&self, lease: &str) {
        self.f().leader.with_label_values(&[lease]).set(1);
    }

    /// A client layer counting every request to the API server (`kube_requests_total`): the
    /// cost per reconcile the benchmarks report.
    pub(crate) fn count_requests<B>(
        &self,
    ) -> tower::util::MapRequestLayer<impl Fn(http::Request<B>) -> http::Request<B> + Clone + use<B>>
    {
        let counter = self.f().kube_requests_total.clone();
        tower::util::MapRequestLayer::new(move |req: http::Request<B>| {
            counter.with_label_values(&[request_method(&req)]).inc();
            req
        })
    }
}

/// Series ownership.
impl Metrics {
    /// Drop every series of a deleted environment.
    pub(crate) fn forget_environment(&self, namespace: &str, name: &str) {
        let key = (namespace.to_string(), name.to_string());
        for s in self.0.owned.take_all(&key) {
            self.remove(&s);
        }
    }

    fn own(&self, env: &EnvLabels, family: Family, values: &[&str]) {
        self.0.owned.insert(&env.key(), series(family, values));
    }

    /// Own `values` of `family`, removing the environment's other series of that family
    /// (an info series whose labels changed, the previous phase).
    fn replace(&self, env: &EnvLabels, family: Family, values: &[&str]) {
        for old in self
            .0
            .owned
            .take_other(&env.key(), family, |v| v.iter().eq(values.iter()))
        {
            self.remove(&old);
        }
        self.own(env, family, values);
    }

    fn remove(&self, (family, values): &Series) {
        let v: Vec<&str> = values.iter().map(String::as_str).collect();
        let f = self.f();
        let _ = match family {
            Family::Sync => f.sync_total.remove_label_values(&v),
            Family::EnvironmentInfo => f.environment_info.remove_label_values(&v),
            Family::EnvironmentReady => f.environment_ready.remove_label_values(&v),
            Family::DriftPercentage => f.drift_percentage.remove_label_values(&v),
            Family::DriftItems => f.drift_items.remove_label_values(&v),
            Family::DriftRemediations => f.drift_remediations_total.remove_label_values(&v),
            Family::Rollbacks => f.rollbacks_total.remove_label_values(&v),
            Family::Changes => f.changes_total.remove_label_values(&v),
            Family::CanaryWeight => f.canary_weight.remove_label_values(&v),
            Family::RolloutPhase => f.rollout_phase.remove_label_values(&v),
            Family::McpServerUp => f.mcp_server_up.remove_label_values(&v),
            Family::Workstations => f.workstations.remove_label_values(&v),
        };
    }
}

fn series(family: Family, values: &[&str]) -> Series {
    (family, values.iter().map(|v| v.to_string()).collect())
}

/// `WATCH` for watch requests (GETs with `watch=true`), else the HTTP method.
fn request_method<B>(req: &http::Request<B>) -> &'static str {
    let watch = req
        .uri()
        .query()
        .is_some_and(|q| q.split('&').any(|p| p == "watch=true" || p == "watch=1"));
    match *req.method() {
        http::Method::GET if watch => "WATCH",
        http::Method::GET => "GET",
        http::Method::POST => "POST",
        http::Method::PUT => "PUT",
        http::Method::PATCH => "PATCH",
        http::Method::DELETE => "DELETE",
        _ => "OTHER",
    }
}

/// The `phase` label: the phase as status shows it.
fn phase_label(p: RolloutPhase) -> &'static str {
    match p {
        RolloutPhase::Idle => "Idle",
        RolloutPhase::Progressing => "Progressing",
        RolloutPhase::Paused => "Paused",
        RolloutPhase::Promoting => "Promoting",
        RolloutPhase::Succeeded => "Succeeded",
        RolloutPhase::RolledBack => "RolledBack",
        RolloutPhase::Failed => "Failed",
    }
}

/// The `class` label of `changes_total`.
fn class_label(c: DriftCategory) -> &'static str {
    match c {
        DriftCategory::Security => "security",
        DriftCategory::Availability => "availability",
        DriftCategory::Configuration => "configuration",
        DriftCategory::Cosmetic => "cosmetic",
    }
}

fn category_label(c: DriftCategory) -> &'static str {
    match c {
        DriftCategory::Security => "Security",
        DriftCategory::Availability => "Availability",
        DriftCategory::Configuration => "Configuration",
        DriftCategory::Cosmetic => "Cosmetic",
    }
}

fn severity_label(s: DriftSeverity) -> &'static str {
    match s {
        DriftSeverity::Critical => "Critical",
        DriftSeverity::High => "High",
        DriftSeverity::Medium => "Medium",
        DriftSeverity::Low => "Low",
    }
}

/// Every category × severity.
fn drift_classes() -> impl Iterator<Item = (DriftCategory, DriftSeverity)> {
    use DriftCategory::*;
    use DriftSeverity::*;
    [Security, Availability, Configuration, Cosmetic]
        .into_iter()
        .flat_map(|c| {
            [Critical, High, Medium, Low]
                .into_iter()
                .map(move |s| (c, s))
        })
}

#[cfg(test)]
mod tests;
