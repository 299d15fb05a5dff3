//! Drift detection end to end on realistic rendered objects.

use claude_env_api::{DriftCategory, DriftKind, DriftMode, DriftSeverity};
use claude_env_drift::{IgnoreRules, ObjectKey, ObjectKind, Remediation, decide, detect};
use serde_json::{Value, json};

fn deployment() -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "dev-context7", "namespace": "dev",
            "labels": {"app.kubernetes.io/managed-by": "claude-env-controller"}},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": {"app.kubernetes.io/name": "context7"}},
            "template": {
                "metadata": {"labels": {"app.kubernetes.io/name": "context7"},
                    "annotations": {"claude-env.io/config-hash": "abc"}},
                "spec": {
                    "securityContext": {"runAsNonRoot": true},
                    "containers": [{
                        "name": "mcp", "image": "ghcr.io/x/context7:1.0",
                        "env": [
                            {"name": "LOG", "value": "info"},
                            {"name": "TOKEN", "valueFrom": {"secretKeyRef": {"name": "ctx", "key": "token"}}}
                        ],
                        "resources": {"requests": {"cpu": "0.5", "memory": "1024Mi"}},
                        "ports": [{"name": "mcp", "containerPort": 8080}]
                    }]
                }
            }
        }
    })
}

/// What the API server returns: our fields plus defaults and another manager's fields.
fn live_with_defaults(desired: &Value) -> Value {
    let mut live = desired.clone();
    live["metadata"]["uid"] = json!("u-1");
    live["metadata"]["managedFields"] = json!([{"manager": "claude-env-controller"}]);
    live["spec"]["progressDeadlineSeconds"] = json!(600);
    live["spec"]["strategy"] = json!({"type": "RollingUpdate"});
    let c = &mut live["spec"]["template"]["spec"]["containers"][0];
    c["imagePullPolicy"] = json!("IfNotPresent");
    c["terminationMessagePath"] = json!("/dev/termination-log");
    c["ports"][0]["protocol"] = json!("TCP");
    c["resources"]["requests"] = json!({"cpu": "500m", "memory": "1Gi"});
    live["status"] = json!({"availableReplicas": 2});
    live
}

fn key() -> ObjectKey {
    ObjectKey::new(ObjectKind::Deployment, "dev", "dev-context7")
}

fn run(desired: Value, live: Option<Value>, ignore: &[&str]) -> claude_env_drift::DriftReport {
    let desired = [(key(), desired)];
    let ignore = IgnoreRules::parse(ignore).unwrap();
    detect(
        desired.iter().map(|(k, v)| (k, v)),
        |_| live.as_ref(),
        &ignore,
    )
}

#[test]
fn server_defaults_and_normalised_quantities_are_not_drift() {
    let d = deployment();
    let r = run(d.clone(), Some(live_with_defaults(&d)), &[]);
    assert!(!r.is_drifted(), "{:?}", r.items);
    assert_eq!(r.percentage(), 0.0);
    assert!(r.managed_leaves >= 14);
}

#[test]
fn changed_image_is_configuration_drift_with_its_path() {
    let d = deployment();
    let mut live = live_with_defaults(&d);
    live["spec"]["template"]["spec"]["containers"][0]["image"] = json!("evil:latest");
    let r = run(d, Some(live), &[]);
    assert_eq!(r.drifted_leaves, 1);
    let item = &r.items[0];
    assert_eq!(item.object, "Deployment/dev/dev-context7");
    assert_eq!(item.path, "/spec/template/spec/containers/0/image");
    assert_eq!(
        (item.category, item.severity, item.kind),
        (
            DriftCategory::Configuration,
            DriftSeverity::Medium,
            DriftKind::Changed
        )
    );
}

#[test]
fn percentage_is_drifted_over_managed_leaves() {
    let d = deployment();
    let mut live = live_with_defaults(&d);
    live["spec"]["replicas"] = json!(5);
    let r = run(d, Some(live), &[]);
    let expected = (1000.0 / r.managed_leaves as f64).round() / 10.0;
    assert_eq!(r.percentage(), expected);
    assert_eq!(r.items[0].category, DriftCategory::Availability);
}

#[test]
fn secret_reference_replaced_by_a_plain_value_is_security_drift() {
    let d = deployment();
    let mut live = live_with_defaults(&d);
    live["spec"]["template"]["spec"]["containers"][0]["env"][1] =
        json!({"name": "TOKEN", "value": "hunter2"});
    let r = run(d, Some(live), &[]);
    assert!(
        r.items
            .iter()
            .all(|i| i.category == DriftCategory::Security && i.kind == DriftKind::Removed)
    );
    assert_eq!(r.drifted_leaves, 2, "secretKeyRef name and key");
    assert!(r.security_objects.contains(&key()));
}

#[test]
fn reordered_env_is_not_drift_because_env_merges_by_name() {
    let d = deployment();
    let mut live = live_with_defaults(&d);
    let env = live["spec"]["template"]["spec"]["containers"][0]["env"]
        .as_array_mut()
        .unwrap();
    env.reverse();
    assert!(!run(d, Some(live), &[]).is_drifted());
}

#[test]
fn a_missing_object_drifts_every_leaf_with_one_item() {
    let r = run(deployment(), None, &[]);
    assert_eq!(r.drifted_leaves, r.managed_leaves);
    assert_eq!(r.percentage(), 100.0);
    assert_eq!(r.items.len(), 1);
    assert_eq!(r.items[0].kind, DriftKind::Missing);
    assert_eq!(r.items[0].severity, DriftSeverity::Critical);
}

#[test]
fn ignored_paths_count_neither_as_managed_nor_as_drift() {
    let d = deployment();
    let mut live = live_with_defaults(&d);
    live["spec"]["replicas"] = json!(5);
    let full = run(d.clone(), Some(live.clone()), &[]);
    let r = run(d, Some(live), &["Deployment:/spec/replicas"]);
    assert!(!r.is_drifted());
    assert_eq!(r.managed_leaves, full.managed_leaves - 1);
}

#[test]
fn policy_defaults_by_environment_and_security_always_restores() {
    let d = deployment();
    let mut live = live_with_defaults(&d);
    live["spec"]["replicas"] = json!(5);
    let availability = run(d.clone(), Some(live.clone()), &[]);
    assert_eq!(decide(None, "development", &availability), Remediation::All);
    assert_eq!(
        decide(None, "production", &availability),
        Remediation::Alert
    );
    assert_eq!(
        decide(Some(DriftMode::Ignore), "development", &availability),
        Remediation::None
    );

    live["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"] = json!(false);
    let security = run(d.clone(), Some(live), &[]);
    assert_eq!(decide(None, "production", &security), Remediation::Security);
    assert_eq!(
        decide(Some(DriftMode::Ignore), "production", &security),
        Remediation::None
    );

    let clean = run(d.clone(), Some(live_with_defaults(&d)), &[]);
    assert_eq!(decide(None, "development", &clean), Remediation::None);
}

#[test]
fn items_are_sorted_most_severe_first_and_capped_with_exact_counts() {
    let mut desired = Vec::new();
    for i in 0..60 {
        desired.push((
            ObjectKey::new(ObjectKind::ConfigMap, "ns", format!("c{i:02}")),
            json!({"data": {"k": "v"}}),
        ));
    }
    desired.push((key(), deployment()));
    let live_cm = json!({"data": {"k": "changed"}});
    let r = detect(
        desired.iter().map(|(k, v)| (k, v)),
        |k| (k.kind == ObjectKind::ConfigMap).then_some(&live_cm),
        &IgnoreRules::default(),
    );
    assert_eq!(r.total_items, 61);
    assert_eq!(r.items.len(), claude_env_drift::ITEM_LIMIT);
    assert_eq!(
        r.items[0].kind,
        DriftKind::Missing,
        "the missing Deployment is critical"
    );
    assert_eq!(r.by_class.values().sum::<u64>(), 61);
}
