//! `scale peers`: claude-env and Flux given the same N environments and the same push, one
//! after the other on the same control plane (never at once: they would share the 2 cores).
//!
//! Ours: N ClaudeEnvironments on the config repository, one controller process (as `fleet`).
//! Flux: for each environment, the objects `claude-env render --objects` produces for it,
//! committed under `envs/<name>/` of a second repository served by the same Git HTTP server
//! code; one GitRepository (its artifact holds only that directory) and one Kustomization
//! (prune, wait) per environment. A push is the same change on both sides: a setting of the
//! base layer every environment renders differently (every ConfigMap replaced, every
//! Deployment rolled). Ours is woken by its webhook, Flux by what its Receiver does.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};
use claude_env_api::ClaudeEnvironment;
use claude_env_e2e::{Cluster, ConfigRepo, repo_root};
use claude_env_testkit::{GitHttpServer, HttpAuth, TempRepo};
use futures::{StreamExt, TryStreamExt, stream};
use kube::Client;
use kube::api::Api;
use serde_json::{Value, json};

use crate::args::{FluxConfig, PeersArgs};
use crate::flux::{self, Flux};
use crate::{
    Fleet, Scratch, bench_repo, create_fleet, env_name, load_average, mix, push_hook, push_round,
    round3, sample, settle, start_controller, vm_kib,
};

pub(crate) async fn run(args: &PeersArgs) -> anyhow::Result<Value> {
    let n = args.n;
    let mut result = crate::common(&args.common, "peers");
    result["n"] = json!(n);
    result["mix"] = crate::mix_counts(n);
    let cluster = Cluster::get().await;
    let client = cluster.new_client().await;
    result["kubernetes"] = json!(client.apiserver_version().await?.git_version);
    crate::capacity::ensure_pods(&client, crate::capacity::peak_pods(n)).await?;
    let repo = bench_repo();
    let mut sides = Vec::new();
    if !args.skip_ours {
        let ns = Scratch::create(&client, &format!("ours-n{n}")).await?;
        let side = ours(args, cluster, &client, &ns.name, &repo).await;
        ns.delete().await;
        sides.push(side?);
    }
    let configs: &[FluxConfig] = if args.skip_flux { &[] } else { &args.flux };
    if !configs.is_empty() {
        flux::install_crds(&client, &args.flux_crds).await?;
    }
    for config in configs {
        let ns = Scratch::create(&client, &format!("flux-{}-n{n}", config.name())).await?;
        let side = theirs(args, *config, cluster, &client, &ns.name, &repo).await;
        flux::release(&client, &ns.name).await;
        ns.delete().await;
        sides.push(side?);
    }
    result["sides"] = json!(sides);
    result["load_end"] = json!(load_average());
    Ok(result)
}

/// How long claude-env may take to bring N environments to a revision before the run fails.
fn timeout(n: usize) -> Duration {
    Duration::from_secs(120 + n as u64 * 2)
}

/// The same for Flux: with its defaults it brings about 0.46 environments a second to Ready
/// on the 2-core machine (36 min for 1000), past `timeout`; a run cut short measures nothing.
fn flux_timeout(n: usize) -> Duration {
    Duration::from_secs(120 + n as u64 * 5)
}

// ---- ours -----------------------------------------------------------------------------------

async fn ours(
    args: &PeersArgs,
    cluster: &Cluster,
    client: &Client,
    namespace: &str,
    repo: &ConfigRepo,
) -> anyhow::Result<Value> {
    let n = args.n;
    let ctl = start_controller(&args.common, cluster, namespace).await?;
    let fleet = Fleet::watch(client, namespace);
    let api: Api<ClaudeEnvironment> = Api::namespaced(client.clone(), namespace);
    eprintln!("[{namespace}] claude-env: creating {n} environments");
    let head = repo.head();
    let before = sample(&ctl).await;
    create_fleet(&api, &repo.url, n, "10m", 1).await?;
    let (_, ready) = fleet.all_ready_at(n, &head, timeout(n)).await?;
    let mut converge = before.delta(&sample(&ctl).await, n);
    converge["ready_secs"] = json!(round3(ready.duration_since(before.at).as_secs_f64()));
    eprintln!("[{namespace}] claude-env converged: {converge}");
    settle(&ctl, Duration::from_secs(5)).await;
    let before = sample(&ctl).await;
    tokio::time::sleep(Duration::from_secs(args.idle_secs)).await;
    let mut idle = before.delta(&sample(&ctl).await, n);
    idle["rss_kib"] = json!(vm_kib(&ctl, "VmRSS"));
    eprintln!("[{namespace}] claude-env idle: {idle}");
    let mut pushes = Vec::new();
    for k in 0..args.pushes {
        let sha = push_round(repo, &format!("peers {namespace} {k}"));
        let before = sample(&ctl).await;
        push_hook(&ctl, &repo.url, "main").await?;
        let (applied, ready) = fleet.all_ready_at(n, &sha, timeout(n)).await?;
        let mut round = before.delta(&sample(&ctl).await, n);
        round["applied_secs"] = json!(round3(applied.duration_since(before.at).as_secs_f64()));
        round["ready_secs"] = json!(round3(ready.duration_since(before.at).as_secs_f64()));
        settle(&ctl, Duration::from_secs(5)).await;
        round["settled"] = before.delta(&sample(&ctl).await, n);
        eprintln!("[{namespace}] claude-env push {k}: {round}");
        pushes.push(round);
    }
    Ok(json!({
        "side": "claude-env",
        "flags": [format!("--concurrency {}", args.common.concurrency)],
        "converge": converge,
        "idle": idle,
        "pushes": pushes,
        "rss_peak_kib": vm_kib(&ctl, "VmHWM"),
        "rss_steady_kib": idle["rss_kib"],
        "cpu_total_secs": round3(crate::cpu_seconds(&ctl)),
    }))
}

// ---- Flux -----------------------------------------------------------------------------------

/// Flux's counters at one moment.
struct FluxSample {
    at: Instant,
    cpu: f64,
    requests: BTreeMap<String, f64>,
}

async fn flux_sample(f: &Flux) -> FluxSample {
    FluxSample {
        at: Instant::now(),
        cpu: f.cpu_seconds(),
        requests: f.requests().await,
    }
}

impl FluxSample {
    fn delta(&self, later: &FluxSample, receiver_requests: usize, n: usize) -> Value {
        let mut v = flux::request_delta(&self.requests, &later.requests, receiver_requests, n);
        v["secs"] = json!(round3(later.at.duration_since(self.at).as_secs_f64()));
        v["cpu_secs"] = json!(round3(later.cpu - self.cpu));
        v
    }
}

/// Wait until Flux made no API request for `quiet` (bounded: 60 s).
async fn flux_settle(f: &Flux, quiet: Duration) {
    let total = |m: &BTreeMap<String, f64>| m.values().sum::<f64>();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut last = total(&f.requests().await);
    let mut since = Instant::now();
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let now = total(&f.requests().await);
        if now != last {
            (last, since) = (now, Instant::now());
        } else if since.elapsed() >= quiet {
            return;
        }
    }
}

async fn theirs(
    args: &PeersArgs,
    config: FluxConfig,
    cluster: &Cluster,
    client: &Client,
    namespace: &str,
    repo: &ConfigRepo,
) -> anyhow::Result<Value> {
    let n = args.n;
    let side = format!("flux-{}", config.name());
    let names: Vec<String> = (0..n).map(env_name).collect();
    let envs = TempRepo::named("flux-envs");
    eprintln!("[{namespace}] {side}: rendering {n} environments");
    render_all(args, repo, &envs, namespace).await?;
    envs.commit("the rendered objects of every environment");
    envs.push();
    let server = GitHttpServer::start(&envs.serve_root(), HttpAuth::None);
    let url = server.url(&envs.remote_name());
    let logs = repo_root().join("build/bench/logs");
    let f = Flux::start(
        &args.flux_bin_dir,
        &cluster.kubeconfig,
        namespace,
        config,
        args.common.concurrency,
        &logs,
    )
    .await?;
    let watch = flux::Watch::start(client, namespace);
    eprintln!("[{namespace}] {side}: creating {n} GitRepositories and Kustomizations");
    let revision = format!("main@sha1:{}", envs.head());
    let before = flux_sample(&f).await;
    flux::create(client, namespace, &url, &names).await?;
    let (_, ready) = watch
        .all_ready_at(n, &revision, flux_timeout(n), &format!("{side} converge"))
        .await?;
    let mut converge = before.delta(&flux_sample(&f).await, 0, n);
    converge["ready_secs"] = json!(round3(ready.duration_since(before.at).as_secs_f64()));
    eprintln!("[{namespace}] {side} converged: {converge}");
    flux_settle(&f, Duration::from_secs(5)).await;
    let before = flux_sample(&f).await;
    tokio::time::sleep(Duration::from_secs(args.idle_secs)).await;
    let mut idle = before.delta(&flux_sample(&f).await, 0, n);
    let steady = f.vm_kib("VmRSS");
    idle["rss_kib"] = json!(steady.values().sum::<u64>());
    eprintln!("[{namespace}] {side} idle: {idle}");
    let mut pushes = Vec::new();
    for k in 0..args.pushes {
        push_round(repo, &format!("peers {namespace} {k}"));
        render_all(args, repo, &envs, namespace).await?;
        let sha = envs.commit(&format!("peers {namespace} {k}"));
        envs.push();
        let revision = format!("main@sha1:{sha}");
        let before = flux_sample(&f).await;
        let stamp = format!("{k}-{}", crate::now_utc());
        let receiver = flux::request_reconcile(client, namespace, &names, &stamp).await?;
        let (applied, ready) = watch
            .all_ready_at(n, &revision, flux_timeout(n), &format!("{side} push {k}"))
            .await?;
        let mut round = before.delta(&flux_sample(&f).await, receiver, n);
        round["applied_secs"] = json!(round3(applied.duration_since(before.at).as_secs_f64()));
        round["ready_secs"] = json!(round3(ready.duration_since(before.at).as_secs_f64()));
        flux_settle(&f, Duration::from_secs(5)).await;
        round["settled"] = before.delta(&flux_sample(&f).await, receiver, n);
        eprintln!("[{namespace}] {side} push {k}: {round}");
        pushes.push(round);
    }
    let peak = f.vm_kib("VmHWM");
    Ok(json!({
        "side": side,
        "flags": f.flags,
        "converge": converge,
        "idle": idle,
        "pushes": pushes,
        "rss_peak_kib": peak.values().sum::<u64>(),
        "rss_peak_by_process_kib": peak,
        "rss_steady_kib": idle["rss_kib"],
        "rss_steady_by_process_kib": steady,
        "cpu_total_secs": round3(f.cpu_seconds()),
    }))
}

/// `claude-env render --objects` of every environment of the mix (placed in `namespace`,
/// named as the environment) into `envs/<name>/objects.yaml` of `envs`' work tree.
async fn render_all(
    args: &PeersArgs,
    repo: &ConfigRepo,
    envs: &TempRepo,
    namespace: &str,
) -> anyhow::Result<()> {
    if !args.cli.exists() {
        bail!(
            "{} not built: cargo build --release -p claude-env-cli",
            args.cli.display()
        );
    }
    let work = repo.repo.work_dir();
    let rendered: Vec<(String, Vec<u8>)> = stream::iter(0..args.n)
        .map(|i| {
            let (environment, team, project) = mix(i);
            let name = env_name(i);
            let mut cmd = tokio::process::Command::new(&args.cli);
            cmd.arg("render")
                .arg("--repo")
                .arg(&work)
                .args(["--objects", "-o", "yaml", "-e", environment, "-t", team])
                .args(["--instance", &name, "-n", namespace]);
            if let Some(p) = project {
                cmd.args(["-p", p]);
            }
            async move {
                let out = cmd.output().await.context("running claude-env render")?;
                if !out.status.success() {
                    bail!(
                        "claude-env render for {name}: {}",
                        String::from_utf8_lossy(&out.stderr)
                    );
                }
                anyhow::Ok((name, out.stdout))
            }
        })
        .buffer_unordered(4)
        .try_fold(
            (Vec::new(), crate::Progress::new("rendered", args.n)),
            |(mut all, mut p), one| async move {
                p.step();
                all.push(one);
                Ok((all, p))
            },
        )
        .await?
        .0;
    for (name, yaml) in rendered {
        let dir = envs.work_dir().join("envs").join(&name);
        fs::create_dir_all(&dir)?;
        write_if_changed(&dir.join("objects.yaml"), &yaml)?;
    }
    Ok(())
}

fn write_if_changed(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    if fs::read(path).ok().as_deref() != Some(bytes) {
        fs::write(path, bytes)?;
    }
    Ok(())
}
