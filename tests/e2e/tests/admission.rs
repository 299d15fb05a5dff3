//! Tenancy at admission (issue 11): the chart's ValidatingAdmissionPolicy `<release>-tenancy`,
//! installed with `helm install` on the local control plane, refuses a ClaudeEnvironment whose
//! objects or dependencies would live in a namespace its own namespace may not use, and an
//! interval or timeout out of bounds — for admins and for tenants with plain RBAC — with a
//! message naming the namespaces and values. Allowed pairs pass, and a later `helm upgrade`
//! that tightens the rules does not lock existing objects (metadata updates still pass).
//! The controller's pods never really run here (KWOK fakes them): the API server's admission
//! is what is tested. Each test installs its own release, confined to its own namespaces.

// An end-to-end scenario reads as one story, top to bottom: splitting it would hide the
// order of events it proves.
#![allow(clippy::too_many_lines)]

use std::time::Duration;

use claude_env_api::ClaudeEnvironment;
use claude_env_e2e::ship_support::{
    CHART, ClusterScopedCleanup, helm, kubectl, run_ok, run_with_input, shared_cluster_values,
    to_stream, values_file, yaml_docs,
};
use claude_env_e2e::{Cluster, TestNamespace, annotate, environment, repo_root, wait};
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

const URL: &str = "https://git.example.com/platform/claude-config.git";

/// A release of the chart named after (and installed into) `home`, its admission policy
/// confined to `namespaces`, with `extra` values. Cluster-scoped objects go on drop.
struct Release {
    name: String,
    namespace: String,
    namespaces: Vec<String>,
    dir: tempfile::TempDir,
    _cleanup: ClusterScopedCleanup,
}

impl Release {
    fn install(cluster: &Cluster, home: &TestNamespace, namespaces: &[&str], extra: Value) -> Self {
        let name = home.name.clone();
        let release = Release {
            _cleanup: ClusterScopedCleanup {
                release: name.clone(),
            },
            name,
            namespace: home.name.clone(),
            namespaces: namespaces.iter().map(|n| n.to_string()).collect(),
            dir: tempfile::tempdir().unwrap(),
        };
        release.helm(cluster, "install", extra);
        release
    }

    /// `helm install|upgrade` with exactly these values (over the shared-cluster ones).
    fn helm(&self, cluster: &Cluster, verb: &str, extra: Value) -> String {
        let namespaces: Vec<&str> = self.namespaces.iter().map(String::as_str).collect();
        let values = values_file(
            self.dir.path(),
            &format!("{verb}.json"),
            &shared_cluster_values(&namespaces, extra),
        );
        run_ok(
            helm(cluster)
                .args([verb, &self.name, CHART, "--namespace", &self.namespace])
                .arg("--values")
                .arg(values),
            None,
        )
    }

    fn policy(&self) -> String {
        format!("{}-tenancy", self.name)
    }
}

fn env(name: &str, extra: Value) -> ClaudeEnvironment {
    environment(name, URL, "development", "backend", extra)
}

/// The refusal of a create, `Ok` when the API server accepted it.
async fn create(
    api: &Api<ClaudeEnvironment>,
    env: &ClaudeEnvironment,
    dry_run: bool,
) -> Result<(), (u16, String)> {
    let pp = PostParams {
        dry_run,
        ..Default::default()
    };
    match api.create(&pp, env).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(s)) => Err((s.code, s.message)),
        Err(e) => panic!("creating {:?}: {e}", env.metadata.name),
    }
}

async fn accepted(api: &Api<ClaudeEnvironment>, env: &ClaudeEnvironment) {
    if let Err((code, message)) = create(api, env, false).await {
        panic!(
            "{:?} was refused ({code}): {message}",
            env.metadata.name.as_deref()
        );
    }
}

/// The message of a refusal by the release's policy (nothing is created).
async fn refused(
    release: &Release,
    api: &Api<ClaudeEnvironment>,
    env: &ClaudeEnvironment,
) -> String {
    match create(api, env, false).await {
        Ok(()) => panic!(
            "{:?} was accepted; expected a refusal by {}",
            env.metadata.name.as_deref(),
            release.policy()
        ),
        Err((code, message)) => {
            assert!(
                message.contains(&format!(
                    "ValidatingAdmissionPolicy '{}' with binding '{}' denied request",
                    release.policy(),
                    release.policy()
                )),
                "not refused by the tenancy policy ({code}): {message}"
            );
            message
        }
    }
}

/// Policies and bindings reach the API server's admission through informers: wait, with
/// dry-run creates (admission runs, nothing is stored), until `env` is refused with a message
/// containing `expected`.
async fn until_refused(
    release: &Release,
    api: &Api<ClaudeEnvironment>,
    env: &ClaudeEnvironment,
    expected: &str,
) {
    let policy = release.policy();
    wait::until(
        &format!(
            "{policy} to refuse {:?} with {expected:?}",
            env.metadata.name
        ),
        Duration::from_secs(30),
        || async {
            match create(api, env, true).await {
                Err((_, m)) if m.contains(&policy) && m.contains(expected) => Ok(()),
                Err((code, m)) => Err(format!("refused otherwise ({code}): {m}")),
                Ok(()) => Err("accepted".into()),
            }
        },
    )
    .await;
}

#[tokio::test]
async fn cross_namespace_environments_are_refused_at_admission_unless_allowed() {
    let cluster = Cluster::get().await;
    let home = TestNamespace::new("adm-home").await;
    let allowed = TestNamespace::new("adm-allowed").await;
    let other = TestNamespace::new("adm-other").await;
    let ops = TestNamespace::new("adm-ops").await;
    let names = [&home, &allowed, &other, &ops].map(|n| n.name.as_str());
    let allowance = json!({"tenancy": {"allowedTargetNamespaces": {
        &home.name: [&allowed.name],
        &ops.name: ["*"],
    }}});
    let release = Release::install(cluster, &home, &names, allowance.clone());

    // The controller gets the same allowance as flags.
    let dep: Api<Deployment> = home.api();
    let dep = dep
        .get(&format!("{}-claude-env-controller", release.name))
        .await
        .unwrap();
    let args = dep.spec.unwrap().template.spec.unwrap().containers[0]
        .args
        .clone()
        .unwrap();
    for flag in [
        format!("--allow-target-namespace={}={}", home.name, allowed.name),
        format!("--allow-target-namespace={}=*", ops.name),
        "--min-interval=10s".to_string(),
        "--max-fetch-timeout=10m".to_string(),
    ] {
        assert!(args.contains(&flag), "missing {flag}: {args:?}");
    }

    let in_home: Api<ClaudeEnvironment> = home.api();
    let to_other = env("to-other", json!({"targetNamespace": other.name}));
    until_refused(&release, &in_home, &to_other, "is not allowed").await;
    let message = refused(&release, &in_home, &to_other).await;
    for part in [
        format!(
            "spec.targetNamespace {} is not allowed for a ClaudeEnvironment in namespace {}",
            other.name, home.name
        ),
        format!("allowed: {}", allowed.name),
        "chart value tenancy.allowedTargetNamespaces".to_string(),
        "controller flag --allow-target-namespace".to_string(),
    ] {
        assert!(message.contains(&part), "{part:?} not in: {message}");
    }

    // Allowed: the listed pair, the own namespace (explicit or by default).
    accepted(
        &in_home,
        &env("to-allowed", json!({"targetNamespace": allowed.name})),
    )
    .await;
    accepted(
        &in_home,
        &env("to-home", json!({"targetNamespace": home.name})),
    )
    .await;
    accepted(&in_home, &env("default-target", json!({}))).await;

    // The allowance is per source namespace: `other` may not target `home`.
    let in_other: Api<ClaudeEnvironment> = other.api();
    let message = refused(
        &release,
        &in_other,
        &env("to-home", json!({"targetNamespace": home.name})),
    )
    .await;
    assert!(
        message.contains(&format!(
            "spec.targetNamespace {} is not allowed for a ClaudeEnvironment in namespace {}",
            home.name, other.name
        )) && message.contains("no other namespace is allowed for it"),
        "{message}"
    );
    // `*`: any namespace.
    let in_ops: Api<ClaudeEnvironment> = ops.api();
    accepted(
        &in_ops,
        &env("to-other", json!({"targetNamespace": other.name})),
    )
    .await;

    // dependsOn follows the same rule; a dependency without a namespace is in the own one.
    let message = refused(
        &release,
        &in_home,
        &env(
            "depends-on-other",
            json!({"dependsOn": [{"name": "staging", "namespace": other.name}, {"name": "dev"}]}),
        ),
    )
    .await;
    assert!(
        message.contains(&format!(
            "spec.dependsOn names namespace(s) {} not allowed for a ClaudeEnvironment in namespace {}",
            other.name, home.name
        )),
        "{message}"
    );
    accepted(
        &in_home,
        &env(
            "depends-on-allowed",
            json!({"dependsOn": [{"name": "staging", "namespace": allowed.name}, {"name": "dev"}]}),
        ),
    )
    .await;

    // A null targetNamespace (as YAML `~` writes it) is the default: the own namespace.
    let null_target = format!(
        "apiVersion: claude-env.io/v1alpha1\nkind: ClaudeEnvironment\nmetadata:\n  name: null-target\n  namespace: {}\n\
         spec:\n  source: {{url: {URL}}}\n  environment: development\n  targetNamespace: ~\n",
        other.name
    );
    run_ok(
        kubectl(cluster).args(["create", "-f", "-"]),
        Some(&null_target),
    );

    // Tightening the allowance (helm upgrade rewrites the policy) refuses new cross-namespace
    // objects but does not lock existing ones: an update that leaves the spec alone (a
    // steering annotation, a finalizer) passes, a spec change is checked again.
    let mut tightened = allowance;
    tightened["tenancy"]["allowedTargetNamespaces"] = json!({&ops.name: ["*"]});
    release.helm(cluster, "upgrade", tightened);
    until_refused(
        &release,
        &in_home,
        &env("to-allowed-2", json!({"targetNamespace": allowed.name})),
        "no other namespace is allowed for it",
    )
    .await;
    annotate(&in_home, "to-allowed", "claude-env.io/reconcile", "now").await;
    let spec_change = json!({"spec": {"team": "frontend"}});
    let err = in_home
        .patch(
            "to-allowed",
            &PatchParams::default(),
            &Patch::Merge(&spec_change),
        )
        .await
        .expect_err("a spec change of a now-forbidden object is refused");
    assert!(
        err.to_string().contains(&format!(
            "spec.targetNamespace {} is not allowed",
            allowed.name
        )),
        "{err}"
    );
}

#[tokio::test]
async fn intervals_and_timeouts_out_of_bounds_are_refused_at_admission() {
    let cluster = Cluster::get().await;
    let home = TestNamespace::new("adm-bounds").await;
    let release = Release::install(
        cluster,
        &home,
        &[&home.name],
        json!({"limits": {"minInterval": "15s", "maxFetchTimeout": "2m"}}),
    );
    let api: Api<ClaudeEnvironment> = home.api();
    let source = |field: &str, value: &str| json!({"source": {field: value}});

    until_refused(
        &release,
        &api,
        &env("probe", source("interval", "1ms")),
        "is below the minimum 15s",
    )
    .await;
    for (i, interval) in ["1ms", "100ms", "1s", "14.5s"].into_iter().enumerate() {
        let message = refused(
            &release,
            &api,
            &env(&format!("interval-{i}"), source("interval", interval)),
        )
        .await;
        assert!(
            message.contains(&format!(
                "spec.source.interval {interval} is below the minimum 15s"
            )) && message.contains("limits.minInterval"),
            "{message}"
        );
    }
    for (i, interval) in ["15s", "1m", "1h30m"].into_iter().enumerate() {
        accepted(
            &api,
            &env(&format!("interval-ok-{i}"), source("interval", interval)),
        )
        .await;
    }
    for (i, timeout) in ["500ms", "2m1s", "1h"].into_iter().enumerate() {
        let message = refused(
            &release,
            &api,
            &env(&format!("timeout-{i}"), source("timeout", timeout)),
        )
        .await;
        assert!(
            message.contains(&format!("spec.source.timeout {timeout} is outside 1s..2m"))
                && message.contains("limits.maxFetchTimeout"),
            "{message}"
        );
    }
    for (i, timeout) in ["1s", "90s", "2m"].into_iter().enumerate() {
        accepted(
            &api,
            &env(&format!("timeout-ok-{i}"), source("timeout", timeout)),
        )
        .await;
    }
}

#[tokio::test]
async fn a_tenant_with_plain_rbac_gets_the_same_refusal() {
    let cluster = Cluster::get().await;
    // The controller's namespace, a tenant's namespace and another one.
    let system = TestNamespace::new("adm-system").await;
    let tenant = TestNamespace::new("adm-tenant").await;
    let elsewhere = TestNamespace::new("adm-elsewhere").await;
    let release = Release::install(
        cluster,
        &system,
        &[&system.name, &tenant.name, &elsewhere.name],
        json!({}),
    );
    let user = format!("alice-{}", tenant.name);
    let rbac = json!([
        {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            "metadata": {"name": "cenv-editor", "namespace": tenant.name},
            "rules": [{"apiGroups": ["claude-env.io"], "resources": ["claudeenvironments"],
                       "verbs": ["get", "list", "watch", "create", "update", "patch", "delete"]}],
        },
        {
            "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
            "metadata": {"name": "cenv-editor", "namespace": tenant.name},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "cenv-editor"},
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": user}],
        },
    ]);
    run_ok(
        kubectl(cluster).args(["apply", "-f", "-"]),
        Some(&to_stream(rbac.as_array().unwrap())),
    );

    let admin: Api<ClaudeEnvironment> = tenant.api();
    let cross = env("cross", json!({"targetNamespace": elsewhere.name}));
    until_refused(&release, &admin, &cross, "is not allowed").await;
    let as_admin = refused(&release, &admin, &cross).await;

    let as_tenant = |env: &ClaudeEnvironment| {
        let yaml = serde_json::to_string(env).unwrap();
        run_with_input(
            kubectl(cluster).args(["create", "-n", &tenant.name, "--as", &user, "-f", "-"]),
            Some(&yaml),
        )
    };
    let out = as_tenant(&cross);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success(),
        "the tenant's cross-namespace create passed"
    );
    let expected = as_admin
        .split("denied request: ")
        .nth(1)
        .expect("a policy message");
    assert!(
        stderr.contains(expected) && stderr.contains(&release.policy()),
        "expected the admin's refusal ({expected}), got: {stderr}"
    );
    let out = as_tenant(&env("short", json!({"source": {"interval": "1s"}})));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && stderr.contains("spec.source.interval 1s is below the minimum 10s"),
        "{stderr}"
    );
    // RBAC is not what refuses: the tenant may create in its own namespace.
    let out = as_tenant(&env("own", json!({})));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // ... and may not loosen the rules (cluster-scoped policy and binding).
    for object in [
        format!("validatingadmissionpolicy/{}", release.policy()),
        format!("validatingadmissionpolicybinding/{}", release.policy()),
    ] {
        let can_i = run_with_input(
            kubectl(cluster).args(["auth", "can-i", "update", &object, "--as", &user]),
            None,
        );
        assert_eq!(
            String::from_utf8_lossy(&can_i.stdout).trim(),
            "no",
            "{object}"
        );
    }
}

#[tokio::test]
async fn kustomize_base_ships_the_policy_with_the_chart_defaults() {
    let cluster = Cluster::get().await;
    let ns = TestNamespace::new("adm-kustomize").await;
    let dir = repo_root().join("build/ship-tests").join(&ns.name);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("kustomization.yaml"),
        format!(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nnamespace: {}\n\
             resources: [../../../deploy/kustomize/base]\n",
            ns.name
        ),
    )
    .unwrap();
    let text = run_ok(kubectl(cluster).arg("kustomize").arg(&dir), None);
    let _ = std::fs::remove_dir_all(&dir);
    let docs = yaml_docs(&text);
    let find = |kind: &str| {
        docs.iter()
            .find(|d| d["kind"] == kind)
            .unwrap_or_else(|| panic!("no {kind} in the kustomize base"))
    };
    // The tenancy policy and its binding (the base also ships the steering policy).
    let tenancy = |kind: &str| {
        docs.iter()
            .find(|d| {
                d["kind"] == kind
                    && d["metadata"]["name"]
                        .as_str()
                        .is_some_and(|n| n.ends_with("-tenancy"))
            })
            .unwrap_or_else(|| panic!("no tenancy {kind} in the kustomize base"))
    };
    let policy = tenancy("ValidatingAdmissionPolicy");
    let binding = tenancy("ValidatingAdmissionPolicyBinding");
    assert_eq!(binding["spec"]["policyName"], policy["metadata"]["name"]);
    assert_eq!(binding["spec"]["validationActions"], json!(["Deny"]));
    let variable = |name: &str| {
        policy["spec"]["variables"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["name"] == name)
            .unwrap_or_else(|| panic!("no variable {name}"))["expression"]
            .clone()
    };
    assert_eq!(variable("allowances"), "{}", "own namespaces only");
    assert_eq!(variable("minInterval"), "'10s'");
    assert_eq!(variable("maxFetchTimeout"), "'10m'");
    let dep = find("Deployment");
    let args = dep["spec"]["template"]["spec"]["containers"][0]["args"].to_string();
    assert!(args.contains("--min-interval=10s"), "{args}");

    // The API server accepts the admission objects as shipped (dry run: unconfined, a real
    // binding would judge every test's namespaces).
    let admission: Vec<Value> = docs
        .iter()
        .filter(|d| {
            d["kind"]
                .as_str()
                .is_some_and(|k| k.starts_with("ValidatingAdmissionPolicy"))
        })
        .cloned()
        .collect();
    let out = run_ok(
        kubectl(cluster).args(["apply", "--dry-run=server", "-f", "-"]),
        Some(&to_stream(&admission)),
    );
    assert!(
        out.contains("validatingadmissionpolicybinding.admissionregistration.k8s.io/"),
        "{out}"
    );
}
