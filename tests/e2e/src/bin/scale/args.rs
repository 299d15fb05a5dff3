//! The command line of `scale` (clap).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use claude_env_e2e::repo_root;

/// The scale benchmark: the release controller on the local control plane (`make cluster-up`),
/// N ClaudeEnvironments on one config repository. Each run appends one JSON line to `--out`;
/// `scale report` turns them into the tables of BENCHMARKS.md. Times are measured, never
/// asserted.
#[derive(Debug, Parser)]
#[command(name = "scale", version)]
pub(crate) struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// N environments: initial convergence, idle, webhook pushes, drift edits, polling.
    Fleet(FleetArgs),
    /// One environment, many webhook pushes (push → Ready latency).
    Single(SingleArgs),
    /// A crash-looping canary rolled back, several rounds.
    Rollback(RollbackArgs),
    /// claude-env and Flux (source-controller + kustomize-controller) given the same N
    /// environments and the same push, one after the other on the same control plane.
    Peers(PeersArgs),
    /// The BENCHMARKS.md tables from the results file.
    Report(ReportArgs),
}

/// What every run takes.
#[derive(Clone, Debug, Args)]
pub(crate) struct Common {
    /// The JSON-lines results file (appended to).
    #[arg(long, value_name = "FILE", default_value_os_t = default_out())]
    pub out: PathBuf,
    /// The controller binary (a release build).
    #[arg(long, value_name = "PATH", default_value_os_t = repo_root().join("target/release/claude-env-controller"))]
    pub controller: PathBuf,
    /// The controller's `--concurrency` (reconciles at once).
    #[arg(long, value_name = "C", default_value_t = 16)]
    pub concurrency: u16,
    /// Extra controller flags, e.g. `--controller-arg=--selector=shard=a` (repeatable).
    #[arg(
        long = "controller-arg",
        value_name = "FLAG",
        allow_hyphen_values = true
    )]
    pub controller_args: Vec<String>,
}

fn default_out() -> PathBuf {
    repo_root().join("build/bench/results.jsonl")
}

#[derive(Debug, Args)]
pub(crate) struct FleetArgs {
    /// Number of environments (the mix: per 20, 18 development, 1 staging, 1 production).
    #[arg(long, default_value_t = 10)]
    pub n: usize,
    /// Webhook pushes after the initial convergence.
    #[arg(long, default_value_t = 3)]
    pub pushes: usize,
    /// Hand edits of a production Deployment (drift → status and metric).
    #[arg(long, default_value_t = 5)]
    pub drift_edits: usize,
    /// Seconds measured idle (CPU, requests, reconciles).
    #[arg(long, value_name = "SECS", default_value_t = 60)]
    pub idle_secs: u64,
    /// The polling push's `spec.source.interval`, or `off`.
    #[arg(long, value_name = "INTERVAL|off", default_value = "30s")]
    pub polling_interval: String,
    /// Controller processes, each with a label selector taking every K-th environment
    /// (`--label-selector=claude-env.io/bench-shard=<k>`); 1: one process, no selector.
    #[arg(long, value_name = "K", default_value_t = 1)]
    pub shards: usize,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum SingleEnvironment {
    Staging,
    Development,
}

impl SingleEnvironment {
    pub(crate) fn name(self) -> &'static str {
        match self {
            SingleEnvironment::Staging => "staging",
            SingleEnvironment::Development => "development",
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct SingleArgs {
    /// Which kind of environment.
    #[arg(long, value_enum, default_value_t = SingleEnvironment::Staging)]
    pub environment: SingleEnvironment,
    /// Webhook pushes.
    #[arg(long, default_value_t = 10)]
    pub pushes: usize,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub(crate) struct RollbackArgs {
    /// Crash-looping pushes, each rolled back and then fixed.
    #[arg(long, default_value_t = 3)]
    pub rounds: usize,
    #[command(flatten)]
    pub common: Common,
}

/// How Flux's controllers are configured for a peer run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum FluxConfig {
    /// Flux's defaults: `--concurrent` 2 (source-controller) and 4 (kustomize-controller),
    /// `--kube-api-qps=50 --kube-api-burst=300` (client throttling is off anyway when the API
    /// server has priority and fairness, as this one has).
    Default,
    /// The same concurrency as ours (`--concurrent=<--concurrency>` for both controllers) and
    /// the same client limits (none: `--kube-api-qps=-1 --kube-api-burst=-1`).
    Matched,
}

impl FluxConfig {
    pub(crate) fn name(self) -> &'static str {
        match self {
            FluxConfig::Default => "default",
            FluxConfig::Matched => "matched",
        }
    }
}

#[derive(Debug, Args)]
pub(crate) struct PeersArgs {
    /// Number of environments (the same mix as `fleet`).
    #[arg(long, default_value_t = 100)]
    pub n: usize,
    /// Pushes per side (each measured from the trigger to all Ready at the new revision).
    #[arg(long, default_value_t = 3)]
    pub pushes: usize,
    /// Seconds measured idle after the initial convergence.
    #[arg(long, value_name = "SECS", default_value_t = 30)]
    pub idle_secs: u64,
    /// Flux configurations to run after ours (each its own namespace and processes).
    #[arg(long = "flux", value_enum, value_delimiter = ',', default_values_t = [FluxConfig::Default, FluxConfig::Matched])]
    pub flux: Vec<FluxConfig>,
    /// Skip our side (measure only Flux).
    #[arg(long)]
    pub skip_ours: bool,
    /// Skip Flux (measure only ours).
    #[arg(long, conflicts_with = "skip_ours")]
    pub skip_flux: bool,
    /// Where `flux-source-controller` and `flux-kustomize-controller` are
    /// (hack/bench-peers.sh builds them from tests/bench/flux).
    #[arg(long, value_name = "DIR", default_value_os_t = repo_root().join("build/bin"))]
    pub flux_bin_dir: PathBuf,
    /// Flux's CRDs (hack/bench-peers.sh copies them from each module's config/crd/bases).
    #[arg(long, value_name = "DIR", default_value_os_t = repo_root().join("build/bench/flux/crds"))]
    pub flux_crds: PathBuf,
    /// The `claude-env` CLI that renders each environment's objects for Flux's repository.
    #[arg(long, value_name = "PATH", default_value_os_t = repo_root().join("target/release/claude-env"))]
    pub cli: PathBuf,
    #[command(flatten)]
    pub common: Common,
}

#[derive(Debug, Args)]
pub(crate) struct ReportArgs {
    /// The JSON-lines results files (repeatable: `make bench` passes the fleet and the peer
    /// results); a missing file is skipped.
    #[arg(long, value_name = "FILE", default_values_os_t = [default_out()])]
    pub out: Vec<PathBuf>,
    /// Write the tables to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
}
