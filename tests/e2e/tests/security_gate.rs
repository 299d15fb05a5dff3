//! The security gate against the real control plane (issue 18): a development environment
//! with `spec.approval.security` rolls out a configuration-only commit at once but holds a
//! permission-widening one (status, an Event listing the change) until a security approver
//! approves it; a plain approver is refused at admission; history records the class and the
//! security approver; `claude_env_changes_total` counts the classes rolled out; a developer's
//! own sync of the same commit from the repository asks first (refuses without `--yes`).
//!
//! The chart's roles and steering policy are rendered for the test's own namespace only
//! (`namespaceSelector`, role names prefixed with the namespace): the cluster is shared.

// An end-to-end scenario reads as one story, top to bottom: splitting it would hide the
// order of events it proves.
#![allow(clippy::too_many_lines)]

use std::path::Path;
use std::time::Duration;

use claude_env_api::{ClaudeEnvironment, DriftCategory, HistoryResult, annotations, condition};
use claude_env_e2e::envs::ready_at;
use claude_env_e2e::steering::{Governance, bind, cli_as, kubectl_as};
use claude_env_e2e::{
    Cluster, ConfigRepo, Controller, TestNamespace, condition_of, environment, metric, wait,
};
use k8s_openapi::api::events::v1::Event;
use kube::api::{Api, PostParams};
use serde_json::json;

const DEV_SETTINGS: &str = "environments/development/settings.yaml";

/// The workstation's sync of the same commit asks first: without a terminal and without
/// `--yes` it refuses, naming the change, and writes nothing.
fn workstation_asks_first(repo: &ConfigRepo, home: &Path) {
    let settings_before = std::fs::read_to_string(home.join(".claude/settings.json"))
        .expect("the first sync wrote settings.json");
    let (code, out) = workstation_sync(repo, home, &[]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("refusing to apply")
            && out.contains("allows any Bash command")
            && out.contains("environments/development/settings.yaml"),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(home.join(".claude/settings.json")).unwrap(),
        settings_before
    );
}

/// `claude-env sync --env development --team backend` from the repository's work tree on a
/// developer's machine (home `home`, no terminal): (exit code, stdout + stderr).
fn workstation_sync(repo: &ConfigRepo, home: &Path, extra: &[&str]) -> (i32, String) {
    let out = std::process::Command::new(claude_env_e2e::controller::bin("claude-env"))
        .args([
            "sync",
            "--env",
            "development",
            "--team",
            "backend",
            "--repo",
        ])
        .arg(repo.repo.work_dir())
        .args(extra)
        .env("HOME", home)
        .env("XDG_CACHE_HOME", home.join("cache"))
        // The example's development layer reads it (`${env:DATABASE_URL}`).
        .env("DATABASE_URL", "postgres://localhost/dev")
        .stdin(std::process::Stdio::null())
        .output()
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
    let g = Governance::install(cluster, &ns).await;
    bind(cluster, n, "alice", &g.role("approver"));
    bind(cluster, n, "sam", &g.role("security-approver"));

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

    // A developer's own workstation, synced from the repository (not from the cluster): the
    // first sync grants what the layers allow, so it takes --yes once.
    let home = tempfile::tempdir().unwrap();
    let (code, out) = workstation_sync(&repo, home.path(), &["--yes"]);
    assert_eq!(code, 0, "{out}");

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
    workstation_asks_first(&repo, home.path());
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
