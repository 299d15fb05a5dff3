//! The scale benchmark behind `make bench` (hack/bench.sh): the release controller on the local
//! control plane with N ClaudeEnvironments on one config repository, in one namespace, one
//! controller process. Results go to a JSON-lines file; `scale report` turns them into the
//! tables of BENCHMARKS.md ("Scale"). Timings are measured here and never asserted anywhere.
//!
//! `scale --help` lists the scenarios (`fleet`, `single`, `rollback`, `peers`) and `report`;
//! `scale <scenario> --help` their flags. `peers` (peers.rs, flux.rs) runs Flux's
//! source-controller and kustomize-controller on the same environments after ours.
//!
//! The fleet (see `mix`): per 20 environments, 18 development (a ConfigMap only; teams frontend
//! and backend), one staging and one production (a Deployment and a Service per deployed MCP
//! server; teams frontend, backend and devops in turn); projects none, web-storefront and
//! payments-api in turn. The repository is config-repo-example plus one commit giving every
//! production server one replica, so 1000 environments run about 230 pods on KWOK (capacity.rs
//! adds fake nodes when a fleet outgrows the three of the control plane).

mod args;
mod capacity;
mod control_plane;
mod flux;
mod peers;
mod report;
mod report_peers;

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use anyhow::{Context as _, bail};
use args::{Cli, Command as Scenario, Common, FleetArgs, RollbackArgs, SingleArgs};
use clap::Parser as _;
use claude_env_api::{ClaudeEnvironment, RolloutPhase, condition};
use claude_env_e2e::controller::Options;
use claude_env_e2e::{Cluster, ConfigRepo, Controller, environment, metric, repo_root};
use futures::{StreamExt, TryStreamExt, stream};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams};
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use serde_json::{Value, json};
use tokio::sync::Notify;

const GENERAL: &str = "base/settings/general.yaml";
const PRODUCTION_MCP: &str = "environments/production/mcp-deploy.json";
const STAGING_MCP: &str = "environments/staging/mcp-deploy.yaml";
const CRASHLOOP: &str = "claude-env.io/simulate: crashloop";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match &cli.command {
        Scenario::Fleet(a) => record(&a.common.out, fleet(a).await?),
        Scenario::Single(a) => record(&a.common.out, single(a).await?),
        Scenario::Rollback(a) => record(&a.common.out, rollback(a).await?),
        Scenario::Peers(a) => record(&a.common.out, peers::run(a).await?),
        Scenario::Report(a) => report::write(a),
    }
}

/// Append one run's results to the JSON-lines file and print them.
fn record(out: &Path, result: Value) -> anyhow::Result<()> {
    fs::create_dir_all(out.parent().context("--out has a parent")?)?;
    let mut text = fs::read_to_string(out).unwrap_or_default();
    text.push_str(&result.to_string());
    text.push('\n');
    fs::write(out, text)?;
    println!("{}", serde_json::to_string_pretty(&result)?);
    eprintln!("appended to {}", out.display());
    Ok(())
}

// ---- the controller process ----------------------------------------------------------------

/// The release controller (`--controller`, `--concurrency`), watching one namespace; its log
/// in build/bench/logs, RUST_LOG from `$BENCH_RUST_LOG`.
async fn start_controller(
    common: &Common,
    cluster: &Cluster,
    namespace: &str,
) -> anyhow::Result<Controller> {
    let binary = common.controller.clone();
    if !binary.exists() {
        bail!(
            "{} not built: cargo build --release -p claude-env-controller",
            binary.display()
        );
    }
    let mut extra_args = vec!["--concurrency".to_string(), common.concurrency.to_string()];
    extra_args.extend(common.controller_args.iter().cloned());
    let options = Options {
        binary: Some(binary),
        kubeconfig: Some(cluster.kubeconfig.clone()),
        rust_log: Some(std::env::var("BENCH_RUST_LOG").unwrap_or_else(|_| "info,kube=warn".into())),
        pod_name_prefix: None,
        log: Some(repo_root().join(format!("build/bench/logs/{namespace}.log"))),
        retry_interval: None,
        extra_args,
        ..Options::default()
    };
    Controller::try_start_with(namespace, options).await
}

/// A file of the controller's `/proc/<pid>/` (empty once it is gone).
fn proc_file(ctl: &Controller, name: &str) -> String {
    ctl.pid()
        .and_then(|pid| fs::read_to_string(format!("/proc/{pid}/{name}")).ok())
        .unwrap_or_default()
}

/// User + system CPU seconds of the process so far (`/proc/<pid>/stat`).
fn cpu_seconds(ctl: &Controller) -> f64 {
    cpu_seconds_of(&proc_file(ctl, "stat"))
}

/// User + system CPU seconds from the text of a `/proc/<pid>/stat`.
fn cpu_seconds_of(stat: &str) -> f64 {
    // Fields after the command name (which may hold spaces) start at the state, field 3.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    // utime is field 14, stime 15; `f[0]` is field 3.
    (ticks(11) + ticks(12)) / clock_ticks()
}

/// A `/proc/<pid>/status` value in KiB (`VmHWM`, `VmRSS`).
fn vm_kib(ctl: &Controller, key: &str) -> u64 {
    vm_kib_of(&proc_file(ctl, "status"), key)
}

/// A value in KiB from the text of a `/proc/<pid>/status`.
fn vm_kib_of(status: &str, key: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}:")))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// The `/metrics` text; empty when the controller does not answer.
async fn metrics(ctl: &Controller) -> String {
    ctl.try_metrics().await.unwrap_or_default()
}

/// The generic webhook, signed; an error unless it is accepted.
async fn push_hook(ctl: &Controller, url: &str, branch: &str) -> anyhow::Result<()> {
    let code = ctl.try_push_hook(url, branch).await?;
    if code != 202 {
        bail!("webhook answered {code}");
    }
    Ok(())
}

/// A snapshot of the counters a phase is measured by.
async fn sample(ctl: &Controller) -> Sample {
    let m = metrics(ctl).await;
    let mut requests = BTreeMap::new();
    for line in m.lines() {
        if let Some(rest) = line.strip_prefix("claude_env_kube_requests_total{method=\"")
            && let Some((method, value)) = rest.split_once("\"} ")
        {
            requests.insert(method.to_string(), value.trim().parse().unwrap_or(0.0));
        }
    }
    Sample {
        at: Instant::now(),
        cpu: cpu_seconds(ctl),
        requests,
        reconciles: metric(&m, "claude_env_reconcile_total", &[]).unwrap_or(0.0),
        reconcile_errors: metric(&m, "claude_env_reconcile_total", &[("result", "error")])
            .unwrap_or(0.0),
    }
}

fn clock_ticks() -> f64 {
    static TICKS: std::sync::OnceLock<f64> = std::sync::OnceLock::new();
    *TICKS.get_or_init(|| {
        Command::new("getconf")
            .arg("CLK_TCK")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(100.0)
    })
}

/// Counters at one moment.
#[derive(Clone)]
struct Sample {
    at: Instant,
    cpu: f64,
    requests: BTreeMap<String, f64>,
    reconciles: f64,
    reconcile_errors: f64,
}

impl Sample {
    /// What happened between `self` and `later`, for `n` environments.
    fn delta(&self, later: &Sample, n: usize) -> Value {
        let by_method: BTreeMap<&String, f64> = later
            .requests
            .iter()
            .map(|(m, v)| (m, v - self.requests.get(m).copied().unwrap_or(0.0)))
            .filter(|(_, v)| *v > 0.0)
            .collect();
        // Watches are long-lived streams, not per-reconcile work.
        let requests: f64 = by_method
            .iter()
            .filter(|(m, _)| m.as_str() != "WATCH")
            .map(|(_, v)| v)
            .sum();
        let reconciles = later.reconciles - self.reconciles;
        json!({
            "secs": round3(later.at.duration_since(self.at).as_secs_f64()),
            "cpu_secs": round3(later.cpu - self.cpu),
            "requests": requests,
            "requests_by_method": by_method,
            "reconciles": reconciles,
            "reconcile_errors": later.reconcile_errors - self.reconcile_errors,
            "requests_per_env": round3(requests / n.max(1) as f64),
            "requests_per_reconcile": if reconciles > 0.0 { round3(requests / reconciles) } else { 0.0 },
            "reconciles_per_env": round3(reconciles / n.max(1) as f64),
        })
    }
}

fn round3(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

// ---- watching the environments -------------------------------------------------------------

/// A watch cache of the namespace's ClaudeEnvironments, woken on every change.
struct Fleet {
    store: Store<ClaudeEnvironment>,
    changed: Arc<Notify>,
    task: tokio::task::JoinHandle<()>,
}

impl Fleet {
    fn watch(client: &Client, namespace: &str) -> Fleet {
        let (store, writer) = reflector::store();
        let changed = Arc::new(Notify::new());
        let notify = changed.clone();
        let api: Api<ClaudeEnvironment> = Api::namespaced(client.clone(), namespace);
        let task = tokio::spawn(async move {
            let mut events = watcher(api, watcher::Config::default())
                .default_backoff()
                .reflect(writer)
                .applied_objects()
                .boxed();
            while let Some(e) = events.next().await {
                if e.is_ok() {
                    notify.notify_waiters();
                }
            }
        });
        Fleet {
            store,
            changed,
            task,
        }
    }

    /// Wait until `done` holds for the current environments; returns its value and when it
    /// first held. Progress is printed every 10 s.
    async fn until<T>(
        &self,
        what: &str,
        timeout: Duration,
        mut done: impl FnMut(&[Arc<ClaudeEnvironment>]) -> Result<T, String>,
    ) -> anyhow::Result<T> {
        let started = Instant::now();
        let mut said = Instant::now();
        loop {
            let notified = self.changed.notified();
            let state = self.store.state();
            let pause = evaluation_pause(state.len());
            let last = match done(&state) {
                Ok(v) => return Ok(v),
                Err(last) => last,
            };
            if started.elapsed() > timeout {
                bail!("timed out after {timeout:?} waiting for {what}; last: {last}");
            }
            if said.elapsed() > Duration::from_secs(10) {
                eprintln!(
                    "  … {what}: {last} ({:.0} s)",
                    started.elapsed().as_secs_f64()
                );
                said = Instant::now();
            }
            let _ = tokio::time::timeout(Duration::from_millis(250), notified).await;
            tokio::time::sleep(pause).await;
        }
    }

    /// Wait until `n` environments are Ready at `revision`; returns when all had applied it
    /// (lastAppliedRevision) whatever their readiness, and when all were Ready. Fails as
    /// soon as every environment is either Ready at it or rolled back from it: a
    /// rolled-back one waits for the next commit.
    async fn all_ready_at(
        &self,
        n: usize,
        revision: &str,
        timeout: Duration,
    ) -> anyhow::Result<(Instant, Instant)> {
        let s = self.all_settled_at(n, revision, timeout).await?;
        if let Some(example) = s.rolled_back_example {
            bail!(
                "{} of {n} environments rolled back from {}, e.g. {example}",
                s.rolled_back,
                &revision[..8]
            );
        }
        Ok((s.applied, s.settled))
    }

    /// Wait until each of `n` environments is Ready at `revision` or rolled back from it
    /// (the local control plane can miss a Deployment's progress deadline at 10,000, and
    /// the run's figures still count): when all had applied it, when all had settled, and
    /// how many rolled back.
    async fn all_settled_at(
        &self,
        n: usize,
        revision: &str,
        timeout: Duration,
    ) -> anyhow::Result<Settled> {
        let mut applied_at = None;
        self.until(
            &format!("{n} Ready at {}", &revision[..8]),
            timeout,
            |envs| {
                let applied = envs
                    .iter()
                    .filter(|e| applied_revision(e) == Some(revision))
                    .count();
                let ready = envs.iter().filter(|e| ready_at(e, revision)).count();
                let rolled_back: Vec<&Arc<ClaudeEnvironment>> = envs
                    .iter()
                    .filter(|e| rolled_back_from(e, revision))
                    .collect();
                // A rolled-back environment had applied the revision before it failed its
                // checks (its lastAppliedRevision is the stable one again).
                if applied + rolled_back.len() >= n && applied_at.is_none() {
                    applied_at = Some(Instant::now());
                }
                if ready + rolled_back.len() >= n {
                    let settled = Instant::now();
                    Ok(Settled {
                        applied: applied_at.unwrap_or(settled),
                        settled,
                        rolled_back: rolled_back.len(),
                        rolled_back_example: rolled_back.first().map(|e| describe(e)),
                    })
                } else {
                    let not: Vec<String> = envs
                        .iter()
                        .filter(|e| !ready_at(e, revision))
                        .take(2)
                        .map(describe)
                        .collect();
                    Err(format!(
                        "{ready}/{n} ready, {} rolled back, {applied} applied; e.g. {}",
                        rolled_back.len(),
                        not.join("; ")
                    ))
                }
            },
        )
        .await
    }
}

/// Where a fleet stands once every environment is Ready at a revision or rolled back from it.
struct Settled {
    /// When every environment had applied the revision (its `lastAppliedRevision`).
    applied: Instant,
    /// When every environment was Ready at it or rolled back from it.
    settled: Instant,
    rolled_back: usize,
    rolled_back_example: Option<String>,
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// How long to wait between two evaluations of a watched fleet of `len` objects: each
/// evaluation reads them all, and at 10,000 a watch event arrives every few hundred
/// microseconds during a push, so evaluating on every event would spend a core of the same
/// 2 the controllers run on. 5 µs per object: 50 µs for 10 (single-environment latencies
/// keep their precision), 50 ms for 10,000 (pushes there take tens of seconds).
fn evaluation_pause(len: usize) -> Duration {
    Duration::from_micros(5 * len as u64)
}

fn applied_revision(e: &ClaudeEnvironment) -> Option<&str> {
    e.status.as_ref()?.last_applied_revision.as_deref()
}

fn condition_is(e: &ClaudeEnvironment, type_: &str, status: &str) -> bool {
    e.status.as_ref().is_some_and(|s| {
        s.conditions
            .iter()
            .any(|c| c.type_ == type_ && c.status == status)
    })
}

fn ready_at(e: &ClaudeEnvironment, revision: &str) -> bool {
    applied_revision(e) == Some(revision)
        && condition_is(e, condition::READY, "True")
        && e.status.as_ref().and_then(|s| s.observed_generation) == e.metadata.generation
}

/// Whether `e` rolled back from `revision` (Ready False, RolledBack, naming it).
fn rolled_back_from(e: &ClaudeEnvironment, revision: &str) -> bool {
    e.status.as_ref().is_some_and(|s| {
        s.conditions.iter().any(|c| {
            c.type_ == condition::READY
                && c.status == "False"
                && c.reason == claude_env_api::reason::ROLLED_BACK
                && c.message.contains(&revision[..12])
        })
    })
}

fn describe(e: &Arc<ClaudeEnvironment>) -> String {
    let s = e.status.clone().unwrap_or_default();
    let ready = s
        .conditions
        .iter()
        .find(|c| c.type_ == condition::READY)
        .map(|c| format!("{} {}: {}", c.status, c.reason, c.message))
        .unwrap_or_else(|| "no Ready".into());
    format!(
        "{} applied={} {}",
        e.name_any(),
        s.last_applied_revision
            .as_deref()
            .map(|r| &r[..8])
            .unwrap_or("-"),
        ready.chars().take(120).collect::<String>()
    )
}

// ---- the cluster side ------------------------------------------------------------------------

/// A namespace of its own, emptied and deleted at the end (finalizers dropped first: the
/// controller is gone by then).
struct Scratch {
    name: String,
    client: Client,
}

impl Scratch {
    async fn create(client: &Client, prefix: &str) -> anyhow::Result<Scratch> {
        let nanos = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)?
            .subsec_nanos();
        let name = format!("bench-{prefix}-{:05x}", nanos & 0xfffff);
        let ns: Namespace = serde_json::from_value(json!({
            "metadata": {"name": name, "labels": {"claude-env.io/bench": "true"}}
        }))?;
        Api::<Namespace>::all(client.clone())
            .create(&PostParams::default(), &ns)
            .await?;
        Ok(Scratch {
            name,
            client: client.clone(),
        })
    }

    async fn delete(self) {
        eprintln!("[{}] cleaning up", self.name);
        let api: Api<ClaudeEnvironment> = Api::namespaced(self.client.clone(), &self.name);
        let names: Vec<String> = api
            .list(&Default::default())
            .await
            .map(|l| l.items.iter().map(|e| e.name_any()).collect())
            .unwrap_or_default();
        let patch = json!({"metadata": {"finalizers": null}});
        stream::iter(names)
            .for_each_concurrent(16, |n| {
                let (api, patch) = (api.clone(), patch.clone());
                async move {
                    let _ = api
                        .patch(&n, &PatchParams::default(), &Patch::Merge(&patch))
                        .await;
                }
            })
            .await;
        let _ = Api::<Namespace>::all(self.client.clone())
            .delete(&self.name, &DeleteParams::background())
            .await;
    }
}

/// config-repo-example served over HTTP, every production server at one replica.
fn bench_repo() -> ConfigRepo {
    let repo = ConfigRepo::example();
    let prod = repo.read(PRODUCTION_MCP);
    let one = prod
        .replace("\"replicas\": 3,", "\"replicas\": 1,")
        .replace("\"replicas\": 2,", "\"replicas\": 1,");
    assert_ne!(one, prod, "the example's production replicas changed");
    repo.change(
        PRODUCTION_MCP,
        &one,
        "bench: one replica per production server",
    );
    repo
}

/// A commit every environment renders differently (an environment variable in base's
/// settings, which no layer overrides): every ConfigMap is replaced and every Deployment rolls.
fn push_round(repo: &ConfigRepo, round: &str) -> String {
    let general = repo.read(GENERAL);
    let kept: String = general
        .lines()
        .filter(|l| !l.trim_start().starts_with("CLAUDE_ENV_BENCH_ROUND:"))
        .map(|l| format!("{l}\n"))
        .collect();
    let changed = kept.replacen(
        "  env:\n",
        &format!("  env:\n    CLAUDE_ENV_BENCH_ROUND: \"{round}\"\n"),
        1,
    );
    assert_ne!(changed, kept, "base/settings/general.yaml changed shape");
    repo.change(GENERAL, &changed, &format!("bench: round {round}"))
}

/// Environment `i` of the mix: (environment, team, project).
fn mix(i: usize) -> (&'static str, &'static str, Option<&'static str>) {
    let teams = ["frontend", "backend", "devops"];
    let projects = [None, Some("web-storefront"), Some("payments-api")];
    let (environment, team) = match i % 20 {
        0 => ("staging", teams[(i / 20) % 3]),
        1 => ("production", teams[(i / 20) % 3]),
        _ => ("development", teams[i % 2]),
    };
    (environment, team, projects[i % 3])
}

/// How many of each environment the first `n` of the mix hold.
fn mix_counts(n: usize) -> Value {
    let count = |e: &str| (0..n).filter(|i| mix(*i).0 == e).count();
    json!({
        "development": count("development"),
        "staging": count("staging"),
        "production": count("production"),
    })
}

fn env_name(i: usize) -> String {
    format!("env-{i:04}")
}

/// The label that assigns an environment to a shard (`scale fleet --shards`).
const SHARD_LABEL: &str = "claude-env.io/bench-shard";

/// Create the first `n` environments of the mix; with `shards` > 1 environment `i` carries
/// the label [`SHARD_LABEL`]`=<i % shards>`.
async fn create_fleet(
    api: &Api<ClaudeEnvironment>,
    url: &str,
    n: usize,
    interval: &str,
    shards: usize,
) -> anyhow::Result<()> {
    stream::iter(0..n)
        .map(|i| {
            let (environment_, team, project) = mix(i);
            let mut extra = json!({"source": {"interval": interval}});
            if let Some(p) = project {
                extra["project"] = json!(p);
            }
            let mut env = environment(&env_name(i), url, environment_, team, extra);
            if shards > 1 {
                env.labels_mut()
                    .insert(SHARD_LABEL.into(), (i % shards).to_string());
            }
            let api = api.clone();
            async move { api.create(&PostParams::default(), &env).await }
        })
        .buffer_unordered(16)
        .map_ok(|_| ())
        .try_fold(Progress::new("created", n), |mut p, ()| async move {
            p.step();
            Ok(p)
        })
        .await?;
    Ok(())
}

/// "  … created 3000/10000 (12 s)" on stderr at most every 10 s while a long loop runs.
struct Progress {
    what: &'static str,
    total: usize,
    done: usize,
    started: Instant,
    said: Instant,
}

impl Progress {
    fn new(what: &'static str, total: usize) -> Progress {
        let now = Instant::now();
        Progress {
            what,
            total,
            done: 0,
            started: now,
            said: now,
        }
    }

    fn step(&mut self) {
        self.done += 1;
        if self.said.elapsed() >= Duration::from_secs(10) {
            eprintln!(
                "  … {} {}/{} ({:.0} s)",
                self.what,
                self.done,
                self.total,
                self.started.elapsed().as_secs_f64()
            );
            self.said = Instant::now();
        }
    }
}

fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

/// RFC 3339 UTC, from date(1) (no time crate in the harness).
fn now_utc() -> String {
    Command::new("date")
        .args(["-u", "+%Y-%m-%dT%H:%M:%SZ"])
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn head_commit() -> String {
    Command::new("git")
        .args(["rev-parse", "--short=12", "HEAD"])
        .current_dir(repo_root())
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

fn common(c: &Common, scenario: &str) -> Value {
    json!({
        "scenario": scenario,
        "started": now_utc(),
        "load_start": load_average(),
        "commit": head_commit(),
        "concurrency": c.concurrency,
    })
}

// ---- fleet: N environments ------------------------------------------------------------------

async fn fleet(args: &FleetArgs) -> anyhow::Result<Value> {
    let (n, pushes, drift_edits) = (args.n, args.pushes, args.drift_edits);
    let idle = Duration::from_secs(args.idle_secs);
    let polling = args.polling_interval.clone();
    let mut result = common(&args.common, "fleet");
    result["n"] = json!(n);
    result["mix"] = mix_counts(n);

    let cluster = Cluster::get().await;
    let client = cluster.new_client().await;
    result["kubernetes"] = json!(client.apiserver_version().await?.git_version);
    capacity::ensure_pods(&client, capacity::peak_pods(n)).await?;
    let ns = Scratch::create(&client, &format!("n{n}")).await?;
    let outcome = fleet_in(
        &args.common,
        cluster,
        &client,
        &ns.name,
        n,
        pushes,
        drift_edits,
        idle,
        &polling,
        args.shards.max(1),
        &mut result,
    )
    .await;
    ns.delete().await;
    outcome?;
    Ok(result)
}

// A scenario reads as one script, step after step.
#[allow(clippy::too_many_arguments, clippy::too_many_lines)]
async fn fleet_in(
    args: &Common,
    cluster: &Cluster,
    client: &Client,
    namespace: &str,
    n: usize,
    pushes: usize,
    drift_edits: usize,
    idle: Duration,
    polling: &str,
    shards: usize,
    result: &mut Value,
) -> anyhow::Result<()> {
    let repo = bench_repo();
    let ctls = Shards::start(args, cluster, namespace, shards).await?;
    let fleet = Fleet::watch(client, namespace);
    let api: Api<ClaudeEnvironment> = Api::namespaced(client.clone(), namespace);
    result["shards"] = json!(shards);
    result["rss_start_kib"] = json!(ctls.vm_kib_max("VmRSS"));

    // 1. Initial convergence: create N, wait until all are Ready at the head.
    let head = repo.head();
    eprintln!("[{namespace}] creating {n} environments");
    let before = ctls.sample().await;
    create_fleet(&api, &repo.url, n, "10m", shards).await?;
    let created = before.at.elapsed();
    let timeout = Duration::from_secs(120 + n as u64 * 2);
    let (_, ready) = fleet.all_ready_at(n, &head, timeout).await?;
    let after = ctls.sample().await;
    let mut converge = before.delta(&after, n);
    converge["create_secs"] = json!(round3(created.as_secs_f64()));
    converge["ready_secs"] = json!(round3(ready.duration_since(before.at).as_secs_f64()));
    converge["rss_kib"] = json!(ctls.vm_kib_max("VmRSS"));
    eprintln!("[{namespace}] converged: {converge}");
    result["converge"] = converge;

    // 2. Idle: nothing changes for `idle`.
    ctls.settle(Duration::from_secs(5)).await;
    let before = ctls.sample().await;
    tokio::time::sleep(idle).await;
    let after = ctls.sample().await;
    let mut quiet = before.delta(&after, n);
    quiet["rss_kib"] = json!(ctls.vm_kib_max("VmRSS"));
    eprintln!("[{namespace}] idle: {quiet}");
    result["idle"] = quiet;

    // 3. Webhook pushes: a commit every environment renders differently.
    let mut rounds = Vec::new();
    for k in 0..pushes {
        let sha = push_round(&repo, &format!("webhook {k}"));
        let before = ctls.sample().await;
        let queues = control_plane::Queues::sample();
        ctls.push_hook(&repo.url).await?;
        let settled = fleet.all_settled_at(n, &sha, timeout).await?;
        let at_ready = ctls.sample().await;
        let mut round = before.delta(&at_ready, n);
        // kube-controller-manager's side of the push: its Deployment and ReplicaSet queues.
        if let (Some(a), Some(b)) = (queues, control_plane::Queues::sample()) {
            round["kcm_queues"] = a.delta(&b);
        }
        let secs = |t: Instant| round3(t.duration_since(before.at).as_secs_f64());
        round["applied_secs"] = json!(secs(settled.applied));
        // With rollbacks, when the last environment settled (Ready or rolled back).
        round["ready_secs"] = json!(secs(settled.settled));
        round["rolled_back"] = json!(settled.rolled_back);
        round["rss_peak_kib"] = json!(ctls.vm_kib_max("VmHWM"));
        if let Some(e) = &settled.rolled_back_example {
            eprintln!(
                "[{namespace}] push {k}: {} rolled back, e.g. {e}",
                settled.rolled_back
            );
        }
        // What the rollouts' tail costs after the last Ready (watch events, requeues).
        ctls.settle(Duration::from_secs(5)).await;
        round["settled"] = before.delta(&ctls.sample().await, n);
        eprintln!("[{namespace}] push {k}: {round}");
        rounds.push(round);
    }
    result["webhook"] = json!(rounds);

    // 4. Drift: an edit of a production Deployment (Alert mode: reported, not reverted).
    if let Some(i) = (0..n).find(|i| mix(*i).0 == "production") {
        result["drift"] = drift(
            ctls.of(i),
            &fleet,
            client,
            namespace,
            &env_name(i),
            drift_edits,
        )
        .await?;
    }

    // 5. Polling only: every environment at a short interval, no webhook.
    if polling != "off" {
        eprintln!("[{namespace}] switching to {polling} polling");
        let patch = json!({"spec": {"source": {"interval": polling}}});
        stream::iter(0..n)
            .map(|i| {
                let (api, patch) = (api.clone(), patch.clone());
                async move {
                    api.patch(&env_name(i), &PatchParams::default(), &Patch::Merge(&patch))
                        .await
                }
            })
            .buffer_unordered(16)
            .try_collect::<Vec<_>>()
            .await?;
        let current = repo.head();
        fleet.all_ready_at(n, &current, timeout).await?;
        ctls.settle(Duration::from_secs(5)).await;
        let sha = push_round(&repo, "polling");
        let before = ctls.sample().await;
        let (applied, ready) = fleet
            .all_ready_at(n, &sha, timeout + Duration::from_secs(120))
            .await?;
        let mut round = before.delta(&ctls.sample().await, n);
        round["interval"] = json!(polling);
        round["applied_secs"] = json!(round3(applied.duration_since(before.at).as_secs_f64()));
        round["ready_secs"] = json!(round3(ready.duration_since(before.at).as_secs_f64()));
        eprintln!("[{namespace}] polling push: {round}");
        result["polling"] = round;
        ctls.settle(Duration::from_secs(5)).await;
        let before = ctls.sample().await;
        tokio::time::sleep(idle).await;
        let mut quiet = before.delta(&ctls.sample().await, n);
        quiet["interval"] = json!(polling);
        eprintln!("[{namespace}] idle while polling: {quiet}");
        result["idle_polling"] = quiet;
    }

    result["rss_peak_kib"] = json!(ctls.vm_kib_max("VmHWM"));
    result["rss_end_kib"] = json!(ctls.vm_kib_max("VmRSS"));
    result["cpu_total_secs"] = json!(round3(ctls.cpu_seconds()));
    result["load_end"] = json!(load_average());
    let sum =
        |name: &str, m: &[String]| -> f64 { m.iter().filter_map(|t| metric(t, name, &[])).sum() };
    let m = ctls.metrics().await;
    result["reconcile_duration"] = json!({
        "sum": sum("claude_env_reconcile_duration_seconds_sum", &m),
        "count": sum("claude_env_reconcile_duration_seconds_count", &m),
    });
    result["git_fetches"] = json!(sum("claude_env_git_fetch_duration_seconds_count", &m));
    result["per_shard"] = ctls.each().await;
    result["controller_log"] = json!(ctls.of(0).log.display().to_string());
    Ok(())
}

/// One controller process per shard, each with `--label-selector` [`SHARD_LABEL`]`=<k>`
/// (one process without a selector when there is one shard).
struct Shards {
    ctls: Vec<Controller>,
}

impl Shards {
    async fn start(
        common: &Common,
        cluster: &Cluster,
        namespace: &str,
        shards: usize,
    ) -> anyhow::Result<Shards> {
        let mut ctls = Vec::new();
        for k in 0..shards {
            let mut c = common.clone();
            if shards > 1 {
                c.controller_args
                    .push(format!("--label-selector={SHARD_LABEL}={k}"));
            }
            ctls.push(start_controller(&c, cluster, namespace).await?);
        }
        Ok(Shards { ctls })
    }

    /// The controller of environment `i`.
    fn of(&self, i: usize) -> &Controller {
        &self.ctls[i % self.ctls.len()]
    }

    /// The counters of all shards, summed.
    async fn sample(&self) -> Sample {
        let mut total = sample(&self.ctls[0]).await;
        for c in &self.ctls[1..] {
            let s = sample(c).await;
            total.cpu += s.cpu;
            total.reconciles += s.reconciles;
            total.reconcile_errors += s.reconcile_errors;
            for (m, v) in s.requests {
                *total.requests.entry(m).or_insert(0.0) += v;
            }
        }
        total.at = Instant::now();
        total
    }

    /// Wait until no shard ran a reconcile for `quiet` (bounded: 60 s).
    async fn settle(&self, quiet: Duration) {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut last = self.sample().await.reconciles;
        let mut since = Instant::now();
        while Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let now = self.sample().await.reconciles;
            if now != last {
                last = now;
                since = Instant::now();
            } else if since.elapsed() >= quiet {
                return;
            }
        }
    }

    /// The largest `VmHWM`/`VmRSS` of one process (the per-controller goal).
    fn vm_kib_max(&self, key: &str) -> u64 {
        self.ctls.iter().map(|c| vm_kib(c, key)).max().unwrap_or(0)
    }

    fn cpu_seconds(&self) -> f64 {
        self.ctls.iter().map(cpu_seconds).sum()
    }

    /// The push webhook, delivered to every shard (each has its own receiver).
    async fn push_hook(&self, url: &str) -> anyhow::Result<()> {
        for c in &self.ctls {
            push_hook(c, url, "main").await?;
        }
        Ok(())
    }

    async fn metrics(&self) -> Vec<String> {
        let mut out = Vec::new();
        for c in &self.ctls {
            out.push(metrics(c).await);
        }
        out
    }

    /// Per process: RSS, CPU and API requests (watches aside) so far: how the shards split
    /// the work.
    async fn each(&self) -> Value {
        let mut out = Vec::new();
        for c in &self.ctls {
            let s = sample(c).await;
            let requests: f64 = s
                .requests
                .iter()
                .filter(|(m, _)| m.as_str() != "WATCH")
                .map(|(_, v)| v)
                .sum();
            out.push(json!({
                "rss_peak_kib": vm_kib(c, "VmHWM"),
                "rss_end_kib": vm_kib(c, "VmRSS"),
                "cpu_secs": round3(s.cpu),
                "requests": requests,
                "reconciles": s.reconciles,
            }));
        }
        json!(out)
    }
}

/// Wait until no reconcile ran for `quiet` (bounded: 60 s).
async fn settle(ctl: &Controller, quiet: Duration) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = sample(ctl).await.reconciles;
    let mut since = Instant::now();
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = sample(ctl).await.reconciles;
        if now != last {
            last = now;
            since = Instant::now();
        } else if since.elapsed() >= quiet {
            return;
        }
    }
}

/// `edits` times: scale a Deployment of `name` by hand, time Drifted=True in status and the
/// drift gauge above 0; undo it and wait for both to clear.
async fn drift(
    ctl: &Controller,
    fleet: &Fleet,
    client: &Client,
    namespace: &str,
    name: &str,
    edits: usize,
) -> anyhow::Result<Value> {
    let deployments: Api<Deployment> = Api::namespaced(client.clone(), namespace);
    let target = deployments
        .list(&kube::api::ListParams::default().labels(&format!("claude-env.io/owner-name={name}")))
        .await?
        .items
        .into_iter()
        .map(|d| d.name_any())
        .min()
        .context("the production environment has no Deployment")?;
    let gauge = |m: &str| {
        metric(
            m,
            "claude_env_drift_percentage",
            &[("name", name), ("namespace", namespace)],
        )
        .unwrap_or(0.0)
    };
    let mut rounds = Vec::new();
    for k in 0..edits {
        let replicas = 3 + k as i32;
        let edited = Instant::now();
        deployments
            .patch(
                &target,
                &PatchParams::default(),
                &Patch::Merge(&json!({"spec": {"replicas": replicas}})),
            )
            .await?;
        let (status_at, metric_at) = both(
            fleet.until("Drifted=True", Duration::from_secs(60), |envs| {
                match envs.iter().find(|e| e.name_any() == name) {
                    Some(e) if condition_is(e, condition::DRIFTED, "True") => Ok(Instant::now()),
                    _ => Err("not drifted".into()),
                }
            }),
            poll_metric(ctl, |m| gauge(m) > 0.0),
        )
        .await?;
        let round = json!({
            "target": target,
            "status_secs": round3(status_at.duration_since(edited).as_secs_f64()),
            "metric_secs": round3(metric_at.duration_since(edited).as_secs_f64()),
        });
        eprintln!("[{namespace}] drift {k}: {round}");
        rounds.push(round);
        deployments
            .patch(
                &target,
                &PatchParams::default(),
                &Patch::Merge(&json!({"spec": {"replicas": 1}})),
            )
            .await?;
        both(
            fleet.until(
                "Drifted cleared",
                Duration::from_secs(60),
                |envs| match envs.iter().find(|e| e.name_any() == name) {
                    Some(e) if !condition_is(e, condition::DRIFTED, "True") => Ok(()),
                    _ => Err("still drifted".into()),
                },
            ),
            poll_metric(ctl, |m| gauge(m) == 0.0),
        )
        .await?;
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    Ok(json!(rounds))
}

async fn both<A, B>(
    a: impl Future<Output = anyhow::Result<A>>,
    b: impl Future<Output = anyhow::Result<B>>,
) -> anyhow::Result<(A, B)> {
    let (a, b) = tokio::join!(a, b);
    Ok((a?, b?))
}

/// Poll `/metrics` every 50 ms until `done`; returns when it first held.
async fn poll_metric(ctl: &Controller, done: impl Fn(&str) -> bool) -> anyhow::Result<Instant> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if done(&metrics(ctl).await) {
            return Ok(Instant::now());
        }
        if Instant::now() > deadline {
            bail!("metric condition not met in 60 s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---- single: one environment, many pushes ----------------------------------------------------

async fn single(args: &SingleArgs) -> anyhow::Result<Value> {
    let pushes = args.pushes;
    let which = args.environment.name();
    let mut result = common(&args.common, "single");
    result["environment"] = json!(which);
    let cluster = Cluster::get().await;
    let client = cluster.new_client().await;
    result["kubernetes"] = json!(client.apiserver_version().await?.git_version);
    let ns = Scratch::create(&client, "one").await?;
    let outcome = async {
        let repo = bench_repo();
        let ctl = start_controller(&args.common, cluster, &ns.name).await?;
        let fleet = Fleet::watch(&client, &ns.name);
        let api: Api<ClaudeEnvironment> = Api::namespaced(client.clone(), &ns.name);
        let env = environment(
            "one",
            &repo.url,
            which,
            "backend",
            json!({"source": {"interval": "10m"}}),
        );
        let created = Instant::now();
        api.create(&PostParams::default(), &env).await?;
        let (_, ready) = fleet
            .all_ready_at(1, &repo.head(), Duration::from_secs(120))
            .await?;
        result["create_ready_secs"] = json!(round3(ready.duration_since(created).as_secs_f64()));
        settle(&ctl, Duration::from_secs(3)).await;
        let mut rounds = Vec::new();
        for k in 0..pushes {
            let sha = push_round(&repo, &format!("single {k}"));
            let before = sample(&ctl).await;
            push_hook(&ctl, &repo.url, "main").await?;
            let (applied, ready) = fleet
                .all_ready_at(1, &sha, Duration::from_secs(120))
                .await?;
            let mut round = before.delta(&sample(&ctl).await, 1);
            round["applied_secs"] = json!(round3(applied.duration_since(before.at).as_secs_f64()));
            round["ready_secs"] = json!(round3(ready.duration_since(before.at).as_secs_f64()));
            eprintln!("[{}] push {k}: {round}", ns.name);
            rounds.push(round);
            settle(&ctl, Duration::from_secs(2)).await;
        }
        result["webhook"] = json!(rounds);
        result["rss_peak_kib"] = json!(vm_kib(&ctl, "VmHWM"));
        result["load_end"] = json!(load_average());
        anyhow::Ok(())
    }
    .await;
    ns.delete().await;
    outcome?;
    Ok(result)
}

// ---- rollback: a crash-looping canary ---------------------------------------------------------

// A scenario reads as one script, step after step.
#[allow(clippy::too_many_lines)]
async fn rollback(args: &RollbackArgs) -> anyhow::Result<Value> {
    let rounds_wanted = args.rounds;
    let mut result = common(&args.common, "rollback");
    let cluster = Cluster::get().await;
    let client = cluster.new_client().await;
    result["kubernetes"] = json!(client.apiserver_version().await?.git_version);
    let ns = Scratch::create(&client, "rollback").await?;
    let outcome = async {
        let repo = bench_repo();
        let original = repo.read(STAGING_MCP);
        let crashing = original.replacen(
            "      labels:\n        tier: mcp\n",
            &format!("      labels:\n        tier: mcp\n        {CRASHLOOP}\n"),
            1,
        );
        assert_ne!(
            crashing, original,
            "staging's mcp-deploy.yaml changed shape"
        );
        let ctl = start_controller(&args.common, cluster, &ns.name).await?;
        let fleet = Fleet::watch(&client, &ns.name);
        let api: Api<ClaudeEnvironment> = Api::namespaced(client.clone(), &ns.name);
        let spec = json!({
            "source": {"interval": "10m"},
            "strategy": {"type": "Canary", "canary": {"steps": [
                {"setWeight": 50}, {"pause": {"duration": "2s"}}
            ]}},
            "healthChecks": {"interval": "1s", "timeout": "60s",
                "readiness": {"progressDeadline": "30s"}},
        });
        api.create(
            &PostParams::default(),
            &environment("canary", &repo.url, "staging", "backend", spec),
        )
        .await?;
        fleet
            .all_ready_at(1, &repo.head(), Duration::from_secs(120))
            .await?;
        let mut rounds = Vec::new();
        for k in 0..rounds_wanted {
            let bad = repo.change(STAGING_MCP, &crashing, &format!("bench: crash loop {k}"));
            let before = metrics(&ctl).await;
            let count = |m: &str| {
                metric(m, "claude_env_rollback_duration_seconds_count", &[]).unwrap_or(0.0)
            };
            let sum =
                |m: &str| metric(m, "claude_env_rollback_duration_seconds_sum", &[]).unwrap_or(0.0);
            let pushed = Instant::now();
            push_hook(&ctl, &repo.url, "main").await?;
            let rolled_back = fleet
                .until("RolledBack", Duration::from_secs(180), |envs| {
                    let r = envs
                        .first()
                        .and_then(|e| e.status.as_ref()?.rollout.clone())
                        .unwrap_or_default();
                    if r.phase == RolloutPhase::RolledBack
                        && r.failed_revision.as_deref() == Some(bad.as_str())
                    {
                        Ok(Instant::now())
                    } else {
                        Err(format!("phase {:?}: {:?}", r.phase, r.message))
                    }
                })
                .await?;
            let recorded = {
                let deadline = Instant::now() + Duration::from_secs(120);
                loop {
                    let m = metrics(&ctl).await;
                    if count(&m) > count(&before) {
                        break (Instant::now(), m);
                    }
                    if Instant::now() > deadline {
                        bail!("no rollback_duration_seconds sample within 120 s");
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            };
            let round = json!({
                "rolled_back_secs": round3(rolled_back.duration_since(pushed).as_secs_f64()),
                "restored_secs": round3(recorded.0.duration_since(pushed).as_secs_f64()),
                "rollback_duration_seconds": round3(sum(&recorded.1) - sum(&before)),
            });
            eprintln!("[{}] rollback {k}: {round}", ns.name);
            rounds.push(round);
            // A good commit again (the same objects as stable), rolled out to the end.
            let good = repo.change(STAGING_MCP, &original, &format!("bench: fixed {k}"));
            push_hook(&ctl, &repo.url, "main").await?;
            fleet
                .all_ready_at(1, &good, Duration::from_secs(180))
                .await?;
        }
        result["rounds"] = json!(rounds);
        let m = metrics(&ctl).await;
        result["rollback_duration_seconds"] = json!({
            "sum": metric(&m, "claude_env_rollback_duration_seconds_sum", &[]),
            "count": metric(&m, "claude_env_rollback_duration_seconds_count", &[]),
        });
        anyhow::Ok(())
    }
    .await;
    ns.delete().await;
    outcome?;
    Ok(result)
}
