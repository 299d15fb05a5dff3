//! Label values: one environment's identity, and the bounded result values of our series.
//! The rollout crate's enums (`CheckKind`, `Outcome`, `RolloutResult`, `FailureReason`) and
//! the API's (`StrategyType`, `RolloutPhase`, drift classes) bring their own labels.

use claude_env_api::{ClaudeEnvironment, StrategyType};
use claude_env_source::load::Limit as SnapshotLimit;
use claude_env_source::webhook::Provider;
use kube::ResourceExt;

/// Who a per-environment series belongs to: the ClaudeEnvironment (`namespace`, `name`:
/// unique, so two teams' `production` never share a series) and what it renders (for
/// grouping).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub(crate) struct EnvLabels {
    pub(crate) namespace: String,
    pub(crate) name: String,
    pub(crate) environment: String,
    pub(crate) team: String,
    pub(crate) project: String,
    pub(crate) strategy: StrategyType,
}

impl EnvLabels {
    pub(crate) fn of(env: &ClaudeEnvironment) -> EnvLabels {
        EnvLabels {
            namespace: env.namespace().unwrap_or_default(),
            name: env.name_any(),
            environment: env.spec.environment.clone(),
            team: env.spec.team.clone().unwrap_or_default(),
            project: env.spec.project.clone().unwrap_or_default(),
            strategy: env.spec.strategy.type_,
        }
    }

    pub(super) fn key(&self) -> (String, String) {
        (self.namespace.clone(), self.name.clone())
    }
}

/// `result` of `reconcile_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ReconcileResult {
    Success,
    Error,
}

impl ReconcileResult {
    pub(super) fn label(self) -> &'static str {
        match self {
            ReconcileResult::Success => "success",
            ReconcileResult::Error => "error",
        }
    }
}

/// `result` of `sync_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SyncResult {
    /// A revision reached Ready (counted once per revision).
    Success,
    /// Applying failed, or a rollout failed.
    Failure,
    /// The revision does not validate (counted once per revision).
    Invalid,
}

impl SyncResult {
    pub(super) fn label(self) -> &'static str {
        match self {
            SyncResult::Success => "success",
            SyncResult::Failure => "failure",
            SyncResult::Invalid => "invalid",
        }
    }
}

/// `provider` of `webhook_requests_total`.
pub(super) fn provider(p: Provider) -> &'static str {
    match p {
        Provider::GitHub => "github",
        Provider::GitLab => "gitlab",
        Provider::Generic => "generic",
    }
}

/// `result` of `webhook_requests_total`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum WebhookResult {
    Accepted,
    UnknownRepository,
    TooLarge,
    NoSecret,
    /// A standby could not reach the API server to pass the push on.
    Error,
    /// More deliveries at once than the receiver takes (`--webhook-concurrency`).
    Busy,
    /// The delivery took longer than `--webhook-timeout`.
    TimedOut,
    /// The same delivery again (a sender's retry): answered, not acted on twice.
    Duplicate,
    /// Refused by verification or parsing: the receiver's stable category.
    Refused(&'static str),
}

impl WebhookResult {
    pub(super) fn label(self) -> &'static str {
        match self {
            WebhookResult::Accepted => "accepted",
            WebhookResult::UnknownRepository => "unknown-repository",
            WebhookResult::TooLarge => "too-large",
            WebhookResult::NoSecret => "no-secret",
            WebhookResult::Error => "error",
            WebhookResult::Busy => "busy",
            WebhookResult::TimedOut => "timed-out",
            WebhookResult::Duplicate => "duplicate",
            WebhookResult::Refused(category) => category,
        }
    }
}

/// `limit` of `limit_exceeded_total`: the operator's limits (docs/security.md).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Limit {
    /// `spec.source.interval` below `--min-interval`.
    MinInterval,
    /// `spec.source.timeout` outside 1s..`--max-fetch-timeout`.
    FetchTimeout,
    /// A health check aimed at a host `--check-allowed-hosts` does not allow.
    Egress,
    /// More webhook deliveries at once than `--webhook-concurrency`.
    WebhookConcurrency,
    /// A webhook delivery slower than `--webhook-timeout`.
    WebhookTimeout,
    /// A revision's config repository over a per-snapshot limit.
    Snapshot(claude_env_source::load::Limit),
}

impl Limit {
    pub(super) fn label(self) -> &'static str {
        match self {
            Limit::MinInterval => "min_interval",
            Limit::FetchTimeout => "fetch_timeout",
            Limit::Egress => "egress",
            Limit::WebhookConcurrency => "webhook_concurrency",
            Limit::WebhookTimeout => "webhook_timeout",
            Limit::Snapshot(l) => match l {
                SnapshotLimit::FileBytes => "snapshot_file_bytes",
                SnapshotLimit::TotalBytes => "snapshot_bytes",
                SnapshotLimit::Files => "snapshot_files",
                SnapshotLimit::Depth => "snapshot_depth",
            },
        }
    }
}

/// `result` of `notifications_total`: one count per message and provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NotifyResult {
    /// Delivered (2xx), possibly after retries.
    Success,
    /// An attempt failed and another follows (counted per attempt).
    Retry,
    /// Given up: the retries ran out, the receiver refused it, or the provider cannot send.
    Failure,
    /// Not sent: the queue was full (the controller never waits for notifications).
    Dropped,
}

impl NotifyResult {
    pub(super) fn label(self) -> &'static str {
        match self {
            NotifyResult::Success => "success",
            NotifyResult::Retry => "retry",
            NotifyResult::Failure => "failure",
            NotifyResult::Dropped => "dropped",
        }
    }
}

/// `strategy` label (`rollouts_total`, `environment_info`).
pub(super) fn strategy(s: StrategyType) -> &'static str {
    claude_env_rollout::action::strategy_label(s)
}
