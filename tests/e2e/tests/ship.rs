//! Shipping (issue 6): the Helm chart lints, renders and is accepted by the API server with
//! default and full values and installs for real; the kustomize base too; the chart's RBAC is
//! sufficient (the real controller, authenticated with the chart's ServiceAccount token,
//! reconciles an environment to Ready) and minimal (`kubectl auth can-i`); the generated
//! copies are in sync and the alert rules pass promtool; and every Grafana panel's query
//! parses and returns series in a real Prometheus scraping a running controller.

// An end-to-end scenario reads as one story, top to bottom: splitting it would hide the
// order of events it proves.
#![allow(clippy::too_many_lines)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::time::Duration;

use claude_env_api::{ClaudeEnvironment, annotations, condition};
use claude_env_e2e::controller::Options;
use claude_env_e2e::ship_support::{
    CHART, CLUSTER_SCOPED_KINDS, ClusterScopedCleanup, Prometheus, helm, kinds_and_names, kubectl,
    only, run_ok, run_with_input, shared_cluster_values, to_stream, token_kubeconfig, values_file,
    yaml_docs,
};
use claude_env_e2e::{
    Cluster, ConfigRepo, Controller, TestNamespace, annotate, environment, metric, repo_root, wait,
};
use claude_env_testkit::HttpAuth;
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

const FULL_VALUES: &str = "charts/claude-env-controller/ci/full-values.yaml";
/// Kinds whose CRDs (Prometheus Operator) the local cluster does not have.
const OPERATOR_KINDS: &[&str] = &["ServiceMonitor", "PrometheusRule"];

fn helm_template(cluster: &Cluster, release: &str, namespace: &str, args: &[&str]) -> Vec<Value> {
    let text = run_ok(
        helm(cluster)
            .args(["template", release, CHART, "--namespace", namespace])
            .args(args),
        None,
    );
    yaml_docs(&text)
}

/// `kubectl apply --dry-run=server`: the API server validates and admits every object.
fn server_dry_run(cluster: &Cluster, docs: &[Value]) -> String {
    run_ok(
        kubectl(cluster).args(["apply", "--dry-run=server", "-f", "-"]),
        Some(&to_stream(docs)),
    )
}

fn container(deployment: &Value) -> &Value {
    &deployment["spec"]["template"]["spec"]["containers"][0]
}

fn args_of(deployment: &Value) -> Vec<String> {
    container(deployment)["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------
// Copies and rules

#[tokio::test]
async fn chart_and_kustomize_copies_are_in_sync_and_alert_rules_pass_promtool() {
    // helm (for sync.sh's kustomize render) comes with the cluster build.
    Cluster::get().await;
    let root = repo_root();
    let sync = run_with_input(
        std::process::Command::new(root.join("hack/ship/sync.sh"))
            .arg("--check")
            .current_dir(&root),
        None,
    );
    assert!(
        sync.status.success(),
        "the chart's or the kustomize base's copies are stale — run hack/ship/sync.sh:\n{}{}",
        String::from_utf8_lossy(&sync.stdout),
        String::from_utf8_lossy(&sync.stderr)
    );
    let rules = run_ok(
        std::process::Command::new(root.join("hack/ship/test-rules.sh")).current_dir(&root),
        None,
    );
    assert!(rules.contains("SUCCESS"), "{rules}");
}

// ---------------------------------------------------------------------------------------
// The chart, rendered

#[tokio::test]
async fn chart_lints_and_renders_objects_the_api_server_accepts() {
    let cluster = Cluster::get().await;
    let ns = TestNamespace::new("chart").await;

    for values in [None, Some(FULL_VALUES)] {
        let mut lint = helm(cluster);
        lint.args(["lint", "--strict", CHART]);
        if let Some(v) = values {
            lint.args(["--values", v]);
        }
        let out = run_ok(&mut lint, None);
        assert!(out.contains("0 chart(s) failed"), "{out}");
    }

    // Default values, CRDs included.
    let docs = helm_template(cluster, "claude-env", &ns.name, &["--include-crds"]);
    let out = server_dry_run(cluster, &docs);
    assert!(
        out.contains("deployment.apps/claude-env-claude-env-controller created (server dry run)"),
        "{out}"
    );
    let kinds: BTreeSet<String> = docs
        .iter()
        .map(|d| d["kind"].as_str().unwrap().to_string())
        .collect();
    for k in [
        "CustomResourceDefinition",
        "Deployment",
        "ServiceAccount",
        "ClusterRole",
        "ClusterRoleBinding",
        "Role",
        "RoleBinding",
        "Service",
        "Secret",
        "NetworkPolicy",
        "PodDisruptionBudget",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
    ] {
        assert!(kinds.contains(k), "default render lacks a {k}: {kinds:?}");
    }
    // Every CRD of crds/, as generated, with the release's labels and the keep annotation.
    let crds: Vec<&Value> = docs
        .iter()
        .filter(|d| d["kind"] == "CustomResourceDefinition")
        .collect();
    let generated = std::fs::read_dir(repo_root().join("crds")).unwrap().count();
    assert_eq!(crds.len(), generated, "one chart CRD per file of crds/");
    for crd in crds {
        let file = format!(
            "crds/{}_{}.yaml",
            crd["spec"]["group"].as_str().unwrap(),
            crd["spec"]["names"]["plural"].as_str().unwrap()
        );
        let repo_crd: Value =
            serde_saphyr::from_str(&std::fs::read_to_string(repo_root().join(&file)).unwrap())
                .unwrap();
        assert_eq!(
            crd["spec"], repo_crd["spec"],
            "the chart's CRD is the generated {file}"
        );
        assert_eq!(crd["metadata"]["name"], repo_crd["metadata"]["name"]);
        assert_eq!(
            crd["metadata"]["annotations"]["helm.sh/resource-policy"],
            "keep"
        );
    }

    // The Deployment: HA, probes, hardening, downward API, the cache volume.
    let dep = only(&docs, "Deployment");
    assert_eq!(dep["spec"]["replicas"], 2);
    let args = args_of(dep);
    for a in [
        "--leader-elect",
        "--metrics-addr=0.0.0.0:8080",
        "--webhook-addr=0.0.0.0:9292",
        "--log-format=json",
    ] {
        assert!(args.iter().any(|x| x == a), "missing {a}: {args:?}");
    }
    assert!(
        args.iter()
            .any(|a| a.starts_with("--webhook-secret-file=/etc/claude-env/webhook/")),
        "{args:?}"
    );
    let c = container(dep);
    assert_eq!(c["livenessProbe"]["httpGet"]["path"], "/healthz");
    assert_eq!(c["readinessProbe"]["httpGet"]["path"], "/readyz");
    assert_eq!(c["livenessProbe"]["httpGet"]["port"], "metrics");
    let ports: Vec<(Value, Value)> = c["ports"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].clone(), p["containerPort"].clone()))
        .collect();
    assert!(
        ports.contains(&(json!("metrics"), json!(8080)))
            && ports.contains(&(json!("webhook"), json!(9292))),
        "{ports:?}"
    );
    let sc = &c["securityContext"];
    assert_eq!(sc["readOnlyRootFilesystem"], true);
    assert_eq!(sc["runAsNonRoot"], true);
    assert_eq!(sc["allowPrivilegeEscalation"], false);
    assert_eq!(sc["capabilities"]["drop"], json!(["ALL"]));
    assert_eq!(sc["seccompProfile"]["type"], "RuntimeDefault");
    let psc = &dep["spec"]["template"]["spec"]["securityContext"];
    assert_eq!(psc["runAsNonRoot"], true);
    assert_eq!(psc["runAsUser"], 65532);
    assert_eq!(psc["seccompProfile"]["type"], "RuntimeDefault");
    assert!(
        c["resources"]["requests"]["memory"].is_string()
            && c["resources"]["limits"]["memory"].is_string()
    );
    let env: BTreeMap<String, Value> = c["env"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["name"].as_str().unwrap().to_string(), e.clone()))
        .collect();
    assert_eq!(
        env["POD_NAME"]["valueFrom"]["fieldRef"]["fieldPath"],
        "metadata.name"
    );
    assert_eq!(
        env["POD_NAMESPACE"]["valueFrom"]["fieldRef"]["fieldPath"],
        "metadata.namespace"
    );
    let cache = args
        .iter()
        .find_map(|a| a.strip_prefix("--cache-dir="))
        .expect("--cache-dir");
    let mount = c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["mountPath"] == cache)
        .expect("the cache dir is a mounted volume");
    let volume = dep["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == mount["name"])
        .unwrap();
    assert!(volume["emptyDir"].is_object(), "{volume}");
    assert_eq!(
        only(&docs, "PodDisruptionBudget")["spec"]["minAvailable"],
        1
    );

    // Full values: every optional object; the Prometheus Operator kinds are checked here
    // (the local cluster has no such CRDs), everything else by the API server.
    let full = helm_template(cluster, "claude-env", &ns.name, &["--values", FULL_VALUES]);
    let (operator, plain): (Vec<Value>, Vec<Value>) = full
        .into_iter()
        .partition(|d| OPERATOR_KINDS.contains(&d["kind"].as_str().unwrap()));
    let out = server_dry_run(cluster, &plain);
    for expected in [
        "ingress.networking.k8s.io/claude-env-webhook",
        "configmap/claude-env-dashboard-claude-env-fleet",
        "secret/config-repo-auth",
    ] {
        assert!(out.contains(expected), "{expected} not applied:\n{out}");
    }
    let dep = only(&plain, "Deployment");
    let args = args_of(dep);
    for a in [
        "--label-selector=claude-env.io/shard=a",
        "--concurrency=16",
        "--log-format=text",
        "--leader-elect-lease=claude-env-shard-a",
        "--environment-branch=staging=release",
        "--default-branch=trunk",
        "--retry-interval=5s",
        "--cache-dir=/cache",
    ] {
        assert!(args.iter().any(|x| x == a), "missing {a}: {args:?}");
    }
    assert_eq!(
        container(dep)["image"],
        "registry.example.com/platform/claude-env-controller@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    );
    // Secrets only through Roles in the listed namespaces, only by name.
    let secret_rules: Vec<&Value> = plain
        .iter()
        .filter(|d| d["kind"] == "Role" || d["kind"] == "ClusterRole")
        .flat_map(|d| d["rules"].as_array().unwrap())
        .filter(|r| {
            r["resources"]
                .as_array()
                .unwrap()
                .contains(&json!("secrets"))
        })
        .collect();
    assert_eq!(secret_rules.len(), 1, "{secret_rules:?}");
    assert_eq!(secret_rules[0]["verbs"], json!(["get"]));
    assert_eq!(
        secret_rules[0]["resourceNames"],
        json!(["config-repo-auth", "config-repo-keys"])
    );

    // The PrometheusRule is deploy/prometheus/rules.yaml with the runbook base replaced.
    let rule = operator
        .iter()
        .find(|d| d["kind"] == "PrometheusRule")
        .unwrap();
    let canonical = std::fs::read_to_string(repo_root().join("deploy/prometheus/rules.yaml"))
        .unwrap()
        .replace(
            "https://github.com/claude-env/claude-env/blob/main/docs/operations.md",
            "https://wiki.example.com/claude-env/operations",
        );
    let canonical: Value = serde_saphyr::from_str(&canonical).unwrap();
    assert_eq!(rule["spec"], canonical);
    assert_eq!(
        rule["metadata"]["labels"]["release"],
        "kube-prometheus-stack"
    );
    // The ServiceMonitor selects the metrics Service (and only it) by labels and port name.
    let sm = operator
        .iter()
        .find(|d| d["kind"] == "ServiceMonitor")
        .unwrap();
    let services: Vec<&Value> = plain.iter().filter(|d| d["kind"] == "Service").collect();
    let selected: Vec<&&Value> = services
        .iter()
        .filter(|s| {
            sm["spec"]["selector"]["matchLabels"]
                .as_object()
                .unwrap()
                .iter()
                .all(|(k, v)| &s["metadata"]["labels"][k] == v)
        })
        .collect();
    assert_eq!(
        selected.len(),
        1,
        "the ServiceMonitor must select exactly the metrics Service"
    );
    assert_eq!(
        selected[0]["spec"]["ports"][0]["name"],
        sm["spec"]["endpoints"][0]["port"]
    );
    // Grafana sidecar ConfigMaps carry the dashboards verbatim.
    for file in ["claude-env-fleet.json", "claude-env-environment.json"] {
        let cm = plain
            .iter()
            .find(|d| d["kind"] == "ConfigMap" && d["data"][file].is_string())
            .unwrap_or_else(|| panic!("no ConfigMap with {file}"));
        assert_eq!(cm["metadata"]["labels"]["grafana_dashboard"], "1");
        let on_disk =
            std::fs::read_to_string(repo_root().join("deploy/grafana").join(file)).unwrap();
        assert_eq!(
            cm["data"][file].as_str().unwrap().trim_end(),
            on_disk.trim_end()
        );
    }

    // Namespaced mode: Roles only, in the watched namespace, and the flag.
    let namespaced = helm_template(
        cluster,
        "claude-env",
        &ns.name,
        &["--set", &format!("watchNamespace={}", ns.name)],
    );
    let kinds = kinds_and_names(&namespaced);
    assert!(
        !kinds.iter().any(|k| k.starts_with("ClusterRole")),
        "namespaced mode has no cluster-wide RBAC: {kinds:?}"
    );
    assert!(
        args_of(only(&namespaced, "Deployment"))
            .contains(&format!("--watch-namespace={}", ns.name))
    );
    server_dry_run(cluster, &namespaced);

    // values.schema.json is strict; inconsistent values fail.
    for (set, expect) in [
        ("bogus=1", "additional properties 'bogus' not allowed"),
        (
            "webhook.secrett=x",
            "additional properties 'secrett' not allowed",
        ),
        ("logFormat=xml", "logFormat"),
        ("rbac.secrets.scope=everything", "scope"),
        (
            "leaderElection.enabled=false",
            "replicaCount > 1 needs leaderElection.enabled",
        ),
    ] {
        let out = run_with_input(
            helm(cluster).args(["template", "x", CHART, "--set", set]),
            None,
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && err.contains(expect),
            "--set {set}: expected failure with {expect:?}, got: {err}"
        );
    }

    // The packaged chart carries the CRD, the rules and the dashboards (copies, no links).
    let pkg = tempfile::tempdir().unwrap();
    run_ok(
        helm(cluster)
            .args(["package", CHART, "--destination"])
            .arg(pkg.path()),
        None,
    );
    let tgz = std::fs::read_dir(pkg.path())
        .unwrap()
        .next()
        .expect("a packaged chart")
        .unwrap()
        .path();
    let text = run_ok(
        helm(cluster)
            .args(["template", "x"])
            .arg(&tgz)
            .args([
                "--include-crds",
                "--set",
                "metrics.prometheusRule.enabled=true",
            ])
            .args(["--set", "grafanaDashboards.enabled=true"]),
        None,
    );
    let packaged = yaml_docs(&text);
    let crds = packaged
        .iter()
        .filter(|d| d["kind"] == "CustomResourceDefinition")
        .count();
    let generated = std::fs::read_dir(repo_root().join("crds")).unwrap().count();
    assert_eq!(crds, generated, "every CRD is packaged");
    let rule = only(&packaged, "PrometheusRule");
    assert_eq!(
        rule["spec"]["groups"][0]["rules"].as_array().unwrap().len(),
        10
    );
    let dashboards = packaged
        .iter()
        .filter(|d| d["kind"] == "ConfigMap" && d["metadata"]["labels"]["grafana_dashboard"] == "1")
        .count();
    assert_eq!(dashboards, 2);
}

#[tokio::test]
async fn kustomize_base_with_the_webhook_component_is_accepted_by_the_api_server() {
    let cluster = Cluster::get().await;
    let ns = TestNamespace::new("kustomize").await;
    // An overlay as a user would write it, in build/ (ignored by Git).
    let dir = repo_root().join("build/ship-tests").join(&ns.name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("kustomization.yaml"),
        format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {}\n\
             resources: [../../../deploy/kustomize/base]\ncomponents: [../../../deploy/kustomize/components/webhook]\n",
            ns.name
        ),
    )
    .unwrap();
    let text = run_ok(kubectl(cluster).arg("kustomize").arg(&dir), None);
    let _ = std::fs::remove_dir_all(&dir);
    let docs = yaml_docs(&text);
    // The namespace is the overlay's; drop the Namespace object (the test namespace exists).
    let docs: Vec<Value> = docs
        .into_iter()
        .filter(|d| d["kind"] != "Namespace")
        .collect();
    let dep = only(&docs, "Deployment");
    assert_eq!(dep["metadata"]["namespace"], ns.name.as_str());
    let args = args_of(dep);
    assert!(
        args.contains(&"--webhook-secret-file=/etc/claude-env/webhook/secret".to_string()),
        "{args:?}"
    );
    assert!(args.contains(&"--leader-elect".to_string()));
    assert!(
        !text.contains("helm.sh/chart"),
        "the kustomize base carries no Helm labels"
    );
    // Role bindings follow the namespace.
    for b in docs
        .iter()
        .filter(|d| d["kind"] == "RoleBinding" || d["kind"] == "ClusterRoleBinding")
    {
        assert_eq!(b["subjects"][0]["namespace"], ns.name.as_str(), "{b}");
    }
    let out = server_dry_run(cluster, &docs);
    assert!(
        out.contains("service/claude-env-controller-webhook created (server dry run)"),
        "{out}"
    );
}

// ---------------------------------------------------------------------------------------
// A real install

#[tokio::test]
async fn helm_install_upgrade_and_uninstall() {
    let cluster = Cluster::get().await;
    let ns = TestNamespace::new("helm").await;
    let release = ns.name.clone();
    let _cleanup = ClusterScopedCleanup {
        release: release.clone(),
    };
    let fullname = format!("{release}-claude-env-controller");
    // The shared cluster's CRD stays the harness's; the admission policy judges only this
    // test's namespace.
    let tmp = tempfile::tempdir().unwrap();
    let values = values_file(
        tmp.path(),
        "values.json",
        &shared_cluster_values(&[&ns.name], json!({})),
    );

    // KWOK runs the pods (no image is pulled), so the Deployment becomes Available.
    let out = run_ok(
        helm(cluster)
            .args([
                "install",
                &release,
                CHART,
                "--namespace",
                &ns.name,
                "--wait",
                "--timeout",
                "3m",
                "--values",
            ])
            .arg(&values),
        None,
    );
    assert!(out.contains("STATUS: deployed"), "{out}");
    assert!(
        out.contains(&format!(
            "kubectl -n {} rollout status deployment/{fullname}",
            ns.name
        )),
        "NOTES are shown:\n{out}"
    );
    let deployments: Api<Deployment> = ns.api();
    let dep = deployments.get(&fullname).await.unwrap();
    assert_eq!(dep.status.and_then(|s| s.ready_replicas), Some(2));
    for (kind, name) in [
        ("serviceaccount", fullname.clone()),
        ("service", format!("{fullname}-metrics")),
        ("service", format!("{fullname}-webhook")),
        ("secret", format!("{fullname}-webhook")),
        ("role", format!("{fullname}-leader-election")),
        ("poddisruptionbudget", fullname.clone()),
        ("networkpolicy", fullname.clone()),
        ("clusterrole", fullname.clone()),
        ("clusterrolebinding", fullname.clone()),
        ("clusterrole", format!("{fullname}-secrets")),
        ("validatingadmissionpolicy", format!("{release}-tenancy")),
        (
            "validatingadmissionpolicybinding",
            format!("{release}-tenancy"),
        ),
    ] {
        run_ok(
            kubectl(cluster).args(["get", kind, &name, "-n", &ns.name]),
            None,
        );
    }
    let secrets: Api<Secret> = ns.api();
    let generated = secrets
        .get(&format!("{fullname}-webhook"))
        .await
        .unwrap()
        .data
        .unwrap()["secret"]
        .0
        .clone();
    assert_eq!(generated.len(), 40, "a random webhook secret is generated");

    // An upgrade keeps the generated webhook secret (lookup) and applies the new values.
    run_ok(
        helm(cluster).args([
            "upgrade",
            &release,
            CHART,
            "--namespace",
            &ns.name,
            "--reuse-values",
            "--set",
            "concurrency=3",
            "--wait",
            "--timeout",
            "3m",
        ]),
        None,
    );
    let after = secrets
        .get(&format!("{fullname}-webhook"))
        .await
        .unwrap()
        .data
        .unwrap()["secret"]
        .0
        .clone();
    assert_eq!(after, generated, "upgrades keep the webhook secret");
    let dep = deployments.get(&fullname).await.unwrap();
    let args = dep.spec.unwrap().template.spec.unwrap().containers[0]
        .args
        .clone()
        .unwrap();
    assert!(args.contains(&"--concurrency=3".to_string()), "{args:?}");
    let status = run_ok(
        helm(cluster).args(["status", &release, "--namespace", &ns.name, "-o", "json"]),
        None,
    );
    let status: Value = serde_json::from_str(&status).unwrap();
    assert_eq!(status["info"]["status"], "deployed");
    assert_eq!(status["version"], 2);

    // Uninstall removes everything, cluster-scoped objects included.
    run_ok(
        helm(cluster).args(["uninstall", &release, "--namespace", &ns.name, "--wait"]),
        None,
    );
    assert!(deployments.get_opt(&fullname).await.unwrap().is_none());
    let left = run_ok(
        kubectl(cluster).args([
            "get",
            CLUSTER_SCOPED_KINDS,
            "-l",
            &format!("app.kubernetes.io/instance={release}"),
            "-o",
            "name",
        ]),
        None,
    );
    assert!(left.trim().is_empty(), "left behind: {left}");
}

// ---------------------------------------------------------------------------------------
// RBAC: sufficient and minimal

/// `kubectl auth can-i` as the chart's ServiceAccount: true for "yes".
fn can_i(cluster: &Cluster, sa: &str, args: &[&str]) -> bool {
    let out = run_with_input(
        kubectl(cluster)
            .args(["auth", "can-i"])
            .args(args)
            .args(["--as", sa]),
        None,
    );
    String::from_utf8_lossy(&out.stdout).trim() == "yes"
}

fn condition_status(env: &ClaudeEnvironment, type_: &str) -> Option<(String, String)> {
    env.status
        .as_ref()?
        .conditions
        .iter()
        .find(|c| c.type_ == type_)
        .map(|c| (c.status.clone(), c.message.clone()))
}

/// Install only the chart's ServiceAccount and RBAC, run the real controller with that
/// ServiceAccount's token, reconcile an environment whose repository needs a Secret to
/// Ready, then check what the ServiceAccount may not do.
async fn rbac_end_to_end(namespaced: bool) {
    let cluster = Cluster::get().await;
    let ns = TestNamespace::new(if namespaced { "rbac-ns" } else { "rbac-cl" }).await;
    let other = TestNamespace::new("rbac-other").await;
    let release = ns.name.clone();
    let _cleanup = ClusterScopedCleanup {
        release: release.clone(),
    };
    let fullname = format!("{release}-claude-env-controller");
    let sa = format!("system:serviceaccount:{}:{fullname}", ns.name);

    let mut set = vec![
        "--show-only",
        "templates/serviceaccount.yaml",
        "--show-only",
        "templates/rbac.yaml",
    ];
    let watch = format!("watchNamespace={}", ns.name);
    if namespaced {
        set.extend(["--set", &watch]);
    }
    let rbac = helm_template(cluster, &release, &ns.name, &set);
    let kinds = kinds_and_names(&rbac);
    assert_eq!(
        kinds.iter().any(|k| k.starts_with("ClusterRole")),
        !namespaced,
        "{kinds:?}"
    );
    run_ok(
        kubectl(cluster).args(["apply", "-f", "-"]),
        Some(&to_stream(&rbac)),
    );

    let token = run_ok(
        kubectl(cluster).args([
            "create",
            "token",
            &fullname,
            "-n",
            &ns.name,
            "--duration",
            "1h",
        ]),
        None,
    );
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = token_kubeconfig(&cluster.kubeconfig, &token, tmp.path());

    // A repository that needs credentials, from a Secret the spec references.
    let repo = ConfigRepo::example_with(HttpAuth::Basic {
        username: "git".into(),
        password: "s3cret-pass".into(),
    });
    let secrets: Api<Secret> = ns.api();
    let secret: Secret = serde_json::from_value(json!({
        "metadata": {"name": "config-repo-auth"},
        "stringData": {"username": "git", "password": "s3cret-pass"},
    }))
    .unwrap();
    secrets
        .create(&PostParams::default(), &secret)
        .await
        .unwrap();

    let shard = format!("claude-env.io/shard={}", ns.name);
    let mut extra_args: Vec<String> = vec![
        "--leader-elect".into(),
        "--leader-elect-lease".into(),
        fullname.clone(),
        "--leader-elect-lease-duration".into(),
        "6s".into(),
    ];
    if !namespaced {
        // Cluster-wide, but only this test's environment: the cluster is shared.
        extra_args.extend(["--label-selector".into(), shard.clone()]);
    }
    // As the chart runs it: the ServiceAccount's token, the Lease in POD_NAMESPACE, no
    // webhook secret.
    let ctl = Controller::start_with(
        &ns.name,
        Options {
            kubeconfig: Some(kubeconfig),
            env: vec![("POD_NAMESPACE".into(), ns.name.clone())],
            pod_name_prefix: Some("ship-controller-".into()),
            watch_namespace: namespaced,
            webhook: false,
            extra_args,
            ..Default::default()
        },
    )
    .await;

    let envs: Api<ClaudeEnvironment> = ns.api();
    let mut env = environment(
        "be-staging",
        &repo.url,
        "staging",
        "backend",
        json!({"source": {"secretRef": {"name": "config-repo-auth"}}}),
    );
    env.metadata.labels = Some([("claude-env.io/shard".to_string(), ns.name.clone())].into());
    envs.create(&PostParams::default(), &env).await.unwrap();
    let head = repo.head();
    wait::until(
        "be-staging Ready with the ServiceAccount's permissions",
        Duration::from_secs(120),
        || async {
            let e = envs.get("be-staging").await.map_err(|e| e.to_string())?;
            let applied = e
                .status
                .as_ref()
                .and_then(|s| s.last_applied_revision.clone());
            match condition_status(&e, condition::READY) {
                Some((s, _)) if s == "True" && applied.as_deref() == Some(head.as_str()) => Ok(()),
                other => Err(format!("applied={applied:?} ready={other:?}")),
            }
        },
    )
    .await;
    let deployments: Api<Deployment> = ns.api();
    assert!(
        !deployments
            .list(&Default::default())
            .await
            .unwrap()
            .items
            .is_empty(),
        "MCP server Deployments were applied"
    );
    // The lease was taken with the chart's Role.
    let lease = Api::<Lease>::namespaced(ns.client.clone(), &ns.name)
        .get(&fullname)
        .await
        .unwrap();
    assert!(
        lease
            .spec
            .unwrap()
            .holder_identity
            .unwrap()
            .starts_with("ship-controller-")
    );
    // Deleting the environment prunes its objects (delete) and removes the finalizer (patch).
    envs.delete("be-staging", &Default::default())
        .await
        .unwrap();
    wait::until(
        "be-staging deleted and pruned",
        Duration::from_secs(60),
        || async {
            let gone = envs
                .get_opt("be-staging")
                .await
                .map_err(|e| e.to_string())?
                .is_none();
            let left = deployments
                .list(&Default::default())
                .await
                .map_err(|e| e.to_string())?
                .items
                .len();
            if gone && left == 0 {
                Ok(())
            } else {
                Err(format!("environment gone={gone}, deployments left={left}"))
            }
        },
    )
    .await;
    let logs = ctl.logs();
    assert!(
        !logs.to_lowercase().contains("forbidden"),
        "the controller hit a permission error:\n{logs}"
    );

    // Minimal: what it uses, and nothing else.
    let n = ns.name.as_str();
    let o = other.name.as_str();
    for (args, expect) in [
        (
            vec!["list", "claudeenvironments.claude-env.io", "-n", n],
            true,
        ),
        (
            vec![
                "patch",
                "claudeenvironments.claude-env.io",
                "-n",
                n,
                "--subresource=status",
            ],
            true,
        ),
        (vec!["patch", "deployments.apps", "-n", n], true),
        (vec!["delete", "configmaps", "-n", n], true),
        (vec!["create", "events.events.k8s.io", "-n", n], true),
        (vec!["list", "pods", "-n", n], true),
        (vec!["get", "secrets", "-n", n], true),
        (
            vec![
                "patch",
                &format!("leases.coordination.k8s.io/{fullname}"),
                "-n",
                n,
            ],
            true,
        ),
        // Never needed:
        (vec!["delete", "namespaces"], false),
        (vec!["create", "pods", "-n", n], false),
        (vec!["delete", "pods", "-n", n], false),
        (vec!["watch", "pods", "-n", n], false),
        (vec!["list", "secrets", "-n", n], false),
        (vec!["watch", "secrets", "-n", n], false),
        (vec!["list", "secrets", "--all-namespaces"], false),
        (
            vec!["delete", "claudeenvironments.claude-env.io", "-n", n],
            false,
        ),
        (
            vec!["create", "claudeenvironments.claude-env.io", "-n", n],
            false,
        ),
        (
            vec!["update", "claudeenvironments.claude-env.io", "-n", n],
            false,
        ),
        (
            vec![
                "patch",
                "leases.coordination.k8s.io/someone-elses-lease",
                "-n",
                n,
            ],
            false,
        ),
        (
            vec!["create", "clusterroles.rbac.authorization.k8s.io"],
            false,
        ),
        (
            vec!["create", "rolebindings.rbac.authorization.k8s.io", "-n", n],
            false,
        ),
        (vec!["create", "events", "-n", n], false),
        (vec!["patch", "nodes"], false),
        (
            vec!["create", "serviceaccounts", "--subresource=token", "-n", n],
            false,
        ),
        (vec!["get", "leases.coordination.k8s.io", "-n", o], false),
        // Cluster-wide mode reads referenced Secrets in any namespace (by name, never a
        // list); namespaced mode nowhere but its namespace.
        (vec!["get", "secrets", "-n", o], !namespaced),
        (
            vec!["list", "deployments.apps", "--all-namespaces"],
            !namespaced,
        ),
        (vec!["patch", "deployments.apps", "-n", o], !namespaced),
        (
            vec!["get", "claudeenvironments.claude-env.io", "-n", o],
            !namespaced,
        ),
    ] {
        assert_eq!(
            can_i(cluster, &sa, &args),
            expect,
            "can-i {args:?} as the chart's ServiceAccount"
        );
    }
}

#[tokio::test]
async fn rbac_cluster_wide_is_sufficient_and_minimal() {
    rbac_end_to_end(false).await;
}

#[tokio::test]
async fn rbac_namespaced_is_sufficient_and_minimal() {
    rbac_end_to_end(true).await;
}

// ---------------------------------------------------------------------------------------
// Dashboards against a real Prometheus

/// Every query target of every panel, rows' nested panels included: (panel title, refId, expr).
fn panel_queries(dashboard: &Value) -> Vec<(String, String, String)> {
    fn walk(panels: &[Value], out: &mut Vec<(String, String, String)>) {
        for p in panels {
            if let Some(nested) = p["panels"].as_array() {
                walk(nested, out);
            }
            for t in p["targets"].as_array().into_iter().flatten() {
                let expr = t["expr"]
                    .as_str()
                    .unwrap_or_else(|| panic!("panel {} target without expr", p["title"]));
                out.push((
                    p["title"].as_str().unwrap().to_string(),
                    t["refId"].as_str().unwrap().to_string(),
                    expr.to_string(),
                ));
            }
        }
    }
    let mut out = Vec::new();
    walk(dashboard["panels"].as_array().unwrap(), &mut out);
    out
}

/// Grafana's variables, longest name first so `$name` never eats `$namespace`.
fn substitute(expr: &str, vars: &[(&str, &str)]) -> String {
    let mut vars = vars.to_vec();
    vars.sort_by_key(|(k, _)| std::cmp::Reverse(k.len()));
    let mut s = expr.to_string();
    for (k, v) in vars {
        s = s
            .replace(&format!("${{{k}}}"), v)
            .replace(&format!("${k}"), v);
    }
    s
}

async fn ready(envs: &Api<ClaudeEnvironment>, name: &str) {
    wait::until(
        &format!("{name} Ready"),
        Duration::from_secs(120),
        || async {
            let e = envs.get(name).await.map_err(|e| e.to_string())?;
            match condition_status(&e, condition::READY) {
                Some((s, _)) if s == "True" => Ok(()),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await;
}

#[tokio::test]
async fn every_dashboard_query_parses_and_returns_series_from_a_running_controller() {
    // Two teams' namespaces, each with a `be-production`: every per-environment series
    // must stay two series. One controller serves both (all namespaces, selected by a label
    // only this test's environments carry).
    let ns = TestNamespace::new("dash").await;
    let other = TestNamespace::new("dash-b").await;
    let shard = format!("claude-env.io/e2e-shard={}", ns.name);
    let mut repo = ConfigRepo::example();
    let ctl = Controller::start_with(
        &ns.name,
        Options {
            leader_elect: true,
            watch_namespace: false,
            extra_args: vec!["--label-selector".into(), shard.clone()],
            env: vec![("POD_NAMESPACE".into(), ns.name.clone())],
            ..Default::default()
        },
    )
    .await;
    let rules = repo_root().join("deploy/prometheus/rules.yaml");
    let prom = Prometheus::start(
        "claude-env-controller",
        &[format!("127.0.0.1:{}", ctl.metrics_port)],
        std::slice::from_ref(&rules),
    )
    .await;

    // Three environments of one team: staging and production run MCP servers in-cluster.
    let envs: Api<ClaudeEnvironment> = ns.api();
    let labelled = |mut e: ClaudeEnvironment| {
        let (k, v) = shard.split_once('=').unwrap();
        e.metadata.labels = Some([(k.to_string(), v.to_string())].into());
        e
    };
    // Development polls every 5 s, so a Git outage shows as a steady run of failed fetches
    // (within its interval a failed fetch serves the cached revision).
    for (name, environment_name, interval) in [
        ("be-staging", "staging", "1m"),
        ("be-production", "production", "1m"),
        ("be-development", "development", "5s"),
    ] {
        let spec = json!({"source": {"interval": interval}});
        envs.create(
            &PostParams::default(),
            &labelled(environment(
                name,
                &repo.url,
                environment_name,
                "backend",
                spec,
            )),
        )
        .await
        .unwrap();
    }
    let other_envs: Api<ClaudeEnvironment> = other.api();
    other_envs
        .create(
            &PostParams::default(),
            &labelled(environment(
                "be-production",
                &repo.url,
                "production",
                "frontend",
                json!({}),
            )),
        )
        .await
        .unwrap();
    ready(&other_envs, "be-production").await;
    for name in ["be-staging", "be-production", "be-development"] {
        ready(&envs, name).await;
    }

    // Drift: staging's is remediated, production's (policy Alert) is reported and stays.
    let deployments: Api<Deployment> = ns.api();
    let scale = json!({"spec": {"replicas": 3}});
    deployments
        .patch(
            "be-staging-context7",
            &PatchParams::default(),
            &Patch::Merge(&scale),
        )
        .await
        .unwrap();
    let image = json!({"spec": {"template": {"spec": {"containers": [{"name": "mcp", "image": "ghcr.io/claude-env/context7-mcp:9.9.9"}]}}}});
    deployments
        .patch(
            "be-production-context7",
            &PatchParams::default(),
            &Patch::Strategic(&image),
        )
        .await
        .unwrap();
    wait::until(
        "drift remediated in staging and reported in production",
        Duration::from_secs(60),
        || async {
            let m = ctl.metrics().await;
            let remediated = metric(
                &m,
                "claude_env_drift_remediations_total",
                &[("namespace", &ns.name), ("name", "be-staging")],
            )
            .unwrap_or(0.0);
            let drift = metric(
                &m,
                "claude_env_drift_percentage",
                &[("namespace", &ns.name), ("name", "be-production")],
            )
            .unwrap_or(0.0);
            if remediated >= 1.0 && drift > 0.0 {
                Ok(())
            } else {
                Err(format!("remediated={remediated} production drift={drift}"))
            }
        },
    )
    .await;

    // A rollout that fails: staging's context7 crash-loops (KWOK), so the Immediate rollout
    // of that commit rolls back (rollbacks_total, rollback_duration_seconds); the other
    // environments roll the same commit out (rollouts_total, health_check_total).
    let mcp = repo.read("environments/staging/mcp-deploy.yaml");
    let crashing = repo.change(
        "environments/staging/mcp-deploy.yaml",
        &mcp.replacen(
            "      labels:\n        tier: mcp\n",
            "      labels:\n        tier: mcp\n        claude-env.io/simulate: crashloop\n",
            1,
        ),
        "context7 crash-loops",
    );
    assert_eq!(ctl.push_hook(&repo.url, "main").await, 202);
    wait::until("staging rolled back", Duration::from_secs(60), || async {
        let e = envs.get("be-staging").await.map_err(|e| e.to_string())?;
        let r = e.status.and_then(|s| s.rollout).unwrap_or_default();
        if r.failed_revision.as_deref() == Some(crashing.as_str())
            && r.phase == claude_env_api::RolloutPhase::RolledBack
        {
            Ok(())
        } else {
            Err(format!("{:?}: {:?}", r.phase, r.message))
        }
    })
    .await;

    // Git failure: the server goes away and a reconcile is forced.
    repo.server.stop();
    annotate(&envs, "be-development", annotations::RECONCILE, "git-down").await;
    wait::until("a failed git fetch", Duration::from_secs(60), || async {
        let m = ctl.metrics().await;
        match metric(&m, "claude_env_git_fetch_failures_total", &[]) {
            Some(v) if v >= 1.0 => Ok(()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    // Keep it down until Prometheus has seen the counter grow (a labelled counter is born at
    // its first increment, which increase() cannot see): the retries (backoff from 1 s) add more.
    wait::until(
        "Prometheus sees git fetch failures increase",
        Duration::from_secs(90),
        || async {
            let r = prom
                .query("sum by (category) (increase(claude_env_git_fetch_failures_total[10m])) > 0")
                .await?;
            if r.is_empty() {
                Err("no increase yet".into())
            } else {
                Ok(())
            }
        },
    )
    .await;
    repo.server.restart();

    // Webhooks: one signed push, one with a bad signature.
    let status = ctl.push_hook(&repo.url, "main").await;
    assert!(
        (200..300).contains(&status),
        "signed webhook answered {status}"
    );
    let status = ctl
        .webhook(
            "/hooks/generic",
            &[("X-Signature", "sha256=00".into())],
            b"{}",
        )
        .await;
    assert!(
        (400..500).contains(&status),
        "bad signature answered {status}"
    );
    ready(&envs, "be-development").await;

    // Prometheus has scraped the scenario: the last series to appear are there, with a few
    // samples each (1 s scrapes) for rate windows.
    wait::until(
        "Prometheus has the scenario's series",
        Duration::from_secs(60),
        || async {
            for q in [
                "claude_env_git_fetch_failures_total",
                "claude_env_webhook_requests_total",
                "claude_env_drift_remediations_total",
                "claude_env_leader",
                "claude_env_rollbacks_total",
            ] {
                let r = prom.query(&format!("count_over_time({q}[1m])")).await?;
                let samples = r
                    .iter()
                    .filter_map(|s| s["value"][1].as_str()?.parse::<f64>().ok())
                    .fold(0.0, f64::max);
                if samples < 3.0 {
                    return Err(format!("{q}: {samples} samples"));
                }
            }
            Ok(())
        },
    )
    .await;

    // One name in two namespaces: two series everywhere an environment has one, and the
    // environment dashboard's filters tell them apart.
    for q in [
        "claude_env_environment_info{name=\"be-production\"}",
        "claude_env_environment_ready{name=\"be-production\"}",
        "claude_env_sync_total{name=\"be-production\", result=\"success\"}",
        "claude_env_mcp_server_up{name=\"be-production\", server=\"context7\"}",
        "claude_env_drift_percentage{name=\"be-production\"}",
        "claude_env_rollout_phase{name=\"be-production\"}",
    ] {
        let series = prom.query(q).await.unwrap();
        let namespaces: BTreeSet<&str> = series
            .iter()
            .filter_map(|s| s["metric"]["namespace"].as_str())
            .collect();
        assert_eq!(
            namespaces,
            BTreeSet::from([ns.name.as_str(), other.name.as_str()]),
            "{q}: {series:?}"
        );
    }
    let team = prom
        .query(&format!(
            "claude_env_environment_info{{namespace=\"{}\", name=\"be-production\"}}",
            other.name
        ))
        .await
        .unwrap();
    assert_eq!(team[0]["metric"]["team"], "frontend");

    let vars = [
        ("namespace", ns.name.as_str()),
        ("environment", "staging"),
        ("name", "be-staging"),
        ("__rate_interval", "1m"),
        ("__interval", "15s"),
        ("__range", "10m"),
    ];
    let mut report = Vec::new();
    let mut failures = Vec::new();
    let mut checked = 0;
    for file in ["claude-env-fleet.json", "claude-env-environment.json"] {
        let path: PathBuf = repo_root().join("deploy/grafana").join(file);
        let dashboard: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        assert!(dashboard["schemaVersion"].as_i64().unwrap() >= 36);
        let templating = dashboard["templating"]["list"].as_array().unwrap();
        assert!(
            templating.iter().any(|v| v["name"] == "datasource"
                && v["type"] == "datasource"
                && v["query"] == "prometheus"),
            "{file}: a ${{datasource}} variable of type prometheus"
        );

        // Template variables: label_values(<selector>, <label>) must list the scenario's value.
        for v in templating.iter().filter(|v| v["type"] == "query") {
            let name = v["name"].as_str().unwrap();
            let q = substitute(v["query"]["query"].as_str().unwrap(), &vars);
            let inner = q
                .strip_prefix("label_values(")
                .and_then(|s| s.strip_suffix(')'))
                .unwrap_or_else(|| panic!("{file}: variable {name}: {q}"));
            let (selector, label) = inner.rsplit_once(',').unwrap();
            let answer = prom
                .api(
                    &format!("label/{}/values", label.trim()),
                    &[("match[]", selector.trim())],
                )
                .await;
            let values: Vec<&str> = answer["data"]
                .as_array()
                .unwrap_or_else(|| panic!("{file}: {q}: {answer}"))
                .iter()
                .filter_map(|x| x.as_str())
                .collect();
            let want = vars.iter().find(|(k, _)| *k == name).unwrap().1;
            assert!(
                values.contains(&want),
                "{file}: variable {name} ({q}) lists {values:?}, not {want}"
            );
        }

        // Every panel query: parses (no bad_data) and returns series, or is allowed empty.
        for (title, ref_id, expr) in panel_queries(&dashboard) {
            checked += 1;
            let q = substitute(&expr, &vars);
            assert!(
                !q.contains('$'),
                "{file}/{title}/{ref_id}: unsubstituted variable in {q}"
            );
            match prom.query(&q).await {
                Err(e) => failures.push(format!("{file} / {title} / {ref_id}: {e}\n    {q}")),
                Ok(series) if !series.is_empty() => report.push(format!(
                    "ok     {file} / {title} / {ref_id}: {} series",
                    series.len()
                )),
                Ok(_) => failures.push(format!("{file} / {title} / {ref_id}: no series\n    {q}")),
            }
        }
    }
    eprintln!("dashboard queries ({checked}):\n{}", report.join("\n"));
    assert!(
        failures.is_empty(),
        "dashboard queries failed:\n{}",
        failures.join("\n")
    );
    assert!(checked >= 40, "only {checked} queries found");

    // The alert rules load and evaluate against the real series; the git failure made
    // ClaudeEnvGitFetchFailing pending (for: 15m) and the controller is not absent.
    let rules = prom.api("rules", &[]).await;
    let all: Vec<&Value> = rules["data"]["groups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["rules"].as_array().unwrap())
        .collect();
    let shipped = std::fs::read_to_string(repo_root().join("deploy/prometheus/rules.yaml"))
        .unwrap()
        .matches("- alert:")
        .count();
    assert!(shipped >= 9, "rules.yaml has {shipped} alerts");
    assert_eq!(all.len(), shipped, "every shipped rule loads: {rules}");
    for r in &all {
        assert_eq!(
            r["health"], "ok",
            "rule {} failed to evaluate: {}",
            r["name"], r["lastError"]
        );
    }
    wait::until(
        "ClaudeEnvGitFetchFailing pending",
        Duration::from_secs(30),
        || async {
            let alerts = prom.api("alerts", &[]).await;
            let list = alerts["data"]["alerts"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            let names: Vec<String> = list
                .iter()
                .map(|a| format!("{}={}", a["labels"]["alertname"], a["state"]))
                .collect();
            if names
                .iter()
                .any(|n| n.contains("ClaudeEnvControllerAbsent"))
            {
                return Err(format!("controller reported absent: {names:?}"));
            }
            if list
                .iter()
                .any(|a| a["labels"]["alertname"] == "ClaudeEnvGitFetchFailing")
            {
                Ok(())
            } else {
                Err(format!("{names:?}"))
            }
        },
    )
    .await;
}
