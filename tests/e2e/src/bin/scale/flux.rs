//! Flux, the peer of `scale peers`: source-controller and kustomize-controller (built from Go
//! modules by hack/bench-peers.sh) as processes on the local control plane, one GitRepository
//! and one Kustomization per environment, and a watch that times them.
//!
//! The push is what Flux's Receiver (notification-controller) does on a webhook: it sets
//! `reconcile.fluxcd.io/requestedAt` on each GitRepository it names. notification-controller
//! is not built (the Go module proxy refuses its v1.7 releases), so the harness sets that
//! annotation itself, with the same concurrency as our controller, and counts those requests
//! on Flux's side.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use claude_env_testkit::free_port;
use futures::{StreamExt, TryStreamExt, stream};
use k8s_openapi::apiextensions_apiserver::pkg::apis::apiextensions::v1::CustomResourceDefinition;
use kube::api::{Api, ApiResource, DynamicObject, Patch, PatchParams};
use kube::core::GroupVersionKind;
use kube::runtime::reflector::{self, Store};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Client, ResourceExt};
use serde_json::{Value, json};
use tokio::sync::Notify;

use crate::args::FluxConfig;

/// `reconcile.fluxcd.io/requestedAt`: what a Receiver sets to make a source fetch now.
const REQUESTED_AT: &str = "reconcile.fluxcd.io/requestedAt";

pub(crate) fn git_repository() -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk(
        "source.toolkit.fluxcd.io",
        "v1",
        "GitRepository",
    ))
}

pub(crate) fn kustomization() -> ApiResource {
    ApiResource::from_gvk(&GroupVersionKind::gvk(
        "kustomize.toolkit.fluxcd.io",
        "v1",
        "Kustomization",
    ))
}

/// Apply every CRD file under `dir` (server-side) and wait until each is Established.
pub(crate) async fn install_crds(client: &Client, dir: &Path) -> anyhow::Result<()> {
    let api: Api<CustomResourceDefinition> = Api::all(client.clone());
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| {
            format!(
                "{}: Flux's CRDs (hack/bench-peers.sh copies them)",
                dir.display()
            )
        })?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.sort();
    let params = PatchParams::apply("claude-env-bench").force();
    for file in files {
        let text = fs::read_to_string(&file)?;
        let crd: CustomResourceDefinition =
            serde_saphyr::from_str(&text).with_context(|| format!("parsing {}", file.display()))?;
        let name = crd.metadata.name.clone().context("CRD without a name")?;
        api.patch(&name, &params, &Patch::Apply(&crd)).await?;
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let got = api.get(&name).await?;
            let established = got
                .status
                .and_then(|s| s.conditions)
                .unwrap_or_default()
                .iter()
                .any(|c| c.type_ == "Established" && c.status == "True");
            if established {
                break;
            }
            if Instant::now() > deadline {
                bail!("CRD {name} not Established in 60 s");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(())
}

/// One Flux controller process.
struct Process {
    name: &'static str,
    child: Child,
    metrics_port: u16,
}

/// source-controller and kustomize-controller watching one namespace.
pub(crate) struct Flux {
    processes: Vec<Process>,
    pub flags: Vec<String>,
    _storage: tempfile::TempDir,
}

impl Flux {
    /// Start both controllers for `namespace` with `config` and wait until both answer on
    /// their health endpoints.
    pub(crate) async fn start(
        bin_dir: &Path,
        kubeconfig: &Path,
        namespace: &str,
        config: FluxConfig,
        concurrency: u16,
        log_dir: &Path,
    ) -> anyhow::Result<Flux> {
        let storage = tempfile::tempdir()?;
        let storage_port = free_port();
        let tuning: Vec<String> = match config {
            FluxConfig::Default => vec![],
            FluxConfig::Matched => vec![
                format!("--concurrent={concurrency}"),
                "--kube-api-qps=-1".into(),
                "--kube-api-burst=-1".into(),
            ],
        };
        let common = |metrics: u16, health: u16| -> Vec<String> {
            let mut v = vec![
                format!("--metrics-addr=127.0.0.1:{metrics}"),
                format!("--health-addr=127.0.0.1:{health}"),
                "--watch-all-namespaces=false".into(),
                "--log-level=info".into(),
            ];
            v.extend(tuning.iter().cloned());
            v
        };
        fs::create_dir_all(log_dir)?;
        let mut processes = Vec::new();
        let mut flags = Vec::new();
        for name in ["source-controller", "kustomize-controller"] {
            let (metrics, health) = (free_port(), free_port());
            let mut args = common(metrics, health);
            if name == "source-controller" {
                args.extend([
                    format!("--storage-path={}", storage.path().display()),
                    format!("--storage-addr=127.0.0.1:{storage_port}"),
                    format!("--storage-adv-addr=127.0.0.1:{storage_port}"),
                ]);
            }
            // Recorded without the ports and paths that change every run.
            let shown: Vec<String> = args
                .iter()
                .map(|a| match a.split_once('=') {
                    Some((flag, _)) if flag.ends_with("-addr") => format!("{flag}=127.0.0.1:PORT"),
                    Some(("--storage-path", _)) => "--storage-path=DIR".into(),
                    _ => a.clone(),
                })
                .collect();
            flags.push(format!("{name} {}", shown.join(" ")));
            let binary = bin_dir.join(format!("flux-{name}"));
            if !binary.exists() {
                bail!(
                    "{} not built: hack/bench-peers.sh builds it",
                    binary.display()
                );
            }
            let log = fs::File::create(log_dir.join(format!("{namespace}-{name}.log")))?;
            let child = Command::new(&binary)
                .args(&args)
                .env("KUBECONFIG", kubeconfig)
                .env("RUNTIME_NAMESPACE", namespace)
                .stdin(Stdio::null())
                .stdout(log.try_clone()?)
                .stderr(log)
                .spawn()
                .with_context(|| format!("spawning {}", binary.display()))?;
            processes.push(Process {
                name,
                child,
                metrics_port: metrics,
            });
            wait_healthy(name, health).await?;
        }
        Ok(Flux {
            processes,
            flags,
            _storage: storage,
        })
    }

    fn proc_file(&self, p: &Process, file: &str) -> String {
        fs::read_to_string(format!("/proc/{}/{file}", p.child.id())).unwrap_or_default()
    }

    /// `VmHWM` or `VmRSS` of each process, in KiB, by name.
    pub(crate) fn vm_kib(&self, key: &str) -> BTreeMap<&'static str, u64> {
        self.processes
            .iter()
            .map(|p| (p.name, crate::vm_kib_of(&self.proc_file(p, "status"), key)))
            .collect()
    }

    /// User + system CPU seconds of both processes so far.
    pub(crate) fn cpu_seconds(&self) -> f64 {
        self.processes
            .iter()
            .map(|p| crate::cpu_seconds_of(&self.proc_file(p, "stat")))
            .sum()
    }

    /// client-go's `rest_client_requests_total` of both processes, summed by method (a LIST
    /// and a WATCH count as GET there).
    pub(crate) async fn requests(&self) -> BTreeMap<String, f64> {
        let mut by_method = BTreeMap::new();
        for p in &self.processes {
            let url = format!("http://127.0.0.1:{}/metrics", p.metrics_port);
            let text = match reqwest::get(&url).await {
                Ok(r) => r.text().await.unwrap_or_default(),
                Err(_) => continue,
            };
            for (method, value) in rest_client_requests(&text) {
                *by_method.entry(method).or_insert(0.0) += value;
            }
        }
        by_method
    }
}

impl Drop for Flux {
    fn drop(&mut self) {
        for p in &mut self.processes {
            let _ = p.child.kill();
            let _ = p.child.wait();
        }
    }
}

/// `rest_client_requests_total{code=..,host=..,method=..} V` lines summed by method.
fn rest_client_requests(text: &str) -> BTreeMap<String, f64> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        let Some(rest) = line.strip_prefix("rest_client_requests_total{") else {
            continue;
        };
        let Some((labels, value)) = rest.split_once("} ") else {
            continue;
        };
        let method = labels
            .split(',')
            .find_map(|l| l.strip_prefix("method=\""))
            .map(|m| m.trim_end_matches('"').to_string())
            .unwrap_or_default();
        *out.entry(method).or_insert(0.0) += value.trim().parse::<f64>().unwrap_or(0.0);
    }
    out
}

async fn wait_healthy(name: &str, port: u16) -> anyhow::Result<()> {
    let url = format!("http://127.0.0.1:{port}/readyz");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Ok(r) = reqwest::get(&url).await
            && r.status().is_success()
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{name} not ready on :{port} within 120 s (see its log in build/bench/logs)");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The GitRepository and Kustomization of environment `name`: its own directory of the
/// repository, its own artifact (everything else ignored), prune on, wait for readiness.
pub(crate) fn objects_for(name: &str, url: &str) -> (DynamicObject, DynamicObject) {
    let path = format!("envs/{name}");
    let repo: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "source.toolkit.fluxcd.io/v1",
        "kind": "GitRepository",
        "metadata": {"name": name},
        "spec": {
            "interval": "10m",
            "url": url,
            "ref": {"branch": "main"},
            "ignore": format!("/*\n!/{path}/\n"),
        },
    }))
    .expect("a GitRepository");
    let ks: DynamicObject = serde_json::from_value(json!({
        "apiVersion": "kustomize.toolkit.fluxcd.io/v1",
        "kind": "Kustomization",
        "metadata": {"name": name},
        "spec": {
            "interval": "10m",
            "path": format!("./{path}"),
            "prune": true,
            "wait": true,
            "timeout": "5m",
            "sourceRef": {"kind": "GitRepository", "name": name},
        },
    }))
    .expect("a Kustomization");
    (repo, ks)
}

/// Create the GitRepositories and Kustomizations (16 at a time).
pub(crate) async fn create(
    client: &Client,
    namespace: &str,
    url: &str,
    names: &[String],
) -> anyhow::Result<()> {
    let repos: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), namespace, &git_repository());
    let kss: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &kustomization());
    stream::iter(names)
        .map(|name| {
            let (repo, ks) = objects_for(name, url);
            let (repos, kss) = (repos.clone(), kss.clone());
            async move {
                repos.create(&Default::default(), &repo).await?;
                kss.create(&Default::default(), &ks).await?;
                anyhow::Ok(())
            }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(())
}

/// The Receiver's work for one push: `requestedAt` on every GitRepository (16 at a time);
/// returns the number of requests made.
pub(crate) async fn request_reconcile(
    client: &Client,
    namespace: &str,
    names: &[String],
    stamp: &str,
) -> anyhow::Result<usize> {
    let repos: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), namespace, &git_repository());
    let patch = json!({"metadata": {"annotations": {REQUESTED_AT: stamp}}});
    stream::iter(names)
        .map(|name| {
            let (repos, patch) = (repos.clone(), patch.clone());
            async move {
                repos
                    .patch(name, &PatchParams::default(), &Patch::Merge(&patch))
                    .await
            }
        })
        .buffer_unordered(16)
        .try_collect::<Vec<_>>()
        .await?;
    Ok(names.len())
}

/// Drop the finalizers of the namespace's Flux objects (the controllers are gone by then).
pub(crate) async fn release(client: &Client, namespace: &str) {
    for ar in [kustomization(), git_repository()] {
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &ar);
        let names: Vec<String> = api
            .list(&Default::default())
            .await
            .map(|l| l.items.iter().map(|o| o.name_any()).collect())
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
    }
}

/// A watch of the namespace's Kustomizations that remembers when each first reached the
/// health-check step of a revision (its objects applied and pruned: "applied").
pub(crate) struct Watch {
    store: Store<DynamicObject>,
    changed: Arc<Notify>,
    applied: Arc<Mutex<HashMap<(String, String), Instant>>>,
    task: tokio::task::JoinHandle<()>,
}

/// The revision a Kustomization has applied (its health checks running or done), if any.
fn applied_revisions(ks: &DynamicObject) -> Vec<String> {
    let status = &ks.data["status"];
    let mut out = Vec::new();
    if let Some(r) = status["lastAppliedRevision"].as_str() {
        out.push(r.to_string());
    }
    for c in status["conditions"].as_array().into_iter().flatten() {
        let message = c["message"].as_str().unwrap_or("");
        if let Some(rest) = message.strip_prefix("Running health checks for revision ")
            && let Some(rev) = rest.split_whitespace().next()
        {
            out.push(rev.to_string());
        }
    }
    out
}

/// Ready=True at `revision` for the current generation.
fn ready_at(ks: &DynamicObject, revision: &str) -> bool {
    let status = &ks.data["status"];
    status["lastAppliedRevision"].as_str() == Some(revision)
        && status["observedGeneration"].as_i64() == ks.metadata.generation
        && status["conditions"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
}

fn describe(ks: &DynamicObject) -> String {
    let ready = ks.data["status"]["conditions"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|c| c["type"] == "Ready")
        .map(|c| {
            format!(
                "{} {}: {}",
                c["status"].as_str().unwrap_or(""),
                c["reason"].as_str().unwrap_or(""),
                c["message"].as_str().unwrap_or("")
            )
        })
        .unwrap_or_else(|| "no Ready".into());
    format!(
        "{} {}",
        ks.name_any(),
        ready.chars().take(140).collect::<String>()
    )
}

impl Watch {
    pub(crate) fn start(client: &Client, namespace: &str) -> Watch {
        let writer = reflector::store::Writer::new(kustomization());
        let store = writer.as_reader();
        let changed = Arc::new(Notify::new());
        let applied: Arc<Mutex<HashMap<(String, String), Instant>>> = Arc::default();
        let api: Api<DynamicObject> =
            Api::namespaced_with(client.clone(), namespace, &kustomization());
        let (notify, seen) = (changed.clone(), applied.clone());
        let task = tokio::spawn(async move {
            let mut events = watcher(api, watcher::Config::default())
                .default_backoff()
                .reflect(writer)
                .applied_objects()
                .boxed();
            while let Some(e) = events.next().await {
                if let Ok(ks) = e {
                    let now = Instant::now();
                    let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
                    for rev in applied_revisions(&ks) {
                        seen.entry((ks.name_any(), rev)).or_insert(now);
                    }
                    drop(seen);
                    notify.notify_waiters();
                }
            }
        });
        Watch {
            store,
            changed,
            applied,
            task,
        }
    }

    /// Wait until `n` Kustomizations are Ready at `revision`; returns when all had applied it
    /// and when all were Ready. Progress on stderr every 10 s.
    pub(crate) async fn all_ready_at(
        &self,
        n: usize,
        revision: &str,
        timeout: Duration,
        label: &str,
    ) -> anyhow::Result<(Instant, Instant)> {
        let started = Instant::now();
        let mut said = Instant::now();
        loop {
            let notified = self.changed.notified();
            let state = self.store.state();
            let ready = state.iter().filter(|k| ready_at(k, revision)).count();
            if ready >= n {
                let done = Instant::now();
                let applied = self.applied.lock().unwrap_or_else(|p| p.into_inner());
                let last = state
                    .iter()
                    .filter_map(|k| applied.get(&(k.name_any(), revision.to_string())))
                    .max()
                    .copied()
                    .unwrap_or(done);
                return Ok((last, done));
            }
            let applied = {
                let seen = self.applied.lock().unwrap_or_else(|p| p.into_inner());
                state
                    .iter()
                    .filter(|k| seen.contains_key(&(k.name_any(), revision.to_string())))
                    .count()
            };
            let example = state
                .iter()
                .find(|k| !ready_at(k, revision))
                .map(|k| describe(k))
                .unwrap_or_default();
            if started.elapsed() > timeout {
                bail!(
                    "{label}: timed out after {timeout:?}: {ready}/{n} Ready at {revision}, {applied} applied; e.g. {example}"
                );
            }
            if said.elapsed() > Duration::from_secs(10) {
                eprintln!(
                    "  … {label}: {ready}/{n} Ready, {applied} applied ({:.0} s); e.g. {example}",
                    started.elapsed().as_secs_f64()
                );
                said = Instant::now();
            }
            let _ = tokio::time::timeout(Duration::from_millis(250), notified).await;
            tokio::time::sleep(crate::evaluation_pause(state.len())).await;
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A JSON summary of a request-count difference (`later - earlier`), per environment.
pub(crate) fn request_delta(
    earlier: &BTreeMap<String, f64>,
    later: &BTreeMap<String, f64>,
    extra: usize,
    n: usize,
) -> Value {
    let by_method: BTreeMap<&String, f64> = later
        .iter()
        .map(|(m, v)| (m, v - earlier.get(m).copied().unwrap_or(0.0)))
        .filter(|(_, v)| *v > 0.0)
        .collect();
    let total: f64 = by_method.values().sum::<f64>() + extra as f64;
    json!({
        "requests": total,
        "requests_by_method": by_method,
        "receiver_requests": extra,
        "requests_per_env": crate::round3(total / n.max(1) as f64),
    })
}
