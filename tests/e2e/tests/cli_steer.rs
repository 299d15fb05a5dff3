//! The CLI's steering and reading against the real control plane and controller: `--wait`
//! printing each phase change of a canary rollout, `approve --wait`, `abort` (with its actor
//! annotation), `retry`, `suspend`/`resume`, `status -l` and `--watch`, `version`, `-o json`;
//! and what `kubectl explain` and `kubectl get` show of the CRD.

// An end-to-end scenario reads as one story, top to bottom: splitting it would hide the
// order of events it proves.
#![allow(clippy::too_many_lines)]

use std::time::Duration;

use claude_env_api::{ClaudeEnvironment, HistoryResult, RolloutPhase, annotations};
use claude_env_e2e::cli::{Cli, Run};
use claude_env_e2e::{Cluster, ConfigRepo, Controller, TestNamespace, environment, wait};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::authentication::v1::SelfSubjectReview;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

const STAGING_MCP: &str = "environments/staging/mcp-deploy.yaml";
const CONTEXT7_IMAGE: &str = "ghcr.io/claude-env/context7-mcp:1.4.2";

/// Commit context7 at another tag: a new revision whose rollout touches the workloads.
fn new_revision(repo: &ConfigRepo, tag: &str) -> String {
    let original = repo.read(STAGING_MCP);
    let changed = original.replace(
        CONTEXT7_IMAGE,
        &format!("ghcr.io/claude-env/context7-mcp:{tag}"),
    );
    repo.change(STAGING_MCP, &changed, &format!("context7 {tag}"))
}

/// A canary that stops for approval after its first weight.
fn canary_spec() -> Value {
    json!({
        "source": {"interval": "10m"},
        "strategy": {"type": "Canary", "canary": {"steps": [{"setWeight": 50}, {"pause": {}}]}},
        "healthChecks": {"interval": "1s", "timeout": "60s", "readiness": {"progressDeadline": "20s"}},
    })
}

fn rollout(env: &ClaudeEnvironment) -> (RolloutPhase, Option<String>) {
    let r = env
        .status
        .as_ref()
        .and_then(|s| s.rollout.clone())
        .unwrap_or_default();
    (r.phase, r.revision)
}

async fn phase_is(
    api: &Api<ClaudeEnvironment>,
    name: &str,
    phase: RolloutPhase,
    revision: &str,
) -> ClaudeEnvironment {
    wait::until(
        &format!("{name} {phase:?} at {}", &revision[..8]),
        Duration::from_secs(90),
        || async {
            let env = api.get(name).await.map_err(|e| e.to_string())?;
            match rollout(&env) {
                (p, Some(r)) if p == phase && r == revision => Ok(env),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await
}

/// The progress lines `--wait` printed (stderr, indented).
fn progress(run: &Run) -> Vec<&str> {
    run.stderr
        .lines()
        .filter_map(|l| l.strip_prefix("  "))
        .collect()
}

fn short(rev: &str) -> &str {
    &rev[..12]
}

/// A canary rollout driven only through the CLI: `reconcile --wait` follows it to the
/// approval gate printing each phase, `approve --wait` to the end; `abort` stops the next one
/// and names who asked, `retry` starts it again.
#[tokio::test]
async fn wait_prints_each_phase_of_a_canary_and_abort_and_retry_steer_it() {
    let cluster = Cluster::get().await;
    let ns = TestNamespace::new("steer").await;
    let repo = ConfigRepo::example();
    let _ctl = Controller::start(&ns.name).await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    let first = repo.head();
    envs.create(
        &PostParams::default(),
        &environment("be", &repo.url, "staging", "backend", canary_spec()),
    )
    .await
    .unwrap();
    phase_is(&envs, "be", RolloutPhase::Succeeded, &first).await;
    let cli = Cli::new(&cluster.kubeconfig);
    let n = ns.name.as_str();

    // reconcile --wait: the new commit's canary, phase by phase, up to the approval gate.
    let second = new_revision(&repo, "1.4.3");
    let rec = cli
        .run(&["reconcile", "be", "-n", n, "--wait", "--timeout", "90s"])
        .await;
    assert_eq!(rec.code, 0, "{rec}");
    assert!(
        rec.stderr
            .contains("◎ waiting for the controller to reconcile it (up to 1m 30s)"),
        "{rec}"
    );
    // One line per change, in order (the first is where the watch found it).
    let lines = progress(&rec);
    let canary = format!("◎ rollout Progressing (step 0, 50%) {}", short(&second));
    assert!(lines.iter().any(|l| l.starts_with(&canary)), "{rec}");
    let paused = format!("◎ rollout Paused (step 1, 50%) {}", short(&second));
    assert!(lines.last().unwrap().starts_with(&paused), "{rec}");
    assert!(
        rec.stdout.contains(&format!(
            "the rollout of {} waits for approval: claude-env approve be -n {n}",
            short(&second)
        )),
        "{rec}"
    );

    // approve --wait: promoted and done.
    let approved = cli
        .run(&["approve", "be", "-n", n, "--wait", "--timeout", "90s"])
        .await;
    assert_eq!(approved.code, 0, "{approved}");
    let lines = progress(&approved);
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with(&format!("✔ rollout Succeeded {}", short(&second))),
        "{approved}"
    );
    assert!(
        approved
            .stdout
            .starts_with(&format!("✔ approved {n}/be: revision {}", short(&second))),
        "{approved}"
    );

    // abort: nothing in flight is refused; then the next revision's canary is aborted.
    let idle = cli.run(&["abort", "be", "-n", n]).await;
    assert_eq!(idle.code, 2, "{idle}");
    assert!(idle.stderr.contains("is in flight"), "{idle}");
    let third = new_revision(&repo, "1.4.4");
    let rec = cli
        .run(&["reconcile", "be", "-n", n, "--wait", "--timeout", "90s"])
        .await;
    assert_eq!(rec.code, 0, "{rec}");
    phase_is(&envs, "be", RolloutPhase::Paused, &third).await;
    let dry = cli
        .run(&["abort", "be", "-n", n, "--dry-run", "-o", "json"])
        .await;
    assert_eq!(dry.code, 0, "{dry}");
    let patch: Value = serde_json::from_str(&dry.stdout).unwrap();
    let me = whoami(&ns).await;
    assert_eq!(
        patch["metadata"]["annotations"][annotations::ABORT_REQUESTED_BY],
        me.as_str()
    );
    let aborted = cli
        .run(&["abort", "be", "-n", n, "--wait", "--timeout", "90s"])
        .await;
    assert_eq!(aborted.code, 0, "aborting is what was asked: {aborted}");
    assert!(
        progress(&aborted)
            .last()
            .unwrap()
            .starts_with(&format!("✗ rollout RolledBack {}", short(&third))),
        "{aborted}"
    );
    assert!(
        aborted
            .stdout
            .starts_with(&format!("✔ aborted the rollout in {n}/be: revision ")),
        "{aborted}"
    );
    let env = envs.get("be").await.unwrap();
    let a = env.metadata.annotations.clone().unwrap_or_default();
    assert!(
        a[annotations::ABORT].starts_with(&format!("{third}@")),
        "{a:?}"
    );
    assert_eq!(a[annotations::ABORT_REQUESTED_BY], me);
    let status = env.status.unwrap();
    let r = status.rollout.unwrap();
    assert_eq!(r.failed_revision.as_deref(), Some(third.as_str()));
    assert_eq!(
        r.stable_revision.as_deref(),
        Some(second.as_str()),
        "back to stable"
    );
    assert!(r.message.unwrap().contains("aborted on request"));
    assert!(
        status
            .history
            .iter()
            .any(|h| h.revision == third && h.result == HistoryResult::RolledBack),
        "{:?}",
        status.history
    );

    // retry --wait: the aborted revision's canary again, to the gate.
    let retried = cli
        .run(&["retry", "be", "-n", n, "--wait", "--timeout", "90s"])
        .await;
    assert_eq!(retried.code, 0, "{retried}");
    assert!(
        retried.stderr.contains(&format!(
            "✔ requested a retry of {} in {n}/be",
            short(&third)
        )),
        "{retried}"
    );
    let lines = progress(&retried);
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with(&format!("◎ rollout Paused (step 1, 50%) {}", short(&third))),
        "{retried}"
    );
    let env = phase_is(&envs, "be", RolloutPhase::Paused, &third).await;
    assert_eq!(
        env.status.unwrap().rollout.unwrap().failed_revision,
        None,
        "no longer rejected"
    );
}

/// The user the admin kubeconfig authenticates as.
async fn whoami(ns: &TestNamespace) -> String {
    Api::<SelfSubjectReview>::all(ns.client.clone())
        .create(&PostParams::default(), &SelfSubjectReview::default())
        .await
        .unwrap()
        .status
        .and_then(|s| s.user_info)
        .and_then(|u| u.username)
        .unwrap()
}

/// `suspend`/`resume --wait`, `status -l`, `status --watch` seeing a new revision, `-o json`
/// from a steering command, and `version` finding the controller's Deployment.
#[tokio::test]
async fn suspend_resume_selectors_watch_and_version() {
    let cluster = Cluster::get().await;
    let ns = TestNamespace::new("cliread").await;
    let repo = ConfigRepo::example();
    let _ctl = Controller::start(&ns.name).await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    for (name, tier) in [("be", "prod"), ("web", "dev")] {
        let mut env = environment(
            name,
            &repo.url,
            "staging",
            "backend",
            json!({"source": {"interval": "10m"}}),
        );
        env.metadata.labels = Some([("tier".to_string(), tier.to_string())].into());
        envs.create(&PostParams::default(), &env).await.unwrap();
    }
    let first = repo.head();
    for name in ["be", "web"] {
        phase_is(&envs, name, RolloutPhase::Succeeded, &first).await;
    }
    let cli = Cli::new(&cluster.kubeconfig);
    let n = ns.name.as_str();

    // -l: only what matches.
    let prod = cli.run(&["status", "-n", n, "-l", "tier=prod"]).await;
    assert_eq!(prod.code, 0, "{prod}");
    let names: Vec<&str> = prod
        .stdout
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    assert_eq!(names, ["be"], "{prod}");
    let none = cli.run(&["status", "-n", n, "-l", "tier=nope"]).await;
    assert_eq!(
        none.stdout,
        format!("no ClaudeEnvironments matching tier=nope in namespace {n}\n")
    );

    // suspend --wait: acknowledged by the controller, shown in status.
    let suspended = cli
        .run(&["suspend", "be", "-n", n, "--wait", "--timeout", "60s"])
        .await;
    assert_eq!(suspended.code, 0, "{suspended}");
    assert!(
        suspended.stdout.starts_with(&format!("✔ suspended {n}/be")),
        "{suspended}"
    );
    assert!(envs.get("be").await.unwrap().spec.suspend);
    let details = cli.run(&["status", "be", "-n", n]).await;
    assert!(details.stdout.contains("Suspended:    yes"), "{details}");
    // A suspended environment does not move to a new commit.
    let second = new_revision(&repo, "1.4.3");
    let rec = cli.run(&["reconcile", "be", "-n", n, "-o", "json"]).await;
    assert_eq!(rec.code, 0, "{rec}");
    let object: Value = serde_json::from_str(&rec.stdout).unwrap();
    assert_eq!(object["metadata"]["name"], "be");
    assert!(object["metadata"].get("managedFields").is_none());

    // status --watch: the table, then a row when be moves to the new revision on resume.
    let mut watch = cli.spawn(&["status", "-n", n, "--watch"]);
    watch
        .line_where("the table's header", Duration::from_secs(30), |l| {
            l.starts_with("NAME ")
        })
        .await;
    let resumed = cli
        .run(&["resume", "be", "-n", n, "--wait", "--timeout", "90s"])
        .await;
    assert_eq!(resumed.code, 0, "{resumed}");
    assert!(
        resumed
            .stdout
            .starts_with(&format!("✔ resumed {n}/be: revision ")),
        "{resumed}"
    );
    let row = watch
        .line_where(
            "be's row at the new revision",
            Duration::from_secs(60),
            |l| l.starts_with("be ") && l.contains(short(&second)),
        )
        .await;
    assert!(
        row.split_whitespace().nth(4) == Some(short(&second)),
        "{row}"
    );
    drop(watch);

    // version: the controller's Deployment, found by its label.
    let version = cli.run(&["version", "--controller-namespace", n]).await;
    assert_eq!(version.code, 1, "no controller Deployment yet: {version}");
    assert!(
        version.stdout.contains(
            "✗ not found (no Deployment labelled app.kubernetes.io/name=claude-env-controller"
        ),
        "{version}"
    );
    let deployments: Api<Deployment> = ns.api();
    deployments
        .patch(
            "claude-env-controller",
            &PatchParams::apply("e2e"),
            &Patch::Apply(json!({
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "claude-env-controller", "labels": {
                    "app.kubernetes.io/name": "claude-env-controller",
                    "app.kubernetes.io/version": "0.1.0"}},
                "spec": {"replicas": 1,
                    "selector": {"matchLabels": {"app": "ctl"}},
                    "template": {"metadata": {"labels": {"app": "ctl"}},
                        "spec": {"containers": [{"name": "controller",
                            "image": "registry.example.com/claude-env-controller:9.9.9-e2e"}]}}}
            })),
        )
        .await
        .unwrap();
    let version = cli.run(&["version", "--controller-namespace", n]).await;
    assert_eq!(version.code, 0, "{version}");
    assert!(
        version.stdout.contains(&format!(
            "controller:  9.9.9-e2e ({n}/claude-env-controller, image registry.example.com/claude-env-controller:9.9.9-e2e, "
        )),
        "{version}"
    );
    let json = cli
        .run(&["version", "--controller-namespace", n, "-o", "json"])
        .await;
    let v: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(v["controllers"][0]["version"], "9.9.9-e2e");
    assert_eq!(v["client"], env!("CARGO_PKG_VERSION"));
}

/// `kubectl explain` reads the descriptions; `kubectl get` shows a short revision and the
/// Ready message, and `-o wide` team, project and strategy.
#[tokio::test]
async fn kubectl_explains_and_lists_environments_readably() {
    let cluster = Cluster::get().await;
    let ns = TestNamespace::new("explain").await;
    let kubectl = |args: &[&str]| {
        let out = cluster.kubectl().args(args).output().expect("kubectl");
        assert!(
            out.status.success(),
            "kubectl {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    let kind = kubectl(&["explain", "cenv"]);
    assert!(!kind.contains("Auto-generated"), "{kind}");
    assert!(
        kind.contains("One Claude Code environment: the environment, team and optional project"),
        "{kind}"
    );
    for (field, expected) in [
        ("cenv.spec.source.url", "The Git repository"),
        (
            "cenv.spec.strategy.type",
            "`Immediate` (default): apply at once and health-gate",
        ),
        ("cenv.spec.suspend", "Stop reconciling while true"),
        (
            "cenv.spec.healthChecks.prometheus.inconclusive",
            "What an empty or non-numeric result means",
        ),
        (
            "cenv.status.drift.detectedAt",
            "When this drift was first seen",
        ),
        (
            "cenv.status.lastAppliedShortRevision",
            "The first 12 characters of `lastAppliedRevision`",
        ),
    ] {
        let text = kubectl(&["explain", field]);
        // kubectl wraps at 80 columns: compare with the breaks as spaces.
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(expected), "{field}: {text}");
        assert!(!text.contains("Time is a wrapper"), "{field}: {text}");
    }

    // An environment with a status as the controller writes it (no controller needed).
    let envs: Api<ClaudeEnvironment> = ns.api();
    let spec = json!({"project": "payments", "strategy": {"type": "Canary", "canary": {"steps": [{"setWeight": 50}]}}});
    envs.create(
        &PostParams::default(),
        &environment(
            "be",
            "https://git.example.com/cfg.git",
            "staging",
            "backend",
            spec,
        ),
    )
    .await
    .unwrap();
    let rev = "0123456789abcdef0123456789abcdef01234567";
    envs.patch_status(
        "be",
        &PatchParams::default(),
        &Patch::Merge(json!({"status": {
            "lastAppliedRevision": rev, "lastAppliedShortRevision": &rev[..12],
            "conditions": [{"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded",
                "message": "Applied revision 0123456789ab", "lastTransitionTime": "2026-11-21T05:55:00Z"}],
            "rollout": {"phase": "Succeeded"}
        }})),
    )
    .await
    .unwrap();
    let get = kubectl(&["get", "cenv", "-n", &ns.name]);
    let mut lines = get.lines();
    let header: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(
        header,
        [
            "NAME",
            "ENVIRONMENT",
            "REVISION",
            "READY",
            "ROLLOUT",
            "DRIFT",
            "AGE",
            "MESSAGE"
        ],
        "{get}"
    );
    let row = lines.next().unwrap();
    assert!(row.contains(" 0123456789ab "), "{get}");
    assert!(!row.contains(rev), "{get}");
    assert!(row.ends_with("Applied revision 0123456789ab"), "{get}");
    let wide = kubectl(&["get", "cenv", "-n", &ns.name, "-o", "wide"]);
    let header: Vec<&str> = wide.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(
        &header[..5],
        ["NAME", "ENVIRONMENT", "TEAM", "PROJECT", "STRATEGY"],
        "{wide}"
    );
    assert!(wide.contains("backend   payments   Canary"), "{wide}");
}
