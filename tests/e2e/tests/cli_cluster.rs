//! The `claude-env` binary against the real control plane: a running controller reconciling
//! a ClaudeEnvironment from a real Git server, read with `status`, `history` and
//! `diff --cluster`, and steered with `reconcile`, `rollback` and `approve`.
//!
//! `approve` is checked up to the annotation it sets: the rollout machinery that consumes it
//! is not part of this test.

// An end-to-end scenario reads as one story, top to bottom: splitting it would hide the
// order of events it proves.
#![allow(clippy::too_many_lines)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use claude_env_api::{ClaudeEnvironment, HistoryResult, annotations, condition};
use claude_env_e2e::{Cluster, ConfigRepo, Controller, TestNamespace, environment, wait};
use k8s_openapi::api::apps::v1::Deployment;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

const STAGING_CONTEXT7: &str = "context7-mcp:1.4.2";

/// The CLI binary: `$CLAUDE_ENV_CLI_BIN`, else `target/<profile>/claude-env` next to this
/// test executable (`make e2e` builds it first).
fn cli_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("CLAUDE_ENV_CLI_BIN") {
        return PathBuf::from(p);
    }
    claude_env_e2e::controller::bin("claude-env")
}

/// One run of the CLI.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout\n{}--- stderr\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// The CLI with a clean environment: its own HOME (so no user kubeconfig or Git config
/// leaks in) and `KUBECONFIG` set only when asked.
struct Cli {
    kubeconfig: PathBuf,
    home: tempfile::TempDir,
}

impl Cli {
    fn new(kubeconfig: &Path) -> Cli {
        Cli {
            kubeconfig: kubeconfig.to_path_buf(),
            home: tempfile::tempdir().expect("home"),
        }
    }

    fn command(&self) -> Command {
        let mut c = Command::new(cli_bin());
        c.env_clear()
            .env("HOME", self.home.path())
            .env("XDG_CACHE_HOME", self.home.path().join("cache"))
            .env("PATH", std::env::var_os("PATH").unwrap_or_default());
        c
    }

    /// `claude-env <args> --kubeconfig K`.
    async fn run(&self, args: &[&str]) -> Run {
        let mut c = self.command();
        c.args(args).arg("--kubeconfig").arg(&self.kubeconfig);
        exec(c).await
    }

    /// `KUBECONFIG=K claude-env <args>`.
    async fn run_env(&self, args: &[&str]) -> Run {
        let mut c = self.command();
        c.env("KUBECONFIG", &self.kubeconfig).args(args);
        exec(c).await
    }
}

async fn exec(mut c: Command) -> Run {
    let out = tokio::task::spawn_blocking(move || c.output())
        .await
        .expect("join")
        .expect("run claude-env");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn ready(env: &ClaudeEnvironment) -> Option<String> {
    env.status
        .as_ref()?
        .conditions
        .iter()
        .find(|c| c.type_ == condition::READY)
        .map(|c| c.status.clone())
}

async fn ready_at(api: &Api<ClaudeEnvironment>, name: &str, revision: &str) -> ClaudeEnvironment {
    wait::until(
        &format!("{name} Ready at {}", &revision[..8]),
        Duration::from_secs(120),
        || async {
            let env = api.get(name).await.map_err(|e| e.to_string())?;
            let applied = env
                .status
                .as_ref()
                .and_then(|s| s.last_applied_revision.clone());
            match (applied.as_deref(), ready(&env).as_deref()) {
                (Some(a), Some("True")) if a == revision => Ok(env),
                other => Err(format!("{other:?}")),
            }
        },
    )
    .await
}

fn annotation(env: &ClaudeEnvironment, key: &str) -> Option<String> {
    env.metadata.annotations.as_ref()?.get(key).cloned()
}

/// One environment through every cluster command: status and its exit codes, drift as
/// `status` and `diff --cluster` see it, a working-tree change as `diff` sees it,
/// `reconcile --wait` fetching a new commit, `history`, `rollback --wait` (twice to one
/// revision), `approve`, and the errors.
#[tokio::test]
async fn the_cli_reads_and_steers_an_environment_reconciled_by_the_controller() {
    let cluster = Cluster::get().await;
    let ns = TestNamespace::new("cli").await;
    let repo = ConfigRepo::example();
    let _ctl = Controller::start(&ns.name).await;
    let envs: Api<ClaudeEnvironment> = ns.api();
    // Alert: drift stays for the CLI to see; a long interval: only `reconcile` fetches.
    envs.create(
        &PostParams::default(),
        &environment(
            "be",
            &repo.url,
            "staging",
            "backend",
            json!({"source": {"interval": "10m"}, "driftPolicy": {"mode": "Alert"}}),
        ),
    )
    .await
    .unwrap();
    let first = repo.head();
    ready_at(&envs, "be", &first).await;
    let cli = Cli::new(&cluster.kubeconfig);
    let n = ns.name.as_str();
    let work = repo.repo.work_dir();
    let work = work.to_str().unwrap();

    // status: the table, exit 0 when Ready and not drifted.
    let table = cli.run(&["status", "-n", n]).await;
    assert_eq!(table.code, 0, "{table}");
    let lines: Vec<&str> = table.stdout.lines().collect();
    assert!(lines[0].starts_with("NAME   ENVIRONMENT   TEAM"), "{table}");
    let row: Vec<&str> = lines[1].split_whitespace().collect();
    assert_eq!(
        &row[..7],
        &[
            "be",
            "staging",
            "backend",
            "-",
            &first[..12],
            "True",
            "0.0%"
        ],
        "{table}"
    );
    // KUBECONFIG alone does not switch to cluster mode; with -n it reaches the cluster.
    let via_env = cli.run_env(&["status", "-n", n, "-o", "json"]).await;
    assert_eq!(via_env.code, 0, "{via_env}");
    let list: Value = serde_json::from_str(&via_env.stdout).unwrap();
    assert_eq!(list["kind"], "List");
    assert_eq!(list["items"][0]["metadata"]["name"], "be");
    assert!(list["items"][0]["metadata"].get("managedFields").is_none());
    let local = cli.run_env(&["status"]).await;
    assert!(local.stdout.contains("synced:      never"), "{local}");
    let all = cli.run(&["status", "-A"]).await;
    assert!(all.stdout.starts_with("NAMESPACE "), "{all}");
    assert!(
        all.stdout
            .lines()
            .any(|l| l.split_whitespace().take(2).eq([n, "be"])),
        "{all}"
    );
    let details = cli.run(&["status", "be", "-n", n]).await;
    assert_eq!(details.code, 0, "{details}");
    for expected in [
        "Environment:  staging / backend / - (environment / team / project)",
        "Ready=True  ReconciliationSucceeded",
        &format!("Revision:     applied {}", &first[..12]),
        "Drift:        0.0%",
        &format!("Deployment/{n}/be-context7"),
        "Succeeded",
    ] {
        assert!(
            details.stdout.contains(expected),
            "{expected:?} in {details}"
        );
    }

    // diff --cluster: this checkout is what runs.
    let same = cli.run(&["diff", "be", "-n", n, "--repo", work]).await;
    assert_eq!(same.code, 0, "{same}");
    // The same managed fields as the controller's own drift detection: the CLI renders and
    // shapes the objects exactly as the controller applies them.
    let managed = envs
        .get("be")
        .await
        .unwrap()
        .status
        .unwrap()
        .drift
        .unwrap()
        .managed_fields;
    assert!(
        same.stdout.starts_with(&format!(
            "no differences: {managed} managed field(s) of 5 object(s) match\n"
        )),
        "{same}"
    );

    // Drift: someone changes the image; Alert keeps it for status and diff to report.
    let deployments: Api<Deployment> = ns.api();
    let image_of = |d: Deployment| {
        d.spec.unwrap().template.spec.unwrap().containers[0]
            .image
            .clone()
            .unwrap()
    };
    let original = image_of(deployments.get("be-context7").await.unwrap());
    assert!(original.ends_with(STAGING_CONTEXT7), "{original}");
    deployments
        .patch(
            "be-context7",
            &PatchParams::default(),
            &Patch::Strategic(json!({"spec": {"template": {"spec": {"containers": [
                {"name": "mcp", "image": "registry.example.com/evil:6"}]}}}})),
        )
        .await
        .unwrap();
    let drifted = wait::until(
        "status exits 1 on drift",
        Duration::from_secs(60),
        || async {
            let r = cli.run(&["status", "-n", n]).await;
            if r.code == 1 {
                Ok(r)
            } else {
                Err(r.to_string())
            }
        },
    )
    .await;
    let row: Vec<&str> = drifted
        .stdout
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .collect();
    assert_ne!(row[6], "0.0%", "{drifted}");
    let details = cli.run(&["status", "be", "-n", n]).await;
    assert_eq!(details.code, 1, "{details}");
    assert!(
        details.stdout.contains("Drifted=True  DriftDetected"),
        "{details}"
    );
    assert!(
        details
            .stdout
            .contains("/spec/template/spec/containers/0/image"),
        "{details}"
    );
    let diff = cli
        .run(&["diff", "--cluster", "be", "-n", n, "--repo", work])
        .await;
    assert_eq!(diff.code, 1, "{diff}");
    let out = &diff.stdout;
    assert!(
        out.contains(&format!(
            "--- a/Deployment/{n}/be-context7\n+++ b/Deployment/{n}/be-context7\n"
        )),
        "{diff}"
    );
    assert!(
        out.contains("-        image: registry.example.com/evil:6\n"),
        "{diff}"
    );
    assert!(
        out.contains(&format!("+        image: {original}\n")),
        "{diff}"
    );
    assert!(out.contains("1 of "), "{diff}");
    assert!(
        out.contains("/spec/template/spec/containers/0/image"),
        "{diff}"
    );
    for noise in [
        "imagePullPolicy",
        "terminationMessagePath",
        "resourceVersion",
        "uid:",
    ] {
        assert!(!out.contains(noise), "{noise} in {diff}");
    }
    // The same comparison by selection and instance name instead of NAME.
    let by_selection = cli
        .run(&[
            "diff",
            "--cluster",
            "--env",
            "staging",
            "--team",
            "backend",
            "--instance",
            "be",
            "-n",
            n,
            "--repo",
            work,
        ])
        .await;
    assert_eq!(by_selection.code, 1, "{by_selection}");
    assert!(by_selection.stdout.contains("evil:6"), "{by_selection}");
    // Put the image back (the controller would under Remediate).
    deployments
        .patch(
            "be-context7",
            &PatchParams::default(),
            &Patch::Strategic(json!({"spec": {"template": {"spec": {"containers": [
                {"name": "mcp", "image": original}]}}}})),
        )
        .await
        .unwrap();
    wait::until("status exits 0 again", Duration::from_secs(60), || async {
        let r = cli.run(&["status", "-n", n]).await;
        if r.code == 0 {
            Ok(())
        } else {
            Err(r.to_string())
        }
    })
    .await;

    // A change in the working tree: the config ConfigMap is replaced, shown against the old.
    let settings = repo.read("environments/staging/settings.yaml");
    assert!(settings.contains("CLAUDE_ENV_STAGE: staging"), "{settings}");
    std::fs::write(
        repo.repo
            .work_dir()
            .join("environments/staging/settings.yaml"),
        settings.replace(
            "CLAUDE_ENV_STAGE: staging",
            "CLAUDE_ENV_STAGE: staging\n    CLI_E2E_MARKER: \"1\"",
        ),
    )
    .unwrap();
    let changed = cli.run(&["diff", "be", "-n", n, "--repo", work]).await;
    assert_eq!(changed.code, 1, "{changed}");
    assert!(
        changed.stdout.contains(&format!("--- a/ConfigMap/{n}/be-")),
        "{changed}"
    );
    assert!(changed.stdout.contains("CLI_E2E_MARKER"), "{changed}");
    assert!(
        changed
            .stdout
            .contains("no longer rendered (the next apply prunes them):"),
        "{changed}"
    );
    assert!(changed.stdout.contains("-dirty"), "{changed}");

    // reconcile --wait: the committed change is fetched now (the interval is 10 minutes).
    let second = {
        let sha = repo.repo.commit("a marker env var");
        repo.repo.push();
        sha
    };
    let dry = cli.run(&["reconcile", "be", "-n", n, "--dry-run"]).await;
    assert_eq!(dry.code, 0, "{dry}");
    assert!(dry.stdout.contains("\"claude-env.io/reconcile\""), "{dry}");
    assert_eq!(
        annotation(&envs.get("be").await.unwrap(), annotations::RECONCILE),
        None
    );
    let rec = cli
        .run(&["reconcile", "be", "-n", n, "--wait", "--timeout", "60s"])
        .await;
    assert_eq!(rec.code, 0, "{rec}");
    assert!(
        rec.stdout
            .contains(&format!("reconciled {n}/be: revision {}", &second[..12])),
        "{rec}"
    );
    let env = envs.get("be").await.unwrap();
    let requested = annotation(&env, annotations::RECONCILE).unwrap();
    assert_eq!(
        env.status
            .as_ref()
            .unwrap()
            .last_handled_reconcile_at
            .as_ref(),
        Some(&requested)
    );
    ready_at(&envs, "be", &second).await;

    // history: both revisions, oldest first.
    let history = cli.run(&["history", "be", "-n", n]).await;
    assert_eq!(history.code, 0, "{history}");
    let first_at = history.stdout.find(&first[..12]).expect("first in history");
    let second_at = history
        .stdout
        .find(&second[..12])
        .expect("second in history");
    assert!(first_at < second_at, "{history}");
    let json_history = cli.run(&["history", "be", "-n", n, "-o", "json"]).await;
    let entries: Vec<Value> = serde_json::from_str(&json_history.stdout).unwrap();
    assert_eq!(entries.last().unwrap()["revision"], second.as_str());

    // rollback --wait to a short SHA; then to the same revision again: a second request.
    let rb = cli
        .run(&[
            "rollback",
            "be",
            "-n",
            n,
            "--to",
            &first[..8],
            "--wait",
            "--timeout",
            "60s",
        ])
        .await;
    assert_eq!(rb.code, 0, "{rb}");
    assert!(
        rb.stdout
            .contains(&format!("rolled back {n}/be: revision {}", &first[..12])),
        "{rb}"
    );
    let env = envs.get("be").await.unwrap();
    let one = annotation(&env, annotations::ROLLBACK_TO).unwrap();
    assert!(one.starts_with(&format!("{}@", &first[..8])), "{one}");
    let status = env.status.unwrap();
    assert_eq!(
        status.last_applied_revision.as_deref(),
        Some(first.as_str())
    );
    assert_eq!(
        status.last_handled_rollback_to.as_deref(),
        Some(one.as_str())
    );
    assert!(
        status
            .history
            .iter()
            .any(|h| h.result == HistoryResult::RolledBack)
    );
    let again = cli
        .run(&[
            "rollback",
            "be",
            "-n",
            n,
            "--to",
            &first[..8],
            "--wait",
            "--timeout",
            "60s",
        ])
        .await;
    assert_eq!(again.code, 0, "{again}");
    let two = annotation(&envs.get("be").await.unwrap(), annotations::ROLLBACK_TO).unwrap();
    assert_ne!(one, two, "the same revision twice is two requests");
    assert_eq!(
        envs.get("be")
            .await
            .unwrap()
            .status
            .unwrap()
            .last_handled_rollback_to,
        Some(two)
    );

    // approve: nothing is paused, so it refuses unless told the revision.
    let refused = cli.run(&["approve", "be", "-n", n]).await;
    assert_eq!(refused.code, 2, "{refused}");
    assert!(
        refused
            .stderr
            .contains(&format!("nothing in {n}/be is waiting for approval")),
        "{refused}"
    );
    let approved = cli
        .run(&["approve", "be", "-n", n, "--revision", &second])
        .await;
    assert_eq!(approved.code, 0, "{approved}");
    // `<revision>@<time>`: each approval is new (the controller spends one per human gate).
    let approval = annotation(&envs.get("be").await.unwrap(), annotations::APPROVE).unwrap();
    assert!(approval.starts_with(&format!("{second}@")), "{approval}");

    // Errors: exit 2 with a message.
    let missing = cli.run(&["status", "nope", "-n", n]).await;
    assert_eq!(missing.code, 2, "{missing}");
    assert!(
        missing
            .stderr
            .contains(&format!("ClaudeEnvironment {n}/nope not found")),
        "{missing}"
    );
    let no_name = cli.run(&["history", "--cluster", "-n", n]).await;
    assert_eq!(no_name.code, 2, "{no_name}");
    let bad_config = Cli::new(Path::new("/nonexistent/kubeconfig"))
        .run(&["status", "-n", n])
        .await;
    assert_eq!(bad_config.code, 2, "{bad_config}");
    assert!(
        bad_config.stderr.contains("/nonexistent/kubeconfig"),
        "{bad_config}"
    );
}
