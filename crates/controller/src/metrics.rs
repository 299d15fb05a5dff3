//! Prometheus metrics (contract: DESIGN "Metrics", prefix `claude_env_`). Labels stay
//! bounded: no error strings; revisions only in `source_revision_info`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use claude_env_api::DriftStatus;
use prometheus::{
    Encoder, GaugeVec, Histogram, HistogramOpts, HistogramVec, IntCounter, IntCounterVec,
    IntGaugeVec, Opts, Registry, TextEncoder,
};

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    pub reconcile_total: IntCounterVec,
    pub reconcile_duration_seconds: Histogram,
    pub sync_total: IntCounterVec,
    pub drift_percentage: GaugeVec,
    pub drift_items: IntGaugeVec,
    pub drift_remediations_total: IntCounterVec,
    pub rollouts_total: IntCounterVec,
    pub rollbacks_total: IntCounterVec,
    pub rollback_duration_seconds: Histogram,
    pub canary_weight: IntGaugeVec,
    pub rollout_phase: IntGaugeVec,
    pub health_check_total: IntCounterVec,
    pub git_fetch_duration_seconds: HistogramVec,
    pub git_fetch_failures_total: IntCounterVec,
    pub source_revision_info: IntGaugeVec,
    pub mcp_server_up: IntGaugeVec,
    pub build_info: IntGaugeVec,
    pub webhook_requests_total: IntCounterVec,
    pub leader: IntGaugeVec,
    pub apply_requests_total: IntCounter,
    pub kube_requests_total: IntCounterVec,
    /// Per environment (namespace, name), the drift classes (category, severity) that ever
    /// drifted: their series stay, at 0 once restored; the others never get one.
    drifted: Arc<Mutex<Drifted>>,
}

/// Environment (namespace, name) → the drift classes (category, severity) that drifted.
type Drifted = HashMap<(String, String), HashSet<(&'static str, &'static str)>>;

const NS: &str = "claude_env";

fn opts(name: &str, help: &str) -> Opts {
    Opts::new(name, help).namespace(NS)
}

fn hopts(name: &str, help: &str, buckets: Vec<f64>) -> HistogramOpts {
    HistogramOpts::new(name, help)
        .namespace(NS)
        .buckets(buckets)
}

/// Seconds, from a few ms (cached renders) to minutes (slow fetches, rollbacks).
fn latency_buckets() -> Vec<f64> {
    vec![
        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
    ]
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let m = Metrics {
            reconcile_total: IntCounterVec::new(
                opts("reconcile_total", "Reconciles by result"),
                &["result"],
            )
            .unwrap(),
            reconcile_duration_seconds: Histogram::with_opts(hopts(
                "reconcile_duration_seconds",
                "Duration of one reconcile",
                latency_buckets(),
            ))
            .unwrap(),
            sync_total: IntCounterVec::new(
                opts(
                    "sync_total",
                    "Attempts to bring an environment to a revision, by result",
                ),
                &["environment", "result"],
            )
            .unwrap(),
            drift_percentage: GaugeVec::new(
                opts(
                    "drift_percentage",
                    "Drifted managed fields / managed fields x 100",
                ),
                &["namespace", "name", "environment"],
            )
            .unwrap(),
            drift_items: IntGaugeVec::new(
                opts("drift_items", "Drift items by category and severity"),
                &["namespace", "name", "environment", "category", "severity"],
            )
            .unwrap(),
            drift_remediations_total: IntCounterVec::new(
                opts("drift_remediations_total", "Objects restored after drift"),
                &["environment"],
            )
            .unwrap(),
            rollouts_total: IntCounterVec::new(
                opts("rollouts_total", "Finished rollouts by strategy and result"),
                &["strategy", "result"],
            )
            .unwrap(),
            rollbacks_total: IntCounterVec::new(
                opts("rollbacks_total", "Rollbacks by reason"),
                &["reason"],
            )
            .unwrap(),
            rollback_duration_seconds: Histogram::with_opts(hopts(
                "rollback_duration_seconds",
                "From the failing decision to the stable revision restored and Available",
                latency_buckets(),
            ))
            .unwrap(),
            canary_weight: IntGaugeVec::new(
                opts("canary_weight", "Current canary weight (percent)"),
                &["namespace", "name", "environment"],
            )
            .unwrap(),
            rollout_phase: IntGaugeVec::new(
                opts(
                    "rollout_phase",
                    "1 for the rollout phase an environment is in, 0 for the others",
                ),
                &["namespace", "name", "environment", "phase"],
            )
            .unwrap(),
            health_check_total: IntCounterVec::new(
                opts(
                    "health_check_total",
                    "Health check runs by check kind and result",
                ),
                &["check", "result"],
            )
            .unwrap(),
            git_fetch_duration_seconds: HistogramVec::new(
                hopts(
                    "git_fetch_duration_seconds",
                    "Duration of git fetches",
                    latency_buckets(),
                ),
                &["result"],
            )
            .unwrap(),
            git_fetch_failures_total: IntCounterVec::new(
                opts("git_fetch_failures_total", "Failed git fetches by category"),
                &["category"],
            )
            .unwrap(),
            source_revision_info: IntGaugeVec::new(
                opts(
                    "source_revision_info",
                    "The revision last fetched per source",
                ),
                &["url", "branch", "revision"],
            )
            .unwrap(),
            mcp_server_up: IntGaugeVec::new(
                opts(
                    "mcp_server_up",
                    "1 when the MCP server's workload is Available",
                ),
                &["environment", "server"],
            )
            .unwrap(),
            build_info: IntGaugeVec::new(opts("build_info", "Controller build"), &["version"])
                .unwrap(),
            webhook_requests_total: IntCounterVec::new(
                opts(
                    "webhook_requests_total",
                    "Webhook requests by provider and outcome",
                ),
                &["provider", "result"],
            )
            .unwrap(),
            leader: IntGaugeVec::new(
                opts("leader", "1 while this replica holds the lease"),
                &["lease"],
            )
            .unwrap(),
            apply_requests_total: IntCounter::with_opts(opts(
                "apply_requests_total",
                "Server-side apply and delete requests made",
            ))
            .unwrap(),
            kube_requests_total: IntCounterVec::new(
                opts(
                    "kube_requests_total",
                    "Requests to the Kubernetes API by method (watch separately)",
                ),
                &["method"],
            )
            .unwrap(),
            drifted: Arc::default(),
            registry,
        };
        m.register_all();
        m.build_info
            .with_label_values(&[env!("CARGO_PKG_VERSION")])
            .set(1);
        m
    }

    fn register_all(&self) {
        let r = &self.registry;
        let collectors: Vec<Box<dyn prometheus::core::Collector>> = vec![
            Box::new(self.reconcile_total.clone()),
            Box::new(self.reconcile_duration_seconds.clone()),
            Box::new(self.sync_total.clone()),
            Box::new(self.drift_percentage.clone()),
            Box::new(self.drift_items.clone()),
            Box::new(self.drift_remediations_total.clone()),
            Box::new(self.rollouts_total.clone()),
            Box::new(self.rollbacks_total.clone()),
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
            Box::new(self.leader.clone()),
            Box::new(self.apply_requests_total.clone()),
            Box::new(self.kube_requests_total.clone()),
        ];
        for c in collectors {
            r.register(c).expect("metric names are unique");
        }
        #[cfg(target_os = "linux")]
        r.register(Box::new(
            prometheus::process_collector::ProcessCollector::for_self(),
        ))
        .expect("process collector registers once");
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buf)
            .expect("text encoding of gathered metrics");
        String::from_utf8(buf).expect("exposition format is UTF-8")
    }

    /// A client layer counting every request to the API server (`kube_requests_total`): the
    /// cost per reconcile the benchmarks report.
    pub fn count_requests<B>(
        &self,
    ) -> tower::util::MapRequestLayer<impl Fn(http::Request<B>) -> http::Request<B> + Clone + use<B>>
    {
        let counter = self.kube_requests_total.clone();
        tower::util::MapRequestLayer::new(move |req: http::Request<B>| {
            counter.with_label_values(&[request_method(&req)]).inc();
            req
        })
    }

    /// Drop the per-environment series of a deleted environment.
    pub fn forget_environment(&self, namespace: &str, name: &str, environment: &str) {
        let _ = self
            .drift_percentage
            .remove_label_values(&[namespace, name, environment]);
        let _ = self
            .canary_weight
            .remove_label_values(&[namespace, name, environment]);
        for phase in ROLLOUT_PHASES {
            let _ = self
                .rollout_phase
                .remove_label_values(&[namespace, name, environment, phase]);
        }
        self.drifted
            .lock()
            .expect("drifted lock")
            .remove(&(namespace.to_string(), name.to_string()));
        for (category, severity) in all_classes() {
            let _ = self.drift_items.remove_label_values(&[
                namespace,
                name,
                environment,
                category,
                severity,
            ]);
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
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

/// The `phase` label values of `rollout_phase` (only the current one is exported).
pub const ROLLOUT_PHASES: [&str; 7] = [
    "Idle",
    "Progressing",
    "Paused",
    "Promoting",
    "Succeeded",
    "RolledBack",
    "Failed",
];

impl Metrics {
    /// Set the phase gauge of one environment: one series, 1 for `phase`; the others are
    /// removed rather than kept at 0 (a series costs ~1 KiB here and at the scraper, and
    /// seven per environment were a fifth of the controller's heap at 1000).
    pub fn set_rollout_phase(&self, namespace: &str, name: &str, environment: &str, phase: &str) {
        for p in ROLLOUT_PHASES.into_iter().filter(|p| *p != phase) {
            let _ = self
                .rollout_phase
                .remove_label_values(&[namespace, name, environment, p]);
        }
        self.rollout_phase
            .with_label_values(&[namespace, name, environment, phase])
            .set(1);
    }
}

impl Metrics {
    /// Set the drift gauges of one environment. Only classes that have drifted have an
    /// items series (kept at 0 once restored, so graphs fall to 0): 16 per environment,
    /// nearly all 0, were the biggest part of the controller's heap at 1000 environments
    /// (and of every scrape).
    pub fn set_drift(&self, namespace: &str, name: &str, environment: &str, d: &DriftStatus) {
        self.drift_percentage
            .with_label_values(&[namespace, name, environment])
            .set(d.percentage);
        let key = (namespace.to_string(), name.to_string());
        let mut drifted = self.drifted.lock().expect("drifted lock");
        for class @ (category, severity) in all_classes() {
            let n = d
                .items
                .iter()
                .filter(|i| {
                    format!("{:?}", i.category) == category
                        && format!("{:?}", i.severity) == severity
                })
                .count();
            if n > 0 {
                drifted.entry(key.clone()).or_default().insert(class);
            } else if !drifted.get(&key).is_some_and(|c| c.contains(&class)) {
                continue;
            }
            self.drift_items
                .with_label_values(&[namespace, name, environment, category, severity])
                .set(n as i64);
        }
    }
}

/// Every category × severity label pair.
pub fn all_classes() -> impl Iterator<Item = (&'static str, &'static str)> {
    ["Security", "Availability", "Configuration", "Cosmetic"]
        .into_iter()
        .flat_map(|c| {
            ["Critical", "High", "Medium", "Low"]
                .into_iter()
                .map(move |s| (c, s))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_design_metric_is_exported_with_the_prefix() {
        let m = Metrics::new();
        m.reconcile_total.with_label_values(&["success"]).inc();
        m.sync_total.with_label_values(&["dev", "success"]).inc();
        m.drift_percentage
            .with_label_values(&["ns", "n", "dev"])
            .set(1.0);
        m.drift_items
            .with_label_values(&["ns", "n", "dev", "Security", "Critical"])
            .set(1);
        m.drift_remediations_total.with_label_values(&["dev"]).inc();
        m.rollouts_total
            .with_label_values(&["Canary", "Succeeded"])
            .inc();
        m.rollbacks_total
            .with_label_values(&["HealthCheckFailed"])
            .inc();
        m.rollback_duration_seconds.observe(1.0);
        m.canary_weight
            .with_label_values(&["ns", "n", "dev"])
            .set(20);
        m.health_check_total
            .with_label_values(&["readiness", "success"])
            .inc();
        m.git_fetch_duration_seconds
            .with_label_values(&["success"])
            .observe(0.1);
        m.git_fetch_failures_total
            .with_label_values(&["network"])
            .inc();
        m.source_revision_info
            .with_label_values(&["u", "main", "abc"])
            .set(1);
        m.mcp_server_up
            .with_label_values(&["dev", "context7"])
            .set(1);
        m.reconcile_duration_seconds.observe(0.1);
        let text = m.render();
        for name in [
            "reconcile_total",
            "reconcile_duration_seconds",
            "sync_total",
            "drift_percentage",
            "drift_items",
            "drift_remediations_total",
            "rollouts_total",
            "rollbacks_total",
            "rollback_duration_seconds",
            "canary_weight",
            "health_check_total",
            "git_fetch_duration_seconds",
            "git_fetch_failures_total",
            "source_revision_info",
            "mcp_server_up",
            "build_info",
        ] {
            assert!(
                text.contains(&format!("claude_env_{name}")),
                "missing {name}"
            );
        }
        assert!(text.contains("process_resident_memory_bytes"));
    }

    #[test]
    fn requests_are_counted_by_method_with_watches_apart() {
        let m = Metrics::new();
        let req = |method: &str, uri: &str| {
            http::Request::builder()
                .method(method)
                .uri(uri)
                .body(())
                .unwrap()
        };
        assert_eq!(
            request_method(&req(
                "GET",
                "/api/v1/namespaces/a/configmaps?watch=true&resourceVersion=1"
            )),
            "WATCH"
        );
        assert_eq!(
            request_method(&req("GET", "/api/v1/namespaces/a/configmaps")),
            "GET"
        );
        assert_eq!(request_method(&req("PATCH", "/apis/apps/v1/x")), "PATCH");
        use tower::Layer;
        let svc =
            m.count_requests::<()>()
                .layer(tower::service_fn(|_r: http::Request<()>| async {
                    Ok::<_, ()>(())
                }));
        let mut svc = svc;
        futures::executor::block_on(tower::ServiceExt::oneshot(&mut svc, req("DELETE", "/x")))
            .unwrap();
        assert!(
            m.render()
                .contains("claude_env_kube_requests_total{method=\"DELETE\"} 1")
        );
    }

    #[test]
    fn only_the_current_rollout_phase_has_a_series() {
        let m = Metrics::new();
        m.set_rollout_phase("ns", "a", "dev", "Progressing");
        m.set_rollout_phase("ns", "a", "dev", "Succeeded");
        let text = m.render();
        assert!(text.contains(
            "claude_env_rollout_phase{environment=\"dev\",name=\"a\",namespace=\"ns\",phase=\"Succeeded\"} 1"
        ));
        assert_eq!(text.matches("claude_env_rollout_phase{").count(), 1);
    }

    #[test]
    fn only_drifted_classes_have_an_items_series() {
        use claude_env_api::{DriftCategory, DriftItem, DriftKind, DriftSeverity};
        let m = Metrics::new();
        let item = |category, severity| DriftItem {
            object: "Deployment/ns/a-context7".into(),
            path: "/spec/replicas".into(),
            category,
            severity,
            kind: DriftKind::Changed,
        };
        let mut d = DriftStatus {
            percentage: 20.0,
            managed_fields: 10,
            drifted_fields: 2,
            items: vec![
                item(DriftCategory::Availability, DriftSeverity::High),
                item(DriftCategory::Availability, DriftSeverity::High),
            ],
            detected_at: None,
            last_remediation: None,
        };
        m.set_drift("ns", "a", "dev", &d);
        let text = m.render();
        assert!(text.contains("category=\"Availability\",environment=\"dev\",name=\"a\",namespace=\"ns\",severity=\"High\"} 2"));
        assert_eq!(text.matches("claude_env_drift_items{").count(), 1);

        // Restored: the class that drifted falls to 0; no other class gets a series.
        d.items.clear();
        d.percentage = 0.0;
        m.set_drift("ns", "a", "dev", &d);
        m.set_drift("ns", "b", "dev", &d);
        let text = m.render();
        assert_eq!(text.matches("claude_env_drift_items{").count(), 1);
        assert!(text.contains("category=\"Availability\",environment=\"dev\",name=\"a\",namespace=\"ns\",severity=\"High\"} 0"));
        assert!(text.contains(
            "claude_env_drift_percentage{environment=\"dev\",name=\"a\",namespace=\"ns\"} 0"
        ));

        // Deleted: gone, and a new environment of that name starts without series.
        m.forget_environment("ns", "a", "dev");
        m.set_drift("ns", "a", "dev", &d);
        assert_eq!(m.render().matches("claude_env_drift_items{").count(), 0);
    }

    #[test]
    fn forgetting_an_environment_removes_its_series() {
        let m = Metrics::new();
        m.drift_percentage
            .with_label_values(&["ns", "gone", "dev"])
            .set(5.0);
        m.drift_items
            .with_label_values(&["ns", "gone", "dev", "Security", "Critical"])
            .set(1);
        m.forget_environment("ns", "gone", "dev");
        assert!(!m.render().contains("name=\"gone\""));
    }
}
