use claude_env_api::{Color, StrategyType};
use claude_env_rollout::state::Verification;
use claude_env_rollout::{RolloutState, Stage};
use jiff::Timestamp;
use serde_json::{Value, json};

use super::*;
use claude_env_render::Manifest;

const I: &str = "prod";

/// What `objects::desired` returns for one revision: a ConfigMap named by `rev`, and a
/// Service and Deployment (image tagged `rev`) for `context7` at `replicas`.
fn rendered(rev: &str, replicas: i32) -> Vec<Manifest> {
    let cm = json!({"apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": format!("prod-config-{rev}"), "namespace": "ns"}, "data": {"k": rev}});
    let svc = json!({"apiVersion": "v1", "kind": "Service",
        "metadata": {"name": "prod-context7", "namespace": "ns"},
        "spec": {"selector": {"claude-env.io/server": "context7"}, "ports": [{"port": 8080}]}});
    let dep = json!({"apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "prod-context7", "namespace": "ns"},
        "spec": {"replicas": replicas, "selector": {"matchLabels": {"claude-env.io/server": "context7"}},
            "template": {"metadata": {"labels": {"claude-env.io/server": "context7"}},
                "spec": {"containers": [{"name": "mcp", "image": format!("ctx:{rev}")}]}}}});
    [(cm, None), (svc, Some("context7")), (dep, Some("context7"))]
        .into_iter()
        .map(|(v, server)| desired(v, server))
        .collect()
}

fn desired(value: Value, server: Option<&str>) -> Manifest {
    Manifest::from_value(value, server.map(str::to_string)).unwrap()
}

fn two_revisions() -> Rendered {
    [
        ("s".to_string(), rendered("s", 4)),
        ("r".to_string(), rendered("r", 4)),
    ]
    .into()
}

fn state(stage: Stage) -> RolloutState {
    RolloutState {
        stable: Some("s".into()),
        revision: Some("r".into()),
        stage,
        ..Default::default()
    }
}

fn verify() -> Verification {
    Verification::new(Timestamp::from_second(0).unwrap())
}

/// `(kind/name, image or selector colour, replicas)` of each object, sorted.
fn summary(objs: &[Manifest]) -> Vec<String> {
    let mut out: Vec<String> = objs
        .iter()
        .map(|d| {
            let v = &d.value;
            match d.key.kind.as_str() {
                "Deployment" => format!(
                    "Deployment/{} {} x{}",
                    d.key.name,
                    v["spec"]["template"]["spec"]["containers"][0]["image"]
                        .as_str()
                        .unwrap(),
                    v["spec"]["replicas"]
                ),
                "Service" => format!(
                    "Service/{} {}",
                    d.key.name,
                    v["spec"]["selector"]
                        .get(COLOR)
                        .and_then(Value::as_str)
                        .unwrap_or("-")
                ),
                _ => format!("{}/{}", d.key.kind, d.key.name),
            }
        })
        .collect();
    out.sort();
    out
}

#[test]
fn idle_runs_the_stable_revision_as_rendered() {
    let s = state(Stage::Idle);
    assert_eq!(
        summary(&desired_set(
            StrategyType::Immediate,
            &s,
            I,
            &two_revisions()
        )),
        [
            "ConfigMap/prod-config-s",
            "Deployment/prod-context7 ctx:s x4",
            "Service/prod-context7 -"
        ]
    );
}

#[test]
fn idle_without_a_stable_revision_keeps_the_last_rolled_out() {
    let mut s = state(Stage::Idle);
    s.stable = None;
    let got = summary(&desired_set(
        StrategyType::Immediate,
        &s,
        I,
        &two_revisions(),
    ));
    assert!(
        got.contains(&"Deployment/prod-context7 ctx:r x4".to_string()),
        "{got:?}"
    );
}

#[test]
fn a_first_deploy_awaiting_approval_applies_nothing() {
    let mut s = state(Stage::AwaitingApproval);
    s.stable = None;
    for strategy in [
        StrategyType::Immediate,
        StrategyType::Canary,
        StrategyType::BlueGreen,
    ] {
        assert_eq!(
            summary(&desired_set(strategy, &s, I, &two_revisions())),
            Vec::<String>::new(),
            "{strategy:?}"
        );
    }
    // With a stable revision, that keeps serving while the new one waits.
    s.stable = Some("s".into());
    assert_eq!(
        summary(&desired_set(
            StrategyType::Immediate,
            &s,
            I,
            &two_revisions()
        )),
        [
            "ConfigMap/prod-config-s",
            "Deployment/prod-context7 ctx:s x4",
            "Service/prod-context7 -"
        ]
    );
}

#[test]
fn immediate_applies_the_new_revision_and_keeps_the_stable_config_map() {
    let s = state(Stage::Applied { verify: verify() });
    assert_eq!(
        summary(&desired_set(
            StrategyType::Immediate,
            &s,
            I,
            &two_revisions()
        )),
        [
            "ConfigMap/prod-config-r",
            "ConfigMap/prod-config-s",
            "Deployment/prod-context7 ctx:r x4",
            "Service/prod-context7 -"
        ]
    );
}

#[test]
fn canary_splits_replicas_and_never_changes_the_stable_template() {
    let s = state(Stage::Canary {
        step: 0,
        weight: 25,
        entered_at: Timestamp::from_second(0).unwrap(),
        verify: verify(),
    });
    let set = desired_set(StrategyType::Canary, &s, I, &two_revisions());
    assert_eq!(
        summary(&set),
        [
            "ConfigMap/prod-config-r",
            "ConfigMap/prod-config-s",
            "Deployment/prod-context7 ctx:s x3",
            "Deployment/prod-context7-canary ctx:r x1",
            "Service/prod-context7 -"
        ]
    );
    let canary = set
        .iter()
        .find(|d| d.key.name == "prod-context7-canary")
        .unwrap();
    assert_eq!(
        canary.value["spec"]["selector"]["matchLabels"][TRACK],
        "canary"
    );
    assert_eq!(
        canary.value["spec"]["template"]["metadata"]["labels"][TRACK],
        "canary"
    );
    // The stable template is byte-for-byte the stable render's.
    let stable = set
        .iter()
        .find(|d| d.key.kind == ObjectKind::Deployment && d.key.name == "prod-context7")
        .unwrap();
    let original = &two_revisions()["s"][2];
    assert_eq!(
        stable.value["spec"]["template"],
        original.value["spec"]["template"]
    );
    assert_eq!(
        stable.value["spec"]["selector"],
        original.value["spec"]["selector"]
    );
}

#[test]
fn promoting_moves_the_new_spec_to_stable_and_drops_the_canary() {
    let s = state(Stage::Promoting { verify: verify() });
    let got = summary(&desired_set(StrategyType::Canary, &s, I, &two_revisions()));
    assert!(
        got.contains(&"Deployment/prod-context7 ctx:r x4".to_string()),
        "{got:?}"
    );
    assert!(!got.iter().any(|o| o.contains("canary")), "{got:?}");
}

#[test]
fn blue_green_preview_runs_both_colours_and_points_only_the_preview_at_the_new_one() {
    let mut s = state(Stage::Preview {
        color: Color::Green,
        verify: verify(),
    });
    s.active_color = Some(Color::Blue);
    assert_eq!(
        summary(&desired_set(
            StrategyType::BlueGreen,
            &s,
            I,
            &two_revisions()
        )),
        [
            "ConfigMap/prod-config-r",
            "ConfigMap/prod-config-s",
            "Deployment/prod-context7-blue ctx:s x4",
            "Deployment/prod-context7-green ctx:r x4",
            "Service/prod-context7 blue",
            "Service/prod-context7-preview green"
        ]
    );
}

#[test]
fn blue_green_after_the_switch_keeps_the_old_colour_for_a_flip_back() {
    let mut s = state(Stage::Switched {
        color: Color::Green,
        previous: Some(Color::Blue),
        switched_at: Timestamp::from_second(0).unwrap(),
        verify: verify(),
    });
    s.active_color = Some(Color::Green);
    assert_eq!(
        summary(&desired_set(
            StrategyType::BlueGreen,
            &s,
            I,
            &two_revisions()
        )),
        [
            "ConfigMap/prod-config-r",
            "ConfigMap/prod-config-s",
            "Deployment/prod-context7-blue ctx:s x4",
            "Deployment/prod-context7-green ctx:r x4",
            "Service/prod-context7 green",
            "Service/prod-context7-preview green"
        ]
    );
}

#[test]
fn blue_green_idle_runs_only_the_active_colour() {
    let mut s = state(Stage::Idle);
    s.active_color = Some(Color::Green);
    s.stable = Some("r".into());
    assert_eq!(
        summary(&desired_set(
            StrategyType::BlueGreen,
            &s,
            I,
            &two_revisions()
        )),
        [
            "ConfigMap/prod-config-r",
            "Deployment/prod-context7-green ctx:r x4",
            "Service/prod-context7 green",
            "Service/prod-context7-preview green"
        ]
    );
}

#[test]
fn a_first_blue_green_deploy_serves_the_preview_colour() {
    let mut s = state(Stage::Preview {
        color: Color::Blue,
        verify: verify(),
    });
    s.stable = None;
    let got = summary(&desired_set(
        StrategyType::BlueGreen,
        &s,
        I,
        &two_revisions(),
    ));
    assert!(
        got.contains(&"Service/prod-context7 blue".to_string()),
        "{got:?}"
    );
    assert!(
        got.contains(&"Deployment/prod-context7-blue ctx:r x4".to_string()),
        "{got:?}"
    );
}

#[test]
fn revisions_needed_are_stable_and_in_flight_without_duplicates() {
    assert_eq!(revisions_needed(&state(Stage::Idle)), ["s", "r"]);
    let mut same = state(Stage::Idle);
    same.revision = Some("s".into());
    assert_eq!(revisions_needed(&same), ["s"]);
}

#[test]
fn role_names_stay_valid_labels_when_long() {
    let long = "a".repeat(60);
    let n = role_name(&long, "context7", Role::Canary);
    assert!(n.len() <= 63, "{n}");
    assert_ne!(n, role_name(&long, "context7", Role::Stable));
}
