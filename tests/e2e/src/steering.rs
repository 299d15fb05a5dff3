//! People and the steering policy on the shared cluster: the chart's roles and steering
//! admission policy rendered for one test namespace (role names prefixed with it, the policy
//! confined to it), RoleBindings, and acting as a user (`kubectl --as`, the CLI with an
//! impersonating kubeconfig).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use claude_env_api::{ClaudeEnvironment, annotations};
use kube::api::{Api, PostParams};
use serde_json::{Value, json};

use crate::ship_support::{CHART, ClusterScopedCleanup, helm, kubectl, run_ok, run_with_input};
use crate::{Cluster, TestNamespace, environment, wait};

/// The chart's roles and steering policy, for one namespace; removed when dropped.
pub struct Governance {
    release: String,
    namespace: String,
    _cleanup: ClusterScopedCleanup,
}

impl Governance {
    /// Render and apply them, then wait until the API server enforces the policy.
    pub async fn install(cluster: &Cluster, ns: &TestNamespace) -> Governance {
        let g = Governance {
            release: ns.name.clone(),
            namespace: ns.name.clone(),
            _cleanup: ClusterScopedCleanup {
                release: ns.name.clone(),
            },
        };
        g.apply(cluster, false);
        // Policies load asynchronously: probe until one without its actor is refused.
        let envs: Api<ClaudeEnvironment> = ns.api();
        let mut probe = environment(
            "probe",
            "https://git.example/x.git",
            "staging",
            "t",
            json!({}),
        );
        probe.metadata.annotations =
            Some([(annotations::RETRY.to_string(), "abc".to_string())].into());
        wait::until(
            "the steering policy enforced",
            Duration::from_secs(60),
            || async {
                let dry = PostParams {
                    dry_run: true,
                    ..PostParams::default()
                };
                match envs.create(&dry, &probe).await {
                    Err(kube::Error::Api(s))
                        if s.message.contains("naming the requesting user") =>
                    {
                        Ok(())
                    }
                    Ok(_) => Err("accepted: not enforced yet".to_string()),
                    Err(e) => Err(e.to_string()),
                }
            },
        )
        .await;
        g
    }

    /// The chart's roles and policy for this namespace (a `helm upgrade`, as it were).
    pub fn apply(&self, cluster: &Cluster, forbid_self_approval: bool) {
        let selector = json!({"matchLabels": {"kubernetes.io/metadata.name": self.namespace}});
        let rendered = run_ok(
            helm(cluster).args([
                "template",
                &self.release,
                CHART,
                "--namespace",
                &self.namespace,
                "--show-only",
                "templates/roles.yaml",
                "--show-only",
                "templates/admission-steering.yaml",
                "--set",
                &format!("governance.roles.namePrefix={}", self.release),
                "--set-json",
                &format!("admission.namespaceSelector={selector}"),
                "--set",
                &format!("governance.steeringPolicy.forbidSelfApproval={forbid_self_approval}"),
            ]),
            None,
        );
        run_ok(kubectl(cluster).args(["apply", "-f", "-"]), Some(&rendered));
    }

    /// The name of one of the release's roles (`approver`, `security-approver`, ...).
    pub fn role(&self, role: &str) -> String {
        format!("{}-{role}", self.release)
    }
}

/// A RoleBinding of ClusterRole `role` to `user` in the namespace.
pub fn bind(cluster: &Cluster, ns: &str, user: &str, role: &str) {
    let name = format!("{role}-{}", user.replace(['@', '.'], "-"));
    run_ok(
        kubectl(cluster).args([
            "create",
            "rolebinding",
            &name,
            "-n",
            ns,
            "--clusterrole",
            role,
            "--user",
            user,
        ]),
        None,
    );
}

/// `kubectl --as user <args>`: (success, stdout + stderr).
pub fn kubectl_as(cluster: &Cluster, user: &str, args: &[&str]) -> (bool, String) {
    let out = run_with_input(kubectl(cluster).args(["--as", user]).args(args), None);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// A kubeconfig like the admin one that impersonates `user` (what `kubectl --as` does).
pub fn kubeconfig_as(admin: &Path, user: &str, dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(admin).expect("admin kubeconfig");
    let mut kc: Value = serde_saphyr::from_str(&text).expect("admin kubeconfig parses");
    kc["users"][0]["user"]["as"] = json!(user);
    let path = dir.join(format!("kubeconfig-{user}"));
    std::fs::write(&path, kc.to_string()).expect("write kubeconfig");
    path
}

/// `claude-env <args>` as `user`: (exit code, stdout + stderr).
pub async fn cli_as(admin: &Path, user: &str, args: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = kubeconfig_as(admin, user, dir.path());
    let mut c = Command::new(crate::controller::bin("claude-env"));
    c.args(args)
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .env("HOME", dir.path());
    let out = tokio::task::spawn_blocking(move || c.output())
        .await
        .unwrap()
        .expect("run claude-env");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code().unwrap_or(-1), text)
}

// ---- reading status -------------------------------------------------------------------------
