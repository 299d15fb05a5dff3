//! The metric families, their names, help, label names and buckets, registered once. Only
//! [`super::Metrics`]' typed methods write them.

use prometheus::{
    GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts,
    Registry,
};

const NS: &str = "claude_env";

/// Label names of per-environment series: every one starts with these two.
pub(super) const NAMESPACE: &str = "namespace";
pub(super) const NAME: &str = "name";

pub(super) struct Families {
    pub(super) reconcile_total: IntCounterVec,
    pub(super) reconcile_duration_seconds: Histogram,
    pub(super) sync_total: IntCounterVec,
    pub(super) environment_info: IntGaugeVec,
    pub(super) environment_ready: IntGaugeVec,
    pub(super) drift_percentage: GaugeVec,
    pub(super) drift_items: IntGaugeVec,
    pub(super) drift_remediations_total: IntCounterVec,
    pub(super) rollouts_total: IntCounterVec,
    pub(super) rollbacks_total: IntCounterVec,
    pub(super) changes_total: IntCounterVec,
    pub(super) rollback_duration_seconds: Histogram,
    pub(super) canary_weight: IntGaugeVec,
    pub(super) rollout_phase: IntGaugeVec,
    pub(super) health_check_total: IntCounterVec,
    pub(super) git_fetch_duration_seconds: HistogramVec,
    pub(super) git_fetch_failures_total: IntCounterVec,
    pub(super) source_revision_info: IntGaugeVec,
    pub(super) mcp_server_up: IntGaugeVec,
    pub(super) build_info: IntGaugeVec,
    pub(super) webhook_requests_total: IntCounterVec,
    pub(super) notifications_total: IntCounterVec,
    pub(super) leader: IntGaugeVec,
    pub(super) apply_requests_total: IntCounter,
    pub(super) kube_requests_total: IntCounterVec,
    pub(super) limit_exceeded_total: IntCounterVec,
    pub(super) git_cache_evictions_total: IntCounter,
    pub(super) git_cache_bytes: prometheus::IntGauge,
    pub(super) workstations: IntGaugeVec,
}

fn opts(name: &str, help: &str) -> Opts {
    Opts::new(name, help).namespace(NS)
}

/// Seconds, from a few ms (cached renders) to minutes (slow fetches, rollbacks).
fn latency_buckets() -> Vec<f64> {
    vec![
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
    ]
}

fn histogram(name: &str, help: &str) -> HistogramOpts {
    HistogramOpts::new(name, help)
        .namespace(NS)
        .buckets(latency_buckets())
}

fn counters(name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    IntCounterVec::new(opts(name, help), labels).expect("valid counter family")
}

fn gauges(name: &str, help: &str, labels: &[&str]) -> IntGaugeVec {
    IntGaugeVec::new(opts(name, help), labels).expect("valid gauge family")
}

impl Families {
    // One entry per family: a table to scan, not logic to follow.
    #[allow(clippy::too_many_lines)]
    pub(super) fn new() -> Families {
        Families {
            reconcile_total: counters("reconcile_total", "Reconciles by result", &["result"]),
            reconcile_duration_seconds: Histogram::with_opts(histogram(
                "reconcile_duration_seconds",
                "Duration of one reconcile",
            ))
            .expect("valid histogram"),
            sync_total: counters(
                "sync_total",
                "Attempts to bring an environment to a revision, by result",
                &[NAMESPACE, NAME, "environment", "result"],
            ),
            environment_info: gauges(
                "environment_info",
                "1 per ClaudeEnvironment, labelled with what it renders and how it rolls out",
                &[
                    NAMESPACE,
                    NAME,
                    "environment",
                    "team",
                    "project",
                    "strategy",
                ],
            ),
            environment_ready: gauges(
                "environment_ready",
                "1 while the ClaudeEnvironment is Ready, 0 otherwise",
                &[NAMESPACE, NAME, "environment"],
            ),
            drift_percentage: GaugeVec::new(
                opts(
                    "drift_percentage",
                    "Drifted managed fields / managed fields x 100",
                ),
                &[NAMESPACE, NAME, "environment"],
            )
            .expect("valid gauge family"),
            drift_items: gauges(
                "drift_items",
                "Drift items by category and severity",
                &[NAMESPACE, NAME, "environment", "category", "severity"],
            ),
            drift_remediations_total: counters(
                "drift_remediations_total",
                "Objects restored after drift",
                &[NAMESPACE, NAME],
            ),
            rollouts_total: counters(
                "rollouts_total",
                "Finished rollouts by strategy and result",
                &["strategy", "result"],
            ),
            rollbacks_total: counters(
                "rollbacks_total",
                "Rollbacks by environment and reason",
                &[NAMESPACE, NAME, "reason"],
            ),
            changes_total: counters(
                "changes_total",
                "Revisions rolled out, once per class of change each made",
                &[NAMESPACE, NAME, "class"],
            ),
            rollback_duration_seconds: Histogram::with_opts(histogram(
                "rollback_duration_seconds",
                "From the failing decision to the stable revision restored and Available",
            ))
            .expect("valid histogram"),
            canary_weight: gauges(
                "canary_weight",
                "Current canary weight (percent)",
                &[NAMESPACE, NAME],
            ),
            rollout_phase: gauges(
                "rollout_phase",
                "1 for the rollout phase an environment is in (the other phases have no series)",
                &[NAMESPACE, NAME, "environment", "phase"],
            ),
            health_check_total: counters(
                "health_check_total",
                "Health check runs by check kind and result",
                &["check", "result"],
            ),
            git_fetch_duration_seconds: HistogramVec::new(
                histogram("git_fetch_duration_seconds", "Duration of git fetches"),
                &["result"],
            )
            .expect("valid histogram family"),
            git_fetch_failures_total: counters(
                "git_fetch_failures_total",
                "Failed git fetches by category",
                &["category"],
            ),
            source_revision_info: gauges(
                "source_revision_info",
                "The revision last fetched per source (URL without credentials)",
                &["url", "branch", "revision"],
            ),
            mcp_server_up: gauges(
                "mcp_server_up",
                "1 when the MCP server's workload is Available",
                &[NAMESPACE, NAME, "environment", "server"],
            ),
            build_info: gauges("build_info", "Controller build", &["version"]),
            webhook_requests_total: counters(
                "webhook_requests_total",
                "Webhook requests by provider and outcome",
                &["provider", "result"],
            ),
            notifications_total: counters(
                "notifications_total",
                "Notification deliveries by provider type and outcome",
                &["provider_type", "result"],
            ),
            leader: gauges("leader", "1 while this replica holds the lease", &["lease"]),
            apply_requests_total: IntCounter::with_opts(opts(
                "apply_requests_total",
                "Server-side apply and delete requests made",
            ))
            .expect("valid counter"),
            kube_requests_total: counters(
                "kube_requests_total",
                "Requests to the Kubernetes API by method (watch separately)",
                &["method"],
            ),
            limit_exceeded_total: counters(
                "limit_exceeded_total",
                "Requests refused by an operator limit, by limit",
                &["limit"],
            ),
            git_cache_evictions_total: IntCounter::with_opts(opts(
                "git_cache_evictions_total",
                "Repositories evicted from the Git cache to stay under --cache-max-bytes",
            ))
            .expect("valid counter"),
            git_cache_bytes: prometheus::IntGauge::with_opts(opts(
                "git_cache_bytes",
                "Bytes the Git cache keeps on disk after its last eviction pass",
            ))
            .expect("valid gauge"),
            workstations: gauges(
                "workstations",
                "ClaudeWorkstations following the environment, by state",
                &[NAMESPACE, NAME, "state"],
            ),
        }
    }

    pub(super) fn register(&self, r: &Registry) {
        let collectors: Vec<Box<dyn prometheus::core::Collector>> = vec![
            Box::new(self.reconcile_total.clone()),
            Box::new(self.reconcile_duration_seconds.clone()),
            Box::new(self.sync_total.clone()),
            Box::new(self.environment_info.clone()),
            Box::new(self.environment_ready.clone()),
            Box::new(self.drift_percentage.clone()),
            Box::new(self.drift_items.clone()),
            Box::new(self.drift_remediations_total.clone()),
            Box::new(self.rollouts_total.clone()),
            Box::new(self.rollbacks_total.clone()),
            Box::new(self.changes_total.clone()),
            Box::new(self.rollback_duration_seconds.clone()),
            Box::new(self.canary_weight.clone()),
            Box::new(self.rollout_phase.clone()),
            Box::new(self.health_check_total.clone()),
            Box::new(self.git_fetch_duration_seconds.clone()),
            Box::new(self.git_fetch_failures_total.clone()),
            Box::new(self.source_revision_info.clone()),
            Box::new(self.mcp_server_up.clone()),
            Box::new(self.build_info.clone()),
            Box::new(self.webhook_requests_total.clone()),
            Box::new(self.notifications_total.clone()),
            Box::new(self.leader.clone()),
            Box::new(self.apply_requests_total.clone()),
            Box::new(self.kube_requests_total.clone()),
            Box::new(self.limit_exceeded_total.clone()),
            Box::new(self.git_cache_evictions_total.clone()),
            Box::new(self.git_cache_bytes.clone()),
            Box::new(self.workstations.clone()),
        ];
        for c in collectors {
            r.register(c).expect("metric names are unique");
        }
    }
}
