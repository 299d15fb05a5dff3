use std::collections::{BTreeMap, BTreeSet};

use claude_env_api::{DriftCategory, DriftItem, DriftKind, DriftSeverity, StrategyType};
use claude_env_rollout::RolloutResult;
use prometheus::proto::MetricFamily;

use super::*;

fn env(namespace: &str, name: &str, environment: &str) -> EnvLabels {
    EnvLabels {
        namespace: namespace.into(),
        name: name.into(),
        environment: environment.into(),
        team: "backend".into(),
        project: String::new(),
        strategy: StrategyType::Canary,
    }
}

fn drift(items: &[(DriftCategory, DriftSeverity)]) -> DriftStatus {
    DriftStatus {
        percentage: if items.is_empty() { 0.0 } else { 20.0 },
        managed_fields: 10,
        drifted_fields: items.len() as i64,
        items: items
            .iter()
            .map(|(category, severity)| DriftItem {
                object: "Deployment/ns/a-context7".into(),
                path: "/spec/replicas".into(),
                category: *category,
                severity: *severity,
                kind: DriftKind::Changed,
            })
            .collect(),
        detected_at: None,
        last_remediation: None,
    }
}

/// Every method once, so every family has a sample.
fn exercise(m: &Metrics, e: &EnvLabels) {
    m.reconciled(ReconcileResult::Success, Duration::from_millis(5));
    m.synced(e, SyncResult::Success);
    m.set_environment(e, true);
    m.apply_requests(2);
    m.set_rollout(e, RolloutPhase::Progressing, Some(20));
    m.record(
        e,
        &Action::RecordRollout {
            strategy: StrategyType::Canary,
            result: RolloutResult::RolledBack,
        },
    );
    m.record(
        e,
        &Action::RecordRollback {
            reason: FailureReason::CrashLoop,
        },
    );
    m.record(
        e,
        &Action::RecordRollbackDuration {
            reason: FailureReason::CrashLoop,
            started_at: jiff::Timestamp::UNIX_EPOCH,
            duration: Duration::from_secs(1),
        },
    );
    m.health_checked(CheckKind::Mcp, Outcome::Pass);
    m.changes_applied(e, claude_env_api::DriftCategory::Security);
    m.set_mcp_server_up(e, "context7", true);
    m.set_workstations(
        e,
        &claude_env_api::WorkstationCounts {
            total: 3,
            stable: 2,
            canary: 1,
            stale: 0,
            drifted: 1,
            failing: 1,
        },
    );
    m.record(
        e,
        &Action::RecordRollback {
            reason: FailureReason::WorkstationsFailing,
        },
    );
    m.set_drift(
        e,
        &drift(&[(DriftCategory::Security, DriftSeverity::Critical)]),
    );
    m.drift_remediated(e, 1);
    m.git_fetched(true, Duration::from_millis(50));
    m.git_fetch_failed("network");
    m.set_source_revision("https://git.example/repo", "main", None, "abc");
    m.webhook(Provider::GitHub, WebhookResult::Accepted);
    m.notified(Some(ProviderType::Slack), NotifyResult::Success);
    m.set_leader("claude-env-controller");
    m.limit_exceeded(Limit::Egress);
    m.git_cache_evicted(1, 1024);
    send(m, "GET", "/api/v1/namespaces/a/configmaps");
}

/// One request through the client layer that counts requests.
fn send(m: &Metrics, method: &str, uri: &str) {
    use tower::Layer;
    let mut svc =
        m.count_requests::<()>()
            .layer(tower::service_fn(|_r: http::Request<()>| async {
                Ok::<_, ()>(())
            }));
    let req = http::Request::builder()
        .method(method)
        .uri(uri)
        .body(())
        .unwrap();
    futures::executor::block_on(tower::ServiceExt::oneshot(&mut svc, req)).unwrap();
}

/// Exported families (name → label names), from the registry.
fn families(m: &Metrics) -> BTreeMap<String, BTreeSet<String>> {
    let gathered: Vec<MetricFamily> = m.0.registry.gather();
    gathered
        .iter()
        .filter(|f| f.name().starts_with("claude_env_"))
        .map(|f| {
            let labels = f
                .get_metric()
                .iter()
                .flat_map(|s| s.get_label().iter().map(|l| l.name().to_string()))
                .collect();
            (f.name().to_string(), labels)
        })
        .collect()
}

/// A documented metric: its label names, and the values listed for some of them.
type Documented = (BTreeSet<String>, BTreeMap<String, BTreeSet<String>>);

/// Metrics documented in docs/metrics.md: the first column of every table row names a
/// metric; the third lists its labels in backticks, `label = \`value\` | ...`.
fn documented() -> BTreeMap<String, Documented> {
    let doc = include_str!("../../../../docs/metrics.md");
    let tick = regex_lite(r"`([a-z_]+)`(?: = ((?:`[^`]+`(?: \\\| )?)+))?");
    let mut out = BTreeMap::new();
    for line in doc.lines().filter(|l| l.starts_with("| `claude_env_")) {
        let cells: Vec<&str> = line.split(" | ").collect();
        let name = cells[0]
            .trim_start_matches("| ")
            .trim_matches('`')
            .to_string();
        let mut labels = BTreeSet::new();
        let mut values = BTreeMap::new();
        for c in tick.captures_iter(cells[2]) {
            let label = c[1].to_string();
            if let Some(v) = c.get(2) {
                let vs: BTreeSet<String> = v
                    .as_str()
                    .split(" \\| ")
                    .map(|x| x.trim_matches('`').to_string())
                    .collect();
                values.insert(label.clone(), vs);
            }
            labels.insert(label);
        }
        out.insert(name, (labels, values));
    }
    out
}

fn regex_lite(re: &str) -> regex::Regex {
    regex::Regex::new(re).expect("valid regex")
}

#[test]
fn every_metric_and_label_is_exactly_as_documented() {
    let m = Metrics::new();
    exercise(&m, &env("team-a", "production", "production"));
    let exported = families(&m);
    let documented = documented();
    assert!(documented.len() >= 20, "docs/metrics.md tables not found");
    for (name, labels) in &exported {
        let Some((doc_labels, doc_values)) = documented.get(name) else {
            panic!("{name} is exported but not documented in docs/metrics.md");
        };
        assert_eq!(labels, doc_labels, "labels of {name}");
        // Values the exercise emitted must be among the documented ones, where listed.
        let text = m.render();
        for (label, allowed) in doc_values {
            for line in text.lines().filter(|l| l.starts_with(&format!("{name}{{"))) {
                let needle = format!("{label}=\"");
                if let Some(at) = line.find(&needle) {
                    let rest = &line[at + needle.len()..];
                    let value = &rest[..rest.find('"').unwrap()];
                    assert!(
                        allowed.contains(value),
                        "{name}{{{label}={value:?}}} is not among the documented {allowed:?}"
                    );
                }
            }
        }
    }
    for name in documented.keys() {
        assert!(
            exported.contains_key(name),
            "{name} is documented but not exported"
        );
    }
}

#[test]
fn changes_are_counted_per_environment_and_class() {
    use claude_env_api::DriftCategory;
    let m = Metrics::new();
    let e = env("team-a", "dev", "development");
    m.changes_applied(&e, DriftCategory::Security);
    m.changes_applied(&e, DriftCategory::Configuration);
    m.changes_applied(&e, DriftCategory::Configuration);
    let text = m.render();
    assert!(
        text.contains(
            r#"claude_env_changes_total{class="configuration",name="dev",namespace="team-a"} 2"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"claude_env_changes_total{class="security",name="dev",namespace="team-a"} 1"#
        )
    );
    m.forget_environment("team-a", "dev");
    assert!(!m.render().contains("claude_env_changes_total{"));
}

#[test]
fn two_environments_of_one_name_in_two_namespaces_have_two_series() {
    let m = Metrics::new();
    let (a, b) = (
        env("team-a", "production", "production"),
        env("team-b", "production", "production"),
    );
    for e in [&a, &b] {
        m.synced(e, SyncResult::Success);
        m.set_mcp_server_up(e, "context7", true);
        m.drift_remediated(e, 1);
        m.record(
            e,
            &Action::RecordRollback {
                reason: FailureReason::CheckFailed,
            },
        );
    }
    m.set_mcp_server_up(&b, "context7", false);
    let text = m.render();
    for family in [
        "claude_env_sync_total{",
        "claude_env_mcp_server_up{",
        "claude_env_drift_remediations_total{",
        "claude_env_rollbacks_total{",
    ] {
        assert_eq!(text.matches(family).count(), 2, "{family}\n{text}");
    }
    assert!(text.contains(
        "claude_env_mcp_server_up{environment=\"production\",name=\"production\",namespace=\"team-a\",server=\"context7\"} 1"
    ));
    assert!(text.contains(
        "claude_env_mcp_server_up{environment=\"production\",name=\"production\",namespace=\"team-b\",server=\"context7\"} 0"
    ));
}

#[test]
fn forgetting_an_environment_removes_every_series_it_had_and_no_other() {
    let m = Metrics::new();
    let (gone, kept) = (env("ns", "gone", "dev"), env("ns", "kept", "dev"));
    exercise(&m, &gone);
    exercise(&m, &kept);
    m.forget_environment("ns", "gone");
    let text = m.render();
    assert!(!text.contains("name=\"gone\""), "{text}");
    assert!(text.contains("name=\"kept\""));
    // A new environment of that name starts from nothing.
    m.set_drift(&gone, &drift(&[]));
    assert_eq!(
        m.render().matches("claude_env_drift_items{").count(),
        1,
        "only kept's class"
    );
}

#[test]
fn workstation_series_exist_once_an_environment_has_had_a_workstation() {
    let m = Metrics::new();
    let e = env("team-a", "production", "production");
    let none = claude_env_api::WorkstationCounts::default();
    m.set_workstations(&e, &none);
    assert!(!m.render().contains("claude_env_workstations{"));
    let one = claude_env_api::WorkstationCounts {
        total: 1,
        canary: 1,
        failing: 1,
        ..none
    };
    m.set_workstations(&e, &one);
    let text = m.render();
    assert!(
        text.contains(
            r#"claude_env_workstations{name="production",namespace="team-a",state="failing"} 1"#
        ),
        "{text}"
    );
    assert!(text.contains(
        r#"claude_env_workstations{name="production",namespace="team-a",state="stable"} 0"#
    ));
    // The last one removed: the series stay, at 0.
    m.set_workstations(&e, &none);
    assert!(m.render().contains(
        r#"claude_env_workstations{name="production",namespace="team-a",state="total"} 0"#
    ));
    m.forget_environment("team-a", "production");
    assert!(!m.render().contains("claude_env_workstations{"));
}

#[test]
fn only_the_current_rollout_phase_has_a_series() {
    let m = Metrics::new();
    let e = env("ns", "a", "dev");
    m.set_rollout(&e, RolloutPhase::Progressing, Some(20));
    m.set_rollout(&e, RolloutPhase::Succeeded, None);
    let text = m.render();
    assert!(text.contains(
        "claude_env_rollout_phase{environment=\"dev\",name=\"a\",namespace=\"ns\",phase=\"Succeeded\"} 1"
    ));
    assert_eq!(text.matches("claude_env_rollout_phase{").count(), 1);
    assert!(text.contains("claude_env_canary_weight{name=\"a\",namespace=\"ns\"} 0"));
}

#[test]
fn environment_info_follows_the_spec_and_ready_follows_the_condition() {
    let m = Metrics::new();
    let mut e = env("ns", "a", "dev");
    m.set_environment(&e, false);
    e.team = "frontend".into();
    m.set_environment(&e, true);
    let text = m.render();
    assert_eq!(text.matches("claude_env_environment_info{").count(), 1);
    assert!(text.contains("team=\"frontend\""));
    assert!(!text.contains("team=\"backend\""));
    assert!(text.contains(
        "claude_env_environment_ready{environment=\"dev\",name=\"a\",namespace=\"ns\"} 1"
    ));
}

#[test]
fn only_drifted_classes_have_an_items_series_kept_at_zero_once_restored() {
    let m = Metrics::new();
    let e = env("ns", "a", "dev");
    let high = (DriftCategory::Availability, DriftSeverity::High);
    m.set_drift(&e, &drift(&[high, high]));
    let text = m.render();
    assert!(text.contains("category=\"Availability\",environment=\"dev\",name=\"a\",namespace=\"ns\",severity=\"High\"} 2"));
    assert_eq!(text.matches("claude_env_drift_items{").count(), 1);
    m.set_drift(&e, &drift(&[]));
    m.set_drift(&env("ns", "b", "dev"), &drift(&[]));
    let text = m.render();
    assert_eq!(text.matches("claude_env_drift_items{").count(), 1);
    assert!(text.contains("category=\"Availability\",environment=\"dev\",name=\"a\",namespace=\"ns\",severity=\"High\"} 0"));
    assert!(text.contains(
        "claude_env_drift_percentage{environment=\"dev\",name=\"a\",namespace=\"ns\"} 0"
    ));
}

#[test]
fn a_source_has_one_revision_series() {
    let m = Metrics::new();
    m.set_source_revision("u", "main", None, "a");
    m.set_source_revision("u", "main", Some("a"), "b");
    let text = m.render();
    assert_eq!(text.matches("claude_env_source_revision_info{").count(), 1);
    assert!(text.contains("revision=\"b\""));
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
    let mut svc =
        m.count_requests::<()>()
            .layer(tower::service_fn(|_r: http::Request<()>| async {
                Ok::<_, ()>(())
            }));
    futures::executor::block_on(tower::ServiceExt::oneshot(&mut svc, req("DELETE", "/x"))).unwrap();
    assert!(
        m.render()
            .contains("claude_env_kube_requests_total{method=\"DELETE\"} 1")
    );
    assert!(m.render().contains("process_resident_memory_bytes"));
}

/// The alert table of docs/metrics.md against deploy/prometheus/rules.yaml: severity,
/// condition, window and `for` of every alert are what the documentation promises.
#[test]
fn alert_rules_match_their_documented_thresholds() {
    #[derive(serde::Deserialize)]
    struct File {
        groups: Vec<Group>,
    }
    #[derive(serde::Deserialize)]
    struct Group {
        rules: Vec<Rule>,
    }
    #[derive(serde::Deserialize)]
    struct Rule {
        alert: String,
        expr: String,
        #[serde(rename = "for")]
        for_: Option<String>,
        labels: BTreeMap<String, String>,
    }
    let rules: File =
        serde_saphyr::from_str(include_str!("../../../../deploy/prometheus/rules.yaml")).unwrap();
    let rules: BTreeMap<String, Rule> = rules
        .groups
        .into_iter()
        .flat_map(|g| g.rules)
        .map(|r| (r.alert.clone(), r))
        .collect();
    let doc = include_str!("../../../../docs/metrics.md");
    let rows: Vec<Vec<&str>> = doc
        .lines()
        .filter(|l| l.starts_with("| [ClaudeEnv"))
        .map(|l| l.split(" | ").collect())
        .collect();
    assert_eq!(rows.len(), rules.len(), "every rule has a row and no more");
    let code = |cell: &str| cell.trim_matches('`').to_string();
    for row in rows {
        let name = row[0].trim_start_matches("| [").split(']').next().unwrap();
        let rule = rules
            .get(name)
            .unwrap_or_else(|| panic!("{name} documented, not in rules.yaml"));
        assert_eq!(rule.labels["severity"], row[1], "{name} severity");
        let expr: String = rule.expr.split_whitespace().collect::<Vec<_>>().join(" ");
        let condition = code(row[2]);
        if condition == "absent" {
            assert!(expr.starts_with("absent("), "{name}: {expr}");
        } else {
            assert!(
                expr.contains(&format!(") {condition}")) || expr.contains(&format!(" {condition}")),
                "{name}: {expr} lacks {condition}"
            );
        }
        if row[3] != "—" {
            assert!(
                expr.contains(&format!("[{}]", code(row[3]))),
                "{name} window"
            );
        }
        let for_ = (row[4] != "—").then(|| code(row[4]));
        assert_eq!(rule.for_, for_, "{name} for");
    }
}
