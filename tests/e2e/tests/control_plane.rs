//! The local control plane is a real one: the CRD installs and validates, the scheduler and
//! KWOK run pods, KWOK failure labels work, and the controller-manager deletes namespaces.

use std::time::Duration;

use claude_env_api::{ClaudeEnvironment, ClaudeEnvironmentStatus, RolloutPhase, RolloutStatus};
use claude_env_e2e::{TestNamespace, wait};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams, PostParams};
use serde_json::json;

fn environment(name: &str, spec: serde_json::Value) -> ClaudeEnvironment {
    serde_json::from_value(json!({
        "apiVersion": "claude-env.io/v1alpha1",
        "kind": "ClaudeEnvironment",
        "metadata": {"name": name},
        "spec": spec,
    }))
    .expect("a well-formed ClaudeEnvironment")
}

fn minimal_spec() -> serde_json::Value {
    json!({"source": {"url": "https://git.example.com/platform/claude-config.git"}, "environment": "staging", "team": "backend"})
}

#[tokio::test]
async fn claude_environment_round_trips_and_status_is_patched_by_ssa() {
    let ns = TestNamespace::new("crd").await;
    let api: Api<ClaudeEnvironment> = ns.api();
    let created = api
        .create(
            &PostParams::default(),
            &environment("backend-staging", minimal_spec()),
        )
        .await
        .unwrap();
    assert_eq!(created.spec.environment, "staging");

    let status = json!({
        "apiVersion": "claude-env.io/v1alpha1", "kind": "ClaudeEnvironment",
        "status": ClaudeEnvironmentStatus {
            last_applied_revision: Some("0123abc".into()),
            rollout: Some(RolloutStatus { phase: RolloutPhase::Paused, step: Some(1), weight: Some(25), ..Default::default() }),
            ..Default::default()
        }
    });
    api.patch_status(
        "backend-staging",
        &PatchParams::apply("claude-env-e2e"),
        &Patch::Apply(&status),
    )
    .await
    .unwrap();
    let read = api.get("backend-staging").await.unwrap();
    let st = read.status.expect("status written");
    assert_eq!(st.last_applied_revision.as_deref(), Some("0123abc"));
    assert_eq!(st.rollout.unwrap().weight, Some(25));
    // The status subresource does not bump generation.
    assert_eq!(read.metadata.generation, Some(1));
}

/// Send raw JSON: the typed struct would refuse these before the API server sees them.
async fn create_raw(ns: &TestNamespace, name: &str, spec: serde_json::Value) -> kube::Error {
    let ar = ApiResource::erase::<ClaudeEnvironment>(&());
    let api: Api<DynamicObject> = Api::namespaced_with(ns.client.clone(), &ns.name, &ar);
    let obj: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "claude-env.io/v1alpha1", "kind": "ClaudeEnvironment",
        "metadata": {"name": name}, "spec": spec,
    }))
    .unwrap();
    api.create(&PostParams::default(), &obj)
        .await
        .expect_err("the API server rejects it")
}

#[tokio::test]
async fn invalid_environments_are_rejected_with_the_api_servers_message() {
    let ns = TestNamespace::new("crd-invalid").await;
    let with = |path: &[&str], value: serde_json::Value| {
        let mut spec = minimal_spec();
        let mut at = &mut spec;
        for p in &path[..path.len() - 1] {
            at = &mut at[*p];
        }
        at[path[path.len() - 1]] = value;
        spec
    };
    let cases = [
        (
            "bad-enum",
            with(&["strategy"], json!({"type": "Linear"})),
            vec!["spec.strategy.type", "Unsupported value"],
        ),
        (
            "weight-150",
            with(
                &["strategy"],
                json!({"type": "Canary", "canary": {"steps": [{"setWeight": 150}]}}),
            ),
            vec!["setWeight", "less than or equal to 100"],
        ),
        (
            "both",
            with(
                &["strategy"],
                json!({"type": "Canary", "canary": {"steps": [{"setWeight": 20, "pause": {}}]}}),
            ),
            vec!["exactly one of setWeight or pause"],
        ),
        (
            "no-steps",
            with(&["strategy"], json!({"type": "Canary"})),
            vec!["needs canary.steps"],
        ),
        (
            "interval",
            with(&["source", "interval"], json!("soon")),
            vec!["spec.source.interval"],
        ),
        (
            "env-name",
            with(&["environment"], json!("Prod_1")),
            vec!["spec.environment"],
        ),
    ];
    for (name, spec, expected) in cases {
        let msg = create_raw(&ns, name, spec).await.to_string();
        for e in expected {
            assert!(msg.contains(e), "{name}: expected {e:?} in {msg}");
        }
    }
}

fn deployment(name: &str, replicas: i32, simulate: Option<&str>, deadline: i32) -> Deployment {
    let mut labels = json!({"app": name});
    if let Some(s) = simulate {
        labels["claude-env.io/simulate"] = json!(s);
    }
    serde_json::from_value(json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": name},
        "spec": {
            "replicas": replicas,
            "progressDeadlineSeconds": deadline,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "c", "image": "registry.local/mcp:1"}]}
            }
        }
    }))
    .unwrap()
}

fn condition(d: &Deployment, type_: &str) -> Option<(String, Option<String>)> {
    d.status
        .as_ref()?
        .conditions
        .as_ref()?
        .iter()
        .find(|c| c.type_ == type_)
        .map(|c| (c.status.clone(), c.reason.clone()))
}

#[tokio::test]
async fn deployment_becomes_available_through_scheduler_and_kwok() {
    let ns = TestNamespace::new("deploy").await;
    let api: Api<Deployment> = ns.api();
    api.create(&PostParams::default(), &deployment("web", 3, None, 600))
        .await
        .unwrap();
    wait::until("3/3 available", Duration::from_secs(90), || async {
        let d = api.get("web").await.map_err(|e| e.to_string())?;
        let available = d
            .status
            .as_ref()
            .and_then(|s| s.available_replicas)
            .unwrap_or(0);
        match condition(&d, "Available") {
            Some((s, _)) if s == "True" && available == 3 => Ok(()),
            other => Err(format!("available={available} condition={other:?}")),
        }
    })
    .await;
}

#[tokio::test]
async fn crashlooping_pods_never_become_available_and_hit_the_progress_deadline() {
    let ns = TestNamespace::new("crash").await;
    let api: Api<Deployment> = ns.api();
    api.create(
        &PostParams::default(),
        &deployment("crashy", 2, Some("crashloop"), 10),
    )
    .await
    .unwrap();
    wait::until(
        "ProgressDeadlineExceeded",
        Duration::from_secs(120),
        || async {
            let d = api.get("crashy").await.map_err(|e| e.to_string())?;
            let available = d
                .status
                .as_ref()
                .and_then(|s| s.available_replicas)
                .unwrap_or(0);
            if available > 0 {
                panic!("a crashlooping pod became available");
            }
            match condition(&d, "Progressing") {
                Some((s, Some(r))) if s == "False" && r == "ProgressDeadlineExceeded" => Ok(()),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
}

#[tokio::test]
async fn deleting_a_namespace_removes_what_was_in_it() {
    let ns = TestNamespace::new("nsdel").await;
    let deployments: Api<Deployment> = ns.api();
    deployments
        .create(&PostParams::default(), &deployment("doomed", 1, None, 600))
        .await
        .unwrap();
    let cms: Api<ConfigMap> = ns.api();
    let cm: ConfigMap =
        serde_json::from_value(json!({"metadata": {"name": "c"}, "data": {"k": "v"}})).unwrap();
    cms.create(&PostParams::default(), &cm).await.unwrap();

    let namespaces: Api<Namespace> = Api::all(ns.client.clone());
    namespaces
        .delete(&ns.name, &Default::default())
        .await
        .unwrap();
    wait::until("namespace gone", Duration::from_secs(120), || async {
        match namespaces
            .get_opt(&ns.name)
            .await
            .map_err(|e| e.to_string())?
        {
            None => Ok(()),
            Some(n) => Err(format!("phase {:?}", n.status.and_then(|s| s.phase))),
        }
    })
    .await;
    assert!(
        deployments
            .list(&Default::default())
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(cms.get_opt("c").await.unwrap().is_none());
}

/// `kubectl get cenv` shows environment, revision, ready, rollout phase, drift % and the Ready
/// message; `-o wide` (priority 1) adds team, project and strategy.
#[test]
fn crd_printer_columns_follow_design() {
    use kube::CustomResourceExt;
    let crd = ClaudeEnvironment::crd();
    let cols: Vec<(&str, i32)> = crd.spec.versions[0]
        .additional_printer_columns
        .as_ref()
        .unwrap()
        .iter()
        .map(|c| (c.name.as_str(), c.priority.unwrap_or(0)))
        .collect();
    let shown: Vec<&str> = cols.iter().filter(|c| c.1 == 0).map(|c| c.0).collect();
    let wide: Vec<&str> = cols.iter().filter(|c| c.1 == 1).map(|c| c.0).collect();
    assert_eq!(
        shown,
        [
            "Environment",
            "Revision",
            "Ready",
            "Rollout",
            "Drift",
            "Age",
            "Message"
        ]
    );
    assert_eq!(wide, ["Team", "Project", "Strategy"]);
    assert_eq!(
        crd.spec.names.short_names.as_deref(),
        Some(&["cenv".to_string()][..])
    );
}
