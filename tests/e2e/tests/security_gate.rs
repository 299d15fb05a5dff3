//! The security gate against the real control plane (issue 18): a development environment
//! with `spec.approval.security` rolls out a configuration-only commit at once but holds a
//! permission-widening one (status, an Event listing the change) until a security approver
//! approves it; a plain approver is refused at admission; history records the class and the
//! security approver; `claude_env_changes_total` counts the classes rolled out.
//!
//! The chart's roles and steering policy are rendered for the test's own namespace only
//! (`namespaceSelector`, role names prefixed with the namespace): the cluster is shared.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use claude_env_api::{ClaudeEnvironment, DriftCategory, HistoryResult, annotations, condition};
use claude_env_e2e::envs::ready_at;
use claude_env_e2e::ship_support::{
    CHART, ClusterScopedCleanup, helm, kubectl, run_ok, run_with_input,
};
use claude_env_e2e::{
    Cluster, ConfigRepo, Controller, TestNamespace, condition_of, environment, metric, wait,
};
use k8s_openapi::api::events::v1::Event;
use kube::api::{Api, PostParams};
use serde_json::{Value, json};

const DEV_SETTINGS: &str = "environments/development/settings.yaml";

/// The chart's roles and steering policy for one namespace, enforced; removed when dropped.
async fn install_governance(cluster: &Cluster, ns: &TestNamespace) -> ClusterScopedCleanup {
    let release = ns.name.clone();
    let selector = json!({"matchLabels": {"kubernetes.io/metadata.name": release}});
    let rendered = run_ok(
        helm(cluster).args([
            "template",
            &release,
            CHART,
            "--namespace",
            &release,
            "--show-only",
            "templates/roles.yaml",
            "--show-only",
            "templates/admission-steering.yaml",
            "--set",
            &format!("governance.roles.namePrefix={release}"),
            "--set-json",
            &format!("admission.namespaceSelector={selector}"),
        ]),
        None,
    );
    run_ok(kubectl(cluster).args(["apply", "-f", "-"]), Some(&rendered));
    let cleanup = ClusterScopedCleanup { release };
    // Policies load asynchronously: a server-side dry run of an unsigned security approval
    // is refused once it is enforced.
    let envs: Api<ClaudeEnvironment> = ns.api();
    let mut probe = environment(
        "probe",
        "https://git.example/x.git",
        "development",
        "t",
        json!({}),
    );
    probe.metadata.annotations =
        Some([(annotations::SECURITY_APPROVE.to_string(), "abc".to_string())].into());
    wait::until(
        "the steering policy enforced",
        Duration::from_secs(60),
        || async {
            let dry = PostParams {
                dry_run: true,
                ..PostParams::default()
            };
            match envs.create(&dry, &probe).await {
                Err(kube::Error::Api(s)) if s.message.contains("security-approve") => Ok(()),
                Ok(_) => Err("accepted: not enforced yet".to_string()),
                Err(e) => Err(e.to_string()),
            }
        },
    )
    .await;
    cleanup
}

/// A RoleBinding of ClusterRole `role` to `user` in the namespace.
fn bind(cluster: &Cluster, ns: &str, user: &str, role: &str) {
    run_ok(
        kubectl(cluster).args([
            "create",
            "rolebinding",
            &format!("{role}-{user}"),
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
fn kubectl_as(cluster: &Cluster, user: &str, args: &[&str]) -> (bool, String) {
    let out = run_with_input(kubectl(cluster).args(["--as", user]).args(args), None);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// A kubeconfig like the admin one that impersonates `user` (what `kubectl --as` does).
fn kubeconfig_as(admin: &Path, user: &str, dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(admin).expect("admin kubeconfig");
    let mut kc: Value = serde_saphyr::from_str(&text).expect("admin kubeconfig parses");
    kc["users"][0]["user"]["as"] = json!(user);
    let path = dir.join(format!("kubeconfig-{user}"));
    std::fs::write(&path, kc.to_string()).expect("write kubeconfig");
    path
}

/// `claude-env <args>` as `user`: (exit code, stdout + stderr).
async fn cli_as(admin: &Path, user: &str, args: &[&str]) -> (i32, String) {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = kubeconfig_as(admin, user, dir.path());
    let mut c = Command::new(claude_env_e2e::controller::bin("claude-env"));
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

/// The newest Event with `reason` about `name`.
async fn event_note(ns: &TestNamespace, name: &str, reason: &str) -> Result<String, String> {
    let events: Api<Event> = ns.api();
    let mut list: Vec<Event> = events
        .list(&Default::default())
        .await
        .map_err(|e| e.to_string())?
        .items
        .into_iter()
        .filter(|e| {
            e.reason.as_deref() == Some(reason)
                && e.regarding.as_ref().and_then(|r| r.name.as_deref()) == Some(name)
        })
        .collect();
    list.sort_by_key(|e| e.event_time.as_ref().map(|t| t.0));
    list.last()
        .and_then(|e| e.note.clone())
        .ok_or_else(|| format!("no {reason} Event yet"))
}

/// Wait until `name` holds `revision` for a security approval; returns the Ready message.
async fn held(api: &Api<ClaudeEnvironment>, name: &str, revision: &str) -> String {
    wait::until("the revision held", Duration::from_secs(60), || async {
        let env = api.get(name).await.map_err(|e| e.to_string())?;
        let s = env.status.clone().unwrap_or_default();
        match condition_of(&env, condition::READY) {
            Some((st, why, msg))
                if st == "False"
                    && why == "SecurityApprovalRequired"
                    && s.last_attempted_revision.as_deref() == Some(revision) =>
            {
                Ok(msg)
            }
            other => Err(format!(
                "{other:?} attempted={:?}",
                s.last_attempted_revision
            )),
        }
    })
    .await
}

fn history_of(env: &ClaudeEnvironment) -> Vec<claude_env_api::HistoryEntry> {
    env.status.clone().unwrap_or_default().history
}

#[tokio::test]
async fn a_permission_widening_commit_waits_for_a_security_approver() {
    let cluster = Cluster::get().await;
    let ns = TestNamespace::new("secgate").await;
    let n = ns.name.as_str();
    let admin = cluster.kubeconfig.clone();
    let _governance = install_governance(cluster, &ns).await;
    bind(cluster, n, "alice", &format!("{n}-approver"));
    bind(cluster, n, "sam", &format!("{n}-security-approver"));

    let repo = ConfigRepo::example();
    let ctl = Controller::start(n).await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    let spec = json!({"source": {"interval": "10m"}, "approval": {"security": true}});
    envs.create(
        &PostParams::default(),
        &environment("dev", &repo.url, "development", "backend", spec),
    )
    .await
    .unwrap();
    let first = repo.head();
    ready_at(&envs, "dev", &first, Duration::from_secs(90)).await;

    // A configuration-only commit rolls out at once.
    let settings = repo.read(DEV_SETTINGS);
    let renamed = settings.replace(
        "CLAUDE_ENV_STAGE: development",
        "CLAUDE_ENV_STAGE: development-2",
    );
    assert_ne!(settings, renamed);
    let config_only = repo.change(DEV_SETTINGS, &renamed, "rename the stage");
    ctl.push_hook(&repo.url, "main").await;
    let env = ready_at(&envs, "dev", &config_only, Duration::from_secs(60)).await;
    let h = &history_of(&env)[0];
    assert_eq!(
        (
            h.revision.as_str(),
            h.result,
            h.change_class,
            h.actor.as_deref()
        ),
        (
            config_only.as_str(),
            HistoryResult::Succeeded,
            Some(DriftCategory::Configuration),
            Some("claude-env-controller")
        )
    );

    // A commit allowing any Bash command is held, with the change listed.
    let widened = renamed.replace(
        "      - Bash(make:*)",
        "      - Bash(make:*)\n      - Bash(*)",
    );
    assert_ne!(widened, renamed);
    let risky = repo.change(DEV_SETTINGS, &widened, "allow every command");
    ctl.push_hook(&repo.url, "main").await;
    let message = held(&envs, "dev", &risky).await;
    assert!(
        message.contains("waits for a security approval")
            && message.contains("settings.permissions.allow")
            && message.contains("environments/development/settings.yaml"),
        "{message}"
    );
    let note = wait::until("the Event", Duration::from_secs(30), || {
        event_note(&ns, "dev", "SecurityApprovalRequired")
    })
    .await;
    assert!(note.contains("settings.permissions.allow"), "{note}");
    let env = envs.get("dev").await.unwrap();
    let s = env.status.clone().unwrap();
    assert_eq!(
        s.last_applied_revision.as_deref(),
        Some(config_only.as_str())
    );
    let risk = s.change_risk.expect("the held revision's classification");
    assert_eq!(risk.classes.first(), Some(&DriftCategory::Security));

    plain_approver_is_refused(cluster, &admin, n, &risky).await;
    held(&envs, "dev", &risky).await;

    // The security approver's approval (the CLI names him) lets it through.
    let (code, out) = cli_as(&admin, "sam", &["approve", "dev", "-n", n, "--security"]).await;
    assert_eq!(code, 0, "{out}");
    let env = ready_at(&envs, "dev", &risky, Duration::from_secs(60)).await;
    let a = env.metadata.annotations.clone().unwrap();
    assert_eq!(a[annotations::SECURITY_APPROVED_BY], "sam");
    let h = &history_of(&env)[0];
    assert_eq!(
        (
            h.revision.as_str(),
            h.change_class,
            h.security_approved_by.as_deref(),
            h.actor.as_deref()
        ),
        (
            risky.as_str(),
            Some(DriftCategory::Security),
            Some("sam"),
            Some("sam")
        )
    );
    let note = wait::until("the approval Event", Duration::from_secs(30), || {
        event_note(&ns, "dev", "SecurityApproved")
    })
    .await;
    assert!(note.contains("approved by sam"), "{note}");

    assert_counted(&ctl, n).await;
}

/// A plain approver may not approve security changes, with kubectl or the CLI.
async fn plain_approver_is_refused(cluster: &Cluster, admin: &Path, n: &str, risky: &str) {
    let (ok, out) = kubectl_as(
        cluster,
        "alice",
        &[
            "annotate",
            "cenv",
            "dev",
            "-n",
            n,
            &format!("{}={risky}@1", annotations::SECURITY_APPROVE),
            &format!("{}=alice", annotations::SECURITY_APPROVED_BY),
        ],
    );
    assert!(!ok, "{out}");
    assert!(
        out.contains("user alice may not set claude-env.io/security-approve")
            && out.contains(&format!("ClusterRole {n}-security-approver")),
        "{out}"
    );
    let (code, out) = cli_as(admin, "alice", &["approve", "dev", "-n", n, "--security"]).await;
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("may not set claude-env.io/security-approve"),
        "{out}"
    );
}

/// Each class rolled out is counted once per revision: one configuration commit, one
/// security commit.
async fn assert_counted(ctl: &Controller, n: &str) {
    let text = ctl.metrics().await;
    let count = |class: &str| {
        metric(
            &text,
            "claude_env_changes_total",
            &[("namespace", n), ("name", "dev"), ("class", class)],
        )
    };
    assert_eq!(count("security"), Some(1.0), "{text}");
    assert_eq!(count("configuration"), Some(1.0), "{text}");
}
