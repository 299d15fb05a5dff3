//! `claude-env-controller`: keeps every ClaudeEnvironment equal to what its Git branch says.
//!
//! How the modules divide the work (docs/architecture.md has the whole data flow):
//! - `app`: the process — flags, watch caches and the controller loop, HTTP servers
//!   (metrics, health, webhooks), leader election;
//! - `reconcile`: one reconcile of one environment, phase by phase (the flow, no decisions);
//! - `decisions`: pure functions holding the controller's own decisions (which revision,
//!   which objects for a rollout state, status and conditions, health, dependency gates);
//! - `io`: effects on the cluster and Git (apply and prune, status writes, Secrets, Events,
//!   sources, health checks, drift checks);
//! - `index`: reverse indexes the watches keep (objects by owner, environments by
//!   dependency), so no reconcile sweeps a whole cache;
//! - `metrics`: the typed Prometheus facade.
//!
//! The domain decisions live in the pure crates (config, render, drift, rollout).

mod app;
mod context;
mod decisions;
mod error;
mod index;
mod io;
mod lock;
mod metrics;
mod own_writes;
mod reconcile;

use anyhow::Context as _;
use clap::Parser;
use std::sync::Arc;

use crate::app::args::{Args, LogFormat};
use crate::app::http::{self, Readiness};
use crate::app::leader::{self, Leadership};
use crate::app::webhook;
use crate::metrics::Metrics;
use claude_env_source::deliveries::RecentDeliveries;
use futures::FutureExt;
use tracing::info;
use tracing_subscriber::EnvFilter;

/// At 10,000 environments the controller spent about half the CPU seconds per push with
/// mimalloc as with glibc's malloc, at a lower peak RSS (BENCHMARKS.md, "10,000 environments").
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    init_logging(args.log_format);
    let metrics = Metrics::new();
    let config = kube::Config::infer()
        .await
        .context("loading the kubeconfig or in-cluster config")?;
    let client = kube::client::ClientBuilder::try_from(config)
        .context("building a Kubernetes client")?
        .with_layer(&metrics.count_requests())
        .build();
    let ready = Readiness::default();

    let listener = tokio::net::TcpListener::bind(args.metrics_addr)
        .await
        .with_context(|| format!("binding {}", args.metrics_addr))?;
    info!(addr = %args.metrics_addr, "serving /metrics, /healthz, /readyz");
    tokio::spawn(axum::serve(listener, http::router(metrics.clone(), ready.clone())).into_future());

    let leader_slot = webhook::LeaderSlot::default();
    if let Some(path) = &args.webhook_secret_file {
        // Fail at start when the file is missing; after that it is re-read per request.
        std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?;
        let receiver = webhook::Receiver {
            secret_file: Arc::new(path.clone()),
            metrics: metrics.clone(),
            branches: args.branches(),
            leader: leader_slot.clone(),
            client: client.clone(),
            watch_namespace: args.watch_namespace.clone(),
            label_selector: args.label_selector.clone(),
            in_flight: Arc::new(tokio::sync::Semaphore::new(usize::from(
                args.webhook_concurrency.max(1),
            ))),
            timeout: args.webhook_timeout,
            recent: Arc::new(std::sync::Mutex::new(RecentDeliveries::new(
                RecentDeliveries::DEFAULT_CAPACITY,
                RecentDeliveries::DEFAULT_WINDOW,
            ))),
        };
        let listener = tokio::net::TcpListener::bind(args.webhook_addr)
            .await
            .with_context(|| format!("binding the webhook receiver to {}", args.webhook_addr))?;
        info!(addr = %args.webhook_addr, "webhook receiver listening");
        tokio::spawn(axum::serve(listener, webhook::router(receiver)).into_future());
    } else {
        info!("no --webhook-secret-file: webhook receiver off");
    }

    let shutdown = shutdown_signal().shared();
    if !args.leader_elect {
        return app::run(client, &args, metrics, ready, leader_slot, shutdown).await;
    }

    let namespace = args
        .leader_elect_namespace
        .clone()
        .or_else(|| args.watch_namespace.clone())
        .unwrap_or_else(|| "default".into());
    let identity = std::env::var("POD_NAME")
        .unwrap_or_else(|_| format!("{}-{}", hostname(), std::process::id()));
    let mut leadership: Leadership = leader::compete(
        client.clone(),
        &namespace,
        &args.leader_elect_lease,
        &identity,
        args.leader_elect_lease_duration,
    )
    .await?;
    // A standby is ready: it can take over at any time.
    ready.set(true);
    info!(%identity, lease = %args.leader_elect_lease, %namespace, "waiting for the lease");
    tokio::select! {
        r = leadership.acquired() => r?,
        _ = shutdown.clone() => { leadership.release().await; return Ok(()); }
    }
    info!(%identity, "acquired the lease; starting");
    metrics.set_leader(&args.leader_elect_lease);
    ready.set(false);
    let lost = Leadership::lost(leadership.changes.clone()).shared();
    let stop =
        futures::future::select(Box::pin(shutdown.clone()), Box::pin(lost.clone())).map(|_| ());
    app::run(client, &args, metrics.clone(), ready, leader_slot, stop).await?;
    if lost.now_or_never().is_some() {
        anyhow::bail!("lost the lease; exiting so a standby takes over");
    }
    leadership.release().await;
    info!("released the lease; bye");
    Ok(())
}

fn init_logging(format: LogFormat) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info,kube=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter);
    match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init(),
        LogFormat::Text => builder.init(),
    }
}

/// SIGTERM or Ctrl-C.
async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => futures::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term => {},
    }
    info!("shutting down");
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "claude-env-controller".into())
}
