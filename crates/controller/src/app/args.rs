//! Command-line flags (reference: docs/operations.md; the contract in docs/architecture.md).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use claude_env_source::load::Limits;

use crate::decisions::branches::BranchMap;
use crate::decisions::plan::Policy;
use crate::decisions::shard;
use crate::decisions::tenancy::Tenancy;

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
    /// Only ClaudeEnvironments matching this label selector (sharding). Its `key=value`
    /// terms are also stamped on the objects this process renders, and its object watches
    /// select on them: each shard caches only its own objects.
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
    /// Log lines as JSON objects (one per line, for log pipelines) or as text.
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
    /// Let ClaudeEnvironments of namespace SOURCE put their objects in (and depend on
    /// environments of) the TARGET namespaces, as `SOURCE=TARGET[,TARGET...]` (repeatable;
    /// `*` is any namespace). Without it an environment acts only in its own namespace.
    #[arg(long = "allow-target-namespace", value_parser = parse_pair)]
    pub(crate) allow_target_namespaces: Vec<(String, String)>,
    /// The shortest `spec.source.interval` accepted; shorter ones are refused.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub(crate) min_interval: Duration,
    /// The longest `spec.source.timeout` accepted (the shortest is 1s).
    #[arg(long, default_value = "10m", value_parser = humantime::parse_duration)]
    pub(crate) max_fetch_timeout: Duration,
    /// Hosts health checks may reach besides the Services of the environment's own
    /// namespaces: `host`, `*.suffix`, an IP or a CIDR (comma-separated, repeatable).
    /// Link-local and cloud-metadata addresses are never reachable.
    #[arg(long = "check-allowed-hosts", value_delimiter = ',')]
    pub(crate) check_allowed_hosts: Vec<String>,
    /// Webhook deliveries handled at once; more are answered 503 (the sender retries).
    #[arg(long, default_value_t = 16)]
    pub(crate) webhook_concurrency: u16,
    /// How long one webhook delivery may take, reading its body included.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub(crate) webhook_timeout: Duration,
    /// Largest total size of a revision's config files, a blob counted each time a path
    /// uses it (bytes); a larger revision is refused.
    #[arg(long, default_value_t = Limits::default().max_total_bytes)]
    pub(crate) max_snapshot_bytes: u64,
    /// Most files and directories in a revision's config directories; more are refused.
    #[arg(long, default_value_t = Limits::default().max_files)]
    pub(crate) max_snapshot_files: u64,
    /// Largest size of the Git cache on disk (bytes): least recently used repositories are
    /// evicted above it. Default: no cap.
    #[arg(long)]
    pub(crate) cache_max_bytes: Option<u64>,
    /// How long a Git connection may stall (connect, read, write) before the fetch fails.
    /// Process-wide; each `spec.source.timeout` bounds its own fetch on top of it.
    #[arg(long, default_value = "30s", value_parser = humantime::parse_duration)]
    pub(crate) git_socket_timeout: Duration,
    /// A ClaudeWorkstation not heard from for this long is stale: counted apart, and its
    /// doctor no longer gates canary steps.
    #[arg(long, default_value = "10m", value_parser = humantime::parse_duration)]
    pub(crate) workstation_stale_after: Duration,
    /// A ClaudeWorkstation not heard from for this long is deleted.
    #[arg(long, default_value = "168h", value_parser = humantime::parse_duration)]
    pub(crate) workstation_remove_after: Duration,
    /// Entries kept in each environment's `status.history`.
    #[arg(long, default_value_t = claude_env_api::HISTORY_LIMIT, value_parser = parse_history_limit)]
    pub(crate) history_limit: usize,
    /// Where the audit log goes: `stdout` (one JSON object per line, whatever
    /// `--log-format`), a file (appended to), or `off`.
    #[arg(long, default_value = "stdout", env = "CLAUDE_ENV_AUDIT_LOG")]
    pub(crate) audit_log: crate::io::audit::Destination,
}

impl Args {
    /// The operator's policy every ClaudeEnvironment's spec is checked against.
    pub(crate) fn policy(&self) -> Policy {
        Policy {
            branches: self.branches(),
            tenancy: Tenancy::new(&self.allow_target_namespaces),
            min_interval: self.min_interval,
            max_fetch_timeout: self.max_fetch_timeout,
            shard_labels: self
                .label_selector
                .as_deref()
                .map(shard::equality_terms)
                .unwrap_or_default(),
        }
    }

    /// Per-snapshot bounds of the config repositories read.
    pub(crate) fn snapshot_limits(&self) -> Limits {
        Limits {
            max_total_bytes: self.max_snapshot_bytes,
            max_files: self.max_snapshot_files,
            ..Limits::default()
        }
    }

    /// Which branch each environment follows when its spec names none.
    pub(crate) fn branches(&self) -> BranchMap {
        BranchMap::new(&self.environment_branches, &self.default_branch)
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    Json,
    Text,
}

/// 1 to 1000: status is one object of at most 1.5 MiB, and history is a small part of it.
fn parse_history_limit(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(n) if (1..=1000).contains(&n) => Ok(n),
        _ => Err(format!("expected a number from 1 to 1000, got {s:?}")),
    }
}

/// `key=value`, both sides non-empty.
fn parse_pair(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.is_empty() && !v.is_empty() => Ok((k.to_string(), v.to_string())),
        _ => Err(format!("expected KEY=VALUE, got {s:?}")),
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
        assert_eq!(a.history_limit, 10);
        assert_eq!(a.audit_log, crate::io::audit::Destination::Stdout);
    }

    #[test]
    fn the_history_limit_is_bounded() {
        let a = Args::parse_from(["claude-env-controller", "--history-limit", "50"]);
        assert_eq!(a.history_limit, 50);
        for bad in ["0", "1001", "x"] {
            assert!(
                Args::try_parse_from(["c", "--history-limit", bad]).is_err(),
                "{bad}"
            );
        }
    }
}
