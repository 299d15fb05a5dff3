//! Command-line flags (reference: docs/operations.md; the contract in docs/architecture.md).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};

#[derive(Parser, Debug, Clone)]
#[command(
    name = "claude-env-controller",
    version,
    about = "Keeps ClaudeEnvironments equal to their Git branch"
)]
pub(crate) struct Args {
    /// `/metrics`, `/healthz` and `/readyz`.
    #[arg(long, default_value = "0.0.0.0:8080", env = "CLAUDE_ENV_METRICS_ADDR")]
    pub(crate) metrics_addr: SocketAddr,
    /// Git push webhooks (`/hooks/github`, `/hooks/gitlab`, `/hooks/generic`).
    #[arg(long, default_value = "0.0.0.0:9292", env = "CLAUDE_ENV_WEBHOOK_ADDR")]
    pub(crate) webhook_addr: SocketAddr,
    /// File holding the webhook secret; without it the receiver is off.
    #[arg(long, env = "CLAUDE_ENV_WEBHOOK_SECRET_FILE")]
    pub(crate) webhook_secret_file: Option<PathBuf>,
    /// Run only while holding the Lease, so several replicas are safe.
    #[arg(long)]
    pub(crate) leader_elect: bool,
    /// Lease name for leader election.
    #[arg(long, default_value = "claude-env-controller")]
    pub(crate) leader_elect_lease: String,
    /// How long a lease is valid without renewal (a killed leader is replaced after this).
    #[arg(long, default_value = "15s", value_parser = humantime::parse_duration)]
    pub(crate) leader_elect_lease_duration: Duration,
    /// Namespace of the Lease; default: `--watch-namespace`, else the pod's namespace, else
    /// `default`.
    #[arg(long, env = "POD_NAMESPACE")]
    pub(crate) leader_elect_namespace: Option<String>,
    /// Only this namespace (default: all).
    #[arg(long, env = "CLAUDE_ENV_WATCH_NAMESPACE")]
    pub(crate) watch_namespace: Option<String>,
    /// Only ClaudeEnvironments matching this label selector (sharding).
    #[arg(long, env = "CLAUDE_ENV_LABEL_SELECTOR")]
    pub(crate) label_selector: Option<String>,
    /// Environments reconciled at once.
    #[arg(long, default_value_t = 8)]
    pub(crate) concurrency: u16,
    /// Where bare Git caches live (one per repository URL).
    #[arg(
        long,
        default_value = "/tmp/claude-env-cache",
        env = "CLAUDE_ENV_CACHE_DIR"
    )]
    pub(crate) cache_dir: PathBuf,
    /// Accept `file://` and path source URLs. Off by default: on a shared cluster they would
    /// let anyone who can create a ClaudeEnvironment read the controller's disk.
    #[arg(long)]
    pub(crate) allow_local_urls: bool,
    #[arg(long, value_enum, default_value_t = LogFormat::Text, env = "CLAUDE_ENV_LOG_FORMAT")]
    pub(crate) log_format: LogFormat,
    /// Branch an environment follows when `spec.source.branch` is empty, as
    /// `environment=branch` (repeatable). Defaults: development=develop, others main.
    #[arg(long = "environment-branch", value_parser = parse_pair)]
    pub(crate) environment_branches: Vec<(String, String)>,
    /// Branch for environments not named by `--environment-branch`.
    #[arg(long, default_value = "main")]
    pub(crate) default_branch: String,
    /// How long to wait before the next attempt after an error (doubles up to 5m).
    #[arg(long, default_value = "2s", value_parser = humantime::parse_duration)]
    pub(crate) retry_interval: Duration,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    Json,
    Text,
}

fn parse_pair(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() && !v.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected environment=branch, got {s:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairs_must_have_both_sides() {
        assert!(parse_pair("a=b").is_ok());
        assert!(parse_pair("a=").is_err());
        assert!(parse_pair("ab").is_err());
    }

    #[test]
    fn design_defaults() {
        let a = Args::parse_from(["claude-env-controller"]);
        assert_eq!(a.metrics_addr.to_string(), "0.0.0.0:8080");
        assert_eq!(a.webhook_addr.to_string(), "0.0.0.0:9292");
        assert!(!a.leader_elect);
    }
}
