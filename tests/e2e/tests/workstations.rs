//! Workstations follow the rollout, on the local control plane: 20 developers, each a
//! ServiceAccount with its own token, kubeconfig and target directory, bound to the chart's
//! `claude-env-workstation` role, with the chart's admission policy on.
//!
//! - a 25% canary step reaches exactly the developers whose cohort bucket is below 25 (a
//!   deterministic minority), approval takes everyone to the new revision;
//! - a push whose MCP server cannot start is reported failing by the cohort's doctors, the
//!   controller rolls back by itself, and the next sync puts every cohort laptop back on the
//!   stable revision with its local overrides and own files intact;
//! - one laptop follows with `sync --watch` and gets each step within seconds;
//! - the fleet view (`status --workstations`), `status.workstations` and the metric show it
//!   at each stage;
//! - a developer cannot write another developer's record, cannot read an environment of a
//!   namespace they are not bound in, and a sync killed at any point leaves the target as it
//!   was or fully at the new revision.

// An end-to-end scenario reads as one story, top to bottom: splitting it would hide the
// order of events it proves.
#![allow(clippy::too_many_lines)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use claude_env_api::{ClaudeEnvironment, ClaudeWorkstation, RolloutPhase, WorkstationCounts};
use claude_env_e2e::controller::bin;
use claude_env_e2e::ship_support::helm;
use claude_env_e2e::{Cluster, Controller, TestNamespace, environment, metric, wait};
use claude_env_testkit::{GitHttpServer, HttpAuth, TempRepo};
use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::api::{Api, Patch, PatchParams, PostParams};
use serde_json::{Value, json};

const DEVELOPERS: usize = 20;
const WEIGHT: u8 = 25;
const ENV: &str = "be";

/// A config repository of one environment: a stdio MCP server (the SDK's test server) and
/// CLAUDE.md saying which revision it is.
struct Repo {
    repo: TempRepo,
    _server: GitHttpServer,
    url: String,
}

impl Repo {
    fn new() -> Repo {
        let repo = TempRepo::named("ws-config");
        repo.write(
            "claude-env.yaml",
            "schemaVersion: 1\nenvironments: [production]\n",
        );
        repo.write(
            "environments/production/settings.yaml",
            "settings:\n  model: sonnet\n",
        );
        repo.write("teams/backend/.gitkeep", "");
        Self::revision(&repo, "rev 1", &bin("mcp-fixture").display().to_string());
        repo.commit("rev 1");
        repo.push();
        let server = GitHttpServer::start(&repo.serve_root(), HttpAuth::None);
        let url = server.url(&repo.remote_name());
        Repo {
            repo,
            _server: server,
            url,
        }
    }

    fn revision(repo: &TempRepo, memory: &str, command: &str) {
        repo.write("base/memory.yaml", &format!("memory: \"{memory}\"\n"));
        repo.write(
            "base/mcp.yaml",
            &format!(
                "mcpServers:\n  tools:\n    command: {command}\n    args: [\"--stdio\"]\n    env:\n      GREETING: \"hello ${{env:DEV_NAME}}\"\n"
            ),
        );
    }

    /// Commit and push a revision, and have the controller fetch it now (as a webhook
    /// would); its SHA.
    async fn push(&self, envs: &Api<ClaudeEnvironment>, memory: &str, command: &str) -> String {
        Self::revision(&self.repo, memory, command);
        let sha = self.repo.commit(memory);
        self.repo.push();
        let poke = json!({"metadata": {"annotations": {"claude-env.io/reconcile": sha}}});
        envs.patch(ENV, &PatchParams::default(), &Patch::Merge(&poke))
            .await
            .unwrap();
        sha
    }
}

/// One developer: a ServiceAccount, its kubeconfig, its `~/.claude`.
struct Dev {
    sa: String,
    user: String,
    bucket: u8,
    kubeconfig: PathBuf,
    target: PathBuf,
    home: PathBuf,
}

impl Dev {
    fn in_cohort(&self) -> bool {
        self.bucket < WEIGHT
    }

    fn command(&self) -> Command {
        let mut c = Command::new(bin("claude-env"));
        c.env_clear()
            .env("HOME", &self.home)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("DEV_NAME", &self.sa);
        c
    }

    /// `claude-env <args> --kubeconfig K` (sync and status get `--target` too).
    async fn run(&self, args: &[&str]) -> Run {
        let mut c = self.command();
        c.args(args).arg("--kubeconfig").arg(&self.kubeconfig);
        if args[0] == "sync" {
            c.arg("--target").arg(&self.target);
        }
        run(c).await
    }

    async fn sync(&self, ns: &str) -> Run {
        self.run(&["sync", ENV, "-n", ns]).await
    }

    fn memory(&self) -> String {
        std::fs::read_to_string(self.target.join("CLAUDE.md")).unwrap_or_default()
    }

    fn file(&self, path: &str) -> String {
        std::fs::read_to_string(self.target.join(path)).unwrap_or_default()
    }
}

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

async fn run(mut c: Command) -> Run {
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

/// `sync` on every developer of `devs` at once; each run by its developer's index.
async fn sync_all<'a>(devs: impl IntoIterator<Item = &'a Dev>, ns: &str) -> Vec<(&'a Dev, Run)> {
    let runs = devs
        .into_iter()
        .map(|d| async move { (d, d.sync(ns).await) });
    futures::future::join_all(runs).await
}

fn kubectl(cluster: &Cluster, args: &[&str], stdin: Option<&str>) -> String {
    let mut c = cluster.kubectl();
    c.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("kubectl");
    if let Some(input) = stdin {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "kubectl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A kubeconfig for `token` on the local cluster (its server and CA from the admin one).
fn kubeconfig(cluster: &Cluster, token: &str, namespace: &str) -> String {
    let admin: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(&cluster.kubeconfig).unwrap()).unwrap();
    let c = &admin["clusters"][0]["cluster"];
    serde_json::to_string(&json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "local", "cluster": c}],
        "users": [{"name": "dev", "user": {"token": token}}],
        "contexts": [{"name": "dev", "context": {"cluster": "local", "user": "dev", "namespace": namespace}}],
        "current-context": "dev",
    }))
    .unwrap()
}

/// The chart's workstation role and admission policy (this test's release, bound to its
/// namespace, the role named `<release>-workstation` so that other releases on the shared
/// cluster keep theirs); removed when dropped (they are cluster-scoped).
struct ChartObjects {
    release: String,
}

impl ChartObjects {
    fn install(cluster: &Cluster, ns: &str) -> ChartObjects {
        let release = format!("ws-{ns}");
        let out = helm(cluster)
            .args([
                "template",
                &release,
                "charts/claude-env-controller",
                "--show-only",
                "templates/role-workstation.yaml",
                "--show-only",
                "templates/admission-workstation.yaml",
                "--set",
                &format!("governance.roles.namePrefix={release}"),
                "--set-json",
                &format!(
                    "workstations.admission.namespaceSelector={{\"matchLabels\":{{\"kubernetes.io/metadata.name\":\"{ns}\"}}}}"
                ),
            ])
            .output()
            .expect("helm");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let manifests = String::from_utf8(out.stdout).unwrap();
        kubectl(
            cluster,
            &["apply", "--server-side", "--force-conflicts", "-f", "-"],
            Some(&manifests),
        );
        ChartObjects { release }
    }
}

impl Drop for ChartObjects {
    fn drop(&mut self) {
        if std::env::var_os("E2E_KEEP_NAMESPACES").is_some() {
            return;
        }
        let _ = Command::new(claude_env_e2e::repo_root().join("build/bin/kubectl"))
            .env(
                "KUBECONFIG",
                claude_env_e2e::repo_root().join("build/cluster/kubeconfig"),
            )
            .args([
                "delete",
                "validatingadmissionpolicy,validatingadmissionpolicybinding,clusterrole",
                "-l",
                &format!("app.kubernetes.io/instance={}", self.release),
                "--ignore-not-found",
                "--wait=false",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// 20 developers: ServiceAccounts whose cohort buckets make a 25% cohort of five (chosen
/// from more candidates by the same function the CLI and controller use, so the test does
/// not depend on how the namespace's random name hashes).
async fn developers(cluster: &Cluster, ns: &TestNamespace, role: &str, dir: &Path) -> Vec<Dev> {
    let mut cohort = Vec::new();
    let mut rest = Vec::new();
    for i in 0..200 {
        let sa = format!("dev-{i:03}");
        let user = format!("system:serviceaccount:{}:{sa}", ns.name);
        let bucket = claude_env_rollout::cohort::bucket(&ns.name, ENV, &user);
        if bucket < WEIGHT && cohort.len() < 5 {
            cohort.push((sa, user, bucket));
        } else if bucket >= WEIGHT && rest.len() < DEVELOPERS - 5 {
            rest.push((sa, user, bucket));
        }
    }
    assert_eq!(cohort.len() + rest.len(), DEVELOPERS);
    let sas: Api<ServiceAccount> = ns.api();
    let bindings: Api<RoleBinding> = ns.api();
    let mut devs = Vec::new();
    for (sa, user, bucket) in cohort.into_iter().chain(rest) {
        sas.create(
            &PostParams::default(),
            &serde_json::from_value(json!({"metadata": {"name": sa}})).unwrap(),
        )
        .await
        .unwrap();
        bindings
            .create(
                &PostParams::default(),
                &serde_json::from_value(json!({
                    "metadata": {"name": sa},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
                    "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": ns.name}],
                }))
                .unwrap(),
            )
            .await
            .unwrap();
        let token = kubectl(
            cluster,
            &["create", "token", &sa, "-n", &ns.name, "--duration=1h"],
            None,
        );
        let home = dir.join(&sa);
        std::fs::create_dir_all(&home).unwrap();
        let kc = home.join("kubeconfig");
        std::fs::write(&kc, kubeconfig(cluster, token.trim(), &ns.name)).unwrap();
        devs.push(Dev {
            target: home.join(".claude"),
            sa,
            user,
            bucket,
            kubeconfig: kc,
            home,
        });
    }
    devs
}

async fn env_where(
    api: &Api<ClaudeEnvironment>,
    what: &str,
    ok: impl Fn(&ClaudeEnvironment) -> bool,
) -> ClaudeEnvironment {
    wait::until(what, Duration::from_secs(120), || async {
        let env = api.get(ENV).await.map_err(|e| e.to_string())?;
        if ok(&env) {
            Ok(env)
        } else {
            Err(format!(
                "{:?}",
                env.status.as_ref().map(|s| (&s.rollout, &s.workstations))
            ))
        }
    })
    .await
}

fn rollout(env: &ClaudeEnvironment) -> (RolloutPhase, Option<String>, Option<String>) {
    let r = env
        .status
        .as_ref()
        .and_then(|s| s.rollout.clone())
        .unwrap_or_default();
    (r.phase, r.revision, r.stable_revision)
}

fn counts(env: &ClaudeEnvironment) -> WorkstationCounts {
    env.status
        .as_ref()
        .and_then(|s| s.workstations)
        .unwrap_or_default()
}

/// `claude_env_workstations{state}` for the environment.
async fn gauge(ctl: &Controller, ns: &str) -> BTreeMap<String, f64> {
    let text = reqwest::get(format!("http://127.0.0.1:{}/metrics", ctl.metrics_port))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    ["total", "stable", "canary", "stale", "drifted", "failing"]
        .into_iter()
        .filter_map(|s| {
            let v = metric(
                &text,
                "claude_env_workstations",
                &[("namespace", ns), ("name", ENV), ("state", s)],
            )?;
            Some((s.to_string(), v))
        })
        .collect()
}

/// Wait until status and the metric both say `want`.
async fn fleet_is(
    api: &Api<ClaudeEnvironment>,
    ctl: &Controller,
    ns: &str,
    want: WorkstationCounts,
) {
    env_where(api, &format!("status.workstations {want:?}"), |e| {
        counts(e) == want
    })
    .await;
    let expected: BTreeMap<String, f64> = [
        ("total", want.total),
        ("stable", want.stable),
        ("canary", want.canary),
        ("stale", want.stale),
        ("drifted", want.drifted),
        ("failing", want.failing),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), f64::from(v)))
    .collect();
    wait::until(
        "the workstations metric",
        Duration::from_secs(30),
        || async {
            let g = gauge(ctl, ns).await;
            if g == expected {
                Ok(())
            } else {
                Err(format!("{g:?}"))
            }
        },
    )
    .await;
}

fn fleet(total: i32, stable: i32, canary: i32, drifted: i32, failing: i32) -> WorkstationCounts {
    WorkstationCounts {
        total,
        stable,
        canary,
        stale: 0,
        drifted,
        failing,
    }
}

#[tokio::test]
async fn workstations_follow_canary_approval_and_automatic_rollback() {
    let cluster = Cluster::get().await;
    let ns = TestNamespace::new("ws").await;
    let other = TestNamespace::new("ws-other").await;
    let chart = ChartObjects::install(cluster, &ns.name);
    let repo = Repo::new();
    let r1 = repo.repo.head();
    let ctl = Controller::start(&ns.name).await;
    let dir = tempfile::tempdir().unwrap();
    let role = format!("{}-workstation", chart.release);
    let devs = developers(cluster, &ns, &role, dir.path()).await;
    let n = ns.name.as_str();
    let envs: Api<ClaudeEnvironment> = ns.api();
    envs.create(
        &PostParams::default(),
        &environment(
            ENV,
            &repo.url,
            "production",
            "backend",
            json!({
                "strategy": {"type": "Canary", "canary": {"steps": [{"setWeight": WEIGHT}, {"pause": {}}]}},
                "healthChecks": {"timeout": "3m", "workstations": {"minHealthy": 1, "maxFailing": 0}},
            }),
        ),
    )
    .await
    .unwrap();
    env_where(&envs, "the first revision applied", |e| {
        rollout(e) == (RolloutPhase::Succeeded, Some(r1.clone()), Some(r1.clone()))
    })
    .await;

    // The first cohort member keeps a user layer and a file of its own; the second follows
    // with --watch; the last developer (not in the cohort) will edit a managed file.
    let (cohort, rest): (Vec<&Dev>, Vec<&Dev>) = devs.iter().partition(|d| d.in_cohort());
    assert_eq!(cohort.len(), 5, "a minority: 5 of {DEVELOPERS}");
    let keeper = cohort[0];
    let watcher = cohort[1];
    let editor = *rest.last().unwrap();
    std::fs::create_dir_all(keeper.target.join("notes")).unwrap();
    std::fs::write(
        keeper.target.join("local-overrides.yaml"),
        "settings:\n  model: opus\n",
    )
    .unwrap();
    std::fs::write(keeper.target.join("notes/mine.md"), "my notes\n").unwrap();
    let mut watch = watcher
        .command()
        .args([
            "sync",
            ENV,
            "-n",
            n,
            "--watch",
            "--heartbeat",
            "2s",
            "--kubeconfig",
        ])
        .arg(&watcher.kubeconfig)
        .arg("--target")
        .arg(&watcher.target)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let manual: Vec<&Dev> = devs.iter().filter(|d| d.sa != watcher.sa).collect();

    // Everyone on the first revision.
    for (d, r) in sync_all(manual.iter().copied(), n).await {
        assert_eq!(r.code, 0, "{}: {r}", d.sa);
        assert!(r.stdout.contains("doctor: healthy"), "{}: {r}", d.sa);
        assert_eq!(d.memory(), "rev 1\n");
    }
    wait::until("the watcher on rev 1", Duration::from_secs(30), || async {
        (watcher.memory() == "rev 1\n")
            .then_some(())
            .ok_or_else(|| watcher.memory())
    })
    .await;
    assert!(
        keeper.file("settings.json").contains("\"opus\""),
        "the user layer merges last"
    );
    assert!(
        keeper
            .file("mcp.json")
            .contains(&format!("hello {}", keeper.sa)),
        "${{env:DEV_NAME}} resolved"
    );
    fleet_is(&envs, &ctl, n, fleet(20, 20, 0, 0, 0)).await;

    // A hand edit of a managed file: that sync is blocked and the laptop counts as drifted.
    std::fs::write(
        editor.target.join("settings.json"),
        "{\"model\": \"mine\"}\n",
    )
    .unwrap();
    let blocked = editor.sync(n).await;
    assert_eq!(blocked.code, 1, "{blocked}");
    fleet_is(&envs, &ctl, n, fleet(20, 20, 0, 1, 0)).await;

    // A good revision: the 25% step reaches the cohort and nobody else.
    let r2 = repo
        .push(&envs, "rev 2", &bin("mcp-fixture").display().to_string())
        .await;
    env_where(&envs, "the canary of rev 2 at 25%", |e| {
        rollout(e).1.as_deref() == Some(r2.as_str())
            && e.status
                .as_ref()
                .and_then(|s| s.rollout.as_ref())
                .and_then(|r| r.weight)
                == Some(i32::from(WEIGHT))
    })
    .await;
    for (d, r) in sync_all(manual.iter().copied(), n).await {
        let want = if d.in_cohort() { "rev 2\n" } else { "rev 1\n" };
        assert_eq!(d.memory(), want, "{} (bucket {}): {r}", d.sa, d.bucket);
    }
    wait::until("the watcher on rev 2", Duration::from_secs(20), || async {
        (watcher.memory() == "rev 2\n")
            .then_some(())
            .ok_or_else(|| watcher.memory())
    })
    .await;
    // Healthy cohort reports let the step pass; the pause waits for approval.
    env_where(&envs, "the canary paused for approval", |e| {
        rollout(e).0 == RolloutPhase::Paused
    })
    .await;
    fleet_is(&envs, &ctl, n, fleet(20, 15, 5, 1, 0)).await;
    let view = devs[0]
        .command()
        .args(["status", "--workstations", ENV, "-n", n, "--kubeconfig"])
        .arg(&cluster.kubeconfig)
        .output()
        .unwrap();
    let view = String::from_utf8_lossy(&view.stdout).into_owned();
    assert_eq!(
        view.lines().filter(|l| l.contains(" canary ")).count(),
        5,
        "{view}"
    );
    for d in &devs {
        let row = view
            .lines()
            .find(|l| l.starts_with(&d.user))
            .unwrap_or_else(|| panic!("{} missing: {view}", d.user));
        assert!(
            row.contains(if d.in_cohort() { "canary" } else { "stable" }),
            "{row}"
        );
    }
    assert!(
        view.contains("total 20: 15 stable, 5 canary, 0 stale, 1 drifted, 0 failing"),
        "{view}"
    );

    // Approval takes everyone to rev 2 (the editor forces its edit away; it is backed up).
    let approve = run({
        let mut c = devs[0].command();
        c.args(["approve", ENV, "-n", n, "--kubeconfig"])
            .arg(&cluster.kubeconfig);
        c
    })
    .await;
    assert_eq!(approve.code, 0, "{approve}");
    env_where(&envs, "rev 2 promoted", |e| {
        rollout(e) == (RolloutPhase::Succeeded, Some(r2.clone()), Some(r2.clone()))
    })
    .await;
    assert_eq!(editor.run(&["sync", ENV, "-n", n, "--force"]).await.code, 0);
    for (d, r) in sync_all(manual.iter().copied(), n).await {
        assert_eq!(r.code, 0, "{}: {r}", d.sa);
        assert_eq!(d.memory(), "rev 2\n", "{}", d.sa);
    }
    wait::until(
        "the watcher stays on rev 2",
        Duration::from_secs(20),
        || async {
            (watcher.memory() == "rev 2\n")
                .then_some(())
                .ok_or_else(|| watcher.memory())
        },
    )
    .await;
    fleet_is(&envs, &ctl, n, fleet(20, 20, 0, 0, 0)).await;

    // A push whose MCP server cannot start: the cohort's doctors fail, the controller rolls
    // back by itself.
    let r3 = repo.push(&envs, "rev 3", "/nonexistent/mcp-server").await;
    env_where(&envs, "the canary of rev 3", |e| {
        rollout(e).1.as_deref() == Some(r3.as_str())
    })
    .await;
    // The watcher (in the cohort) may report first and the rollback come before some of
    // these syncs: each holds rev 3 with a failing doctor, or rev 2 again.
    let mut failing = 0;
    for (d, r) in sync_all(cohort.iter().copied().filter(|d| d.sa != watcher.sa), n).await {
        if d.memory() == "rev 3\n" {
            assert!(r.stdout.contains("doctor: failing"), "{}: {r}", d.sa);
            assert_eq!(r.code, 1, "{}: {r}", d.sa);
            failing += 1;
        } else {
            assert_eq!(d.memory(), "rev 2\n", "{}: {r}", d.sa);
        }
    }
    for d in &rest {
        assert_eq!(d.memory(), "rev 2\n", "outside the cohort nobody got rev 3");
    }
    let rolled = env_where(&envs, "the automatic rollback", |e| {
        rollout(e).0 == RolloutPhase::RolledBack
    })
    .await;
    assert_eq!(
        rollout(&rolled).2.as_deref(),
        Some(r2.as_str()),
        "stable stays rev 2"
    );
    let failed = rolled
        .status
        .as_ref()
        .unwrap()
        .rollout
        .as_ref()
        .unwrap()
        .failed_revision
        .clone();
    assert_eq!(failed.as_deref(), Some(r3.as_str()));
    eprintln!("{failing} manual cohort sync(s) reported rev 3 failing before the rollback");
    let text = reqwest::get(format!("http://127.0.0.1:{}/metrics", ctl.metrics_port))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        metric(
            &text,
            "claude_env_rollbacks_total",
            &[
                ("namespace", n),
                ("name", ENV),
                ("reason", "workstations_failing")
            ]
        ),
        Some(1.0),
        "{text}"
    );
    // The watcher gets the rollback by itself; the others at their next sync.
    wait::until(
        "the watcher back on rev 2",
        Duration::from_secs(30),
        || async {
            (watcher.memory() == "rev 2\n")
                .then_some(())
                .ok_or_else(|| watcher.memory())
        },
    )
    .await;
    for (d, r) in sync_all(manual.iter().copied(), n).await {
        assert_eq!(r.code, 0, "{}: {r}", d.sa);
        assert_eq!(d.memory(), "rev 2\n", "{}", d.sa);
    }
    assert!(
        keeper.file("settings.json").contains("\"opus\""),
        "the user layer still merges"
    );
    assert_eq!(
        keeper.file("local-overrides.yaml"),
        "settings:\n  model: opus\n"
    );
    assert_eq!(keeper.file("notes/mine.md"), "my notes\n");
    fleet_is(&envs, &ctl, n, fleet(20, 20, 0, 0, 0)).await;
    let _ = watch.kill();
    let _ = watch.wait();

    authorization(&devs, n, &other).await;
    interrupted_syncs(&devs[7], n).await;
}

/// A developer writes only their own record and reads only where they are bound.
async fn authorization(devs: &[Dev], ns: &str, other: &TestNamespace) {
    let (a, b) = (&devs[2], &devs[3]);
    let client = Cluster::client(&a.kubeconfig).await.unwrap();
    let records: Api<ClaudeWorkstation> = Api::namespaced(client, ns);
    let apply = PatchParams::apply("e2e-intruder").force();
    // B's record, changed by A: refused (the record keeps its user).
    let b_name = claude_env_api::workstation_name(ENV, &b.user);
    let mut theirs = records.get(&b_name).await.unwrap();
    theirs.metadata.managed_fields = None;
    theirs.spec.revision = Some("forged".into());
    let refused = records
        .patch(&b_name, &apply, &Patch::Apply(&theirs))
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("may not change it"),
        "{refused}"
    );
    // A record claiming to be B's, made by A: refused.
    let mut forged = theirs.clone();
    forged.metadata = kube::api::ObjectMeta {
        name: Some("forged".into()),
        ..Default::default()
    };
    let refused = records
        .patch("forged", &apply, &Patch::Apply(&forged))
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains("spec.user must be"),
        "{refused}"
    );
    // An environment in a namespace A is not bound in: forbidden, nothing written.
    let envs: Api<ClaudeEnvironment> = other.api();
    envs.create(
        &PostParams::default(),
        &environment(
            "secret-env",
            "https://example.invalid/r.git",
            "production",
            "backend",
            json!({}),
        ),
    )
    .await
    .unwrap();
    let r = a.run(&["sync", "secret-env", "-n", &other.name]).await;
    assert_eq!(r.code, 2, "{r}");
    assert!(r.stderr.contains("forbidden"), "{r}");
}

/// Kill a first sync at many points: each target is empty or fully at the revision.
async fn interrupted_syncs(dev: &Dev, ns: &str) {
    let want = std::fs::read(dev.target.join("CLAUDE.md")).unwrap();
    let managed = ["CLAUDE.md", "mcp.json", "settings.json"];
    let mut seen = (0, 0);
    for step in 0..12u64 {
        let target = dev.home.join(format!("interrupted-{step}"));
        let mut c = dev.command();
        c.args(["sync", ENV, "-n", ns, "--kubeconfig"])
            .arg(&dev.kubeconfig)
            .arg("--target")
            .arg(&target)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut child = c.spawn().unwrap();
        tokio::time::sleep(Duration::from_millis(40 + step * 25)).await;
        let _ = child.kill();
        let _ = child.wait();
        // What the next command does first: undo an interrupted transaction.
        if target.exists() {
            drop(
                claude_env_cli::sync::lock::Lock::take(&claude_env_cli::sync::fs::RealFs, &target)
                    .unwrap(),
            );
        }
        let present: Vec<bool> = managed.iter().map(|p| target.join(p).exists()).collect();
        if present.iter().all(|p| *p) {
            assert_eq!(std::fs::read(target.join("CLAUDE.md")).unwrap(), want);
            seen.1 += 1;
        } else {
            assert!(
                present.iter().all(|p| !*p),
                "step {step}: a partial target {present:?}"
            );
            seen.0 += 1;
        }
    }
    eprintln!(
        "interrupted syncs: {} left as they were, {} complete",
        seen.0, seen.1
    );
}
